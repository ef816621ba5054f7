"""The shared spec table: the numbers both backends agree on.

The bottom layer of the package: it imports nothing from amsparse, and
everything that needs one of these numbers (the Python twin, the batch layer,
profiles, the compiled core) takes it from here.  The compiled core gets them
as C constants from ``_spec.pxi``, which ``tools/gen_spec_pxi.py`` renders from
this file (``tests/test_spec.py`` checks that the committed file is current).

The enums are the documented form; the plain ``int`` aliases below them are
what the modules use, so values that end up in results stay plain ints.
"""

from __future__ import annotations

import enum
import struct

__all__ = [
    "AXDR",
    "ApduTag",
    "Clock",
    "ERROR_CODES",
    "Kind",
    "Layout",
    "MAX_COLUMNS",
    "MAX_DEPTH",
    "NAT",
    "RAW_MISSING",
    "Status",
    "Tag",
]


class Tag(enum.IntEnum):
    """A-XDR (DLMS data) type tags the decoder knows."""

    NULL = 0x00
    ARRAY = 0x01
    STRUCT = 0x02
    BOOL = 0x03
    BITS = 0x04
    I32 = 0x05
    U32 = 0x06
    OCTETS = 0x09
    VISIBLE = 0x0A
    UTF8 = 0x0C
    BCD = 0x0D
    I8 = 0x0F
    I16 = 0x10
    U8 = 0x11
    U16 = 0x12
    I64 = 0x14
    U64 = 0x15
    ENUM = 0x16
    F32 = 0x17
    F64 = 0x18
    DATETIME = 0x19
    DATE = 0x1A
    TIME = 0x1B


#: tag -> (width in bytes or 0 for variable/none, signed, kind): kind is one of
#: "null", "container", "bool", "bits", "int", "float", "bcd", "octets", "text", "clock"
AXDR: dict[Tag, tuple[int, bool, str]] = {
    Tag.NULL: (0, False, "null"),
    Tag.ARRAY: (0, False, "container"),
    Tag.STRUCT: (0, False, "container"),
    Tag.BOOL: (1, False, "bool"),
    Tag.BITS: (0, False, "bits"),
    Tag.I32: (4, True, "int"),
    Tag.U32: (4, False, "int"),
    Tag.OCTETS: (0, False, "octets"),
    Tag.VISIBLE: (0, False, "text"),
    Tag.UTF8: (0, False, "text"),
    Tag.BCD: (1, False, "bcd"),
    Tag.I8: (1, True, "int"),
    Tag.I16: (2, True, "int"),
    Tag.U8: (1, False, "int"),
    Tag.U16: (2, False, "int"),
    Tag.I64: (8, True, "int"),
    Tag.U64: (8, False, "int"),
    Tag.ENUM: (1, False, "int"),
    Tag.F32: (4, True, "float"),
    Tag.F64: (8, True, "float"),
    Tag.DATETIME: (12, False, "clock"),
    Tag.DATE: (5, False, "clock"),
    Tag.TIME: (4, False, "clock"),
}


class ApduTag(enum.IntEnum):
    """xDLMS APDU tags the decoder dispatches on."""

    DATA_NOTIFICATION = 0x0F
    EXCEPTION_RESPONSE = 0xD8
    GENERAL_GLO_CIPHERING = 0xDB
    GENERAL_DED_CIPHERING = 0xDC
    GENERAL_BLOCK_TRANSFER = 0xE0


class Kind(enum.IntEnum):
    """What a profile element's value is."""

    NUMBER = 0
    STRING = 1
    DATETIME = 2
    BYTES = 3


class Layout(enum.IntEnum):
    """How a list's elements are named."""

    OBIS = 0        # values carry their OBIS codes (structures or code/value pairs)
    POSITIONAL = 1  # bare values, named by position
    PUSHLIST = 2    # self-describing: the body starts with its push object list


class Clock(enum.IntEnum):
    """Clock policies, see docs/profiles.md "Clocks"."""

    DEVIATION = 0  # trust the deviation field; unspecified -> local wall time of the zone
    LOCAL = 1      # ignore the deviation; the fields are local wall time of the zone
    STANDARD = 2   # ignore the deviation; the fields are the zone's standard time all year


