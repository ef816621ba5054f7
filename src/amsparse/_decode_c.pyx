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
from cpython.ref cimport Py_INCREF, Py_XDECREF, PyObject
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_New, PyTuple_SET_ITEM
from libc.string cimport memcpy, memcmp, memmove, memset
from libc.math cimport NAN
from libc.limits cimport LLONG_MIN


cdef extern from *:
    """
    static PyObject *ams_alloc(PyObject *t)
    {
        return ((PyTypeObject *)t)->tp_alloc((PyTypeObject *)t, 0);
    }
    static int ams_set_slot(PyObject *descr, PyObject *obj, PyObject *v)
    {
        descrsetfunc f = Py_TYPE(descr)->tp_descr_set;
        if (f == NULL) {
            PyErr_SetString(PyExc_TypeError, "not a data descriptor");
            return -1;
        }
        return f(descr, obj, v);
    }
    /* Global caches shared by all threads (the object path's frame templates,
       the clock offsets per hour).  With the GIL the core never releases it
       while one of them is half updated, so these are no-ops; free-threaded
       builds take a PyMutex around each lookup and each store (never around a
       call into Python). */
    #ifdef Py_GIL_DISABLED
    static PyMutex ams_templates_mutex = {0};
    static PyMutex ams_offsets_mutex = {0};
    #define ams_lock_templates() PyMutex_Lock(&ams_templates_mutex)
    #define ams_unlock_templates() PyMutex_Unlock(&ams_templates_mutex)
    #define ams_lock_offsets() PyMutex_Lock(&ams_offsets_mutex)
    #define ams_unlock_offsets() PyMutex_Unlock(&ams_offsets_mutex)
    #else
    #define ams_lock_templates() ((void)0)
    #define ams_unlock_templates() ((void)0)
    #define ams_lock_offsets() ((void)0)
    #define ams_unlock_offsets() ((void)0)
    #endif
    static PyObject *ams_untrack_atomic(PyObject *t)
    {
        /* CPython's own rule for tuples (_PyTuple_MaybeUntrack), applied now:
           no item the cyclic GC could reach through -> stop tracking */
        Py_ssize_t i, n = PyTuple_GET_SIZE(t);
        for (i = 0; i < n; i++) {
            PyObject *o = PyTuple_GET_ITEM(t, i);
            if (o != NULL && PyObject_IS_GC(o) && PyObject_GC_IsTracked(o))
                return Py_NewRef(t);
        }
        if (PyObject_GC_IsTracked(t))
            PyObject_GC_UnTrack(t);
        return Py_NewRef(t);
    }
    static int ams_untrack_atomic_obj(PyObject *o, PyObject *fields)
    {
        /* o holds exactly the items of the tuple `fields`: untrack o when none
           of them can be reached by the cyclic GC */
        Py_ssize_t i, n = PyTuple_GET_SIZE(fields);
        for (i = 0; i < n; i++) {
            PyObject *v = PyTuple_GET_ITEM(fields, i);
            if (v != NULL && PyObject_IS_GC(v) && PyObject_GC_IsTracked(v))
                return 0;
        }
        if (PyObject_GC_IsTracked(o))
            PyObject_GC_UnTrack(o);
        return 0;
    }
    """
    object ams_alloc(object t)
    int ams_set_slot(PyObject* descr, object obj, object v) except -1
    object ams_untrack_atomic(object t)
    int ams_untrack_atomic_obj(object o, object fields) except -1
    void ams_lock_templates() nogil
    void ams_unlock_templates() nogil
    void ams_lock_offsets() nogil
    void ams_unlock_offsets() nogil
    void PyObject_GC_UnTrack(object o)


import types as _types

