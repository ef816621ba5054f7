# The compiled side of self-describing push lists and code/value/scaler triples
# (included once by _decode_c.pyx).  Twin: amsparse._pushlist_py.flatten_pushlist,
# which documents the two shapes; the profile detection that follows
# (_pushlist_py.settle) is shared by both backends and runs once per list shape.
#
# Both shapes contain nested containers, so the node walk of the fast path
# (_cflatten) leaves them to the reference path, which calls
# _flatten_pushlist on the (tag, value) tree _read_value built before trying the
# Nordic shapes in _flatten.  Ciphered pushes arrive at most every second or so:
# this is written for clarity, over Python objects.

from ._pushlist_py import settle as _pl_settle
from ._pushlist_py import flatten_more as _pl_flatten_more
from ._spec import LAYOUT_PUSHLIST as _P_LAYOUT_PUSHLIST

cdef object _LAYOUT_PUSHLIST_OBJ = _P_LAYOUT_PUSHLIST


cdef inline bint _pl_is_obis(tuple item):
    return (<int>item[0]) == T_OCTETS and len(<bytes>item[1]) == 6


cdef inline bint _pl_is_scaler_unit(tuple item):
    cdef list v
    if (<int>item[0]) != T_STRUCT:
        return False
    v = <list>item[1]
    return (len(v) == 2 and (<int>(<tuple>v[0])[0]) == T_I8
            and (<int>(<tuple>v[1])[0]) == T_ENUM)


@cython.boundscheck(True)
@cython.wraparound(True)
cdef list _pl_self_describing(list items):
    """Elements of a body whose first value is its own push object list, or None."""
    cdef Py_ssize_t n = len(items), i, j
    cdef tuple first = <tuple>items[0], it, f
    cdef list lst, v, out, cids, codes, attrs, sv
    cdef dict at
    cdef object obis
    if (<int>first[0]) != T_ARRAY:
        return None
    lst = <list>first[1]
    if len(lst) != n:
        return None
    cids = []
    codes = []
    attrs = []
    for i in range(n):
        it = <tuple>lst[i]
        if (<int>it[0]) != T_STRUCT:
            return None
        v = <list>it[1]
        if len(v) != 4:
            return None
        if ((<int>(<tuple>v[0])[0]) != T_U16 or not _pl_is_obis(<tuple>v[1])
                or (<int>(<tuple>v[2])[0]) != T_I8 or (<int>(<tuple>v[3])[0]) != T_U16):
            return None
        cids.append((<tuple>v[0])[1])
        codes.append(_obis_int((<tuple>v[1])[1]))
        attrs.append((<tuple>v[2])[1])
    if cids[0] != 40 or attrs[0] != 2:
        return None
    out = []
    at = {}
    for i in range(1, n):
        if attrs[i] == 2:
            it = <tuple>items[i]
            if codes[i] not in at:
                at[codes[i]] = len(out)
            out.append((codes[i], it[0], it[1], None, None))
    if not out:
        return None
    for i in range(1, n):
        obis = codes[i]
        it = <tuple>items[i]
        if attrs[i] == 3 and (cids[i] == 3 or cids[i] == 4) and obis in at and _pl_is_scaler_unit(it):
            j = at[obis]
            sv = <list>it[1]
            f = <tuple>out[j]
            out[j] = (f[0], f[1], f[2], (<tuple>sv[0])[1], (<tuple>sv[1])[1])
    return out


@cython.boundscheck(True)
@cython.wraparound(True)
cdef list _pl_triples(list items):
    """Elements of a body of OBIS/value/scaler-unit triples between bare values, or None."""
    cdef Py_ssize_t n = len(items), i = 0, lead, k, triples = 0
    cdef tuple it, sv0, sv1
    cdef list out
    cdef int t
    while i < n and not _pl_is_obis(<tuple>items[i]):
        i += 1
    lead = i
    while i + 2 < n and _pl_is_obis(<tuple>items[i]) and _pl_is_scaler_unit(<tuple>items[i + 2]):
        triples += 1
        i += 3
    if triples < 2:
        return None
    for k in range(n):
        if lead <= k < i:
            continue
        it = <tuple>items[k]
        t = it[0]
        if t == T_ARRAY or t == T_STRUCT or _pl_is_obis(it):
            return None
    out = []
    for k in range(lead):
        it = <tuple>items[k]
        out.append((-1, it[0], it[1], None, None))
    for k in range(lead, i, 3):
        it = <tuple>items[k + 1]
        sv0 = <tuple>(<list>(<tuple>items[k + 2])[1])[0]
        sv1 = <tuple>(<list>(<tuple>items[k + 2])[1])[1]
        out.append((_obis_int((<tuple>items[k])[1]), it[0], it[1], sv0[1], sv1[1]))
    for k in range(i, n):
        it = <tuple>items[k]
        out.append((-1, it[0], it[1], None, None))
    return out


cdef tuple _flatten_pushlist(int tag, object val):
    """``(layout, elements)`` for a self-describing or triples body, else None."""
    cdef list items, out
    if tag != T_STRUCT:
        return None
    items = <list>val
    if len(items) < 2:
        return None
    out = _pl_self_describing(items)
    if out is not None:
        return (_LAYOUT_PUSHLIST_OBJ, out)
    out = _pl_triples(items)
    if out is not None:
        return (_LAYOUT_OBIS_OBJ, out)
    # rarer shapes (six-element capture objects, named structures): shared code
    return _pl_flatten_more(tag, val)
