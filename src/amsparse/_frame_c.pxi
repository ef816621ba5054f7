# Included by _decode_c.pyx (one extension module): constructors: Frame slot filling and the reference conversion (_finish).
# See docs/internals.md for the layers.

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
