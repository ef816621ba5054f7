"""Compiled decoder core: the Cython twin of :mod:`amsparse._decode_py`.

Same public names, same results (``Frame`` objects comparing equal), same
exception types, messages and offsets on the same input.  The byte-level work
(CRC, HDLC header, LLC, data-notification header, A-XDR walk) runs on a C
cursor over the input buffer; every read is checked against the end
explicitly (the build turns Cython's own bounds checks off).  Layout detection
and profile resolution mirror the twin function for function and run with
Cython's bounds checks switched back on, because they index Python
containers.

The reference is ``_decode_py.py``: when the two disagree, this file is wrong.
"""

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.list cimport PyList_New, PyList_SET_ITEM
from cpython.ref cimport Py_INCREF
from libc.string cimport memcpy

from ._clock import get_zone, parse_date, parse_datetime, parse_time, to_datetime
from ._errors import (
    ApduError,
    ChecksumError,
    FrameError,
    IncompleteFrameError,
    ProfileMismatchError,
    SegmentedFrameError,
    UnsupportedApduError,
)
from ._model import Frame
from ._profiles import (
    KIND_BYTES as _P_KIND_BYTES,
    KIND_DATETIME as _P_KIND_DATETIME,
    KIND_NUMBER as _P_KIND_NUMBER,
    KIND_STRING as _P_KIND_STRING,
    LAYOUT_OBIS as _P_LAYOUT_OBIS,
    LAYOUT_POSITIONAL as _P_LAYOUT_POSITIONAL,
    builtin_profiles as _builtin_profiles,
)

__all__ = ["decode_apdu", "decode_frame", "fcs16", "parse_hdlc"]

BACKEND = "cython"

MAX_DEPTH = 16  # nesting of arrays/structures; real lists use 3

cdef enum:
    C_MAX_DEPTH = 16
    VERSION_CDE = (0 << 16) | (2 << 8) | 129  # x-x:0.2.129.x

# A-XDR tags
cdef enum:
    T_NULL = 0x00
    T_ARRAY = 0x01
    T_STRUCT = 0x02
    T_BOOL = 0x03
    T_BITS = 0x04
    T_I32 = 0x05
    T_U32 = 0x06
    T_OCTETS = 0x09
    T_VISIBLE = 0x0A
    T_UTF8 = 0x0C
    T_BCD = 0x0D
    T_I8 = 0x0F
    T_I16 = 0x10
    T_U8 = 0x11
    T_U16 = 0x12
    T_I64 = 0x14
    T_U64 = 0x15
    T_ENUM = 0x16
    T_F32 = 0x17
    T_F64 = 0x18
    T_DATETIME = 0x19
    T_DATE = 0x1A
    T_TIME = 0x1B

cdef enum:
    KIND_NUMBER = 0
    KIND_STRING = 1
    KIND_DATETIME = 2
    KIND_BYTES = 3
    LAYOUT_OBIS = 0
    LAYOUT_POSITIONAL = 1

if (_P_KIND_NUMBER, _P_KIND_STRING, _P_KIND_DATETIME, _P_KIND_BYTES) != (0, 1, 2, 3) or (
    _P_LAYOUT_OBIS, _P_LAYOUT_POSITIONAL
) != (0, 1):  # pragma: no cover - guards the constants copied above
    raise ImportError("amsparse._decode_c is out of date with amsparse._profiles")

cdef object _LAYOUT_OBIS_OBJ = _P_LAYOUT_OBIS
cdef object _LAYOUT_POSITIONAL_OBJ = _P_LAYOUT_POSITIONAL

cdef inline bint _is_numeric(int tag) noexcept:
    return (
        tag == T_I32 or tag == T_U32 or tag == T_I8 or tag == T_I16 or tag == T_U8
        or tag == T_U16 or tag == T_I64 or tag == T_U64 or tag == T_ENUM
        or tag == T_F32 or tag == T_F64 or tag == T_BCD
    )


# --------------------------------------------------------------------------- CRC

cdef unsigned short _CRC_TABLE[256]


cdef void _make_table() noexcept:
    cdef unsigned int i, crc, k
    for i in range(256):
        crc = i
        for k in range(8):
            if crc & 1:
                crc = (crc >> 1) ^ 0x8408
            else:
                crc = crc >> 1
        _CRC_TABLE[i] = <unsigned short>crc


