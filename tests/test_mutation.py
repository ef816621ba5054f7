"""Mutated frames: truncation, length-field changes, bit flips, byte
insertion/deletion.  Every outcome is a DecodeError subclass or a complete
Frame — never another exception, never a hang — and a mutated frame that still
decodes must carry valid HCS/FCS (the mutation hit nothing, or produced a CRC
collision; asserted explicitly with the test encoder's own CRC).

Also the twin equivalence (Cython core vs Python twin) on arbitrary bytes and
on mutations of *generated* frames; tests/test_equivalence.py covers the corpus
frames themselves.
"""

from __future__ import annotations

import math
import random
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpusdata  # noqa: E402
import encoder as E  # noqa: E402

from amsparse import DecodeError, Frame  # noqa: E402

HERE = Path(__file__).resolve().parent
SLOW = 2.0  # seconds; one decode of a <= 2 KiB frame taking this long is a hang


def load_corpus() -> list[tuple[str, bytes]]:
    """HDLC, unencrypted corpus frames, deduplicated."""
    seen: dict[bytes, str] = {}
    for rid, raw in corpusdata.hdlc_frames():
        seen.setdefault(raw, rid)
    return [(i, b) for b, i in seen.items()]


CORPUS = load_corpus()


def outcome(decode, data: bytes):  # type: ignore[no-untyped-def]
    """("ok", frame) or ("err", type, offset); anything else fails the test."""
    t0 = time.perf_counter()
    try:
        result = decode(data)
    except DecodeError as e:
        res: tuple = ("err", type(e), e.offset)  # type: ignore[type-arg]
    except Exception as e:  # pragma: no cover - this is the bug we look for
        raise AssertionError(f"{type(e).__name__} (not a DecodeError) on {data.hex()}: {e!r}") from e
    else:
        assert isinstance(result, Frame), type(result)
        # a complete result: every reading materialises
        assert [r.name for r in result.readings] == list(result._names)
        res = ("ok", result)
    assert time.perf_counter() - t0 < SLOW, f"decode took too long on {data.hex()}"
    return res


def check_mutant(decode, original: bytes, mutated: bytes) -> tuple:  # type: ignore[no-untyped-def,type-arg]
    res = outcome(decode, mutated)
    if res[0] == "ok" and mutated != original:
        assert E.crcs_valid(mutated), (
            f"mutated frame decoded although its HCS/FCS do not verify: {mutated.hex()}"
        )
    return res


# --------------------------------------------------------------------------- nan-aware equality

def _same(a, b) -> bool:  # type: ignore[no-untyped-def]
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if type(a) is not type(b):
        return False
    if hasattr(a, "utcoffset") and a is not None and hasattr(a, "tzinfo"):
        return a == b and a.utcoffset() == b.utcoffset()
    return bool(a == b)


def assert_twins(c_mod, py_mod, data: bytes, fn: str = "decode_frame", **kw) -> None:  # type: ignore[no-untyped-def]
    rc = outcome(lambda d: getattr(c_mod, fn)(d, **kw), data)
    rp = outcome(lambda d: getattr(py_mod, fn)(d, **kw), data)
    assert rc[0] == rp[0], f"cython {rc[:3]!r} vs python {rp[:3]!r} on {data.hex()}"
    if rc[0] == "err":
        assert rc[1:] == rp[1:], f"cython {rc!r} vs python {rp!r} on {data.hex()}"
    else:
        assert _same(rc[1]._key(), rp[1]._key()), f"frames differ on {data.hex()}"


# --------------------------------------------------------------------------- deterministic corpus mutations

def corpus_mutants(frame: bytes, rng: random.Random):  # type: ignore[no-untyped-def]
    n = len(frame)
    for k in range(n):  # every truncation
        yield "truncate", frame[:k]
    for i in range(n):  # one bit flip per byte (bit varies), every deletion, an insertion per position
        b = bytearray(frame)
        b[i] ^= 1 << rng.randrange(8)
        yield "flip", bytes(b)
        yield "delete", frame[:i] + frame[i + 1 :]
        yield "insert", frame[:i] + bytes((rng.randrange(256),)) + frame[i:]
    for delta in (-3, -2, -1, 1, 2, 3, 0x100, -0x100):  # HDLC length field
        length = (((frame[1] & 0x07) << 8) | frame[2]) + delta
        if 0 <= length <= 0x7FF:
            b = bytearray(frame)
            b[1] = (b[1] & 0xF8) | (length >> 8)
            b[2] = length & 0xFF
            yield "length", bytes(b)


