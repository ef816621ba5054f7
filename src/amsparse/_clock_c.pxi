# Included by _decode_c.pyx (one extension module): clocks: CosemDateTime, aware datetimes and epoch
# microseconds in C.
# See docs/internals.md for the layers.

# --------------------------------------------------------------------------- clocks
#
# Clocks built in C (_cdt_new, _clock_dt, _clock_us); anything the checks
# below do not cover goes through to_datetime(parse_datetime(...)), the
# reference.  See docs/internals.md "Clocks".

from cpython.datetime cimport import_datetime, datetime_new

import_datetime()

from ._model import CosemDateTime as _CosemDateTime
from ._clock import (
    _fixed as _fixed_zone,
    utc_local_offset as _utc_local_offset,
    wall_offset_us as _wall_offset_us,
)


cdef long long US_PER_DAY = 86400000000LL
cdef long long US_PER_HOUR = 3600000000LL

_CDT_FIELDS = ("year", "month", "day", "weekday", "hour", "minute", "second",
               "hundredths", "deviation", "status")
cdef tuple _CDT_DESCR = ()
cdef bint _FAST_CDT = False
if getattr(_CosemDateTime, "__slots__", None) == _CDT_FIELDS and all(
    type(_CosemDateTime.__dict__.get(f)) is _types.MemberDescriptorType for f in _CDT_FIELDS
):
    _CDT_DESCR = tuple(_CosemDateTime.__dict__[f] for f in _CDT_FIELDS)
    _FAST_CDT = True


cdef inline object _opt(int v, int wildcard):
    return None if v == wildcard else v


cdef object _cdt_new(const unsigned char* b):
    """parse_datetime(b[:12]) (see amsparse._clock)."""
    cdef int year = (b[0] << 8) | b[1]
    cdef int dev = (b[9] << 8) | b[10]
    cdef object o, deviation
    if not _FAST_CDT:
        return parse_datetime(PyBytes_FromStringAndSize(<const char*>b, 12))
    if dev == 0x8000:
        deviation = None
    else:
        deviation = dev - 0x10000 if dev & 0x8000 else dev
    o = ams_alloc(_CosemDateTime)
    ams_set_slot(PyTuple_GET_ITEM(_CDT_DESCR, 0), o, _opt(year, 0xFFFF))
    ams_set_slot(PyTuple_GET_ITEM(_CDT_DESCR, 1), o, _opt(b[2], 0xFF))
    ams_set_slot(PyTuple_GET_ITEM(_CDT_DESCR, 2), o, _opt(b[3], 0xFF))
    ams_set_slot(PyTuple_GET_ITEM(_CDT_DESCR, 3), o, _opt(b[4], 0xFF))
    ams_set_slot(PyTuple_GET_ITEM(_CDT_DESCR, 4), o, _opt(b[5], 0xFF))
    ams_set_slot(PyTuple_GET_ITEM(_CDT_DESCR, 5), o, _opt(b[6], 0xFF))
    ams_set_slot(PyTuple_GET_ITEM(_CDT_DESCR, 6), o, _opt(b[7], 0xFF))
    ams_set_slot(PyTuple_GET_ITEM(_CDT_DESCR, 7), o, _opt(b[8], 0xFF))
    ams_set_slot(PyTuple_GET_ITEM(_CDT_DESCR, 8), o, deviation)
    ams_set_slot(PyTuple_GET_ITEM(_CDT_DESCR, 9), o, _opt(b[11], 0xFF))
    PyObject_GC_UnTrack(o)   # ten ints or None, frozen: no cycle can run through it
    return o


cdef inline long long _days_from_civil(long long y, long long m, long long d) noexcept nogil:
    cdef long long era, yoe, doy, doe
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