_make_table()


cdef inline unsigned int _crc(const unsigned char* p, Py_ssize_t n) noexcept nogil:
    cdef unsigned int crc = 0xFFFF
    cdef Py_ssize_t i
    for i in range(n):
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ p[i]) & 0xFF]
    return (crc ^ 0xFFFF) & 0xFFFF


def fcs16(data, start=0, end=None):
    """CRC-16/X.25 (HDLC FCS): reflected polynomial 0x1021, init and xorout
    0xFFFF.  ``fcs16(b"123456789") == 0x906E``.  Frames carry it LSB first."""
    cdef bytes buf
    if end is None:
        end = len(data)
    if (type(data) is bytes and type(start) is int and start == 0 and type(end) is int
            and end == PyBytes_GET_SIZE(<bytes>data)):
        buf = <bytes>data
    else:
        buf = bytes(data[start:end])
    return _crc(<const unsigned char*>PyBytes_AS_STRING(buf), PyBytes_GET_SIZE(buf))


# --------------------------------------------------------------------------- HDLC

cdef struct Hdlc:
    unsigned long dest
    unsigned long src
    unsigned int control
    bint segmented
    Py_ssize_t info_start
    Py_ssize_t info_end


cdef int _read_address(const unsigned char* d, Py_ssize_t pos, Py_ssize_t limit, str what,
                       unsigned long* value_out, Py_ssize_t* pos_out) except -1:
    cdef unsigned long value = 0
    cdef int n
    cdef unsigned char b
    for n in range(4):
        if pos + n >= limit:
            raise FrameError(f"HDLC header ends inside the {what} address", pos + n)
        b = d[pos + n]
        value = (value << 8) | b
        if b & 1:
            if n == 2:
                raise FrameError(f"{what} address is 3 bytes long (1, 2 or 4 allowed)", pos)
            value_out[0] = value
            pos_out[0] = pos + n + 1
            return 0
    raise FrameError(f"{what} address longer than 4 bytes", pos)


cdef int _parse_hdlc(const unsigned char* d, Py_ssize_t n, Hdlc* out) except -1:
    cdef Py_ssize_t length, total, fcs_pos, pos, info_start
    cdef unsigned int hcs_calc, hcs_found, fcs_calc, fcs_found
    if n < 1:
        raise IncompleteFrameError("empty input", 9, 0)
    if d[0] != 0x7E:
        raise FrameError(f"frame does not start with the 0x7E flag (found 0x{d[0]:02X})", 0)
    if n < 3:
        raise IncompleteFrameError("input ends inside the HDLC format field", 3 - n, n)
    if d[1] & 0xF0 != 0xA0:
        raise FrameError(
            f"not an HDLC type-3 frame (format type 0x{d[1] >> 4:X}, expected 0xA)", 1
        )
    out.segmented = (d[1] & 0x08) != 0
    length = ((d[1] & 0x07) << 8) | d[2]
    total = length + 2
    if length < 7:
        raise FrameError(f"HDLC length {length} is too short for a frame", 1)
    if n < total:
        raise IncompleteFrameError(
            f"frame is {total} bytes by its length field, only {n} given", total - n, n
        )
    if n > total:
        raise FrameError(f"{n - total} bytes after the end of the frame", total)
    if d[total - 1] != 0x7E:
        raise FrameError(
            f"frame does not end with the 0x7E flag (found 0x{d[total - 1]:02X})", total - 1
        )
    fcs_pos = total - 3
    _read_address(d, 3, fcs_pos, "destination", &out.dest, &pos)
    _read_address(d, pos, fcs_pos, "source", &out.src, &pos)
    if pos >= fcs_pos:
        raise FrameError("HDLC header ends before the control field", pos)
    out.control = d[pos]
    pos += 1
    if pos == fcs_pos:
        raise FrameError("frame has no information field", pos)
    if pos + 2 > fcs_pos:
        raise FrameError("frame too short for a header check sequence", pos)
    hcs_calc = _crc(d + 1, pos - 1)
    hcs_found = d[pos] | (<unsigned int>d[pos + 1] << 8)
    if hcs_calc != hcs_found:
        raise ChecksumError("HCS", hcs_calc, hcs_found, pos)
    info_start = pos + 2
    fcs_calc = _crc(d + 1, fcs_pos - 1)
    fcs_found = d[fcs_pos] | (<unsigned int>d[fcs_pos + 1] << 8)
    if fcs_calc != fcs_found:
        raise ChecksumError("FCS", fcs_calc, fcs_found, fcs_pos)
    if info_start == fcs_pos:
        raise FrameError("frame has no information field", info_start)
    out.info_start = info_start
    out.info_end = fcs_pos
    return 0


