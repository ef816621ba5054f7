"""Pure-Python reference decoder (the "twin" of the Cython core).

Written to be read: this file is the oracle the Cython module ``_decode_c`` is
tested against, byte for byte and exception type for exception type.  Change
the behaviour here and there together.

Pipeline for one frame::

    HDLC (flags, format, addresses, control, HCS, FCS)   -> parse_hdlc
    LLC E6 E7 00, DLMS data-notification header          -> decode_apdu
    A-XDR body                                           -> _read_value
    layout detection (OBIS structures / pairs / bare)    -> _flatten
    profile matching, naming, scaling, clocks            -> _resolve
"""

from __future__ import annotations

import re as _re
from typing import Any

from ._clock import get_zone, parse_date, parse_datetime, parse_time, to_datetime
from ._crc import fcs16
from ._errors import (
    ApduError,
    ChecksumError,
    FrameError,
    IncompleteFrameError,
    ProfileMismatchError,
    SegmentedFrameError,
    UnsupportedApduError,
)
from ._model import Frame, freeze
from ._options import MAX_APDU_INPUT
from ._profiles import CompiledProfile, ProfileSet
from ._pushlist_py import flatten_pushlist, settle
from ._spec import INT_SIZES as _INT_SIZES  # the shared spec table (A-XDR tags and widths)
from ._spec import (
    KIND_BYTES,
    KIND_DATETIME,
    KIND_NUMBER,
    KIND_STRING,
    LAYOUT_OBIS,
    LAYOUT_POSITIONAL,
    MAX_DEPTH,
    T_ARRAY,
    T_BCD,
    T_BITS,
    T_BOOL,
    T_DATE,
    T_DATETIME,
    T_ENUM,
    T_F32,
    T_F64,
    T_I8,
    T_NULL,
    T_OCTETS,
    T_STRUCT,
    T_TIME,
    T_UTF8,
    T_VISIBLE,
)
from ._spec import (
    NUMERIC_TAGS as _NUMERIC_TAGS,
)
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


# --------------------------------------------------------------------------- HDLC

def _read_address(data: bytes, pos: int, limit: int, what: str) -> tuple[int, int]:
    value = 0
    for n in range(4):
        if pos + n >= limit:
            raise FrameError(f"HDLC header ends inside the {what} address", pos + n)
        b = data[pos + n]
        value = (value << 8) | b
        if b & 1:
            if n == 2:
                raise FrameError(f"{what} address is 3 bytes long (1, 2 or 4 allowed)", pos)
            return value, pos + n + 1
    raise FrameError(f"{what} address longer than 4 bytes", pos)


def parse_hdlc(data: bytes) -> tuple[int, int, int, bool, int, int]:
    """Check one flag-delimited HDLC type-3 frame.

    Returns ``(destination, source, control, segmented, info_start, info_end)``
    where ``data[info_start:info_end]`` is the information field.  No byte
    stuffing is undone: 0x7E/0x7D inside the frame are data.
    """
    n = len(data)
    if n < 1:
        raise IncompleteFrameError("empty input", 9, 0)
    if data[0] != 0x7E:
        raise FrameError(f"frame does not start with the 0x7E flag (found 0x{data[0]:02X})", 0)
    if n < 3:
        raise IncompleteFrameError("input ends inside the HDLC format field", 3 - n, n)
    if data[1] & 0xF0 != 0xA0:
        raise FrameError(f"not an HDLC type-3 frame (format type 0x{data[1] >> 4:X}, expected 0xA)", 1)
    segmented = bool(data[1] & 0x08)
    length = ((data[1] & 0x07) << 8) | data[2]
    total = length + 2  # plus opening and closing flags
    if length < 7:
        raise FrameError(f"HDLC length {length} is too short for a frame", 1)
    if n < total:
        raise IncompleteFrameError(
            f"frame is {total} bytes by its length field, only {n} given", total - n, n
        )
    if n > total:
        raise FrameError(f"{n - total} bytes after the end of the frame", total)
    if data[total - 1] != 0x7E:
        raise FrameError(
            f"frame does not end with the 0x7E flag (found 0x{data[total - 1]:02X})", total - 1
        )
    fcs_pos = total - 3  # FCS occupies data[total-3:total-1]
    dest, pos = _read_address(data, 3, fcs_pos, "destination")
    src, pos = _read_address(data, pos, fcs_pos, "source")
    if pos >= fcs_pos:
        raise FrameError("HDLC header ends before the control field", pos)
    control = data[pos]
    pos += 1
    if pos == fcs_pos:
        raise FrameError("frame has no information field", pos)
    if pos + 2 > fcs_pos:
        raise FrameError("frame too short for a header check sequence", pos)
    hcs_calc = fcs16(data, 1, pos)
    hcs_found = data[pos] | (data[pos + 1] << 8)
    if hcs_calc != hcs_found:
        raise ChecksumError("HCS", hcs_calc, hcs_found, pos)
    info_start = pos + 2
    fcs_calc = fcs16(data, 1, fcs_pos)
    fcs_found = data[fcs_pos] | (data[fcs_pos + 1] << 8)
    if fcs_calc != fcs_found:
        raise ChecksumError("FCS", fcs_calc, fcs_found, fcs_pos)
    if info_start == fcs_pos:
        raise FrameError("frame has no information field", info_start)
    return dest, src, control, segmented, info_start, fcs_pos