from ._clock import get_zone, parse_date, parse_datetime, parse_time, to_datetime
from ._errors import (
    DecodeError,
    ApduError,
    ChecksumError,
    FrameError,
    IncompleteFrameError,
    ProfileMismatchError,
    SegmentedFrameError,
    UnsupportedApduError,
)
from ._model import Frame, freeze as _freeze
from ._options import MAX_APDU_INPUT as _MAX_APDU_INPUT, prepare as _options_prepare
from ._transport import decode_mbus as _decode_mbus, decode_wrapped as _decode_wrapped
from ._profiles import (
    KIND_BYTES as _P_KIND_BYTES,
    KIND_DATETIME as _P_KIND_DATETIME,
    KIND_NUMBER as _P_KIND_NUMBER,
    KIND_STRING as _P_KIND_STRING,
    LAYOUT_OBIS as _P_LAYOUT_OBIS,
    LAYOUT_POSITIONAL as _P_LAYOUT_POSITIONAL,
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

cdef extern from "_crc16.h" nogil:
    void ams_crc16_init() noexcept
    unsigned int _crc "ams_crc16"(const unsigned char* p, size_t n) noexcept


ams_crc16_init()


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


cdef int _parse_hdlc(const unsigned char* d, Py_ssize_t n, Hdlc* out, bint check=True) except -1:
    """The HDLC type-3 header of a whole frame into ``out``, or the reference
    exception.  ``check`` false skips the HCS and FCS (the batch writer, for
    frames the stream scanner has already checked them on)."""
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
    if check:
        hcs_calc = _crc(d + 1, pos - 1)
        hcs_found = d[pos] | (<unsigned int>d[pos + 1] << 8)
        if hcs_calc != hcs_found:
            raise ChecksumError("HCS", hcs_calc, hcs_found, pos)
    info_start = pos + 2
    if check:
        fcs_calc = _crc(d + 1, fcs_pos - 1)
        fcs_found = d[fcs_pos] | (<unsigned int>d[fcs_pos + 1] << 8)
        if fcs_calc != fcs_found:
            raise ChecksumError("FCS", fcs_calc, fcs_found, fcs_pos)
    if info_start == fcs_pos:
        raise FrameError("frame has no information field", info_start)
    out.info_start = info_start
    out.info_end = fcs_pos
    return 0


cdef Py_ssize_t _body_start(const unsigned char* d, Py_ssize_t info_start, Py_ssize_t info_end,
                            Py_ssize_t* hdr) noexcept nogil:
    """Where the data-notification body of an information field starts (LLC,
    tag 0x0F, invoke id and a date-time field of one of the three forms all
    present), ``hdr`` set to the header clock's offset (-1: none); -1 for
    anything else, which _decode_info then parses or rejects."""
    cdef Py_ssize_t pos = info_start + 8
    hdr[0] = -1
    if (info_end - info_start < 9 or d[info_start] != 0xE6 or d[info_start + 1] != 0xE7
            or d[info_start + 2] != 0x00 or d[info_start + 3] != 0x0F):
        return -1
    if d[pos] == 0x00:
        return pos + 1
    if d[pos] == 0x0C and pos + 13 <= info_end:
        hdr[0] = pos + 1
        return pos + 13
    if d[pos] == 0x09 and pos + 14 <= info_end and d[pos + 1] == 0x0C:
        hdr[0] = pos + 2
        return pos + 14
    return -1


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


cdef inline unsigned long long _be(const unsigned char* p, int width) noexcept nogil:
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
    cdef object it, s, scaler, unit
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
cdef double _POW10D[23]           # 10**k as doubles (exact up to 10**22)
cdef long long _I64_LIMIT[19]     # largest |v| with v * 10**k in int64
for _k in range(23):
    _POW10D[_k] = float(10 ** _k)
for _k in range(19):
    _I64_LIMIT[_k] = (2 ** 63 - 1) // 10 ** _k


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


cdef class _Plan:
    """How the elements of one frame "shape" are named and scaled.

    Built by the reference path (``_build_plan``) from the first frame of a
    shape; every later frame of the same shape (same layout, element count,
    OBIS codes, tags, string lengths, frame-supplied scaler presence, list
    version, HDLC source, profile set, profile and zone) reuses it.
    """
    cdef object ps, profile_arg
    cdef object prof, prof_id, list_entry, list_name, zone, policy, overrides
    cdef tuple names, obis_out
    cdef list kinds, d_scalers, d_units, fields, defaults
    cdef Py_ssize_t i_version, i_meter_id, i_meter_type, i_meter_time


cdef Py_ssize_t _first(tuple names, str name):
    cdef Py_ssize_t i
    for i in range(len(names)):
        if names[i] == name:
            return i
    return -1


@cython.boundscheck(True)
@cython.wraparound(True)
cdef _Plan _build_plan(
    int layout,
    list elements,
    Py_ssize_t count,
    object profiles,
    object profile,
    object source,
    object tz,
    Py_ssize_t offset,
):
    cdef object version, prof, generic, list_entry, field_idx, zone, policy
    cdef object obis, value, f_scaler, _f_unit, name, kind, d_scaler, d_unit
    cdef list names, obis_out, scalers, units, kinds, defaults, fields
    cdef Py_ssize_t i, nel
    cdef long long idx
    cdef int tag
    cdef tuple el
    cdef bint use_prof, prof_is_generic
    cdef object p_names, p_kinds, p_scalers, p_units, p_obis, p_by_obis
    cdef object g_names, g_kinds, g_scalers, g_units, g_obis, g_by_obis, g_by_cde
    cdef _Plan plan

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
        obis, tag_obj, value, f_scaler, _f_unit = el
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
        kinds.append(kind)
        fields.append(idx if (use_prof or prof_is_generic) else -1)
        scalers.append(d_scaler)
        units.append(d_unit)
        defaults.append(f_scaler is None)

    plan = _Plan()
    plan.ps = profiles
    plan.profile_arg = profile
    plan.prof = prof
    plan.prof_id = prof.id
    plan.list_entry = list_entry
    plan.list_name = list_entry[0] if list_entry is not None else None
    plan.zone = zone
    plan.policy = policy
    plan.overrides = prof.overrides
    plan.names = ams_untrack_atomic(tuple(names))
    plan.obis_out = ams_untrack_atomic(tuple(obis_out))
    plan.kinds = kinds
    plan.d_scalers = scalers
    plan.d_units = units
    plan.fields = fields
    plan.defaults = defaults
    plan.i_version = _first(plan.names, "list_version")
    plan.i_meter_id = _first(plan.names, "meter_id")
    plan.i_meter_type = _first(plan.names, "meter_type")
    plan.i_meter_time = _first(plan.names, "meter_time")
    return plan


cdef inline object _text_at(object values, Py_ssize_t i):
    cdef object v
    if i < 0:
        return None
    v = values[i]
    return v if isinstance(v, str) else None


@cython.boundscheck(True)
@cython.wraparound(True)
cdef object _apply_overrides(_Plan plan, object meter_type, list scalers):
    cdef object prefix, table_, f
    cdef Py_ssize_t j
    if plan.overrides and meter_type is not None:
        for prefix, table_ in plan.overrides:
            if meter_type.startswith(prefix):
                for j in range(len(plan.fields)):
                    f = plan.fields[j]
                    if plan.defaults[j] and f in table_:
                        scalers[j] = table_[f]
                break
    return None


@cython.boundscheck(True)
@cython.wraparound(True)
cdef object _build_frame(_Plan plan, object meter_type, object header, object zone, int policy,
                         object invoke_id, object address, object out_raws, object scalers,
                         object units, object values):
    """The Frame both the reference path and the fast path end in."""
    cdef const unsigned char* hp
    if header is None:
        header_clock = header_time = None
    else:
        hp = <const unsigned char*>PyBytes_AS_STRING(<bytes>header)
        header_clock = _cdt_new(hp)
        header_time = _clock_dt(hp, zone, policy)
    return _new_frame((
        plan.prof_id,
        plan.list_name,
        _text_at(values, plan.i_version),
        _text_at(values, plan.i_meter_id),
        meter_type,
        header_clock,
        header_time,
        invoke_id,
        address,
        plan.names,
        plan.obis_out,
        out_raws if type(out_raws) is tuple else tuple(out_raws),
        ams_untrack_atomic(tuple(scalers)),
        units if type(units) is tuple else tuple(units),
        values if type(values) is tuple else tuple(values),
        None,
    ))


# Frame is a read-only slotted class; the core fills its slots through their
# member descriptors (as CosemDateTime above) rather than calling __init__, and
# when nothing in it can be reached by the cyclic GC (strings, numbers, clocks
# and the untracked tuples built here) takes it out of the GC's lists: a stream
# of decoded frames then costs the collector nothing.  Being read-only, a Frame
# cannot be made part of a reference cycle later.
_FRAME_SLOTS = ("profile_id", "list_name", "list_version", "meter_id", "meter_type",
                "header_clock", "header_time", "invoke_id", "address", "_names", "_obis",
                "_raws", "_scalers", "_units", "_values", "_readings", "security")
cdef tuple _FRAME_DESCR = ()
cdef bint _FAST_FRAME = False
if (getattr(Frame, "__slots__", None) == _FRAME_SLOTS
        and all(type(Frame.__dict__.get(f)) is _types.MemberDescriptorType for f in _FRAME_SLOTS)):
    _FRAME_DESCR = tuple(Frame.__dict__[f] for f in _FRAME_SLOTS)
    _FAST_FRAME = True


cdef object _new_frame(tuple fields):
    cdef object o
    cdef Py_ssize_t k
    if not _FAST_FRAME:
        return Frame(*fields[:15])
    o = ams_alloc(Frame)
    for k in range(16):
        ams_set_slot(PyTuple_GET_ITEM(_FRAME_DESCR, k), o, <object>PyTuple_GET_ITEM(fields, k))
    ams_set_slot(PyTuple_GET_ITEM(_FRAME_DESCR, 16), o, None)   # security: set by _transport
    ams_untrack_atomic_obj(o, fields)
    return o


cdef object _finish(_Plan plan, list elements, object header, object invoke_id, object address):
    """The reference conversion of the elements' values under ``plan``."""
    cdef list scalers, units, values, out_raws, raw_tags
    cdef object value, kind, raw, zone, policy, meter_type
    cdef Py_ssize_t i, j, nel
    cdef int tag
    cdef tuple el

    zone = plan.zone
    policy = plan.policy
    scalers = []
    units = []
    values = []
    out_raws = []
    raw_tags = []
    nel = len(elements)
    j = 0
    for i in range(nel):
        el = <tuple>elements[i]
        tag = el[1]
        if tag == T_NULL:
            continue
        value = el[2]
        kind = plan.kinds[j]
        if plan.defaults[j]:
            scalers.append(plan.d_scalers[j])
            units.append(plan.d_units[j])
        else:
            scalers.append(el[3])
            units.append(el[4])
        raw_tags.append(tag)
        if tag == T_DATETIME or (kind == KIND_DATETIME and tag == T_OCTETS and len(value) == 12):
            raw = value if tag == T_DATETIME else parse_datetime(value)
            out_raws.append(raw)
            values.append(to_datetime(raw, zone, policy))
            scalers[j] = 0
            units[j] = -1
            j += 1
            continue
        if tag == T_ARRAY or tag == T_STRUCT:
            value = _freeze(value)  # a nested value: a tuple of public types, immutable
        elif kind == KIND_STRING and tag == T_OCTETS:
            value = value.decode("latin-1")
        out_raws.append(value)
        if kind == KIND_STRING and isinstance(value, str):
            values.append(value.rstrip("\x00 "))
            scalers[j] = 0
        elif _is_numeric(tag):
            values.append(value)  # scaled below, after overrides
        else:
            scalers[j] = 0
            values.append(value)
        j += 1

    meter_type = _text_at(values, plan.i_meter_type)
    _apply_overrides(plan, meter_type, scalers)
    for j in range(len(values)):
        if _is_numeric(raw_tags[j]):
            values[j] = _scale(values[j], scalers[j])

    return _build_frame(plan, meter_type, header, zone, policy, invoke_id, address,
                        out_raws, scalers, units, values)


# --------------------------------------------------------------------------- clocks
#
# Clocks without the Python helpers.  A new header clock on every frame is the
# normal case on a live stream (Kaifa, Kamstrup, L+G stamp each push), so the
# clock is built here rather than through amsparse._clock's cached functions:
#
# * _cdt_new(): the CosemDateTime (a frozen slotted dataclass) is allocated
#   and its ten slots are set through their member descriptors -- what the
#   dataclass __init__ does through object.__setattr__, minus the interpreter.
#   The import-time check below compares it with the Python constructor and
#   falls back to parse_datetime if the model ever changes shape.
# * _clock_dt(): the aware datetime through the datetime C API.  A specified
#   deviation gives a fixed-offset zone (cached per offset); local wall time
#   is the zone with fold=0, exactly what to_datetime builds; the standard-
#   time rule (Kamstrup) needs two offsets -- standard time -> UTC, then UTC ->
#   the zone's wall time and fold -- each cached per hour and computed by
#   amsparse._clock itself (wall_offset_us / utc_local_offset, defined through
#   to_datetime and datetime.astimezone), so the rules live in one place.
# * _clock_us(): the same clock as UTC epoch microseconds for the batch
#   columns, with no object at all.
#
# Any hour whose offset is not constant (a transition inside it), the edges of
# datetime's range, and anything the checks below do not cover go through
# to_datetime(parse_datetime(...)), the reference.

from cpython.datetime cimport import_datetime, datetime_new

import_datetime()

from ._model import CosemDateTime as _CosemDateTime
from ._clock import (
    _fixed as _fixed_zone,
    utc_local_offset as _utc_local_offset,
    wall_offset_us as _wall_offset_us,
)


cdef long long NAT_US = LLONG_MIN
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


# --------------------------------------------------------------------------- fast path
#
# The reference path above builds a Python (tag, value) tree, flattens it and
# resolves names per element.  For the common frames the walk below records
# the A-XDR body in a C array of nodes instead, detects the layout on that
# array, and looks the frame's "shape" up in a cache of _Plan objects (built
# by the reference path from the first frame of that shape).  Anything it
# does not handle -- an error of any kind, long counts, rare tags, too many
# nodes, a shape not seen yet -- goes down the reference path, which raises
# the reference exceptions.  So the fast path only ever returns what the
# reference path would have returned.

cdef enum:
    MAX_NODES = 512
    SIG_MAX = 8192
    PLAN_CACHE_MAX = 1024

cdef struct Node:
    int tag
    int nchild
    int next        # index of the node after this subtree
    int is_unsigned
    Py_ssize_t pos  # strings: payload start
    Py_ssize_t length
    long long ival
    unsigned long long uval
    double fval

cdef struct El:
    long long obis  # -1: no OBIS code
    int node
    int has_scaler
    int scaler
    int unit

cdef dict _PLANS = {}


cdef int _walk(const unsigned char* d, Py_ssize_t* ppos, Py_ssize_t end, int depth,
               Node* nodes, int* nn) noexcept:
    """0: one value walked into ``nodes``; -1: leave this frame to the reference path."""
    cdef Py_ssize_t pos = ppos[0]
    cdef int me, tag, w, nlen
    cdef long long count, i, length
    cdef unsigned long long v, u
    cdef unsigned int u32
    cdef float f32
    cdef unsigned char b
    if pos >= end or nn[0] >= MAX_NODES:
        return -1
    me = nn[0]
    nn[0] = me + 1
    tag = d[pos]
    pos += 1
    nodes[me].tag = tag
    nodes[me].nchild = 0
    nodes[me].is_unsigned = 0
    nodes[me].pos = pos   # numbers: payload start (strings: set below)
    if tag == T_ARRAY or tag == T_STRUCT:
        if depth >= C_MAX_DEPTH or pos >= end:
            return -1
        b = d[pos]
        if b >= 0x80:
            return -1
        count = b
        pos += 1
        if count > end - pos:
            return -1
        nodes[me].nchild = <int>count
        for i in range(count):  # no-cython-lint
            if _walk(d, &pos, end, depth + 1, nodes, nn) < 0:
                return -1
        nodes[me].next = nn[0]
        ppos[0] = pos
        return 0
    nodes[me].next = me + 1
    if tag == T_NULL:
        ppos[0] = pos
        return 0
    if tag == T_U8 or tag == T_ENUM or tag == T_U16:
        w = 2 if tag == T_U16 else 1
        if pos + w > end:
            return -1
        nodes[me].ival = <long long>_be(d + pos, w)
        ppos[0] = pos + w
        return 0
    if tag == T_I8 or tag == T_I16 or tag == T_I32 or tag == T_I64:
        w = 1 if tag == T_I8 else 2 if tag == T_I16 else 4 if tag == T_I32 else 8
        if pos + w > end:
            return -1
        u = _be(d + pos, w)
        if w < 8 and u >> (8 * w - 1):  # sign-extend two's complement
            u |= ~((1ULL << (8 * w)) - 1)
        nodes[me].ival = <long long>u
        ppos[0] = pos + w
        return 0
    if tag == T_U32 or tag == T_U64:
        w = 4 if tag == T_U32 else 8
        if pos + w > end:
            return -1
        nodes[me].uval = _be(d + pos, w)
        nodes[me].is_unsigned = 1
        ppos[0] = pos + w
        return 0
    if tag == T_BCD:
        if pos + 1 > end:
            return -1
        b = d[pos]
        if (b >> 4) > 9 or (b & 0x0F) > 9:
            return -1
        nodes[me].ival = (b >> 4) * 10 + (b & 0x0F)
        ppos[0] = pos + 1
        return 0
    if tag == T_F32:
        if pos + 4 > end:
            return -1
        u32 = <unsigned int>_be(d + pos, 4)
        memcpy(&f32, &u32, 4)
        nodes[me].fval = <double>f32
        ppos[0] = pos + 4
        return 0
    if tag == T_F64:
        if pos + 8 > end:
            return -1
        v = _be(d + pos, 8)
        memcpy(&nodes[me].fval, &v, 8)
        ppos[0] = pos + 8
        return 0
    if tag == T_OCTETS or tag == T_VISIBLE:
        if pos >= end:
            return -1
        b = d[pos]
        if b < 0x80:
            length = b
            pos += 1
        else:
            nlen = b & 0x7F
            if nlen == 0 or nlen > 4 or pos + 1 + nlen > end:
                return -1
            length = <long long>_be(d + pos + 1, nlen)
            pos += 1 + nlen
        if length > end - pos:
            return -1
        nodes[me].pos = pos
        nodes[me].length = <Py_ssize_t>length
        ppos[0] = pos + <Py_ssize_t>length
        return 0
    return -1  # bool, bit-string, utf8, date/time tags...: reference path


cdef inline bint _n_obis(Node* n) noexcept:
    return n.tag == T_OCTETS and n.length == 6


cdef inline bint _n_leaf(Node* n) noexcept:
    return n.tag != T_ARRAY and n.tag != T_STRUCT


cdef int _cflatten(const unsigned char* d, Node* nodes, El* els, int* nel_out, int* layout_out,
                   int* count_out) noexcept:
    """``_flatten`` on the node array; -1 for shapes left to the reference path."""
    cdef int n, c, k, v, s, start, rest, nel, i
    cdef int items[MAX_NODES]
    cdef bint ok, anyo
    if nodes[0].tag != T_ARRAY and nodes[0].tag != T_STRUCT:
        return -1
    n = nodes[0].nchild
    c = 1
    for i in range(n):
        items[i] = c
        c = nodes[c].next
    count_out[0] = n
    nel = 0
    if n:
        ok = True
        for i in range(n):
            k = items[i]
            if not (nodes[k].tag == T_STRUCT and nodes[k].nchild >= 2 and _n_obis(&nodes[k + 1])):
                ok = False
                break
        if ok:
            for i in range(n):
                k = items[i]
                v = nodes[k + 1].next
                if not _n_leaf(&nodes[v]):
                    return -1
                els[nel].obis = <long long>_be(d + nodes[k + 1].pos, 6)
                els[nel].node = v
                els[nel].has_scaler = 0
                if nodes[k].nchild >= 3:
                    s = nodes[v].next
                    if (nodes[s].tag == T_STRUCT and nodes[s].nchild == 2
                            and nodes[s + 1].tag == T_I8 and nodes[s + 2].tag == T_ENUM):
                        els[nel].has_scaler = 1
                        els[nel].scaler = <int>nodes[s + 1].ival
                        els[nel].unit = <int>nodes[s + 2].ival
                nel += 1
            nel_out[0] = nel
            layout_out[0] = LAYOUT_OBIS
            return 0
    for start in range(2):
        rest = n - start
        if rest < 2 or rest % 2:
            continue
        ok = True
        anyo = False
        for i in range(start, n, 2):
            k = items[i]
            if _n_obis(&nodes[k]):
                anyo = True
            elif nodes[k].tag != T_NULL:
                ok = False
                break
        if ok and anyo:
            if start:
                if not _n_leaf(&nodes[items[0]]):
                    return -1
                els[nel].obis = -1
                els[nel].node = items[0]
                els[nel].has_scaler = 0
                nel += 1
            for i in range(start, n, 2):
                k = items[i]
                if nodes[k].tag == T_NULL:
                    continue
                v = items[i + 1]
                if not _n_leaf(&nodes[v]):
                    return -1
                els[nel].obis = <long long>_be(d + nodes[k].pos, 6)
                els[nel].node = v
                els[nel].has_scaler = 0
                nel += 1
            nel_out[0] = nel
            layout_out[0] = LAYOUT_OBIS
            return 0
    for i in range(n):
        if not _n_leaf(&nodes[items[i]]):
            return -1
        els[i].obis = -1
        els[i].node = items[i]
        els[i].has_scaler = 0
    nel_out[0] = n
    layout_out[0] = LAYOUT_POSITIONAL
    return 0


cdef int _version_el(Node* nodes, El* els, int nel, int layout) noexcept:
    """Index of the element ``_list_version`` reads, or -1."""
    cdef int i
    if layout == LAYOUT_OBIS:
        for i in range(nel):
            if els[i].obis >= 0 and ((els[i].obis >> 8) & 0xFFFFFF) == VERSION_CDE:
                return i
        if els[0].obis < 0:
            return 0
        return -1
    if nel > 1:
        return 0
    return -1


cdef Py_ssize_t _sig_into(const unsigned char* d, Node* nodes, El* els, int nel, int layout,
                          int count, unsigned char* buf) noexcept:
    """Write the bytes naming the frame's shape (see _Plan) into ``buf``
    (SIG_MAX bytes); their length, or -1 if they do not fit."""
    cdef Py_ssize_t p = 0, ln
    cdef int i, ve
    cdef Node* nd
    if 16 + <Py_ssize_t>nel * 16 > SIG_MAX:
        return -1
    buf[0] = <unsigned char>layout
    memcpy(buf + 1, &count, sizeof(int))
    memcpy(buf + 5, &nel, sizeof(int))
    p = 9
    for i in range(nel):
        nd = &nodes[els[i].node]
        memcpy(buf + p, &els[i].obis, 8)
        buf[p + 8] = <unsigned char>nd.tag
        buf[p + 9] = <unsigned char>els[i].has_scaler
        ln = nd.length if (nd.tag == T_OCTETS or nd.tag == T_VISIBLE) else 0
        memcpy(buf + p + 10, &ln, sizeof(Py_ssize_t))
        p += 10 + sizeof(Py_ssize_t)
    ve = _version_el(nodes, els, nel, layout)
    if ve >= 0:
        nd = &nodes[els[ve].node]
        buf[p] = <unsigned char>nd.tag
        p += 1
        if nd.tag == T_OCTETS or nd.tag == T_VISIBLE:
            if p + nd.length > SIG_MAX:
                return -1
            memcpy(buf + p, d + nd.pos, nd.length)
            p += nd.length
    return p


cdef object _signature(const unsigned char* d, Node* nodes, El* els, int nel, int layout,
                       int count):
    """bytes naming the frame's shape (see _Plan), or None if too long."""
    cdef unsigned char buf[SIG_MAX]
    cdef Py_ssize_t p = _sig_into(d, nodes, els, nel, layout, count, buf)
    if p < 0:
        return None
    return PyBytes_FromStringAndSize(<const char*>buf, p)


cdef object _node_number(Node* nd):
    if nd.tag == T_F32 or nd.tag == T_F64:
        return nd.fval
    if nd.is_unsigned:
        return nd.uval
    return nd.ival


@cython.boundscheck(True)
@cython.wraparound(True)
cdef object _number_scaled(Node* nd, object scaler):
    """``_scale(_node_number(nd), scaler)``, in C for the usual cases (the same
    IEEE operations Python does: int * 10**k exactly, int / 10**k and float
    arithmetic with 10**k exact as a double)."""
    cdef int k
    cdef long long v
    if type(scaler) is int and -23 < <long long>scaler < 23:
        k = <int>scaler
        if nd.tag == T_F32 or nd.tag == T_F64:
            return _pow10_scaled(nd.fval, k)
        if not nd.is_unsigned or nd.uval <= 9007199254740992ULL:
            v = nd.ival if not nd.is_unsigned else <long long>nd.uval
            if k == 0:
                return v
            if k < 0 and -9007199254740992LL <= v <= 9007199254740992LL:
                return _pow10_scaled(<double>v, k)
            if k > 0 and k <= 18 and -_I64_LIMIT[k] <= v <= _I64_LIMIT[k]:
                return v * <long long>_POW10D[k]
    return _scale(_node_number(nd), scaler)


@cython.boundscheck(True)
@cython.wraparound(True)
cdef object _finish_fast(_Plan plan, const unsigned char* d, Node* nodes, El* els, int nel,
                         object header, object invoke_id, object address, list texts=None):
    """``_finish`` on the node array (same conversions, same objects), building
    the Frame's tuples directly.  ``texts`` (a template's, one slot per output
    element) remembers the last (bytes, raw, value) of each text element: a
    meter sends the same id, type and version in every frame, so the strings
    are shared instead of decoded again."""
    cdef Py_ssize_t nout = len(plan.names), i, j
    cdef tuple raws = PyTuple_New(nout), values = PyTuple_New(nout), units = PyTuple_New(nout)
    cdef list scalers = PyList_New(nout)
    cdef object kind, raw, value, unit, scaler, zone, policy, meter_type, seen
    cdef bytes bs
    cdef int tag
    cdef Node* nd
    cdef int numeric[MAX_NODES]   # output element -> node index + 1 (0: not a number)

    zone = plan.zone
    policy = plan.policy
    j = 0
    for i in range(nel):
        nd = &nodes[els[i].node]
        tag = nd.tag
        if tag == T_NULL:
            continue
        kind = plan.kinds[j]
        if els[i].has_scaler:
            scaler = els[i].scaler
            unit = els[i].unit
        else:
            scaler = plan.d_scalers[j]
            unit = plan.d_units[j]
        numeric[j] = 0
        if tag == T_OCTETS or tag == T_VISIBLE:
            scaler = 0
            if tag == T_OCTETS and kind == KIND_DATETIME and nd.length == 12:
                raw = _cdt_new(d + nd.pos)
                value = _clock_dt(d + nd.pos, zone, policy)
                unit = -1
            else:
                seen = texts[j] if texts is not None else None
                if (seen is not None and PyBytes_GET_SIZE(<bytes>(<tuple>seen)[0]) == nd.length
                        and memcmp(PyBytes_AS_STRING(<bytes>(<tuple>seen)[0]), d + nd.pos, nd.length) == 0):
                    raw = (<tuple>seen)[1]
                    value = (<tuple>seen)[2]
                else:
                    bs = PyBytes_FromStringAndSize(<const char*>(d + nd.pos), nd.length)
                    raw = bs
                    if tag == T_VISIBLE or kind == KIND_STRING:
                        raw = bs.decode("latin-1")
                    value = (<str>raw).rstrip("\x00 ") if kind == KIND_STRING else raw
                    if texts is not None:
                        texts[j] = (bs, raw, value)
        else:  # numeric (the walker admits no other leaf tags): value set below
            raw = _node_number(nd)
            value = None
            numeric[j] = els[i].node + 1
        Py_INCREF(raw)
        PyTuple_SET_ITEM(raws, j, raw)
        Py_INCREF(value)
        PyTuple_SET_ITEM(values, j, value)
        Py_INCREF(unit)
        PyTuple_SET_ITEM(units, j, unit)
        Py_INCREF(scaler)
        PyList_SET_ITEM(scalers, j, scaler)
        j += 1

    meter_type = _text_at(values, plan.i_meter_type)
    _apply_overrides(plan, meter_type, scalers)
    for j in range(nout):
        if numeric[j]:
            value = _number_scaled(&nodes[numeric[j] - 1], scalers[j])
            Py_INCREF(value)
            Py_XDECREF(PyTuple_GET_ITEM(values, j))   # the None put there above
            PyTuple_SET_ITEM(values, j, value)
    # atomic contents (numbers, text, bytes, clocks): nothing for the cyclic GC to
    # follow, so the tuples leave its lists now instead of at its next pass
    if _FAST_CDT:  # contents known: numbers, text, bytes, datetimes, untracked CosemDateTimes
        PyObject_GC_UnTrack(raws)
        PyObject_GC_UnTrack(values)
        PyObject_GC_UnTrack(units)
    else:
        ams_untrack_atomic(raws)
        ams_untrack_atomic(values)
        ams_untrack_atomic(units)
    return _build_frame(plan, meter_type, header, zone, policy, invoke_id, address,
                        raws, scalers, units, values)


# --------------------------------------------------------------------------- templates
#
# A frame from a meter is, byte for byte, the previous frame of the same shape
# from that meter except for a known set of positions: the invoke id, the
# header clock, the element values (not the list version, which is part of the
# shape), the FCS.  A _Template keeps the first frame of a shape, the nodes its
# walk produced, and a mask of those variable positions.  A later frame equal
# to it on every other byte walks to the very same nodes (the walk and the
# layout detection look only at tags, counts, lengths, OBIS codes and scaler
# structures, all fixed under the mask), so only its numbers are read again
# (into a copy of the nodes on the object path, by the template's store
# program in the batch writer) and the walk, layout detection and shape
# lookup are skipped.
# Frames are found by a hash of their length, HDLC header and the first body
# bytes, in a small set-associative table; a candidate that does not match
# byte for byte just means the walk runs as before.

from libc.stdlib cimport malloc, realloc, free
from libc.stdint cimport uint64_t

cdef enum:
    TEMPLATE_SLOTS = 512   # frame key -> templates (power of two) ...
    TEMPLATE_WAYS = 4      # ... of this many ways


cdef inline uint64_t _hash_bytes(const unsigned char* p, Py_ssize_t n, uint64_t h) noexcept nogil:
    cdef uint64_t w
    while n >= 8:
        memcpy(&w, p, 8)
        h = (h ^ w) * 0x9E3779B97F4A7C15ULL
        h ^= h >> 31
        p += 8
        n -= 8
    while n > 0:
        h = (h ^ p[0]) * 0x100000001B3ULL
        p += 1
        n -= 1
    h ^= h >> 33
    h *= 0xFF51AFD7ED558CCDULL
    return h ^ (h >> 33)


cdef class _Template:
    cdef Py_ssize_t tn       # frame length
    cdef Py_ssize_t thdr     # header clock offset, -1 for none
    cdef unsigned char* tbytes
    cdef unsigned char* tmask
    cdef Node* tnodes
    cdef El* tels
    cdef int tnel
    cdef int tnn             # nodes in tnodes
    cdef int* nums           # element value nodes holding numbers (reloaded on a match)
    cdef int nnums
    # the object path's cache also keys on what the plan was made for
    cdef _Plan plan
    cdef object ps, prof, tz
    # the batch writer's _Entry, borrowed: the writer owns its entries and its
    # template table, and only its own _fast() reads this.  A reference would make
    # entry -> tpls -> template -> entry a cycle that only the cyclic GC frees
    # (issue 11, F3): with this, a writer's templates go with the writer.
    cdef PyObject* owner
    # the batch writer's store program: per numeric column of the frame, where
    # its payload is and how to store it (prog_n -1: none)
    cdef int prog_n
    cdef int* prog_col
    cdef int* prog_j
    cdef int* prog_sc        # frame-supplied scaler, or SC_FROM_PLAN
    cdef int* prog_node
    cdef signed char* prog_tag
    cdef Py_ssize_t* prog_pos
    cdef int tc_hint[3]      # the batch writer's text-code cache slot last used per text key
    cdef object address      # the object path: (dest, src, control), fixed under the mask
    cdef list texts          # the object path: per output element, last (bytes, raw, value)

    def __cinit__(self):
        self.tbytes = self.tmask = NULL
        self.tnodes = NULL
        self.tels = NULL
        self.nums = NULL
        self.tn = 0
        self.prog_n = -1
        self.tc_hint[0] = self.tc_hint[1] = self.tc_hint[2] = -1
        self.prog_col = self.prog_j = self.prog_sc = self.prog_node = NULL
        self.prog_tag = NULL
        self.prog_pos = NULL
        self.owner = NULL

    def __dealloc__(self):
        free(self.prog_col)
        free(self.prog_j)
        free(self.prog_sc)
        free(self.prog_node)
        free(self.prog_tag)
        free(self.prog_pos)
        free(self.tbytes)
        free(self.tmask)
        free(self.tnodes)
        free(self.tels)
        free(self.nums)

    cdef int make(self, const unsigned char* d, Py_ssize_t n, Py_ssize_t info_start,
                  Py_ssize_t hdr, Node* nodes, int nn, El* els, int nel, int ve) except -1:
        cdef int i, tag, w
        cdef Node* nd
        self.tbytes = <unsigned char*>malloc(n)
        self.tmask = <unsigned char*>malloc(n)
        self.tnodes = <Node*>malloc(nn * sizeof(Node))
        self.tels = <El*>malloc(nel * sizeof(El))
        self.nums = <int*>malloc((nel + 1) * sizeof(int))
        if (self.tbytes == NULL or self.tmask == NULL or self.tnodes == NULL or self.tels == NULL
                or self.nums == NULL):
            raise MemoryError()
        memcpy(self.tbytes, d, n)
        memset(self.tmask, 0xFF, n)
        memset(self.tmask + info_start + 4, 0, 4)        # long-invoke-id-and-priority
        if hdr >= 0:
            memset(self.tmask + hdr, 0, 12)              # header date-time
        memset(self.tmask + n - 3, 0, 2)                 # FCS
        self.nnums = 0
        for i in range(nel):
            nd = &nodes[els[i].node]
            tag = nd.tag
            if tag == T_OCTETS or tag == T_VISIBLE:
                if i != ve:
                    memset(self.tmask + nd.pos, 0, nd.length)
            elif tag != T_BCD and tag != T_NULL:         # BCD digits are checked by the walk
                w = _num_width(tag)
                if w:
                    memset(self.tmask + nd.pos, 0, w)
                    self.nums[self.nnums] = els[i].node
                    self.nnums += 1
        for i in range(<int>n):
            self.tbytes[i] &= self.tmask[i]
        memcpy(self.tnodes, nodes, nn * sizeof(Node))
        memcpy(self.tels, els, nel * sizeof(El))
        self.tnn = nn
        self.tnel = nel
        self.thdr = hdr
        self.tn = n
        return 0

    cdef int make_program(self, int nout, int* el_of, int* col, Node* nodes, El* els) except -1:
        cdef int j, k = 0
        cdef Node* nd
        self.prog_col = <int*>malloc((nout + 1) * sizeof(int))
        self.prog_j = <int*>malloc((nout + 1) * sizeof(int))
        self.prog_sc = <int*>malloc((nout + 1) * sizeof(int))
        self.prog_node = <int*>malloc((nout + 1) * sizeof(int))
        self.prog_tag = <signed char*>malloc(nout + 1)
        self.prog_pos = <Py_ssize_t*>malloc((nout + 1) * sizeof(Py_ssize_t))
        if (self.prog_col == NULL or self.prog_j == NULL or self.prog_sc == NULL
                or self.prog_node == NULL or self.prog_tag == NULL or self.prog_pos == NULL):
            raise MemoryError()
        for j in range(nout):
            if col[j] < 0:
                continue
            nd = &nodes[els[el_of[j]].node]
            self.prog_col[k] = col[j]
            self.prog_j[k] = j
            self.prog_sc[k] = els[el_of[j]].scaler if els[el_of[j]].has_scaler else SC_FROM_PLAN
            self.prog_node[k] = els[el_of[j]].node
            self.prog_tag[k] = <signed char>nd.tag
            self.prog_pos[k] = nd.pos
            k += 1
        self.prog_n = k
        return 0

    cdef inline bint matches(self, const unsigned char* d, Py_ssize_t n) noexcept:
        cdef Py_ssize_t i = 0
        cdef uint64_t a, m, t
        if n != self.tn:
            return False
        while i + 8 <= n:
            memcpy(&a, d + i, 8)
            memcpy(&m, self.tmask + i, 8)
            memcpy(&t, self.tbytes + i, 8)
            if (a & m) != t:
                return False
            i += 8
        while i < n:
            if (d[i] & self.tmask[i]) != self.tbytes[i]:
                return False
            i += 1
        return True

    cdef inline void load_into(self, const unsigned char* d, Node* out) noexcept:
        """The nodes of frame ``d``: the template's, copied to ``out``, with the
        numbers read from ``d``.  Shared templates (the object path's, used by
        any thread) are never written to."""
        cdef int k
        memcpy(out, self.tnodes, self.tnn * sizeof(Node))
        for k in range(self.nnums):
            _reload(d, &out[self.nums[k]])


cdef inline uint64_t _frame_key(const unsigned char* d, Py_ssize_t n, Py_ssize_t info_start,
                                Py_ssize_t body, Py_ssize_t end) noexcept nogil:
    """Hash of what identifies a template candidate: length, HDLC header up to
    the APDU tag, the date-time marker, the first body bytes."""
    cdef uint64_t k = _hash_bytes(d + 1, info_start + 3, <uint64_t>n) ^ (<uint64_t>d[info_start + 8] << 8)
    if body + 8 <= end:
        k = _hash_bytes(d + body, 8, k)
    return k


cdef class _TemplateTable:
    """Frame key -> _Template, TEMPLATE_WAYS candidates per slot, newest first."""
    cdef uint64_t keys[TEMPLATE_SLOTS * TEMPLATE_WAYS]
    cdef PyObject* ptrs[TEMPLATE_SLOTS * TEMPLATE_WAYS]
    cdef list owned          # keeps the templates the slots point at alive
    cdef bint shared         # used by every thread (the object path's): locked

    def __cinit__(self, bint shared=False):
        cdef int k
        for k in range(TEMPLATE_SLOTS * TEMPLATE_WAYS):
            self.ptrs[k] = NULL
        self.owned = []
        self.shared = shared

    cdef _Template find(self, uint64_t key, const unsigned char* d, Py_ssize_t n):
        cdef int base = <int>(key & (TEMPLATE_SLOTS - 1)) * TEMPLATE_WAYS, j
        cdef _Template out = None
        if self.shared:
            ams_lock_templates()
        for j in range(TEMPLATE_WAYS):
            if self.ptrs[base + j] == NULL:
                break
            if self.keys[base + j] == key and (<_Template>self.ptrs[base + j]).matches(d, n):
                out = <_Template>self.ptrs[base + j]   # a reference of our own before unlocking
                break
        if self.shared:
            ams_unlock_templates()
        return out

    cdef int put(self, uint64_t key, _Template t) except -1:
        cdef int base = <int>(key & (TEMPLATE_SLOTS - 1)) * TEMPLATE_WAYS, j
        cdef list dropped = None
        if self.shared:
            ams_lock_templates()
        if len(self.owned) >= TEMPLATE_SLOTS * TEMPLATE_WAYS:  # bound memory: start over
            for j in range(TEMPLATE_SLOTS * TEMPLATE_WAYS):
                self.ptrs[j] = NULL
            dropped = self.owned        # released after unlocking  # no-cython-lint
            self.owned = []
        for j in range(TEMPLATE_WAYS):
            if self.ptrs[base + j] == <PyObject*>t:
                break
        else:
            # newest first; the oldest way drops out
            memmove(&self.ptrs[base + 1], &self.ptrs[base], (TEMPLATE_WAYS - 1) * sizeof(PyObject*))
            memmove(&self.keys[base + 1], &self.keys[base], (TEMPLATE_WAYS - 1) * sizeof(uint64_t))
            self.ptrs[base] = <PyObject*>t
            self.keys[base] = key
            self.owned.append(t)
        if self.shared:
            ams_unlock_templates()
        return 0


cdef _TemplateTable _OBJ_TEMPLATES = _TemplateTable(True)


cdef inline int _num_width(int tag) noexcept nogil:
    if tag == T_U8 or tag == T_ENUM or tag == T_I8 or tag == T_BCD:
        return 1
    if tag == T_U16 or tag == T_I16:
        return 2
    if tag == T_I32 or tag == T_U32 or tag == T_F32:
        return 4
    if tag == T_I64 or tag == T_U64 or tag == T_F64:
        return 8
    return 0


cdef inline void _reload(const unsigned char* d, Node* nd) noexcept nogil:
    """Read a number node's value again, from the same position of another frame."""
    cdef int tag = nd.tag, w
    cdef unsigned long long u
    cdef unsigned int u32
    cdef float f32
    if tag == T_U8 or tag == T_ENUM or tag == T_U16:
        nd.ival = <long long>_be(d + nd.pos, 2 if tag == T_U16 else 1)
    elif tag == T_I8 or tag == T_I16 or tag == T_I32 or tag == T_I64:
        w = _num_width(tag)
        u = _be(d + nd.pos, w)
        if w < 8 and u >> (8 * w - 1):
            u |= ~((1ULL << (8 * w)) - 1)
        nd.ival = <long long>u
    elif tag == T_U32 or tag == T_U64:
        nd.uval = _be(d + nd.pos, 4 if tag == T_U32 else 8)
    elif tag == T_F32:
        u32 = <unsigned int>_be(d + nd.pos, 4)
        memcpy(&f32, &u32, 4)
        nd.fval = <double>f32
    elif tag == T_F64:
        u = _be(d + nd.pos, 8)
        memcpy(&nd.fval, &u, 8)


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
    bint frame=False,      # buf is one whole HDLC frame: keep a template of it
    uint64_t fkey=0,       # ... under this _frame_key
    _Template tpl=None,    # buf matches this template: decode from its nodes
):
    cdef const unsigned char* d = <const unsigned char*>PyBytes_AS_STRING(buf)
    cdef Py_ssize_t pos = start, body_pos
    cdef int tag, marker, btag, layout
    cdef object invoke_id, header, body, bval, elements
    cdef tuple fl
    cdef Py_ssize_t count
    cdef Node nodes[MAX_NODES]
    cdef El els[MAX_NODES]
    cdef int nn, nel, flayout, fcount
    cdef Py_ssize_t wpos
    cdef object key, sig
    cdef _Plan plan
    cdef _Template t
    cdef Py_ssize_t hdr_off = -1
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
        hdr_off = pos + 1
        pos += 13
    elif marker == 0x09:
        _need(pos + 1, 1, end, "date-time length")
        if d[pos + 1] != 0x0C:
            raise ApduError(
                f"date-time octet-string of length {d[pos + 1]} (expected 12)", pos + 1)
        _need(pos + 2, 12, end, "date-time")
        header = PyBytes_FromStringAndSize(<const char*>(d + pos + 2), 12)
        hdr_off = pos + 2
        pos += 14
    else:
        raise ApduError(f"bad date-time field 0x{marker:02X} (expected 00, 0C or 09 0C)", pos)
    body_pos = pos
    if tpl is not None:  # nodes of this frame = the template's, numbers read again (a copy: shared)
        tpl.load_into(d, nodes)
        return _finish_fast(tpl.plan, d, nodes, tpl.tels, tpl.tnel, header, invoke_id, address,
                            tpl.texts)
    key = None
    if (tz is None or type(tz) is str) and type(source) is int:
        nn = 0
        wpos = pos
        if (_walk(d, &wpos, end, 0, nodes, &nn) == 0 and wpos == end
                and _cflatten(d, nodes, els, &nel, &flayout, &fcount) == 0):
            sig = _signature(d, nodes, els, nel, flayout, fcount)
            if sig is not None:
                key = (sig, id(profiles), id(profile), tz, source)
                plan = _PLANS.get(key)
                if plan is not None and plan.ps is profiles and plan.profile_arg is profile:
                    if frame:
                        t = _Template()
                        t.make(d, PyBytes_GET_SIZE(buf), start, hdr_off, nodes, nn,
                               els, nel, _version_el(nodes, els, nel, flayout))
                        t.plan = plan
                        t.ps = profiles
                        t.prof = profile
                        t.tz = tz
                        t.address = address
                        t.texts = [None] * len(plan.names)
                        _OBJ_TEMPLATES.put(fkey, t)
                    return _finish_fast(plan, d, nodes, els, nel, header, invoke_id, address)
    body = _read_value(d, &pos, end, 0)
    if pos != end:
        raise ApduError(f"{end - pos} bytes after the notification body", pos)
    btag = (<tuple>body)[0]
    bval = (<tuple>body)[1]
    fl = _flatten(btag, bval)
    layout = fl[0]
    elements = fl[1]
    count = len(<list>bval) if (btag == T_ARRAY or btag == T_STRUCT) else 1
    plan = _build_plan(layout, <list>elements, count, profiles, profile, source, tz, body_pos)
    result = _finish(plan, <list>elements, header, invoke_id, address)
    if key is not None:
        if len(_PLANS) >= PLAN_CACHE_MAX:
            _PLANS.clear()
        _PLANS[key] = plan
    return result


