"""Wired M-Bus long frames (EN 13757-2) carrying DLMS, shared by both backends.

One frame::

    68 | L | L | 68 | C | A | CI | STSAP DTSAP | data ... | CS | 16

``L`` counts C through the end of the data, ``CS`` is the 8-bit sum of the same
bytes.  On DLMS customer ports (Austria, Poland) ``C = 0x53``, ``A = 0xFF`` and
the CI field is the DLMS transport layer: ``CI & 0xE0 == 0``, bit 4 set on the
last segment, bits 0-3 the segment's sequence number (``00`` then ``11`` for a
two-segment push, ``10`` for a single one).  The APDU is the concatenation of
the segments' data after STSAP/DTSAP.

Sagemcom T210-D quirk: the first segment of a long push has a 257-byte
C..data part, which the 1-byte L field cannot hold; the meter sends ``L = 01``
(257 mod 256).  So when ``L`` does not give a frame whose stop byte and
checksum hold, ``L + 256`` is tried: the stop byte and the checksum decide.
"""

from __future__ import annotations

from ._errors import ChecksumError, FrameError, IncompleteFrameError
from ._pieces import Pieces

__all__ = ["MBusAssembler", "join_segments", "parse_long"]

MAX_MESSAGE = 1 << 16


def _fits(data: bytes | bytearray, pos: int, n: int, length: int) -> int:
    """0: frame of C..data ``length`` ends with a valid stop byte and checksum;
    1: the input ends first; 2: stop byte wrong; 3: checksum wrong."""
    stop = pos + 4 + length + 2
    if stop > n:
        return 1
    if data[stop - 1] != 0x16:
        return 2
    if sum(data[pos + 4 : pos + 4 + length]) & 0xFF != data[stop - 2]:
        return 3
    return 0


def parse_long(data: bytes | bytearray, pos: int, n: int, wait: bool = False) -> tuple[int, int, int, int, int, int]:
    """Check the M-Bus long frame at ``data[pos]`` (input ends at ``n``).

    Returns ``(frame_end, c, a, ci, data_start, data_end)``; ``data_start``
    points after STSAP/DTSAP.  ``wait`` (streams): a frame that does not hold
    by its L byte but might by L + 256 once more bytes arrive is incomplete.
    """
    if n - pos < 4:
        raise IncompleteFrameError("input ends inside the M-Bus frame header", 4 - (n - pos), n)
    if data[pos] != 0x68 or data[pos + 3] != 0x68:
        raise FrameError("not an M-Bus long frame (68 L L 68)", pos)
    if data[pos + 1] != data[pos + 2]:
        raise FrameError(
            f"M-Bus length bytes differ (0x{data[pos + 1]:02X}, 0x{data[pos + 2]:02X})", pos + 1)
    length = data[pos + 1]
    state = _fits(data, pos, n, length)
    if state != 0:
        quirk = _fits(data, pos, n, length + 256)  # Sagemcom: L overflowed
        if quirk == 0:
            length += 256
            state = 0
        elif state == 1 or (wait and quirk == 1):
            need = pos + 4 + length + (0 if state == 1 else 256) + 2 - n
            raise IncompleteFrameError(f"M-Bus frame needs {need} more bytes", need, n)
    if state == 2:
        stop = pos + 4 + length + 2
        raise FrameError(f"M-Bus frame does not end with the 0x16 stop byte (found 0x{data[stop - 1]:02X})", stop - 1)
    if state == 3:
        stop = pos + 4 + length + 2
        calc = sum(data[pos + 4 : pos + 4 + length]) & 0xFF
        raise ChecksumError("CS", calc, data[stop - 2], stop - 2)
    if length < 5:
        raise FrameError(f"M-Bus frame of L={length} has no room for CI, STSAP and DTSAP", pos + 1)
    ci = data[pos + 6]
    if ci & 0xE0:
        raise FrameError(f"M-Bus CI 0x{ci:02X} is not a DLMS transport segment (0x00-0x1F)", pos + 6)
    return pos + 4 + length + 2, data[pos + 4], data[pos + 5], ci, pos + 9, pos + 4 + length


class MBusAssembler(Pieces):
    """Joins DLMS transport segments fed one frame at a time; bounded memory."""

    __slots__ = ("seq",)
    what = "M-Bus DLMS message"
    error = FrameError

    def __init__(self, max_size: int = MAX_MESSAGE) -> None:
        super().__init__(max_size)
        self.seq = 0

    def reset(self) -> None:
        super().reset()
        self.seq = 0

    def feed(self, data: bytes, ci: int, start: int, end: int) -> bytes | None:
        seq = ci & 0x0F
        if seq != self.seq:
            expect = self.seq
            self.reset()
            raise FrameError(
                f"M-Bus DLMS segment {seq} where segment {expect} was due (a segment is missing or repeated)",
                start - 3)
        self.add(data, start, end, start)
        self.seq = (seq + 1) & 0x0F
        if ci & 0x10:
            return self.join()
        return None


def join_segments(data: bytes) -> bytes:
    """The APDU carried by the complete run of M-Bus long frames ``data``."""
    n = len(data)
    asm = MBusAssembler(max(MAX_MESSAGE, n))
    pos = 0
    while pos < n:
        end, _c, _a, ci, ds, de = parse_long(data, pos, n)
        message = asm.feed(data, ci, ds, de)
        if message is not None:
            if end != n:
                raise FrameError(f"{n - end} bytes after the last M-Bus segment", end)
            return message
        pos = end
    raise IncompleteFrameError(
        "M-Bus message ends before its last segment (CI with bit 4 set)", 1, n)
