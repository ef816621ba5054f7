# Included by _decode_c.pyx (one extension module): C shims: the inline C helpers (slot setters, GC untracking, free-threading locks).
# See docs/internals.md for the layers.

cdef extern from *:
    """
    static PyObject *ams_alloc(PyObject *t)
    {
        return ((PyTypeObject *)t)->tp_alloc((PyTypeObject *)t, 0);
    }
    static int ams_set_slot(PyObject *descr, PyObject *obj, PyObject *v)
    {
        descrsetfunc f = Py_TYPE(descr)->tp_descr_set;
        if (f == NULL) {
            PyErr_SetString(PyExc_TypeError, "not a data descriptor");
            return -1;
        }
        return f(descr, obj, v);
    }
    /* Global caches shared by all threads (the object path's frame templates,
       the clock offsets per hour).  With the GIL the core never releases it
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
    static int ams_untrack_atomic_obj(PyObject *o, PyObject *fields)
    {
        /* o holds exactly the items of the tuple `fields`: untrack o when none
           of them can be reached by the cyclic GC */
        Py_ssize_t i, n = PyTuple_GET_SIZE(fields);
        for (i = 0; i < n; i++) {
            PyObject *v = PyTuple_GET_ITEM(fields, i);
            if (v != NULL && PyObject_IS_GC(v) && PyObject_GC_IsTracked(v))
                return 0;
        }
        if (PyObject_GC_IsTracked(o))
            PyObject_GC_UnTrack(o);
        return 0;
    }
    """
    object ams_alloc(object t)
    int ams_set_slot(PyObject* descr, object obj, object v) except -1
    object ams_untrack_atomic(object t)
    int ams_untrack_atomic_obj(object o, object fields) except -1
    void ams_lock_templates() nogil
    void ams_unlock_templates() nogil
    void ams_lock_offsets() nogil
    void ams_unlock_offsets() nogil
    void PyObject_GC_UnTrack(object o)