cdef object _LAST_OPTIONS = None   # (profiles, profile, tz, ps, prof) last validated


cdef tuple _prepare(object profiles, object profile, object tz):
    """The options, checked by amsparse._options.prepare (shared with the twin);
    the last combination checked is remembered (one tuple: one atomic read)."""
    global _LAST_OPTIONS
    cdef object last = _LAST_OPTIONS
    if (last is not None and (<tuple>last)[0] is profiles and (<tuple>last)[1] is profile
            and (<tuple>last)[2] is tz):
        return (<tuple>last)[3], (<tuple>last)[4]
    ps, prof = _options_prepare(profiles, profile, tz)
    if tz is None or type(tz) is str:
        _LAST_OPTIONS = (profiles, profile, tz, ps, prof)
    return ps, prof


def _decode_plain(bytes plain, tuple ctx):
    """The plain APDU an M-Bus, block-transfer or ciphered wrapper carried (_transport)."""
    return _decode_info(plain, 0, PyBytes_GET_SIZE(plain), ctx[0], ctx[1], ctx[2], ctx[3], ctx[4], False)


cdef inline bint _wrapped_tag(int tag) noexcept:
    return tag == 0xDB or tag == 0xDC or tag == 0xE0


cdef object _decode_hdlc(bytes buf, object ps, object prof, object tz, object keys=None,
                         bint require_auth=False):
    cdef Hdlc h
    cdef const unsigned char* d = <const unsigned char*>PyBytes_AS_STRING(buf)
    _parse_hdlc(d, PyBytes_GET_SIZE(buf), &h)
    if h.segmented:
        raise SegmentedFrameError(
            "frame has the HDLC segmentation bit set; it is one piece of a longer APDU", 1
        )
    if (h.info_end - h.info_start > 3 and _wrapped_tag(d[h.info_start + 3]) and d[h.info_start] == 0xE6
            and d[h.info_start + 1] == 0xE7 and d[h.info_start + 2] == 0x00):
        frame = _sec_fast(buf, &h, ps, prof, tz, keys, require_auth)   # _security_c.pxi
        if frame is not None:
            return frame
        return _decode_wrapped(buf, h.info_start + 3, h.info_end, keys, require_auth, _decode_plain,
                               (ps, prof, h.src, tz, (h.dest, h.src, h.control)), True)
    return _decode_hdlc_info(buf, &h, ps, prof, tz)


