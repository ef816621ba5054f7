"""Pure-Python reference decoder (the "twin" of the Cython core).

Written to be read: these modules are the oracle the Cython module
``_decode_c`` is tested against, byte for byte and exception type for
exception type.  Change the behaviour here and there together.

This module is the twin's backend (the contract of ``_backend.py``): the
entry points and ``DecoderCore``, as ``_decode_c.pyx`` is the core's.  The
layers below it are modules of their own, one per job, mirroring the core's
included ``.pxi`` files (docs/internals.md).  Pipeline for one frame::

    HDLC (flags, format, addresses, control, HCS, FCS)   -> _hdlc_py.parse_hdlc
    LLC E6 E7 00, DLMS data-notification header          -> _apdu_py._decode_info
    A-XDR body                                           -> _value_py._read_value
    layout detection (OBIS structures / pairs / bare)    -> _layout_py._flatten
    profile matching, naming, scaling, clocks            -> _plan_py._resolve
"""

from __future__ import annotations

import re as _re
from typing import Any

from ._apdu_py import _decode_info, _decode_plain
from ._crc import fcs16
from ._errors import ApduError
from ._hdlc_py import _decode_hdlc, parse_hdlc
from ._hdlc_py import _read_address as _read_address  # the stream layer's header check reads it from here
from ._model import Frame
from ._options import MAX_APDU_INPUT
from ._profiles import CompiledProfile, ProfileSet
from ._spec import MAX_DEPTH
from ._transport import WRAPPED_TAGS, decode_mbus, decode_wrapped

__all__ = [
    "BACKEND", "MAX_DEPTH", "DecoderCore", "TableWriter", "decode_apdu", "decode_frame", "decode_run", "default_core", "fcs16",
    "parse_hdlc", "PARALLEL", "p1_start",
]

BACKEND = "python"
#: decode_batch(threads=) has a GIL-free segment decoder here (the compiled core only)
PARALLEL = False
_P1_START = _re.compile(rb"/[A-Za-z]{3}")


def p1_start(buf: bytes) -> int:
    """Offset of the first ``/`` followed by three ASCII letters (where a P1
    telegram may start), or -1 (the compiled core's ``p1_start``)."""
    m = _P1_START.search(buf)
    return -1 if m is None else m.start()


# CRC-16/X.25 (the HDLC FCS): amsparse._crc (the framing layer)


class DecoderCore:
    """Validated options of one decoder (the twin of ``_decode_c.DecoderCore``;
    see :class:`amsparse.Decoder`).  The twin caches no plans or templates:
    it decodes every frame on the reference path."""

    __slots__ = ("profiles", "profile", "tz", "keys", "require_authentication", "__dict__")

    def __init__(
        self,
        profiles: ProfileSet | None = None,
        *,
        profile: str | CompiledProfile | None = None,
        tz: str | None = None,
        keys: Any = None,
        require_authentication: bool = False,
    ) -> None:
        from ._options import prepare

        self.profiles: ProfileSet
        self.profile: CompiledProfile | None
        self.profiles, self.profile = prepare(profiles, profile, tz)
        self.tz: str | None = tz
        self.keys: Any = keys
        self.require_authentication: bool = bool(require_authentication)

    def decode_frame(self, data: bytes | bytearray | memoryview) -> Frame:
        """Decode exactly one frame (see :func:`amsparse.decode_frame`)."""
        return _decode_one(bytes(data), self, self.keys, self.require_authentication)

    def decode_apdu(self, data: bytes | bytearray | memoryview, source: int = -1) -> Frame:
        """Decode one APDU without HDLC framing (see :func:`amsparse.decode_apdu`)."""
        return _decode_apdu(bytes(data), self, source, self.keys, self.require_authentication)

    def clear_caches(self) -> None:
        """Forget the plans and templates learnt so far (the twin has none)."""

    def cache_info(self) -> dict[str, int]:
        """``{"plans": n, "templates": n}``: the entries cached so far (the twin caches none)."""
        return {"plans": 0, "templates": 0}


_DEFAULT_CORES: dict[tuple[Any, Any, Any], DecoderCore] = {}
_DEFAULT_CORES_MAX = 64


