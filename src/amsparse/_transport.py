"""Unwrapping transports to a plain APDU before the body walk (both backends).

Each layer lives in its own module: M-Bus long frames (:mod:`._mbus`), General
Block Transfer (:mod:`._gbt`) and the security layer (:mod:`._security`).  This
module strings them together: it turns ciphered and block-transferred APDUs
into the plain APDU the backend's body decoder reads, and attaches
``Frame.security``.  The backends call it only when the APDU tag is one of
:data:`WRAPPED_TAGS` (or the input is M-Bus), so plain HDLC frames never pass
through here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._errors import ApduError, BlockTransferError, DecryptionError, SegmentedFrameError, UnsupportedApduError
from ._gbt import MAX_MESSAGE, BlockAssembler, join_blocks
from ._mbus import join_segments
from ._security import KeyRing, Security, keyring, unwrap_ciphered

__all__ = ["WRAPPED_TAGS", "decode_mbus", "decode_wrapped", "unwrap"]

WRAPPED_TAGS = frozenset((0xDB, 0xDC, 0xE0))
MAX_LAYERS = 4  # GBT inside ciphering inside GBT... real pushes use at most 2


def unwrap(data: bytes, pos: int, end: int, ring: KeyRing | None,
           require_auth: bool) -> tuple[bytes, Security | None]:
    """The plain APDU inside ``data[pos:end]`` and the security it arrived with."""
    sec: Security | None = None
    for _ in range(MAX_LAYERS):
        if pos >= end:
            raise ApduError("APDU is empty", pos)
        tag = data[pos]
        if tag == 0xE0:
            data = join_blocks(data, pos, end)
        elif tag == 0xDB or tag == 0xDC:
            data, s = unwrap_ciphered(data, pos, end, ring, require_auth)
            if sec is None:
                sec = s
        else:
            return bytes(data[pos:end]), sec
        pos, end = 0, len(data)
    raise UnsupportedApduError(f"APDU nested more than {MAX_LAYERS} layers deep", data[pos] if pos < end else 0, pos)


def decode_wrapped(
    data: bytes,
    pos: int,
    end: int,
    keys: Any,
    require_auth: bool,
    decode_plain: Callable[[bytes, Any], Any],
    ctx: Any,
    single_frame: bool = False,
) -> Any:
    """Unwrap ``data[pos:end]`` and decode the plain APDU with
    ``decode_plain(plain, ctx)``; a Frame with ``security`` set."""
    if single_frame and data[pos] == 0xE0:
        message = BlockAssembler(max(MAX_MESSAGE, end - pos)).feed(data, pos, end)
        if message is None:
            raise SegmentedFrameError(
                "frame carries general-block-transfer blocks without the last one; it is one piece "
                "of a longer APDU (feed the frames to amsparse.StreamDecoder)", pos)
        data, pos, end = message, 0, len(message)
    plain, sec = unwrap(data, pos, end, keyring(keys), require_auth)
    try:
        frame = decode_plain(plain, ctx)
    except (DecryptionError, BlockTransferError):
        raise
    except ApduError as exc:
        if sec is not None and sec.encrypted and not sec.authenticated:
            # no tag vouched for these bytes: a malformed plaintext means a wrong key
            raise DecryptionError(
                f"decrypted APDU from system title {sec.system_title.hex()} is not well formed "
                f"({exc.args[0]}): wrong encryption key?", exc.offset) from None
        raise
    if sec is not None:
        object.__setattr__(frame, "security", sec)
    return frame


def decode_mbus(data: bytes, keys: Any, require_auth: bool,
                decode_plain: Callable[[bytes, Any], Any], ctx: Any) -> Any:
    """Decode the complete run of M-Bus long frames ``data`` (one APDU)."""
    apdu = join_segments(data)
    pos = 3 if apdu[:3] == b"\xe6\xe7\x00" else 0
    if pos < len(apdu) and apdu[pos] in WRAPPED_TAGS:
        return decode_wrapped(apdu, pos, len(apdu), keys, require_auth, decode_plain, ctx)
    return decode_plain(apdu[pos:], ctx)
