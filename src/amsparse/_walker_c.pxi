# Included by _decode_c.pyx (one extension module): fast path: the node walker, C layout detection,
# signatures, _finish_fast.
# See docs/internals.md for the layers.

# --------------------------------------------------------------------------- fast path
#
# The C walk over the A-XDR body into an array of nodes, layout detection on
# it and the shape's cached _Plan; anything it does not handle goes down the
# reference path.  See docs/internals.md "Reference path and fast path".

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
