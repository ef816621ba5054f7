# Included by _decode_c.pyx and _p1_c.pyx (each its own copy, compiled inline):
# the C shims that fill a slotted object's slots and take an object of atomic fields out of the GC.
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
    int ams_untrack_atomic_obj(object o, object fields) except -1