@pytest.mark.skipif(not CORPUS, reason="no corpus file found")
def test_corpus_mutations(impl) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(20261128)
    counts = {"ok": 0, "err": 0}
    for fid, frame in CORPUS:
        for kind, mutated in corpus_mutants(frame, rng):
            res = check_mutant(impl.decode_frame, frame, mutated)
            counts[res[0]] += 1
            if kind == "truncate":
                assert res[0] == "err", (fid, kind)
    assert counts["err"] > 0


@pytest.mark.skipif(not CORPUS, reason="no corpus file found")
def test_corpus_mutations_past_checksums(impl) -> None:  # type: ignore[no-untyped-def]
    """The same mutations with HCS/FCS recomputed, so they reach the LLC, APDU
    and A-XDR parsers: DecodeError or a Frame, nothing else."""
    rng = random.Random(7)
    for _fid, frame in CORPUS:
        n = len(frame)
        for i in range(3, n - 3):  # one mutation per byte: a bit flip or a telling value
            b = bytearray(frame)
            if i & 1:
                b[i] ^= 1 << rng.randrange(8)
            else:
                b[i] = rng.choice((0x00, 0x7F, 0x80, 0x81, 0x82, 0x84, 0xFF, rng.randrange(256)))
            outcome(impl.decode_frame, E.fix_crcs(bytes(b)))


# --------------------------------------------------------------------------- hypothesis: generated frames

hypothesis = pytest.importorskip("hypothesis")
import strategies as S  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_HS = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.mark.hypothesis
@given(data=st.data())
@_HS
def test_generated_mutations(impl, data) -> None:  # type: ignore[no-untyped-def]
    case = data.draw(S.any_case(), label="case")
    kind, mutated = data.draw(S.mutations(case.frame), label="mutation")
    res = check_mutant(lambda d: impl.decode_frame(d, profile=case.profile_arg), case.frame, mutated)
    if kind == "truncate":
        assert res[0] == "err"


@pytest.mark.hypothesis
@given(data=st.data())
@_HS
def test_generated_mutations_past_checksums(impl, data) -> None:  # type: ignore[no-untyped-def]
    case = data.draw(S.any_case(), label="case")
    _, mutated = data.draw(S.mutations(case.frame), label="mutation")
    outcome(lambda d: impl.decode_frame(d, profile=case.profile_arg), E.fix_crcs(mutated))
    # the bare APDU too (no HDLC around it)
    _, apdu = data.draw(S.mutations(E.LLC + case.apdu), label="apdu mutation")
    outcome(lambda d: impl.decode_apdu(d, profile=case.profile_arg), apdu)


@pytest.mark.hypothesis
@given(data=st.binary(max_size=600))
@_HS
def test_arbitrary_bytes(impl, data: bytes) -> None:  # type: ignore[no-untyped-def]
    outcome(impl.decode_frame, data)
    outcome(impl.decode_apdu, data)


@pytest.mark.hypothesis
@given(body=st.binary(max_size=400), header=st.sampled_from([b"\x00", b"\x0c" + bytes(12), b"\x09\x0c" + bytes(12)]))
@_HS
def test_arbitrary_body_in_valid_frame(impl, body: bytes, header: bytes) -> None:  # type: ignore[no-untyped-def]
    """Random A-XDR bytes behind a valid LLC + notification header + HDLC."""
    frame = E.encode_frame(b"\x0f\x40\x00\x00\x00" + header + body)
    check_mutant(impl.decode_frame, frame, frame)


# --------------------------------------------------------------------------- twin equivalence (generated)

@pytest.mark.hypothesis
@given(data=st.binary(max_size=600))
@_HS
def test_twins_arbitrary_bytes(both, data: bytes) -> None:  # type: ignore[no-untyped-def]
    c_mod, py_mod = both
    assert_twins(c_mod, py_mod, data)
    assert_twins(c_mod, py_mod, data, "decode_apdu")
    assert_twins(c_mod, py_mod, E.encode_frame(data, b"\x41", b"\x08\x83"))


