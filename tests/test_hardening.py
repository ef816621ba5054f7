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
from pathlib import Path

import encoder as enc
import pytest

import amsparse
from amsparse import (
    DecodeError,
    FrameDecoded,
    FrameRejected,
    ProfileError,
    SegmentedFrameError,
    StreamDecoder,
    UnexpectedError,
    _batch,
    _scan_py,
    _stream,
)
from amsparse._profiles import compile_profile

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
    return tuple(r.value for r in frame.readings)


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
    g.roles, g.role_at = {}, (None,)  # and no list_version role
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
    assert events[0].frame.value("active_power_import") == 1111
    assert events[2].frame.value("active_power_import") == 2222
    err = events[1].error
    assert type(err) is UnexpectedError and isinstance(err, DecodeError)
    assert "KeyError" in str(err) and type(err.cause) is KeyError  # generic.roles["list_version"]
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
        assert t.errors[1].startswith("UnexpectedError: unexpected KeyError")
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
    assert events[1].raw == GOOD_A and events[1].frame.value("active_power_import") == 1111
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
    w = both[0].TableWriter(_batch.FrameTable(), both[0].default_core())
    w.add_raw(_wide_frame(0, 100))
    w.reserve(10**9)  # an extrapolation from a dense start
    assert w.capacity * (37 + 17 * 100) <= 64 << 20
    t = w.finish()
    assert len(t) == 1 and len(t.columns) == 100


# --------------------------------------------------------------------------- F8 (CLI output)

def _strict_json(line: str):  # type: ignore[no-untyped-def]
    def refuse(name: str):  # type: ignore[no-untyped-def]
        raise AssertionError(f"non-standard JSON constant {name}")

    return json.loads(line, parse_constant=refuse)


def test_f8_json_nested_value(capsys) -> None:  # type: ignore[no-untyped-def]
    from amsparse._cli import main

    assert main(["decode", "--json", F8_NESTED.hex()]) == 0
    d = _strict_json(capsys.readouterr().out)
    assert d["values"]["active_power_import"] == ["0102"]  # an array holding one octet-string


def test_f8_json_nan_and_infinity_are_null(capsys) -> None:  # type: ignore[no-untyped-def]
    from amsparse._cli import main

    assert main(["decode", "--json", F8_NAN_INF.hex()]) == 0
    d = _strict_json(capsys.readouterr().out)
    assert d["values"]["active_power_import"] is None and d["values"]["active_power_export"] is None


@pytest.mark.parametrize("as_json", [False, True])
def test_f8_control_characters_are_escaped(capsys, tmp_path, as_json) -> None:  # type: ignore[no-untyped-def]
    from amsparse._cli import main

    # the frame's meter id is ESC [ 2 J ESC ] 0 ; p w n e d BEL; also a file name with ESC in it
    f = tmp_path / "cap\x1b[31m.bin"
    f.write_bytes(F8_ESCAPES + b"\x00\x1b[2J")  # raw capture: a frame, then noise
    assert main(["decode", *(["--json"] if as_json else []), str(f)]) == 0
    out, err = capsys.readouterr()
    for text in (out, err):
        assert not any(ord(c) < 0x20 and c != "\n" or 0x7F <= ord(c) < 0xA0 for c in text), repr(text)
    if as_json:
        assert _strict_json(out.splitlines()[0])["meter_id"] == "\x1b[2J\x1b]0;pwned\x07"
    else:
        assert "\\x1b[2J\\x1b]0;pwned\\x07" in out and "cap\\x1b[31m.bin" in out