cdef inline void _civil_from_days(long long z, int* y, int* m, int* d) noexcept:
    cdef long long era, doe, yoe, doy, mp
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d[0] = <int>(doy - (153 * mp + 2) // 5 + 1)
    m[0] = <int>(mp + 3 if mp < 10 else mp - 9)
    y[0] = <int>(yoe + era * 400 + (1 if m[0] <= 2 else 0))


cdef inline int _mdays(int y, int m) noexcept nogil:
    if m == 2:
        return 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28
    if m == 4 or m == 6 or m == 9 or m == 11:
        return 30
    return 31


cdef inline long long _floordiv(long long a, long long b) noexcept:
    cdef long long q = a // b   # C division (cdivision): truncates
    if (a % b != 0) and ((a < 0) != (b < 0)):
        q -= 1
    return q


cdef inline bint _complete(const unsigned char* b) noexcept nogil:
    """The clock has all date/time fields, in range, and is not flagged invalid
    (CosemDateTime.invalid / _complete_fields)."""
    cdef int year = (b[0] << 8) | b[1]
    cdef int month = b[2], day = b[3]
    if b[11] != 0xFF and (b[11] & 1):
        return False
    if year == 0xFFFF or month == 0xFF or day == 0xFF or b[5] == 0xFF or b[6] == 0xFF or b[7] == 0xFF:
        return False
    if year < 1 or year > 9999 or month < 1 or month > 12 or day < 1 or day > _mdays(year, month):
        return False
    # hundredths 0x64..0xFE are out of range (FF: not specified, read as 0)
    return b[5] <= 23 and b[6] <= 59 and b[7] <= 59 and (b[8] <= 99 or b[8] == 0xFF)


cdef inline int _us_of(const unsigned char* b) noexcept nogil:
    return 0 if (b[8] == 0xFF or b[8] > 99) else b[8] * 10000


cdef inline long long _wall_us(const unsigned char* b) noexcept nogil:
    """The clock's fields read as UTC, in epoch microseconds (b must be _complete)."""
    cdef int year = (b[0] << 8) | b[1]
    return ((((_days_from_civil(year, b[2], b[3]) * 24 + b[5]) * 60 + b[6]) * 60 + b[7])
            * 1000000 + _us_of(b))


# Hour-offset cache, shared by both kinds of lookup:
#   kind 0: wall_offset_us(zone, policy, y, m, d, h)   -> epoch us - wall us
#   kind 1: utc_local_offset(zone, y, m, d, h)         -> (local - UTC us, fold)
cdef enum:
    OFF_CACHE = 1024

cdef long long _off_key[OFF_CACHE]
cdef long long _off_val[OFF_CACHE]
cdef void* _off_zone[OFF_CACHE]
cdef int _off_tag[OFF_CACHE]      # kind * 16 + policy
cdef char _off_state[OFF_CACHE]   # 0 empty, 1 offset, 2 no constant offset
cdef char _off_fold[OFF_CACHE]
cdef list _ZONES_SEEN = []        # keeps the zones the cache points at alive


cdef int _hour_offset(int kind, object zone, int policy, int year, int month, int day, int hour,
                      long long* off, int* fold) except -1:
    """1 and the hour's offset (and fold), or 0 when the offset is not constant
    over that hour or there is no datetime (use the reference path)."""
    cdef long long key = ((<long long>year * 16 + month) * 32 + day) * 32 + hour
    cdef int tag = kind * 16 + policy
    cdef int slot = <int>((((<unsigned long long>key) * 0x9E3779B97F4A7C15ULL
                            + (<unsigned long long><size_t><void*>zone) * 0xBF58476D1CE4E5B9ULL
                            + <unsigned long long>tag * 0x94D049BB133111EBULL) >> 40) % OFF_CACHE)
    cdef int state
    cdef object r
    ams_lock_offsets()
    state = _off_state[slot]
    if state and _off_key[slot] == key and _off_zone[slot] == <void*>zone and _off_tag[slot] == tag:
        off[0] = _off_val[slot]
        fold[0] = _off_fold[slot]
    else:
        state = 0
    ams_unlock_offsets()
    if state:
        return 1 if state == 1 else 0
    # not cached: ask amsparse._clock (Python; no lock held), then remember
    if kind == 0:
        r = _wall_offset_us(zone, policy, year, month, day, hour)
    else:
        r = _utc_local_offset(zone, year, month, day, hour)
    if not any(z is zone for z in _ZONES_SEEN):
        _ZONES_SEEN.append(zone)   # the cache keys on the zone's address: keep it alive
    if r is None:
        state = 2
    else:
        state = 1
        if kind == 0:
            off[0] = r
            fold[0] = 0
        else:
            off[0] = (<tuple>r)[0]
            fold[0] = (<tuple>r)[1]
    ams_lock_offsets()
    _off_key[slot] = key
    _off_zone[slot] = <void*>zone
    _off_tag[slot] = tag
    _off_state[slot] = <char>state
    if state == 1:
        _off_val[slot] = off[0]
        _off_fold[slot] = <char>fold[0]
    ams_unlock_offsets()
    return 1 if state == 1 else 0


cdef inline int _dev_of(const unsigned char* b) noexcept nogil:
    cdef int dev = (b[9] << 8) | b[10]
    return dev - 0x10000 if dev & 0x8000 else dev


cdef inline int _used_deviation(const unsigned char* b, int policy, int* dev) noexcept nogil:
    """1: the clock's deviation applies (CLOCK_DEVIATION, specified) and is in
    range, ``dev`` set; 0: it does not apply (the zone's local or standard
    time); -1: it applies but is out of range (no datetime)."""
    if policy == 1 or policy == 2 or (b[9] == 0x80 and b[10] == 0):  # CLOCK_LOCAL, CLOCK_STANDARD, unspecified
        return 0
    dev[0] = _dev_of(b)
    return 1 if -840 <= dev[0] <= 840 else -1


cdef list _FIXED_TZ = [None] * 1681   # deviation -840..840 -> timezone


cdef object _reference_dt(const unsigned char* b, object zone, object policy):
    return to_datetime(parse_datetime(PyBytes_FromStringAndSize(<const char*>b, 12)), zone, policy)


cdef object _clock_dt(const unsigned char* b, object zone, int policy):
    """to_datetime(parse_datetime(b[:12]), zone, policy) (see amsparse._clock)."""
    cdef int year = (b[0] << 8) | b[1]
    cdef int dev, fold, y, m, d, used
    cdef long long off, t, rem, days
    cdef object tz
    if not _complete(b):
        return None
    used = _used_deviation(b, policy, &dev)
    if used < 0:
        return None
    if used:
        tz = _FIXED_TZ[dev + 840]
        if tz is None:
            tz = _FIXED_TZ[dev + 840] = _fixed_zone(-dev)
        return datetime_new(year, b[2], b[3], b[5], b[6], b[7], _us_of(b), tz)
    if policy != 2:  # local wall time of the zone
        return datetime_new(year, b[2], b[3], b[5], b[6], b[7], _us_of(b), zone)
    # CLOCK_STANDARD: standard time -> UTC -> the zone's wall time
    if year <= 1 or year >= 9999:
        return _reference_dt(b, zone, policy)
    if not _hour_offset(0, zone, policy, year, b[2], b[3], b[5], &off, &fold):
        return _reference_dt(b, zone, policy)
    t = _wall_us(b) + off              # UTC epoch us
    days = _floordiv(t, US_PER_DAY)
    _civil_from_days(days, &y, &m, &d)
    if not _hour_offset(1, zone, 0, y, m, d, <int>((t - days * US_PER_DAY) // US_PER_HOUR), &off, &fold):
        return _reference_dt(b, zone, policy)
    t += off                           # local wall time, read as UTC
    days = _floordiv(t, US_PER_DAY)
    _civil_from_days(days, &y, &m, &d)
    rem = t - days * US_PER_DAY
    return datetime_new(y, m, d, <int>(rem // US_PER_HOUR), <int>((rem // 60000000) % 60),
                        <int>((rem // 1000000) % 60), <int>(rem % 1000000), zone, fold)


cdef long long _clock_us(const unsigned char* b, object zone, int policy) except? -2:
    """``epoch_us(to_datetime(parse_datetime(b[:12]), zone, policy))`` without objects."""
    cdef int year = (b[0] << 8) | b[1]
    cdef int dev, fold, used
    cdef long long off
    cdef object r
    if not _complete(b):
        return NAT_US
    used = _used_deviation(b, policy, &dev)
    if used:
        return NAT_US if used < 0 else _wall_us(b) + <long long>dev * 60000000
    if _hour_offset(0, zone, policy, year, b[2], b[3], b[5], &off, &fold):
        return _wall_us(b) + off
    r = _reference_dt(b, zone, policy)
    if r is None:
        return NAT_US
    return (r - _EPOCH_UTC) // _ONE_US


import datetime as _datetime
_EPOCH_UTC = _datetime.datetime(1970, 1, 1, tzinfo=_datetime.timezone.utc)
_ONE_US = _datetime.timedelta(microseconds=1)


def _check_clock(b, zone, policy):
    """Test hook: (_cdt_new, _clock_dt, _clock_us) of a 12-byte clock."""
    cdef bytes bb = bytes(b)
    if len(bb) != 12:
        raise ValueError("a clock is 12 bytes")
    p = <const unsigned char*>PyBytes_AS_STRING(bb)
    return _cdt_new(p), _clock_dt(p, zone, policy), _clock_us(p, zone, policy)


# fall back to the Python constructor if the C-built CosemDateTime ever differs
cdef bint _cdt_selfcheck():
    cdef bytes probe
    for probe in (b"\x07\xea\x03\x1d\x07\x02\x1e\x00\xff\x80\x00\x80",
                  b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xc4\xff"):
        c = _cdt_new(<const unsigned char*>PyBytes_AS_STRING(probe))
        if c != parse_datetime(probe) or hash(c) != hash(parse_datetime(probe)):
            return False  # pragma: no cover
    return True


if _FAST_CDT:
    _FAST_CDT = _cdt_selfcheck()
