"""Differential tests: the Cython core against the pure-Python twin.

Both backends must give equal results (``Frame.__eq__``) or raise the same
exception (type, args, offset) on every input, and only
:class:`amsparse.DecodeError` subclasses on bad bytes.  Inputs: the real frame
corpus, systematic mutations of it (truncation, bit flips, length field,
inserted/deleted bytes; both as-is and with the checksums repaired so the
mutation reaches the A-XDR walker), the inner APDUs, and hypothesis-generated
bytes and A-XDR trees.
"""

from __future__ import annotations

import math
import random
import struct
from pathlib import Path
from typing import Any, Callable

import corpusdata
import pytest

from amsparse._errors import DecodeError

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FRAMES = corpusdata.hdlc_frames()
FRAME_IDS = [i for i, _ in FRAMES]


# --------------------------------------------------------------------------- helpers

def _norm(x: Any) -> Any:
    """Make NaN compare equal to NaN (Frame equality with NaN is False)."""
    if isinstance(x, float) and math.isnan(x):
        return ("nan",)
    if isinstance(x, tuple):
        return tuple(_norm(v) for v in x)
    if isinstance(x, list):
        return [_norm(v) for v in x]
    return x


def outcome(fn: Callable[..., Any], *args: Any, **kw: Any) -> tuple[Any, ...]:
    try:
        r = fn(*args, **kw)
    except DecodeError as e:
        return ("error", type(e), e.args, e.offset, getattr(e, "needed", None),
                getattr(e, "tag", None), getattr(e, "kind", None))
    except Exception as e:  # noqa: BLE001 - anything else is a bug in both or one
        return ("other", type(e), e.args)
    key = r._key() if hasattr(r, "_key") else r
    return ("ok", _norm(key))


def same(both: Any, name: str, data: Any, **kw: Any) -> tuple[Any, ...]:
    c, p = both
    oc = outcome(getattr(c, name), data, **kw)
    op = outcome(getattr(p, name), data, **kw)
    assert oc == op, f"{name}({bytes(data).hex()}): cython {oc!r} != python {op!r}"
    assert oc[0] != "other", f"{name}({bytes(data).hex()}) raised a non-DecodeError: {oc!r}"
    return oc


def crc(data: bytes) -> int:
    c = 0xFFFF
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ 0x8408 if c & 1 else c >> 1
    return c ^ 0xFFFF


def wrap_hdlc(info: bytes, dest: bytes = b"\x41", src: bytes = b"\x08\x83", control: int = 0x13) -> bytes:
    """A well-formed HDLC frame around ``info`` (checksums computed)."""
    hdr_len = 2 + len(dest) + len(src) + 1 + 2  # format, addresses, control, HCS
    length = hdr_len + len(info) + 2  # + FCS
    if length > 0x7FF:
        raise ValueError("too long")
    fmt = bytes([0xA0 | (length >> 8), length & 0xFF])
    head = fmt + dest + src + bytes([control])
    h = crc(head)
    body = head + bytes([h & 0xFF, h >> 8]) + info
    f = crc(body)
    return b"\x7e" + body + bytes([f & 0xFF, f >> 8]) + b"\x7e"


def refix(frame: bytes) -> bytes | None:
    """Recompute length, HCS and FCS of a (mutated) frame so that the mutation
    reaches the APDU layer; ``None`` if the header itself no longer parses."""
    if len(frame) < 12 or frame[0] != 0x7E or frame[-1] != 0x7E:
        return None
    # addresses of the original corpus frames: dest 1 byte, source 2 bytes (mostly);
    # find the header end by walking the addresses like the decoder does
    pos = 3
    for _ in range(2):
        for n in range(4):
            if pos + n >= len(frame) - 3:
                return None
            if frame[pos + n] & 1:
                if n == 2:
                    return None
                pos += n + 1
                break
        else:
            return None
    ctrl_end = pos + 1
    info = frame[ctrl_end + 2 : -3]
    dest_src = frame[3:pos]
    try:
        # re-split addresses: first address ends at the first odd byte
        for i, b in enumerate(dest_src):
            if b & 1:
                dest, src = dest_src[: i + 1], dest_src[i + 1 :]
                break
        return wrap_hdlc(info, dest, src, frame[pos])
    except (ValueError, UnboundLocalError):
        return None


