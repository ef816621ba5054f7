# Included by _decode_c.pyx (through _frame_c.pxi) and _p1_c.pyx: the one copy of the Frame
# constructor that fills the slots directly.  Needs _slots_c.pxi, Frame, _types and the
# PyTuple_GET_ITEM cimport in the including module.  See docs/internals.md.

# Frame's slots are filled through their member descriptors, not __init__, and
# an atomic Frame leaves the GC's lists.  See docs/internals.md "Frames without __init__".
_FRAME_SLOTS = ("profile_id", "list_name", "list_version", "meter_id", "meter_type",
                "header_clock", "header_time", "invoke_id", "address", "_names", "_obis",
                "_raws", "_scalers", "_units", "_values", "_readings", "security",
                "received", "_time")
cdef tuple _FRAME_DESCR = ()
cdef bint _FAST_FRAME = False
if (getattr(Frame, "__slots__", None) == _FRAME_SLOTS
        and all(type(Frame.__dict__.get(f)) is _types.MemberDescriptorType for f in _FRAME_SLOTS)):
    _FRAME_DESCR = tuple(Frame.__dict__[f] for f in _FRAME_SLOTS)
    _FAST_FRAME = True


cdef object _new_frame(tuple fields):
    """``fields``: Frame's first 16 slots (``_readings`` None), then the meter_time
    role's reading index (the ``_time`` slot, -1 for none)."""
    cdef object o
    cdef Py_ssize_t k
    if not _FAST_FRAME:
        return Frame(*fields[:15], meter_time_index=fields[16])
    o = ams_alloc(Frame)
    for k in range(16):
        ams_set_slot(PyTuple_GET_ITEM(_FRAME_DESCR, k), o, <object>PyTuple_GET_ITEM(fields, k))
    ams_set_slot(PyTuple_GET_ITEM(_FRAME_DESCR, 16), o, None)   # security: set by _transport
    ams_set_slot(PyTuple_GET_ITEM(_FRAME_DESCR, 17), o, None)   # received: set by amsparse.io
    ams_set_slot(PyTuple_GET_ITEM(_FRAME_DESCR, 18), o, <object>PyTuple_GET_ITEM(fields, 16))
    ams_untrack_atomic_obj(o, fields)
    return o
