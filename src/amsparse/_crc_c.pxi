# Included by _decode_c.pyx (one extension module): CRC: FCS-16 (the table lives in _crc16.h).
# See docs/internals.md for the layers.

# --------------------------------------------------------------------------- CRC

cdef extern from "_crc16.h" nogil:
    void ams_crc16_init() noexcept
    unsigned int _crc "ams_crc16"(const unsigned char* p, size_t n) noexcept


ams_crc16_init()


def fcs16(data, start=0, end=None):
    """CRC-16/X.25 (HDLC FCS): reflected polynomial 0x1021, init and xorout
    0xFFFF.  ``fcs16(b"123456789") == 0x906E``.  Frames carry it LSB first."""
    cdef bytes buf
    if end is None:
        end = len(data)
    if (type(data) is bytes and type(start) is int and start == 0 and type(end) is int
            and end == PyBytes_GET_SIZE(<bytes>data)):
        buf = <bytes>data
    else:
        buf = bytes(data[start:end])
    return _crc(<const unsigned char*>PyBytes_AS_STRING(buf), PyBytes_GET_SIZE(buf))