@pytest.mark.hypothesis
@given(data=st.data())
@_HS
def test_twins_generated_frames(both, data) -> None:  # type: ignore[no-untyped-def]
    c_mod, py_mod = both
    case = data.draw(S.any_case(), label="case")
    assert_twins(c_mod, py_mod, case.frame, profile=case.profile_arg)
    _, mutated = data.draw(S.mutations(case.frame), label="mutation")
    assert_twins(c_mod, py_mod, mutated, profile=case.profile_arg)
    assert_twins(c_mod, py_mod, E.fix_crcs(mutated), profile=case.profile_arg)
    _, apdu = data.draw(S.mutations(E.LLC + case.apdu), label="apdu mutation")
    assert_twins(c_mod, py_mod, apdu, "decode_apdu", profile=case.profile_arg)


@pytest.mark.hypothesis
@given(values=st.lists(S.axdr_values(), max_size=6), pairs=st.booleans())
@_HS
def test_twins_axdr_values(both, values, pairs: bool) -> None:  # type: ignore[no-untyped-def]
    c_mod, py_mod = both
    if pairs:
        items = [x for i, v in enumerate(values) for x in (E.obis(bytes((1, 0, 99, 0, i, 255))), v[0])]
    else:
        items = [v[0] for v in values]
    frame = E.encode_frame(E.data_notification(E.structure(items), 0x40000000, bytes(12)), b"\x01", b"\x02\x01", 0x10)
    if len(frame) <= E.MAX_HDLC_LENGTH:
        assert_twins(c_mod, py_mod, frame)


# --------------------------------------------------------------------------- stream decoder

@pytest.mark.hypothesis
@given(data=st.data())
@_HS
def test_stream_never_raises(data) -> None:  # type: ignore[no-untyped-def]
    import amsparse

    if not hasattr(amsparse, "StreamDecoder"):
        pytest.skip("no StreamDecoder yet")
    cases = data.draw(st.lists(S.any_case(), min_size=1, max_size=3), label="cases")
    parts = []
    for c in cases:
        if data.draw(st.booleans()):
            parts.append(data.draw(S.mutations(c.frame))[1])
        else:
            parts.append(c.frame)
        parts.append(data.draw(st.binary(max_size=8)))
    stream = b"".join(parts)
    dec = amsparse.StreamDecoder()
    pos = 0
    while pos < len(stream):
        step = data.draw(st.integers(1, 64))
        for ev in dec.feed(stream[pos : pos + step]):
            raw = getattr(ev, "raw", b"")
            if type(ev).__name__ == "FrameDecoded" and len(raw) == (((raw[1] & 7) << 8) | raw[2]) + 2:
                assert E.crcs_valid(raw), raw.hex()  # a single frame decoded: its CRCs verify
        pos += step
    dec.flush()


# --------------------------------------------------------------------------- regression inputs (fuzzer findings)

REGRESSIONS: list[bytes] = [
    # add crashing inputs found by fuzz/ here (hex), e.g. bytes.fromhex("7ea0...")
]


@pytest.mark.parametrize("data", REGRESSIONS or [b""], ids=lambda d: d.hex()[:24] or "empty")
def test_regressions(impl, data: bytes) -> None:  # type: ignore[no-untyped-def]
    outcome(impl.decode_frame, data)
    outcome(impl.decode_apdu, data)


def _kamstrup_with_header(clock: bytes) -> bytes:
    body = E.structure([E.visible_string("Kamstrup_V0001"), E.obis("1-1:0.0.5.255"), E.visible_string("1")])
    return E.encode_frame(E.data_notification(body, 0, clock, E.HEADER_0C), b"\x2b", b"\x21", 0x13)


# Found by the property tests' odd clocks (2026-11-28): a clock at the very
# edge of datetime's range under the "standard" clock policy (Kamstrup) made
# _clock.to_datetime compute ``wall - std_offset`` below year 1 and raise
# OverflowError out of decode_frame (both backends: the clock code is shared).
# A clock that cannot be represented must decode with time None.
CLOCK_EDGES = [
    ("kamstrup-year1-std", E.cosem_datetime(1, 1, 1, 1, 0, 30, 0, None, None, 0), None),
    ("kamstrup-year9999-std-tz", E.cosem_datetime(9999, 12, 31, 5, 23, 30, 0, None, None, 0),
     "America/New_York"),
]


@pytest.mark.parametrize(("clock", "tz"), [c[1:] for c in CLOCK_EDGES], ids=[c[0] for c in CLOCK_EDGES])
def test_regression_clock_out_of_datetime_range(impl, clock: bytes, tz) -> None:  # type: ignore[no-untyped-def]
    frame = _kamstrup_with_header(clock)
    res = outcome(lambda d: impl.decode_frame(d, tz=tz), frame)
    assert res[0] == "ok", res
    assert res[1].header_time is None
