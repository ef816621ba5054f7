# Included by _decode_c.pyx (one extension module): frame templates: byte-equal frames skip the walk.
# See docs/internals.md for the layers.

# --------------------------------------------------------------------------- templates
#
# A frame equal to an earlier one of its shape except at the variable
# positions (invoke id, clocks, values, FCS) skips the walk.  See
# docs/internals.md "Templates".

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


include "_cache_c.pxi"


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
