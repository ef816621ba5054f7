# Included by _decode_c.pyx (one extension module): cursor: bounds checks, A-XDR lengths and the big-
# endian reads.
# See docs/internals.md for the layers.

# --------------------------------------------------------------------------- A-XDR

cdef int _need(Py_ssize_t pos, long long size, Py_ssize_t end, str what) except -1:
    cdef long long left
    if <long long>pos + size > <long long>end:
        left = <long long>end - <long long>pos
        if left < 0:
            left = 0
        raise ApduError(f"{what} needs {size} bytes, {left} left", pos)
    return 0


cdef int _read_length(const unsigned char* d, Py_ssize_t* ppos, Py_ssize_t end,
                      long long* out) except -1:
    cdef Py_ssize_t pos = ppos[0]
    cdef unsigned char b
    cdef int n, k
    cdef unsigned long long v
    _need(pos, 1, end, "length")
    b = d[pos]
    if b < 0x80:
        out[0] = b
        ppos[0] = pos + 1
        return 0
    n = b & 0x7F
    if n == 0 or n > 4:
        raise ApduError(f"bad A-XDR length prefix 0x{b:02X}", pos)
    _need(pos + 1, n, end, "length")
    v = 0
    for k in range(n):
        v = (v << 8) | d[pos + 1 + k]
    out[0] = <long long>v
    ppos[0] = pos + 1 + n
    return 0


cdef inline unsigned long long _be(const unsigned char* p, int width) noexcept nogil:
    cdef unsigned long long v = 0
    cdef int k
    for k in range(width):
        v = (v << 8) | p[k]
    return v


cdef object _bits_text(const unsigned char* p, long long nbits):
    cdef bytes out = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>nbits)
    cdef char* q = PyBytes_AS_STRING(out)
    cdef long long i
    for i in range(nbits):
        q[i] = b'1' if (p[i >> 3] >> (7 - (i & 7))) & 1 else b'0'
    return out.decode("ascii")