cdef object _decode_hdlc_info(bytes buf, Hdlc* h, object ps, object prof, object tz):
    """The information field of a checked HDLC frame, through the frame templates."""
    cdef const unsigned char* d = <const unsigned char*>PyBytes_AS_STRING(buf)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(buf), body = -1, hdr
    cdef uint64_t key = 0
    cdef _Template t
    if tz is None or type(tz) is str:  # the plan cache's condition (see _decode_info)
        body = _body_start(d, h.info_start, h.info_end, &hdr)
        if body >= 0:
            key = _frame_key(d, n, h.info_start, body, h.info_end)
            t = _OBJ_TEMPLATES.find(key, d, n)
            if t is not None and t.ps is ps and t.prof is prof and t.tz == tz:
                return _decode_info(buf, h.info_start, h.info_end, ps, prof, h.src, tz,
                                    t.address, True, False, 0, t)
    return _decode_info(buf, h.info_start, h.info_end, ps, prof, h.src, tz,
                        ams_untrack_atomic((h.dest, h.src, h.control)), True, body >= 0, key)


include "_security_c.pxi"


def decode_frame(data, profiles=None, *, profile=None, tz=None, keys=None,
                 require_authentication=False):
    """Decode exactly one flag-delimited HDLC frame (see :func:`amsparse.decode_frame`)."""
    ps, prof = _prepare(profiles, profile, tz)
    return _decode_one(_as_bytes(data), ps, prof, tz, keys, require_authentication)