def info_of(frame: bytes) -> bytes:
    from amsparse import _decode_py

    _, _, _, _, s, e = _decode_py.parse_hdlc(frame)
    return frame[s:e]


# --------------------------------------------------------------------------- corpus

def test_corpus_present() -> None:
    if not FRAMES:
        pytest.skip("frame corpus not available")
    assert len(FRAMES) > 50


@pytest.mark.parametrize("frame", [f for _, f in FRAMES], ids=FRAME_IDS)
def test_corpus_frames_equal(both: Any, frame: bytes) -> None:
    same(both, "decode_frame", frame)
    same(both, "parse_hdlc", frame)
    same(both, "decode_frame", bytearray(frame))
    same(both, "decode_frame", memoryview(frame))
    c, p = both
    assert c.fcs16(frame) == p.fcs16(frame)
    assert c.fcs16(frame, 1, len(frame) - 3) == p.fcs16(frame, 1, len(frame) - 3)
    # the inner APDU, with and without the LLC header, and with a tz override
    try:
        info = info_of(frame)
    except DecodeError:
        return
    same(both, "decode_apdu", info)
    same(both, "decode_apdu", info[3:])
    same(both, "decode_apdu", info, source=0x0883)
    same(both, "decode_frame", frame, tz="UTC")


def test_corpus_decodes_mostly(both: Any) -> None:
    if not FRAMES:
        pytest.skip("frame corpus not available")
    ok = sum(same(both, "decode_frame", f)[0] == "ok" for _, f in FRAMES)
    assert ok >= len(FRAMES) // 2


