"""decode(encode(readings)) == readings, for every shipped vendor profile, on
both backends.  Frames come from the test-only encoder (tests/encoder.py);
expected values are computed here, independently of the decoders."""

from __future__ import annotations

import datetime as _dt
import math
import struct
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

hypothesis = pytest.importorskip("hypothesis")
import encoder as E  # noqa: E402
import strategies as S  # noqa: E402
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from amsparse import CosemDateTime, ObisCode  # noqa: E402

pytestmark = pytest.mark.hypothesis

_UTC = _dt.timezone.utc
# Standard (winter) UTC offsets of the zones the profiles use, in minutes.
_STANDARD = {"Europe/Oslo": 60, "Europe/Stockholm": 60, "UTC": 0}


# --------------------------------------------------------------------------- expectations

def expected_raw_clock(c: S.Clock) -> CosemDateTime:
    return CosemDateTime(c.year, c.month, c.day, c.weekday, c.hour, c.minute, c.second,
                         c.hundredths, c.deviation, c.status)


def expected_time(c: S.Clock, zone: str, policy: str) -> _dt.datetime | None:
    """The aware datetime a clock must decode to under the profile's policy."""
    if c.status is not None and c.status & 0x01:
        return None  # invalid clock
    if None in (c.year, c.month, c.day, c.hour, c.minute, c.second):
        return None  # wildcards
    if c.hundredths is not None and c.hundredths > 99:
        return None  # hundredths 0x64..0xFE: out of range (docs/clocks.md)
    us = 0 if c.hundredths is None else c.hundredths * 10_000
    try:
        naive = _dt.datetime(c.year, c.month, c.day, c.hour, c.minute, c.second, us)  # type: ignore[arg-type]
    except ValueError:
        return None  # impossible date/time
    if policy == "standard":
        # the zone's standard offset on that date (CET for Norway/Sweden since
        # 1895; local mean time before, e.g. +00:43 for Oslo in year 1)
        probe = naive.replace(tzinfo=ZoneInfo(zone))
        std = probe.utcoffset() - probe.dst()  # type: ignore[operator]
        if naive.year > 1900:
            assert std == _dt.timedelta(minutes=_STANDARD[zone])
        try:
            utc = naive - std
        except OverflowError:
            return None  # outside datetime's range: no datetime
        return utc.replace(tzinfo=_UTC).astimezone(ZoneInfo(zone))
    if policy == "deviation" and c.deviation is not None:
        if not -840 <= c.deviation <= 840:
            return None
        return naive.replace(tzinfo=_dt.timezone(_dt.timedelta(minutes=-c.deviation)))
    return naive.replace(tzinfo=ZoneInfo(zone))


def scaled(raw: int | float, scaler: int) -> int | float:
    if scaler == 0:
        return raw
    if scaler > 0:
        return raw * 10**scaler
    return raw / 10 ** (-scaler)


def same_time(got: _dt.datetime | None, want: _dt.datetime | None) -> bool:
    if got is None or want is None:
        return got is None and want is None
    return got == want and got.utcoffset() == want.utcoffset() and got.replace(tzinfo=None) == want.replace(tzinfo=None)


def check_case(frame, case: S.Case, address: object = "frame") -> None:  # type: ignore[no-untyped-def]
    assert frame.profile_id == case.profile_id
    assert frame.list_name == case.list_name
    assert frame.list_version == case.list_version
    assert frame.meter_id == case.meter_id
    assert frame.meter_type == case.meter_type
    assert frame.invoke_id == case.invoke_id
    assert frame.address == (case.address if address == "frame" else address)
    if case.header is None:
        assert frame.header_clock is None and frame.header_time is None
    else:
        assert frame.header_clock == expected_raw_clock(case.header)
        want = expected_time(case.header, case.zone, case.policy)
        assert same_time(frame.header_time, want), (frame.header_time, want, case.header)
    readings = frame.readings
    assert [r.name for r in readings] == [e.name for e in case.readings]
    for r, e in zip(readings, case.readings):
        assert r.obis == ObisCode.from_int(e.obis), e.name
        if e.kind == "clock":
            assert r.raw == expected_raw_clock(e.raw), e.name
            assert r.scaler == 0 and r.unit is None
            want = expected_time(e.raw, case.zone, case.policy)
            assert same_time(r.value, want), (e.name, r.value, want, e.raw)
        elif e.kind == "string":
            assert r.raw == e.raw and type(r.raw) is str, e.name
            assert r.value == e.raw.rstrip("\x00 ")
            assert r.scaler == 0 and r.unit is None
        else:
            assert r.raw == e.raw and type(r.raw) is int, e.name
            assert r.scaler == e.scaler, (e.name, r.scaler, e.scaler)
            assert (None if e.unit < 0 else e.unit) == r.unit, e.name
            want = scaled(e.raw, e.scaler)
            assert type(r.value) is type(want) and r.value == want, (e.name, r.value, want)
    assert len(frame) == len(case.readings)


