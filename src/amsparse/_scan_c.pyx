# cython: language_level=3
"""Compiled twin of :mod:`amsparse._scan_py` (see there for the contract).

One call per ``StreamDecoder.feed``: hunts for 0x7E with ``memchr``, checks
format, length, addresses, HCS and FCS in C, and returns the list of
``(kind, start, stop, aux)`` items plus ``(resume, shared, need)``.
"""

from libc.stdint cimport uint16_t
from libc.stdlib cimport free, realloc
from libc.string cimport memchr, memmove

cdef enum:
    _NOTCAND = -1
    _WAIT_HEADER = -2
    _WAIT_BODY = -3

DISCARD = 0
FRAME = 1
REJECT = 2

cdef extern from "_crc16.h" nogil:
    void ams_crc16_init() noexcept
    unsigned int _fcs "ams_crc16"(const unsigned char* p, size_t n) noexcept
    unsigned int _crc_update "ams_crc16_update"(unsigned int crc, const unsigned char* p, size_t n) noexcept
    uint16_t _crc_t0 "ams_crc16_t[0]"[256]


ams_crc16_init()

# Bounded FCS cost (see _scan_py's module doc): the CRC register is stored at
# every BLOCK-th byte of the window (lazily, once) and two stored registers are
# combined with the linear map of m * BLOCK zero bytes, tabulated below for every
# m a frame can need (an FCS spans at most 2046 bytes).
DEF BLOCK = 64
DEF MAXM = 34
cdef uint16_t _shift_lo[MAXM][256]
cdef uint16_t _shift_hi[MAXM][256]
cdef unsigned long long _fcs_bytes = 0  # debug counter: bytes run through the CRC by FCS checks


cdef void _init_shift() noexcept:
    cdef int m, k, v, low
    cdef unsigned int reg
    cdef uint16_t cols[16]
    for m in range(MAXM):
        for k in range(16):
            reg = 1u << k
            for v in range(m * BLOCK):  # no-cython-lint
                reg = (reg >> 8) ^ _crc_t0[reg & 0xFF]
            cols[k] = <uint16_t>reg
        _shift_lo[m][0] = 0
        _shift_hi[m][0] = 0
        for v in range(1, 256):
            low = 0
            while not (v >> low) & 1:
                low += 1
            _shift_lo[m][v] = _shift_lo[m][v & (v - 1)] ^ cols[low]
            _shift_hi[m][v] = _shift_hi[m][v & (v - 1)] ^ cols[8 + low]


_init_shift()


def fcs_bytes():
    """Bytes run through the CRC by the scanner's FCS checks since import (a
    debug counter for the tests' structural bound)."""
    return _fcs_bytes


cdef struct Prefix:
    const unsigned char* b
    Py_ssize_t base
    Py_ssize_t cap      # entries regs has room for
    Py_ssize_t n        # entries built
    uint16_t* regs      # regs[k]: register after b[base : base + k * BLOCK]
    bint on             # off until an FCS fails (see _scan_py.PrefixFcs)


cdef int _prefix_fcs(Prefix* pf, Py_ssize_t a, Py_ssize_t c, unsigned int* out) noexcept nogil:
    """FCS of b[a:c]: at most 3 * BLOCK bytes of CRC (for a >= base - BLOCK)
    after the one-off pass that stores the registers; -1 when out of memory
    (the caller computes it directly)."""
    global _fcs_bytes
    cdef Py_ssize_t ka, kc, qa, qc, p, cap
    cdef unsigned int reg, x
    cdef uint16_t* regs
    if not pf.on or c - a < 3 * BLOCK or c - a >= (MAXM - 1) * BLOCK or a < pf.base - BLOCK:
        _fcs_bytes += c - a
        out[0] = _fcs(pf.b + a, <size_t>(c - a))
        return 0
    ka = (a - pf.base + BLOCK - 1) // BLOCK if a > pf.base else 0
    kc = (c - pf.base) // BLOCK
    if kc >= pf.cap:
        cap = 2 * pf.cap
        if cap <= kc:
            cap = kc + 1
        regs = <uint16_t*>realloc(pf.regs, <size_t>cap * sizeof(uint16_t))
        if regs == NULL:
            return -1
        pf.regs = regs
        pf.cap = cap
    if pf.n == 0:
        pf.regs[0] = 0xFFFF
        pf.n = 1
    while pf.n <= kc:
        p = pf.base + (pf.n - 1) * BLOCK
        pf.regs[pf.n] = <uint16_t>_crc_update(pf.regs[pf.n - 1], pf.b + p, BLOCK)
        pf.n += 1
        _fcs_bytes += BLOCK
    qa = pf.base + ka * BLOCK
    qc = pf.base + kc * BLOCK
    _fcs_bytes += (qa - a) + (c - qc)
    reg = _crc_update(0xFFFF, pf.b + a, <size_t>(qa - a))
    # the register after b[a:qc] is regs[kc] ^ Z^(qc-qa)(reg ^ regs[ka])
    x = reg ^ pf.regs[ka]
    reg = pf.regs[kc] ^ _shift_lo[kc - ka][x & 0xFF] ^ _shift_hi[kc - ka][x >> 8]
    out[0] = _crc_update(reg, pf.b + qc, <size_t>(c - qc)) ^ 0xFFFF
    return 0


