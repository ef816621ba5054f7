"""The twin's naming, scaling and frame construction (the compiled core's
``_plan_c.pxi`` and ``_frame_c.pxi``): elements to a :class:`~amsparse.Frame`.
The twin builds no cached plans: it resolves every frame.
"""

from __future__ import annotations

from typing import Any

from ._clock import get_zone, parse_datetime, to_datetime
from ._errors import ProfileMismatchError
from ._layout_py import _choose_profile, _generic_name, _list_version, _scale
from ._model import Frame, freeze
from ._profiles import CompiledProfile, ProfileSet
from ._pushlist_py import settle
from ._spec import (
    KIND_BYTES,
    KIND_DATETIME,
    KIND_NUMBER,
    KIND_STRING,
    LAYOUT_POSITIONAL,
    T_ARRAY,
    T_DATETIME,
    T_NULL,
    T_OCTETS,
    T_STRUCT,
)
from ._spec import NUMERIC_TAGS as _NUMERIC_TAGS

__all__ = ["_resolve"]


def _resolve(
    layout: int,
    elements: list[Any],
    count: int,
    profiles: ProfileSet,
    profile: CompiledProfile | None,
    source: int,
    tz: str | None,
    header: bytes | None,
    invoke_id: int,
    address: tuple[int, int, int] | None,
    offset: int,
) -> Frame:
    version = _list_version(layout, elements)
    prof = _choose_profile(profiles, layout, count, version, source, profile)
    prof, elements = settle(profiles, layout, elements, count, source, prof, version, offset)
    generic = profiles.generic
    if prof is None:
        if layout == LAYOUT_POSITIONAL:
            raise ProfileMismatchError(
                f"no profile for a value-only list of {count} elements"
                + (f" with list version {version!r}" if version is not None else ""),
                version, count, offset,
            )
        prof = generic
    list_entry = prof.lists.get(count)
    if layout == LAYOUT_POSITIONAL:
        if list_entry is None or list_entry[1] is None:
            raise ProfileMismatchError(
                f"profile {prof.id!r} has no {count}-element value-only list",
                version, count, offset,
            )
        field_idx: tuple[int, ...] | None = list_entry[1]
    else:
        field_idx = None
    zone = get_zone(tz if tz is not None else prof.timezone)
    policy = prof.clock_policy

    names: list[str] = []
    obis_out: list[int] = []
    raws: list[Any] = []
    scalers: list[int] = []
    units: list[int] = []
    kinds: list[int] = []
    defaults: list[bool] = []  # scaler came from the profile (overrides may apply)
    fields: list[int] = []  # profile field index or -1
    at_role: dict[str, int] = {}  # role -> index of the first reading whose field has it
    for i, (obis, tag, value, f_scaler, f_unit) in enumerate(elements):
        if tag == T_NULL:
            continue  # null-data: nothing measured
        table = prof
        if field_idx is not None:
            idx = field_idx[i]
        elif obis < 0:  # a bare leading value: the list_version role names it
            idx = prof.roles.get("list_version", -1)
            if idx < 0:
                table = generic
                idx = generic.roles["list_version"]
        else:
            idx = prof.by_obis.get(obis, -1)
            if idx < 0:
                table = generic
                idx = generic.by_obis.get(obis, -1)
                if idx < 0:
                    idx = generic.by_cde.get((obis >> 8) & 0xFFFFFF, -1)
        if idx >= 0:
            name = table.names[idx]
            kind = table.kinds[idx]
            d_scaler = table.scalers[idx]
            d_unit = table.units[idx]
            if obis < 0:
                obis = table.obis[idx]
            role = table.role_at[idx]
            if role is not None and role not in at_role:
                at_role[role] = len(names)
        else:
            name = _generic_name(obis)
            kind = KIND_DATETIME if tag == T_OCTETS and len(value) == 12 and (obis >> 8) & 0xFFFFFF == 0x010000 else (
                KIND_NUMBER if tag in _NUMERIC_TAGS else KIND_BYTES
            )
            d_scaler, d_unit = 0, -1
        names.append(name)
        obis_out.append(obis)
        raws.append((tag, value))
        kinds.append(kind)
        fields.append(idx if table is prof else -1)
        if f_scaler is not None:
            scalers.append(f_scaler)
            units.append(f_unit)
            defaults.append(False)
        else:
            scalers.append(d_scaler)
            units.append(d_unit)
            defaults.append(True)

    # convert raw values by kind
    values: list[Any] = []
    out_raws: list[Any] = []
    for j, (tag, value) in enumerate(raws):
        kind = kinds[j]
        if tag == T_DATETIME or (kind == KIND_DATETIME and tag == T_OCTETS and len(value) == 12):
            raw = value if tag == T_DATETIME else parse_datetime(value)
            out_raws.append(raw)
            values.append(to_datetime(raw, zone, policy))
            scalers[j] = 0
            units[j] = -1
            continue
        if tag == T_ARRAY or tag == T_STRUCT:
            value = freeze(value)  # a nested value: a tuple of public types, immutable
        elif kind == KIND_STRING and tag == T_OCTETS:
            value = value.decode("latin-1")
        out_raws.append(value)
        if kind == KIND_STRING and isinstance(value, str):
            # padding some meters append (L+G: "13943597" + 8 NULs); raw keeps it
            values.append(value.rstrip("\x00 "))
            scalers[j] = 0
            continue
        if tag in _NUMERIC_TAGS:
            values.append(value)  # scaled below, after overrides
        else:
            scalers[j] = 0
            values.append(value)

    def text(role: str) -> str | None:
        i = at_role.get(role, -1)
        if i < 0:
            return None
        v = values[i]
        return v if isinstance(v, str) else None

    list_version = text("list_version")
    meter_id = text("meter_id")
    meter_type = text("meter_type")
    if prof.overrides and meter_type is not None:
        for prefix, table_ in prof.overrides:
            if meter_type.startswith(prefix):
                for j, f in enumerate(fields):
                    if defaults[j] and f in table_:
                        scalers[j] = table_[f]
                break
    for j, (tag, _) in enumerate(raws):
        if tag in _NUMERIC_TAGS:
            values[j] = _scale(values[j], scalers[j])

    header_clock = parse_datetime(header) if header is not None else None
    header_time = to_datetime(header_clock, zone, policy) if header_clock is not None else None
    return Frame(
        prof.id,
        list_entry[0] if list_entry is not None else None,
        list_version,
        meter_id,
        meter_type,
        header_clock,
        header_time,
        invoke_id,
        address,
        tuple(names),
        tuple(obis_out),
        tuple(out_raws),
        tuple(scalers),
        tuple(units),
        tuple(values),
        meter_time_index=at_role.get("meter_time", -1),
    )
