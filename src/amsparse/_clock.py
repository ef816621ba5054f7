"""COSEM date-time parsing and conversion to aware datetimes.

Shared by both backends (the Cython core calls these for the one or two clocks
a frame carries), so the two can never disagree on time semantics.

Conversion rules (``policy`` comes from the matched profile, see
``docs/profiles.md``):

* ``CLOCK_DEVIATION``: a specified deviation is trusted.  DLMS defines it as
  minutes *from local time to UTC*, so ``FF C4`` (-60) means UTC+01:00.  An
  unspecified deviation (``80 00``) means local wall time in the profile's zone.
* ``CLOCK_LOCAL``: the deviation field is ignored (Norwegian Aidon sends
  ``00 00`` but means Norwegian local time).
* ``CLOCK_STANDARD``: the fields are the zone's *standard* time all year
  (Kamstrup; its DST status bit is informational only).

Wall times that occur twice (the autumn hour) resolve to the first (summer-
time) occurrence: Norwegian meters do not set the DST status bit reliably
(Aidon and Kaifa send ``00`` all year), so it cannot break the tie.  A clock with wildcard
date/time fields, impossible values, or the *invalid* status bit has no
datetime (``None``); its raw fields stay available on :class:`CosemDateTime`.
"""

from __future__ import annotations

import datetime as _dt
from functools import lru_cache
from typing import Callable, TypeVar

from ._model import CosemDate, CosemDateTime, CosemTime, _complete_fields
from ._spec import CLOCK_LOCAL, CLOCK_STANDARD, NAT

_UTC = _dt.timezone.utc
T = TypeVar("T")


@lru_cache(maxsize=64)
def get_zone(name: str) -> _dt.tzinfo:
    """A tzinfo for an IANA zone name (``"UTC"`` needs no tz database)."""
    if name.upper() == "UTC":
        return _UTC
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


@lru_cache(maxsize=256)
def _fixed(minutes: int) -> _dt.timezone:
    return _UTC if minutes == 0 else _dt.timezone(_dt.timedelta(minutes=minutes))


#: bounded caches shared by both backends.  Consecutive frames carry clocks that
#: differ by seconds, but the same few bytes recur (headers repeat in the list-2
#: and list-3 frames of one push, replays and tests decode the same frames); the
#: cached values are immutable (frozen dataclass, aware datetime), so sharing
#: them cannot leak state between frames.  Both twins go through these
#: functions, so the cache cannot make them disagree.
CACHE_SIZE = 4096


def parse_datetime(b: bytes) -> CosemDateTime:
    """12 bytes → :class:`CosemDateTime` (no validation beyond wildcards)."""
    return _parse_datetime(b if type(b) is bytes else bytes(b))


@lru_cache(maxsize=CACHE_SIZE)
def _parse_datetime(b: bytes) -> CosemDateTime:
    year = (b[0] << 8) | b[1]
    dev = (b[9] << 8) | b[10]
    if dev == 0x8000:
        deviation = None
    else:
        deviation = dev - 0x10000 if dev & 0x8000 else dev
    return CosemDateTime(
        None if year == 0xFFFF else year,
        None if b[2] == 0xFF else b[2],
        None if b[3] == 0xFF else b[3],
        None if b[4] == 0xFF else b[4],
        None if b[5] == 0xFF else b[5],
        None if b[6] == 0xFF else b[6],
        None if b[7] == 0xFF else b[7],
        None if b[8] == 0xFF else b[8],
        deviation,
        None if b[11] == 0xFF else b[11],
    )


def parse_date(b: bytes) -> CosemDate:
    year = (b[0] << 8) | b[1]
    return CosemDate(
        None if year == 0xFFFF else year,
        None if b[2] == 0xFF else b[2],
        None if b[3] == 0xFF else b[3],
        None if b[4] == 0xFF else b[4],
    )


def parse_time(b: bytes) -> CosemTime:
    return CosemTime(*(None if x == 0xFF else x for x in b[:4]))


def to_datetime(c: CosemDateTime, zone: _dt.tzinfo, policy: int) -> _dt.datetime | None:
    """Aware datetime for a meter clock, or ``None`` when it has none."""
    return _to_datetime(c, zone, policy)


