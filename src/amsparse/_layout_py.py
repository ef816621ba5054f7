"""The twin's layout detection (the compiled core's ``_layout_c.pxi``): the
notification body flattened to elements, the list version, the profile
choice, generic names and scaling.
"""

from __future__ import annotations

from typing import Any

from ._profiles import CompiledProfile, ProfileSet
from ._spec import (
    LAYOUT_OBIS,
    LAYOUT_POSITIONAL,
    T_ARRAY,
    T_ENUM,
    T_I8,
    T_NULL,
    T_OCTETS,
    T_STRUCT,
    T_UTF8,
    T_VISIBLE,
)

__all__ = ["_as_text", "_choose_profile", "_flatten", "_generic_name", "_is_obis", "_list_version", "_scale"]


def _is_obis(item: tuple[int, Any]) -> bool:
    return item[0] == T_OCTETS and len(item[1]) == 6


def _flatten(body: tuple[int, Any]) -> tuple[int, list[tuple[int, int, Any, int | None, int | None]]]:
    """Normalise the notification body.

    Returns ``(layout, elements)``; each element is
    ``(obis_or_-1, tag, value, scaler_or_None, unit_or_None)``.

    * array/structure of structures ``{obis, value[, {scaler, unit}]}`` (Aidon,
      Landis+Gyr, most OBIS-coded meters) → OBIS layout;
    * a flat structure of ``obis, value`` pairs, optionally after one bare
      leading value (Kamstrup's version string; Kaifa SE) → OBIS layout; a
      null in an OBIS slot (Kamstrup 1-phase padding) drops its pair;
    * anything else → positional (bare values, named by the profile).
    """
    tag, val = body
    if tag not in (T_ARRAY, T_STRUCT):
        return LAYOUT_POSITIONAL, [(-1, tag, val, None, None)]
    items = val
    n = len(items)
    if n and all(t == T_STRUCT and len(v) >= 2 and _is_obis(v[0]) for t, v in items):
        out = []
        for _, v in items:
            obis = int.from_bytes(v[0][1], "big")
            vt, vv = v[1]
            scaler = unit = None
            if len(v) >= 3:
                st, sv = v[2]
                if (
                    st == T_STRUCT and len(sv) == 2 and sv[0][0] == T_I8 and sv[1][0] == T_ENUM
                ):
                    scaler, unit = sv[0][1], sv[1][1]
            out.append((obis, vt, vv, scaler, unit))
        return LAYOUT_OBIS, out
    for start in (0, 1):
        rest = n - start
        if rest < 2 or rest % 2:
            continue
        slots = items[start::2]
        if all(_is_obis(s) or s[0] == T_NULL for s in slots) and any(_is_obis(s) for s in slots):
            out = []
            if start:
                t, v = items[0]
                out.append((-1, t, v, None, None))
            for i in range(start, n, 2):
                ot, ov = items[i]
                if ot == T_NULL:
                    continue  # padding (Kamstrup 1-phase sends null, null)
                vt, vv = items[i + 1]
                out.append((int.from_bytes(ov, "big"), vt, vv, None, None))
            return LAYOUT_OBIS, out
    return LAYOUT_POSITIONAL, [(-1, t, v, None, None) for t, v in items]


_VERSION_CDE = (0 << 16) | (2 << 8) | 129  # x-x:0.2.129.x


def _as_text(tag: int, value: Any) -> str | None:
    if tag == T_VISIBLE or tag == T_UTF8:
        return value  # type: ignore[no-any-return]
    if tag == T_OCTETS:
        return value.decode("latin-1")  # type: ignore[no-any-return]
    return None


def _list_version(layout: int, elements: list[Any]) -> str | None:
    if layout == LAYOUT_OBIS:
        for obis, tag, value, _, _ in elements:
            if obis >= 0 and (obis >> 8) & 0xFFFFFF == _VERSION_CDE:
                return _as_text(tag, value)
        obis, tag, value, _, _ = elements[0]
        if obis < 0:  # Kamstrup: bare leading version string
            return _as_text(tag, value)
        return None
    if len(elements) > 1:
        _, tag, value, _, _ = elements[0]
        return _as_text(tag, value)
    return None


def _choose_profile(
    profiles: ProfileSet,
    layout: int,
    count: int,
    version: str | None,
    source: int,
    profile: CompiledProfile | None,
) -> CompiledProfile | None:
    if profile is not None:
        return profile
    if version is not None:
        cands = profiles.by_version.get(version, ())
        for p in cands:  # a profile that lists this element count first (Kamstrup DK vs NO)
            if p.layout == layout and count in p.lists:
                return p
        for p in cands:
            if p.layout == layout and layout == LAYOUT_OBIS:
                return p
    if source >= 0:
        for p in profiles.profiles:
            if p.layout == layout and source in p.hdlc_sources and count in p.lists:
                return p
    return None


def _generic_name(obis: int) -> str:
    return "obis_" + "_".join(str(b) for b in obis.to_bytes(6, "big"))


def _scale(raw: Any, scaler: int) -> Any:
    if scaler == 0 or isinstance(raw, bool):
        return raw
    if scaler > 0:
        return raw * 10**scaler
    return raw / 10 ** (-scaler)
