"""Option validation shared by both backends and every entry point.

``decode_frame``, ``decode_apdu`` (both backends), :class:`StreamDecoder` and
``decode_batch`` check their options here, before any byte is decoded, so a
bad option fails the call (or the construction) with the same error whichever
backend runs, instead of failing every frame later (issue 11, F10/F11):

* ``profiles``: ``None`` (the built-in set) or a :class:`ProfileSet`, else
  ``TypeError``;
* ``profile``: ``None``, a profile id of that set (else ``ValueError`` "no
  profile with id ...") or a :class:`CompiledProfile`, else ``TypeError``;
* ``tz``: ``None`` or an IANA zone name (``str``, else ``TypeError``); a name
  the time-zone database does not have, or a malformed one, raises
  ``zoneinfo.ZoneInfoNotFoundError`` (a ``KeyError``; its message reads
  "unknown time zone 'Mars/Olympus' ...", without the quotes of a KeyError);
* sizes (``max_frame_size``, ``max_apdu_size``, ``max_columns``): ``int``
  (not ``bool``, not ``float``: ``TypeError``) at or above a minimum
  (``ValueError``).
"""

from __future__ import annotations

from typing import Any

from ._profiles import CompiledProfile, ProfileSet, builtin_profiles

__all__ = ["MAX_APDU_INPUT", "check_size", "check_tz", "prepare"]

#: the largest input ``decode_apdu`` takes (bytes); larger is an ``ApduError``.
#: DLMS negotiates PDU sizes in 16 bits, and HDLC frames hold at most 2049 bytes,
#: so no meter sends more; the bound keeps one call's memory bounded (A-XDR
#: decodes to objects, ~50 times the input).  StreamDecoder's max_apdu_size
#: defaults to the same value.
MAX_APDU_INPUT = 65536


def prepare(profiles: Any, profile: Any, tz: Any) -> tuple[ProfileSet, CompiledProfile | None]:
    """Validate the decoding options; return the profile set and the forced
    profile (``None`` for automatic matching)."""
    if profiles is None:
        ps = builtin_profiles()
    elif isinstance(profiles, ProfileSet):
        ps = profiles
    else:
        raise TypeError(
            f"profiles must be a ProfileSet (load_profiles(), builtin_profiles()) or None, "
            f"got {type(profiles).__name__}"
        )
    prof: CompiledProfile | None
    if profile is None:
        prof = None
    elif isinstance(profile, str):
        try:
            prof = ps[profile]
        except KeyError:
            raise ValueError(
                f"no profile with id {profile!r} (have: {', '.join(p.id for p in ps)})"
            ) from None
    elif isinstance(profile, CompiledProfile):
        prof = profile
    else:
        raise TypeError(f"profile must be a profile id (str), a CompiledProfile or None, got {type(profile).__name__}")
    check_tz(tz)
    return ps, prof


def check_tz(tz: Any) -> None:
    if tz is None:
        return
    if type(tz) is not str:
        raise TypeError(f"tz must be an IANA time zone name (str) or None, got {type(tz).__name__}")
    from ._clock import get_zone

    try:
        get_zone(tz)
    except Exception:  # zoneinfo's ZoneInfoNotFoundError, ValueError for a malformed key, OSError...
        raise UnknownZoneError(
            f"unknown time zone {tz!r} (an IANA name such as 'Europe/Oslo' or 'UTC')"
        ) from None


def _unknown_zone_error() -> type:
    from zoneinfo import ZoneInfoNotFoundError

    class UnknownZoneError(ZoneInfoNotFoundError):
        """A ``tz=`` the time-zone database does not know (a
        ``zoneinfo.ZoneInfoNotFoundError``, so a ``KeyError``) whose message
        prints as a sentence, not as a quoted key."""

        def __str__(self) -> str:
            return str(self.args[0]) if self.args else "unknown time zone"

    UnknownZoneError.__module__ = __name__
    UnknownZoneError.__qualname__ = "UnknownZoneError"
    return UnknownZoneError


UnknownZoneError = _unknown_zone_error()


def check_size(name: str, value: Any, minimum: int) -> int:
    if type(value) is not int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)
