"""Test-only encoder for HAN frames (NOT public API, not shipped in the wheel).

Builds, independently of the decoders:

* A-XDR values (every tag the decoders read) with the variable-length prefix
  (``0x81 nn`` / ``0x82 nn nn`` / ``0x84 ...`` forms on demand),
* COSEM date-time / date / time bytes,
* DLMS data-notifications with the three header date-time encodings
  (``00`` | ``0C`` + 12 bytes | ``09 0C`` + 12 bytes),
* HDLC type-3 frames with correct HCS/FCS (own CRC-16/X.25 below; the decoder's
  ``fcs16`` is deliberately not imported), 1/2/4-byte addresses and optional
  segmentation,
* the transports and security of other European ports: ciphered APDUs
  (general-glo/ded-ciphering, AES-128-GCM through ``cryptography``, which the
  decoders only reach through ``amsparse._security``), General Block Transfer
  blocks and wired M-Bus long frames with DLMS transport segments.

Everything returns ``bytes``.
"""

from __future__ import annotations

import struct
from typing import Iterable, Sequence

# --------------------------------------------------------------------------- CRC


def crc16_x25_bitwise(data: bytes | bytearray) -> int:
    """CRC-16/X.25, bit by bit (reflected poly 0x8408, init/xorout 0xFFFF)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            if crc & 1:
                crc = (crc >> 1) ^ 0x8408
            else:
                crc >>= 1
    return crc ^ 0xFFFF


# table entry i = CRC register after shifting byte i through a zero register
_TABLE: list[int] = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x8408 if _c & 1 else _c >> 1
    _TABLE.append(_c)


def crc16_x25(data: bytes | bytearray) -> int:
    """CRC-16/X.25, table driven (same result as :func:`crc16_x25_bitwise`)."""
    crc = 0xFFFF
    t = _TABLE
    for byte in data:
        crc = (crc >> 8) ^ t[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFF


assert crc16_x25(b"123456789") == crc16_x25_bitwise(b"123456789") == 0x906E


def _le16(v: int) -> bytes:
    return bytes((v & 0xFF, v >> 8))


# --------------------------------------------------------------------------- A-XDR

T_NULL, T_ARRAY, T_STRUCT, T_BOOL, T_BITS = 0x00, 0x01, 0x02, 0x03, 0x04
T_I32, T_U32, T_OCTETS, T_VISIBLE, T_UTF8, T_BCD = 0x05, 0x06, 0x09, 0x0A, 0x0C, 0x0D
T_I8, T_I16, T_U8, T_U16, T_I64, T_U64, T_ENUM = 0x0F, 0x10, 0x11, 0x12, 0x14, 0x15, 0x16
T_F32, T_F64, T_DATETIME, T_DATE, T_TIME = 0x17, 0x18, 0x19, 0x1A, 0x1B

INT_TYPES = {  # tag -> (width, signed)
    T_I32: (4, True), T_U32: (4, False), T_I8: (1, True), T_I16: (2, True),
    T_U8: (1, False), T_U16: (2, False), T_I64: (8, True), T_U64: (8, False),
    T_ENUM: (1, False),
}


def int_range(tag: int) -> tuple[int, int]:
    width, signed = INT_TYPES[tag]
    if signed:
        return -(1 << (8 * width - 1)), (1 << (8 * width - 1)) - 1
    return 0, (1 << (8 * width)) - 1


def axdr_length(n: int, form: int | None = None) -> bytes:
    """A-XDR length.  ``form`` forces the encoding: 0 = short (n < 128),
    1/2/3/4 = ``0x80|k`` followed by k big-endian bytes.  Default: shortest."""
    if n < 0:
        raise ValueError("negative length")
    if form is None:
        if n < 0x80:
            form = 0
        elif n <= 0xFF:
            form = 1
        elif n <= 0xFFFF:
            form = 2
        else:
            form = 4
    if form == 0:
        if n >= 0x80:
            raise ValueError("short form needs n < 128")
        return bytes((n,))
    if not 1 <= form <= 4:
        raise ValueError("length form is 0..4")
    return bytes((0x80 | form,)) + n.to_bytes(form, "big")


def null() -> bytes:
    return b"\x00"


def array(items: Sequence[bytes], form: int | None = None) -> bytes:
    return bytes((T_ARRAY,)) + axdr_length(len(items), form) + b"".join(items)


def structure(items: Sequence[bytes], form: int | None = None) -> bytes:
    return bytes((T_STRUCT,)) + axdr_length(len(items), form) + b"".join(items)


def boolean(v: bool | int) -> bytes:
    """``v`` may be an int 0..255 (any non-zero byte is true)."""
    return bytes((T_BOOL, int(v) & 0xFF if not isinstance(v, bool) else int(v)))


def bit_string(bits: str, form: int | None = None) -> bytes:
    """``bits`` like ``"1011"``; padded with zeros to whole bytes."""
    if set(bits) - {"0", "1"}:
        raise ValueError("bits must be a string of 0/1")
    nbytes = (len(bits) + 7) // 8
    padded = bits.ljust(nbytes * 8, "0")
    body = int(padded, 2).to_bytes(nbytes, "big") if nbytes else b""
    return bytes((T_BITS,)) + axdr_length(len(bits), form) + body


def integer_of(tag: int, v: int) -> bytes:
    width, signed = INT_TYPES[tag]
    return bytes((tag,)) + v.to_bytes(width, "big", signed=signed)


def double_long(v: int) -> bytes:
    return integer_of(T_I32, v)


def double_long_unsigned(v: int) -> bytes:
    return integer_of(T_U32, v)


def integer(v: int) -> bytes:
    return integer_of(T_I8, v)


def long(v: int) -> bytes:
    return integer_of(T_I16, v)


def unsigned(v: int) -> bytes:
    return integer_of(T_U8, v)


def long_unsigned(v: int) -> bytes:
    return integer_of(T_U16, v)


def long64(v: int) -> bytes:
    return integer_of(T_I64, v)


def long64_unsigned(v: int) -> bytes:
    return integer_of(T_U64, v)


def enum(v: int) -> bytes:
    return integer_of(T_ENUM, v)


def octet_string(b: bytes, form: int | None = None) -> bytes:
    return bytes((T_OCTETS,)) + axdr_length(len(b), form) + bytes(b)


def visible_string(s: str | bytes, form: int | None = None) -> bytes:
    raw = s.encode("latin-1") if isinstance(s, str) else bytes(s)
    return bytes((T_VISIBLE,)) + axdr_length(len(raw), form) + raw


def utf8_string(s: str, form: int | None = None) -> bytes:
    raw = s.encode("utf-8")
    return bytes((T_UTF8,)) + axdr_length(len(raw), form) + raw


def bcd(v: int) -> bytes:
    """One BCD byte (two decimal digits, 0..99)."""
    if not 0 <= v <= 99:
        raise ValueError("bcd holds 0..99")
    return bytes((T_BCD, ((v // 10) << 4) | (v % 10)))


def float32(v: float) -> bytes:
    return bytes((T_F32,)) + struct.pack(">f", v)


def float64(v: float) -> bytes:
    return bytes((T_F64,)) + struct.pack(">d", v)


def date_time(raw12: bytes) -> bytes:
    """A-XDR date-time (tag 0x19) around 12 COSEM date-time bytes."""
    assert len(raw12) == 12
    return bytes((T_DATETIME,)) + raw12


def date(raw5: bytes) -> bytes:
    assert len(raw5) == 5
    return bytes((T_DATE,)) + raw5


def time(raw4: bytes) -> bytes:
    assert len(raw4) == 4
    return bytes((T_TIME,)) + raw4


def obis(code: str | bytes | int) -> bytes:
    """``09 06`` + the six OBIS bytes; ``code`` is ``"1-0:1.7.0.255"``, 6 bytes or a 48-bit int."""
    if isinstance(code, int):
        raw = code.to_bytes(6, "big")
    elif isinstance(code, bytes):
        raw = code
    else:
        parts = code.replace("-", ".").replace(":", ".").split(".")
        raw = bytes(int(p) for p in parts)
    assert len(raw) == 6
    return octet_string(raw)


def scaler_unit(scaler: int, unit: int) -> bytes:
    """``02 02 0F <scaler> 16 <unit>``."""
    return structure([integer(scaler), enum(unit)])


def push_entry(class_id: int, code: str | bytes | int, attribute: int = 2, data_index: int = 0) -> bytes:
    """One push object list entry ``{class id, logical name, attribute, data index}``."""
    return structure([long_unsigned(class_id), obis(code), integer(attribute), long_unsigned(data_index)])


def self_describing(entries: Sequence[tuple[int, str, int]], values: Sequence[bytes],
                    setup: str = "0-8:25.9.0.255") -> bytes:
    """A self-describing push body (L+G E450/E360/E570): a structure whose first
    value is its push object list (entry 0: the push setup's attribute 2, the
    list itself), then one value per further entry ``(class, OBIS, attribute)``."""
    assert len(entries) == len(values)
    lst = array([push_entry(40, setup, 2)] + [push_entry(c, o, a) for c, o, a in entries])
    return structure([lst] + list(values))


def triples(lead: Sequence[bytes], items: Sequence[tuple[str, bytes, int, int]], trail: Sequence[bytes]) -> bytes:
    """Kaifa MA309M (Austria) body: bare values, then ``OBIS, value, {scaler, unit}``
    triples, then bare values, all in one structure."""
    parts = list(lead)
    for code, value, sc, unit in items:
        parts += [obis(code), value, scaler_unit(sc, unit)]
    return structure(parts + list(trail))


# --------------------------------------------------------------------------- COSEM clocks

def cosem_datetime(
    year: int | None,
    month: int | None,
    day: int | None,
    weekday: int | None,
    hour: int | None,
    minute: int | None,
    second: int | None,
    hundredths: int | None = None,
    deviation: int | None = None,
    status: int | None = None,
) -> bytes:
    """12 date-time bytes; ``None`` encodes the wildcard (0xFF / 0xFFFF; deviation 0x8000)."""

    def b(v: int | None) -> int:
        return 0xFF if v is None else v

    y = 0xFFFF if year is None else year
    dev = 0x8000 if deviation is None else deviation & 0xFFFF
    return bytes(
        (y >> 8, y & 0xFF, b(month), b(day), b(weekday), b(hour), b(minute), b(second),
         b(hundredths), dev >> 8, dev & 0xFF, b(status))
    )


def cosem_date(year: int | None, month: int | None, day: int | None, weekday: int | None) -> bytes:
    y = 0xFFFF if year is None else year
    return bytes((y >> 8, y & 0xFF)) + bytes(0xFF if v is None else v for v in (month, day, weekday))


def cosem_time(hour: int | None, minute: int | None, second: int | None, hundredths: int | None) -> bytes:
    return bytes(0xFF if v is None else v for v in (hour, minute, second, hundredths))


# --------------------------------------------------------------------------- DLMS

HEADER_NONE = "none"  # single 00
HEADER_0C = "0c"      # 0C + 12 bytes (Kamstrup rev 3)
HEADER_090C = "090c"  # 09 0C + 12 bytes (Kaifa, Kamstrup rev 2)

LLC = b"\xE6\xE7\x00"


def data_notification(
    body: bytes,
    invoke_id: int = 0x40000000,
    header: bytes | None = None,
    header_encoding: str | None = None,
) -> bytes:
    """DLMS data-notification APDU (tag 0x0F), without LLC."""
    if header is None:
        dt = b"\x00"
    else:
        assert len(header) == 12
        enc = header_encoding or HEADER_090C
        if enc == HEADER_0C:
            dt = b"\x0C" + header
        elif enc == HEADER_090C:
            dt = b"\x09\x0C" + header
        else:
            raise ValueError(f"header encoding {enc!r} needs no header bytes")
    return b"\x0F" + invoke_id.to_bytes(4, "big") + dt + body


# --------------------------------------------------------------------------- HDLC

def hdlc_address(value: int, size: int) -> bytes:
    """The raw address bytes for the integer the decoder reports (big-endian
    value of the address bytes as sent), checking the extension bits."""
    if size not in (1, 2, 4):
        raise ValueError("HDLC addresses are 1, 2 or 4 bytes")
    raw = value.to_bytes(size, "big")
    if not raw[-1] & 1 or any(b & 1 for b in raw[:-1]):
        raise ValueError(f"{raw.hex()} is not an HDLC address of {size} bytes")
    return raw


def make_address(logical: int, size: int) -> bytes:
    """Encode a logical address: 7 bits per byte, bit 0 = "last byte"."""
    out = []
    for i in range(size):
        shift = 7 * (size - 1 - i)
        out.append(((logical >> shift) & 0x7F) << 1)
    out[-1] |= 1
    return bytes(out)


MAX_HDLC_LENGTH = 0x7FF


def hdlc_frame(
    info: bytes,
    dest: bytes = b"\x41",
    src: bytes = b"\x08\x83",
    control: int = 0x13,
    segmented: bool = False,
) -> bytes:
    """One flag-delimited HDLC type-3 frame around ``info`` (give LLC+APDU yourself)."""
    length = 2 + len(dest) + len(src) + 1 + 2 + len(info) + 2
    if length > MAX_HDLC_LENGTH:
        raise ValueError(f"frame length {length} does not fit 11 bits; segment the APDU")
    fmt = 0xA000 | (0x0800 if segmented else 0) | length
    header = fmt.to_bytes(2, "big") + dest + src + bytes((control,))
    header += _le16(crc16_x25(header))
    body = header + info
    return b"\x7E" + body + _le16(crc16_x25(body)) + b"\x7E"


def encode_frame(
    apdu: bytes,
    dest: bytes = b"\x41",
    src: bytes = b"\x08\x83",
    control: int = 0x13,
) -> bytes:
    """LLC + APDU in one unsegmented frame."""
    return hdlc_frame(LLC + apdu, dest, src, control)


def segment(
    apdu: bytes,
    max_info: int,
    dest: bytes = b"\x41",
    src: bytes = b"\x08\x83",
    control: int = 0x13,
) -> list[bytes]:
    """Split LLC + ``apdu`` over frames of at most ``max_info`` information
    bytes each; the segmentation bit (0x08 of the format byte) is set on all
    but the last frame, and the LLC header is only in the first."""
    if max_info < 1:
        raise ValueError("max_info >= 1")
    info = LLC + apdu
    pieces = [info[i : i + max_info] for i in range(0, len(info), max_info)] or [b""]
    return [
        hdlc_frame(p, dest, src, control, segmented=(i < len(pieces) - 1))
        for i, p in enumerate(pieces)
    ]


def crcs_valid(frame: bytes) -> bool:
    """True when ``frame`` is a structurally plausible HDLC frame whose HCS and
    FCS both verify (own parser, independent of the decoders)."""
    n = len(frame)
    if n < 9 or frame[0] != 0x7E or frame[-1] != 0x7E or frame[1] & 0xF0 != 0xA0:
        return False
    length = ((frame[1] & 0x07) << 8) | frame[2]
    if length + 2 != n:
        return False
    pos = 3
    for _ in range(2):  # destination, source
        for _k in range(4):
            if pos >= n - 3:
                return False
            b = frame[pos]
            pos += 1
            if b & 1:
                break
        else:
            return False
    pos += 1  # control
    if pos + 2 > n - 3:
        return False
    if crc16_x25(frame[1:pos]) != (frame[pos] | (frame[pos + 1] << 8)):
        return False
    return crc16_x25(frame[1 : n - 3]) == (frame[n - 3] | (frame[n - 2] << 8))


def fix_crcs(frame: bytes) -> bytes:
    """Recompute HCS and FCS in place (for mutations that should reach the
    APDU parser).  Frames whose header cannot be located are returned as is."""
    n = len(frame)
    if n < 9:
        return frame
    pos = 3
    for _ in range(2):
        for _k in range(4):
            if pos >= n - 3:
                return frame
            b = frame[pos]
            pos += 1
            if b & 1:
                break
    pos += 1
    if pos + 2 > n - 3:
        return frame
    out = bytearray(frame)
    out[pos : pos + 2] = _le16(crc16_x25(out[1:pos]))
    out[n - 3 : n - 1] = _le16(crc16_x25(out[1 : n - 3]))
    return bytes(out)


def join(parts: Iterable[bytes]) -> bytes:
    return b"".join(parts)


# --------------------------------------------------------------------------- security, GBT, M-Bus

def ciphered(
    apdu: bytes,
    key: bytes,
    system_title: bytes,
    invocation_counter: int,
    security_control: int = 0x30,
    auth_key: bytes | None = None,
    tag: int = 0xDB,
) -> bytes:
    """``apdu`` under general-glo-ciphering (``tag`` 0xDB) or general-ded-ciphering
    (0xDC): AES-128-GCM, IV = system title + invocation counter, 12-byte tag
    over AAD = SC + AK when ``security_control`` has the authentication bit."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    assert len(system_title) == 8 and len(key) == 16
    iv = system_title + invocation_counter.to_bytes(4, "big")
    enc = bool(security_control & 0x20)
    auth = bool(security_control & 0x10)
    ak = auth_key if auth_key is not None else bytes(16)
    aad = bytes((security_control,)) + ak
    if enc:
        full = AESGCM(key).encrypt(iv, apdu, aad if auth else b"")
        body = full[:-16] + (full[-16:-4] if auth else b"")
    else:
        body = apdu + (AESGCM(key).encrypt(iv, b"", aad + apdu)[:12] if auth else b"")
    content = bytes((security_control,)) + invocation_counter.to_bytes(4, "big") + body
    return bytes((tag, 8)) + system_title + axdr_length(len(content)) + content