# --------------------------------------------------------------------------- A-XDR

def _need(data: bytes, pos: int, size: int, end: int, what: str) -> None:
    if pos + size > end:
        raise ApduError(f"{what} needs {size} bytes, {max(end - pos, 0)} left", pos)


def _read_length(data: bytes, pos: int, end: int) -> tuple[int, int]:
    _need(data, pos, 1, end, "length")
    b = data[pos]
    if b < 0x80:
        return b, pos + 1
    n = b & 0x7F
    if n == 0 or n > 4:
        raise ApduError(f"bad A-XDR length prefix 0x{b:02X}", pos)
    _need(data, pos + 1, n, end, "length")
    return int.from_bytes(data[pos + 1 : pos + 1 + n], "big"), pos + 1 + n


def _read_value(data: bytes, pos: int, end: int, depth: int) -> tuple[int, Any, int]:
    """One A-XDR value at ``pos`` → ``(tag, value, next_pos)``.

    Containers become lists of ``(tag, value)``.  Every length and count is
    checked against the bytes that are actually there.
    """
    _need(data, pos, 1, end, "A-XDR tag")
    tag = data[pos]
    pos += 1
    if tag in (T_ARRAY, T_STRUCT):
        if depth >= MAX_DEPTH:
            raise ApduError(f"A-XDR nesting deeper than {MAX_DEPTH}", pos - 1)
        count, pos = _read_length(data, pos, end)
        if count > end - pos:  # every element takes at least one byte
            raise ApduError(f"{count} elements announced, only {end - pos} bytes left", pos)
        items = []
        for _ in range(count):
            t, v, pos = _read_value(data, pos, end, depth + 1)
            items.append((t, v))
        return tag, items, pos
    size = _INT_SIZES.get(tag)
    if size is not None:
        width, signed = size
        _need(data, pos, width, end, "integer")
        return tag, int.from_bytes(data[pos : pos + width], "big", signed=signed), pos + width
    if tag == T_NULL:
        return tag, None, pos
    if tag in (T_OCTETS, T_VISIBLE, T_UTF8):
        length, pos = _read_length(data, pos, end)
        _need(data, pos, length, end, "string")
        raw = bytes(data[pos : pos + length])
        if tag == T_VISIBLE:
            return tag, raw.decode("latin-1"), pos + length
        if tag == T_UTF8:
            try:
                return tag, raw.decode("utf-8"), pos + length
            except UnicodeDecodeError:
                raise ApduError("utf8-string is not valid UTF-8", pos) from None
        return tag, raw, pos + length
    if tag == T_BOOL:
        _need(data, pos, 1, end, "boolean")
        return tag, data[pos] != 0, pos + 1
    if tag == T_BITS:
        nbits, pos = _read_length(data, pos, end)
        nbytes = (nbits + 7) // 8
        _need(data, pos, nbytes, end, "bit-string")
        bits = "".join(f"{b:08b}" for b in data[pos : pos + nbytes])[:nbits]
        return tag, bits, pos + nbytes
    if tag == T_BCD:
        _need(data, pos, 1, end, "bcd")
        b = data[pos]
        if (b >> 4) > 9 or (b & 0x0F) > 9:
            raise ApduError(f"bcd byte 0x{b:02X} is not two decimal digits", pos)
        return tag, (b >> 4) * 10 + (b & 0x0F), pos + 1
    if tag == T_F32 or tag == T_F64:
        import struct

        width = 4 if tag == T_F32 else 8
        _need(data, pos, width, end, "float")
        (v,) = struct.unpack(">f" if width == 4 else ">d", bytes(data[pos : pos + width]))
        return tag, v, pos + width
    if tag == T_DATETIME:
        _need(data, pos, 12, end, "date-time")
        return tag, parse_datetime(bytes(data[pos : pos + 12])), pos + 12
    if tag == T_DATE:
        _need(data, pos, 5, end, "date")
        return tag, parse_date(bytes(data[pos : pos + 5])), pos + 5
    if tag == T_TIME:
        _need(data, pos, 4, end, "time")
        return tag, parse_time(bytes(data[pos : pos + 4])), pos + 4
    raise ApduError(f"unknown or unsupported A-XDR tag 0x{tag:02X}", pos - 1)


