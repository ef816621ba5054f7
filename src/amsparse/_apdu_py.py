"""The twin's APDU layer (the compiled core's ``_apdu_c.pxi``): the LLC header,
the data-notification header and its body, to a :class:`~amsparse.Frame`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._compact import translate
from ._cursor_py import _need
from ._errors import (
    ApduError,
    UnsupportedApduError,
)
from ._layout_py import _flatten
from ._model import Frame
from ._plan_py import _resolve
from ._profiles import CompiledProfile, ProfileSet
from ._pushlist_py import flatten_pushlist
from ._spec import (
    T_ARRAY,
    T_STRUCT,
)
from ._value_py import _read_value

if TYPE_CHECKING:
    from ._decode_py import DecoderCore

__all__ = ["_decode_info", "_decode_plain"]


def _decode_info(
    data: bytes,
    start: int,
    end: int,
    profiles: ProfileSet,
    profile: CompiledProfile | None,
    source: int,
    tz: str | None,
    address: tuple[int, int, int] | None,
    llc: bool,
) -> Frame:
    pos = start
    if llc:
        if end - pos < 3 or data[pos] != 0xE6 or data[pos + 1] != 0xE7 or data[pos + 2] != 0x00:
            raise ApduError("information field does not start with the LLC header E6 E7 00", pos)
        pos += 3
    _need(data, pos, 1, end, "APDU tag")
    tag = data[pos]
    if tag != 0x0F:
        if tag in (0xDB, 0xDD, 0xDF, 0xE0, 0xD8):
            kinds = {0xDB: "general-glo-ciphering (encrypted)", 0xDD: "general-ciphering (encrypted)",
                     0xDF: "general-signing (signed)", 0xE0: "general-block-transfer",
                     0xD8: "exception-response"}
            raise UnsupportedApduError(f"{kinds[tag]} APDU is not supported yet", tag, pos)
        raise ApduError(f"APDU tag 0x{tag:02X} is not a data-notification (0x0F)", pos)
    pos += 1
    _need(data, pos, 4, end, "long-invoke-id-and-priority")
    invoke_id = int.from_bytes(data[pos : pos + 4], "big")
    pos += 4
    _need(data, pos, 1, end, "date-time field")
    marker = data[pos]
    header: bytes | None
    if marker == 0x00:
        header = None
        pos += 1
    elif marker == 0x0C:
        _need(data, pos + 1, 12, end, "date-time")
        header = bytes(data[pos + 1 : pos + 13])
        pos += 13
    elif marker == 0x09:
        _need(data, pos + 1, 1, end, "date-time length")
        if data[pos + 1] != 0x0C:
            raise ApduError(f"date-time octet-string of length {data[pos + 1]} (expected 12)", pos + 1)
        _need(data, pos + 2, 12, end, "date-time")
        header = bytes(data[pos + 2 : pos + 14])
        pos += 14
    else:
        raise ApduError(f"bad date-time field 0x{marker:02X} (expected 00, 0C or 09 0C)", pos)
    body_pos = pos
    try:
        btag, bval, pos = _read_value(data, pos, end, 0)
    except ApduError:
        compact = translate(bytes(data[body_pos:end]))  # bare descriptors (XT211), else the error
        if compact is None:
            raise
        btag, bval, pos = _read_value(compact, 0, len(compact), 0)
        pos = end
    if pos != end:
        raise ApduError(f"{end - pos} bytes after the notification body", pos)
    fl = flatten_pushlist(btag, bval)
    layout, elements = fl if fl is not None else _flatten((btag, bval))
    count = len(bval) if btag in (T_ARRAY, T_STRUCT) else 1
    return _resolve(layout, elements, count, profiles, profile, source, tz, header, invoke_id, address, body_pos)


def _decode_plain(plain: bytes, ctx: tuple[DecoderCore, int, tuple[int, int, int] | None]) -> Frame:
    dc, src, address = ctx
    return _decode_info(plain, 0, len(plain), dc.profiles, dc.profile, src, dc.tz, address, False)
