"""The twin's checked reads (the compiled core's ``_cursor_c.pxi``): bounds
checks and A-XDR lengths, raising :class:`~amsparse.ApduError`.
"""

from __future__ import annotations

from ._errors import ApduError

__all__ = ["_need", "_read_length"]


def _need(data: bytes, pos: int, size: int, end: int, what: str) -> None:
    if pos + size > end:
        raise ApduError(f"{what} needs {size} bytes, {max(end - pos, 0)} left", pos)


def _read_length(data: bytes, pos: int, end: int) -> tuple[int, int]:
    _need(data, pos, 1, end, "length")
    b = data[pos]
    if b < 0x80:
        return b, pos + 1
    n = b & 0x7F
    if n == 0 or n > 4:
        raise ApduError(f"bad A-XDR length prefix 0x{b:02X}", pos)
    _need(data, pos + 1, n, end, "length")
    return int.from_bytes(data[pos + 1 : pos + 1 + n], "big"), pos + 1 + n
