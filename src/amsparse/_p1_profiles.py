"""P1 / DSMR telegram profiles: schema check, compilation, selection.

A P1 profile is data (TOML or JSON under ``vendor_profiles/p1/``, schema in
``docs/p1.md``): which identification lines, version values and OBIS codes
select it, and the canonical name, value type and expected unit of each OBIS
code.  ``tools/gen_builtin_profiles.py`` copies the shipped ones into
``_builtin_profiles.P1_PROFILES`` (parsed), like the DLMS list profiles.

Both telegram decoders (:mod:`amsparse._p1_py` and the compiled
:mod:`amsparse._p1_c`) read the compiled tables and choose a profile through
:meth:`P1ProfileSet.choose`, so they cannot disagree on names or selection.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from ._errors import ProfileError
from ._model import Unit

__all__ = ["P1Profile", "P1ProfileSet", "builtin_p1_profiles", "compile_p1_profile", "load_p1_profiles"]

# value kinds of a profile object
P1_AUTO = 0   # by syntax: number (with unit), timestamp, text, timed value, log
P1_TEXT = 1   # the text as sent
P1_HEX = 2    # hex-encoded text (equipment ids, messages): decoded when printable
_KINDS = {"auto": P1_AUTO, "text": P1_TEXT, "hex": P1_HEX}

#: M-Bus channels a ``0-n:`` object expands to
MBUS_CHANNELS = (1, 2, 3, 4)

_OBIS_RE = re.compile(r"^(\d{1,3})-(\d{1,3}|n):(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:[.*](\d{1,3}))?$")
_NAME_OK = set("abcdefghijklmnopqrstuvwxyz0123456789_{}")
_TOP_KEYS = {"schema", "id", "vendor", "description", "country", "timezone", "base", "priority",
             "auto", "sources", "notes", "format", "detect", "objects"}


def _obis_int(a: int, b: int, c: int, d: int, e: int, f: int) -> int:
    return (a << 40) | (b << 32) | (c << 24) | (d << 16) | (e << 8) | f


def parse_p1_obis(text: str, src: str, key: str) -> list[tuple[int, int | None]]:
    """``"1-0:1.8.1"`` -> [(int, None)]; ``"0-n:24.2.1"`` -> one per channel."""
    m = _OBIS_RE.match(text) if isinstance(text, str) else None
    if m is None:
        raise ProfileError(f"not a P1 OBIS code (A-B:C.D.E, B may be 'n'): {text!r}", src, key)
    a, b, c, d, e, f = m.groups()
    nums = [int(a), int(c), int(d), int(e), 255 if f is None else int(f)]
    if any(x > 255 for x in nums) or (b != "n" and int(b) > 255):
        raise ProfileError(f"OBIS group out of range 0..255: {text!r}", src, key)
    if b == "n":
        return [(_obis_int(nums[0], ch, *nums[1:]), ch) for ch in MBUS_CHANNELS]
    return [(_obis_int(nums[0], int(b), *nums[1:]), None)]


class P1Profile:
    """A validated P1 profile compiled into lookup tables.

    Object ``i`` is ``names[i]`` (``time_names[i]`` for its timestamp, when it
    is a timed value), ``obis[i]`` (48-bit int, F = 255 unless given),
    ``kinds[i]`` and ``units[i]`` (the DLMS unit the value must have, ``-1``
    for any).
    """

    __slots__ = ("id", "vendor", "description", "country", "timezone", "priority", "auto",
                 "ident", "versions", "requires", "crc", "names", "time_names", "obis", "kinds",
                 "units", "by_obis", "source", "data")

    id: str
    vendor: str
    description: str
    country: str | None
    timezone: str
    priority: int
    auto: bool
    ident: tuple[str, ...]
    versions: tuple[str, ...]
    requires: tuple[int, ...]
    crc: bool | None
    names: tuple[str, ...]
    time_names: tuple[str, ...]
    obis: tuple[int, ...]
    kinds: tuple[int, ...]
    units: tuple[int, ...]
    by_obis: dict[int, int]
    source: str
    data: Mapping[str, Any]

    def __repr__(self) -> str:
        return f"<P1Profile {self.id!r} ({self.vendor}) from {self.source}>"

    def matches(self, ident: str, version: str | None, has_crc: bool, codes: frozenset[int]) -> bool:
        """Whether every detection rule the profile states holds."""
        if not self.auto:
            return False
        if self.ident and not ident.startswith(self.ident):
            return False
        if self.versions and version not in self.versions:
            return False
        if self.crc is not None and self.crc != has_crc:
            return False
        return all(c in codes for c in self.requires)


def _str_list(v: Any, src: str, key: str) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise ProfileError("must be a list of strings", src, key)
    return tuple(v)


def compile_p1_profile(
    data: Mapping[str, Any], source: str = "<dict>", bases: Mapping[str, Mapping[str, Any]] | None = None
) -> P1Profile:
    """Validate a parsed P1 profile and compile it.  ``bases`` maps profile ids
    to parsed profiles a ``base = "..."`` key may name (objects are inherited;
    the profile's own objects win)."""
    src = source
    if not isinstance(data, Mapping):
        raise ProfileError("a profile must be a table", src)
    for k in data:
        if k not in _TOP_KEYS:
            raise ProfileError(f"unknown key (allowed: {', '.join(sorted(_TOP_KEYS))})", src, k)
    if data.get("schema") != 1:
        raise ProfileError("schema must be 1", src, "schema")
    if data.get("format", "p1") != "p1":
        raise ProfileError("format must be \"p1\"", src, "format")
    p = P1Profile()
    for key in ("id", "vendor", "timezone"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise ProfileError("required string is missing", src, key)
    p.id = data["id"]
    p.vendor = data["vendor"]
    p.description = data.get("description", "")
    p.country = data.get("country")
    p.timezone = data["timezone"]
    from ._profiles import _check_zone

    _check_zone(p.timezone, src, "timezone")
    pr = data.get("priority", 0)
    if not isinstance(pr, int) or isinstance(pr, bool):
        raise ProfileError("must be an integer", src, "priority")
    p.priority = pr
    auto = data.get("auto", True)
    if not isinstance(auto, bool):
        raise ProfileError("must be true or false", src, "auto")
    p.auto = auto
    detect = data.get("detect", {})
    if not isinstance(detect, Mapping):
        raise ProfileError("must be a table", src, "detect")
    for k in detect:
        if k not in ("ident", "version", "requires", "crc"):
            raise ProfileError("unknown key (allowed: crc, ident, requires, version)", src, f"detect.{k}")
    p.ident = _str_list(detect.get("ident", []), src, "detect.ident")
    p.versions = _str_list(detect.get("version", []), src, "detect.version")
    reqs: list[int] = []
    for i, t in enumerate(_str_list(detect.get("requires", []), src, "detect.requires")):
        codes = parse_p1_obis(t, src, f"detect.requires[{i}]")
        if len(codes) != 1:
            raise ProfileError("a required code names one channel", src, f"detect.requires[{i}]")
        reqs.append(codes[0][0])
    p.requires = tuple(reqs)
    crc = detect.get("crc")
    if crc is not None and not isinstance(crc, bool):
        raise ProfileError("must be true or false", src, "detect.crc")
    p.crc = crc

    objects: dict[str, Any] = {}
    own = data.get("objects", {})
    if not isinstance(own, Mapping):
        raise ProfileError("must be a table", src, "objects")
    base = data.get("base")
    if base is not None:
        if bases is None or base not in bases:
            raise ProfileError(f"unknown base profile {base!r}", src, "base")
        # inherited objects, except those the profile redefines (by name or OBIS code)
        own_codes = {o.get("obis") for o in own.values() if isinstance(o, Mapping)}
        for name, spec in bases[base].get("objects", {}).items():
            if name not in own and spec.get("obis") not in own_codes:
                objects[name] = spec
    objects.update(own)

    names: list[str] = []
    time_names: list[str] = []
    obis: list[int] = []
    kinds: list[int] = []
    units: list[int] = []
    by_obis: dict[int, int] = {}
    for name, spec in objects.items():
        key = f"objects.{name}"
        if not set(name) <= _NAME_OK or not name or not name[0].isalpha():
            raise ProfileError("names are lower-case snake_case ({n} for the M-Bus channel)", src, key)
        if not isinstance(spec, Mapping):
            raise ProfileError("must be a table", src, key)
        for k in spec:
            if k not in ("obis", "type", "unit", "time"):
                raise ProfileError("unknown key (allowed: obis, time, type, unit)", src, f"{key}.{k}")
        kind = _KINDS.get(spec.get("type", "auto"))
        if kind is None:
            raise ProfileError("type must be auto, text or hex", src, f"{key}.type")
        unit = -1
        if "unit" in spec:
            try:
                unit = int(Unit.from_symbol(spec["unit"]))
            except (ValueError, TypeError):
                raise ProfileError(f"unknown unit {spec['unit']!r}", src, f"{key}.unit") from None
        tname = spec.get("time", name + "_time")
        if not isinstance(tname, str) or not set(tname) <= _NAME_OK:
            raise ProfileError("must be a snake_case name", src, f"{key}.time")
        codes = parse_p1_obis(spec.get("obis"), src, f"{key}.obis")  # type: ignore[arg-type]
        templated = "{n}" in name
        if templated != (codes[0][1] is not None):
            raise ProfileError("a '0-n:' code needs a name with '{n}' and the reverse", src, key)
        for code, ch in codes:
            if code in by_obis:
                raise ProfileError(f"OBIS code also used by {names[by_obis[code]]!r}", src, f"{key}.obis")
            by_obis[code] = len(names)
            names.append(name.replace("{n}", str(ch)) if ch is not None else name)
            time_names.append(tname.replace("{n}", str(ch)) if ch is not None else tname)
            obis.append(code)
            kinds.append(kind)
            units.append(unit)
    p.names = tuple(names)
    p.time_names = tuple(time_names)
    p.obis = tuple(obis)
    p.kinds = tuple(kinds)
    p.units = tuple(units)
    p.by_obis = by_obis
    p.source = source
    p.data = data
    return p


class P1ProfileSet:
    """P1 profiles in selection order (higher ``priority`` first, then load
    order) plus the generic table (``p1-generic``) for telegrams none claims."""

    __slots__ = ("profiles", "by_id", "generic", "_cache")

    generic: P1Profile

    def __init__(self, profiles: Sequence[P1Profile], generic: P1Profile | None = None) -> None:
        seen: dict[str, P1Profile] = {}
        for p in profiles:
            if p.id == "p1-generic":
                generic = generic or p
                continue
            seen.setdefault(p.id, p)  # first one wins (user profiles shadow built-ins)
        if generic is None:
            generic = builtin_p1_profiles().generic
        order = list(seen.values())
        self.profiles = tuple(sorted(order, key=lambda p: -p.priority))  # stable: load order
        self.by_id = seen
        self.generic = generic
        self._cache: dict[tuple[Any, ...], P1Profile] = {}

    def __iter__(self) -> Iterator[P1Profile]:
        return iter(self.profiles)

    def __len__(self) -> int:
        return len(self.profiles)

    def __getitem__(self, profile_id: str) -> P1Profile:
        if profile_id == "p1-generic":
            return self.generic
        return self.by_id[profile_id]

    def __repr__(self) -> str:
        return f"<P1ProfileSet {[p.id for p in self.profiles]}>"

    def choose(self, ident: str, version: str | None, has_crc: bool, codes: tuple[int, ...]) -> P1Profile:
        """The first profile whose detection rules all hold, else the generic one."""
        key = (ident, version, has_crc, codes)
        p = self._cache.get(key)
        if p is None:
            found = frozenset(codes)
            p = next((q for q in self.profiles if q.matches(ident, version, has_crc, found)), self.generic)
            if len(self._cache) > 256:  # bounded: meters send the same shape every time
                self._cache.clear()
            self._cache[key] = p
        return p


def _compile_all(entries: Iterable[tuple[str, Mapping[str, Any]]], extra_bases: Mapping[str, Mapping[str, Any]] | None = None) -> list[P1Profile]:
    entries = list(entries)
    bases: dict[str, Mapping[str, Any]] = dict(extra_bases or {})
    for _, d in entries:
        if isinstance(d, Mapping) and isinstance(d.get("id"), str):
            bases.setdefault(d["id"], d)
    return [compile_p1_profile(d, src, bases) for src, d in entries]


_BUILTIN: P1ProfileSet | None = None


def builtin_p1_profiles() -> P1ProfileSet:
    """The P1 profiles shipped with amsparse (compiled once, then cached)."""
    global _BUILTIN
    if _BUILTIN is None:
        from ._builtin_profiles import P1_PROFILES

        compiled = _compile_all((f"<builtin>/{path}", d) for path, d in P1_PROFILES)
        generic = next(p for p in compiled if p.id == "p1-generic")
        _BUILTIN = P1ProfileSet(compiled, generic)
    return _BUILTIN


def load_p1_profiles(*paths: str | os.PathLike[str], include_builtin: bool = True) -> P1ProfileSet:
    """Load P1 profile files (``.toml``/``.json``) or folders of them; they come
    before the built-in ones, and may name a built-in profile as ``base``."""
    from ._profiles import _profile_files, _read_file

    entries = []
    for path in paths:
        folder = Path(path).is_dir()
        for f in _profile_files(Path(path)):
            data = _read_file(f)
            if folder and (not isinstance(data, Mapping) or data.get("format") != "p1"):
                continue  # DLMS list profiles in the same folder (load_profiles)
            entries.append((str(f), data))
    from ._builtin_profiles import P1_PROFILES

    compiled = _compile_all(entries, {str(d["id"]): d for _, d in P1_PROFILES})
    base = builtin_p1_profiles()
    generic = next((p for p in compiled if p.id == "p1-generic"), base.generic)
    if include_builtin:
        compiled.extend(base.profiles)
    return P1ProfileSet(compiled, generic)