# --------------------------------------------------------------------------- layouts

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


# --------------------------------------------------------------------------- APDU

def _decode_info(
    data: bytes,
    start: int,
    end: int,
    profiles: ProfileSet,
    profile: CompiledProfile | None,
    source: int,
    tz: str | None,
    address: tuple[int, int, int] | None,
    llc: bool,
) -> Frame:
    pos = start
    if llc:
        if end - pos < 3 or data[pos] != 0xE6 or data[pos + 1] != 0xE7 or data[pos + 2] != 0x00:
            raise ApduError("information field does not start with the LLC header E6 E7 00", pos)
        pos += 3
    _need(data, pos, 1, end, "APDU tag")
    tag = data[pos]
    if tag != 0x0F:
        if tag in (0xDB, 0xDD, 0xDF, 0xE0, 0xD8):
            kinds = {0xDB: "general-glo-ciphering (encrypted)", 0xDD: "general-ciphering (encrypted)",
                     0xDF: "general-signing (signed)", 0xE0: "general-block-transfer",
                     0xD8: "exception-response"}
            raise UnsupportedApduError(f"{kinds[tag]} APDU is not supported yet", tag, pos)
        raise ApduError(f"APDU tag 0x{tag:02X} is not a data-notification (0x0F)", pos)
    pos += 1
    _need(data, pos, 4, end, "long-invoke-id-and-priority")
    invoke_id = int.from_bytes(data[pos : pos + 4], "big")
    pos += 4
    _need(data, pos, 1, end, "date-time field")
    marker = data[pos]
    header: bytes | None
    if marker == 0x00:
        header = None
        pos += 1
    elif marker == 0x0C:
        _need(data, pos + 1, 12, end, "date-time")
        header = bytes(data[pos + 1 : pos + 13])
        pos += 13
    elif marker == 0x09:
        _need(data, pos + 1, 1, end, "date-time length")
        if data[pos + 1] != 0x0C:
            raise ApduError(f"date-time octet-string of length {data[pos + 1]} (expected 12)", pos + 1)
        _need(data, pos + 2, 12, end, "date-time")
        header = bytes(data[pos + 2 : pos + 14])
        pos += 14
    else:
        raise ApduError(f"bad date-time field 0x{marker:02X} (expected 00, 0C or 09 0C)", pos)
    body_pos = pos
    btag, bval, pos = _read_value(data, pos, end, 0)
    if pos != end:
        raise ApduError(f"{end - pos} bytes after the notification body", pos)
    fl = flatten_pushlist(btag, bval)
    layout, elements = fl if fl is not None else _flatten((btag, bval))
    count = len(bval) if btag in (T_ARRAY, T_STRUCT) else 1
    return _resolve(layout, elements, count, profiles, profile, source, tz, header, invoke_id, address, body_pos)


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


def _decode_plain(plain: bytes, ctx: tuple[DecoderCore, int, tuple[int, int, int] | None]) -> Frame:
    dc, src, address = ctx
    return _decode_info(plain, 0, len(plain), dc.profiles, dc.profile, src, dc.tz, address, False)


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


def _decode_hdlc(data: bytes, dc: DecoderCore, keys: Any = None, require_authentication: bool = False) -> Frame:
    dest, src, control, segmented, start, end = parse_hdlc(data)
    if segmented:
        raise SegmentedFrameError(
            "frame has the HDLC segmentation bit set; it is one piece of a longer APDU", 1
        )
    if end - start > 3 and data[start + 3] in WRAPPED_TAGS and data[start : start + 3] == b"\xe6\xe7\x00":
        return decode_wrapped(data, start + 3, end, keys, require_authentication, _decode_plain,  # type: ignore[no-any-return]
                              (dc, src, (dest, src, control)), True)
    return _decode_info(data, start, end, dc.profiles, dc.profile, src, dc.tz, (dest, src, control), True)


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
