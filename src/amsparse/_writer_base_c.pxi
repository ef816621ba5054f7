# Included by _decode_c.pyx (one extension module): batch writer support: imports, constants, _Entry
# and C helpers.
# See docs/internals.md for the layers.

# --------------------------------------------------------------------------- batch
#
# TableWriter: the columnar writer behind amsparse.decode_batch.  See
# docs/internals.md "The batch writer".

from cpython cimport array as carray
from cpython.float cimport PyFloat_AsDouble
import array as _pyarray
from ._clock import epoch_us as _epoch_us
from ._errors import error_code as _error_code
from ._errors import as_decode_error as _as_decode_error
from ._scan_c cimport scan_core

cdef enum:
    ENTRY_SLOTS = 512      # writer-local plan entries (open addressing, power of two)
    SC_GENERIC = -32768    # default scaler that is not a small int: use _scale()
    SC_FROM_PLAN = -32767  # store program: the scaler is the plan's (after overrides)
    TEXT_KEEP = 64         # longest text whose raw bytes are remembered
    TEXT_SETS = 64         # remembered texts per key: sets (power of two) ...
    TEXT_WAYS = 4          # ... of this many
    ENTRY_TEMPLATES = 16   # templates kept per shape

cdef Py_ssize_t RESERVE_BYTES = 64 << 20   # most reserve() sets aside ahead of the rows
from ._spec import MAX_COLUMNS as _MAX_COLUMNS
from ._spec import MISSING as _MISSING
cdef double _MISSING_D = _MISSING   # "no reading": a NaN with its own payload (FrameTable nulls)


cdef class _Entry:
    """A plan as the writer uses it, per output element: node, column, kind
    and default scaler as C arrays."""
    cdef _Plan plan
    cdef bytes sig
    cdef long src
    cdef int nout
    cdef int* el_of      # output element -> index into els
    cdef int* col        # column number, -1 when not a numeric column
    cdef int* dsc        # default scaler (SC_GENERIC: not a small int)
    cdef signed char* kind
    cdef int profile_code, list_code, policy
    cdef dict per_type   # meter-type code -> (list of scalers, array('i'))
    cdef list tpls       # the writer's templates of this shape (None until the first)

    def __cinit__(self):
        self.el_of = self.col = self.dsc = NULL
        self.kind = NULL

    def __dealloc__(self):
        free(self.el_of)
        free(self.col)
        free(self.dsc)
        free(self.kind)


cdef inline int _small_scaler(object s) noexcept:
    if type(s) is int and -1000 < <long long>s < 1000:
        return <int>s
    return SC_GENERIC


cdef object _column_budget_error(int max_columns, int ncols, Py_ssize_t new):
    return DecodeError(
        f"frame would add {new} reading column(s) to the {ncols} the table has, "
        f"beyond max_columns={max_columns}", None)


cdef inline double _meter_nan(double v) noexcept nogil:
    """A NaN the meter sent, as the canonical NaN (never the missing marker)."""
    return NAN if v != v else v


cdef inline double _pow10_scaled(double v, int sc) noexcept nogil:
    """v * 10**sc for |sc| <= 22 with v an integer below 2**53 (or a float): 10**k
    is exact as a double, so this is one correctly rounded operation, as
    float(int * 10**k) and int / 10**k are in Python."""
    if sc > 0:
        return v * _POW10D[sc]
    if sc < 0:
        return v / _POW10D[-sc]
    return v


cdef int _writer_sink(void* ctx, int kind, Py_ssize_t start, Py_ssize_t stop, int aux) except -1:
    return (<TableWriter>ctx)._item(kind, start, stop)


cdef void* _grow(void* p, size_t size) except NULL:
    cdef void* q = realloc(p, size)
    if q == NULL:
        raise MemoryError()
    return q
