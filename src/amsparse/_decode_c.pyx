"""Compiled decoder core: the Cython twin of :mod:`amsparse._decode_py`.

Same public names, same results (``Frame`` objects comparing equal), same
exception types, messages and offsets on the same input.  The byte-level work
(CRC, HDLC header, LLC, data-notification header, A-XDR walk) runs on a C
cursor over the input buffer; every read is checked against the end
explicitly (the build turns Cython's own bounds checks off).  Layout detection
and profile resolution mirror the twin function for function and run with
Cython's bounds checks switched back on, because they index Python
containers.

The reference is ``_decode_py.py`` (and its layer modules): when the two disagree, this file is wrong.
"""

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.list cimport PyList_New, PyList_SET_ITEM
from cpython.ref cimport Py_INCREF, Py_XDECREF, PyObject
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_New, PyTuple_SET_ITEM
from libc.string cimport memcpy, memcmp, memmove, memset
from libc.math cimport NAN
from libc.limits cimport LLONG_MIN  # no-cython-lint (used by _spec.pxi)


include "_shims_c.pxi"
include "_slots_c.pxi"


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
from ._model import Frame, freeze as _freeze  # no-cython-lint (Frame: used by included files)
from ._options import MAX_APDU_INPUT as _MAX_APDU_INPUT
from ._transport import decode_mbus as _decode_mbus, decode_wrapped as _decode_wrapped
from ._spec import MAX_DEPTH as _SPEC_MAX_DEPTH
from ._compact import translate as _translate_compact
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
PARALLEL = True  # decode_batch(threads=): decode_parallel (_threads_c.pxi) decodes without the GIL

MAX_DEPTH = _SPEC_MAX_DEPTH  # nesting of arrays/structures; real lists use 3

include "_spec.pxi"   # generated from _spec.py (tools/gen_spec_pxi.py)

if (_P_KIND_NUMBER, _P_KIND_STRING, _P_KIND_DATETIME, _P_KIND_BYTES) != (0, 1, 2, 3) or (
    _P_LAYOUT_OBIS, _P_LAYOUT_POSITIONAL
) != (0, 1):  # pragma: no cover - guards the constants copied above
    raise ImportError("amsparse._decode_c is out of date with amsparse._profiles")

cdef object _LAYOUT_OBIS_OBJ = _P_LAYOUT_OBIS
cdef object _LAYOUT_POSITIONAL_OBJ = _P_LAYOUT_POSITIONAL

include "_crc_c.pxi"


include "_hdlc_c.pxi"


include "_cursor_c.pxi"


include "_value_c.pxi"


include "_layout_c.pxi"


include "_plan_c.pxi"


include "_frame_c.pxi"


include "_clock_c.pxi"


include "_walker_c.pxi"


include "_template_c.pxi"


include "_apdu_c.pxi"


include "_security_c.pxi"
include "_pushlist_c.pxi"


def decode_frame(data, profiles=None, *, profile=None, tz=None, keys=None,
                 require_authentication=False, decoder=None):
    """Decode exactly one flag-delimited HDLC frame (see :func:`amsparse.decode_frame`)."""
    cdef DecoderCore dc = _default_core(profiles, profile, tz, decoder)
    if decoder is not None:
        keys, require_authentication = _decoder_keys(dc, keys, require_authentication)
    return _decode_one(_as_bytes(data), dc, keys, require_authentication)


cdef object _decode_one(bytes buf, DecoderCore dc, object keys, bint require_auth):
    """One frame given on its own (decode_frame, TableWriter.add_raw): an M-Bus
    message when it starts with 0x68, else an HDLC frame."""
    if PyBytes_GET_SIZE(buf) and (<const unsigned char*>PyBytes_AS_STRING(buf))[0] == 0x68:
        return _decode_mbus(buf, keys, require_auth, _decode_plain, (dc, -1, None))
    return _decode_hdlc(buf, dc, keys, require_auth)


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


def decode_run(buf, list items, Py_ssize_t i, DecoderCore dc, event_cls, list events, reject,
               keys=None, bint require_auth=False):
    """StreamDecoder's loop over the scanner's items, for the common case.

    From ``items[i]`` on, while the item is a frame (kind 1) without the HDLC
    segmentation bit: copy it out of ``buf`` (the decoder's bytearray), decode
    it as :func:`decode_frame` does and append ``event_cls(frame, raw)`` to
    ``events``, or call ``reject(events, raw, error)`` on a DecodeError.
    Returns ``(next index, frames decoded, shared flags counted)``; the caller
    handles the item that stopped the run (discarded bytes, a rejected
    candidate, a segment) the ordinary way.  ``keys`` / ``require_auth``:
    ciphered frames are decrypted here too (the stream passes them when no
    replay guard needs to see each frame).  The items must be the stream
    scanner's for ``buf``: its HCS and FCS checks are not repeated here.
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
            frame = _decode_hdlc(raw, dc, keys, require_auth, False)  # the scanner checked HCS and FCS
        except Exception as e:  # any failure is this frame's rejection (reject() wraps it)
            reject(events, raw, e)
        else:
            events.append(_frame_event(event_cls, frame, raw))
            decoded += 1
        i += 1
    return i, decoded, shared


def decode_apdu(data, profiles=None, *, profile=None, tz=None, source=-1, keys=None,
                require_authentication=False, decoder=None):
    """Decode a DLMS APDU without HDLC framing; a leading LLC header is optional."""
    cdef DecoderCore dc = _default_core(profiles, profile, tz, decoder)
    if decoder is not None:
        keys, require_authentication = _decoder_keys(dc, keys, require_authentication)
    return _decode_apdu(_as_bytes(data), dc, source, keys, require_authentication)


cdef object _decode_apdu(bytes buf, DecoderCore dc, object source, object keys, bint require_authentication):
    cdef const unsigned char* d
    cdef Py_ssize_t n
    cdef bint llc
    d = <const unsigned char*>PyBytes_AS_STRING(buf)
    n = PyBytes_GET_SIZE(buf)
    if n > _MAX_APDU_INPUT:
        raise ApduError(f"APDU of {n} bytes is larger than decode_apdu accepts ({_MAX_APDU_INPUT})", None)
    llc = n >= 3 and d[0] == 0xE6 and d[1] == 0xE7 and d[2] == 0x00
    if n > 3 * llc and _wrapped_tag(d[3 * llc]):
        return _decode_wrapped(buf, 3 * llc, n, keys, require_authentication, _decode_plain,
                               (dc, source, None))
    return _decode_info(buf, 0, n, dc, source, None, llc)


include "_writer_base_c.pxi"


include "_writer_c.pxi"


include "_nogil_frame_c.pxi"
include "_threads_c.pxi"