@lru_cache(maxsize=CACHE_SIZE)
def _to_datetime(c: CosemDateTime, zone: _dt.tzinfo, policy: int) -> _dt.datetime | None:
    # keyed by value: equal clocks, equal zones and the same policy give equal results
    if c.invalid:
        return None
    f = _complete_fields(c)
    if f is None:
        return None
    if policy == CLOCK_STANDARD:
        wall = _dt.datetime(*f)
        # the zone's standard offset at that date: utcoffset - dst of a local reading
        probe = wall.replace(tzinfo=zone)
        std = (probe.utcoffset() or _dt.timedelta()) - (probe.dst() or _dt.timedelta())
        try:
            utc = (wall - std).replace(tzinfo=_UTC)
            return utc.astimezone(zone)
        except OverflowError:  # year 1 / 9999 shifted out of datetime's range
            return None
    if policy != CLOCK_LOCAL and c.deviation is not None:
        if not -840 <= c.deviation <= 840:
            return None
        return _dt.datetime(*f, tzinfo=_fixed(-c.deviation))
    return _dt.datetime(*f, tzinfo=zone)


_EPOCH_NAIVE = _dt.datetime(1970, 1, 1)
_US = _dt.timedelta(microseconds=1)
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_UTC)


def epoch_us(t: _dt.datetime | None) -> int:
    """Aware datetime -> UTC epoch microseconds (:data:`~amsparse._batch.NAT` for ``None``)."""
    if t is None:
        return NAT
    return (t - _EPOCH) // _US


def _same_over_hour(probe: Callable[[int, int], T | None]) -> T | None:
    """``probe(minute, second)`` at the first and the last second of an hour:
    the value when both give the same one, else ``None`` (a change inside the
    hour, or no value).  Every tz database zone changes offset at most once an
    hour, so the two ends decide for the whole hour."""
    first = probe(0, 0)
    if first is None or probe(59, 59) != first:
        return None
    return first


def wall_offset_us(zone: _dt.tzinfo, policy: int, y: int, m: int, d: int, h: int) -> int | None:
    """UTC epoch µs minus the wall clock read as UTC, for the wall times of one
    hour whose deviation is not used (``CLOCK_LOCAL``, ``CLOCK_STANDARD``, or
    an unspecified deviation), or ``None`` when :func:`to_datetime` gives no
    datetime there or the offset differs between the hour's first and last
    second (a transition inside the hour).

    Lets the compiled core turn clocks into epoch microseconds (and, for
    ``CLOCK_STANDARD``, into UTC) with one zone lookup per hour instead of one
    per frame.  It applies :func:`to_datetime`'s rules directly -- the local
    wall time in the zone (fold 0), or the zone's standard offset at that wall
    time -- which costs a few µs where going through ``to_datetime`` costs
    ~20; at the edges of datetime's range (years 1 and 9999, where
    ``to_datetime`` may overflow) it does go through ``to_datetime``.  Tests
    hold the two to the same results hour by hour across DST transitions.
    """
    if y <= 1 or y >= 9999:
        return _wall_offset_via_to_datetime(zone, policy, y, m, d, h)

    def probe(mi: int, s: int) -> int:
        wall = _dt.datetime(y, m, d, h, mi, s, tzinfo=zone)
        utcoff = wall.utcoffset() or _ZERO
        if policy == CLOCK_STANDARD:
            utcoff -= wall.dst() or _ZERO   # the standard offset
        return -(utcoff // _US)

    return _same_over_hour(probe)


_ZERO = _dt.timedelta(0)


def _wall_offset_via_to_datetime(zone: _dt.tzinfo, policy: int, y: int, m: int, d: int, h: int) -> int | None:
    def probe(mi: int, s: int) -> int | None:
        t = to_datetime(CosemDateTime(y, m, d, None, h, mi, s, None, None, None), zone, policy)
        if t is None:
            return None
        return (t - _EPOCH_NAIVE.replace(tzinfo=_UTC)) // _US - (_dt.datetime(y, m, d, h, mi, s) - _EPOCH_NAIVE) // _US

    return _same_over_hour(probe)


def utc_local_offset(zone: _dt.tzinfo, y: int, m: int, d: int, h: int) -> tuple[int, int] | None:
    """``(wall minus UTC in µs, fold)`` of ``zone`` for the UTC instants of one
    hour (``y-m-d h:00`` to ``h:59:59`` UTC), or ``None`` when either changes
    within the hour or the local time is out of datetime's range.

    With :func:`wall_offset_us`, lets the compiled core build the aware
    datetime of a ``CLOCK_STANDARD`` clock (UTC -> the zone's wall time, as
    :func:`to_datetime` does with ``astimezone``) without a zone lookup per
    frame; defined through ``astimezone`` so the two cannot disagree.
    """
    def probe(mi: int, s: int) -> tuple[int, int] | None:
        u = _dt.datetime(y, m, d, h, mi, s, tzinfo=_UTC)
        try:
            t = u.astimezone(zone)
        except OverflowError:
            return None
        return ((t.replace(tzinfo=None) - u.replace(tzinfo=None)) // _US, t.fold)

    return _same_over_hour(probe)