cdef object _decode_one(bytes buf, object ps, object prof, object tz, object keys, bint require_auth):
    """One frame given on its own (decode_frame, TableWriter.add_raw): an M-Bus
    message when it starts with 0x68, else an HDLC frame."""
    if PyBytes_GET_SIZE(buf) and (<const unsigned char*>PyBytes_AS_STRING(buf))[0] == 0x68:
        return _decode_mbus(buf, keys, require_auth, _decode_plain, (ps, prof, -1, tz, None))
    return _decode_hdlc(buf, ps, prof, tz, keys, require_auth)


# --------------------------------------------------------------------------- stream loop

cdef object _EV_CLS = None
cdef tuple _EV_DESCR = None


cdef object _frame_event(object cls, object frame, bytes raw):
    """``cls(frame, raw)`` for StreamDecoder's FrameDecoded (a frozen slotted
    dataclass): its two slots set through their descriptors, as _cdt_new does."""
    global _EV_CLS, _EV_DESCR
    cdef object o
    if _EV_CLS is None:  # the first class seen (StreamDecoder's FrameDecoded) is set up once
        if (getattr(cls, "__slots__", None) == ("frame", "raw")
                and not hasattr(cls, "__post_init__")
                and all(type(cls.__dict__.get(f)) is _types.MemberDescriptorType for f in ("frame", "raw"))):
            _EV_DESCR = (cls.__dict__["frame"], cls.__dict__["raw"])
        _EV_CLS = cls
    if cls is not _EV_CLS or _EV_DESCR is None:
        return cls(frame, raw)
    o = ams_alloc(cls)
    ams_set_slot(PyTuple_GET_ITEM(_EV_DESCR, 0), o, frame)
    ams_set_slot(PyTuple_GET_ITEM(_EV_DESCR, 1), o, raw)
    ams_untrack_atomic_obj(o, (frame, raw))   # frozen: it cannot join a cycle later
    return o