cdef inline bytes _as_bytes(object data):
    if type(data) is bytes:
        return <bytes>data
    return bytes(data)


def parse_hdlc(data):
    """Check one flag-delimited HDLC type-3 frame.

    Returns ``(destination, source, control, segmented, info_start, info_end)``
    where ``data[info_start:info_end]`` is the information field.  No byte
    stuffing is undone: 0x7E/0x7D inside the frame are data.
    """
    cdef bytes buf
    cdef Hdlc h
    if not isinstance(data, (bytes, bytearray, memoryview)):
        len(data)  # the twin indexes any sequence: no length -> TypeError, as there
    buf = _as_bytes(data)
    _parse_hdlc(<const unsigned char*>PyBytes_AS_STRING(buf), PyBytes_GET_SIZE(buf), &h)
    return h.dest, h.src, h.control, bool(h.segmented), h.info_start, h.info_end


# --------------------------------------------------------------------------- A-XDR

cdef int _need(Py_ssize_t pos, long long size, Py_ssize_t end, str what) except -1:
    cdef long long left
    if <long long>pos + size > <long long>end:
        left = <long long>end - <long long>pos
        if left < 0:
            left = 0
        raise ApduError(f"{what} needs {size} bytes, {left} left", pos)
    return 0


cdef int _read_length(const unsigned char* d, Py_ssize_t* ppos, Py_ssize_t end,
                      long long* out) except -1:
    cdef Py_ssize_t pos = ppos[0]
    cdef unsigned char b
    cdef int n, k
    cdef unsigned long long v
    _need(pos, 1, end, "length")
    b = d[pos]
    if b < 0x80:
        out[0] = b
        ppos[0] = pos + 1
        return 0
    n = b & 0x7F
    if n == 0 or n > 4:
        raise ApduError(f"bad A-XDR length prefix 0x{b:02X}", pos)
    _need(pos + 1, n, end, "length")
    v = 0
    for k in range(n):
        v = (v << 8) | d[pos + 1 + k]
    out[0] = <long long>v
    ppos[0] = pos + 1 + n
    return 0


cdef inline unsigned long long _be(const unsigned char* p, int width) noexcept:
    cdef unsigned long long v = 0
    cdef int k
    for k in range(width):
        v = (v << 8) | p[k]
    return v


cdef object _bits_text(const unsigned char* p, long long nbits):
    cdef bytes out = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>nbits)
    cdef char* q = PyBytes_AS_STRING(out)
    cdef long long i
    for i in range(nbits):
        q[i] = b'1' if (p[i >> 3] >> (7 - (i & 7))) & 1 else b'0'
    return out.decode("ascii")


