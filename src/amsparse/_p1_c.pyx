# cython: language_level=3
"""Compiled P1 / DSMR telegram decoder: the Cython twin of :mod:`amsparse._p1_py`.

Same results (``Frame`` objects comparing equal), same exception types,
messages and offsets on the same input.  The envelope, the CRC-16/ARC
(slicing-by-8), the line scan (OBIS codes, parenthesised groups) and plain
numbers (``001234.567*kWh``) run in C on the input buffer; everything rarer
(timestamps, texts, hex texts, logs, timed values, unknown codes, errors about
a value) goes through :func:`amsparse._p1_py.line_readings`, the reference,
so the two cannot disagree there.  Profile choice is the shared
:meth:`P1ProfileSet.choose`.

The reference is ``_p1_py.py``: when the two disagree, this file is wrong.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_GetItem
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from cpython.ref cimport PyObject
from cpython.tuple cimport PyTuple_GET_ITEM
from cpython.unicode cimport PyUnicode_DecodeASCII
from libc.string cimport memchr, memcmp

cdef extern from *:
    """
    #include <stdint.h>
    /* CRC-16/ARC: reflected polynomial 0x8005 (0xA001), init 0, no xorout.
       Slicing-by-8 as in _crc16.h (same scheme, other polynomial). */
    static uint16_t ams_arc_t[8][256];
    static void ams_arc_init(void)
    {
        unsigned int i, k;
        for (i = 0; i < 256; i++) {
            unsigned int crc = i;
            for (k = 0; k < 8; k++)
                crc = (crc & 1) ? (crc >> 1) ^ 0xA001u : crc >> 1;
            ams_arc_t[0][i] = (uint16_t)crc;
        }
        for (k = 1; k < 8; k++)
            for (i = 0; i < 256; i++) {
                unsigned int prev = ams_arc_t[k - 1][i];
                ams_arc_t[k][i] = (uint16_t)((prev >> 8) ^ ams_arc_t[0][prev & 0xFF]);
            }
    }
    static inline unsigned int ams_arc(const unsigned char *p, size_t n)
    {
        unsigned int crc = 0;
        while (n >= 8) {
            crc = ams_arc_t[7][(p[0] ^ crc) & 0xFF] ^ ams_arc_t[6][(p[1] ^ (crc >> 8)) & 0xFF]
                ^ ams_arc_t[5][p[2]] ^ ams_arc_t[4][p[3]]
                ^ ams_arc_t[3][p[4]] ^ ams_arc_t[2][p[5]]
                ^ ams_arc_t[1][p[6]] ^ ams_arc_t[0][p[7]];
            p += 8;
            n -= 8;
        }
        while (n--)
            crc = (crc >> 8) ^ ams_arc_t[0][(crc ^ *p++) & 0xFF];
        return crc & 0xFFFF;
    }
    """
    void ams_arc_init() noexcept nogil
    unsigned int ams_arc(const unsigned char* p, size_t n) noexcept nogil

include "_slots_c.pxi"

ams_arc_init()

import types as _types  # no-cython-lint (used by _frame_slots_c.pxi)

from ._clock import get_zone
from ._errors import ChecksumError, IncompleteFrameError, TelegramError
from ._model import Frame  # no-cython-lint (used by _frame_slots_c.pxi)
from ._p1_crypt import decode_ciphered
from ._p1_profiles import builtin_p1_profiles
from ._p1_py import (
    MAX_IDENT, MAX_LINE, UNITS, V_DSMR, V_EMUCS, convert, generic_name, hex_text, line_readings, p1_time, prepare,
)

__all__ = ["crc16_arc", "decode_telegram"]

BACKEND = "cython"

DEF FAST_DIGITS = 15   # below 2**53: the float division is exact-rounded as Python's

cdef double _POW10[23]
cdef int _k
_POW10[0] = 1.0
for _k in range(1, 23):
    _POW10[_k] = _POW10[_k - 1] * 10.0

# UNITS as C arrays (the same table: built from it at import)
DEF MAX_UNITS = 64
cdef int _n_units = 0
cdef const char* _unit_key[MAX_UNITS]
cdef Py_ssize_t _unit_len[MAX_UNITS]
cdef int _unit_code[MAX_UNITS]
cdef int _unit_exp[MAX_UNITS]
cdef tuple _UNIT_KEYS = tuple(k.encode("ascii") for k in UNITS)
for _k in range(min(len(_UNIT_KEYS), MAX_UNITS)):
    _unit_key[_k] = <const char*>PyBytes_AS_STRING(<bytes>_UNIT_KEYS[_k])
    _unit_len[_k] = PyBytes_GET_SIZE(<bytes>_UNIT_KEYS[_k])
    _unit_code[_k] = UNITS[_UNIT_KEYS[_k].decode("ascii")][0]
    _unit_exp[_k] = UNITS[_UNIT_KEYS[_k].decode("ascii")][1]
    _n_units = _k + 1
if len(_UNIT_KEYS) > MAX_UNITS:
    raise ImportError("amsparse._p1_c: UNITS has more entries than MAX_UNITS")


cdef inline int _unit_index(const unsigned char* u, Py_ssize_t n) noexcept nogil:
    cdef int k
    for k in range(_n_units):
        if _unit_len[k] == n and memcmp(_unit_key[k], u, <size_t>n) == 0:
            return k
    return -1
cdef long long _V_DSMR = V_DSMR
cdef long long _V_EMUCS = V_EMUCS
cdef Py_ssize_t _MAX_LINE = MAX_LINE
cdef Py_ssize_t _MAX_IDENT = MAX_IDENT
cdef str _P1 = "p1"
cdef str _P1_NO_CRC = "p1-no-crc"
cdef str _N_VERSION = "p1_version"
cdef str _N_VERSION_BE = "p1_version_be"
cdef str _N_METER_ID = "meter_id"
cdef str _N_METER_TIME = "meter_time"

include "_frame_slots_c.pxi"   # _FRAME_SLOTS, _new_frame (shared with _decode_c.pyx)


# The built-in profile set (compiled on first use, not at import), the last
# profile choice and the last zone: a meter sends the same shape every time.
# Kept in a dict, whose get/set are atomic also on free-threaded builds.
cdef dict _memo = {}


def crc16_arc(data, start=0, end=None):
    """CRC-16/ARC (reflected polynomial 0xA001, init 0), the P1 telegram CRC."""
    cdef bytes b = bytes(data[start:end])
    return ams_arc(<const unsigned char*>PyBytes_AS_STRING(b), <size_t>PyBytes_GET_SIZE(b))


cdef inline bint _ishex(unsigned char c) noexcept nogil:
    return (48 <= c <= 57) or (65 <= c <= 70) or (97 <= c <= 102)


cdef inline int _hexval(unsigned char c) noexcept nogil:
    if c <= 57:
        return c - 48
    if c <= 70:
        return c - 55
    return c - 87


cdef inline Py_ssize_t _digits(const unsigned char* p, Py_ssize_t i, Py_ssize_t end, int* out) noexcept nogil:
    """Up to 3 digits at i (at least 1): their value in out, the index after them, or -1."""
    cdef int v = 0
    cdef Py_ssize_t j = i
    while j < end and j - i < 3 and 48 <= p[j] <= 57:
        v = v * 10 + (p[j] - 48)
        j += 1
    if j == i:
        return -1
    out[0] = v
    return j


cdef Py_ssize_t _parse_obis(const unsigned char* p, Py_ssize_t i, Py_ssize_t end, long long* code) noexcept nogil:
    """The twin of the _OBIS regex match: the index after the code, or -1."""
    cdef int g[6]
    cdef int k
    cdef unsigned char seps[4]
    seps[0] = 45  # -
    seps[1] = 58  # :
    seps[2] = 46  # .
    seps[3] = 46
    for k in range(5):
        i = _digits(p, i, end, &g[k])
        if i < 0:
            return -1
        if k < 4:
            if i >= end or p[i] != seps[k]:
                return -1
            i += 1
    g[5] = 255
    if i + 1 < end and (p[i] == 46 or p[i] == 42) and 48 <= p[i + 1] <= 57:
        i = _digits(p, i + 1, end, &g[5])
    for k in range(6):
        if g[k] > 255:
            return -1
    code[0] = ((<long long>g[0] << 40) | (<long long>g[1] << 32) | (<long long>g[2] << 24)
               | (<long long>g[3] << 16) | (<long long>g[4] << 8) | <long long>g[5])
    return i


ctypedef struct _Obj:
    long long code
    Py_ssize_t off
    Py_ssize_t gfirst
    Py_ssize_t gcount

ctypedef struct _Grp:
    Py_ssize_t s
    Py_ssize_t e


cdef class _Scan:
    """Growable C arrays of objects and groups, freed with the object."""
    cdef _Obj* objs
    cdef _Grp* grps
    cdef Py_ssize_t nobj, ngrp, cap_obj, cap_grp

    def __dealloc__(self):
        PyMem_Free(self.objs)
        PyMem_Free(self.grps)

    cdef int add_obj(self, long long code, Py_ssize_t off) except -1:
        cdef _Obj* o
        if self.nobj == self.cap_obj:
            self.cap_obj = self.cap_obj * 2 + 32
            o = <_Obj*>PyMem_Realloc(self.objs, self.cap_obj * sizeof(_Obj))
            if o == NULL:
                raise MemoryError()
            self.objs = o
        o = &self.objs[self.nobj]
        o.code = code
        o.off = off
        o.gfirst = self.ngrp
        o.gcount = 0
        self.nobj += 1
        return 0

    cdef int add_grp(self, Py_ssize_t s, Py_ssize_t e) except -1:
        cdef _Grp* g
        if self.ngrp == self.cap_grp:
            self.cap_grp = self.cap_grp * 2 + 64
            g = <_Grp*>PyMem_Realloc(self.grps, self.cap_grp * sizeof(_Grp))
            if g == NULL:
                raise MemoryError()
            self.grps = g
        self.grps[self.ngrp].s = s
        self.grps[self.ngrp].e = e
        self.ngrp += 1
        self.objs[self.nobj - 1].gcount += 1
        return 0


cdef int _scan_lines(const unsigned char* p, Py_ssize_t pos, Py_ssize_t bang, _Scan sc) except -1:
    cdef Py_ssize_t e, end, i, j, k
    cdef long long code
    cdef const void* r
    while pos < bang:
        r = memchr(p + pos, 10, <size_t>(bang - pos))
        e = bang if r == NULL else <const unsigned char*>r - p
        end = e - 1 if (e > pos and p[e - 1] == 13) else e
        if end - pos > _MAX_LINE:
            raise TelegramError(f"line longer than {_MAX_LINE} bytes", pos)
        if end == pos:
            pos = e + 1
            continue
        for i in range(pos, end):
            if p[i] < 0x20 or p[i] > 0x7E:
                raise TelegramError("byte 0x%02X in a data line" % p[i], i)
        if p[pos] == 0x28:
            if sc.nobj == 0:
                raise TelegramError("value line before any OBIS code", pos)
            i = pos
        else:
            i = _parse_obis(p, pos, end, &code)
            if i < 0:
                raise TelegramError("malformed OBIS code", pos)
            if i == end:
                raise TelegramError("OBIS code without a value", i)
            sc.add_obj(code, pos)
        while i < end:
            if p[i] != 0x28:
                raise TelegramError("expected '(' after the OBIS code or a value", i)
            j = i + 1
            while j < end and p[j] != 0x29:
                j += 1
            if j == end:
                raise TelegramError("unbalanced parenthesis: '(' without ')'", i)
            k = i + 1
            while k < j and p[k] != 0x28:
                k += 1
            if k < j:
                raise TelegramError("unbalanced parenthesis: '(' inside a value", k)
            sc.add_grp(i + 1, j)
            i = j + 1
        pos = e + 1
    return 0


cdef inline bint _all_digits(const unsigned char* p, _Grp g) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(g.s, g.e):
        if not 48 <= p[i] <= 57:
            return False
    return True


cdef inline object _group(bytes b, _Grp g):
    return PyUnicode_DecodeASCII(PyBytes_AS_STRING(b) + g.s, g.e - g.s, NULL)


cdef bint _fast_number(const unsigned char* p, Py_ssize_t s, Py_ssize_t e, int expected,
                       long long* raw_out, int* scaler_out, int* unit_out) except -1:
    """A plain ``-?d+(.d+)?(*unit)?`` with at most FAST_DIGITS digits and a known
    unit that fits ``expected``: fill the outputs and return True.  Anything
    else returns False and the reference path decides."""
    cdef Py_ssize_t i = s, f0
    cdef int j
    cdef bint neg = False
    cdef long long raw = 0
    cdef int nd = 0, frac = 0, unit = -1, exp = 0
    if i < e and p[i] == 45:
        neg = True
        i += 1
    while i < e and 48 <= p[i] <= 57:
        raw = raw * 10 + (p[i] - 48)
        nd += 1
        i += 1
        if nd > FAST_DIGITS:
            return False
    if nd == 0:
        return False
    if i < e and p[i] == 46:
        i += 1
        f0 = i
        while i < e and 48 <= p[i] <= 57:
            raw = raw * 10 + (p[i] - 48)
            nd += 1
            i += 1
            if nd > FAST_DIGITS:
                return False
        frac = <int>(i - f0)
        if frac == 0:
            return False
    if i < e:
        if p[i] != 42 or i + 1 == e:
            return False
        j = _unit_index(p + i + 1, e - i - 1)
        if j < 0:
            return False
        unit = _unit_code[j]
        exp = _unit_exp[j]
    if expected >= 0:
        if unit < 0:
            unit = expected
        elif unit != expected:
            return False
    raw_out[0] = -raw if neg else raw
    scaler_out[0] = exp - frac
    unit_out[0] = unit
    return True


cdef inline bint _is_ts(const unsigned char* p, _Grp g) noexcept nogil:
    """The twin of is_timestamp: 12 digits then S or W."""
    cdef Py_ssize_t i
    if g.e - g.s != 13 or (p[g.s + 12] != 83 and p[g.s + 12] != 87):
        return False
    for i in range(g.s, g.s + 12):
        if not 48 <= p[i] <= 57:
            return False
    return True


cdef inline bint _is_obis_text(const unsigned char* p, _Grp g) noexcept nogil:
    """The twin of _OBIS_TEXT.fullmatch (no range check, no F group)."""
    cdef int v, k
    cdef Py_ssize_t i = g.s
    cdef unsigned char seps[4]
    seps[0] = 45
    seps[1] = 58
    seps[2] = 46
    seps[3] = 46
    for k in range(5):
        i = _digits(p, i, g.e, &v)
        if i < 0:
            return False
        if k < 4:
            if i >= g.e or p[i] != seps[k]:
                return False
            i += 1
    return i == g.e


cdef object _hex_text(bytes b, const unsigned char* p, _Grp g):
    """The twin of hex_text for all-hex groups; None: let the reference decide."""
    cdef Py_ssize_t n = g.e - g.s, i
    cdef int c
    if n == 0 or n % 2:
        return _group(b, g)
    for i in range(g.s, g.e):
        if not _ishex(p[i]):
            return None
    out = bytearray(n // 2)
    cdef unsigned char* q = out
    for i in range(n // 2):
        c = _hexval(p[g.s + 2 * i]) * 16 + _hexval(p[g.s + 2 * i + 1])
        if c < 0x20 or c > 0x7E:
            return _group(b, g)
        q[i] = <unsigned char>c
    return PyUnicode_DecodeASCII(<const char*>q, n // 2, NULL)


cdef object _value(bytes b, const unsigned char* p, _Grp g, object zone):
    """``convert(text, zone)[3]``, plain numbers and timestamps in C."""
    cdef long long raw = 0
    cdef int scaler = 0, unit = 0
    if _fast_number(p, g.s, g.e, -1, &raw, &scaler, &unit):
        return _scaled(raw, scaler)
    if _is_ts(p, g):
        return p1_time(_group(b, g), zone)
    return convert(_group(b, g), zone)[3]


cdef inline object _scaled(long long raw, int scaler):
    cdef object r = raw
    if scaler == 0:
        return r
    if scaler > 0:
        return r * (<object>10) ** (<object>scaler)   # Python ints: exact, no overflow
    return <double>raw / _POW10[-scaler]


cdef object _log(bytes b, const unsigned char* p, _Grp* g, Py_ssize_t n, object zone):
    """A (count)(obis)...(entries) log as (raw, value), or None when the
    reference should decide (and raise)."""
    cdef Py_ssize_t i, j, m, rest, w
    cdef long count = 0
    if g[0].e - g[0].s > 9:
        return None
    for i in range(g[0].s, g[0].e):
        count = count * 10 + (p[i] - 48)
    m = 1
    while m < n and _is_obis_text(p, g[m]):
        m += 1
    rest = n - m
    if (rest == 0) != (count == 0) or (count and rest % count):  # count entries of rest // count values
        return None
    w = rest // count if count else 0
    raws = []
    vals = []
    for i in range(count):
        raws.append(tuple([_group(b, g[m + i * w + j]) for j in range(w)]))
        vals.append(tuple([_value(b, p, g[m + i * w + j], zone) for j in range(w)]))
    return tuple(raws), tuple(vals)


cdef dict _generic_names = {}


cdef inline int _put(tuple out, object name, object code, long long raw, int scaler, int unit) except -1:
    cdef object r = raw
    (<list>PyTuple_GET_ITEM(out, 0)).append(name)
    (<list>PyTuple_GET_ITEM(out, 1)).append(code)
    (<list>PyTuple_GET_ITEM(out, 2)).append(r)
    (<list>PyTuple_GET_ITEM(out, 3)).append(scaler)
    (<list>PyTuple_GET_ITEM(out, 4)).append(unit)
    (<list>PyTuple_GET_ITEM(out, 5)).append(r if scaler == 0 else _scaled(raw, scaler))
    return 0


cdef inline int _put_full(tuple out, object name, object code, object raw, object scaler, object unit,
                          object value) except -1:
    (<list>PyTuple_GET_ITEM(out, 0)).append(name)
    (<list>PyTuple_GET_ITEM(out, 1)).append(code)
    (<list>PyTuple_GET_ITEM(out, 2)).append(raw)
    (<list>PyTuple_GET_ITEM(out, 3)).append(scaler)
    (<list>PyTuple_GET_ITEM(out, 4)).append(unit)
    (<list>PyTuple_GET_ITEM(out, 5)).append(value)
    return 0


cdef inline int _put_obj(tuple out, object name, object code, object raw, object value) except -1:
    return _put_full(out, name, code, raw, 0, -1, value)


def decode_telegram(data, profiles=None, *, profile=None, tz=None, keys=None, require_authentication=False):
    """Decode one P1 telegram, ``/`` through ``!CRC`` (see :func:`amsparse.decode_telegram`),
    or one general-glo-ciphering frame (``DB 08 ...``) holding it (:mod:`amsparse._p1_crypt`)."""
    cdef bytes b = data if type(data) is bytes else bytes(data)
    cdef const unsigned char* p = <const unsigned char*>PyBytes_AS_STRING(b)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(b)
    cdef Py_ssize_t bang, q0, h, q, eol, end, i, k, before, m
    cdef const void* r
    cdef unsigned int found, expected
    cdef long crc
    cdef _Scan sc
    cdef _Obj* o
    cdef long long raw = 0
    cdef int scaler = 0, unit = 0, exp_unit
    cdef PyObject* idxo
    cdef Py_ssize_t idx
    cdef list names, codes, raws, scalers, units, values, groups
    cdef tuple codes_t, kinds, punits, pnames, time_names, out
    cdef _Grp* g
    cdef int kind

    if profiles is None and profile is None:
        ps = _memo.get("builtin")
        if ps is None:
            ps = _memo["builtin"] = builtin_p1_profiles()
        prof = None
    else:
        ps, prof = prepare(profiles, profile)
    if n and p[0] == 0xDB:   # a ciphered telegram: the shared security layer, then this decoder
        return decode_ciphered(b, keys, require_authentication,
                               lambda plain: decode_telegram(plain, profiles, profile=profile, tz=tz))
    # -- envelope: '/' ... '!' [CRC] [CR] [LF]
    if n == 0 or p[0] != 0x2F:
        raise TelegramError("telegram does not start with '/'", 0)
    r = memchr(p, 0x21, <size_t>n)
    if r == NULL:
        raise IncompleteFrameError("telegram has no end: '!' is missing", 1, n)
    bang = <const unsigned char*>r - p
    q0 = bang + 1
    h = q0
    while h < n and h - q0 < 5 and _ishex(p[h]):
        h += 1
    q = h
    if q < n and p[q] == 13:
        q += 1
    if q < n and p[q] == 10:
        q += 1
    if h - q0 > 4 or q != n:
        raise TelegramError(
            f"malformed telegram end after '!' (a CRC is 4 hex digits, then CR LF): {b[q0:q0 + 12]!r}", q0
        )
    if h == q0:
        crc = -1
    else:
        found = 0
        for i in range(q0, h):
            found = found * 16 + _hexval(p[i])
        expected = ams_arc(p, <size_t>(bang + 1))
        if found != expected:
            raise ChecksumError("CRC", expected, found, q0)
        crc = found
    # -- identification line
    r = memchr(p, 10, <size_t>bang)
    if r == NULL:
        raise TelegramError("identification line has no end (no LF before '!')", 0)
    eol = <const unsigned char*>r - p
    end = eol - 1 if p[eol - 1] == 13 else eol
    if end - 1 > _MAX_IDENT:
        raise TelegramError(f"identification line longer than {_MAX_IDENT} bytes", 0)
    if end - 1 < 4:
        raise TelegramError("identification line too short (expected /XXXnIdent)", 0)
    for i in range(1, end):
        if p[i] >= 0x80 or p[i] == 13 or p[i] == 0:
            raise TelegramError("byte 0x%02X in the identification line" % p[i], i)
    ident = PyUnicode_DecodeASCII(<const char*>p + 1, end - 1, NULL)
    # -- objects
    sc = _Scan()
    _scan_lines(p, eol + 1, bang, sc)
    codes_t = tuple([sc.objs[k].code for k in range(sc.nobj)])
    if prof is None:
        version = None
        for k in range(sc.nobj):
            o = &sc.objs[k]
            if (o.code == _V_DSMR or o.code == _V_EMUCS) and o.gcount == 1:
                version = _group(b, sc.grps[o.gfirst])
                break
        # the last choice, remembered (a meter sends the same shape every time)
        last = _memo.get("choice")
        if (last is not None and (<tuple>last)[0] is ps and (<tuple>last)[1] == ident
                and (<tuple>last)[2] == version and (<tuple>last)[3] == (crc >= 0)
                and (<tuple>last)[4] == codes_t):
            prof = (<tuple>last)[5]
        else:
            prof = ps.choose(ident, version, crc >= 0, codes_t)
            _memo["choice"] = (ps, ident, version, crc >= 0, codes_t, prof)
    lz = _memo.get("zone")
    if lz is not None and (<tuple>lz)[0] is prof and (<tuple>lz)[1] == tz:
        zone = (<tuple>lz)[2]
    else:
        zone = get_zone(tz if tz is not None else prof.timezone)
        _memo["zone"] = (prof, tz, zone)
    by_obis = prof.by_obis
    kinds = prof.kinds
    punits = prof.units
    pnames = prof.names
    names = []
    codes = []
    raws = []
    scalers = []
    units = []
    values = []
    out = (names, codes, raws, scalers, units, values)
    version = None
    meter_id = None
    time_names = prof.time_names
    for k in range(sc.nobj):
        o = &sc.objs[k]
        code_o = <object>PyTuple_GET_ITEM(codes_t, k)
        idxo = PyDict_GetItem(by_obis, code_o)
        g = &sc.grps[o.gfirst]
        if idxo != NULL:
            idx = <Py_ssize_t>(<object>idxo)
            kind = <int>(<object>PyTuple_GET_ITEM(kinds, idx))
            name = <object>PyTuple_GET_ITEM(pnames, idx)
            tname = <object>PyTuple_GET_ITEM(time_names, idx)
            exp_unit = <int>(<object>PyTuple_GET_ITEM(punits, idx))
        else:
            gn = _generic_names.get(code_o)
            if gn is None:
                if len(_generic_names) > 4096:
                    _generic_names.clear()
                gn = _generic_names[code_o] = (generic_name(code_o), generic_name(code_o) + "_time")
            name = (<tuple>gn)[0]
            tname = (<tuple>gn)[1]
            kind = 0
            exp_unit = -1
        if kind == 0:
            if o.gcount == 1:
                if _fast_number(p, g[0].s, g[0].e, exp_unit, &raw, &scaler, &unit):
                    _put(out, name, code_o, raw, scaler, unit)
                    continue
                if exp_unit < 0:
                    t = _group(b, g[0])
                    if _is_ts(p, g[0]):
                        _put_obj(out, name, code_o, t, p1_time(t, zone))
                    else:
                        cv = convert(t, zone)
                        _put_full(out, name, code_o, cv[0], cv[1], cv[2], cv[3])
                    continue
            elif o.gcount == 7 and g[0].e - g[0].s == 12 and _all_digits(p, g[0]) and _is_obis_text(p, g[4]):
                # DSMR 2.2/3 hourly M-Bus value: (time)(status)(period)(1)(obis)(unit) NL (value)
                tmp = b[g[6].s:g[6].e] + b"*" + b[g[5].s:g[5].e]
                if _fast_number(<const unsigned char*>PyBytes_AS_STRING(tmp), 0, PyBytes_GET_SIZE(tmp),
                                exp_unit, &raw, &scaler, &unit):
                    _put(out, name, code_o, raw, scaler, unit)
                    t = _group(b, g[0])
                    _put_obj(out, tname, code_o, t, p1_time(t, zone))
                    continue
            elif o.gcount >= 2 and g[0].e > g[0].s and _all_digits(p, g[0]) and _is_obis_text(p, g[1]):
                lg = _log(b, p, g, o.gcount, zone)
                if lg is not None:
                    _put_obj(out, name, code_o, (<tuple>lg)[0], (<tuple>lg)[1])
                    continue
            elif o.gcount >= 2 and _is_ts(p, g[0]):
                if o.gcount == 2:
                    if _fast_number(p, g[1].s, g[1].e, exp_unit, &raw, &scaler, &unit):
                        _put(out, name, code_o, raw, scaler, unit)
                        t = _group(b, g[0])
                        _put_obj(out, tname, code_o, t, p1_time(t, zone))
                        continue
                else:
                    _put_obj(out, name, code_o, tuple([_group(b, g[i]) for i in range(1, o.gcount)]),
                             tuple([_value(b, p, g[i], zone) for i in range(1, o.gcount)]))
                    t = _group(b, g[0])
                    _put_obj(out, tname, code_o, t, p1_time(t, zone))
                    continue
            elif o.gcount >= 2:
                _put_obj(out, name, code_o, tuple([_group(b, g[i]) for i in range(o.gcount)]),
                         tuple([_value(b, p, g[i], zone) for i in range(o.gcount)]))
                continue
        elif o.gcount == 1:
            t = _group(b, g[0])
            v = t
            if kind == 2:
                v = _hex_text(b, p, g[0])
                if v is None:
                    v = hex_text(t)
            _put_obj(out, name, code_o, t, v)
            if version is None and (name == _N_VERSION or name == _N_VERSION_BE):
                version = t
            elif meter_id is None and name == _N_METER_ID:
                meter_id = v
            continue
        groups = [_group(b, g[i]) for i in range(o.gcount)]
        before = len(names)
        line_readings(out, prof, code_o, groups, zone, o.off)
        for m in range(before, len(names)):
            nm = names[m]
            if version is None and (nm == _N_VERSION or nm == _N_VERSION_BE):
                version = raws[m] if isinstance(raws[m], str) else None
            elif meter_id is None and nm == _N_METER_ID and isinstance(values[m], str):
                meter_id = values[m]
    return _new_frame((
        prof.id, _P1 if crc >= 0 else _P1_NO_CRC, version, meter_id, ident, None, None, crc, None,
        tuple(names), tuple(codes), tuple(raws), tuple(scalers), tuple(units), tuple(values), None,
        names.index(_N_METER_TIME) if _N_METER_TIME in names else -1,  # P1 profiles have no roles
    ))
