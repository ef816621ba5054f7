"""The amsparse exception tree, shared by both backends.

Both the Cython core and the pure-Python twin raise these exact classes, so a
test can compare ``type(exc)`` across backends.  Every error raised because of
*input bytes* is a :class:`DecodeError` (also a :class:`ValueError`); errors in
*configuration* (a broken vendor profile) are :class:`ProfileError`.

::

    AmsparseError
    ├── DecodeError (ValueError)          .offset
    │   ├── FrameError                    HDLC flags, format, length, addresses
    │   │   ├── ChecksumError             .kind ("HCS"/"FCS"), .expected, .found
    │   │   ├── IncompleteFrameError (EOFError)   .needed
    │   │   └── SegmentedFrameError       frame is one segment of a longer APDU
    │   ├── ApduError                     LLC, DLMS APDU, A-XDR structure
    │   │   ├── UnsupportedApduError      APDUs this version does not decode
    │   │   │   └── KeyRequiredError      ciphered, no key for its system title
    │   │   ├── DecryptionError           wrong key, bad tag, bad lengths
    │   │   └── BlockTransferError        general-block-transfer blocks missing/out of order
    │   ├── ReplayError                   invocation counter did not grow (StreamDecoder)
    │   ├── ProfileMismatchError          no profile fits a value-only (positional) list
    │   ├── UnexpectedError               any other exception from one frame (stream/batch)
    │   └── TelegramError                 a P1 / DSMR telegram's text is malformed
    └── ProfileError                      a vendor profile file is broken: .source, .key
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AmsparseError",
    "ApduError",
    "BlockTransferError",
    "ChecksumError",
    "DecodeError",
    "DecryptionError",
    "FrameError",
    "IncompleteFrameError",
    "KeyRequiredError",
    "ProfileError",
    "ProfileMismatchError",
    "ReplayError",
    "SegmentedFrameError",
    "UnexpectedError",
    "TelegramError",
    "UnsupportedApduError",
]


class AmsparseError(Exception):
    """Root of every exception amsparse raises on purpose."""


class DecodeError(AmsparseError, ValueError):
    """The input bytes are not a frame amsparse can decode.

    ``offset`` is the byte offset (into the bytes given to the decoder) where
    the problem was found, or ``None`` when it concerns the frame as a whole.
    """

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.offset = offset

    def __eq__(self, other: object) -> bool:  # lets tests compare twins' errors
        return (
            type(self) is type(other)
            and self.args == other.args
            and self.offset == other.offset
        )

    def __hash__(self) -> int:
        return hash((type(self), self.args, self.offset))

    def __reduce__(self) -> tuple[Any, ...]:  # pickling keeps the offset (multiprocessing users)
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: Any, args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    obj = cls.__new__(cls)
    Exception.__init__(obj, *args)
    obj.__dict__.update(state)
    return obj


class FrameError(DecodeError):
    """The HDLC link layer is wrong: flags, format type, length or addresses."""


class ChecksumError(FrameError):
    """A frame checksum does not match.

    ``kind`` is ``"HCS"`` (header check sequence) or ``"FCS"`` (frame check
    sequence); ``expected`` is the CRC computed over the bytes, ``found`` the
    value the frame carries.
    """

    def __init__(self, kind: str, expected: int, found: int, offset: int | None = None) -> None:
        super().__init__(
            f"{kind} mismatch: computed 0x{expected:04X}, frame carries 0x{found:04X}", offset
        )
        self.kind = kind
        self.expected = expected
        self.found = found


class IncompleteFrameError(FrameError, EOFError):
    """The bytes end before the frame does; ``needed`` more bytes were expected."""

    def __init__(self, message: str, needed: int, offset: int | None = None) -> None:
        super().__init__(message, offset)
        self.needed = needed


class SegmentedFrameError(FrameError):
    """The frame has the HDLC segmentation bit set: it is one piece of a longer
    APDU.  Feed the pieces to :class:`amsparse.StreamDecoder` (or pass them all to
    :func:`amsparse.decode_segments`) to have them reassembled."""


class ApduError(DecodeError):
    """The LLC header, the DLMS APDU or the A-XDR data inside it is malformed."""


class UnsupportedApduError(ApduError):
    """A well-formed APDU of a kind this version does not decode (for example
    general-glo-ciphering, i.e. an encrypted frame).  ``tag`` is the APDU tag."""

    def __init__(self, message: str, tag: int, offset: int | None = None) -> None:
        super().__init__(message, offset)
        self.tag = tag


class KeyRequiredError(UnsupportedApduError):
    """A ciphered APDU (general-glo/ded-ciphering) arrived and no key was given
    for its system title.  ``system_title`` is the 8-byte title as sent; the
    message names it in hex with its FLAG manufacturer id (e.g. ``KFM``), which
    is what a grid company needs to look up the meter's key."""

    def __init__(self, message: str, tag: int, system_title: bytes, offset: int | None = None) -> None:
        super().__init__(message, tag, offset)
        self.system_title = system_title