def test_profile_argument(both: Any) -> None:
    if not FRAMES:
        pytest.skip("frame corpus not available")
    from amsparse import builtin_profiles

    ids = [p.id for p in builtin_profiles()] + ["generic"]
    for _, frame in FRAMES[:: max(1, len(FRAMES) // 15)]:
        for pid in ids:
            same(both, "decode_frame", frame, profile=pid)
    c, p = both
    with pytest.raises(ValueError) as ec:
        c.decode_frame(FRAMES[0][1], profile="no-such-profile")
    with pytest.raises(ValueError) as ep:
        p.decode_frame(FRAMES[0][1], profile="no-such-profile")
    assert str(ec.value) == str(ep.value)


def test_keyword_variants(both: Any) -> None:
    if not FRAMES:
        pytest.skip("frame corpus not available")
    from amsparse import builtin_profiles

    ps = builtin_profiles()
    for _, frame in FRAMES[:: max(1, len(FRAMES) // 20)]:
        same(both, "decode_frame", frame, profiles=ps)
        try:
            info = info_of(frame)
        except DecodeError:
            continue
        for kw in (dict(source=2**70), dict(source=-5), dict(source=0x0883), dict(profile=ps["generic"]),
                   dict(tz="UTC"), dict(tz="America/New_York")):
            same(both, "decode_apdu", info, **kw)
    c, p = both
    for bad in (5, None, [0x7E, 0xA0]):
        for name in ("decode_frame", "decode_apdu", "parse_hdlc"):
            oc, op = outcome(getattr(c, name), bad), outcome(getattr(p, name), bad)
            assert oc[:2] == op[:2], (name, bad, oc, op)


def test_frame_templates_respect_the_arguments(both: Any) -> None:
    """The compiled core reuses the walk of a frame it has seen (a template per
    shape and meter): the same bytes under other profiles, zones or profile
    sets, interleaved, must still decode as the twin decodes them."""
    if not FRAMES:
        pytest.skip("frame corpus not available")
    from amsparse import builtin_profiles, load_profiles

    other_set = load_profiles(Path(__file__).resolve().parents[1] / "vendor_profiles")
    variants = [{}, dict(tz="UTC"), dict(profile="generic"), dict(profiles=other_set),
                dict(profiles=builtin_profiles(), tz="America/New_York"), dict(profile="kamstrup-v0001-se")]
    for _, frame in FRAMES[:: max(1, len(FRAMES) // 12)]:
        for _ in range(2):
            for kw in variants:
                same(both, "decode_frame", frame, **kw)


def test_fcs16(both: Any) -> None:
    c, p = both
    assert c.fcs16(b"123456789") == 0x906E == p.fcs16(b"123456789")
    for data, a, b in [(b"", 0, None), (b"abc", 1, None), (b"abcdef", -3, None), (b"abcdef", 2, 100),
                       (bytearray(b"\x7e\xa0"), 0, 1), (memoryview(b"xyz"), 0, 2)]:
        assert c.fcs16(data, a, b) == p.fcs16(data, a, b)


# --------------------------------------------------------------------------- mutations

_SAMPLE = FRAMES[:: max(1, len(FRAMES) // 24)]  # ~24 frames of all vendors


@pytest.mark.parametrize("frame", [f for _, f in _SAMPLE], ids=[i for i, _ in _SAMPLE])
def test_mutations(both: Any, frame: bytes) -> None:
    rnd = random.Random(frame)
    n = len(frame)
    # truncation at every length, as-is and as an APDU
    info = frame[8:-3] if n > 11 else b""
    try:
        info = info_of(frame)
    except DecodeError:
        pass
    for k in range(n + 1):
        same(both, "decode_frame", frame[:k])
    for k in range(len(info) + 1):
        same(both, "decode_apdu", info[:k])
        fixed = refix(frame[: n - 3 - len(info) + k] + frame[-3:]) if k < len(info) else None
        if fixed is not None:
            same(both, "decode_frame", fixed)
    # single bit flips: raw (mostly checksum errors) and with checksums repaired
    for i in range(n):
        bit = 1 << rnd.randrange(8)
        m = bytearray(frame)
        m[i] ^= bit
        same(both, "decode_frame", bytes(m))
        fixed = refix(bytes(m))
        if fixed is not None:
            same(both, "decode_frame", fixed)
    for i in range(len(info)):
        for bit in (1 << rnd.randrange(8), 1 << rnd.randrange(8)):
            m = bytearray(info)
            m[i] ^= bit
            same(both, "decode_apdu", bytes(m))
        m = bytearray(info)
        m[i] = rnd.choice((0x00, 0x01, 0x02, 0x09, 0x0A, 0x0C, 0x7F, 0x80, 0x81, 0x84, 0x85, 0xFF))
        same(both, "decode_apdu", bytes(m))
    # the length field
    for delta in (-3, -2, -1, 1, 2, 3):
        m = bytearray(frame)
        length = (((m[1] & 0x07) << 8) | m[2]) + delta
        if 0 <= length <= 0x7FF:
            m[1] = (m[1] & 0xF8) | (length >> 8)
            m[2] = length & 0xFF
            same(both, "decode_frame", bytes(m))
    for v in (0, 1, 6, 7, 8, 0xFF, 0x7FF):
        m = bytearray(frame)
        m[1] = (m[1] & 0xF8) | (v >> 8)
        m[2] = v & 0xFF
        same(both, "decode_frame", bytes(m))
    # inserted / deleted bytes, raw and repaired
    for _ in range(60):
        i = rnd.randrange(n)
        m = bytearray(frame)
        if rnd.random() < 0.5:
            del m[i]
        else:
            m.insert(i, rnd.randrange(256))
        same(both, "decode_frame", bytes(m))
        fixed = refix(bytes(m))
        if fixed is not None:
            same(both, "decode_frame", fixed)
    for _ in range(60):
        if not info:
            break
        i = rnd.randrange(len(info))
        m = bytearray(info)
        if rnd.random() < 0.5:
            del m[i]
        else:
            m.insert(i, rnd.randrange(256))
        same(both, "decode_apdu", bytes(m))


def test_segmented_and_header_variants(both: Any) -> None:
    if not FRAMES:
        pytest.skip("frame corpus not available")
    frame = FRAMES[0][1]
    info = info_of(frame)
    m = bytearray(frame)
    m[1] |= 0x08
    same(both, "decode_frame", bytes(m))
    same(both, "decode_frame", refix(bytes(m)) or bytes(m))
    for dest, src in [(b"\x03", b"\x05"), (b"\x02\x03", b"\x00\x02\x04\x07"), (b"\x00\x02\x05", b"\x01"),
                      (b"\x00\x00\x00\x00\x01", b"\x01")]:
        try:
            f = wrap_hdlc(info, dest, src)
        except ValueError:
            continue
        same(both, "decode_frame", f)
    for tag in (0xDB, 0xDF, 0xE0, 0xD8, 0x0E, 0x00):
        same(both, "decode_apdu", b"\xe6\xe7\x00" + bytes([tag]) + info[4:])
        same(both, "decode_frame", wrap_hdlc(b"\xe6\xe7\x00" + bytes([tag]) + info[4:]))


# --------------------------------------------------------------------------- hypothesis

# ``both`` is a stateless pair of modules, safe to share between examples
_fixture_ok = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

@_fixture_ok
@given(st.binary(max_size=300))
def test_random_bytes(both: Any, data: bytes) -> None:
    same(both, "decode_frame", data)
    same(both, "decode_apdu", data)
    same(both, "parse_hdlc", data)
    c, p = both
    assert c.fcs16(data) == p.fcs16(data)


@_fixture_ok
@given(st.integers(0, 0xFF), st.binary(max_size=300))
def test_random_hdlc_prefix(both: Any, fmt: int, rest: bytes) -> None:
    data = b"\x7e" + bytes([0xA0 | (fmt & 0x0F), len(rest) + 2 & 0xFF]) + rest
    same(both, "decode_frame", data)
    same(both, "decode_frame", data + b"\x7e")


@_fixture_ok
@given(st.binary(max_size=400))
def test_random_info_wrapped(both: Any, info: bytes) -> None:
    same(both, "decode_frame", wrap_hdlc(info))
    same(both, "decode_frame", wrap_hdlc(b"\xe6\xe7\x00\x0f\x00\x00\x00\x01\x00" + info))
    same(both, "decode_apdu", b"\x0f\x40\x00\x00\x00\x00" + info)


# A-XDR trees: random well- and ill-formed data-notification bodies

def _enc_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


OBIS_CODES = [
    bytes([1, 0, 1, 7, 0, 255]), bytes([1, 0, 2, 7, 0, 255]), bytes([1, 1, 0, 2, 129, 255]),
    bytes([0, 0, 96, 1, 0, 255]), bytes([0, 0, 96, 1, 7, 255]), bytes([0, 0, 1, 0, 0, 255]),
    bytes([1, 0, 32, 7, 0, 255]), bytes([1, 0, 1, 8, 0, 255]), bytes([9, 9, 9, 9, 9, 9]),
    bytes([0, 1, 1, 0, 0, 255]), bytes([1, 0, 31, 7, 0, 255]),
]

_scalar = st.one_of(
    st.just(b"\x00"),
    st.builds(lambda v: b"\x03" + bytes([v]), st.integers(0, 255)),
    st.builds(lambda v: b"\x05" + struct.pack(">i", v), st.integers(-2**31, 2**31 - 1)),
    st.builds(lambda v: b"\x06" + struct.pack(">I", v), st.integers(0, 2**32 - 1)),
    st.builds(lambda v: b"\x0f" + struct.pack(">b", v), st.integers(-128, 127)),
    st.builds(lambda v: b"\x10" + struct.pack(">h", v), st.integers(-2**15, 2**15 - 1)),
    st.builds(lambda v: b"\x11" + bytes([v]), st.integers(0, 255)),
    st.builds(lambda v: b"\x12" + struct.pack(">H", v), st.integers(0, 2**16 - 1)),
    st.builds(lambda v: b"\x14" + struct.pack(">q", v), st.integers(-2**63, 2**63 - 1)),
    st.builds(lambda v: b"\x15" + struct.pack(">Q", v), st.integers(0, 2**64 - 1)),
    st.builds(lambda v: b"\x16" + bytes([v]), st.integers(0, 255)),
    st.builds(lambda v: b"\x0d" + bytes([v]), st.integers(0, 255)),
    st.builds(lambda v: b"\x17" + v, st.binary(min_size=4, max_size=4)),
    st.builds(lambda v: b"\x18" + v, st.binary(min_size=8, max_size=8)),
    st.builds(lambda v: b"\x19" + v, st.binary(min_size=12, max_size=12)),
    st.builds(lambda v: b"\x1a" + v, st.binary(min_size=5, max_size=5)),
    st.builds(lambda v: b"\x1b" + v, st.binary(min_size=4, max_size=4)),
    st.builds(lambda v: b"\x09" + _enc_len(len(v)) + v, st.binary(max_size=20)),
    st.builds(lambda v: b"\x09\x0c" + v, st.binary(min_size=12, max_size=12)),
    st.builds(lambda v: b"\x0a" + _enc_len(len(v)) + v, st.binary(max_size=20)),
    st.builds(lambda v: b"\x0a" + _enc_len(len(v)) + v,
              st.sampled_from([b"Kamstrup_V0001", b"AIDON_V0001", b"KFM_001", b"6841131BN243101040",
                               b"7359992890941742", b"1ESMI\x00\x00"])),
    st.builds(lambda v: b"\x0c" + _enc_len(len(v)) + v, st.binary(max_size=12)),
    st.builds(lambda n, v: b"\x04" + _enc_len(n) + v[: (n + 7) // 8], st.integers(0, 40),
              st.binary(min_size=5, max_size=5)),
    st.builds(lambda v: b"\x09\x06" + v, st.sampled_from(OBIS_CODES)),
    st.builds(lambda v: bytes([v]), st.integers(0, 255)),  # a bare (often bad) tag
)


def _container(children: list[bytes], tag: int) -> bytes:
    return bytes([tag]) + _enc_len(len(children)) + b"".join(children)


_axdr = st.recursive(
    _scalar,
    lambda inner: st.builds(_container, st.lists(inner, max_size=6), st.sampled_from([1, 2])),
    max_leaves=30,
)


def _obis_struct(obis: bytes, value: bytes, su: bytes | None) -> bytes:
    parts = [b"\x09\x06" + obis, value] + ([su] if su is not None else [])
    return _container(parts, 2)


_scaler_unit = st.one_of(
    st.none(),
    st.builds(lambda s, u: b"\x02\x02\x0f" + struct.pack(">b", s) + b"\x16" + bytes([u]),
              st.integers(-128, 127), st.integers(0, 255)),
    _axdr,
)

_obis_list = st.builds(
    _container,
    st.lists(st.builds(_obis_struct, st.sampled_from(OBIS_CODES), _scalar, _scaler_unit), min_size=1, max_size=8),
    st.sampled_from([1, 2]),
)


def _pairs(lead: bytes | None, pairs: list[tuple[bytes, bytes]]) -> bytes:
    parts = [] if lead is None else [lead]
    for o, v in pairs:
        parts += [o, v]
    return _container(parts, 2)


_pair_list = st.builds(
    _pairs,
    st.one_of(st.none(), _scalar),
    st.lists(st.tuples(st.one_of(st.builds(lambda o: b"\x09\x06" + o, st.sampled_from(OBIS_CODES)),
                                 st.just(b"\x00")), _scalar), min_size=1, max_size=8),
)

def _push_entry(cls: int, code: bytes, attr: int, idx: int) -> bytes:
    return _container([b"\x12" + struct.pack(">H", cls), b"\x09\x06" + code,
                       b"\x0f" + struct.pack(">b", attr), b"\x12" + struct.pack(">H", idx)], 2)


# self-describing push lists (L+G): the push object list first, then the values;
# the list's length, entry 0 and the entries' types sometimes off, attribute 3
# entries carrying scaler/unit structures (or not), logical device names that
# the L+G profile detects (or not)
_selfdesc_list = st.builds(
    lambda pairs, setup_cls, extra_entry, extra_val: _container(
        [_container([_push_entry(setup_cls, b"\x00\x08\x19\x09\x00\xff", 2, 0)]
                    + [_push_entry(*e) for e, _ in pairs] + extra_entry, 1)]
        + [v for _, v in pairs] + extra_val, 2),
    st.lists(st.tuples(
        st.tuples(st.sampled_from([1, 3, 8, 40]), st.sampled_from(OBIS_CODES + [b"\x00\x00\x2a\x00\x00\xff"]),
                  st.sampled_from([1, 2, 2, 2, 3]), st.sampled_from([0, 0, 1])),
        st.one_of(_scalar, _scaler_unit.filter(lambda v: v is not None),
                  st.sampled_from([b"\x09\x03LGZ", b"\x09\x04ISK1", b"\x0a\x05LGZ12"]))), max_size=7),
    st.sampled_from([40, 40, 40, 3]),
    st.sampled_from([[], [], [], [b"\x12\x00\x01"]]),
    st.sampled_from([[], [], [], [b"\x00"]]),
)

# OBIS/value/scaler triples between bare values (Kaifa MA309M, Austria)
_triples_list = st.builds(
    lambda lead, items, trail: _container(
        lead + [p for code, v, su in items for p in (b"\x09\x06" + code, v, su)] + trail, 2),
    st.lists(_scalar, max_size=2),
    st.lists(st.tuples(st.sampled_from(OBIS_CODES), _scalar,
                       _scaler_unit.filter(lambda v: v is not None)), max_size=12),
    st.lists(_scalar, max_size=2),
)

_header = st.one_of(st.just(b"\x00"), st.builds(lambda v: b"\x0c" + v, st.binary(min_size=12, max_size=12)),
                    st.builds(lambda v: b"\x09\x0c" + v, st.binary(min_size=12, max_size=12)),
                    st.just(b"\x0c\x07\xe8\x03\x1f\x07\x02\x00\x00\x00\xff\xc4\x80"))


@settings(max_examples=max(300, settings.default.max_examples),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(_header, st.one_of(_axdr, _obis_list, _pair_list, _selfdesc_list, _triples_list), st.binary(max_size=2),
       st.sampled_from([None, "UTC", "Europe/Oslo"]))
def test_axdr_trees(both: Any, header: bytes, body: bytes, tail: bytes, tz: str | None) -> None:
    apdu = b"\x0f\x00\x00\x00\x01" + header + body
    same(both, "decode_apdu", apdu, tz=tz)
    same(both, "decode_apdu", apdu + tail)
    same(both, "decode_apdu", b"\xe6\xe7\x00" + apdu, source=0x0883)
    try:
        frame = wrap_hdlc(b"\xe6\xe7\x00" + apdu)
    except ValueError:
        return
    same(both, "decode_frame", frame, tz=tz)


@_fixture_ok
@given(st.integers(0, 40), st.sampled_from([1, 2]))
def test_deep_nesting(both: Any, depth: int, tag: int) -> None:
    body = bytes([tag, 1]) * depth + b"\x11\x05"
    same(both, "decode_apdu", b"\x0f\x00\x00\x00\x01\x00" + body)


@_fixture_ok
@given(st.sampled_from([0x01, 0x02, 0x04, 0x09, 0x0A, 0x0C]), st.integers(0x80, 0x8F),
       st.binary(max_size=6))
def test_long_length_prefixes(both: Any, tag: int, prefix: int, rest: bytes) -> None:
    same(both, "decode_apdu", b"\x0f\x00\x00\x00\x01\x00" + bytes([tag, prefix]) + rest)
    same(both, "decode_apdu", b"\x0f\x00\x00\x00\x01\x00" + bytes([tag, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]) + rest)


# --- frame templates under generated streams: same shapes, other values (ids,
# types, clocks, readings) in random order, decoded by the core against the twin

import sys as _sys  # noqa: E402

_sys.path.insert(0, str(Path(__file__).resolve().parent))
from strategies import valid_frames  # noqa: E402


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(valid_frames(), min_size=2, max_size=8), st.randoms(use_true_random=False))
def test_generated_streams_object_api(both: Any, frames: list[bytes], order: Any) -> None:
    stream = frames * 2
    order.shuffle(stream)
    for raw in stream:
        same(both, "decode_frame", raw)
