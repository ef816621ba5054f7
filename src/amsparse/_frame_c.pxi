# Included by _decode_c.pyx (one extension module): constructors: Frame slot filling
# (_frame_slots_c.pxi) and the reference conversion (_finish).
# See docs/internals.md for the layers.

include "_frame_slots_c.pxi"   # _FRAME_SLOTS, _new_frame (shared with _p1_c.pyx)


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