cdef class PrefixState:
    """The stored CRC registers kept across :func:`scan` calls on one buffer
    that only grows at its end and loses its front (``StreamDecoder``'s):
    each byte goes through the CRC once for them, not once per call.  Twin of
    ``_scan_py.PrefixFcs``."""

    cdef Prefix p

    def __cinit__(self):
        self.p.b = NULL
        self.p.base = 0
        self.p.cap = 0
        self.p.n = 0
        self.p.regs = NULL
        self.p.on = False

    def __dealloc__(self):
        free(self.p.regs)

    @property
    def base(self):
        return self.p.base

    @property
    def on(self):
        """Whether registers are stored (set by the first failed FCS)."""
        return self.p.on

    @on.setter
    def on(self, bint value):
        self.p.on = value

    def crc(self, const unsigned char[::1] buf, Py_ssize_t a, Py_ssize_t c):
        """``fcs16(buf, a, c)`` from the stored registers."""
        cdef unsigned int out
        if a < 0 or c > buf.shape[0] or a > c:
            raise IndexError("range outside the buffer")
        if a == c:
            return 0  # the FCS of no bytes
        self.p.b = &buf[0]
        if _prefix_fcs(&self.p, a, c, &out) < 0:
            out = _fcs(&buf[a], <size_t>(c - a))
        self.p.b = NULL
        return out

    def drop(self, Py_ssize_t n):
        """The first ``n`` bytes of the buffer were deleted."""
        cdef Py_ssize_t k
        if n <= 0:
            return
        k = (n - self.p.base + BLOCK - 1) // BLOCK if n > self.p.base else 0
        if k >= self.p.n:  # nothing stored is left: off again until an FCS fails
            self.p.n = 0
            self.p.base = 0
            self.p.on = False
        else:
            memmove(self.p.regs, self.p.regs + k, <size_t>(self.p.n - k) * sizeof(uint16_t))
            self.p.n -= k
            self.p.base = self.p.base + k * BLOCK - n


cdef inline Py_ssize_t _find_flag(const unsigned char* b, Py_ssize_t i, Py_ssize_t end) noexcept nogil:
    if i >= end:
        return -1
    cdef const void* r = memchr(b + i, 0x7E, <size_t>(end - i))
    if r == NULL:
        return -1
    return <const unsigned char*>r - b


