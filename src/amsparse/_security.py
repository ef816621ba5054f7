"""The DLMS security layer: general-glo-ciphering (0xDB) and general-ded-ciphering
(0xDC) APDUs, AES-128-GCM, shared by both backends.

Wire format (DLMS Green Book, security suites 0 and 1)::

    DB | 08 | system title (8) | length (A-XDR) | SC (1) | IC (4) | ciphertext | tag (12)?

``SC`` is the security control byte: bits 0-3 suite id, bit 4 authentication,
bit 5 encryption, bit 6 key set, bit 7 compression.  IV = system title ‖
invocation counter.  With authentication the 12-byte tag covers AAD = SC ‖ AK
(‖ the plaintext when it is not encrypted).

AES comes from ``cryptography`` (the ``amsparse[crypto]`` extra), imported on
first use only.  One ``AESGCM`` object is kept per key (on its :class:`Keys`),
and both jobs go through its one-shot ``encrypt`` call, which costs ~2-3 us:

* GCM's keystream is AES-CTR from counter block IV ‖ 00000002, and
  ``AESGCM.encrypt(iv, c, None)`` returns ``c`` xor that keystream followed by
  a tag: the first ``len(c)`` bytes are the plaintext;
* the tag of a message is a function of (key, IV, AAD, ciphertext), and
  encrypting the plaintext again with the AAD gives that ciphertext and its
  16-byte tag, whose first 12 bytes must equal the frame's tag.

(Building a ``Cipher(AES, GCM(iv, tag, min_tag_length=12))`` per frame costs
~50 us, which is why that API is not used.)

No key is ever part of a message, a ``repr`` or a log line.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Any, NamedTuple

from ._axdr import read_length
from ._errors import DecryptionError, KeyRequiredError, UnsupportedApduError

__all__ = ["KeyRing", "Keys", "Security", "keyring", "manufacturer", "unwrap_ciphered"]

CRYPTO_HINT = 'install the optional AES support: pip install "amsparse[crypto]"'
TAG_LEN = 12
MAX_KEYS_PER_CALL = 1 << 16


class Security(NamedTuple):
    """How a ciphered push arrived (``Frame.security``).

    ``authenticated`` is True only when the 12-byte GCM tag was checked with an
    authentication key and matched; a frame decrypted with the encryption key
    alone says False even if it carried a tag.
    """

    system_title: bytes
    invocation_counter: int
    encrypted: bool
    authenticated: bool
    security_control: int

    @property
    def manufacturer(self) -> str | None:
        """The FLAG manufacturer id in the system title (``"KFM"``, ``"LGZ"``...)."""
        return manufacturer(self.system_title)

    def __repr__(self) -> str:
        return (
            f"Security(system_title={self.system_title.hex()!r}, "
            f"invocation_counter={self.invocation_counter}, encrypted={self.encrypted}, "
            f"authenticated={self.authenticated}, security_control=0x{self.security_control:02X})"
        )


def _key_bytes(value: Any, what: str, size: int) -> bytes:
    if isinstance(value, str):
        text = value.strip().replace(" ", "").replace(":", "")
        if text[:2].lower() == "0x":
            text = text[2:]
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise ValueError(f"{what} is not hex text") from None
    elif isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
    else:
        raise TypeError(f"{what} must be bytes or hex text, not {type(value).__name__}")
    if len(raw) != size:
        raise ValueError(f"{what} must be {size} bytes, got {len(raw)}")
    return raw


class Keys:
    """The keys of one meter (or of any meter when ``system_title`` is None).

    ``encryption_key`` (the "EK", "GUEK" or "key" of a grid company's letter)
    and ``authentication_key`` ("AK", "GAK") are 16 bytes, as bytes or hex text;
    ``system_title`` (8 bytes) restricts them to one meter.  The keys are never
    shown: ``repr(Keys(...))`` names only the system title and whether an
    authentication key is set.
    """

    __slots__ = ("_ek", "_ak", "system_title", "_aead", "_ring")

    def __init__(
        self,
        encryption_key: bytes | bytearray | memoryview | str,
        authentication_key: bytes | str | None = None,
        system_title: bytes | str | None = None,
    ) -> None:
        self._ek = _key_bytes(encryption_key, "encryption_key", 16)
        self._ak = None if authentication_key is None else _key_bytes(authentication_key, "authentication_key", 16)
        self.system_title = None if system_title is None else _key_bytes(system_title, "system_title", 8)
        self._aead: Any = None
        self._ring: KeyRing | None = None

    @property
    def has_authentication_key(self) -> bool:
        return self._ak is not None

    def __repr__(self) -> str:
        title = "any" if self.system_title is None else self.system_title.hex()
        return f"<Keys system_title={title} authentication_key={'set' if self._ak else 'none'}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Keys):
            return NotImplemented
        return (self._ek, self._ak, self.system_title) == (other._ek, other._ak, other.system_title)

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:  # multiprocessing workers get the keys (never printed)
        return (Keys, (self._ek, self._ak, self.system_title))

    def _cipher(self) -> Any:
        aead = self._aead
        if aead is None:
            try:
                from cryptography.hazmat.primitives.ciphers.aead import AESGCM
            except ImportError:
                raise UnsupportedApduError(
                    f"this push is ciphered and AES is not available; {CRYPTO_HINT}", 0xDB
                ) from None
            aead = self._aead = AESGCM(self._ek)
        return aead


class KeyRing:
    """Keys looked up by system title; a :class:`Keys` without a title is the
    fallback for any meter."""

    __slots__ = ("by_title", "default")

    def __init__(self, keys: Iterable[Keys]) -> None:
        self.by_title: dict[bytes, Keys] = {}
        self.default: Keys | None = None
        for k in keys:
            if not isinstance(k, Keys):
                raise TypeError(f"keys must be amsparse.Keys objects, not {type(k).__name__}")
            if k.system_title is None:
                if self.default is None:
                    self.default = k
            else:
                self.by_title.setdefault(k.system_title, k)

    def get(self, title: bytes) -> Keys | None:
        k = self.by_title.get(title)
        return self.default if k is None else k

    def __repr__(self) -> str:
        return f"<KeyRing {len(self.by_title)} meters, default={'yes' if self.default else 'no'}>"


def keyring(keys: Any) -> KeyRing | None:
    """``keys=`` as the public API takes it (None, one Keys, hex text or bytes of
    an encryption key, or an iterable of Keys) as a KeyRing."""
    if keys is None or isinstance(keys, KeyRing):
        return keys
    if isinstance(keys, Keys):
        ring = keys._ring
        if ring is None:
            ring = keys._ring = KeyRing((keys,))
        return ring
    if isinstance(keys, (str, bytes, bytearray, memoryview)):
        return KeyRing((Keys(keys),))
    return KeyRing(keys)


def manufacturer(title: bytes) -> str | None:
    """FLAG id: the system title's first three bytes when they are capital letters."""
    head = title[:3]
    if len(head) == 3 and all(0x41 <= b <= 0x5A for b in head):
        return head.decode("ascii")
    return None


def _title_text(title: bytes) -> str:
    flag = manufacturer(title)
    return f"{title.hex()} ({flag})" if flag else title.hex()


def unwrap_ciphered(
    data: bytes, pos: int, end: int, ring: KeyRing | None, require_auth: bool
) -> tuple[bytes, Security]:
    """The APDU inside the ciphered APDU at ``data[pos:end]`` (which must be
    exactly one), and what its security header said."""
    tag = data[pos]
    kind = "general-glo-ciphering" if tag == 0xDB else "general-ded-ciphering"
    if end - pos < 2:
        raise DecryptionError(f"{kind} APDU ends before its system title", pos + 1)
    if data[pos + 1] != 8:
        raise DecryptionError(f"{kind} system title of length {data[pos + 1]} (8 expected)", pos + 1)
    if end - pos < 11:
        raise DecryptionError(f"{kind} APDU ends inside its system title", end)
    title = bytes(data[pos + 2 : pos + 10])
    p = pos + 10
    got = read_length(data, p, end)
    if got is None:
        raise DecryptionError(f"{kind} APDU has a bad length prefix 0x{data[p]:02X}", p)
    length, p = got
    if length != end - p:
        what = "is cut short" if length > end - p else "is followed by more bytes"
        raise DecryptionError(
            f"{kind} APDU says {length} ciphered bytes, {end - p} present: it {what}", p
        )
    if length < 5:
        raise DecryptionError(f"{kind} APDU of {length} bytes has no room for its security header", p)
    sc = data[p]
    if sc & 0x80:
        raise UnsupportedApduError(f"{kind} with compression (security control 0x{sc:02X}) is not supported", tag, p)
    if sc & 0x0F > 1:
        raise UnsupportedApduError(
            f"{kind} security suite {sc & 0x0F} is not supported (suites 0 and 1: AES-128-GCM)", tag, p
        )
    enc = bool(sc & 0x20)
    auth = bool(sc & 0x10)
    ic_bytes = bytes(data[p + 1 : p + 5])
    ic = int.from_bytes(ic_bytes, "big")
    body = p + 5
    stop = end
    if auth:
        if end - body < TAG_LEN:
            raise DecryptionError(f"{kind} APDU is too short for its {TAG_LEN}-byte authentication tag", body)
        stop = end - TAG_LEN
    key = ring.get(title) if ring is not None else None
    if key is None:
        if enc:
            raise KeyRequiredError(
                f"this push is encrypted and no key was given for its system title {_title_text(title)}: "
                "ask the grid company for the meter's encryption key and pass amsparse.Keys(...) as keys=",
                tag, title, pos + 2,
            )
        if require_auth:
            raise DecryptionError(
                f"push from system title {_title_text(title)} is not authenticated: no key was given "
                "(require_authentication=True)", p)
        return bytes(data[body:stop]), Security(title, ic, False, False, sc)
    aead = key._cipher()
    iv = title + ic_bytes
    ct = bytes(data[body:stop])
    plain = aead.encrypt(iv, ct, None)[: len(ct)] if enc else ct
    authenticated = False
    if auth and key._ak is not None:
        aad = bytes((sc,)) + key._ak
        full = aead.encrypt(iv, plain, aad) if enc else aead.encrypt(iv, b"", aad + ct)
        if not hmac.compare_digest(full[-16:-16 + TAG_LEN], bytes(data[stop:end])):
            raise DecryptionError(
                f"authentication tag of the push from system title {_title_text(title)} does not verify: "
                "wrong encryption or authentication key, or the frame was altered", stop)
        authenticated = True
    if require_auth and not authenticated:
        why = "it carries no authentication tag" if not auth else "no authentication key was given for it"
        raise DecryptionError(
            f"push from system title {_title_text(title)} is not authenticated ({why}; "
            "require_authentication=True)", p)
    return plain, Security(title, ic, enc, authenticated, sc)
