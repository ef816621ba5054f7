"""The twin's HDLC framing (the compiled core's ``_hdlc_c.pxi`` and the HDLC
dispatch of ``_apdu_c.pxi``): the type-3 frame header and checksums
(:func:`parse_hdlc`, FCS-16 from :mod:`._crc`), and one HDLC frame to a
:class:`~amsparse.Frame` (plain or through the transports).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._apdu_py import _decode_info, _decode_plain
from ._crc import fcs16
from ._errors import (
    ChecksumError,
    FrameError,
    IncompleteFrameError,
    SegmentedFrameError,
)
from ._model import Frame
from ._transport import WRAPPED_TAGS, decode_wrapped

if TYPE_CHECKING:
    from ._decode_py import DecoderCore

__all__ = ["_decode_hdlc", "_read_address", "fcs16", "parse_hdlc"]


def _read_address(data: bytes, pos: int, limit: int, what: str) -> tuple[int, int]:
    value = 0
    for n in range(4):
        if pos + n >= limit:
            raise FrameError(f"HDLC header ends inside the {what} address", pos + n)
        b = data[pos + n]
        value = (value << 8) | b
        if b & 1:
            if n == 2:
                raise FrameError(f"{what} address is 3 bytes long (1, 2 or 4 allowed)", pos)
            return value, pos + n + 1
    raise FrameError(f"{what} address longer than 4 bytes", pos)


def parse_hdlc(data: bytes) -> tuple[int, int, int, bool, int, int]:
    """Check one flag-delimited HDLC type-3 frame.

    Returns ``(destination, source, control, segmented, info_start, info_end)``
    where ``data[info_start:info_end]`` is the information field.  No byte
    stuffing is undone: 0x7E/0x7D inside the frame are data.
    """
    n = len(data)
    if n < 1:
        raise IncompleteFrameError("empty input", 9, 0)
    if data[0] != 0x7E:
        raise FrameError(f"frame does not start with the 0x7E flag (found 0x{data[0]:02X})", 0)
    if n < 3:
        raise IncompleteFrameError("input ends inside the HDLC format field", 3 - n, n)
    if data[1] & 0xF0 != 0xA0:
        raise FrameError(f"not an HDLC type-3 frame (format type 0x{data[1] >> 4:X}, expected 0xA)", 1)
    segmented = bool(data[1] & 0x08)
    length = ((data[1] & 0x07) << 8) | data[2]
    total = length + 2  # plus opening and closing flags
    if length < 7:
        raise FrameError(f"HDLC length {length} is too short for a frame", 1)
    if n < total:
        raise IncompleteFrameError(
            f"frame is {total} bytes by its length field, only {n} given", total - n, n
        )
    if n > total:
        raise FrameError(f"{n - total} bytes after the end of the frame", total)
    if data[total - 1] != 0x7E:
        raise FrameError(
            f"frame does not end with the 0x7E flag (found 0x{data[total - 1]:02X})", total - 1
        )
    fcs_pos = total - 3  # FCS occupies data[total-3:total-1]
    dest, pos = _read_address(data, 3, fcs_pos, "destination")
    src, pos = _read_address(data, pos, fcs_pos, "source")
    if pos >= fcs_pos:
        raise FrameError("HDLC header ends before the control field", pos)
    control = data[pos]
    pos += 1
    if pos == fcs_pos:
        raise FrameError("frame has no information field", pos)
    if pos + 2 > fcs_pos:
        raise FrameError("frame too short for a header check sequence", pos)
    hcs_calc = fcs16(data, 1, pos)
    hcs_found = data[pos] | (data[pos + 1] << 8)
    if hcs_calc != hcs_found:
        raise ChecksumError("HCS", hcs_calc, hcs_found, pos)
    info_start = pos + 2
    fcs_calc = fcs16(data, 1, fcs_pos)
    fcs_found = data[fcs_pos] | (data[fcs_pos + 1] << 8)
    if fcs_calc != fcs_found:
        raise ChecksumError("FCS", fcs_calc, fcs_found, fcs_pos)
    if info_start == fcs_pos:
        raise FrameError("frame has no information field", info_start)
    return dest, src, control, segmented, info_start, fcs_pos


def _decode_hdlc(data: bytes, dc: DecoderCore, keys: Any = None, require_authentication: bool = False) -> Frame:
    dest, src, control, segmented, start, end = parse_hdlc(data)
    if segmented:
        raise SegmentedFrameError(
            "frame has the HDLC segmentation bit set; it is one piece of a longer APDU", 1
        )
    if end - start > 3 and data[start + 3] in WRAPPED_TAGS and data[start : start + 3] == b"\xe6\xe7\x00":
        return decode_wrapped(data, start + 3, end, keys, require_authentication, _decode_plain,  # type: ignore[no-any-return]
                              (dc, src, (dest, src, control)), True)
    return _decode_info(data, start, end, dc.profiles, dc.profile, src, dc.tz, (dest, src, control), True)
