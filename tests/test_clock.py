"""COSEM date-time parsing and clock policies (amsparse._clock)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import corpusdata
import pytest

from amsparse import CosemDateTime
from amsparse._clock import get_zone, parse_datetime, to_datetime
from amsparse._profiles import CLOCK_DEVIATION, CLOCK_LOCAL, CLOCK_STANDARD

FRAMES = corpusdata.by_id()

OSLO = ZoneInfo("Europe/Oslo")
UTC = dt.timezone.utc
H = dt.timedelta(hours=1)


def _bytes(fid: str) -> bytes:
    return bytes.fromhex(FRAMES[fid]["hex"])


def cdt(hexstr: str) -> CosemDateTime:
    return parse_datetime(bytes.fromhex(hexstr.replace(" ", "")))


# --------------------------------------------------------------------------- parsing

def test_parse_all_fields() -> None:
    c = cdt("07E6 0A 0F 06 0F 08 0F FF FFC4 00")  # Kaifa SE clock (kfm-se-obis-04)
    assert (c.year, c.month, c.day, c.weekday) == (2022, 10, 15, 6)
    assert (c.hour, c.minute, c.second, c.hundredths) == (15, 8, 15, None)
    assert c.deviation == -60
    assert c.status == 0
    assert not c.invalid and c.dst is False and c.is_complete and not c.unset


def test_parse_unspecified_deviation_and_status() -> None:
    c = cdt("07E7 01 09 01 0A 00 00 FF 8000 FF")  # Aidon 6525 (aid-list3-13)
    assert c.deviation is None
    assert c.status is None
    assert c.dst is None and not c.invalid


def test_positive_deviation() -> None:
    c = cdt("07E6 01 01 06 00 00 00 00 0078 00")  # +120 min: UTC-02:00
    assert c.deviation == 120
    t = to_datetime(c, OSLO, CLOCK_DEVIATION)
    assert t.utcoffset() == -2 * H


def test_status_bits_kept() -> None:
    c = cdt("07E1 06 0F 04 0C 00 00 FF 8000 80")  # DST bit set (Kamstrup June capture)
    assert c.status == 0x80 and c.dst is True and not c.invalid
    c = cdt("07D0 01 01 06 16 21 00 FF 8000 01")  # invalid bit (Kamstrup spec example)
    assert c.status == 0x01 and c.invalid and c.dst is False and c.unset
    c = cdt("07E6 05 05 04 15 00 0A FF 8000 02")
    assert c.doubtful and not c.invalid


def test_wildcards_become_none_without_crash() -> None:
    c = cdt("FFFF FF FF FF FF FF FF FF 8000 FF")
    assert (c.year, c.month, c.day, c.weekday, c.hour, c.minute, c.second, c.hundredths) == (None,) * 8
    assert not c.is_complete
    assert c.naive() is None
    for policy in (CLOCK_DEVIATION, CLOCK_LOCAL, CLOCK_STANDARD):
        assert to_datetime(c, OSLO, policy) is None
    assert "****" in str(c)
    # a wildcard year alone also gives no datetime
    c = cdt("FFFF 05 05 04 15 00 0A FF 8000 00")
    assert c.year is None and c.month == 5
    assert to_datetime(c, OSLO, CLOCK_DEVIATION) is None


def test_impossible_date_gives_none() -> None:
    c = cdt("07E6 02 1E 03 0C 00 00 00 8000 00")  # 30 February
    assert c.day == 30 and not c.is_complete
    assert to_datetime(c, OSLO, CLOCK_DEVIATION) is None


def test_hundredths() -> None:
    c = cdt("07E6 05 05 04 15 00 0A 32 8000 00")
    t = to_datetime(c, UTC, CLOCK_DEVIATION)
    assert t.microsecond == 500000


# --------------------------------------------------------------------------- conversion

def test_deviation_ff_c4_is_utc_plus_one() -> None:
    c = cdt("07E6 0A 0F 06 0F 08 0F FF FFC4 00")
    t = to_datetime(c, OSLO, CLOCK_DEVIATION)
    assert t == dt.datetime(2022, 10, 15, 14, 8, 15, tzinfo=UTC)
    assert t.utcoffset() == H  # not +02:00 although Oslo is on summer time that day
    assert t.hour == 15


def test_unspecified_deviation_is_local_winter_and_summer() -> None:
    winter = to_datetime(cdt("07E7 03 16 03 03 1C 32 FF 8000 00"), OSLO, CLOCK_DEVIATION)
    assert winter == dt.datetime(2023, 3, 22, 2, 28, 50, tzinfo=UTC)
    assert winter.utcoffset() == H
    summer = to_datetime(cdt("07E6 0A 0C 03 11 2D 0A FF 8000 00"), OSLO, CLOCK_DEVIATION)
    assert summer.utcoffset() == 2 * H
    assert (summer.hour, summer.minute, summer.second) == (17, 45, 10)
    assert summer.astimezone(UTC).hour == 15


def test_local_policy_ignores_deviation() -> None:
    # Aidon NO sends deviation 00 00 meaning Norwegian local time
    c = cdt("07E9 06 0F 00 10 00 00 FF 0000 00")  # a June Sunday, dow 0
    t = to_datetime(c, OSLO, CLOCK_LOCAL)
    assert t.utcoffset() == 2 * H and t.hour == 16
    # the same bytes under the deviation policy are UTC
    t2 = to_datetime(c, OSLO, CLOCK_DEVIATION)
    assert t2.utcoffset() == dt.timedelta(0) and t2.hour == 16


def test_aidon_weekday_zero_accepted() -> None:
    c = cdt("07E9 0C 0E 00 10 00 00 FF 0000 00")  # 2025-12-14 is a Sunday
    assert c.weekday == 0 and c.is_complete
    t = to_datetime(c, OSLO, CLOCK_LOCAL)
    assert t == dt.datetime(2025, 12, 14, 16, 0, tzinfo=OSLO)
    assert t.isoweekday() == 7


def test_invalid_status_gives_none() -> None:
    c = cdt("07D0 01 01 06 16 21 00 FF 8000 01")  # year 2000, status 01
    for policy in (CLOCK_DEVIATION, CLOCK_LOCAL, CLOCK_STANDARD):
        assert to_datetime(c, OSLO, policy) is None
    assert c.naive() == dt.datetime(2000, 1, 1, 22, 33, 0)  # fields kept


def test_kamstrup_standard_policy_summer_and_winter() -> None:
    summer = to_datetime(cdt("07E1 0A 14 05 04 00 05 FF 8000 00"), OSLO, CLOCK_STANDARD)
    assert summer == dt.datetime(2017, 10, 20, 3, 0, 5, tzinfo=UTC)
    assert summer.utcoffset() == 2 * H
    assert (summer.hour, summer.minute, summer.second) == (5, 0, 5)
    winter = to_datetime(cdt("07E6 02 12 05 16 00 23 FF 8000 00"), OSLO, CLOCK_STANDARD)
    assert winter == dt.datetime(2022, 2, 18, 21, 0, 35, tzinfo=UTC)
    assert winter.utcoffset() == H and winter.hour == 22
    # DST status bit does not change the reading: still standard time
    flagged = to_datetime(cdt("07E1 0A 14 05 04 00 05 FF 8000 80"), OSLO, CLOCK_STANDARD)
    assert flagged == summer


def test_autumn_ambiguous_hour_resolves_to_summer_time() -> None:
    t = to_datetime(cdt("07E6 0A 1E 07 02 30 00 FF 8000 00"), OSLO, CLOCK_LOCAL)  # 2022-10-30 02:30
    assert t.utcoffset() == 2 * H


def test_get_zone() -> None:
    assert get_zone("UTC") is UTC
    assert get_zone("Europe/Oslo") == OSLO
    with pytest.raises(Exception):
        get_zone("Europe/Atlantis")


# --------------------------------------------------------------------------- through decode_frame

def test_decode_kaifa_se_deviation(impl) -> None:
    f = impl.decode_frame(_bytes("kfm-se-obis-04"))
    assert f.meter_time == dt.datetime(2022, 10, 15, 14, 8, 15, tzinfo=UTC)
    assert f.meter_time.utcoffset() == H
    assert f["meter_time"].raw.deviation == -60


def test_decode_unspecified_deviation_summer(impl) -> None:
    f = impl.decode_frame(_bytes("kfm-list2-07"))  # Kaifa NO, 2022-10-12 17:45:10, 80 00
    assert f.header_time.utcoffset() == 2 * H
    assert f.header_time.astimezone(UTC) == dt.datetime(2022, 10, 12, 15, 45, 10, tzinfo=UTC)


def test_decode_tz_override(impl) -> None:
    f = impl.decode_frame(_bytes("kfm-list2-07"), tz="UTC")
    assert f.header_time == dt.datetime(2022, 10, 12, 17, 45, 10, tzinfo=UTC)
    assert f.header_time.utcoffset() == dt.timedelta(0)
    # a trusted deviation is not affected by tz=
    g = impl.decode_frame(_bytes("kfm-se-obis-04"), tz="UTC")
    assert g.meter_time.utcoffset() == H
    # Aidon (local policy) follows tz=
    a = impl.decode_frame(_bytes("aid-list3-01"), tz="UTC")
    assert a.meter_time == dt.datetime(2025, 12, 14, 16, 0, tzinfo=UTC)


def test_decode_kamstrup_summer_and_winter(impl) -> None:
    s = impl.decode_frame(_bytes("kam-list3-13"))  # clock 2017-10-20 04:00:05 standard time
    assert s.meter_time == dt.datetime(2017, 10, 20, 3, 0, 5, tzinfo=UTC)
    assert s.meter_time.utcoffset() == 2 * H and s.meter_time.hour == 5
    assert s["meter_time"].raw.hour == 4
    w = impl.decode_frame(_bytes("kam-list3-04"))  # 2022-02-18 22:00:35
    assert w.meter_time == dt.datetime(2022, 2, 18, 21, 0, 35, tzinfo=UTC)
    assert w.meter_time.utcoffset() == H


def test_decode_invalid_clock_frame(impl) -> None:
    f = impl.decode_frame(_bytes("kam-list2-21"))  # vendor example: year 2000, status 01
    assert f.header_clock is not None
    assert f.header_clock.year == 2000 and f.header_clock.invalid
    assert f.header_time is None
    d = f.as_dict()
    assert d["meter_time"] is None and d["header_time"] is None and d["timestamp"] is None
    assert f.as_dict()["active_power_import"] == 0


def test_decode_aidon_status_ff(impl) -> None:
    f = impl.decode_frame(_bytes("aid-list3-13"))
    raw = f["meter_time"].raw
    assert raw.status is None and raw.deviation is None and raw.dst is None
    assert f.meter_time == dt.datetime(2023, 1, 9, 9, 0, tzinfo=UTC)
