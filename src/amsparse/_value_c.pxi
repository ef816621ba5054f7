# Included by _decode_c.pyx (one extension module): A-XDR value reader: the reference (tag, value)
# tree.
# See docs/internals.md for the layers.

cdef object _read_value(const unsigned char* d, Py_ssize_t* ppos, Py_ssize_t end, int depth):
    """One A-XDR value at ``ppos[0]`` -> ``(tag, value)``; advances ``ppos``."""
    cdef Py_ssize_t pos = ppos[0]
    cdef int tag
    cdef long long count, length, nbits, nbytes, i
    cdef list items
    cdef object item, value
    cdef unsigned long long u
    cdef unsigned int u32
    cdef float f32
    cdef double f64
    cdef unsigned char b
    _need(pos, 1, end, "A-XDR tag")
    tag = d[pos]
    pos += 1
    if tag == T_ARRAY or tag == T_STRUCT:
        if depth >= C_MAX_DEPTH:
            raise ApduError(f"A-XDR nesting deeper than {MAX_DEPTH}", pos - 1)
        _read_length(d, &pos, end, &count)
        if count > end - pos:  # every element takes at least one byte
            raise ApduError(f"{count} elements announced, only {end - pos} bytes left", pos)
        items = PyList_New(<Py_ssize_t>count)
        for i in range(count):
            item = _read_value(d, &pos, end, depth + 1)
            Py_INCREF(item)
            PyList_SET_ITEM(items, <Py_ssize_t>i, item)
        ppos[0] = pos
        return (tag, items)
    if tag == T_U8 or tag == T_ENUM:
        _need(pos, 1, end, "integer")
        ppos[0] = pos + 1
        return (tag, <long>d[pos])
    if tag == T_I8:
        _need(pos, 1, end, "integer")
        ppos[0] = pos + 1
        return (tag, <long>(<signed char>d[pos]))
    if tag == T_U16:
        _need(pos, 2, end, "integer")
        ppos[0] = pos + 2
        return (tag, <long>_be(d + pos, 2))
    if tag == T_I16:
        _need(pos, 2, end, "integer")
        ppos[0] = pos + 2
        return (tag, <long>(<short>(<unsigned short>_be(d + pos, 2))))
    if tag == T_U32:
        _need(pos, 4, end, "integer")
        ppos[0] = pos + 4
        return (tag, <unsigned long long>_be(d + pos, 4))
    if tag == T_I32:
        _need(pos, 4, end, "integer")
        ppos[0] = pos + 4
        return (tag, <long long>(<int>(<unsigned int>_be(d + pos, 4))))
    if tag == T_U64:
        _need(pos, 8, end, "integer")
        ppos[0] = pos + 8
        return (tag, <unsigned long long>_be(d + pos, 8))
    if tag == T_I64:
        _need(pos, 8, end, "integer")
        ppos[0] = pos + 8
        return (tag, <long long>_be(d + pos, 8))
    if tag == T_NULL:
        ppos[0] = pos
        return (tag, None)
    if tag == T_OCTETS or tag == T_VISIBLE or tag == T_UTF8:
        _read_length(d, &pos, end, &length)
        _need(pos, length, end, "string")
        value = PyBytes_FromStringAndSize(<const char*>(d + pos), <Py_ssize_t>length)
        if tag == T_VISIBLE:
            value = (<bytes>value).decode("latin-1")
        elif tag == T_UTF8:
            try:
                value = (<bytes>value).decode("utf-8")
            except UnicodeDecodeError:
                raise ApduError("utf8-string is not valid UTF-8", pos) from None
        ppos[0] = pos + <Py_ssize_t>length
        return (tag, value)
    if tag == T_BOOL:
        _need(pos, 1, end, "boolean")
        ppos[0] = pos + 1
        return (tag, d[pos] != 0)
    if tag == T_BITS:
        _read_length(d, &pos, end, &nbits)
        nbytes = (nbits + 7) // 8
        _need(pos, nbytes, end, "bit-string")
        value = _bits_text(d + pos, nbits)
        ppos[0] = pos + <Py_ssize_t>nbytes
        return (tag, value)
    if tag == T_BCD:
        _need(pos, 1, end, "bcd")
        b = d[pos]
        if (b >> 4) > 9 or (b & 0x0F) > 9:
            raise ApduError(f"bcd byte 0x{b:02X} is not two decimal digits", pos)
        ppos[0] = pos + 1
        return (tag, <long>((b >> 4) * 10 + (b & 0x0F)))
    if tag == T_F32:
        _need(pos, 4, end, "float")
        u32 = <unsigned int>_be(d + pos, 4)
        memcpy(&f32, &u32, 4)
        ppos[0] = pos + 4
        return (tag, <double>f32)
    if tag == T_F64:
        _need(pos, 8, end, "float")
        u = _be(d + pos, 8)
        memcpy(&f64, &u, 8)
        ppos[0] = pos + 8
        return (tag, f64)
    if tag == T_DATETIME:
        _need(pos, 12, end, "date-time")
        ppos[0] = pos + 12
        return (tag, parse_datetime(PyBytes_FromStringAndSize(<const char*>(d + pos), 12)))
    if tag == T_DATE:
        _need(pos, 5, end, "date")
        ppos[0] = pos + 5
        return (tag, parse_date(PyBytes_FromStringAndSize(<const char*>(d + pos), 5)))
    if tag == T_TIME:
        _need(pos, 4, end, "time")
        ppos[0] = pos + 4
        return (tag, parse_time(PyBytes_FromStringAndSize(<const char*>(d + pos), 4)))
    raise ApduError(f"unknown or unsupported A-XDR tag 0x{tag:02X}", pos - 1)