cdef object _read_value(const unsigned char* d, Py_ssize_t* ppos, Py_ssize_t end, int depth):
    """One A-XDR value at ``ppos[0]`` -> ``(tag, value)``; advances ``ppos``."""
    cdef Py_ssize_t pos = ppos[0]
    cdef int tag
    cdef long long count, length, nbits, nbytes, i
    cdef list items
    cdef object item, value
    cdef unsigned long long u
    cdef unsigned int u32
    cdef float f32
    cdef double f64
    cdef unsigned char b
    _need(pos, 1, end, "A-XDR tag")
    tag = d[pos]
    pos += 1
    if tag == T_ARRAY or tag == T_STRUCT:
        if depth >= C_MAX_DEPTH:
            raise ApduError(f"A-XDR nesting deeper than {MAX_DEPTH}", pos - 1)
        _read_length(d, &pos, end, &count)
        if count > end - pos:  # every element takes at least one byte
            raise ApduError(f"{count} elements announced, only {end - pos} bytes left", pos)
        items = PyList_New(<Py_ssize_t>count)
        for i in range(count):
            item = _read_value(d, &pos, end, depth + 1)
            Py_INCREF(item)
            PyList_SET_ITEM(items, <Py_ssize_t>i, item)
        ppos[0] = pos
        return (tag, items)
    if tag == T_U8 or tag == T_ENUM:
        _need(pos, 1, end, "integer")
        ppos[0] = pos + 1
        return (tag, <long>d[pos])
    if tag == T_I8:
        _need(pos, 1, end, "integer")
        ppos[0] = pos + 1
        return (tag, <long>(<signed char>d[pos]))
    if tag == T_U16:
        _need(pos, 2, end, "integer")
        ppos[0] = pos + 2
        return (tag, <long>_be(d + pos, 2))
    if tag == T_I16:
        _need(pos, 2, end, "integer")
        ppos[0] = pos + 2
        return (tag, <long>(<short>(<unsigned short>_be(d + pos, 2))))
    if tag == T_U32:
        _need(pos, 4, end, "integer")
        ppos[0] = pos + 4
        return (tag, <unsigned long long>_be(d + pos, 4))
    if tag == T_I32:
        _need(pos, 4, end, "integer")
        ppos[0] = pos + 4
        return (tag, <long long>(<int>(<unsigned int>_be(d + pos, 4))))
    if tag == T_U64:
        _need(pos, 8, end, "integer")
        ppos[0] = pos + 8
        return (tag, <unsigned long long>_be(d + pos, 8))
    if tag == T_I64:
        _need(pos, 8, end, "integer")
        ppos[0] = pos + 8
        return (tag, <long long>_be(d + pos, 8))
    if tag == T_NULL:
        ppos[0] = pos
        return (tag, None)
    if tag == T_OCTETS or tag == T_VISIBLE or tag == T_UTF8:
        _read_length(d, &pos, end, &length)
        _need(pos, length, end, "string")
        value = PyBytes_FromStringAndSize(<const char*>(d + pos), <Py_ssize_t>length)
        if tag == T_VISIBLE:
            value = (<bytes>value).decode("latin-1")
        elif tag == T_UTF8:
            try:
                value = (<bytes>value).decode("utf-8")
            except UnicodeDecodeError:
                raise ApduError("utf8-string is not valid UTF-8", pos) from None
        ppos[0] = pos + <Py_ssize_t>length
        return (tag, value)
    if tag == T_BOOL:
        _need(pos, 1, end, "boolean")
        ppos[0] = pos + 1
        return (tag, d[pos] != 0)
    if tag == T_BITS:
        _read_length(d, &pos, end, &nbits)
        nbytes = (nbits + 7) // 8
        _need(pos, nbytes, end, "bit-string")
        value = _bits_text(d + pos, nbits)
        ppos[0] = pos + <Py_ssize_t>nbytes
        return (tag, value)
    if tag == T_BCD:
        _need(pos, 1, end, "bcd")
        b = d[pos]
        if (b >> 4) > 9 or (b & 0x0F) > 9:
            raise ApduError(f"bcd byte 0x{b:02X} is not two decimal digits", pos)
        ppos[0] = pos + 1
        return (tag, <long>((b >> 4) * 10 + (b & 0x0F)))
    if tag == T_F32:
        _need(pos, 4, end, "float")
        u32 = <unsigned int>_be(d + pos, 4)
        memcpy(&f32, &u32, 4)
        ppos[0] = pos + 4
        return (tag, <double>f32)
    if tag == T_F64:
        _need(pos, 8, end, "float")
        u = _be(d + pos, 8)
        memcpy(&f64, &u, 8)
        ppos[0] = pos + 8
        return (tag, f64)
    if tag == T_DATETIME:
        _need(pos, 12, end, "date-time")
        ppos[0] = pos + 12
        return (tag, parse_datetime(PyBytes_FromStringAndSize(<const char*>(d + pos), 12)))
    if tag == T_DATE:
        _need(pos, 5, end, "date")
        ppos[0] = pos + 5
        return (tag, parse_date(PyBytes_FromStringAndSize(<const char*>(d + pos), 5)))
    if tag == T_TIME:
        _need(pos, 4, end, "time")
        ppos[0] = pos + 4
        return (tag, parse_time(PyBytes_FromStringAndSize(<const char*>(d + pos), 4)))
    raise ApduError(f"unknown or unsupported A-XDR tag 0x{tag:02X}", pos - 1)


# --------------------------------------------------------------------------- layouts

