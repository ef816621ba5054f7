"""Regression tests for issue 11 (hardening): each finding's reproducer, on both backends.

The hex reproducers are the ones of the issue; the other inputs are built with
the independent test encoder (``tests/encoder.py``).  ``stream``/``batch`` run
StreamDecoder and decode_batch on the backend of the ``impl`` fixture (the
stream's decoder module and scanner are switched together).
"""

from __future__ import annotations

import gc
import json
import math
import weakref
from pathlib import Path

import pytest

import amsparse
from amsparse import (
    BytesDiscarded,
    DecodeError,
    FrameDecoded,
    FrameRejected,
    ProfileError,
    SegmentedFrameError,
    StreamDecoder,
    UnexpectedError,
)
from amsparse import _batch, _scan_py, _stream
from amsparse._profiles import compile_profile

import encoder as enc

# --------------------------------------------------------------------------- reproducers (issue 11)

F1_FRAME = bytes.fromhex(
    "7ea02a410883130413e6e7000f400000000002030a06466f6f5f563109060100010700ff060000000551947e"
)
F8_NESTED = bytes.fromhex(
    "7ea02541088313f879e6e7000f40000000000101020209060100010700ff010109020102de1d7e"
)
F8_NAN_INF = bytes.fromhex(
    "7ea0374108831330dbe6e7000f40000000000102020209060100010700ff187ff8000000000000"
    "020209060100020700ff177f80000015017e"
)
F8_ESCAPES = bytes.fromhex(
    "7ea02f410883135035e6e7000f40000000000101020209060000600100ff0a0e1b5b324a1b5d303b"
    "70776e65640792f37e"
)
F13_TWICE = bytes.fromhex(
    "7ea0334108831320f6e6e7000f40000000000102020209060100010700ff060000006f02020906"
    "0100010700ff06000003e7d0587e"
)


def _power(w: int, code: str = "1-0:1.7.0.255") -> bytes:
    """A complete push with one OBIS-coded reading (independent encoder)."""
    return enc.encode_frame(enc.data_notification(
        enc.array([enc.structure([enc.obis(code), enc.double_long_unsigned(w)])])
    ))


GOOD_A = _power(1111)
GOOD_B = _power(2222)


# --------------------------------------------------------------------------- fixtures

@pytest.fixture
def stream(impl, monkeypatch):  # type: ignore[no-untyped-def]
    """StreamDecoder class running on ``impl`` (decoder module and scanner)."""
    if impl.BACKEND == "cython":
        from amsparse._scan_c import scan
    else:
        scan = _scan_py.scan
    monkeypatch.setattr(_stream, "impl", impl)
    monkeypatch.setattr(_stream, "_scan", scan)
    return StreamDecoder


@pytest.fixture
def batch(impl):  # type: ignore[no-untyped-def]
    def run(source, profiles=None, *, profile=None, tz=None):  # type: ignore[no-untyped-def]
        return _batch._decode_batch(source, profiles, profile, tz, impl)

    return run


def _vals(frame):  # type: ignore[no-untyped-def]
    return tuple(r.value for r in frame)


def _kinds(events):  # type: ignore[no-untyped-def]
    return [type(e).__name__ for e in events]


def _broken_generic() -> amsparse.ProfileSet:
    """A ProfileSet whose generic table lacks list_version: what a user profile
    could build before load_profiles checked it (made by hand here, so the
    decoders really fail with a non-DecodeError on F1_FRAME)."""
    g = compile_profile({
        "schema": 1, "id": "generic", "vendor": "x", "layout": "obis",
        "objects": {"list_version": {"obis": "1-1:0.2.129.255", "type": "string"}},
    })
    g.names = ("not_list_version",)
    return amsparse.ProfileSet(list(amsparse.builtin_profiles()), g)


# --------------------------------------------------------------------------- F1

def test_f1_generic_profile_without_list_version_is_rejected_at_load(tmp_path: Path) -> None:
    f = tmp_path / "generic.json"
    f.write_text(json.dumps({
        "schema": 1, "id": "generic", "vendor": "x", "layout": "obis",
        "objects": {"foo": {"obis": "1-0:1.7.0.255"}},
    }))
    with pytest.raises(ProfileError) as ei:
        amsparse.load_profiles(tmp_path)
    assert ei.value.source == str(f) and ei.value.key == "objects.list_version"


def test_f1_decode_frame_with_broken_generic_raises_non_decode_error(impl) -> None:  # type: ignore[no-untyped-def]
    # the precondition of the stream/batch tests below: this really is a non-DecodeError
    with pytest.raises(Exception) as ei:
        impl.decode_frame(F1_FRAME, _broken_generic())
    assert not isinstance(ei.value, DecodeError)


