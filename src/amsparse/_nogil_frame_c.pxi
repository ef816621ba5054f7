# decode_batch(threads=N), part 1: the GIL-free per-frame decoder the threads run
# (C snapshots of the writer's templates, clock hours, category codes and columns,
# and the store of one frame that matches a template).  Included by _decode_c.pyx
# just before _threads_c.pxi, which drives it; see the comment there.

from libc.stdlib cimport calloc
from libc.string cimport memchr
from ._scan_c cimport ScanItem, ItemBuf, scan_items

cdef struct TplC:
    uint64_t key
    int valid
    Py_ssize_t tn
    const unsigned char* tbytes
    const unsigned char* tmask
    Node* tnodes
    El* tels
    int prog_n
    int* prog_col
    int* prog_j
    int* prog_sc
    int* prog_node
    signed char* prog_tag
    Py_ssize_t* prog_pos
    int tc_hint[3]
    int* el_of
    signed char* kind
    int* dsc
    int profile_code, list_code, policy, per_type
    int pt_n             # per meter-type scalers (profiles with overrides): type code -> dsc
    int* pt_code
    int** pt_dsc
    Py_ssize_t i_meter_time, i_version, i_meter_id, i_meter_type
    void* zone

cdef struct OffC:
    long long key[OFF_CACHE]
    long long val[OFF_CACHE]
    void* zone[OFF_CACHE]
    int tag[OFF_CACHE]
    char state[OFF_CACHE]

cdef struct TextC:
    unsigned char txt[3][TEXT_SETS * TEXT_WAYS][TEXT_KEEP]
    int len[3][TEXT_SETS * TEXT_WAYS]
    int code[3][TEXT_SETS * TEXT_WAYS]
    signed char kind[3][TEXT_SETS * TEXT_WAYS]
    int last[3]

cdef struct Cols:
    double** pd
    long long** pq
    signed char** pb
    int ncols
    signed char* pstatus
    long long* pheader
    long long* pmeter
    int* pcat[5]