def test_f8_cli_reads_files_in_chunks(capsys, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from amsparse import _cli

    capture = (GOOD_A + b"\x00noise" + GOOD_B) * 5
    f = tmp_path / "cap.bin"
    f.write_bytes(capture)
    reads: list[int] = []
    real_open = open

    class Spy:
        def __init__(self, fh):  # type: ignore[no-untyped-def]
            self.fh = fh

        def read(self, n=-1):  # type: ignore[no-untyped-def]
            reads.append(n)
            return self.fh.read(n)

        def close(self) -> None:
            self.fh.close()

    monkeypatch.setattr(_cli, "CHUNK", 7)
    monkeypatch.setattr(_cli, "open", lambda p, mode="r": Spy(real_open(p, mode)), raising=False)
    assert _cli.main(["decode", "--json", str(f)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [_strict_json(x)["values"]["active_power_import"] for x in lines] == [1111, 2222] * 5
    assert reads and all(n == 7 for n in reads)  # never the whole file at once
    # hex text is read in chunks too, lines split across chunks
    h = tmp_path / "cap.hex"
    h.write_text("# two frames\n" + GOOD_A.hex() + "\n" + GOOD_B.hex() + "\n")
    reads.clear()
    assert _cli.main(["decode", "--json", str(h)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [_strict_json(x)["values"]["active_power_import"] for x in lines] == [1111, 2222]
    assert reads and all(n == 7 for n in reads)


# --------------------------------------------------------------------------- F10 / F11 (options)

BAD_OPTIONS = [
    ({"tz": "Mars/Olympus"}, LookupError),
    ({"tz": "../etc"}, LookupError),
    ({"tz": 3}, TypeError),
    ({"profile": "no-such"}, ValueError),
    ({"profile": 7}, TypeError),
    ({"profiles": {"a": 1}}, TypeError),
]


@pytest.mark.parametrize("kw,exc", BAD_OPTIONS)
def test_f10_f11_bad_options_fail_at_construction_and_call(impl, stream, kw, exc) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(exc) as e_stream:
        stream(**kw)
    with pytest.raises(exc) as e_batch:
        _batch._decode_batch(b"", kw.get("profiles"), kw.get("profile"), kw.get("tz"), impl)
    with pytest.raises(exc) as e_frame:
        impl.decode_frame(GOOD_A, **kw)
    with pytest.raises(exc):
        impl.decode_apdu(b"\x0f", **kw)
    assert type(e_stream.value) is type(e_batch.value) is type(e_frame.value)
    assert str(e_stream.value) == str(e_batch.value) == str(e_frame.value)


def test_f10_f11_same_errors_on_both_backends(both) -> None:  # type: ignore[no-untyped-def]
    for kw, _exc in BAD_OPTIONS:
        errs = []
        for m in both:
            with pytest.raises(Exception) as ei:
                m.decode_frame(GOOD_A, **kw)
            errs.append((type(ei.value), str(ei.value)))
        assert errs[0] == errs[1], kw


@pytest.mark.parametrize("kw,exc", [
    ({"max_frame_size": 2050.0}, TypeError),
    ({"max_frame_size": True}, TypeError),
    ({"max_frame_size": 8}, ValueError),
    ({"max_apdu_size": "1"}, TypeError),
    ({"max_apdu_size": 0}, ValueError),
])
def test_f11_sizes_checked_at_construction(stream, kw, exc) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(exc):
        stream(**kw)


def test_f11_batch_sizes_checked(impl) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError):
        _batch._decode_batch(b"", None, None, None, impl, max_frame_size=2050.0)
    with pytest.raises(ValueError):
        _batch._decode_batch(b"", None, None, None, impl, max_columns=-1)


def test_f10_valid_zone_still_works(stream) -> None:  # type: ignore[no-untyped-def]
    dec = stream(tz="Europe/Oslo")
    assert _kinds(dec.feed(GOOD_A)) == ["FrameDecoded"]


# --------------------------------------------------------------------------- F13 / F14

def test_f13_a_name_sent_twice_first_wins_everywhere(impl, batch) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):  # the second decode takes the plan/template path
        f = impl.decode_frame(F13_TWICE)
        assert f.as_dict()["active_power_import"] == 0x6F == 111
        assert f.value("active_power_import") == 111 and f["active_power_import"].value == 111
    t = batch([F13_TWICE])
    assert list(t.columns["active_power_import"]) == [111.0]


def test_f14_nested_values_are_immutable_public_types(impl) -> None:  # type: ignore[no-untyped-def]
    nested = enc.encode_frame(enc.data_notification(enc.array([enc.structure([
        enc.obis("1-0:1.7.0.255"),
        enc.structure([enc.octet_string(b"\x01\x02"), enc.array([enc.long_unsigned(7), enc.visible_string("ab")]),
                       enc.boolean(True), enc.null()]),
    ])])))
    for frame in (F8_NESTED, nested, F8_NESTED, nested):  # twice each: object and cached paths
        f = impl.decode_frame(frame)
        v = f.value("active_power_import")
        r = f["active_power_import"]
        assert type(v) is tuple and r.raw == v

        def public(x):  # type: ignore[no-untyped-def]
            if type(x) is tuple:
                return all(public(y) for y in x)
            return x is None or type(x) in (bytes, str, int, bool, float)

        assert public(v)
    assert impl.decode_frame(F8_NESTED).value("active_power_import") == (b"\x01\x02",)
    assert impl.decode_frame(nested).value("active_power_import") == (b"\x01\x02", (7, "ab"), True, None)


# --------------------------------------------------------------------------- F9 (profiles)

def _profile(**over):  # type: ignore[no-untyped-def]
    d = {"schema": 1, "id": "user-x", "vendor": "x", "layout": "positional",
         "objects": {"a": {"type": "number"}, "b": {"type": "number"}},
         "lists": [{"name": "l", "elements": 2, "fields": ["a", "b"]}]}
    d.update(over)
    return d


@pytest.mark.parametrize("name,text,key", [
    ("deep.json", '{"a":' * 100_000 + "1" + "}" * 100_000, None),
    ("deep.toml", "a = " + "[" * 100_000 + "]" * 100_000 + "\n", None),
    ("bigint.json", json.dumps(_profile())[:-1] + ', "notes": ' + "9" * 5000 + "}", None),
    ("bigint.toml", "schema = " + "9" * 5000 + "\n", None),
    ("unhashable.json", json.dumps(_profile(lists=[{"name": "l", "elements": 2, "fields": [["a"], "b"]}])),
     "lists[0].fields[0]"),
    ("scaler.json", json.dumps(_profile(objects={"a": {"scaler": 10**30}, "b": {}})), "objects.a.scaler"),
    ("unit.json", json.dumps(_profile(objects={"a": {"unit": [1]}, "b": {}})), "objects.a.unit"),
    ("obis.json", json.dumps(_profile(objects={"a": {"obis": "1-0:1.7.0.999999999999"}, "b": {}})),
     "objects.a.obis"),
    ("names.json", json.dumps(_profile(objects=[["a"]])), "objects"),
])
def test_f9_malformed_profile_files(tmp_path, name, text, key) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / name
    f.write_text(text)
    with pytest.raises(ProfileError) as ei:
        amsparse.load_profiles(f)
    assert ei.value.source == str(f) and str(f) in str(ei.value)
    assert ei.value.key == key


@pytest.mark.parametrize("data,key", [
    (_profile(objects={1: {"type": "number"}, "b": {}}), "objects.1"),
    (_profile(objects={("t",): {}, "b": {}}), "objects.('t',)"),
    (_profile(lists=[{"name": "l", "elements": 2, "fields": [{"x": 1}, "b"]}]), "lists[0].fields[0]"),
    (_profile(layout="obis", lists=[], overrides=[{"meter_type_prefix": "x", "scalers": {3: 1}}]),
     "overrides[0].scalers.3"),
])
def test_f9_malformed_profile_dicts(data, key) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProfileError) as ei:
        compile_profile(data, "my.toml")
    assert ei.value.source == "my.toml" and ei.value.key == key


# --------------------------------------------------------------------------- F12 / F15 / F17

def test_f12_text_cache_follows_the_declared_type(batch, impl) -> None:  # type: ignore[no-untyped-def]
    """meter_id declared ``bytes`` by a user profile keeps its spaces; the
    generic profile's (a string) is trimmed; the writer's text cache must not
    hand one's code to the other."""
    prof = compile_profile({
        "schema": 1, "id": "user-bytes", "vendor": "x", "layout": "obis", "list_versions": ["V1"],
        "objects": {
            "list_version": {"obis": "1-1:0.2.129.255", "type": "string"},
            "meter_id": {"obis": "0-0:96.1.0.255", "type": "bytes"},
            "active_power_import": {"obis": "1-0:1.7.0.255", "unit": "W"},
        },
    })
    ps = amsparse.ProfileSet([prof, *amsparse.builtin_profiles()])

    def push(version: str, w: int) -> bytes:
        return enc.encode_frame(enc.data_notification(enc.array([
            enc.structure([enc.obis("1-1:0.2.129.255"), enc.visible_string(version)]),
            enc.structure([enc.obis("0-0:96.1.0.255"), enc.visible_string("1234  ")]),
            enc.structure([enc.obis("1-0:1.7.0.255"), enc.double_long_unsigned(w)]),
        ])))

    frames = [push("OTHER", 1), push("V1", 2), push("V1", 3), push("OTHER", 4), push("V1", 5)]
    want = ["1234", "1234  ", "1234  ", "1234", "1234  "]  # generic trims, the bytes kind does not
    assert [impl.decode_frame(f, ps).meter_id for f in frames] == want
    assert batch(b"".join(frames), ps).meter_id == want
    assert batch(frames, ps).meter_id == want


def test_f15_decode_apdu_input_is_capped(impl) -> None:  # type: ignore[no-untyped-def]
    from amsparse._options import MAX_APDU_INPUT

    assert MAX_APDU_INPUT == 65536
    big = b"\x0f\x40\x00\x00\x00\x00\x01\x82\xff\xff" + b"\x00" * (MAX_APDU_INPUT - 10)  # 65535 nulls
    assert len(big) == MAX_APDU_INPUT
    with pytest.raises(amsparse.ApduError):  # accepted in size; positional list no profile names
        impl.decode_apdu(big)
    with pytest.raises(amsparse.ApduError, match="larger than decode_apdu accepts"):
        impl.decode_apdu(big + b"\x00")
    with pytest.raises(amsparse.ApduError, match="larger than decode_apdu accepts"):
        impl.decode_apdu(bytes(24 << 20))


@pytest.mark.parametrize("hundredths,ok", [(0x00, True), (0x63, True), (0xFF, True), (0x64, False), (0xFE, False)])
def test_f17_out_of_range_hundredths_give_no_datetime(impl, hundredths, ok) -> None:  # type: ignore[no-untyped-def]
    clock = bytes.fromhex("07E6050504150A00") + bytes((hundredths,)) + bytes.fromhex("800000")
    frame = enc.encode_frame(enc.data_notification(enc.array([
        enc.structure([enc.obis("1-0:1.7.0.255"), enc.double_long_unsigned(5)]),
    ]), header=clock))
    for _ in range(2):  # object path, then the cached path
        f = impl.decode_frame(frame)
        assert f.header_clock.hundredths == (None if hundredths == 0xFF else hundredths)
        assert (f.header_time is not None) == ok
        if ok:
            assert f.header_time.microsecond == (0 if hundredths == 0xFF else hundredths * 10_000)
    t = _batch._decode_batch([frame, frame], None, None, None, impl)
    assert (t.header_time[1] != _batch.NAT) == ok


# --------------------------------------------------------------------------- F6 (fake-header floods)

def _fake_header(length: int) -> bytes:
    """A flag and a type-3 header with a good HCS (test encoder's CRC) claiming ``length``."""
    h = bytes((0xA0 | (length >> 8), length & 0xFF, 0x41, 0x08, 0x83, 0x13))
    return b"\x7e" + h + enc.crc16_x25(h).to_bytes(2, "little")


def _f6_flood(units: int) -> tuple[bytes, list[int]]:
    """Every 16 bytes a header claiming the maximum length (2047: the frame is
    2049 bytes), whose closing-flag position holds a later header's flag, so
    each is judged by its FCS; filler differs per unit (every FCS differs).
    GOOD_A sits inside the claimed span of the headers before it.  -> (flood,
    header offsets)."""
    out, starts = bytearray(), []
    for u in range(units):
        if u == units // 2:
            out += GOOD_A
        starts.append(len(out))
        filler = bytes(((u * 7 + j) % 0x7D) + 1 for j in range(7))  # never 0x7E
        out += _fake_header(2047) + filler
    return bytes(out), starts


def _crc_bytes_run() -> int:
    """Bytes run through the CRC by FCS checks so far (both scanner twins and
    the rejected-candidate errors, which use the Python twin's registers)."""
    try:
        from amsparse import _scan_c
    except ImportError:  # pragma: no cover - no compiled core built
        return _scan_py.fcs_bytes()
    return _scan_py.fcs_bytes() + _scan_c.fcs_bytes()


@pytest.mark.parametrize("chunk", [1 << 20, 4096, 16])
def test_f6_fake_header_flood_stream(stream, chunk) -> None:  # type: ignore[no-untyped-def]
    """Each byte goes through the CRC a bounded number of times (not once per
    header whose span covers it: ~128 times here before the fix); nothing is
    lost (the good frame inside the spans is decoded) and every rejection's
    error is the exact parse_hdlc one, FCS value included (computed here with
    the test encoder's CRC)."""
    flood, starts = _f6_flood(600)
    n = len(flood)
    dec = stream()
    before = _crc_bytes_run()
    events = []
    for i in range(0, n, chunk):
        events += dec.feed(flood[i : i + chunk])
    events += dec.flush()
    used = _crc_bytes_run() - before
    assert used <= 10 * n + 4 * 2050, used  # stored registers: 1/byte; <= 2 * 64 per 16-byte header
    decoded = [e for e in events if type(e) is FrameDecoded]
    assert [e.raw for e in decoded] == [GOOD_A]
    rejected = [e for e in events if type(e) is FrameRejected]
    assert len(rejected) == len(starts)  # one rejection per header, in order
    complete = 0
    for s, e in zip(starts, rejected):
        nxt = flood.find(b"\x7e", s + 1)  # the documented raw: up to the next flag inside
        assert e.raw == flood[s : min(nxt if nxt > 0 else n, s + 2049, n)]
        if s + 2049 > n:
            assert isinstance(e.error, amsparse.IncompleteFrameError)
        elif flood[s + 2048] != 0x7E:
            assert isinstance(e.error, amsparse.FrameError) and "does not end with the 0x7E flag" in str(e.error)
        else:
            complete += 1
            if complete % 37 == 1:  # a sample: the pure-Python CRC is slow
                err = e.error
                assert isinstance(err, amsparse.ChecksumError) and err.kind == "FCS"
                assert err.expected == enc.crc16_x25(flood[s + 1 : s + 2046])
                assert err.found == flood[s + 2046] | flood[s + 2047] << 8
    assert complete > 300


def test_f6_fake_header_flood_batch(batch) -> None:  # type: ignore[no-untyped-def]
    flood, starts = _f6_flood(600)
    before = _crc_bytes_run()
    t = batch(flood)
    used = _crc_bytes_run() - before
    assert used <= 10 * len(flood) + 4 * 2050, used
    assert len(t) == len(starts) + 1 and list(t.status).count(0) == 1
    # the same errors as the stream gives, in order
    dec = StreamDecoder()
    events = dec.feed(flood) + dec.flush()
    want = [f"{type(e.error).__name__}: {e.error}" for e in events if type(e) is FrameRejected]
    got = [t.errors[i] for i in range(len(t)) if t.status[i] != 0]
    assert got == want