cdef inline bint _is_obis(object item) except -1:
    # item is a (tag, value) tuple built by _read_value
    cdef tuple t = <tuple>item
    return (<int>t[0]) == T_OCTETS and len(<bytes>t[1]) == 6


cdef inline object _obis_int(object raw):
    return <unsigned long long>_be(<const unsigned char*>PyBytes_AS_STRING(<bytes>raw), 6)


@cython.boundscheck(True)
@cython.wraparound(True)
cdef tuple _flatten(int tag, object val):
    """See ``_decode_py._flatten``: ``(layout, elements)``, elements are
    ``(obis_or_-1, tag, value, scaler_or_None, unit_or_None)``."""
    cdef list items, out, v, sv
    cdef Py_ssize_t n, i, start, rest
    cdef object it, slots, s, scaler, unit
    cdef tuple vt_vv, st_sv, ot_ov
    cdef bint ok, anyo
    if tag != T_ARRAY and tag != T_STRUCT:
        return _LAYOUT_POSITIONAL_OBJ, [(-1, tag, val, None, None)]
    items = <list>val
    n = len(items)
    if n:
        ok = True
        for it in items:
            if not (
                (<int>(<tuple>it)[0]) == T_STRUCT
                and len(<list>(<tuple>it)[1]) >= 2
                and _is_obis((<list>(<tuple>it)[1])[0])
            ):
                ok = False
                break
        if ok:
            out = []
            for it in items:
                v = <list>(<tuple>it)[1]
                vt_vv = <tuple>v[1]
                scaler = unit = None
                if len(v) >= 3:
                    st_sv = <tuple>v[2]
                    if (<int>st_sv[0]) == T_STRUCT:
                        sv = <list>st_sv[1]
                        if (
                            len(sv) == 2
                            and (<int>(<tuple>sv[0])[0]) == T_I8
                            and (<int>(<tuple>sv[1])[0]) == T_ENUM
                        ):
                            scaler = (<tuple>sv[0])[1]
                            unit = (<tuple>sv[1])[1]
                out.append(
                    (_obis_int((<tuple>v[0])[1]), vt_vv[0], vt_vv[1], scaler, unit)
                )
            return _LAYOUT_OBIS_OBJ, out
    for start in range(2):
        rest = n - start
        if rest < 2 or rest % 2:
            continue
        ok = True
        anyo = False
        for i in range(start, n, 2):
            s = items[i]
            if _is_obis(s):
                anyo = True
            elif (<int>(<tuple>s)[0]) != T_NULL:
                ok = False
                break
        if ok and anyo:
            out = []
            if start:
                s = items[0]
                out.append((-1, (<tuple>s)[0], (<tuple>s)[1], None, None))
            for i in range(start, n, 2):
                ot_ov = <tuple>items[i]
                if (<int>ot_ov[0]) == T_NULL:
                    continue  # padding (Kamstrup 1-phase sends null, null)
                vt_vv = <tuple>items[i + 1]
                out.append((_obis_int(ot_ov[1]), vt_vv[0], vt_vv[1], None, None))
            return _LAYOUT_OBIS_OBJ, out
    return _LAYOUT_POSITIONAL_OBJ, [(-1, (<tuple>it)[0], (<tuple>it)[1], None, None) for it in items]


cdef object _as_text(int tag, object value):
    if tag == T_VISIBLE or tag == T_UTF8:
        return value
    if tag == T_OCTETS:
        return (<bytes>value).decode("latin-1")
    return None


@cython.boundscheck(True)
@cython.wraparound(True)
cdef object _list_version(int layout, list elements):
    cdef object el
    cdef long long obis
    if layout == LAYOUT_OBIS:
        for el in elements:
            obis = (<tuple>el)[0]
            if obis >= 0 and ((obis >> 8) & 0xFFFFFF) == VERSION_CDE:
                return _as_text((<tuple>el)[1], (<tuple>el)[2])
        el = elements[0]
        if (<long long>(<tuple>el)[0]) < 0:  # Kamstrup: bare leading version string
            return _as_text((<tuple>el)[1], (<tuple>el)[2])
        return None
    if len(elements) > 1:
        el = elements[0]
        return _as_text((<tuple>el)[1], (<tuple>el)[2])
    return None