cdef inline bint _tplc_matches(TplC* t, const unsigned char* d, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i = 0
    cdef uint64_t a, m, b
    if n != t.tn:
        return False
    while i + 8 <= n:
        memcpy(&a, d + i, 8)
        memcpy(&m, t.tmask + i, 8)
        memcpy(&b, t.tbytes + i, 8)
        if (a & m) != b:
            return False
        i += 8
    while i < n:
        if (d[i] & t.tmask[i]) != t.tbytes[i]:
            return False
        i += 1
    return True


cdef int _clock_c(OffC* oc, const unsigned char* b, void* zone, int policy,
                  long long* out) noexcept nogil:
    """_clock_us from this thread's copy of the hour-offset cache: 0 and
    ``out``, or -1 when it needs the reference path (no constant offset over
    the hour).  An hour not in the copy is asked for under the GIL (the
    shared cache and amsparse._clock, as _clock_us does) and kept."""
    cdef int year = (b[0] << 8) | b[1]
    cdef int dev, used, tag, slot, ok = -1, fold = 0
    cdef long long key, off = 0
    if not _complete(b):
        out[0] = NAT_US
        return 0
    used = _used_deviation(b, policy, &dev)
    if used:
        out[0] = NAT_US if used < 0 else _wall_us(b) + <long long>dev * 60000000
        return 0
    key = ((<long long>year * 16 + b[2]) * 32 + b[3]) * 32 + b[5]
    tag = policy   # kind 0
    slot = <int>((((<unsigned long long>key) * 0x9E3779B97F4A7C15ULL
                   + (<unsigned long long><size_t>zone) * 0xBF58476D1CE4E5B9ULL
                   + <unsigned long long>tag * 0x94D049BB133111EBULL) >> 40) % OFF_CACHE)
    if oc.state[slot] and oc.key[slot] == key and oc.zone[slot] == zone and oc.tag[slot] == tag:
        if oc.state[slot] != 1:
            return -1
        out[0] = _wall_us(b) + oc.val[slot]
        return 0
    with gil:
        try:
            ok = _hour_offset(0, <object>zone, policy, year, b[2], b[3], b[5], &off, &fold)
        except BaseException:  # the serial pass meets it again and reports it
            ok = -1
    if ok < 0:
        return -1
    oc.key[slot] = key
    oc.zone[slot] = zone
    oc.tag[slot] = tag
    oc.state[slot] = 1 if ok == 1 else 2
    oc.val[slot] = off
    if ok != 1:
        return -1
    out[0] = _wall_us(b) + off
    return 0


cdef inline int _text_c(TextC* tc, int which, TplC* t, Py_ssize_t idx,
                        const unsigned char* d) noexcept nogil:
    """_TableWriter._text_code from the snapshot: the code, -1 for none, -2
    when it would need Python (a text not cached)."""
    cdef Node* nd
    cdef int kind, slot, base, way
    if idx < 0:
        return -1
    nd = &t.tnodes[t.tels[t.el_of[idx]].node]
    kind = t.kind[idx]
    if nd.tag == T_OCTETS:
        if kind != KIND_STRING:
            return -1
    elif nd.tag != T_VISIBLE:
        return -1
    if nd.length > TEXT_KEEP:
        return -2
    slot = t.tc_hint[which] if t.tc_hint[which] >= 0 else tc.last[which]
    if (tc.len[which][slot] == nd.length and tc.kind[which][slot] == kind
            and memcmp(tc.txt[which][slot], d + nd.pos, nd.length) == 0):
        return tc.code[which][slot]
    base = <int>(_hash_bytes(d + nd.pos, nd.length, <uint64_t>which) & (TEXT_SETS - 1)) * TEXT_WAYS
    for way in range(TEXT_WAYS):
        slot = base + way
        if (tc.len[which][slot] == nd.length and tc.kind[which][slot] == kind
                and memcmp(tc.txt[which][slot], d + nd.pos, nd.length) == 0):
            return tc.code[which][slot]
    return -2


cdef int _frame_c(TplC* tpl, OffC* oc, TextC* tc, Cols* cols, const unsigned char* d,
                  Py_ssize_t n, Py_ssize_t r) noexcept nogil:
    """TableWriter._fast for a frame that matches a template, into row ``r``:
    1 written, 0 not (nothing written; the serial pass does it)."""
    cdef Py_ssize_t pos, fcs_pos, info_start, body, hdr = -1, length
    cdef int a, k, c, j, sc, tag, base, way, code0, code1, code2
    cdef uint64_t key
    cdef TplC* t = NULL
    cdef Node* nd
    cdef Node tmp
    cdef const unsigned char* p
    cdef long long iv, mt = NAT_US, ht = NAT_US
    cdef double v
    cdef int* dsc
    cdef bint big
    cdef double vals[MAX_NODES]
    cdef long long ivs[MAX_NODES]
    cdef signed char scs[MAX_NODES]
    # the HDLC header (the scanner has checked HCS and FCS)
    if n < 9 or d[0] != 0x7E or (d[1] & 0xF0) != 0xA0 or (d[1] & 0x08):
        return 0
    length = ((d[1] & 0x07) << 8) | d[2]
    if length + 2 != n or d[n - 1] != 0x7E:
        return 0
    fcs_pos = n - 3
    pos = 3
    for a in range(2):  # no-cython-lint
        k = 0
        while True:
            if pos >= fcs_pos or k == 4:
                return 0
            k += 1
            pos += 1
            if d[pos - 1] & 1:
                if k == 3:
                    return 0
                break
    pos += 1  # control
    if pos + 2 >= fcs_pos:
        return 0
    info_start = pos + 2
    body = _body_start(d, info_start, fcs_pos, &hdr)
    if body < 0:
        return 0
    key = _frame_key(d, n, info_start, body, fcs_pos)
    base = <int>(key & (TEMPLATE_SLOTS - 1)) * TEMPLATE_WAYS
    for way in range(TEMPLATE_WAYS):
        if not tpl[base + way].valid:
            break
        if tpl[base + way].key == key and _tplc_matches(&tpl[base + way], d, n):
            t = &tpl[base + way]
            break
    if t == NULL or t.prog_n < 0 or t.prog_n > MAX_NODES:
        return 0
    if t.i_meter_time >= 0:
        nd = &t.tnodes[t.tels[t.el_of[t.i_meter_time]].node]
        if nd.tag == T_OCTETS and nd.length == 12 and t.kind[t.i_meter_time] == KIND_DATETIME:
            if _clock_c(oc, d + nd.pos, t.zone, t.policy, &mt) < 0:
                return 0
    if hdr >= 0 and _clock_c(oc, d + hdr, t.zone, t.policy, &ht) < 0:
        return 0
    code0 = _text_c(tc, 0, t, t.i_version, d)
    code1 = _text_c(tc, 1, t, t.i_meter_id, d)
    code2 = _text_c(tc, 2, t, t.i_meter_type, d)
    if code0 == -2 or code1 == -2 or code2 == -2:
        return 0
    dsc = t.dsc
    if t.per_type:   # the scalers after this meter type's overrides, if made already
        dsc = NULL
        for k in range(t.pt_n):
            if t.pt_code[k] == code2:
                dsc = t.pt_dsc[k]
                break
        if dsc == NULL:
            return 0
    for k in range(t.prog_n):
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
            tag = -1
        if tag >= 0:
            if sc < -22 or sc > 22:  # incl. SC_GENERIC
                return 0
            v = _pow10_scaled(<double>iv, sc)
        else:  # 64-bit, floats: TableWriter._put_node without its Python branch
            tmp = t.tnodes[t.prog_node[k]]
            _reload(d, &tmp)
            big = False
            if tmp.tag == T_F32 or tmp.tag == T_F64:
                v = tmp.fval
                iv = RAW_MISSING_Q
            elif tmp.is_unsigned:
                v = <double>tmp.uval
                big = tmp.uval > 9007199254740992ULL
                iv = <long long>tmp.uval if tmp.uval <= 9223372036854775807ULL else RAW_MISSING_Q
            else:
                iv = tmp.ival
                v = <double>iv
                big = iv > 9007199254740992LL or iv < -9007199254740992LL
            if big or sc < -22 or sc > 22:
                return 0
            v = _pow10_scaled(v, sc)
        vals[k] = v
        ivs[k] = iv
        scs[k] = <signed char>sc
    # nothing can fail from here on
    cols.pstatus[r] = 0
    cols.pheader[r] = ht
    cols.pmeter[r] = mt
    cols.pcat[0][r] = t.profile_code
    cols.pcat[1][r] = t.list_code
    cols.pcat[2][r] = code0
    cols.pcat[3][r] = code1
    cols.pcat[4][r] = code2
    for k in range(t.prog_n):
        c = t.prog_col[k]
        cols.pd[c][r] = _meter_nan(vals[k])   # a NaN the meter sent: canonical, never the missing marker
        cols.pq[c][r] = ivs[k]
        cols.pb[c][r] = scs[k]
    return 1


cdef inline int _push_idx(Py_ssize_t** arr, Py_ssize_t* n, Py_ssize_t* cap, Py_ssize_t v) noexcept nogil:
    cdef Py_ssize_t c
    cdef Py_ssize_t* p
    if n[0] == cap[0]:
        c = 256 if cap[0] < 256 else cap[0] * 2
        p = <Py_ssize_t*>realloc(arr[0], <size_t>c * sizeof(Py_ssize_t))
        if p == NULL:
            return -1
        arr[0] = p
        cap[0] = c
    arr[0][n[0]] = v
    n[0] += 1
    return 0
