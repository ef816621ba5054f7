"""Notification bodies with bare (untagged) attribute descriptors, rewritten into
ordinary A-XDR.  Shared by both backends (APDU layer).

Sagemcom XT211 (Czech Republic) pushes ``{enum, array of N entries}`` where each
entry is a two-element structure whose first element is written *without* A-XDR
tags: class id (2 bytes), logical name (6 bytes), attribute id (1 byte), then an
ordinary A-XDR value::

    02 02 16 <enum> 01 <N>  ( 02 02 <class:2> <obis:6> <attr:1> <value> ) * N

:func:`translate` recognises exactly that shape and returns a structure of
``{OBIS octet-string(6), value}`` structures, a body both backends already read
(``_pushlist_py.flatten_more``, named in place).  The class id and the attribute
id are dropped: every entry carries one reading (register values are attribute
2, disconnect-control and limiter states attribute 3), named by its OBIS code.
Both decoders call it only after the A-XDR reader failed on a body, so a body
that reads as A-XDR is never touched, and anything else keeps its own error.
"""

from __future__ import annotations

from ._cursor_py import _read_length
from ._errors import ApduError
from ._spec import T_ARRAY, T_ENUM, T_STRUCT
from ._value_py import _read_value

__all__ = ["translate"]

_ENTRY = 2 + 2 + 6 + 1  # 02 02, class id, logical name, attribute id


def _length(n: int) -> bytes:
    """An A-XDR length/count prefix."""
    if n < 0x80:
        return bytes((n,))
    size = (n.bit_length() + 7) // 8
    return bytes((0x80 | size,)) + n.to_bytes(size, "big")


def translate(body: bytes) -> bytes | None:
    """The body rewritten as a structure of ``{OBIS, value}`` structures if it is
    exactly ``{enum, array of {bare descriptor, value}}`` (every entry complete,
    no value a container, nothing after the last value), else None."""
    end = len(body)
    if end < 5 or body[0] != T_STRUCT or body[1] != 2 or body[2] != T_ENUM or body[4] != T_ARRAY:
        return None
    try:
        count, pos = _read_length(body, 5, end)
        if count < 1:
            return None
        out = [bytes((T_STRUCT,)), _length(count)]
        for _ in range(count):
            if end - pos < _ENTRY or body[pos] != T_STRUCT or body[pos + 1] != 2:
                return None
            ln = body[pos + 4 : pos + 10]
            vstart = pos + _ENTRY
            tag, _value, pos = _read_value(body, vstart, end, 1)
            if tag in (T_ARRAY, T_STRUCT):
                return None
            out.append(b"\x02\x02\x09\x06" + ln + body[vstart:pos])
    except ApduError:
        return None
    if pos != end:
        return None
    return b"".join(out)