class Status(enum.IntEnum):
    """A row's outcome in :attr:`FrameTable.status`: 0 decoded, else the kind of
    error (the exception type's family; the message is in :attr:`FrameTable.errors`)."""

    DECODED = 0
    CHECKSUM_ERROR = 1        #: ChecksumError (HCS, FCS, M-Bus CS, P1 CRC)
    FRAME_ERROR = 2           #: FrameError (flags, format, length, addresses)
    INCOMPLETE_FRAME = 3      #: IncompleteFrameError (cut off)
    APDU_ERROR = 4            #: ApduError (LLC, APDU, A-XDR; DecryptionError, BlockTransferError)
    UNSUPPORTED_APDU = 5      #: UnsupportedApduError (incl. KeyRequiredError)
    SEGMENTED_FRAME = 6       #: SegmentedFrameError
    PROFILE_MISMATCH = 7      #: ProfileMismatchError
    DECODE_ERROR = 8          #: any other DecodeError (TelegramError, the column budget...)
    UNEXPECTED_ERROR = 9      #: UnexpectedError (a non-DecodeError from one frame)


Status.__module__ = "amsparse._batch"  # documented (and pickled) under its public home

#: status code -> exception type name (0 is "decoded"); kept for existing users of the
#: codes, :class:`Status` is the public form
ERROR_CODES = {
    1: "ChecksumError",
    2: "FrameError",
    3: "IncompleteFrameError",
    4: "ApduError",
    5: "UnsupportedApduError",
    6: "SegmentedFrameError",
    7: "ProfileMismatchError",
    8: "DecodeError",
    9: "UnexpectedError",
}

#: "not a time" in the int64 time columns (numpy's NaT)
NAT = -(2**63)
#: "no integer" in the raw columns
RAW_MISSING = -(2**63)
#: bit pattern of :data:`MISSING` (a quiet NaN whose low 29 bits are not zero, so
#: no float32 NaN widened to a double has it; a NaN the meter sends is stored as
#: the canonical NaN, never as this)
MISSING_BITS = 0x7FF80000A5A5A5A5
#: "no reading" in the float columns: a NaN that the exports turn into null
MISSING = struct.unpack("<d", struct.pack("<Q", MISSING_BITS))[0]

#: nesting of arrays/structures; real lists use 3
MAX_DEPTH = 16

#: default bound on the reading columns of one table.  Memory is rows x columns
#: (every row has a cell in every column), so a capture that names thousands of
#: OBIS codes once and then sends many rows would otherwise need gigabytes; a
#: frame that would add columns beyond the bound becomes an error row instead.
MAX_COLUMNS = 256

# the plain-int forms the modules use
T_NULL = int(Tag.NULL)
T_ARRAY = int(Tag.ARRAY)
T_STRUCT = int(Tag.STRUCT)
T_BOOL = int(Tag.BOOL)
T_BITS = int(Tag.BITS)
T_I32 = int(Tag.I32)
T_U32 = int(Tag.U32)
T_OCTETS = int(Tag.OCTETS)
T_VISIBLE = int(Tag.VISIBLE)
T_UTF8 = int(Tag.UTF8)
T_BCD = int(Tag.BCD)
T_I8 = int(Tag.I8)
T_I16 = int(Tag.I16)
T_U8 = int(Tag.U8)
T_U16 = int(Tag.U16)
T_I64 = int(Tag.I64)
T_U64 = int(Tag.U64)
T_ENUM = int(Tag.ENUM)
T_F32 = int(Tag.F32)
T_F64 = int(Tag.F64)
T_DATETIME = int(Tag.DATETIME)
T_DATE = int(Tag.DATE)
T_TIME = int(Tag.TIME)

#: integer tags -> (width, signed): the twin's reads
INT_SIZES = {int(t): (w, s) for t, (w, s, k) in AXDR.items() if k == "int"}
#: tags that hold a number (scaled by a profile)
NUMERIC_TAGS = frozenset(int(t) for t, (w, s, k) in AXDR.items() if k in ("int", "float", "bcd"))

KIND_NUMBER = int(Kind.NUMBER)
KIND_STRING = int(Kind.STRING)
KIND_DATETIME = int(Kind.DATETIME)
KIND_BYTES = int(Kind.BYTES)
LAYOUT_OBIS = int(Layout.OBIS)
LAYOUT_POSITIONAL = int(Layout.POSITIONAL)
LAYOUT_PUSHLIST = int(Layout.PUSHLIST)
CLOCK_DEVIATION = int(Clock.DEVIATION)
CLOCK_LOCAL = int(Clock.LOCAL)
CLOCK_STANDARD = int(Clock.STANDARD)
