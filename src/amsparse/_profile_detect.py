"""Profile detection rules read from a profile's ``[detect]`` table that need
more than the schema in ``_profiles`` (kept apart so that file stays small).

``first_value_pattern``: a regular expression the first value of a value-only
(positional) list must match in full, read as Latin-1 text from an octet or
visible string.  Used with the list's exact A-XDR ``types``: the two together
say "this list's first value is an Iskraemeco logical device name like
``ISK1030789375606``", a structural fact of the list, not a guess from values.
"""

from __future__ import annotations

import re
from typing import Any

from ._errors import ProfileError
from ._spec import LAYOUT_POSITIONAL

__all__ = ["first_value_matches"]

T_OCTETS = 0x09
T_VISIBLE = 0x0A


def _first_value_pattern(detect: Any, layout: int, src: str) -> "re.Pattern[str] | None":
    text = detect.get("first_value_pattern")
    if text is None:
        return None
    key = "detect.first_value_pattern"
    if not isinstance(text, str) or not text:
        raise ProfileError("must be a non-empty regular expression", src, key)
    if layout != LAYOUT_POSITIONAL:
        raise ProfileError("first_value_pattern is for positional profiles", src, key)
    try:
        return re.compile(text)
    except re.error as e:
        raise ProfileError(f"not a regular expression: {e}", src, key) from None


def first_value_matches(pattern: "re.Pattern[str]", element: tuple[Any, ...]) -> bool:
    """True when the element (``(obis, tag, value, ...)``) is an octet or visible
    string whose Latin-1 text matches ``pattern`` in full."""
    tag, value = element[1], element[2]
    if tag == T_OCTETS and isinstance(value, (bytes, bytearray)):
        text = bytes(value).decode("latin-1")
    elif tag == T_VISIBLE and isinstance(value, str):
        text = value
    else:
        return False
    return pattern.fullmatch(text) is not None
