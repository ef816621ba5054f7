# C-level interface of the stream scanner, cimported by the compiled core
# (amsparse._decode_c.TableWriter) so decode_batch scans and decodes in one pass
# without a Python tuple per frame.  See _scan_c.pyx.

# one item of the scan: kind 0 discarded bytes, 1 frame, 2 rejected candidate;
# aux: 1 when the item's opening flag is the previous frame's closing flag
ctypedef int (*scan_sink)(void* ctx, int kind, Py_ssize_t start, Py_ssize_t stop, int aux) except -1

cdef int scan_core(const unsigned char* b, Py_ssize_t start, Py_ssize_t end,
                   Py_ssize_t max_frame_size, bint shared, bint final,
                   scan_sink sink, void* ctx,
                   Py_ssize_t* resume, bint* shared_out, Py_ssize_t* need) except -1

# the same scan into a C array, without the GIL (decode_batch(threads=N) scans
# ranges of one capture on several threads at once)
cdef struct ScanItem:
    Py_ssize_t start
    Py_ssize_t stop
    int kind
    int aux

cdef struct ItemBuf:
    ScanItem* items
    Py_ssize_t n
    Py_ssize_t cap

cdef int scan_items(const unsigned char* b, Py_ssize_t start, Py_ssize_t end,
                    Py_ssize_t max_frame_size, bint shared, bint final, ItemBuf* out,
                    Py_ssize_t* resume, bint* shared_out) noexcept nogil
