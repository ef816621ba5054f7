"""The twin's A-XDR value reader (the compiled core's ``_value_c.pxi``): one
value as a ``(tag, value)`` tree, the reference path.
"""

from __future__ import annotations

from typing import Any

from ._clock import parse_date, parse_datetime, parse_time
from ._cursor_py import _need, _read_length
from ._errors import ApduError
from ._spec import INT_SIZES as _INT_SIZES  # the shared spec table (A-XDR tags and widths)
from ._spec import (
    MAX_DEPTH,
    T_ARRAY,
    T_BCD,
    T_BITS,
    T_BOOL,
    T_DATE,
    T_DATETIME,
    T_F32,
    T_F64,
    T_NULL,
    T_OCTETS,
    T_STRUCT,
    T_TIME,
    T_UTF8,
    T_VISIBLE,
)

__all__ = ["_read_value"]


def _read_value(data: bytes, pos: int, end: int, depth: int) -> tuple[int, Any, int]:
    """One A-XDR value at ``pos`` → ``(tag, value, next_pos)``.

    Containers become lists of ``(tag, value)``.  Every length and count is
    checked against the bytes that are actually there.
    """
    _need(data, pos, 1, end, "A-XDR tag")
    tag = data[pos]
    pos += 1
    if tag in (T_ARRAY, T_STRUCT):
        if depth >= MAX_DEPTH:
            raise ApduError(f"A-XDR nesting deeper than {MAX_DEPTH}", pos - 1)
        count, pos = _read_length(data, pos, end)
        if count > end - pos:  # every element takes at least one byte
            raise ApduError(f"{count} elements announced, only {end - pos} bytes left", pos)
        items = []
        for _ in range(count):
            t, v, pos = _read_value(data, pos, end, depth + 1)
            items.append((t, v))
        return tag, items, pos
    size = _INT_SIZES.get(tag)
    if size is not None:
        width, signed = size
        _need(data, pos, width, end, "integer")
        return tag, int.from_bytes(data[pos : pos + width], "big", signed=signed), pos + width
    if tag == T_NULL:
        return tag, None, pos
    if tag in (T_OCTETS, T_VISIBLE, T_UTF8):
        length, pos = _read_length(data, pos, end)
        _need(data, pos, length, end, "string")
        raw = bytes(data[pos : pos + length])
        if tag == T_VISIBLE:
            return tag, raw.decode("latin-1"), pos + length
        if tag == T_UTF8:
            try:
                return tag, raw.decode("utf-8"), pos + length
            except UnicodeDecodeError:
                raise ApduError("utf8-string is not valid UTF-8", pos) from None
        return tag, raw, pos + length
    if tag == T_BOOL:
        _need(data, pos, 1, end, "boolean")
        return tag, data[pos] != 0, pos + 1
    if tag == T_BITS:
        nbits, pos = _read_length(data, pos, end)
        nbytes = (nbits + 7) // 8
        _need(data, pos, nbytes, end, "bit-string")
        bits = "".join(f"{b:08b}" for b in data[pos : pos + nbytes])[:nbits]
        return tag, bits, pos + nbytes
    if tag == T_BCD:
        _need(data, pos, 1, end, "bcd")
        b = data[pos]
        if (b >> 4) > 9 or (b & 0x0F) > 9:
            raise ApduError(f"bcd byte 0x{b:02X} is not two decimal digits", pos)
        return tag, (b >> 4) * 10 + (b & 0x0F), pos + 1
    if tag == T_F32 or tag == T_F64:
        import struct

        width = 4 if tag == T_F32 else 8
        _need(data, pos, width, end, "float")
        (v,) = struct.unpack(">f" if width == 4 else ">d", bytes(data[pos : pos + width]))
        return tag, v, pos + width
    if tag == T_DATETIME:
        _need(data, pos, 12, end, "date-time")
        return tag, parse_datetime(bytes(data[pos : pos + 12])), pos + 12
    if tag == T_DATE:
        _need(data, pos, 5, end, "date")
        return tag, parse_date(bytes(data[pos : pos + 5])), pos + 5
    if tag == T_TIME:
        _need(data, pos, 4, end, "time")
        return tag, parse_time(bytes(data[pos : pos + 4])), pos + 4
    raise ApduError(f"unknown or unsupported A-XDR tag 0x{tag:02X}", pos - 1)
