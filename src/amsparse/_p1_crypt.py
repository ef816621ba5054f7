"""Ciphered P1 telegrams (Luxembourg Smarty and others), shared by both P1 backends.

Some meters send each P1 telegram inside a DLMS general-glo-ciphering frame
instead of as text::

    DB | 08 | system title (8) | length (A-XDR) | SC | IC (4) | ciphertext | tag (12)?

The plaintext is the telegram, ``/`` ... ``!CRC CR LF``.  Everything about the
frame (header, key lookup, AES-128-GCM, tag check, ``require_authentication``,
the errors and their messages) is the DLMS security layer's
(:func:`amsparse._security.unwrap_ciphered`); this module only hands the
plaintext to the backend's telegram decoder and attaches ``Frame.security``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._errors import DecodeError, DecryptionError, TelegramError
from ._security import keyring, unwrap_ciphered

__all__ = ["CIPHERED_TAG", "decode_ciphered"]

#: the first byte of a general-glo-ciphering frame
CIPHERED_TAG = 0xDB


def decode_ciphered(data: bytes, keys: Any, require_auth: bool, decode_plain: Callable[[bytes], Any]) -> Any:
    """Decrypt the general-glo-ciphering frame ``data`` (exactly one) and decode
    its plaintext telegram with ``decode_plain``; the Frame with ``security`` set.

    When the plaintext was decrypted but no tag vouched for it (no
    authentication key, or an encryption-only frame), a plaintext that is not a
    valid telegram (bad CRC included) is reported as a :class:`DecryptionError`:
    a wrong encryption key or an altered frame, not a meter's bad telegram."""
    plain, sec = unwrap_ciphered(data, 0, len(data), keyring(keys), require_auth)
    try:
        if plain[:1] == b"\xdb":
            raise TelegramError("the plaintext of a ciphered telegram is itself ciphered", 0)
        frame = decode_plain(plain)
    except DecryptionError:
        raise
    except DecodeError as exc:
        if sec.encrypted and not sec.authenticated:
            raise DecryptionError(
                f"decrypted telegram from system title {sec.system_title.hex()} is not a valid P1 "
                f"telegram ({exc.args[0] if exc.args else type(exc).__name__}): wrong encryption key, "
                "or the frame was altered (pass the authentication key to check its tag)",
                exc.offset) from None
        raise
    object.__setattr__(frame, "security", sec)
    return frame
