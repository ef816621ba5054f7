# GENERATED from src/amsparse/_spec.py by tools/gen_spec_pxi.py -- DO NOT EDIT.
# Included by _decode_c.pyx: the shared spec table as C constants.


cdef enum:
    C_MAX_DEPTH = 16
    VERSION_CDE = (0 << 16) | (2 << 8) | 129  # x-x:0.2.129.x

# A-XDR tags
cdef enum:
    T_NULL = 0x00
    T_ARRAY = 0x01
    T_STRUCT = 0x02
    T_BOOL = 0x03
    T_BITS = 0x04
    T_I32 = 0x05
    T_U32 = 0x06
    T_OCTETS = 0x09
    T_VISIBLE = 0x0A
    T_UTF8 = 0x0C
    T_BCD = 0x0D
    T_I8 = 0x0F
    T_I16 = 0x10
    T_U8 = 0x11
    T_U16 = 0x12
    T_I64 = 0x14
    T_U64 = 0x15
    T_ENUM = 0x16
    T_F32 = 0x17
    T_F64 = 0x18
    T_DATETIME = 0x19
    T_DATE = 0x1A
    T_TIME = 0x1B

cdef enum:
    KIND_NUMBER = 0
    KIND_STRING = 1
    KIND_DATETIME = 2
    KIND_BYTES = 3
    LAYOUT_OBIS = 0
    LAYOUT_POSITIONAL = 1
    LAYOUT_PUSHLIST = 2
    CLOCK_DEVIATION = 0
    CLOCK_LOCAL = 1
    CLOCK_STANDARD = 2

# xDLMS APDU tags
cdef enum:
    APDU_DATA_NOTIFICATION = 0x0F
    APDU_EXCEPTION_RESPONSE = 0xD8
    APDU_GENERAL_GLO_CIPHERING = 0xDB
    APDU_GENERAL_DED_CIPHERING = 0xDC
    APDU_GENERAL_BLOCK_TRANSFER = 0xE0

# batch row status codes
cdef enum:
    STATUS_DECODED = 0
    STATUS_CHECKSUM_ERROR = 1
    STATUS_FRAME_ERROR = 2
    STATUS_INCOMPLETE_FRAME = 3
    STATUS_APDU_ERROR = 4
    STATUS_UNSUPPORTED_APDU = 5
    STATUS_SEGMENTED_FRAME = 6
    STATUS_PROFILE_MISMATCH = 7
    STATUS_DECODE_ERROR = 8
    STATUS_UNEXPECTED_ERROR = 9

cdef long long NAT_US = LLONG_MIN
cdef long long RAW_MISSING_Q = LLONG_MIN


cdef inline bint _is_numeric(int tag) noexcept nogil:
    return (
        tag == T_I32 or tag == T_U32 or tag == T_BCD or tag == T_I8 or tag == T_I16
        or tag == T_U8 or tag == T_U16 or tag == T_I64 or tag == T_U64 or tag == T_ENUM
        or tag == T_F32 or tag == T_F64
    )


cdef inline int _num_width(int tag) noexcept nogil:
    # width in bytes of a fixed-size number (A-XDR), 0 for any other tag
    if tag == T_BCD or tag == T_I8 or tag == T_U8 or tag == T_ENUM:
        return 1
    if tag == T_I16 or tag == T_U16:
        return 2
    if tag == T_I32 or tag == T_U32 or tag == T_F32:
        return 4
    if tag == T_I64 or tag == T_U64 or tag == T_F64:
        return 8
    return 0
