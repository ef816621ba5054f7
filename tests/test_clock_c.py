"""The compiled core's clocks (``_cdt_new``, ``_clock_dt``, ``_clock_us`` in
``_decode_c.pyx``) against the reference ``parse_datetime`` / ``to_datetime``.

The core builds clocks without the Python helpers (the datetime C API and
per-hour offset caches); these tests walk every hour across DST transitions in
several zones, every policy, the autumn fold, odd deviations, wildcards and the
edges of datetime's range, and compare field by field -- including ``fold``
and the tzinfo, which ``==`` on aware datetimes does not look at.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amsparse._batch import epoch_us
from amsparse._clock import get_zone, parse_datetime, to_datetime
from amsparse._profiles import CLOCK_DEVIATION, CLOCK_LOCAL, CLOCK_STANDARD

_decode_c = pytest.importorskip("amsparse._decode_c", exc_type=ModuleNotFoundError)

ZONES = [
    ZoneInfo("Europe/Oslo"),
    ZoneInfo("Europe/Helsinki"),
    ZoneInfo("America/New_York"),
    ZoneInfo("Australia/Lord_Howe"),  # 30-minute DST shift
    ZoneInfo("Asia/Kolkata"),         # +05:30, no DST
    get_zone("UTC"),
]
POLICIES = [CLOCK_DEVIATION, CLOCK_LOCAL, CLOCK_STANDARD]


def clock(t: dt.datetime, dev: int = 0x8000, status: int = 0x00, hund: int = 0xFF) -> bytes:
    return bytes([t.year >> 8, t.year & 0xFF, t.month, t.day, t.isoweekday(), t.hour,
                  t.minute, t.second, hund, dev >> 8, dev & 0xFF, status])


def check(b: bytes, zone: dt.tzinfo, policy: int) -> None:
    raw, value, us = _decode_c._check_clock(b, zone, policy)
    ref_raw = parse_datetime(b)
    ref = to_datetime(ref_raw, zone, policy)
    assert raw == ref_raw and type(raw) is type(ref_raw) and hash(raw) == hash(ref_raw)
    if ref is None:
        assert value is None, (b.hex(), policy, value)
    else:
        assert value is not None, (b.hex(), policy)
        got = (value.replace(tzinfo=None), value.fold, value.tzinfo, value.utcoffset())
        want = (ref.replace(tzinfo=None), ref.fold, ref.tzinfo, ref.utcoffset())
        assert got == want, (b.hex(), zone, policy)
    assert us == epoch_us(ref), (b.hex(), zone, policy)


@pytest.mark.parametrize("zone", ZONES, ids=str)
@pytest.mark.parametrize("policy", POLICIES)
def test_every_quarter_hour_around_dst_transitions(zone: dt.tzinfo, policy: int) -> None:
    for start in (dt.datetime(2024, 3, 29), dt.datetime(2024, 10, 25), dt.datetime(2024, 3, 8),
                  dt.datetime(2024, 11, 1), dt.datetime(2024, 4, 5), dt.datetime(2024, 10, 4)):
        for k in range(4 * 24 * 4):
            t = start + dt.timedelta(minutes=15 * k, seconds=k % 60)
            check(clock(t), zone, policy)
            check(clock(t, dev=0xFFC4), zone, policy)


@pytest.mark.parametrize("policy", POLICIES)
def test_fold_in_the_repeated_hour(policy: int) -> None:
    oslo = ZONES[0]
    # Oslo leaves summer time at 01:00 UTC on 2024-10-27: standard time 01:xx is
    # 00:xx UTC, the first 02:xx of the night (CEST); 02:xx is 01:xx UTC, the second (CET, fold 1)
    for hour in (0, 1, 2, 3):
        for minute in range(0, 60, 7):
            check(clock(dt.datetime(2024, 10, 27, hour, minute, 30)), oslo, policy)
    _, first, _ = _decode_c._check_clock(clock(dt.datetime(2024, 10, 27, 1, 30)), oslo, CLOCK_STANDARD)
    _, second, _ = _decode_c._check_clock(clock(dt.datetime(2024, 10, 27, 2, 30)), oslo, CLOCK_STANDARD)
    assert (first.hour, first.fold, first.utcoffset()) == (2, 0, dt.timedelta(hours=2))
    assert (second.hour, second.fold, second.utcoffset()) == (2, 1, dt.timedelta(hours=1))


@pytest.mark.parametrize("zone", ZONES, ids=str)
@pytest.mark.parametrize("policy", POLICIES)
def test_edges_of_the_datetime_range(zone: dt.tzinfo, policy: int) -> None:
    for t in (dt.datetime(1, 1, 1), dt.datetime(1, 1, 1, 5), dt.datetime(9999, 12, 31, 23, 59, 59),
              dt.datetime(9999, 12, 31, 12), dt.datetime(1970, 1, 1), dt.datetime(1969, 12, 31, 23, 59, 59),
              dt.datetime(2000, 2, 29, 12), dt.datetime(1900, 3, 1, 0, 30)):
        for dev in (0x8000, 0xFCC0, 0x0348, 0x0000, 0xFFC4, 0x0349, 0xFCBF):
            check(clock(t, dev=dev), zone, policy)


clocks = st.binary(min_size=12, max_size=12)
plausible = st.builds(
    lambda y, mo, d, h, mi, s, hu, dev, status: bytes(
        [y >> 8, y & 0xFF, mo, d, 0xFF, h, mi, s, hu, dev >> 8, dev & 0xFF, status]),
    st.sampled_from([0xFFFF, 0, 1, 1970, 2024, 2025, 9999]) | st.integers(1, 9999),
    st.integers(0, 13) | st.just(0xFF), st.integers(0, 32) | st.just(0xFF),
    st.integers(0, 24) | st.just(0xFF), st.integers(0, 60) | st.just(0xFF),
    st.integers(0, 60) | st.just(0xFF), st.integers(0, 0xFF),
    st.sampled_from([0x8000, 0xFFC4, 0xFF88, 0x003C, 0x0348, 0xFCB8]) | st.integers(0, 0xFFFF),
    st.sampled_from([0x00, 0x80, 0x01, 0x08, 0xFF]) | st.integers(0, 0xFF),
)


@given(b=clocks | plausible, zone=st.sampled_from(ZONES), policy=st.sampled_from(POLICIES))
def test_any_clock_matches_the_reference(b: bytes, zone: dt.tzinfo, policy: int) -> None:
    check(b, zone, policy)


def test_c_built_cosem_datetime_is_a_normal_instance() -> None:
    raw, _, _ = _decode_c._check_clock(bytes.fromhex("07E80A1B07011E00FF800080"), ZONES[0], CLOCK_LOCAL)
    assert raw.hour == 1 and raw.deviation is None and raw.status == 0x80 and raw.dst is True
    with pytest.raises(dataclasses.FrozenInstanceError):
        raw.hour = 2  # type: ignore[misc]
    assert {raw: 1}[parse_datetime(bytes.fromhex("07E80A1B07011E00FF800080"))] == 1


@pytest.mark.parametrize("zone", ZONES, ids=str)
@pytest.mark.parametrize("policy", POLICIES)
def test_hour_offsets_match_to_datetime(zone: dt.tzinfo, policy: int) -> None:
    """wall_offset_us applies to_datetime's rules directly (it is the per-hour
    cache behind the compiled clocks): hour by hour across transitions it must
    equal the same offset derived through to_datetime."""
    from amsparse._clock import _wall_offset_via_to_datetime, wall_offset_us

    for start in (dt.datetime(2024, 3, 29), dt.datetime(2024, 10, 25), dt.datetime(2024, 3, 8),
                  dt.datetime(2024, 11, 1), dt.datetime(2024, 4, 5), dt.datetime(2024, 10, 4),
                  dt.datetime(1916, 5, 13), dt.datetime(1980, 4, 5)):
        for k in range(4 * 24):
            t = start + dt.timedelta(hours=k)
            args = (zone, policy, t.year, t.month, t.day, t.hour)
            assert wall_offset_us(*args) == _wall_offset_via_to_datetime(*args), args