def _default_core(profiles: Any, profile: Any, tz: Any, decoder: Any) -> DecoderCore:
    """The core a module-level call uses (as ``_decode_c._default_core``)."""
    if decoder is not None:
        if not isinstance(decoder, DecoderCore):
            raise TypeError(f"decoder must be an amsparse.Decoder, got {type(decoder).__name__}")
        if profiles is not None or profile is not None or tz is not None:
            raise TypeError("give the options to the Decoder, not beside decoder=")
        return decoder
    key: tuple[Any, Any, Any] | None = (profiles, profile, tz)
    try:
        dc = _DEFAULT_CORES.get(key) if key is not None else None
    except TypeError:  # an unhashable option: let the validation name it
        key, dc = None, None
    if dc is None:
        dc = DecoderCore(profiles, profile=profile, tz=tz)
        if key is not None:
            if len(_DEFAULT_CORES) >= _DEFAULT_CORES_MAX:
                _DEFAULT_CORES.clear()
            _DEFAULT_CORES[key] = dc
    return dc


def default_core(profiles: Any = None, profile: Any = None, tz: Any = None) -> DecoderCore:
    """The core the module-level functions use for these options (validated)."""
    return _default_core(profiles, profile, tz, None)


def _decoder_keys(dc: DecoderCore, keys: Any, require_authentication: bool) -> tuple[Any, bool]:
    if keys is not None or require_authentication:
        raise TypeError("give keys and require_authentication to the Decoder, not beside decoder=")
    return dc.keys, dc.require_authentication



def decode_frame(
    data: bytes | bytearray | memoryview,
    profiles: ProfileSet | None = None,
    *,
    profile: str | CompiledProfile | None = None,
    tz: str | None = None,
    keys: Any = None,
    require_authentication: bool = False,
    decoder: DecoderCore | None = None,
) -> Frame:
    """Decode exactly one flag-delimited HDLC frame (see :func:`amsparse.decode_frame`)."""
    dc = _default_core(profiles, profile, tz, decoder)
    if decoder is not None:
        keys, require_authentication = _decoder_keys(dc, keys, require_authentication)
    return _decode_one(bytes(data), dc, keys, require_authentication)


def _decode_one(data: bytes, dc: DecoderCore, keys: Any, require_authentication: bool) -> Frame:
    """One frame given on its own: an M-Bus message when it starts with 0x68, else an HDLC frame."""
    if data[:1] == b"\x68":  # M-Bus long frame(s) of one message
        return decode_mbus(data, keys, require_authentication, _decode_plain, (dc, -1, None))  # type: ignore[no-any-return]
    return _decode_hdlc(data, dc, keys, require_authentication)



def decode_apdu(
    data: bytes | bytearray | memoryview,
    profiles: ProfileSet | None = None,
    *,
    profile: str | CompiledProfile | None = None,
    tz: str | None = None,
    source: int = -1,
    keys: Any = None,
    require_authentication: bool = False,
    decoder: DecoderCore | None = None,
) -> Frame:
    """Decode a DLMS APDU without HDLC framing; a leading LLC header is optional."""
    dc = _default_core(profiles, profile, tz, decoder)
    if decoder is not None:
        keys, require_authentication = _decoder_keys(dc, keys, require_authentication)
    return _decode_apdu(bytes(data), dc, source, keys, require_authentication)


def _decode_apdu(data: bytes, dc: DecoderCore, source: int, keys: Any, require_authentication: bool) -> Frame:
    if len(data) > MAX_APDU_INPUT:
        raise ApduError(f"APDU of {len(data)} bytes is larger than decode_apdu accepts ({MAX_APDU_INPUT})", None)
    llc = len(data) >= 3 and data[0] == 0xE6 and data[1] == 0xE7 and data[2] == 0x00
    pos = 3 if llc else 0
    if pos < len(data) and data[pos] in WRAPPED_TAGS:
        return decode_wrapped(data, pos, len(data), keys, require_authentication, _decode_plain,  # type: ignore[no-any-return]
                              (dc, source, None))
    return _decode_info(data, 0, len(data), dc.profiles, dc.profile, source, dc.tz, None, llc)


# the twin's table writer and stream run loop (the compiled core has both inside
# _decode_c); imported last: they use the functions above
from ._batch_py import TableWriter  # noqa: E402
from ._run_py import decode_run  # noqa: E402
