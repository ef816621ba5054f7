"""StreamDecoder(framing="auto") and decode_batch(framing="auto") on a port
whose framing changes midway: HDLC, then M-Bus (a gateway swap), then HDLC
again, with noise, segments and ciphered pushes between them.

The streams are built here from real corpus captures (tests/corpus): real
HDLC frames as sent, and the APDUs of real frames re-framed as M-Bus long
frames, HDLC segments or ciphered pushes by tests/encoder.py (encrypted with
``cryptography`` there).  Expectations come from decoding each piece on its
own (decode_frame / decode_apdu) and from the encoder's parameters, never
from the stream under test.  Both backends: the stream's decoder and scanner
are switched per case.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpusdata  # noqa: E402
import encoder as E  # noqa: E402

import amsparse  # noqa: E402
from amsparse import BytesDiscarded, FrameDecoded, FrameRejected, Keys  # noqa: E402

RECS = corpusdata.by_id()
LLC = b"\xe6\xe7\x00"
KEY = bytes(range(1, 17))
AK = bytes(range(17, 33))
TITLE = b"MIX\x00\x00\x00\x00\x07"
KEYS = Keys(KEY, AK, TITLE)


def _apdu(rid: str) -> bytes:
    """The APDU of a real single HDLC frame, found by walking its header here
    (addresses end at the byte with bit 0 set), LLC stripped."""
    frame = bytes.fromhex(RECS[rid]["hex"])
    pos = 3
    for _ in range(2):
        while not frame[pos] & 1:
            pos += 1
        pos += 1
    info = frame[pos + 3 : -3]
    assert info[:3] == LLC
    return info[3:]


@pytest.fixture(params=["cython", "python"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The DLMS decoder twin and the stream scanner twin StreamDecoder uses."""
    import importlib

    from amsparse import _stream

    if request.param == "cython":
        if request.config.getoption("--no-c-extensions") or _stream.SCAN_BACKEND != "cython":
            pytest.skip("compiled core disabled on purpose")
        impl = importlib.import_module("amsparse._decode_c")
        scan = importlib.import_module("amsparse._scan_c").scan
    else:
        impl = importlib.import_module("amsparse._decode_py")
        scan = importlib.import_module("amsparse._scan_py").scan
    monkeypatch.setattr(_stream, "impl", impl)
    monkeypatch.setattr(_stream, "_scan", scan)
    return impl


def _pieces(impl):  # type: ignore[no-untyped-def]
    """``[(bytes, expected)]``: each piece of the mixed stream and what decoding
    it alone gives -- a Frame, an exception class, or None for noise."""
    hdlc_a = bytes.fromhex(RECS["aid-list2-01"]["hex"])
    hdlc_b = bytes.fromhex(RECS["kam-list3-02"]["hex"])
    hdlc_c = bytes.fromhex(RECS["kfm-list1-03"]["hex"])
    apdu_aid3 = _apdu("aid-list3-01")
    apdu_kam2 = _apdu("kam-list2-01")
    # M-Bus: one real APDU over three long frames, one ciphered in one frame
    mbus_plain = b"".join(E.mbus_frames(LLC + apdu_aid3, 150))
    mbus_cipher = b"".join(E.mbus_frames(LLC + E.ciphered(apdu_kam2, KEY, TITLE, 5, 0x30, AK), 250))
    # HDLC segments of a real APDU (addresses chosen here: the expected Frame.address)
    segs = b"".join(E.segment(apdu_aid3, 120, dest=b"\x41", src=b"\x08\x83", control=0x13))
    seg_frame = impl.decode_apdu(apdu_aid3)
    # the address decode_frame reads from one frame with the segments' header fields
    seg_address = impl.decode_frame(E.encode_frame(apdu_aid3, b"\x41", b"\x08\x83", 0x13)).address
    ciphered_hdlc = E.encode_frame(E.ciphered(apdu_kam2, KEY, TITLE, 6, 0x30, AK))
    kfm = RECS["kfm-other-04"]  # a real ciphered M-Bus capture (Kaifa, Austria), published key
    kfm_raw = bytes.fromhex(kfm["hex"])
    sag_raw = bytes.fromhex(RECS["sag-encrypted-01"]["hex"])  # real Sagemcom T210-D (L = 01 quirk), no key
    noise1 = b"\x00\x13 line noise \xe5"          # an M-Bus ack counts as noise
    noise2 = b"\x10\x5b\xfe\x59\x16\x7e\x7e"      # an M-Bus short frame and idle HDLC flags

    def one(raw: bytes, **kw):  # type: ignore[no-untyped-def]
        try:
            return impl.decode_frame(raw, keys=[KEYS, Keys(kfm["key_hex"], system_title=kfm["system_title"])], **kw)
        except amsparse.DecodeError as e:
            return e

    return [
        (hdlc_a, one(hdlc_a)),
        (hdlc_b, one(hdlc_b)),
        (noise1, None),
        (mbus_plain, one(mbus_plain)),       # the gateway was swapped: M-Bus from here
        (mbus_cipher, one(mbus_cipher)),
        (kfm_raw, one(kfm_raw)),
        (sag_raw, one(sag_raw)),
        (noise2, None),
        (hdlc_c, one(hdlc_c)),               # HDLC again
        (segs, (seg_address, seg_frame)),
        (ciphered_hdlc, one(ciphered_hdlc)),
        (mbus_plain, one(mbus_plain)),       # and back to M-Bus once more
        (hdlc_a, one(hdlc_a)),
    ]