cdef object _choose_profile(object profiles, int layout, Py_ssize_t count, object version,
                            object source, object profile):
    cdef object p
    if profile is not None:
        return profile
    if version is not None:
        for p in profiles.by_version.get(version, ()):
            if p.layout == layout and (layout == LAYOUT_OBIS or count in p.lists):
                return p
    if source >= 0:
        for p in profiles.profiles:
            if p.layout == layout and source in p.hdlc_sources and count in p.lists:
                return p
    return None


cdef str _generic_name(object obis):
    return "obis_" + "_".join([str(b) for b in obis.to_bytes(6, "big")])


_POW10 = tuple([10 ** _k for _k in range(160)])  # the very ints 10 ** k would give


cdef object _scale(object raw, object scaler):
    cdef long k
    if scaler == 0 or isinstance(raw, bool):
        return raw
    if type(scaler) is int and -160 < scaler < 160:
        k = scaler
        if k > 0:
            return raw * (<tuple>_POW10)[k]
        return raw / (<tuple>_POW10)[-k]
    if scaler > 0:
        return raw * 10 ** scaler
    return raw / 10 ** (-scaler)


@cython.boundscheck(True)
@cython.wraparound(True)
cdef object _resolve(
    int layout,
    list elements,
    Py_ssize_t count,
    object profiles,
    object profile,
    object source,
    object tz,
    object header,
    object invoke_id,
    object address,
    Py_ssize_t offset,
):
    cdef object version, prof, generic, list_entry, field_idx, zone, policy
    cdef object table, obis, value, f_scaler, f_unit, name, kind, d_scaler, d_unit, idx_obj
    cdef object raw, raw_tv, prefix, table_, f, meter_type, list_version, meter_id
    cdef object header_clock, header_time
    cdef list names, obis_out, raws, raw_tags, scalers, units, kinds, defaults, fields, values, out_raws
    cdef Py_ssize_t i, j, nel
    cdef long long idx, obis_c
    cdef int tag, kind_c
    cdef tuple el
    cdef bint use_prof, prof_is_generic
    cdef object p_names, p_kinds, p_scalers, p_units, p_obis, p_by_obis
    cdef object g_names, g_kinds, g_scalers, g_units, g_obis, g_by_obis, g_by_cde

    version = _list_version(layout, elements)
    prof = _choose_profile(profiles, layout, count, version, source, profile)
    generic = profiles.generic
    if prof is None:
        if layout == LAYOUT_POSITIONAL:
            raise ProfileMismatchError(
                f"no profile for a value-only list of {count} elements"
                + (f" with list version {version!r}" if version is not None else ""),
                version, count, offset,
            )
        prof = generic
    list_entry = prof.lists.get(count)
    if layout == LAYOUT_POSITIONAL:
        if list_entry is None or list_entry[1] is None:
            raise ProfileMismatchError(
                f"profile {prof.id!r} has no {count}-element value-only list",
                version, count, offset,
            )
        field_idx = list_entry[1]
    else:
        field_idx = None
    zone = get_zone(tz if tz is not None else prof.timezone)
    policy = prof.clock_policy

    names = []
    obis_out = []
    raws = []
    raw_tags = []
    scalers = []
    units = []
    kinds = []
    defaults = []
    fields = []
    # the profile's and the generic table's columns, looked up once
    p_names = prof.names
    p_kinds = prof.kinds
    p_scalers = prof.scalers
    p_units = prof.units
    p_obis = prof.obis
    p_by_obis = prof.by_obis
    g_names = generic.names
    g_kinds = generic.kinds
    g_scalers = generic.scalers
    g_units = generic.units
    g_obis = generic.obis
    g_by_obis = generic.by_obis
    g_by_cde = generic.by_cde
    prof_is_generic = generic is prof
    nel = len(elements)
    for i in range(nel):
        el = <tuple>elements[i]
        obis, tag_obj, value, f_scaler, f_unit = el
        tag = tag_obj
        if tag == T_NULL:
            continue  # null-data: nothing measured
        use_prof = True
        if field_idx is not None:
            idx = field_idx[i]
        elif obis < 0:
            idx = p_names.index("list_version") if "list_version" in p_names else -1
            if idx < 0:
                use_prof = False
                idx = g_names.index("list_version")
        else:
            idx = p_by_obis.get(obis, -1)
            if idx < 0:
                use_prof = False
                idx = g_by_obis.get(obis, -1)
                if idx < 0:
                    idx = g_by_cde.get((obis >> 8) & 0xFFFFFF, -1)
        if idx >= 0:
            if use_prof:
                name = p_names[idx]
                kind = p_kinds[idx]
                d_scaler = p_scalers[idx]
                d_unit = p_units[idx]
                if obis < 0:
                    obis = p_obis[idx]
            else:
                name = g_names[idx]
                kind = g_kinds[idx]
                d_scaler = g_scalers[idx]
                d_unit = g_units[idx]
                if obis < 0:
                    obis = g_obis[idx]
        else:
            name = _generic_name(obis)
            if tag == T_OCTETS and len(value) == 12 and (obis >> 8) & 0xFFFFFF == 0x010000:
                kind = _P_KIND_DATETIME
            elif _is_numeric(tag):
                kind = _P_KIND_NUMBER
            else:
                kind = _P_KIND_BYTES
            d_scaler, d_unit = 0, -1
        names.append(name)
        obis_out.append(obis)
        raw_tags.append(tag_obj)
        raws.append(value)
        kinds.append(kind)
        fields.append(idx if (use_prof or prof_is_generic) else -1)
        if f_scaler is not None:
            scalers.append(f_scaler)
            units.append(f_unit)
            defaults.append(False)
        else:
            scalers.append(d_scaler)
            units.append(d_unit)
            defaults.append(True)

    # convert raw values by kind
    values = []
    out_raws = []
    for j in range(len(raws)):
        tag = raw_tags[j]
        value = raws[j]
        kind = kinds[j]
        if tag == T_DATETIME or (kind == KIND_DATETIME and tag == T_OCTETS and len(value) == 12):
            raw = value if tag == T_DATETIME else parse_datetime(value)
            out_raws.append(raw)
            values.append(to_datetime(raw, zone, policy))
            scalers[j] = 0
            units[j] = -1
            continue
        if kind == KIND_STRING and tag == T_OCTETS:
            value = value.decode("latin-1")
        out_raws.append(value)
        if kind == KIND_STRING and isinstance(value, str):
            values.append(value.rstrip("\x00 "))
            scalers[j] = 0
            continue
        if _is_numeric(tag):
            values.append(value)  # scaled below, after overrides
        else:
            scalers[j] = 0
            values.append(value)

    list_version = _text(names, values, "list_version")
    meter_id = _text(names, values, "meter_id")
    meter_type = _text(names, values, "meter_type")
    if prof.overrides and meter_type is not None:
        for prefix, table_ in prof.overrides:
            if meter_type.startswith(prefix):
                for j in range(len(fields)):
                    f = fields[j]
                    if defaults[j] and f in table_:
                        scalers[j] = table_[f]
                break
    for j in range(len(raws)):
        tag = raw_tags[j]
        if _is_numeric(tag):
            values[j] = _scale(values[j], scalers[j])

    header_clock = parse_datetime(header) if header is not None else None
    header_time = to_datetime(header_clock, zone, policy) if header_clock is not None else None
    return Frame(
        prof.id,
        list_entry[0] if list_entry is not None else None,
        list_version,
        meter_id,
        meter_type,
        header_clock,
        header_time,
        invoke_id,
        address,
        tuple(names),
        tuple(obis_out),
        tuple(out_raws),
        tuple(scalers),
        tuple(units),
        tuple(values),
    )


