"""CRC-16/X.25, the HDLC frame check sequence (the twin's; framing layer)."""

from __future__ import annotations

from binascii import crc_hqx as _crc_hqx

__all__ = ["fcs16"]

# CRC-16/X.25 is CRC-16/CCITT with reflected input and output.  The standard
# library has the unreflected CCITT CRC in C (binascii.crc_hqx), so: reverse
# the bits of every byte (bytes.translate), run crc_hqx from 0xFFFF (its own
# reversal), reverse the 16-bit result, xor 0xFFFF.  Same value as the
# byte-at-a-time table loop (tests/encoder.py keeps a bitwise one to check
# against), about 50 times faster in pure Python.
_REVERSE_BITS = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def fcs16(data: bytes | bytearray | memoryview, start: int = 0, end: int | None = None) -> int:
    """CRC-16/X.25 (HDLC FCS): reflected polynomial 0x1021, init and xorout
    0xFFFF.  ``fcs16(b"123456789") == 0x906E``.  Frames carry it LSB first."""
    if end is None:
        end = len(data)
    crc = _crc_hqx(bytes(data[start:end]).translate(_REVERSE_BITS), 0xFFFF)
    return (_REVERSE_BITS[crc & 0xFF] << 8 | _REVERSE_BITS[crc >> 8]) ^ 0xFFFF
