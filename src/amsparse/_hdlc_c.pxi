# Included by _decode_c.pyx (one extension module): HDLC: frame header, addresses, LLC and data-
# notification header.
# See docs/internals.md for the layers.

# --------------------------------------------------------------------------- HDLC

cdef struct Hdlc:
    unsigned long dest
    unsigned long src
    unsigned int control
    bint segmented
    Py_ssize_t info_start
    Py_ssize_t info_end


cdef int _read_address(const unsigned char* d, Py_ssize_t pos, Py_ssize_t limit, str what,
                       unsigned long* value_out, Py_ssize_t* pos_out) except -1:
    cdef unsigned long value = 0
    cdef int n
    cdef unsigned char b
    for n in range(4):
        if pos + n >= limit:
            raise FrameError(f"HDLC header ends inside the {what} address", pos + n)
        b = d[pos + n]
        value = (value << 8) | b
        if b & 1:
            if n == 2:
                raise FrameError(f"{what} address is 3 bytes long (1, 2 or 4 allowed)", pos)
            value_out[0] = value
            pos_out[0] = pos + n + 1
            return 0
    raise FrameError(f"{what} address longer than 4 bytes", pos)


cdef int _parse_hdlc(const unsigned char* d, Py_ssize_t n, Hdlc* out, bint check=True) except -1:
    """The HDLC type-3 header of a whole frame into ``out``, or the reference
    exception.  ``check`` false skips the HCS and FCS (the batch writer, for
    frames the stream scanner has already checked them on)."""
    cdef Py_ssize_t length, total, fcs_pos, pos, info_start
    cdef unsigned int hcs_calc, hcs_found, fcs_calc, fcs_found
    if n < 1:
        raise IncompleteFrameError("empty input", 9, 0)
    if d[0] != 0x7E:
        raise FrameError(f"frame does not start with the 0x7E flag (found 0x{d[0]:02X})", 0)
    if n < 3:
        raise IncompleteFrameError("input ends inside the HDLC format field", 3 - n, n)
    if d[1] & 0xF0 != 0xA0:
        raise FrameError(
            f"not an HDLC type-3 frame (format type 0x{d[1] >> 4:X}, expected 0xA)", 1
        )
    out.segmented = (d[1] & 0x08) != 0
    length = ((d[1] & 0x07) << 8) | d[2]
    total = length + 2
    if length < 7:
        raise FrameError(f"HDLC length {length} is too short for a frame", 1)
    if n < total:
        raise IncompleteFrameError(
            f"frame is {total} bytes by its length field, only {n} given", total - n, n
        )
    if n > total:
        raise FrameError(f"{n - total} bytes after the end of the frame", total)
    if d[total - 1] != 0x7E:
        raise FrameError(
            f"frame does not end with the 0x7E flag (found 0x{d[total - 1]:02X})", total - 1
        )
    fcs_pos = total - 3
    _read_address(d, 3, fcs_pos, "destination", &out.dest, &pos)
    _read_address(d, pos, fcs_pos, "source", &out.src, &pos)
    if pos >= fcs_pos:
        raise FrameError("HDLC header ends before the control field", pos)
    out.control = d[pos]
    pos += 1
    if pos == fcs_pos:
        raise FrameError("frame has no information field", pos)
    if pos + 2 > fcs_pos:
        raise FrameError("frame too short for a header check sequence", pos)
    if check:
        hcs_calc = _crc(d + 1, pos - 1)
        hcs_found = d[pos] | (<unsigned int>d[pos + 1] << 8)
        if hcs_calc != hcs_found:
            raise ChecksumError("HCS", hcs_calc, hcs_found, pos)
    info_start = pos + 2
    if check:
        fcs_calc = _crc(d + 1, fcs_pos - 1)
        fcs_found = d[fcs_pos] | (<unsigned int>d[fcs_pos + 1] << 8)
        if fcs_calc != fcs_found:
            raise ChecksumError("FCS", fcs_calc, fcs_found, fcs_pos)
    if info_start == fcs_pos:
        raise FrameError("frame has no information field", info_start)
    out.info_start = info_start
    out.info_end = fcs_pos
    return 0


cdef Py_ssize_t _body_start(const unsigned char* d, Py_ssize_t info_start, Py_ssize_t info_end,
                            Py_ssize_t* hdr) noexcept nogil:
    """Where the data-notification body of an information field starts (LLC,
    tag 0x0F, invoke id and a date-time field of one of the three forms all
    present), ``hdr`` set to the header clock's offset (-1: none); -1 for
    anything else, which _decode_info then parses or rejects."""
    cdef Py_ssize_t pos = info_start + 8
    hdr[0] = -1
    if (info_end - info_start < 9 or d[info_start] != 0xE6 or d[info_start + 1] != 0xE7
            or d[info_start + 2] != 0x00 or d[info_start + 3] != 0x0F):
        return -1
    if d[pos] == 0x00:
        return pos + 1
    if d[pos] == 0x0C and pos + 13 <= info_end:
        hdr[0] = pos + 1
        return pos + 13
    if d[pos] == 0x09 and pos + 14 <= info_end and d[pos + 1] == 0x0C:
        hdr[0] = pos + 2
        return pos + 14
    return -1


cdef inline bytes _as_bytes(object data):
    if type(data) is bytes:
        return <bytes>data
    return bytes(data)


def parse_hdlc(data):
    """Check one flag-delimited HDLC type-3 frame.

    Returns ``(destination, source, control, segmented, info_start, info_end)``
    where ``data[info_start:info_end]`` is the information field.  No byte
    stuffing is undone: 0x7E/0x7D inside the frame are data.
    """
    cdef bytes buf
    cdef Hdlc h
    if not isinstance(data, (bytes, bytearray, memoryview)):
        len(data)  # the twin indexes any sequence: no length -> TypeError, as there
    buf = _as_bytes(data)
    _parse_hdlc(<const unsigned char*>PyBytes_AS_STRING(buf), PyBytes_GET_SIZE(buf), &h)
    return h.dest, h.src, h.control, bool(h.segmented), h.info_start, h.info_end