def _run(data: bytes, cuts: list[int], **kw):  # type: ignore[no-untyped-def]
    dec = amsparse.StreamDecoder(framing="auto", p1=False,
                                 keys=[KEYS, Keys(RECS["kfm-other-04"]["key_hex"],
                                                  system_title=RECS["kfm-other-04"]["system_title"])], **kw)
    events = []
    prev = 0
    for c in sorted(set(cuts)) + [len(data)]:
        events += dec.feed(data[prev:c])
        prev = c
    return dec, events + dec.flush()


def _check(pieces, dec, events) -> None:  # type: ignore[no-untyped-def]
    frames = [e for e in events if not isinstance(e, BytesDiscarded)]
    want = [(raw, exp) for raw, exp in pieces if exp is not None]
    assert len(frames) == len(want)
    for ev, (raw, exp) in zip(frames, want):
        assert ev.raw == raw
        if isinstance(exp, tuple):  # HDLC segments: the APDU's decoding, the first segment's address
            assert type(ev) is FrameDecoded
            assert ev.frame.readings == exp[1].readings and ev.frame.profile_id == exp[1].profile_id
            assert ev.frame.address == exp[0] and exp[0] is not None
        elif isinstance(exp, amsparse.DecodeError):
            assert type(ev) is FrameRejected and type(ev.error) is type(exp) and str(ev.error) == str(exp)
        else:
            assert type(ev) is FrameDecoded and ev.frame == exp
    noise = sum(len(raw) for raw, exp in pieces if exp is None)
    assert dec.bytes_discarded == noise
    assert dec.bytes_fed == sum(len(raw) for raw, _ in pieces)
    assert dec.buffered == 0 and dec.reassembling == 0


def test_mixed_framing_stream_keeps_every_frame(backend) -> None:  # type: ignore[no-untyped-def]
    pieces = _pieces(backend)
    kinds = {type(exp) for _, exp in pieces}
    assert amsparse.Frame in kinds and amsparse.KeyRequiredError in kinds  # decoded and rejected pieces both present
    data = b"".join(raw for raw, _ in pieces)
    for step in (1, 7, 64, len(data)):
        dec, events = _run(data, list(range(step, len(data), step)))
        _check(pieces, dec, events)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=0, max_value=6000), max_size=12))
def test_mixed_framing_split_anywhere(backend, cuts: list[int]) -> None:  # type: ignore[no-untyped-def]
    pieces = _pieces(backend)
    data = b"".join(raw for raw, _ in pieces)
    dec, events = _run(data, [c % (len(data) + 1) for c in cuts])
    _check(pieces, dec, events)


def test_framing_switch_breaks_an_unfinished_message(backend) -> None:  # type: ignore[no-untyped-def]
    """An M-Bus frame between two HDLC segments (or an HDLC frame inside an
    M-Bus message) rejects the unfinished message once, whole; the frames
    around it still decode."""
    apdu = _apdu("aid-list3-01")
    segs = E.segment(apdu, 120)
    mb = E.mbus_frames(LLC + apdu, 150)
    hdlc = bytes.fromhex(RECS["aid-list2-01"]["hex"])
    data = segs[0] + b"".join(mb) + b"".join(segs[1:]) + mb[0] + hdlc + b"".join(mb)
    _dec, events = _run(data, [])
    got = [(type(e).__name__, type(getattr(e, "error", None)).__name__) for e in events
           if not isinstance(e, BytesDiscarded)]
    assert got == [
        ("FrameRejected", "SegmentedFrameError"),  # segment 1, cut off by the M-Bus message
        ("FrameDecoded", "NoneType"),              # the M-Bus message
        ("FrameRejected", "SegmentedFrameError"),  # segments 2.. without their first
        ("FrameRejected", "FrameError"),           # M-Bus segment 1, cut off by the HDLC frame
        ("FrameDecoded", "NoneType"),              # the HDLC frame
        ("FrameDecoded", "NoneType"),              # the M-Bus message again
    ]
    assert "M-Bus frame" in str(events[0].error) and "HDLC frame" in str(
        [e for e in events if isinstance(e, FrameRejected)][2].error)