def _decode(impl, case: S.Case):  # type: ignore[no-untyped-def]
    return impl.decode_frame(case.frame, profile=case.profile_arg)


# --------------------------------------------------------------------------- tests

GRID = [(p, v) for p in sorted(S.VARIANTS) for v in S.VARIANTS[p]]


@pytest.mark.parametrize(("profile_id", "variant"), GRID, ids=[f"{p}:{v}" for p, v in GRID])
@given(data=st.data())
@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    max_examples=max(10, settings.default.max_examples // 4),  # ~30 variants x 2 backends
)
def test_roundtrip_profile(impl, profile_id: str, variant: str, data) -> None:  # type: ignore[no-untyped-def]
    case = data.draw(S.case_for(profile_id, variant), label="case")
    assert case.profile_id == profile_id
    assert E.crcs_valid(case.frame)
    check_case(_decode(impl, case), case)
    # the APDU without HDLC decodes the same (address None); LLC optional
    apdu_frame = impl.decode_apdu(E.LLC + case.apdu, profile=case.profile_arg,
                                  source=case.address[1])
    assert apdu_frame.address is None
    assert apdu_frame.readings == _decode(impl, case).readings


@given(case=S.any_case(), addr_sizes=st.tuples(st.sampled_from([1, 2, 4]), st.sampled_from([1, 2, 4])),
       logical=st.tuples(st.integers(0, 0x7F), st.integers(0, 0x3FFF)))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_any_address_size(impl, case: S.Case, addr_sizes, logical) -> None:  # type: ignore[no-untyped-def]
    """Destination/source of 1, 2 or 4 bytes are parsed; positional lists pick
    their profile by source address, so keep the source for those."""
    dest = E.make_address(logical[0], addr_sizes[0])
    src = case.src if case.profile_id == "kaifa-kfm001" or case.list_name in ("list1", "se-27") \
        else E.make_address(logical[1] & ((1 << (7 * addr_sizes[1])) - 1), addr_sizes[1])
    frame = E.encode_frame(case.apdu, dest, src, case.control)
    got = impl.decode_frame(frame, profile=case.profile_arg)
    assert got.address == (int.from_bytes(dest, "big"), int.from_bytes(src, "big"), case.control)
    assert got.readings == _decode(impl, case).readings


@given(case=S.any_case(), max_info=st.integers(1, 200))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_segmented(impl, case: S.Case, max_info: int) -> None:  # type: ignore[no-untyped-def]
    """A segmented APDU: every non-final piece is refused by decode_frame with
    SegmentedFrameError; the StreamDecoder (when present) reassembles it."""
    from amsparse import SegmentedFrameError

    frames = E.segment(case.apdu, max_info, case.dest, case.src, case.control)
    for f in frames:
        assert E.crcs_valid(f)
    for f in frames[:-1]:
        assert f[1] & 0x08
        with pytest.raises(SegmentedFrameError):
            impl.decode_frame(f)
    assert not frames[-1][1] & 0x08
    import amsparse

    if not hasattr(amsparse, "StreamDecoder"):
        return
    dec = amsparse.StreamDecoder(profile=case.profile_arg)
    events = dec.feed(b"".join(frames)) + dec.flush()
    decoded = [ev for ev in events if type(ev).__name__ == "FrameDecoded"]
    assert len(decoded) == 1, events
    # a reassembled APDU carries the first segment's HDLC address (issue 13 item 7;
    # every segment has the case's destination, source and control)
    check_case(decoded[0].frame, case, case.address)


def _generic_obis(i: int) -> bytes:
    return bytes((0, 0, 128, 0, i & 0xFF, 255))  # C=128: manufacturer-specific, unnamed


def _frozen(tag: int, raw):  # type: ignore[no-untyped-def]
    """A container as the public API gives it: a tuple of its values (nested
    containers as nested tuples), no A-XDR tags."""
    if tag in (E.T_ARRAY, E.T_STRUCT):
        return tuple(_frozen(t, v) for t, v in raw)
    return raw