def gbt_blocks(message: bytes, size: int, first: int = 1) -> list[bytes]:
    """``message`` cut into General Block Transfer blocks of ``size`` raw bytes
    (``E0 | control | number (2) | ack (2) | length | raw``); streaming bit
    set, last-block bit on the final one."""
    assert size >= 1
    chunks = [message[i : i + size] for i in range(0, len(message), size)] or [b""]
    out = []
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        ctl = 0x40 | (0x80 if last else 0)
        out.append(bytes((0xE0, ctl)) + (first + i).to_bytes(2, "big") + b"\x00\x00"
                   + axdr_length(len(chunk)) + chunk)
    return out


def mbus_long(data: bytes, ci: int, c: int = 0x53, a: int = 0xFF, tsap: bytes = b"\x01\x67",
              overflow: bool = False) -> bytes:
    """One M-Bus long frame ``68 L L 68 C A CI STSAP DTSAP data CS 16``; with
    ``overflow`` L is written mod 256 (the Sagemcom quirk)."""
    payload = bytes((c, a, ci)) + tsap + data
    n = len(payload)
    if n > 255 and not overflow:
        raise ValueError(f"M-Bus L of {n} does not fit a byte")
    lb = n & 0xFF
    return bytes((0x68, lb, lb, 0x68)) + payload + bytes((sum(payload) & 0xFF, 0x16))


def mbus_frames(apdu: bytes, max_data: int = 250, overflow: bool = False) -> list[bytes]:
    """``apdu`` as DLMS transport segments in M-Bus long frames: CI = sequence
    number, bit 4 on the last."""
    chunks = [apdu[i : i + max_data] for i in range(0, len(apdu), max_data)] or [b""]
    return [mbus_long(ch, (i & 0x0F) | (0x10 if i == len(chunks) - 1 else 0), overflow=overflow)
            for i, ch in enumerate(chunks)]