def test_batch_reads_mixed_stream_into_the_streams_rows(backend) -> None:  # type: ignore[no-untyped-def]
    from amsparse._batch import FrameTable, _decode_batch

    pieces = _pieces(backend)
    data = b"".join(raw for raw, _ in pieces)
    keys = [KEYS, Keys(RECS["kfm-other-04"]["key_hex"], system_title=RECS["kfm-other-04"]["system_title"])]
    table = _decode_batch(data, None, None, None, backend, keys=keys, framing="auto")
    want = [exp for _, exp in pieces if exp is not None]
    assert len(table) == len(want)
    assert table.bytes_discarded == sum(len(raw) for raw, exp in pieces if exp is None)
    # the same rows built one frame at a time (the table's own Python path)
    ref = FrameTable()
    for exp in want:
        if isinstance(exp, tuple):
            ref._append_frame(exp[1])
        elif isinstance(exp, amsparse.DecodeError):
            ref._append_error(exp)
        else:
            ref._append_frame(exp)
    ref = ref._finish()
    assert [table.status[i] for i in range(len(table))] == [ref.status[i] for i in range(len(ref))]
    assert set(table.columns) == set(ref.columns)  # the columns with data (names adds the profiles' schema)
    for name in ref.columns:
        a, b = list(table.columns[name]), list(ref.columns[name])
        assert [x if not math.isnan(x) else None for x in a] == [x if not math.isnan(x) else None for x in b], name
    assert table.meter_id == ref.meter_id and table.profile_id == ref.profile_id
    assert table.errors == ref.errors and len(table.errors) == 1  # the Sagemcom push without its key
    # and the stream gives those rows: the public entry point agrees
    if backend.BACKEND == amsparse.BACKEND:
        public = amsparse.decode_batch(data, keys=keys, framing="auto")
        assert len(public) == len(table) and public.errors.keys() == table.errors.keys()


def test_batch_framing_is_checked() -> None:
    with pytest.raises(ValueError, match="framing"):
        amsparse.decode_batch(b"", framing="serial")


def test_auto_memory_is_bounded_on_hostile_input() -> None:
    """M-Bus starts claiming the longest frame (L = FF, and the L + 256 quirk)
    and HDLC starts claiming 2 KiB, never completed: 'auto' holds at most one
    candidate of each framing, and every byte is accounted for at flush."""
    junk = (b"\x68\xff\xff\x68" + bytes(200)) * 20 + (b"\x7e\xa7\xff" + bytes(100)) * 20
    dec = amsparse.StreamDecoder(framing="auto", p1=False)
    for i in range(0, len(junk), 61):
        dec.feed(junk[i : i + 61])
        assert dec.buffered <= 2050 + 517
    events = dec.flush()
    assert dec.buffered == 0
    seen = sum(len(e.raw) for e in events if isinstance(e, FrameRejected))
    assert dec.bytes_discarded + seen - dec.shared_flags == dec.bytes_fed == len(junk)
    assert dec.frames_decoded == 0


def test_replay_guard_covers_reassembled_messages() -> None:
    """A ciphered APDU spread over HDLC segments, or over M-Bus segments, is
    checked by the replay guard like a single frame (one counter per title)."""
    apdu = _apdu("kam-list2-01")
    segs = b"".join(E.segment(E.ciphered(apdu, KEY, TITLE, 40, 0x30, AK), 100))
    mbus = b"".join(E.mbus_frames(LLC + E.ciphered(apdu, KEY, TITLE, 41, 0x30, AK), 100))
    again = b"".join(E.mbus_frames(LLC + E.ciphered(apdu, KEY, TITLE, 40, 0x30, AK), 100))
    dec = amsparse.StreamDecoder(framing="auto", keys=KEYS, replay_guard=True, p1=False)
    events = [e for e in dec.feed(segs + mbus + segs + again) + dec.flush() if not isinstance(e, BytesDiscarded)]
    assert [type(e).__name__ for e in events] == ["FrameDecoded", "FrameDecoded", "FrameRejected", "FrameRejected"]
    assert [e.frame.security.invocation_counter for e in events[:2]] == [40, 41]
    assert all(isinstance(e.error, amsparse.ReplayError) for e in events[2:])
    assert events[0].frame.readings == amsparse.decode_apdu(apdu).readings


def test_hdlc_frame_cut_short_by_a_framing_switch(backend) -> None:  # type: ignore[no-untyped-def]
    """The gateway is swapped in the middle of an HDLC frame: its header
    promises more bytes than come before the M-Bus frames.  The cut frame is
    rejected (only its own bytes), and the M-Bus messages inside what it
    claimed, and the HDLC frame after them, still decode."""
    hdlc = bytes.fromhex(RECS["aid-list3-01"]["hex"])  # 396 bytes by its length field
    mb = b"".join(E.mbus_frames(LLC + _apdu("kam-list2-01"), 150))
    other = bytes.fromhex(RECS["kam-list2-01"]["hex"])
    want_mb = backend.decode_frame(mb)
    data = hdlc[:120] + mb + mb + other
    for step in (1, 50, len(data)):
        dec, events = _run(data, list(range(step, len(data), step)))
        got = [e for e in events if not isinstance(e, BytesDiscarded)]
        assert [type(e).__name__ for e in got] == ["FrameRejected", "FrameDecoded", "FrameDecoded", "FrameDecoded"]
        assert got[0].raw == hdlc[:120]
        assert got[1].raw == mb and got[1].frame == want_mb and got[2].frame == want_mb
        assert got[3].raw == other and got[3].frame == backend.decode_frame(other)
        assert dec.bytes_discarded == 0 and dec.bytes_fed == len(data)