def _expected_generic_value(tag: int, raw):  # type: ignore[no-untyped-def]
    if tag == E.T_DATETIME:
        raw_dt, clock = raw
        return raw_dt, expected_time(clock, "UTC", "deviation")
    if tag in (E.T_ARRAY, E.T_STRUCT):
        frozen = _frozen(tag, raw)
        return frozen, frozen
    return raw, raw


def _eq(a, b) -> bool:  # type: ignore[no-untyped-def]
    if isinstance(a, float) and isinstance(b, float):
        return (a == b and math.copysign(1, a) == math.copysign(1, b)) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_eq(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b if not isinstance(a, _dt.datetime) else same_time(a, b)


@given(values=st.lists(S.axdr_values(), min_size=1, max_size=6),
       container=st.sampled_from([E.array, E.structure]))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_every_axdr_type(impl, values, container) -> None:  # type: ignore[no-untyped-def]
    """Every A-XDR type the decoder reads, with every length-prefix form, in
    an OBIS-coded list of unknown (generic-named) codes."""
    items = [E.structure([E.octet_string(_generic_obis(i)), enc]) for i, (enc, _, _) in enumerate(values)]
    apdu = E.data_notification(container(items), 0x12345678, None)
    frame = E.encode_frame(apdu, b"\x41", b"\x61", 0x13)
    if len(frame) > E.MAX_HDLC_LENGTH:
        return
    got = impl.decode_frame(frame)
    assert got.profile_id == "generic"
    kept = [(i, v) for i, v in enumerate(values) if v[1] != E.T_NULL]  # null-data is dropped
    assert len(got.readings) == len(kept)
    for r, (i, (_enc, tag, raw)) in zip(got.readings, kept):
        assert r.name == f"obis_0_0_128_0_{i}_255"
        want_raw, want_value = _expected_generic_value(tag, raw)
        assert _eq(r.raw, want_raw), (tag, r.raw, want_raw)
        assert _eq(r.value, want_value), (tag, r.value, want_value)
        assert r.scaler == 0
        if tag in (E.T_ARRAY, E.T_STRUCT):  # immutable, public types (issue 11, F14)
            assert type(r.value) is tuple and type(r.raw) is tuple


@given(raw=st.integers(-(2**31), 2**31 - 1), scaler=st.integers(-128, 127),
       tag=st.sampled_from([E.T_I32, E.T_F32, E.T_F64]), unit=st.integers(0, 255))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_frame_scaler_unit(impl, raw: int, scaler: int, tag: int, unit: int) -> None:  # type: ignore[no-untyped-def]
    """A scaler/unit structure in the frame wins; scaled = raw * 10**scaler
    (ints, scaler >= 0) or raw / 10**-scaler; floats likewise."""
    if tag == E.T_I32:
        enc, want_raw = E.double_long(raw), raw
    elif tag == E.T_F32:
        enc = E.float32(float(raw))
        want_raw = struct.unpack(">f", enc[1:])[0]
    else:
        enc, want_raw = E.float64(float(raw)), float(raw)
    item = E.structure([E.obis("1-0:1.7.0.255"), enc, E.scaler_unit(scaler, unit)])
    frame = E.encode_frame(E.data_notification(E.array([item]), 0x40000000), b"\x41", b"\x61")
    (r,) = impl.decode_frame(frame).readings
    assert r.name == "active_power_import"
    assert r.raw == want_raw and r.scaler == scaler and r.unit == unit
    try:
        want = scaled(want_raw, scaler)
    except OverflowError:
        return  # float ** huge power: nothing to compare
    assert r.value == want or (isinstance(want, float) and math.isclose(r.value, want))


@example(form=1, n=5)
@given(form=st.sampled_from([1, 2, 3, 4]), n=st.integers(0, 200))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_long_length_forms(impl, form: int, n: int) -> None:  # type: ignore[no-untyped-def]
    """0x81 / 0x82 / 0x83 / 0x84 length prefixes on strings, arrays and structures."""
    text = "x" * n
    item = E.structure([E.obis("0-0:96.1.0.255"), E.visible_string(text, form)], form)
    frame = E.encode_frame(E.data_notification(E.array([item], form), 0x40000000), b"\x41", b"\x61")
    got = impl.decode_frame(frame)
    assert got.meter_id == text
