"""Vendor list profiles: schema check and compilation into lookup tables.

A profile is data (TOML or JSON, schema in ``docs/profiles.md``).  This module
validates one, raising :class:`~amsparse.ProfileError` naming the file and the
key at fault, and compiles it into a :class:`CompiledProfile`: flat tuples and
int-keyed dicts that both decoder backends read directly, so decoding never
formats or parses strings to look an OBIS code up.

The profiles shipped with amsparse live in ``vendor_profiles/`` at the top of
the repository; ``tools/gen_builtin_profiles.py`` copies them (parsed) into
``_builtin_profiles.py`` so that importing amsparse parses no TOML and needs no
TOML library.  A test regenerates that file in memory and fails on drift.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from ._errors import ProfileError
from ._model import ObisCode, Unit
from ._profile_detect import _first_value_pattern
from ._spec import (
    CLOCK_DEVIATION,
    CLOCK_LOCAL,
    CLOCK_STANDARD,
    KIND_BYTES,
    KIND_DATETIME,
    KIND_NUMBER,
    KIND_STRING,
    LAYOUT_OBIS,
    LAYOUT_POSITIONAL,
    LAYOUT_PUSHLIST,
)

__all__ = [
    "CompiledProfile",
    "ProfileSet",
    "builtin_profiles",
    "compile_profile",
    "load_profiles",
]

SCHEMA_VERSION = 1

# layouts (the numbers: amsparse._spec.Layout)
_LAYOUTS = {"obis": LAYOUT_OBIS, "positional": LAYOUT_POSITIONAL, "pushlist": LAYOUT_PUSHLIST}

# A-XDR type names a positional list may declare per field (``types``), for
# auto-detection by structure
AXDR_TYPES = {
    "null": 0x00, "array": 0x01, "struct": 0x02, "bool": 0x03, "bits": 0x04, "i32": 0x05,
    "u32": 0x06, "octets": 0x09, "visible": 0x0A, "utf8": 0x0C, "bcd": 0x0D, "i8": 0x0F,
    "i16": 0x10, "u8": 0x11, "u16": 0x12, "i64": 0x14, "u64": 0x15, "enum": 0x16,
    "f32": 0x17, "f64": 0x18, "datetime": 0x19, "date": 0x1A, "time": 0x1B,
}

# clock policies, see docs/profiles.md "Clocks" (the numbers: amsparse._spec.Clock)
_CLOCKS = {"deviation": CLOCK_DEVIATION, "local": CLOCK_LOCAL, "standard": CLOCK_STANDARD}

# value kinds (the numbers: amsparse._spec.Kind)
_KINDS = {"number": KIND_NUMBER, "string": KIND_STRING, "datetime": KIND_DATETIME, "bytes": KIND_BYTES}

_NAME_OK = set("abcdefghijklmnopqrstuvwxyz0123456789_")

# Roles: the fields the decoders give a meaning beyond a reading (docs/profiles.md
# "Roles"), with the value kinds a field must have to take one.  A profile names
# them per field (``role = "meter_id"``); a role no field declares goes to the
# field of that name, if any (so profiles written before roles keep working).
ROLES: dict[str, tuple[int, ...]] = {
    "list_version": (KIND_STRING,),   # Frame.list_version; names a bare leading value
    "meter_id": (KIND_STRING,),       # Frame.meter_id
    "meter_type": (KIND_STRING,),     # Frame.meter_type; selects [[overrides]]
    "meter_time": (KIND_DATETIME,),   # Frame.meter_time
}


class CompiledProfile:
    """A validated profile, compiled into the tables the decoders use.

    Field ``i`` of the profile is described by ``names[i]``, ``obis[i]`` (the
    OBIS code as a 48-bit int, ``-1`` if it has none), ``units[i]`` (DLMS unit
    code, ``-1`` for none), ``scalers[i]`` and ``kinds[i]``.
    """

    __slots__ = (
        "id", "vendor", "description", "country", "timezone", "clock_policy", "layout",
        "list_versions", "hdlc_sources", "lists", "names", "obis", "units", "scalers",
        "kinds", "by_obis", "by_cde", "overrides", "source", "data",
        "detect_obis", "detect_first", "detect_ldn", "list_types", "detect_pattern", "roles", "role_at",
    )

    id: str
    vendor: str
    description: str
    country: str | None
    timezone: str
    clock_policy: int
    layout: int
    list_versions: tuple[str, ...]
    hdlc_sources: tuple[int, ...]
    lists: dict[int, tuple[str, tuple[int, ...] | None]]
    names: tuple[str, ...]
    obis: tuple[int, ...]
    units: tuple[int, ...]
    scalers: tuple[int, ...]
    kinds: tuple[int, ...]
    by_obis: dict[int, int]
    by_cde: dict[int, int]
    overrides: tuple[tuple[str, dict[int, int]], ...]
    source: str
    data: Mapping[str, Any]
    detect_obis: frozenset[int]        # detect.obis: codes that must all be in the list
    detect_first: int                  # detect.first_value_obis (48-bit int) or -1
    detect_ldn: str | None             # detect.logical_device_name prefix (pushlist layout)
    list_types: dict[int, tuple[int, ...]]  # element count -> A-XDR tags (positional lists)
    detect_pattern: Any                # detect.first_value_pattern: re.Pattern or None
    roles: dict[str, int]              # role -> field index (ROLES; declared or by field name)
    role_at: tuple[str | None, ...]    # field index -> its role or None (the inverse of roles)

    def __repr__(self) -> str:
        return f"<CompiledProfile {self.id!r} ({self.vendor}) from {self.source}>"

    def field_index(self, name: str) -> int:
        return self.names.index(name)


def _req(d: Mapping[str, Any], key: str, typ: type | tuple[type, ...], src: str, path: str) -> Any:
    if key not in d:
        raise ProfileError("required key is missing", src, f"{path}{key}")
    v = d[key]
    if not isinstance(v, typ) or (typ is int and isinstance(v, bool)):
        tname = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
        raise ProfileError(f"must be {tname}, got {type(v).__name__}", src, f"{path}{key}")
    return v


def _opt(d: Mapping[str, Any], key: str, typ: type | tuple[type, ...], default: Any, src: str, path: str) -> Any:
    if key not in d:
        return default
    return _req(d, key, typ, src, path)


def _check_keys(d: Mapping[str, Any], allowed: Iterable[str], src: str, path: str) -> None:
    allowed = set(allowed)
    for k in d:
        if k not in allowed:
            raise ProfileError(
                f"unknown key (allowed: {', '.join(sorted(allowed))})", src, f"{path}{k}"
            )


def _hex_address(text: Any, src: str, key: str) -> int:
    if not isinstance(text, str):
        raise ProfileError("HDLC address must be a hex string like \"08 83\"", src, key)
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise ProfileError(f"not hex: {text!r}", src, key) from None
    if len(raw) not in (1, 2, 4) or not raw[-1] & 1 or any(b & 1 for b in raw[:-1]):
        raise ProfileError(
            f"{text!r} is not an HDLC address (1, 2 or 4 bytes, only the last with bit 0 set)",
            src, key,
        )
    return int.from_bytes(raw, "big")


def compile_profile(data: Mapping[str, Any], source: str = "<dict>") -> CompiledProfile:
    """Validate a parsed profile (a dict as read from TOML/JSON) and compile it.

    Anything malformed raises :class:`ProfileError` naming ``source`` and the
    key at fault; nothing else escapes (a check this module lacks still gives
    a ProfileError, without the key)."""
    try:
        return _compile(data, source)
    except ProfileError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, RecursionError, OverflowError) as e:
        raise ProfileError(f"malformed profile ({type(e).__name__}: {e})", source) from None


def _compile(data: Mapping[str, Any], source: str) -> CompiledProfile:
    src = source
    if not isinstance(data, Mapping):
        raise ProfileError("a profile must be a table/object", src)
    _check_keys(
        data,
        ("schema", "id", "vendor", "description", "country", "layout", "list_versions",
         "timezone", "clock", "detect", "lists", "objects", "overrides", "sources", "notes"),
        src, "",
    )
    schema = _req(data, "schema", int, src, "")
    if schema != SCHEMA_VERSION:
        raise ProfileError(f"unsupported schema {schema} (this amsparse reads {SCHEMA_VERSION})", src, "schema")
    p = CompiledProfile()
    p.source = src
    p.data = data
    p.id = _req(data, "id", str, src, "")
    if not p.id or any(ch.isspace() for ch in p.id):
        raise ProfileError("id must be a non-empty string without spaces", src, "id")
    p.vendor = _req(data, "vendor", str, src, "")
    p.description = _opt(data, "description", str, "", src, "")
    p.country = _opt(data, "country", str, None, src, "")
    _opt(data, "sources", list, [], src, "")
    _opt(data, "notes", str, "", src, "")
    layout = _req(data, "layout", str, src, "")
    if layout not in _LAYOUTS:
        raise ProfileError(f"must be one of {sorted(_LAYOUTS)}, got {layout!r}", src, "layout")
    p.layout = _LAYOUTS[layout]
    versions = _opt(data, "list_versions", list, [], src, "")
    for i, v in enumerate(versions):
        if not isinstance(v, str) or not v:
            raise ProfileError("list versions must be non-empty strings", src, f"list_versions[{i}]")
    p.list_versions = tuple(versions)
    p.timezone = _opt(data, "timezone", str, "UTC", src, "")
    _check_zone(p.timezone, src, "timezone")

    clock = _opt(data, "clock", dict, {}, src, "")
    _check_keys(clock, ("policy", "notes"), src, "clock.")
    policy = _opt(clock, "policy", str, "deviation", src, "clock.")
    if policy not in _CLOCKS:
        raise ProfileError(f"must be one of {sorted(_CLOCKS)}, got {policy!r}", src, "clock.policy")
    p.clock_policy = _CLOCKS[policy]
    _opt(clock, "notes", str, "", src, "clock.")

    detect = _opt(data, "detect", dict, {}, src, "")
    _check_keys(detect, ("hdlc_source", "obis", "first_value_obis", "logical_device_name",
                         "first_value_pattern"), src, "detect.")
    sources = _opt(detect, "hdlc_source", list, [], src, "detect.")
    p.hdlc_sources = tuple(_hex_address(s, src, f"detect.hdlc_source[{i}]") for i, s in enumerate(sources))
    codes = _opt(detect, "obis", list, [], src, "detect.")
    p.detect_obis = frozenset(_obis_text(c, src, f"detect.obis[{i}]") for i, c in enumerate(codes))
    first = _opt(detect, "first_value_obis", str, None, src, "detect.")
    p.detect_first = -1 if first is None else _obis_text(first, src, "detect.first_value_obis")
    p.detect_ldn = _opt(detect, "logical_device_name", str, None, src, "detect.")
    if p.detect_ldn is not None and (p.layout != LAYOUT_PUSHLIST or not p.detect_ldn):
        raise ProfileError("logical_device_name detection is for layout = \"pushlist\" profiles "
                           "(a non-empty prefix)", src, "detect.logical_device_name")
    if p.detect_first >= 0 and p.layout != LAYOUT_POSITIONAL:
        raise ProfileError("first_value_obis is for positional profiles", src, "detect.first_value_obis")
    p.detect_pattern = _first_value_pattern(detect, p.layout, src)  # _profile_detect

    # -- objects -------------------------------------------------------------------
    objects = _req(data, "objects", dict, src, "")
    names: list[str] = []
    obis: list[int] = []
    units: list[int] = []
    scalers: list[int] = []
    kinds: list[int] = []
    by_obis: dict[int, int] = {}
    by_cde: dict[int, int] = {}
    roles: dict[str, int] = {}
    for name, spec in objects.items():
        key = f"objects.{name}"
        if not isinstance(name, str) or not name or not set(name) <= _NAME_OK or name[0].isdigit():
            raise ProfileError("object names are snake_case identifiers", src, key)
        if not isinstance(spec, Mapping):
            raise ProfileError("must be a table", src, key)
        _check_keys(spec, ("obis", "unit", "scaler", "type", "description", "role"), src, key + ".")
        code = -1
        if "obis" in spec:
            text = _req(spec, "obis", str, src, key + ".")
            try:
                code = ObisCode.parse(text).to_int()
            except ValueError as e:
                raise ProfileError(str(e), src, key + ".obis") from None
            if code in by_obis:
                other = names[by_obis[code]]
                raise ProfileError(f"OBIS code {text} already used by {other!r}", src, key + ".obis")
        unit = -1
        if "unit" in spec:
            u = spec["unit"]
            if isinstance(u, bool):
                raise ProfileError("unit must be a symbol (\"W\") or a DLMS unit code", src, key + ".unit")
            if isinstance(u, int):
                if not 0 <= u <= 255:
                    raise ProfileError("unit code out of range 0..255", src, key + ".unit")
                unit = u
            elif isinstance(u, str):
                try:
                    unit = int(Unit.from_symbol(u))
                except ValueError as e:
                    raise ProfileError(str(e), src, key + ".unit") from None
            else:
                raise ProfileError("unit must be a symbol (\"W\") or a DLMS unit code", src, key + ".unit")
        scaler = _opt(spec, "scaler", int, 0, src, key + ".")
        if not -20 <= scaler <= 20:
            raise ProfileError("scaler out of range -20..20", src, key + ".scaler")
        kind_name = _opt(spec, "type", str, "number", src, key + ".")
        if kind_name not in _KINDS:
            raise ProfileError(f"must be one of {sorted(_KINDS)}, got {kind_name!r}", src, key + ".type")
        _opt(spec, "description", str, "", src, key + ".")
        idx = len(names)
        role = _opt(spec, "role", str, None, src, key + ".")
        if role is not None:
            if role not in ROLES:
                raise ProfileError(f"unknown role {role!r} (roles: {', '.join(ROLES)})", src, key + ".role")
            if role in roles:
                raise ProfileError(f"role {role!r} is already given to {names[roles[role]]!r}", src, key + ".role")
            if _KINDS[kind_name] not in ROLES[role]:
                want = " or ".join(k for k, v in _KINDS.items() if v in ROLES[role])
                raise ProfileError(f"role {role!r} needs a field of type {want!r}, not {kind_name!r}",
                                   src, key + ".role")
            roles[role] = idx
        names.append(name)
        obis.append(code)
        units.append(unit)
        scalers.append(scaler)
        kinds.append(_KINDS[kind_name])
        if code >= 0:
            by_obis[code] = idx
            cde = (code >> 8) & 0xFFFFFF
            by_cde.setdefault(cde, idx)
    if not names:
        raise ProfileError("a profile needs at least one object", src, "objects")
    by_name = {n: i for i, n in enumerate(names)}
    p.names, p.obis, p.units, p.scalers, p.kinds = (
        tuple(names), tuple(obis), tuple(units), tuple(scalers), tuple(kinds)
    )
    p.by_obis = by_obis
    p.by_cde = by_cde
    declared = set(roles.values())
    for role in ROLES:  # a role no field declares: the field of that name (as before roles)
        if role not in roles and role in by_name and by_name[role] not in declared:
            roles[role] = by_name[role]
    p.roles = {r: roles[r] for r in ROLES if r in roles}
    role_at: list[str | None] = [None] * len(names)
    for role, i in p.roles.items():
        role_at[i] = role
    p.role_at = tuple(role_at)

    # -- lists ---------------------------------------------------------------------
    lists = _opt(data, "lists", list, [], src, "")
    p.lists = {}
    p.list_types = {}
    for i, lst in enumerate(lists):
        key = f"lists[{i}]"
        if not isinstance(lst, Mapping):
            raise ProfileError("must be a table", src, key)
        _check_keys(lst, ("name", "elements", "fields", "types", "description"), src, key + ".")
        lname = _req(lst, "name", str, src, key + ".")
        count = _req(lst, "elements", int, src, key + ".")
        if not 1 <= count <= 1024:
            raise ProfileError("element count out of range 1..1024", src, key + ".elements")
        if count in p.lists:
            raise ProfileError(f"element count {count} already used by list {p.lists[count][0]!r}", src, key + ".elements")
        _opt(lst, "description", str, "", src, key + ".")
        fields = None
        if p.layout == LAYOUT_POSITIONAL:
            flist = _req(lst, "fields", list, src, key + ".")
            if len(flist) != count:
                raise ProfileError(f"has {len(flist)} fields but elements = {count}", src, key + ".fields")
            idxs = []
            for j, fname in enumerate(flist):
                if not isinstance(fname, str) or fname not in objects:
                    raise ProfileError(f"{fname!r} is not defined under [objects]", src, f"{key}.fields[{j}]")
                idxs.append(names.index(fname))
            fields = tuple(idxs)
            if "types" in lst:
                tlist = _req(lst, "types", list, src, key + ".")
                if len(tlist) != count:
                    raise ProfileError(f"has {len(tlist)} types but elements = {count}", src, key + ".types")
                tags = []
                for j, tname in enumerate(tlist):
                    if tname not in AXDR_TYPES:
                        raise ProfileError(f"{tname!r} is not an A-XDR type name ({', '.join(AXDR_TYPES)})",
                                           src, f"{key}.types[{j}]")
                    tags.append(AXDR_TYPES[tname])
                p.list_types[count] = tuple(tags)
        elif "fields" in lst and p.layout == LAYOUT_OBIS:
            # the values that arrive without an OBIS code, in order (e.g. a clock
            # before and a meter number after code/value/scaler triples)
            flist = _req(lst, "fields", list, src, key + ".")
            idxs = []
            for j, fname in enumerate(flist):
                if not isinstance(fname, str) or fname not in objects:
                    raise ProfileError(f"{fname!r} is not defined under [objects]", src, f"{key}.fields[{j}]")
                if obis[names.index(fname)] < 0:
                    raise ProfileError(f"{fname!r} needs an OBIS code to name a value without one",
                                       src, f"{key}.fields[{j}]")
                idxs.append(names.index(fname))
            fields = tuple(idxs)
        elif "fields" in lst or "types" in lst:
            raise ProfileError("only positional and obis profiles list fields; only positional ones types",
                               src, key + ".fields")
        p.lists[count] = (lname, fields)
    if p.layout == LAYOUT_POSITIONAL and not p.lists:
        raise ProfileError("a positional profile needs at least one [[lists]] entry", src, "lists")

    # -- overrides ------------------------------------------------------------------
    ovs = _opt(data, "overrides", list, [], src, "")
    compiled_ovs = []
    for i, ov in enumerate(ovs):
        key = f"overrides[{i}]"
        if not isinstance(ov, Mapping):
            raise ProfileError("must be a table", src, key)
        _check_keys(ov, ("meter_type_prefix", "scalers", "description"), src, key + ".")
        prefix = _req(ov, "meter_type_prefix", str, src, key + ".")
        sc = _req(ov, "scalers", dict, src, key + ".")
        _opt(ov, "description", str, "", src, key + ".")
        table = {}
        for fname, s in sc.items():
            if not isinstance(fname, str) or fname not in objects:
                raise ProfileError(f"{fname!r} is not defined under [objects]", src, f"{key}.scalers.{fname}")
            if not isinstance(s, int) or isinstance(s, bool) or not -20 <= s <= 20:
                raise ProfileError("scaler must be an integer -20..20", src, f"{key}.scalers.{fname}")
            table[names.index(fname)] = s
        compiled_ovs.append((prefix, table))
    p.overrides = tuple(compiled_ovs)
    if p.id == "generic":
        # the decoders name a bare leading value (Kamstrup's version string) and
        # unknown OBIS codes from the generic table: it must be able to
        if p.layout != LAYOUT_OBIS:
            raise ProfileError("the 'generic' profile must have layout = \"obis\"", src, "layout")
        if "list_version" not in p.roles:
            raise ProfileError(
                "the 'generic' profile must give the list_version role to an object (it names a "
                "bare leading value)", src, "objects.list_version",
            )
    return p


def _obis_text(text: Any, src: str, key: str) -> int:
    if not isinstance(text, str):
        raise ProfileError("an OBIS code is a string like \"1-0:1.8.0.255\"", src, key)
    try:
        return ObisCode.parse(text).to_int()
    except ValueError as e:
        raise ProfileError(str(e), src, key) from None


def _check_zone(name: str, src: str, key: str) -> None:
    from ._clock import get_zone

    try:
        get_zone(name)
    except Exception as e:  # ZoneInfoNotFoundError, ValueError
        raise ProfileError(f"unknown time zone {name!r} ({e})", src, key) from None


class ProfileSet:
    """An ordered collection of compiled profiles plus the generic OBIS table.

    Build one and reuse it: compilation happens once, here.  Earlier profiles win
    when two could match the same frame, so user profiles loaded with
    :func:`load_profiles` take precedence over the built-in ones.
    """

    __slots__ = ("profiles", "by_id", "by_version", "generic")

    profiles: tuple[CompiledProfile, ...]
    by_id: dict[str, CompiledProfile]
    generic: CompiledProfile

    def __init__(self, profiles: Sequence[CompiledProfile], generic: CompiledProfile | None = None) -> None:
        seen: dict[str, CompiledProfile] = {}
        ordered: list[CompiledProfile] = []
        for p in profiles:
            if p.id == "generic":
                generic = generic or p
                continue
            if p.id in seen:  # first one wins (user profiles shadow built-ins)
                continue
            seen[p.id] = p
            ordered.append(p)
        if generic is None:
            generic = _builtin().generic
        self.profiles = tuple(ordered)
        self.by_id = seen
        self.generic = generic
        by_version: dict[str, list[CompiledProfile]] = {}
        for p in ordered:
            for v in p.list_versions:
                by_version.setdefault(v, []).append(p)
        self.by_version = {k: tuple(v) for k, v in by_version.items()}

    def __iter__(self) -> Iterator[CompiledProfile]:
        return iter(self.profiles)

    def __len__(self) -> int:
        return len(self.profiles)

    def __getitem__(self, profile_id: str) -> CompiledProfile:
        if profile_id == "generic":
            return self.generic
        return self.by_id[profile_id]

    def __repr__(self) -> str:
        return f"<ProfileSet {[p.id for p in self.profiles]}>"

    def __add__(self, other: "ProfileSet") -> "ProfileSet":
        return ProfileSet(self.profiles + other.profiles, self.generic)


_BUILTIN: ProfileSet | None = None


def _builtin() -> ProfileSet:
    global _BUILTIN
    if _BUILTIN is None:
        from ._builtin_profiles import PROFILES

        compiled = [compile_profile(d, f"<builtin>/{path}") for path, d in PROFILES]
        generic = next(p for p in compiled if p.id == "generic")
        _BUILTIN = ProfileSet(compiled, generic)
    return _BUILTIN


def builtin_profiles() -> ProfileSet:
    """The profiles shipped with amsparse (compiled once, then cached)."""
    return _builtin()


def _read_file(path: Path) -> Mapping[str, Any]:
    src = str(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ProfileError(f"cannot read profile: {e.strerror or e}", src) from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(raw.decode("utf-8"))  # type: ignore[no-any-return]
        except RecursionError:
            raise ProfileError("invalid JSON: nested too deeply", src) from None
        except ValueError as e:  # JSONDecodeError, UnicodeDecodeError, an integer of too many digits
            raise ProfileError(f"invalid JSON: {e}", src) from None
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            raise ProfileError(
                "reading TOML profiles on Python 3.10 needs 'tomli' "
                "(pip install amsparse[toml]), or write the profile as JSON", src
            ) from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except RecursionError:
        raise ProfileError("invalid TOML: nested too deeply", src) from None
    except ValueError as e:  # TOMLDecodeError, UnicodeDecodeError, an integer of too many digits
        raise ProfileError(f"invalid TOML: {e}", src) from None


def _profile_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(
            p for p in path.rglob("*") if p.suffix.lower() in (".toml", ".json") and p.is_file()
        )
    if not path.exists():
        raise ProfileError("no such file or folder", str(path))
    return [path]


def load_profiles(*paths: str | os.PathLike[str], include_builtin: bool = True) -> ProfileSet:
    """Load profile files (``.toml``/``.json``) or folders of them.

    The profiles loaded here come before the built-in ones (``include_builtin``),
    so a user profile with the same list version or id takes precedence.
    Raises :class:`~amsparse.ProfileError` naming the file and key at fault.
    """
    compiled: list[CompiledProfile] = []
    ids: dict[str, str] = {}
    for path in paths:
        for f in _profile_files(Path(path)):
            data = _read_file(f)
            if isinstance(data, Mapping) and data.get("format") == "p1":
                continue  # a P1 telegram profile (load_p1_profiles), e.g. vendor_profiles/p1/
            p = compile_profile(data, str(f))
            if p.id in ids:
                raise ProfileError(f"profile id {p.id!r} is also defined in {ids[p.id]}", str(f), "id")
            ids[p.id] = str(f)
            compiled.append(p)
    base = _builtin()
    generic = next((p for p in compiled if p.id == "generic"), base.generic)
    if include_builtin:
        compiled.extend(base.profiles)
    return ProfileSet(compiled, generic)