@cython.boundscheck(True)
@cython.wraparound(True)
cdef object _text(list names, list values, str name):
    cdef object v
    try:
        v = values[names.index(name)]
    except ValueError:
        return None
    return v if isinstance(v, str) else None


# --------------------------------------------------------------------------- APDU

cdef object _decode_info(
    bytes buf,
    Py_ssize_t start,
    Py_ssize_t end,
    object profiles,
    object profile,
    object source,
    object tz,
    object address,
    bint llc,
):
    cdef const unsigned char* d = <const unsigned char*>PyBytes_AS_STRING(buf)
    cdef Py_ssize_t pos = start, body_pos
    cdef int tag, marker, btag, layout
    cdef object invoke_id, header, body, bval, elements
    cdef tuple fl
    cdef Py_ssize_t count
    if llc:
        if end - pos < 3 or d[pos] != 0xE6 or d[pos + 1] != 0xE7 or d[pos + 2] != 0x00:
            raise ApduError("information field does not start with the LLC header E6 E7 00", pos)
        pos += 3
    _need(pos, 1, end, "APDU tag")
    tag = d[pos]
    if tag != 0x0F:
        if tag == 0xDB:
            raise UnsupportedApduError(
                "general-glo-ciphering (encrypted) APDU is not supported yet", tag, pos)
        if tag == 0xDF:
            raise UnsupportedApduError(
                "general-ded-ciphering (encrypted) APDU is not supported yet", tag, pos)
        if tag == 0xE0:
            raise UnsupportedApduError("general-block-transfer APDU is not supported yet", tag, pos)
        if tag == 0xD8:
            raise UnsupportedApduError("exception-response APDU is not supported yet", tag, pos)
        raise ApduError(f"APDU tag 0x{tag:02X} is not a data-notification (0x0F)", pos)
    pos += 1
    _need(pos, 4, end, "long-invoke-id-and-priority")
    invoke_id = <unsigned long long>_be(d + pos, 4)
    pos += 4
    _need(pos, 1, end, "date-time field")
    marker = d[pos]
    if marker == 0x00:
        header = None
        pos += 1
    elif marker == 0x0C:
        _need(pos + 1, 12, end, "date-time")
        header = PyBytes_FromStringAndSize(<const char*>(d + pos + 1), 12)
        pos += 13
    elif marker == 0x09:
        _need(pos + 1, 1, end, "date-time length")
        if d[pos + 1] != 0x0C:
            raise ApduError(
                f"date-time octet-string of length {d[pos + 1]} (expected 12)", pos + 1)
        _need(pos + 2, 12, end, "date-time")
        header = PyBytes_FromStringAndSize(<const char*>(d + pos + 2), 12)
        pos += 14
    else:
        raise ApduError(f"bad date-time field 0x{marker:02X} (expected 00, 0C or 09 0C)", pos)
    body_pos = pos
    body = _read_value(d, &pos, end, 0)
    if pos != end:
        raise ApduError(f"{end - pos} bytes after the notification body", pos)
    btag = (<tuple>body)[0]
    bval = (<tuple>body)[1]
    fl = _flatten(btag, bval)
    layout = fl[0]
    elements = fl[1]
    count = len(<list>bval) if (btag == T_ARRAY or btag == T_STRUCT) else 1
    return _resolve(layout, <list>elements, count, profiles, profile, source, tz, header,
                    invoke_id, address, body_pos)