def decode_run(buf, list items, Py_ssize_t i, profiles, profile, tz, event_cls, list events, reject):
    """StreamDecoder's loop over the scanner's items, for the common case.

    From ``items[i]`` on, while the item is a frame (kind 1) without the HDLC
    segmentation bit: copy it out of ``buf`` (the decoder's bytearray), decode
    it as :func:`decode_frame` does and append ``event_cls(frame, raw)`` to
    ``events``, or call ``reject(events, raw, error)`` on a DecodeError.
    Returns ``(next index, frames decoded, shared flags counted)``; the caller
    handles the item that stopped the run (discarded bytes, a rejected
    candidate, a segment) the ordinary way.
    """
    cdef const unsigned char[::1] view
    cdef const unsigned char* base
    cdef Py_ssize_t n = len(items), start, stop, decoded = 0, shared = 0
    cdef tuple it
    cdef bytes raw
    if i >= n:
        return i, 0, 0
    view = buf
    base = &view[0]
    ps, prof = _prepare(profiles, profile, tz)
    while i < n:
        it = <tuple>items[i]
        if <int>it[0] != 1:
            break
        start = it[1]
        stop = it[2]
        if start < 0 or stop > view.shape[0] or stop - start < 9:
            raise IndexError("scanner item outside the buffer")
        if base[start + 1] & 0x08:
            break
        if it[3]:
            shared += 1
        raw = PyBytes_FromStringAndSize(<const char*>(base + start), stop - start)
        try:
            frame = _decode_hdlc(raw, ps, prof, tz)
        except Exception as e:  # any failure is this frame's rejection (reject() wraps it)
            reject(events, raw, e)
        else:
            events.append(_frame_event(event_cls, frame, raw))
            decoded += 1
        i += 1
    return i, decoded, shared


def decode_apdu(data, profiles=None, *, profile=None, tz=None, source=-1, keys=None,
                require_authentication=False):
    """Decode a DLMS APDU without HDLC framing; a leading LLC header is optional."""
    cdef bytes buf = _as_bytes(data)
    cdef const unsigned char* d
    cdef Py_ssize_t n
    cdef bint llc
    ps, prof = _prepare(profiles, profile, tz)
    d = <const unsigned char*>PyBytes_AS_STRING(buf)
    n = PyBytes_GET_SIZE(buf)
    if n > _MAX_APDU_INPUT:
        raise ApduError(f"APDU of {n} bytes is larger than decode_apdu accepts ({_MAX_APDU_INPUT})", None)
    llc = n >= 3 and d[0] == 0xE6 and d[1] == 0xE7 and d[2] == 0x00
    if n > 3 * llc and _wrapped_tag(d[3 * llc]):
        return _decode_wrapped(buf, 3 * llc, n, keys, require_authentication, _decode_plain,
                               (ps, prof, source, tz, None))
    return _decode_info(buf, 0, n, ps, prof, source, tz, None, llc)


# --------------------------------------------------------------------------- batch
#
# TableWriter: the columnar writer behind amsparse.decode_batch.  Every row goes
# through it, so the columns are managed in C the whole way:
#
# * all arrays (array.array: buffer protocol, zero-copy to numpy/arrow) grow
#   geometrically to a capacity ahead of the row count and are cut to size by
#   finish(); a reading column is filled lazily (NaN / RAW_MISSING / 0 up to
#   the row being written), so a row costs what its own readings cost, not
#   one write per column of the table;
# * a frame whose shape has a plan (see _Plan) is looked up in a writer-local
#   hash table keyed by the C signature and the HDLC source -- no bytes, tuple
#   or dict per frame -- and written straight into the columns: no Python
#   object per reading; a frame matching one of the shape's templates skips
#   the walk and has its numbers stored by the template's store program;
#   clocks become UTC epoch microseconds in C (_clock_us); list version, meter
#   id and meter type hit a set-associative cache of their raw bytes before
#   the category dictionaries;
# * everything else (the first frame of a shape, rare tags, frames the fast
#   checks do not cover) is decoded by _decode_hdlc, the object path, and
#   added from its Frame by add_frame(), the twin of FrameTable._append_frame;
#   DecodeErrors become error rows (add_error, FrameTable._append_error).
#
# Frames from the scanner had their flags, HCS and FCS checked there, so
# add_scan() does not compute the CRC a second time.

from cpython cimport array as carray
from cpython.float cimport PyFloat_AsDouble
import array as _pyarray
from ._batch import epoch_us as _epoch_us, _error_code
from ._errors import as_decode_error as _as_decode_error
from ._scan_c cimport scan_core

cdef long long RAW_MISSING_Q = LLONG_MIN

cdef enum:
    ENTRY_SLOTS = 512      # writer-local plan entries (open addressing, power of two)
    SC_GENERIC = -32768    # default scaler that is not a small int: use _scale()
    SC_FROM_PLAN = -32767  # store program: the scaler is the plan's (after overrides)
    TEXT_KEEP = 64         # longest text whose raw bytes are remembered
    TEXT_SETS = 64         # remembered texts per key: sets (power of two) ...
    TEXT_WAYS = 4          # ... of this many
    ENTRY_TEMPLATES = 16   # templates kept per shape

cdef Py_ssize_t RESERVE_BYTES = 64 << 20   # most reserve() sets aside ahead of the rows
from ._batch import MAX_COLUMNS as _MAX_COLUMNS


cdef class _Entry:
    """A plan as the writer uses it, per output element: node, column, kind
    and default scaler as C arrays."""
    cdef _Plan plan
    cdef bytes sig
    cdef long src
    cdef int nout
    cdef int* el_of      # output element -> index into els
    cdef int* col        # column number, -1 when not a numeric column
    cdef int* dsc        # default scaler (SC_GENERIC: not a small int)
    cdef signed char* kind
    cdef int profile_code, list_code, policy
    cdef dict per_type   # meter-type code -> (list of scalers, array('i'))
    cdef list tpls       # the writer's templates of this shape (None until the first)

    def __cinit__(self):
        self.el_of = self.col = self.dsc = NULL
        self.kind = NULL

    def __dealloc__(self):
        free(self.el_of)
        free(self.col)
        free(self.dsc)
        free(self.kind)


cdef inline int _small_scaler(object s) noexcept:
    if type(s) is int and -1000 < <long long>s < 1000:
        return <int>s
    return SC_GENERIC


