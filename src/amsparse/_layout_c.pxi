# Included by _decode_c.pyx (one extension module): layout detection, list version, profile choice and
# scaling (reference path).
# See docs/internals.md for the layers.

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
    """See ``_layout_py._flatten``: ``(layout, elements)``, elements are
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
        cands = profiles.by_version.get(version, ())
        for p in cands:  # a profile that lists this element count first (Kamstrup DK vs NO)
            if p.layout == layout and count in p.lists:
                return p
        for p in cands:
            if p.layout == layout and layout == LAYOUT_OBIS:
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