cdef tuple _prepare(object profiles, object profile):
    ps = _builtin_profiles() if profiles is None else profiles
    if isinstance(profile, str):
        try:
            return ps, ps[profile]
        except KeyError:
            raise ValueError(
                f"no profile with id {profile!r} (have: {', '.join(p.id for p in ps)})"
            ) from None
    return ps, profile


def decode_frame(data, profiles=None, *, profile=None, tz=None):
    """Decode exactly one flag-delimited HDLC frame (see :func:`amsparse.decode_frame`)."""
    cdef bytes buf = _as_bytes(data)
    cdef Hdlc h
    ps, prof = _prepare(profiles, profile)
    _parse_hdlc(<const unsigned char*>PyBytes_AS_STRING(buf), PyBytes_GET_SIZE(buf), &h)
    if h.segmented:
        raise SegmentedFrameError(
            "frame has the HDLC segmentation bit set; it is one piece of a longer APDU", 1
        )
    return _decode_info(buf, h.info_start, h.info_end, ps, prof, h.src, tz,
                        (h.dest, h.src, h.control), True)


def decode_apdu(data, profiles=None, *, profile=None, tz=None, source=-1):
    """Decode a DLMS APDU without HDLC framing; a leading LLC header is optional."""
    cdef bytes buf = _as_bytes(data)
    cdef const unsigned char* d
    cdef Py_ssize_t n
    cdef bint llc
    ps, prof = _prepare(profiles, profile)
    d = <const unsigned char*>PyBytes_AS_STRING(buf)
    n = PyBytes_GET_SIZE(buf)
    llc = n >= 3 and d[0] == 0xE6 and d[1] == 0xE7 and d[2] == 0x00
    return _decode_info(buf, 0, n, ps, prof, source, tz, None, llc)
