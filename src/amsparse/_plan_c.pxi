# Included by _decode_c.pyx (one extension module): plans: _Plan, _build_plan and the Frame a plan
# builds.
# See docs/internals.md for the layers.

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
    cdef object p_names, p_kinds, p_scalers, p_units, p_obis, p_by_obis, p_role_at
    cdef object g_names, g_kinds, g_scalers, g_units, g_obis, g_by_obis, g_by_cde, g_role_at
    cdef object role
    cdef dict at_role
    cdef _Plan plan

    version = _list_version(layout, elements)
    prof = _choose_profile(profiles, layout, count, version, source, profile)
    prof, elements = _pl_settle(profiles, layout, elements, count, source, prof, version, offset)
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
    p_role_at = prof.role_at
    g_names = generic.names
    g_kinds = generic.kinds
    g_scalers = generic.scalers
    g_units = generic.units
    g_obis = generic.obis
    g_by_obis = generic.by_obis
    g_by_cde = generic.by_cde
    g_role_at = generic.role_at
    at_role = {}  # role -> index of the first reading whose field has it
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
        elif obis < 0:  # a bare leading value: the list_version role names it
            idx = prof.roles.get("list_version", -1)
            if idx < 0:
                use_prof = False
                idx = generic.roles["list_version"]
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
                role = p_role_at[idx]
            else:
                name = g_names[idx]
                kind = g_kinds[idx]
                d_scaler = g_scalers[idx]
                d_unit = g_units[idx]
                if obis < 0:
                    obis = g_obis[idx]
                role = g_role_at[idx]
            if role is not None and role not in at_role:
                at_role[role] = len(names)
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
    plan.i_version = at_role.get("list_version", -1)
    plan.i_meter_id = at_role.get("meter_id", -1)
    plan.i_meter_type = at_role.get("meter_type", -1)
    plan.i_meter_time = at_role.get("meter_time", -1)
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
        plan.i_meter_time,
    ))