def test_f1_stream_survives_any_exception(stream) -> None:  # type: ignore[no-untyped-def]
    ps = _broken_generic()
    dec = stream(ps)
    events = dec.feed(GOOD_A + F1_FRAME + GOOD_B)
    assert _kinds(events) == ["FrameDecoded", "FrameRejected", "FrameDecoded"]
    assert events[0].frame.get("active_power_import") == 1111
    assert events[2].frame.get("active_power_import") == 2222
    err = events[1].error
    assert type(err) is UnexpectedError and isinstance(err, DecodeError)
    assert "ValueError" in str(err) and type(err.cause) is ValueError
    assert events[1].raw == F1_FRAME
    assert dec.buffered <= 1 and dec.frames_rejected == {"UnexpectedError": 1}  # a closing flag may wait
    # and it keeps working, frame by frame too
    for part in (F1_FRAME, GOOD_A):
        dec.feed(part)
    assert dec.frames_decoded == 3 and dec.buffered <= 1


def test_f1_batch_survives_any_exception(batch) -> None:  # type: ignore[no-untyped-def]
    ps = _broken_generic()
    for source in (GOOD_A + F1_FRAME + GOOD_B, [GOOD_A, F1_FRAME, GOOD_B]):
        t = batch(source, ps)
        assert list(t.status) == [0, 9, 0]
        assert _batch.ERROR_CODES[9] == "UnexpectedError"
        assert t.errors[1].startswith("UnexpectedError: unexpected ValueError")
        assert list(t.columns["active_power_import"])[::2] == [1111.0, 2222.0]


# --------------------------------------------------------------------------- F4

def test_f4_rejections_keep_no_traceback(stream) -> None:  # type: ignore[no-untyped-def]
    bad_fcs = bytearray(GOOD_A)
    bad_fcs[-2] ^= 0xFF
    bad_apdu = enc.encode_frame(b"\x0f\x00\x00\x00\x01\x00\x05")  # A-XDR ends early
    dec = stream(_broken_generic())
    events = dec.feed(bytes(bad_fcs) + bad_apdu + F1_FRAME) + dec.flush()
    rejected = [e for e in events if type(e) is FrameRejected]
    assert [type(e.error).__name__ for e in rejected] == ["ChecksumError", "ApduError", "UnexpectedError"]
    for ev in rejected:
        assert ev.error.__traceback__ is None and ev.error.__context__ is None
        if ev.error.__cause__ is not None:
            assert ev.error.__cause__.__traceback__ is None


# --------------------------------------------------------------------------- F5

def _segmented(values: list[int], max_info: int, **kw) -> list[bytes]:  # type: ignore[no-untyped-def]
    apdu = enc.data_notification(enc.array([
        enc.structure([enc.obis(f"1-0:{21 + 20 * (i % 3)}.7.0.255"), enc.double_long_unsigned(v)])
        for i, v in enumerate(values)
    ]))
    return enc.segment(apdu, max_info, **kw)


def test_f5_segments_reassemble(stream) -> None:  # type: ignore[no-untyped-def]
    segs = _segmented([5, 6, 7], 20)
    assert len(segs) >= 3
    events = stream().feed(b"".join(segs))
    assert _kinds(events) == ["FrameDecoded"] and events[0].raw == b"".join(segs)
    assert _vals(events[0].frame) == (5, 6, 7)


def test_f5_unfinished_sequence_then_complete_push(stream) -> None:  # type: ignore[no-untyped-def]
    segs = _segmented([5, 6, 7], 20)
    dec = stream()
    events = dec.feed(segs[0] + segs[1] + GOOD_A)
    assert _kinds(events) == ["FrameRejected", "FrameDecoded"]
    assert isinstance(events[0].error, SegmentedFrameError) and events[0].raw == segs[0] + segs[1]
    assert events[1].raw == GOOD_A and events[1].frame.get("active_power_import") == 1111
    # a new sequence (same addresses) also starts fresh
    events = dec.feed(segs[0] + b"".join(segs))
    assert _kinds(events) == ["FrameRejected", "FrameDecoded"]
    assert _vals(events[1].frame) == (5, 6, 7)


@pytest.mark.parametrize("damage", ["fcs", "drop", "noise"])
def test_f5_damaged_or_missing_middle_segment_breaks_the_sequence(stream, damage) -> None:  # type: ignore[no-untyped-def]
    segs = _segmented([5, 6, 7, 8, 9], 16)
    assert len(segs) >= 4
    mid = len(segs) // 2
    if damage == "fcs":
        bad = bytearray(segs[mid])
        bad[-3] ^= 0x01
        segs[mid] = bytes(bad)
    elif damage == "drop":
        segs[mid] = b""  # a whole segment lost: the next one starts without an LLC header ...
        segs[0] = b""    # ... and so does the sequence here (its first segment lost too)
    else:
        segs[mid] = b"\x00\x11\x22"  # a segment replaced by line noise
    dec = stream()
    events = dec.feed(b"".join(segs) + GOOD_B)
    assert not any(type(e) is FrameDecoded and e.raw != GOOD_B for e in events)
    seq = [e for e in events if type(e) is FrameRejected and isinstance(e.error, SegmentedFrameError)]
    assert len(seq) == 1, _kinds(events)
    assert events[-1].raw == GOOD_B and type(events[-1]) is FrameDecoded
    assert dec.reassembling == 0