class DecryptionError(ApduError):
    """A ciphered APDU could not be decrypted into a well-formed APDU: wrong
    key, a forged or truncated authentication tag, impossible lengths.  No
    value from such a frame is ever returned, and no key is ever quoted."""


class BlockTransferError(ApduError):
    """General-block-transfer blocks do not form one message: a block is
    missing, repeated or out of order, or the message is cut short.  The whole
    message is rejected, never decoded in part."""


class ReplayError(DecodeError):
    """A ciphered push's invocation counter did not grow for its system title
    (``StreamDecoder(replay_guard=True)``): the frame is a replay or stale."""


class ProfileMismatchError(DecodeError):
    """A value-only (positional) list arrived that no loaded profile describes.

    Positional lists carry no OBIS codes, so without a profile the values cannot
    be named.  ``list_version`` and ``element_count`` say what arrived; write a
    profile for it (see ``docs/profiles.md``) and load it with
    :func:`amsparse.load_profiles`.
    """

    def __init__(
        self, message: str, list_version: str | None, element_count: int, offset: int | None = None
    ) -> None:
        super().__init__(message, offset)
        self.list_version = list_version
        self.element_count = element_count


class UnexpectedError(DecodeError):
    """Decoding one frame raised something that is not a :class:`DecodeError`
    (a bug, or a configuration the decoder could not use).  The stream and
    batch paths turn it into that frame's rejection instead of ending the
    stream; ``cause`` (also ``__cause__``) is the original exception, without
    its traceback."""

    def __init__(self, message: str, cause: BaseException | None = None, offset: int | None = None) -> None:
        super().__init__(message, offset)
        self.cause = cause
        self.__cause__ = cause

    def __reduce__(self) -> tuple[Any, ...]:  # the cause may not pickle; its text is in the message
        state = dict(self.__dict__)
        state["cause"] = None
        return (_rebuild, (type(self), self.args, state))


def detach(e: BaseException) -> BaseException:
    """Drop what a stored exception would otherwise keep alive: its traceback
    (and with it every frame's locals) and the exception it was raised while
    handling.  ``__cause__`` is kept, also without traceback.  Returns ``e``."""
    e.__traceback__ = None
    e.__context__ = None
    c = e.__cause__
    if c is not None:
        c.__traceback__ = None
        c.__context__ = None
    return e


def as_decode_error(e: BaseException) -> DecodeError:
    """``e`` itself when it is a :class:`DecodeError`, else an
    :class:`UnexpectedError` wrapping it; either way without traceback."""
    if isinstance(e, DecodeError):
        return detach(e)  # type: ignore[return-value]
    detach(e)
    err = UnexpectedError(
        f"unexpected {type(e).__name__} while decoding this frame: {e}", e, None
    )
    return err


class TelegramError(DecodeError):
    """A P1 / DSMR (IEC 62056-21) telegram is malformed: no leading ``/``, a
    bad identification line, a malformed OBIS code, unbalanced parentheses,
    non-ASCII bytes, an over-long line, a malformed CRC field, or a value that
    does not fit its object (a power sent in volts).  A CRC that does not match
    is a :class:`ChecksumError` (``kind == "CRC"``), a telegram with no ``!``
    an :class:`IncompleteFrameError`."""


class ProfileError(AmsparseError):
    """A vendor profile is invalid.  ``source`` names the file (or ``<builtin>``)
    and ``key`` the dotted key at fault."""

    def __init__(self, message: str, source: str, key: str | None = None) -> None:
        where = source if key is None else f"{source}: {key}"
        super().__init__(f"{where}: {message}")
        self.source = source
        self.key = key


# A batch row's status code (amsparse._spec.Status) per exception family, most
# specific first (subclasses before their bases).  Here rather than in _batch so
# that the compiled core's table writer can use it without importing upward.
_CODE_OF: list[tuple[type, int]] = [
    (ChecksumError, 1),
    (IncompleteFrameError, 3),
    (SegmentedFrameError, 6),
    (UnsupportedApduError, 5),
    (ProfileMismatchError, 7),
    (UnexpectedError, 9),
    (FrameError, 2),
    (ApduError, 4),
    (DecodeError, 8),
]


def error_code(e: DecodeError) -> int:
    """The status code (:class:`amsparse.Status`) of a row that failed with ``e``."""
    for cls, code in _CODE_OF:
        if isinstance(e, cls):
            return code
    return 8  # pragma: no cover
