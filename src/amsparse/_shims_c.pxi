# Included by _decode_c.pyx (one extension module): C shims: the free-threading locks and tuple
# untracking (the slot setters are in _slots_c.pxi, shared with _p1_c.pyx).
# See docs/internals.md for the layers.

cdef extern from *:
    """
    /* Caches threads may share (a decoder's frame templates, the process-wide
       clock offsets per hour).  With the GIL the core never releases it
       while one of them is half updated, so these are no-ops; free-threaded
       builds take a PyMutex around each lookup and each store (never around a
       call into Python). */
    #ifdef Py_GIL_DISABLED
    static PyMutex ams_templates_mutex = {0};
    static PyMutex ams_offsets_mutex = {0};
    #define ams_lock_templates() PyMutex_Lock(&ams_templates_mutex)
    #define ams_unlock_templates() PyMutex_Unlock(&ams_templates_mutex)
    #define ams_lock_offsets() PyMutex_Lock(&ams_offsets_mutex)
    #define ams_unlock_offsets() PyMutex_Unlock(&ams_offsets_mutex)
    #else
    #define ams_lock_templates() ((void)0)
    #define ams_unlock_templates() ((void)0)
    #define ams_lock_offsets() ((void)0)
    #define ams_unlock_offsets() ((void)0)
    #endif
    static PyObject *ams_untrack_atomic(PyObject *t)
    {
        /* CPython's own rule for tuples (_PyTuple_MaybeUntrack), applied now:
           no item the cyclic GC could reach through -> stop tracking */
        Py_ssize_t i, n = PyTuple_GET_SIZE(t);
        for (i = 0; i < n; i++) {
            PyObject *o = PyTuple_GET_ITEM(t, i);
            if (o != NULL && PyObject_IS_GC(o) && PyObject_GC_IsTracked(o))
                return Py_NewRef(t);
        }
        if (PyObject_GC_IsTracked(t))
            PyObject_GC_UnTrack(t);
        return Py_NewRef(t);
    }
    """
    object ams_untrack_atomic(object t)
    void ams_lock_templates() nogil
    void ams_unlock_templates() nogil
    void ams_lock_offsets() nogil
    void ams_unlock_offsets() nogil
    void PyObject_GC_UnTrack(object o)