def test_f5_spliced_neighbours_would_decode(stream) -> None:  # type: ignore[no-untyped-def]
    """The hand-built case: with the middle segment left out, the other two
    still form a decodable APDU; the decoder must not produce it."""
    apdu = enc.data_notification(enc.array([
        enc.structure([enc.obis("1-0:1.7.0.255"), enc.double_long_unsigned(0x01020304)]),
    ]))
    info = enc.LLC + apdu
    # segments [... value tag 06], [01 02], [03 04 05 06]: without the middle
    # one the value would read 03 04 05 06
    k = info.index(b"\x06\x01\x02\x03\x04") + 1
    s1 = enc.hdlc_frame(info[:k], segmented=True)
    s2 = enc.hdlc_frame(info[k : k + 2], segmented=True)
    s3 = enc.hdlc_frame(info[k + 2 :] + b"\x05\x06")
    # spliced, the value would be 03 04 05 06
    assert _vals(amsparse._decode_py.decode_apdu(info[:k] + info[k + 2 :] + b"\x05\x06")) == (0x03040506,)
    bad = bytearray(s2)
    bad[-2] ^= 0x40  # FCS damaged: the scanner rejects it
    events = stream().feed(s1 + bytes(bad) + s3)
    assert not any(type(e) is FrameDecoded for e in events)
    assert [type(e.error).__name__ for e in events if type(e) is FrameRejected] == [
        "ChecksumError", "SegmentedFrameError"]


# --------------------------------------------------------------------------- F2 / F3 / F7 (batch memory)

def _wide_frame(k: int, n: int) -> bytes:
    """A push naming ``n`` OBIS codes no profile knows (generic columns)."""
    return enc.encode_frame(enc.data_notification(enc.array([
        enc.structure([enc.obis(f"7-1:200.{k}.{m}.255"), enc.long_unsigned(m)]) for m in range(n)
    ])))


TINY_ERROR = enc.encode_frame(b"\x0f\x00")  # HDLC fine, APDU cut short


def test_f2_columns_are_bounded(batch) -> None:  # type: ignore[no-untyped-def]
    capture = b"".join(_wide_frame(k, 125) for k in range(20)) + TINY_ERROR * 200
    t = batch(capture)
    assert len(t) == 220
    assert len(t.columns) <= _batch.MAX_COLUMNS == 256
    # two frames fit (250 columns), the third would pass the bound: error rows from there on
    assert list(t.status[:3]) == [0, 0, 8] and set(t.status[2:20]) == {8}
    assert "beyond max_columns=256" in t.errors[2]
    assert set(t.status[20:]) == {4}
    for col in t.columns.values():
        assert len(col) == len(t)
    assert t.columns["obis_7_1_200_1_124_255"][1] == 124.0


def test_f2_max_columns_parameter(impl) -> None:  # type: ignore[no-untyped-def]
    frames = [_wide_frame(0, 2), _wide_frame(1, 2), _wide_frame(0, 3)]
    t = _batch._decode_batch(frames, None, None, None, impl, max_columns=3)
    assert list(t.status) == [0, 8, 0] and len(t.columns) == 3
    assert t.errors[1] == "DecodeError: frame would add 2 reading column(s) to the 2 the table has, beyond max_columns=3"
    assert list(t.columns["obis_7_1_200_0_2_255"])[2] == 2.0 and math.isnan(t.columns["obis_7_1_200_0_2_255"][0])


def test_f2_backends_agree_on_budget(both) -> None:  # type: ignore[no-untyped-def]
    from tables import assert_same_tables

    capture = b"".join(_wide_frame(k % 7, 30 + k) for k in range(12)) + TINY_ERROR * 3 + GOOD_A
    c, py = both
    assert_same_tables(_batch._decode_batch(capture, None, None, None, c, max_columns=100),
                        _batch._decode_batch(capture, None, None, None, py, max_columns=100))


def test_f3_batch_leaves_no_cyclic_garbage(batch) -> None:  # type: ignore[no-untyped-def]
    """Templates are freed with their writer by reference counting (no cycle
    left for the cyclic GC)."""
    capture = b"".join(_power(w, f"1-0:{c}.7.0.255") for c in (1, 2, 21, 22) for w in range(40))
    capture += b"".join(_wide_frame(k, 3 + k % 5) for k in range(40)) * 3
    gc.collect()
    gc.disable()
    try:
        gc.set_debug(gc.DEBUG_SAVEALL)
        t = batch(capture)
        assert len(t) == 160 + 120 and not any(t.status)
        del t
        gc.collect()
        leaked = [type(o).__name__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert leaked == []


def test_f7_reservation_is_capped(both) -> None:  # type: ignore[no-untyped-def]
    # the compiled writer preallocates (the twin's columns just grow)
    w = both[0].TableWriter(_batch.FrameTable())
    w.add_raw(_wide_frame(0, 100))
    w.reserve(10**9)  # an extrapolation from a dense start
    assert w.capacity * (37 + 17 * 100) <= 64 << 20
    t = w.finish()
    assert len(t) == 1 and len(t.columns) == 100