cdef class TableWriter:
    """Fills one amsparse._batch.FrameTable (see the section comment)."""
    cdef object table, ps, prof, tz
    cdef object keys                   # for ciphered frames (decode_batch(keys=...))
    cdef bint require_auth
    cdef dict col_of, errors
    cdef list arr_d, arr_q, arr_b
    cdef double** pd
    cdef long long** pq
    cdef signed char** pb
    cdef Py_ssize_t* filled
    cdef int ncols, ccap, max_columns
    cdef Py_ssize_t rows, cap
    cdef carray.array status, header_time, meter_time
    cdef list cat                      # 5 array('i') in _CATEGORICAL order
    cdef int* pcat[5]
    cdef signed char* pstatus
    cdef long long* pheader
    cdef long long* pmeter
    cdef uint64_t ehash[ENTRY_SLOTS]
    cdef PyObject* eptr[ENTRY_SLOTS]
    cdef _TemplateTable templates
    cdef list entries                  # owns what eptr points at
    # text -> category code, per key (list version, meter id, meter type): a
    # 4-way set-associative cache of the raw bytes, so interleaved meters hit it too
    cdef unsigned char tc_txt[3][TEXT_SETS * TEXT_WAYS][TEXT_KEEP]
    cdef int tc_len[3][TEXT_SETS * TEXT_WAYS]
    cdef int tc_code[3][TEXT_SETS * TEXT_WAYS]
    cdef signed char tc_kind[3][TEXT_SETS * TEXT_WAYS]   # the declared kind the code was made under
    cdef int tc_last[3]
    cdef unsigned char tc_next[3][TEXT_SETS]
    # during add_scan: the buffer, the rejection callback, bytes discarded
    cdef bytes sbuf
    cdef object sreject
    cdef Py_ssize_t sdiscarded

    def __cinit__(self):
        self.pd = NULL
        self.pq = NULL
        self.pb = NULL
        self.filled = NULL

    def __dealloc__(self):
        free(self.pd)
        free(self.pq)
        free(self.pb)
        free(self.filled)

    def __init__(self, table, profiles=None, profile=None, tz=None, int max_columns=_MAX_COLUMNS,
                 keys=None, require_authentication=False):
        cdef int k, j
        self.table = table
        self.keys = keys
        self.require_auth = require_authentication
        self.ps, self.prof = _prepare(profiles, profile, tz)
        self.tz = tz
        self.max_columns = max_columns
        if table._n or table.columns:
            raise ValueError("TableWriter needs an empty FrameTable")
        self.col_of = {}
        self.errors = table.errors
        self.arr_d = []
        self.arr_q = []
        self.arr_b = []
        self.ncols = self.ccap = 0
        self.rows = self.cap = 0
        self.status = table.status
        self.header_time = table.header_time
        self.meter_time = table.meter_time
        self.cat = [table.codes[key] for key in
                    ("profile_id", "list_name", "list_version", "meter_id", "meter_type")]
        self.entries = []
        for k in range(ENTRY_SLOTS):
            self.eptr[k] = NULL
        self.templates = _TemplateTable()
        for k in range(3):
            self.tc_last[k] = 0
            for j in range(TEXT_SETS * TEXT_WAYS):
                self.tc_len[k][j] = -1
            for j in range(TEXT_SETS):
                self.tc_next[k][j] = 0
        self._pointers()

    # -- storage -------------------------------------------------------------------
    cdef void _pointers(self) noexcept:
        cdef int k
        self.pstatus = (<carray.array>self.status).data.as_schars
        self.pheader = (<carray.array>self.header_time).data.as_longlongs
        self.pmeter = (<carray.array>self.meter_time).data.as_longlongs
        for k in range(5):
            self.pcat[k] = (<carray.array>self.cat[k]).data.as_ints
        for k in range(self.ncols):
            self.pd[k] = (<carray.array>self.arr_d[k]).data.as_doubles
            self.pq[k] = (<carray.array>self.arr_q[k]).data.as_longlongs
            self.pb[k] = (<carray.array>self.arr_b[k]).data.as_schars

    cdef int _resize_all(self, Py_ssize_t n) except -1:
        cdef int k
        carray.resize(self.status, n)
        carray.resize(self.header_time, n)
        carray.resize(self.meter_time, n)
        for k in range(5):
            carray.resize(<carray.array>self.cat[k], n)
        for k in range(self.ncols):
            carray.resize(<carray.array>self.arr_d[k], n)
            carray.resize(<carray.array>self.arr_q[k], n)
            carray.resize(<carray.array>self.arr_b[k], n)
        self.cap = n
        self._pointers()
        return 0

    cdef Py_ssize_t _row(self) except -1:
        """A new row: index returned, fixed columns set to 'decoded, nothing'."""
        cdef Py_ssize_t r = self.rows
        cdef int k
        if r == self.cap:
            self._resize_all(4096 if self.cap < 4096 else self.cap * 2)
        self.pstatus[r] = 0
        self.pheader[r] = NAT_US
        self.pmeter[r] = NAT_US
        for k in range(5):
            self.pcat[k][r] = -1
        self.rows = r + 1
        return r

    cdef int _budget(self, object names) except -1:
        """Raise (before anything is written) when the reading columns
        ``names`` would take the table beyond ``max_columns`` (issue 11, F2:
        memory is rows x columns, so the columns are bounded)."""
        cdef Py_ssize_t new = 0
        cdef set seen = set()
        for name in names:
            if name not in self.col_of and name not in seen:
                seen.add(name)
                new += 1
        if new and self.ncols + new > self.max_columns:
            raise _column_budget_error(self.max_columns, self.ncols, new)
        return 0

    cdef int _column(self, object name) except -1:
        cdef object c = self.col_of.get(name)
        cdef int k
        if c is not None:
            return <int>c
        if self.ncols >= self.max_columns:  # pragma: no cover - _budget() checked first
            raise _column_budget_error(self.max_columns, self.ncols, 1)
        if self.ncols == self.ccap:
            k = 16 if self.ccap == 0 else self.ccap * 2
            self.pd = <double**>_grow(self.pd, k * sizeof(double*))
            self.pq = <long long**>_grow(self.pq, k * sizeof(long long*))
            self.pb = <signed char**>_grow(self.pb, k * sizeof(signed char*))
            self.filled = <Py_ssize_t*>_grow(self.filled, k * sizeof(Py_ssize_t))
            self.ccap = k
        d = _pyarray.array("d")
        q = _pyarray.array("q")
        b = _pyarray.array("b")
        carray.resize(d, self.cap)
        carray.resize(q, self.cap)
        carray.resize(b, self.cap)
        k = self.ncols
        self.arr_d.append(d)
        self.arr_q.append(q)
        self.arr_b.append(b)
        self.table.columns[name] = d
        self.table.raw[name] = q
        self.table.scalers[name] = b
        self.col_of[name] = k
        self.filled[k] = 0
        self.ncols = k + 1
        self.pd[k] = (<carray.array>d).data.as_doubles
        self.pq[k] = (<carray.array>q).data.as_longlongs
        self.pb[k] = (<carray.array>b).data.as_schars
        return k

    cdef inline void _fill(self, int c, Py_ssize_t upto) noexcept:
        cdef Py_ssize_t r
        cdef double* pd = self.pd[c]
        cdef long long* pq = self.pq[c]
        cdef signed char* pb = self.pb[c]
        for r in range(self.filled[c], upto):
            pd[r] = NAN
            pq[r] = RAW_MISSING_Q
            pb[r] = 0
        if upto > self.filled[c]:
            self.filled[c] = upto

    cdef inline void _put(self, int c, Py_ssize_t row, double v, long long iv, signed char sc) noexcept:
        if self.filled[c] < row:
            self._fill(c, row)
        self.pd[c][row] = v
        self.pq[c][row] = iv
        self.pb[c][row] = sc
        self.filled[c] = row + 1

    @property
    def row_count(self):
        """Rows written so far."""
        return self.rows

    @property
    def capacity(self):
        """Rows the columns have room for (reserve() and geometric growth)."""
        return self.cap

    def reserve(self, Py_ssize_t rows):
        """Make room for ``rows`` rows in every column at once (decode_batch
        estimates the total from the first window of a capture): the columns
        then grow by one reallocation instead of a doubling series, which
        copies and first-touches the memory again each time.  finish() cuts
        what is not used.  An estimate is only an estimate (a dense start, then
        noise): at most RESERVE_BYTES are reserved this way, beyond that the
        columns grow geometrically with the rows actually written."""
        cdef Py_ssize_t row_bytes = 37 + 17 * (self.ncols if self.ncols > 0 else 1)
        if rows > RESERVE_BYTES // row_bytes:
            rows = RESERVE_BYTES // row_bytes
        if rows > self.cap:
            self._resize_all(rows)

    def finish(self):
        """Cut every column to the row count (the table is complete)."""
        cdef int c
        for c in range(self.ncols):
            self._fill(c, self.rows)
        self._resize_all(self.rows)
        self.table._n = self.rows
        return self.table

    # -- rows from objects (the reference path) -------------------------------------
    cpdef add_error(self, e):
        """An error row (FrameTable._append_error)."""
        cdef Py_ssize_t r = self._row()
        self.pstatus[r] = <signed char>_error_code(e)
        self.errors[r] = f"{type(e).__name__}: {e}"

    cpdef add_frame(self, f):
        """A row from a decoded Frame (FrameTable._append_frame)."""
        cdef Py_ssize_t r
        cdef int c
        cdef object name, raw, scaler, value, t
        self._budget([name for name, value in zip(f._names, f._values)
                      if type(value) is int or type(value) is float])
        r = self._row()
        code = self.table._code
        self.pcat[0][r] = code("profile_id", f.profile_id)
        self.pcat[1][r] = code("list_name", f.list_name)
        self.pcat[2][r] = code("list_version", f.list_version)
        self.pcat[3][r] = code("meter_id", f.meter_id)
        self.pcat[4][r] = code("meter_type", f.meter_type)
        self.pheader[r] = _epoch_us(f.header_time)
        self.pmeter[r] = _epoch_us(f.meter_time)
        for name, raw, scaler, value in zip(f._names, f._raws, f._scalers, f._values):
            t = type(value)
            if t is not int and t is not float:
                continue  # text, bytes, clocks, bool: not a numeric column
            c = self._column(name)
            if self.filled[c] > r:
                continue  # a name twice in one frame: the first one wins
            self._put(c, r, PyFloat_AsDouble(value),
                      <long long>raw if (type(raw) is int and -9223372036854775807 - 1 <= raw <= 9223372036854775807)
                      else RAW_MISSING_Q,
                      <signed char>scaler if -128 <= scaler <= 127 else 0)

    def add_raw(self, data):
        """One frame given on its own (decode_batch over an iterable)."""
        cdef bytes b = _as_bytes(data)
        try:
            if self._fast(<const unsigned char*>PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b), True):
                return
            frame = _decode_one(b, self.ps, self.prof, self.tz, self.keys, self.require_auth)
            self.add_frame(frame)  # may refuse (column budget) before writing the row
        except Exception as e:  # any failure is this frame's row, not the batch's end
            self.add_error(_as_decode_error(e))

    def add_scan(self, buf, Py_ssize_t start, Py_ssize_t end, Py_ssize_t max_frame_size,
                 bint shared, bint final, reject_hdlc):
        """Scan ``buf[start:end]`` (bytes) with the stream scanner and add what it
        finds: frames, rejected candidates (``reject_hdlc(buf, start)`` gives
        their error) and discarded bytes.  Returns the scanner's
        ``(resume, shared, need)``."""
        cdef bytes b = <bytes>buf
        cdef Py_ssize_t resume, need
        cdef bint shared_out
        if start < 0 or end > PyBytes_GET_SIZE(b) or start > end:
            raise IndexError("scan range outside the buffer")
        self.sbuf = b
        self.sreject = reject_hdlc
        self.sdiscarded = 0
        try:
            scan_core(<const unsigned char*>PyBytes_AS_STRING(b), start, end, max_frame_size,
                      shared, final, _writer_sink, <void*>self, &resume, &shared_out, &need)
        finally:
            self.table.bytes_discarded += self.sdiscarded
            self.sbuf = None
            self.sreject = None
        return resume, shared_out, need

    cdef int _item(self, int kind, Py_ssize_t start, Py_ssize_t stop) except -1:
        cdef bytes b = self.sbuf
        if kind == 0:
            self.sdiscarded += stop - start
        elif kind == 1:
            try:
                if self._fast(<const unsigned char*>PyBytes_AS_STRING(b) + start, stop - start, False):
                    return 0
                frame = _decode_hdlc(b[start:stop], self.ps, self.prof, self.tz, self.keys,
                                     self.require_auth)
                self.add_frame(frame)  # may refuse (column budget) before writing the row
            except Exception as e:  # any failure is this frame's row, not the batch's end
                self.add_error(_as_decode_error(e))
        else:
            self.add_error(self.sreject(b, start))
        return 0

    # -- the fast path --------------------------------------------------------------
    cdef _Entry _entry(self, const unsigned char* d, Node* nodes, El* els, int nel,
                       int layout, int count, long src):
        """The writer's entry for this shape, or None (no plan yet: reference path)."""
        cdef unsigned char sig[SIG_MAX]
        cdef Py_ssize_t n = _sig_into(d, nodes, els, nel, layout, count, sig)
        cdef uint64_t h
        cdef int slot, probes
        cdef _Entry e
        if n < 0:
            return None
        h = _hash_bytes(sig, n, 0x243F6A8885A308D3ULL ^ <uint64_t>src)
        slot = <int>(h & (ENTRY_SLOTS - 1))
        for probes in range(ENTRY_SLOTS):  # no-cython-lint
            if self.eptr[slot] == NULL:
                break
            if self.ehash[slot] == h:
                e = <_Entry>self.eptr[slot]
                if (e.src == src and PyBytes_GET_SIZE(e.sig) == n
                        and memcmp(PyBytes_AS_STRING(e.sig), sig, n) == 0):
                    return e
            slot = (slot + 1) & (ENTRY_SLOTS - 1)
        else:
            return None  # table full: the shapes beyond ENTRY_SLOTS take the reference path
        key = (PyBytes_FromStringAndSize(<const char*>sig, n), id(self.ps), id(self.prof), self.tz, src)
        plan = _PLANS.get(key)
        if plan is None or (<_Plan>plan).ps is not self.ps or (<_Plan>plan).profile_arg is not self.prof:
            return None
        e = self._new_entry(<_Plan>plan, key[0], src, nodes, els, nel)
        self.entries.append(e)
        self.eptr[slot] = <PyObject*>e
        self.ehash[slot] = h
        return e

    cdef _Entry _new_entry(self, _Plan plan, bytes sig, long src, Node* nodes, El* els, int nel):
        cdef _Entry e = _Entry()
        cdef int i, j = 0, nout = len(plan.names), tag
        cdef set used = set()
        e.plan = plan
        e.sig = sig
        e.src = src
        e.nout = nout
        e.el_of = <int*>malloc((nout + 1) * sizeof(int))
        e.col = <int*>malloc((nout + 1) * sizeof(int))
        e.dsc = <int*>malloc((nout + 1) * sizeof(int))
        e.kind = <signed char*>malloc(nout + 1)
        if e.el_of == NULL or e.col == NULL or e.dsc == NULL or e.kind == NULL:
            raise MemoryError()
        numeric = []
        for i in range(nel):  # the columns this shape needs, checked before any is made
            tag = nodes[els[i].node].tag
            if tag == T_NULL:
                continue
            if j < nout and _is_numeric(tag):
                numeric.append(plan.names[j])
            j += 1
        self._budget(numeric)
        j = 0
        for i in range(nel):
            tag = nodes[els[i].node].tag
            if tag == T_NULL:
                continue
            if j >= nout:
                raise AssertionError("plan and frame disagree")  # pragma: no cover
            name = plan.names[j]
            e.el_of[j] = i
            e.kind[j] = <signed char><int>plan.kinds[j]
            e.dsc[j] = _small_scaler(plan.d_scalers[j])
            if _is_numeric(tag) and name not in used:
                used.add(name)
                e.col[j] = self._column(name)
            else:
                e.col[j] = -1
            j += 1
        if j != nout:
            raise AssertionError("plan and frame disagree")  # pragma: no cover
        e.policy = plan.policy
        e.profile_code = self.table._code("profile_id", plan.prof_id)
        e.list_code = self.table._code("list_name", plan.list_name)
        e.per_type = {} if plan.overrides else None
        return e

    cdef int _text_code(self, int which, str key, _Entry e, int idx, const unsigned char* d,
                        Node* nodes, El* els, _Template t) except -2:
        """Category code of the text value of output element ``idx`` (-1: none).
        ``t``, the template the frame matched (or None), remembers the cache
        slot its meter's text was found in last time."""
        cdef Node* nd
        cdef int kind, slot = 0, base, way
        if idx < 0:
            return -1
        nd = &nodes[els[e.el_of[idx]].node]
        kind = e.kind[idx]
        if nd.tag == T_OCTETS:
            if kind != KIND_STRING:
                return -1  # bytes or a clock: not text
        elif nd.tag != T_VISIBLE:
            return -1
        if nd.length <= TEXT_KEEP:
            # the slot this template's meter used last time, else the last slot: no hashing
            slot = t.tc_hint[which] if (t is not None and t.tc_hint[which] >= 0) else self.tc_last[which]
            if (self.tc_len[which][slot] == nd.length and self.tc_kind[which][slot] == kind
                    and memcmp(self.tc_txt[which][slot], d + nd.pos, nd.length) == 0):
                return self.tc_code[which][slot]
            base = <int>(_hash_bytes(d + nd.pos, nd.length, <uint64_t>which) & (TEXT_SETS - 1)) * TEXT_WAYS
            for way in range(TEXT_WAYS):
                slot = base + way
                if (self.tc_len[which][slot] == nd.length and self.tc_kind[which][slot] == kind
                        and memcmp(self.tc_txt[which][slot], d + nd.pos, nd.length) == 0):
                    self.tc_last[which] = slot
                    if t is not None:
                        t.tc_hint[which] = slot
                    return self.tc_code[which][slot]
            slot = base + self.tc_next[which][base // TEXT_WAYS]   # not seen: replace in turn
            self.tc_next[which][base // TEXT_WAYS] = (slot - base + 1) % TEXT_WAYS
        text = PyBytes_FromStringAndSize(<const char*>(d + nd.pos), nd.length).decode("latin-1")
        if kind == KIND_STRING:
            text = text.rstrip("\x00 ")
        code = self.table._code(key, text)
        if nd.length <= TEXT_KEEP:
            memcpy(self.tc_txt[which][slot], d + nd.pos, nd.length)
            self.tc_len[which][slot] = <int>nd.length
            self.tc_kind[which][slot] = <signed char>kind   # a string is trimmed, bytes are not
            self.tc_code[which][slot] = code
            self.tc_last[which] = slot
            if t is not None:
                t.tc_hint[which] = slot
        return code

    cdef tuple _scalers_for(self, _Entry e, int type_code):
        """(scalers, array('i') of them) after the profile's per-meter-type overrides."""
        cdef object got = e.per_type.get(type_code)
        cdef list sc
        if got is None:
            sc = list(e.plan.d_scalers)
            _apply_overrides(e.plan, None if type_code < 0 else self.table.categories["meter_type"][type_code], sc)
            got = e.per_type[type_code] = (sc, _pyarray.array("i", [_small_scaler(x) for x in sc] + [0]))
        return <tuple>got

    cdef int _fast(self, const unsigned char* d, Py_ssize_t n, bint check) except -1:
        """1: the frame went into the columns; 0: use the reference path."""
        cdef Hdlc h
        cdef Node nodes[MAX_NODES]
        cdef El els[MAX_NODES]
        cdef int nn = 0, nel, flayout, fcount, j, c, policy, type_code
        cdef Py_ssize_t pos, end, wpos, hdr = -1, r
        cdef _Entry e
        cdef _Plan plan
        cdef Node* nd
        cdef El* el
        cdef Node* np = NULL
        cdef El* ep = NULL
        cdef uint64_t tkey
        cdef _Template t
        cdef int* dsc
        cdef list sc_objs
        cdef tuple per
        cdef int c_version, c_meter_id
        cdef long long mt = NAT_US, ht = NAT_US
        try:
            _parse_hdlc(d, n, &h, check)
        except DecodeError:  # the reference path says why
            return 0
        if h.segmented:
            return 0
        end = h.info_end
        pos = _body_start(d, h.info_start, end, &hdr)
        if pos < 0:
            return 0
        # a frame like the template of a shape seen from this meter: read its values
        tkey = _frame_key(d, n, h.info_start, pos, end)
        t = self.templates.find(tkey, d, n)
        if t is not None:
            e = <_Entry>t.owner   # borrowed (see _Template.owner)
            np = t.tnodes     # numbers are read from d by the store program (strings, clocks: positions)
            ep = t.tels
        else:  # walk it
            wpos = pos
            if (_walk(d, &wpos, end, 0, nodes, &nn) != 0 or wpos != end
                    or _cflatten(d, nodes, els, &nel, &flayout, &fcount) != 0):
                return 0
            e = self._entry(d, nodes, els, nel, flayout, fcount, <long>h.src)
            if e is None:
                return 0
            # a template of this very frame, unless the entry has as many as it may
            # keep (other lengths, addresses or scaler structures of one shape)
            if e.tpls is None:
                e.tpls = []
            if len(e.tpls) < ENTRY_TEMPLATES:
                t = _Template()
                t.make(d, n, h.info_start, hdr, nodes, nn, els, nel,
                       _version_el(nodes, els, nel, flayout))
                t.owner = <PyObject*>e
                t.make_program(e.nout, e.el_of, e.col, nodes, els)
                e.tpls.append(t)
                self.templates.put(tkey, t)
            t = None  # this frame was walked: store it from its own nodes
            np = nodes
            ep = els
        plan = e.plan
        policy = e.policy
        # everything that may call back into Python or fail comes before the row
        if plan.i_meter_time >= 0:
            nd = &np[ep[e.el_of[plan.i_meter_time]].node]
            if nd.tag == T_OCTETS and nd.length == 12 and e.kind[plan.i_meter_time] == KIND_DATETIME:
                mt = _clock_us(d + nd.pos, plan.zone, policy)
        if hdr >= 0:
            ht = _clock_us(d + hdr, plan.zone, policy)
        c_version = self._text_code(0, "list_version", e, plan.i_version, d, np, ep, t)
        c_meter_id = self._text_code(1, "meter_id", e, plan.i_meter_id, d, np, ep, t)
        type_code = self._text_code(2, "meter_type", e, plan.i_meter_type, d, np, ep, t)
        sc_objs = plan.d_scalers
        dsc = e.dsc
        if e.per_type is not None:
            per = self._scalers_for(e, type_code)
            sc_objs = <list>per[0]
            dsc = (<carray.array>per[1]).data.as_ints
        r = self._row()
        self.pheader[r] = ht
        self.pmeter[r] = mt
        self.pcat[0][r] = e.profile_code
        self.pcat[1][r] = e.list_code
        self.pcat[2][r] = c_version
        self.pcat[3][r] = c_meter_id
        self.pcat[4][r] = type_code
        if t is not None:  # the template's store program
            return self._run_program(t, d, r, dsc, sc_objs)
        for j in range(e.nout):
            c = e.col[j]
            if c < 0:
                continue
            el = &ep[e.el_of[j]]
            self._put_node(c, r, &np[el.node], el.scaler if el.has_scaler else dsc[j],
                           el.scaler if el.has_scaler else sc_objs[j])
        return 1

    cdef int _put_node(self, int c, Py_ssize_t r, Node* nd, int sc, object sc_obj) except -1:
        """Store one number node (value, raw, scaler) into column ``c``, row ``r``."""
        cdef double v
        cdef long long iv
        cdef bint big = False
        if nd.tag == T_F32 or nd.tag == T_F64:
            v = nd.fval
            iv = RAW_MISSING_Q
        elif nd.is_unsigned:
            v = <double>nd.uval
            big = nd.uval > 9007199254740992ULL
            iv = <long long>nd.uval if nd.uval <= 9223372036854775807ULL else RAW_MISSING_Q
        else:
            iv = nd.ival
            v = <double>iv
            big = iv > 9007199254740992LL or iv < -9007199254740992LL
        if sc == SC_GENERIC or big or sc > 22 or sc < -22:
            v = float(_scale(_node_number(nd), sc_obj))  # the reference formula
            if sc == SC_GENERIC:
                sc = 0
        else:
            v = _pow10_scaled(v, sc)
        self._put(c, r, v, iv, <signed char>sc if -128 <= sc <= 127 else 0)
        return 0

    cdef int _run_program(self, _Template t, const unsigned char* d, Py_ssize_t r, int* dsc,
                          list sc_objs) except -1:
        """The numeric columns of a frame matching template ``t``: each value
        read from its offset in ``d`` and stored; integers up to 32 bits with
        scalers |k| <= 22 need nothing else (the common case), anything else
        goes through _put_node on a copy of the node."""
        cdef int k, c, tag, sc, j
        cdef const unsigned char* p
        cdef long long iv
        cdef Node tmp
        for k in range(t.prog_n):
            c = t.prog_col[k]
            j = t.prog_j[k]
            sc = t.prog_sc[k]
            if sc == SC_FROM_PLAN:
                sc = dsc[j]
            p = d + t.prog_pos[k]
            tag = t.prog_tag[k]
            if tag == T_U8 or tag == T_ENUM:
                iv = p[0]
            elif tag == T_U16:
                iv = (p[0] << 8) | p[1]
            elif tag == T_I8:
                iv = <signed char>p[0]
            elif tag == T_I16:
                iv = <short>((p[0] << 8) | p[1])
            elif tag == T_I32:
                iv = <int>((<unsigned int>p[0] << 24) | (<unsigned int>p[1] << 16) | (<unsigned int>p[2] << 8) | p[3])
            elif tag == T_U32:
                iv = (<long long>p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]
            else:
                tag = -1  # 64-bit, floats: the general store
            if tag < 0 or sc < -22 or sc > 22:  # incl. SC_GENERIC: the reference formula
                tmp = t.tnodes[t.prog_node[k]]
                _reload(d, &tmp)
                self._put_node(c, r, &tmp, sc, sc_objs[j] if t.prog_sc[k] == SC_FROM_PLAN else sc)
                continue
            self._put(c, r, _pow10_scaled(<double>iv, sc), iv, <signed char>sc)
        return 1


cdef object _column_budget_error(int max_columns, int ncols, Py_ssize_t new):
    return DecodeError(
        f"frame would add {new} reading column(s) to the {ncols} the table has, "
        f"beyond max_columns={max_columns}", None)


cdef inline double _pow10_scaled(double v, int sc) noexcept nogil:
    """v * 10**sc for |sc| <= 22 with v an integer below 2**53 (or a float): 10**k
    is exact as a double, so this is one correctly rounded operation, as
    float(int * 10**k) and int / 10**k are in Python."""
    if sc > 0:
        return v * _POW10D[sc]
    if sc < 0:
        return v / _POW10D[-sc]
    return v


cdef int _writer_sink(void* ctx, int kind, Py_ssize_t start, Py_ssize_t stop, int aux) except -1:
    return (<TableWriter>ctx)._item(kind, start, stop)


cdef void* _grow(void* p, size_t size) except NULL:
    cdef void* q = realloc(p, size)
    if q == NULL:
        raise MemoryError()
    return q
include "_threads_c.pxi"