cdef int _check(const unsigned char* b, Py_ssize_t i, Py_ssize_t end, Py_ssize_t maxfs,
                Py_ssize_t* total_out, Py_ssize_t* need_out, Prefix* pf) noexcept nogil:
    cdef Py_ssize_t avail = end - i
    cdef Py_ssize_t length, total, fcs_pos, p, n
    cdef int a
    cdef unsigned char f, c
    cdef unsigned int fcs
    total_out[0] = 0
    need_out[0] = 0
    if avail < 3:
        need_out[0] = 3
        return _WAIT_HEADER
    f = b[i + 1]
    if (f & 0xF0) != 0xA0:
        return _NOTCAND
    length = ((f & 0x07) << 8) | b[i + 2]
    total = length + 2
    if length < 7 or total > maxfs:
        return _NOTCAND
    total_out[0] = total
    fcs_pos = total - 3
    p = 3
    for a in range(2):  # no-cython-lint
        n = 0
        while True:
            if p >= fcs_pos:
                return _NOTCAND
            if p >= avail:
                need_out[0] = p + 1
                return _WAIT_HEADER
            c = b[i + p]
            p += 1
            n += 1
            if c & 1:
                if n == 3:
                    return _NOTCAND
                break
            if n == 4:
                return _NOTCAND
    if p >= fcs_pos:
        return _NOTCAND
    p += 1
    if p + 2 > fcs_pos:
        return _NOTCAND
    if avail < p + 2:
        need_out[0] = p + 2
        return _WAIT_HEADER
    if _fcs(b + i + 1, p - 1) != <unsigned int>(b[i + p] | (b[i + p + 1] << 8)):
        return _NOTCAND
    if avail < total:
        need_out[0] = total
        return _WAIT_BODY
    if b[i + total - 1] != 0x7E:
        return 2  # REJECT
    if _prefix_fcs(pf, i + 1, i + fcs_pos, &fcs) < 0:
        fcs = _fcs(b + i + 1, fcs_pos - 1)
    if fcs != <unsigned int>(b[i + fcs_pos] | (b[i + fcs_pos + 1] << 8)):
        pf.on = True  # a failed FCS leaves bytes to look at again: store registers from now on
        return 2
    if p + 2 == fcs_pos:
        return 2
    return 1  # FRAME


cdef int scan_core(const unsigned char* b, Py_ssize_t start, Py_ssize_t end,
                   Py_ssize_t max_frame_size, bint shared, bint final,
                   scan_sink sink, void* ctx,
                   Py_ssize_t* resume, bint* shared_out, Py_ssize_t* need) except -1:
    """The scan loop: every item goes to ``sink(ctx, kind, start, stop, aux)``
    in order; ``resume``, ``shared_out`` and ``need`` get what :func:`scan`
    returns beside the items.  The stored CRC registers live for this call."""
    cdef Prefix pf
    pf.base = start
    pf.cap = 0
    pf.n = 0
    pf.regs = NULL
    pf.on = False
    try:
        return _scan_impl(b, start, end, max_frame_size, shared, final, sink, ctx,
                          resume, shared_out, need, &pf)
    finally:
        free(pf.regs)


cdef int _scan_impl(const unsigned char* b, Py_ssize_t start, Py_ssize_t end,
                    Py_ssize_t max_frame_size, bint shared, bint final,
                    scan_sink sink, void* ctx,
                    Py_ssize_t* resume, bint* shared_out, Py_ssize_t* need, Prefix* pf) except -1:
    cdef Py_ssize_t i = start
    cdef Py_ssize_t shared_pos = start if shared else -1
    cdef Py_ssize_t disc = -1
    cdef Py_ssize_t j, stop, total, nd
    cdef int status
    if end == start:
        resume[0] = end
        shared_out[0] = shared
        need[0] = 1
        return 0
    pf.b = b
    try:
        while i < end:
            if b[i] != 0x7E:
                j = _find_flag(b, i, end)
                if j < 0:
                    j = end
                if disc < 0:
                    disc = i
                i = j
                continue
            status = _check(b, i, end, max_frame_size, &total, &nd, pf)
            if status == _WAIT_HEADER or status == _WAIT_BODY:
                if not final:
                    if disc >= 0:
                        sink(ctx, 0, disc, i, 0)
                    resume[0] = i
                    shared_out[0] = i == shared_pos
                    need[0] = nd
                    return 0
                status = _NOTCAND if status == _WAIT_HEADER else 2
            if status == _NOTCAND:
                if i != shared_pos and disc < 0:
                    disc = i
                i += 1
                continue
            if disc >= 0:
                sink(ctx, 0, disc, i, 0)
                disc = -1
            if status == 1:
                sink(ctx, 1, i, i + total, 1 if i == shared_pos else 0)
                i = i + total - 1
                shared_pos = i
                continue
            stop = i + total
            if stop > end:
                stop = end
            j = _find_flag(b, i + 1, stop)
            if j < 0:
                j = stop
            sink(ctx, 2, i, j, 1 if i == shared_pos else 0)
            i = j
        if disc >= 0:
            sink(ctx, 0, disc, end, 0)
        resume[0] = end
        shared_out[0] = False
        need[0] = 1
        return 0
    finally:
        pf.b = NULL


cdef int _to_list(void* ctx, int kind, Py_ssize_t start, Py_ssize_t stop, int aux) except -1:
    (<list>ctx).append((kind, start, stop, aux))
    return 0


def scan(const unsigned char[::1] buf, Py_ssize_t start, Py_ssize_t end,
         Py_ssize_t max_frame_size, bint shared, bint final, PrefixState prefix=None):
    """Find frames in ``buf[start:end]`` -> ``(items, resume, shared, need)``.
    ``prefix``: stored CRC registers kept by the caller across calls (see
    :class:`PrefixState`); without it they live for this call."""
    cdef list out = []
    cdef Py_ssize_t resume, need
    cdef bint shared_out
    if end > buf.shape[0] or start < 0 or start > end:
        raise IndexError("scan range outside the buffer")
    if end == start:
        return out, end, shared, 1
    if prefix is None:
        scan_core(&buf[0], start, end, max_frame_size, shared, final, _to_list, <void*>out,
                  &resume, &shared_out, &need)
    else:
        _scan_impl(&buf[0], start, end, max_frame_size, shared, final, _to_list, <void*>out,
                   &resume, &shared_out, &need, &prefix.p)
    return out, resume, shared_out, need


# --------------------------------------------------------------------------- items into a C array
cdef inline int _push(ItemBuf* out, int kind, Py_ssize_t start, Py_ssize_t stop, int aux) noexcept nogil:
    cdef Py_ssize_t cap
    cdef ScanItem* p
    if out.n == out.cap:
        cap = 1024 if out.cap < 1024 else out.cap * 2
        p = <ScanItem*>realloc(out.items, <size_t>cap * sizeof(ScanItem))
        if p == NULL:
            return -1
        out.items = p
        out.cap = cap
    out.items[out.n].kind = kind
    out.items[out.n].start = start
    out.items[out.n].stop = stop
    out.items[out.n].aux = aux
    out.n += 1
    return 0


cdef int scan_items(const unsigned char* b, Py_ssize_t start, Py_ssize_t end,
                    Py_ssize_t max_frame_size, bint shared, bint final, ItemBuf* out,
                    Py_ssize_t* resume, bint* shared_out) noexcept nogil:
    """:func:`scan_core` without the GIL: the items are appended to ``out``
    (the caller frees ``out.items``); the same loop, item for item.  -1 when
    out of memory."""
    cdef Prefix pf
    cdef Py_ssize_t i = start
    cdef Py_ssize_t shared_pos = start if shared else -1
    cdef Py_ssize_t disc = -1
    cdef Py_ssize_t j, stop, total, nd
    cdef int status, rc = 0
    resume[0] = end
    shared_out[0] = shared if end == start else False
    if end == start:
        return 0
    pf.base = start
    pf.cap = 0
    pf.n = 0
    pf.regs = NULL
    pf.on = False
    pf.b = b
    while i < end:
        if b[i] != 0x7E:
            j = _find_flag(b, i, end)
            if j < 0:
                j = end
            if disc < 0:
                disc = i
            i = j
            continue
        status = _check(b, i, end, max_frame_size, &total, &nd, &pf)
        if status == _WAIT_HEADER or status == _WAIT_BODY:
            if not final:
                if disc >= 0:
                    rc |= _push(out, 0, disc, i, 0)
                resume[0] = i
                shared_out[0] = i == shared_pos
                free(pf.regs)
                return -1 if rc else 0
            status = _NOTCAND if status == _WAIT_HEADER else 2
        if status == _NOTCAND:
            if i != shared_pos and disc < 0:
                disc = i
            i += 1
            continue
        if disc >= 0:
            rc |= _push(out, 0, disc, i, 0)
            disc = -1
        if status == 1:
            rc |= _push(out, 1, i, i + total, 1 if i == shared_pos else 0)
            i = i + total - 1
            shared_pos = i
            continue
        stop = i + total
        if stop > end:
            stop = end
        j = _find_flag(b, i + 1, stop)
        if j < 0:
            j = stop
        rc |= _push(out, 2, i, j, 1 if i == shared_pos else 0)
        i = j
    if disc >= 0:
        rc |= _push(out, 0, disc, end, 0)
    free(pf.regs)
    return -1 if rc else 0
