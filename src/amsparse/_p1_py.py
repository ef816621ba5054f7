"""Pure-Python P1 / DSMR telegram decoder (the twin of :mod:`amsparse._p1_c`).

Written to be read: the compiled module is tested against this one, result
for result and error for error.  The compiled core does the envelope, the CRC,
the line scanning and plain numbers itself and calls :func:`line_readings`
here for everything else (timestamps, texts, logs), as the DLMS core calls
:mod:`amsparse._clock`, so the two cannot disagree on those.

Telegram (IEC 62056-21 mode D, DSMR)::

    /ISk5\\2MT382-1000          identification line
                               (blank line)
    1-0:1.8.1(001234.567*kWh)  OBIS(value[*unit])(...) one object per line
    0-1:24.2.1(230724150500S)(00123.456*m3)
    !6796                      '!' then CRC-16/ARC of '/'...'!' (none in DSMR 2.2/3)

Steps: :func:`envelope` (start, end, CRC), :func:`ident_line`,
:func:`scan_lines` (OBIS code and parenthesised groups per line; a line
starting with '(' continues the previous object), profile choice
(:meth:`P1ProfileSet.choose`), :func:`line_readings` per object.
"""

from __future__ import annotations

import datetime as _dt
import re
from functools import lru_cache
from typing import Any

from ._clock import get_zone
from ._errors import ChecksumError, IncompleteFrameError, TelegramError
from ._model import Frame, Unit
from ._p1_crypt import decode_ciphered
from ._p1_profiles import P1_HEX, P1_TEXT, P1Profile, P1ProfileSet, builtin_p1_profiles

__all__ = ["crc16_arc", "decode_telegram"]

BACKEND = "python"

#: longest data line (an OBIS object with its values); DSMR text messages are
#: at most 1024 characters, i.e. 2048 hex digits
MAX_LINE = 4096
#: longest identification line
MAX_IDENT = 128
#: digits a number may have (more: it is text, e.g. an all-digit hex id)
MAX_DIGITS = 18

#: telegram unit -> (DLMS unit code, power of ten to the base unit)
UNITS: dict[str, tuple[int, int]] = {
    "W": (Unit.W, 0), "kW": (Unit.W, 3), "MW": (Unit.W, 6),
    "Wh": (Unit.WH, 0), "kWh": (Unit.WH, 3), "MWh": (Unit.WH, 6),
    "var": (Unit.VAR, 0), "kvar": (Unit.VAR, 3), "VAr": (Unit.VAR, 0), "kVAr": (Unit.VAR, 3),
    "kVar": (Unit.VAR, 3),
    "varh": (Unit.VARH, 0), "kvarh": (Unit.VARH, 3), "VArh": (Unit.VARH, 0),
    "kVArh": (Unit.VARH, 3), "kVarh": (Unit.VARH, 3),
    "VA": (Unit.VA, 0), "kVA": (Unit.VA, 3), "VAh": (Unit.VAH, 0), "kVAh": (Unit.VAH, 3),
    "V": (Unit.V, 0), "kV": (Unit.V, 3), "A": (Unit.A, 0), "mA": (Unit.A, -3),
    "Hz": (Unit.HZ, 0), "s": (Unit.SECOND, 0),
    "m3": (Unit.CUBIC_METRE, 0), "dm3": (Unit.CUBIC_METRE, -3), "l": (Unit.LITRE, 0),
    "GJ": (Unit.JOULE, 9), "MJ": (Unit.JOULE, 6), "kJ": (Unit.JOULE, 3), "J": (Unit.JOULE, 0),
}
UNITS = {k: (int(u), e) for k, (u, e) in UNITS.items()}

_UTC = _dt.timezone.utc

# --------------------------------------------------------------------------- CRC

_CRC_TABLE: list[int] = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0xA001 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)
del _i, _c


def crc16_arc(data: bytes | bytearray | memoryview, start: int = 0, end: int | None = None) -> int:
    """CRC-16/ARC (reflected polynomial 0xA001, init 0, no xorout), the P1
    telegram CRC.  ``crc16_arc(b"123456789") == 0xBB3D``."""
    crc = 0
    tab = _CRC_TABLE
    for b in bytes(data[start:end]):
        crc = (crc >> 8) ^ tab[(crc ^ b) & 0xFF]
    return crc


# --------------------------------------------------------------------------- envelope

_HEX = frozenset(b"0123456789ABCDEFabcdef")


def envelope(data: bytes) -> tuple[int, int]:
    """``(bang, crc)``: offset of the ending '!' and the CRC it carries (verified),
    or ``-1`` when the telegram carries none."""
    n = len(data)
    if n == 0 or data[0] != 0x2F:
        raise TelegramError("telegram does not start with '/'", 0)
    bang = data.find(b"!")
    if bang < 0:
        raise IncompleteFrameError("telegram has no end: '!' is missing", 1, n)
    p = bang + 1
    h = p
    while h < n and h - p < 5 and data[h] in _HEX:
        h += 1
    q = h
    if q < n and data[q] == 0x0D:
        q += 1
    if q < n and data[q] == 0x0A:
        q += 1
    if h - p > 4 or q != n:
        raise TelegramError(
            f"malformed telegram end after '!' (a CRC is 4 hex digits, then CR LF): {bytes(data[p:p + 12])!r}", p
        )
    if h == p:
        return bang, -1
    found = int(data[p:h], 16)
    expected = crc16_arc(data, 0, bang + 1)
    if found != expected:
        raise ChecksumError("CRC", expected, found, p)
    return bang, found


def ident_line(data: bytes, bang: int) -> tuple[str, int]:
    """The identification line (without '/' and CR LF) and where the next line starts."""
    eol = data.find(b"\n", 0, bang)
    if eol < 0:
        raise TelegramError("identification line has no end (no LF before '!')", 0)
    end = eol - 1 if data[eol - 1] == 0x0D else eol
    if end - 1 > MAX_IDENT:
        raise TelegramError(f"identification line longer than {MAX_IDENT} bytes", 0)
    if end - 1 < 4:
        raise TelegramError("identification line too short (expected /XXXnIdent)", 0)
    for i in range(1, end):
        b = data[i]
        if b >= 0x80 or b == 0x0D or b == 0:
            raise TelegramError(f"byte 0x{b:02X} in the identification line", i)
    return data[1:end].decode("ascii"), eol + 1


_OBIS = re.compile(rb"(\d{1,3})-(\d{1,3}):(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:[.*](\d{1,3}))?")
_BAD = re.compile(rb"[^\x20-\x7e]")


def scan_lines(data: bytes, pos: int, bang: int) -> list[tuple[int, list[str], int]]:
    """Objects as ``(obis, groups, offset)``: the 48-bit OBIS code (F = 255 unless
    sent), the texts inside the parentheses, the offset of the line."""
    out: list[tuple[int, list[str], int]] = []
    while pos < bang:
        e = data.find(b"\n", pos, bang)
        if e < 0:
            e = bang
        end = e - 1 if e > pos and data[e - 1] == 0x0D else e
        if end - pos > MAX_LINE:
            raise TelegramError(f"line longer than {MAX_LINE} bytes", pos)
        if end == pos:
            pos = e + 1
            continue
        line = data[pos:end]
        m = _BAD.search(line)
        if m is not None:
            raise TelegramError(f"byte 0x{line[m.start()]:02X} in a data line", pos + m.start())
        if line[0] == 0x28:  # '(' continues the previous object
            if not out:
                raise TelegramError("value line before any OBIS code", pos)
            groups = out[-1][1]
            i = 0
        else:
            m = _OBIS.match(line)
            nums = m.groups() if m is not None else ()
            if m is None or any(x is not None and int(x) > 255 for x in nums):
                raise TelegramError("malformed OBIS code", pos)
            i = m.end()
            if i == len(line):
                raise TelegramError("OBIS code without a value", pos + i)
            f = nums[5]
            code = (int(nums[0]) << 40 | int(nums[1]) << 32 | int(nums[2]) << 24 | int(nums[3]) << 16
                    | int(nums[4]) << 8 | (255 if f is None else int(f)))
            groups = []
            out.append((code, groups, pos))
        n = len(line)
        while i < n:
            if line[i] != 0x28:
                raise TelegramError("expected '(' after the OBIS code or a value", pos + i)
            j = line.find(b")", i + 1)
            if j < 0:
                raise TelegramError("unbalanced parenthesis: '(' without ')'", pos + i)
            k = line.find(b"(", i + 1, j)
            if k >= 0:
                raise TelegramError("unbalanced parenthesis: '(' inside a value", pos + k)
            groups.append(line[i + 1:j].decode("ascii"))
            i = j + 1
        pos = e + 1
    return out


# --------------------------------------------------------------------------- values

_NUM = re.compile(r"(-?)(\d+)(?:\.(\d+))?(?:\*(.+))?")
_TS = re.compile(r"(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)([SW]?)")
_OBIS_TEXT = re.compile(r"\d{1,3}-\d{1,3}:\d{1,3}\.\d{1,3}\.\d{1,3}")


def scale(raw: int, scaler: int) -> int | float:
    if scaler == 0:
        return raw
    if scaler > 0:
        up: int = raw * 10**scaler
        return up
    down: float = raw / 10 ** (-scaler)
    return down


@lru_cache(maxsize=1024)
def p1_time(text: str, zone: _dt.tzinfo) -> _dt.datetime | None:
    """``YYMMDDhhmmss`` + ``S`` (summer) / ``W`` (winter) / nothing -> aware
    datetime in ``zone``.  The flag decides the repeated autumn hour (and a
    time inside the spring gap); elsewhere the zone's rules give the offset.
    ``None`` for an impossible date."""
    m = _TS.fullmatch(text)
    if m is None:
        return None
    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
    # two-digit years as C's strptime pivots them (69-99 -> 1969-1999): meters
    # send 700101... as "no time" (the Unix epoch), as dsmr_parser reads it
    try:
        t0 = _dt.datetime(y + (1900 if y >= 69 else 2000), mo, d, h, mi, s, tzinfo=zone)
    except ValueError:
        return None
    t1 = t0.replace(fold=1)
    if t0.utcoffset() == t1.utcoffset() or not m.group(7):
        return t0
    want_dst = m.group(7) == "S"
    return t0 if bool(t0.dst()) == want_dst else t1


def is_timestamp(text: str) -> bool:
    return len(text) == 13 and text[12] in "SW" and text[:12].isdigit() and text[:12].isascii()


def convert(text: str, zone: _dt.tzinfo) -> tuple[Any, int, int, Any, bool]:
    """One value by its syntax: ``(raw, scaler, unit, value, is_number)``.

    A number (optionally ``*unit``, a unit amsparse knows) gives the digits as
    an int, the power of ten to the base unit and the scaled value; a
    timestamp gives its text and the aware datetime; anything else is text."""
    m = _NUM.fullmatch(text)
    if m is not None and text.isascii():
        sign, whole, frac, unit_text = m.groups()
        frac = frac or ""
        if len(whole) + len(frac) <= MAX_DIGITS:
            if unit_text is None:
                unit, exp = -1, 0
            else:
                ue = UNITS.get(unit_text)
                if ue is None:
                    return text, 0, -1, text, False
                unit, exp = ue
            raw = int(whole + frac)
            if sign:
                raw = -raw
            scaler = exp - len(frac)
            return raw, scaler, unit, scale(raw, scaler), True
    if is_timestamp(text):
        return text, 0, -1, p1_time(text, zone), False
    return text, 0, -1, text, False


def hex_text(text: str) -> str:
    """Hex-encoded text (``4B38...``) decoded when it is printable ASCII, else as sent."""
    if not text or len(text) % 2:
        return text
    try:
        b = bytes.fromhex(text)
    except ValueError:
        return text
    if all(0x20 <= c <= 0x7E for c in b):
        return b.decode("ascii")
    return text


def generic_name(obis: int) -> str:
    return "obis_" + "_".join(str(b) for b in obis.to_bytes(6, "big"))


def _unit_symbol(code: int) -> str:
    try:
        return Unit(code).symbol
    except ValueError:
        return str(code)


def _number(name: str, text: str, expected: int, zone: _dt.tzinfo, offset: int) -> tuple[Any, int, int, Any]:
    raw, scaler, unit, value, is_num = convert(text, zone)
    if expected >= 0:
        if not is_num:
            raise TelegramError(f"{name}: {text!r} is not a number", offset)
        if unit < 0:
            unit = expected
        elif unit != expected:
            raise TelegramError(
                f"{name}: unit {_unit_symbol(unit)} does not fit (expected {_unit_symbol(expected)})", offset
            )
    return raw, scaler, unit, value


def line_readings(
    out: tuple[list[Any], list[Any], list[Any], list[Any], list[Any], list[Any]],
    prof: P1Profile,
    obis: int,
    groups: list[str],
    zone: _dt.tzinfo,
    offset: int,
) -> None:
    """Append the reading(s) of one object to ``out`` = (names, obis, raws,
    scalers, units, values): one reading, or two for a timed value (the value,
    then its timestamp)."""
    names, codes, raws, scalers, units, values = out
    idx = prof.by_obis.get(obis, -1)
    if idx >= 0:
        name = prof.names[idx]
        kind = prof.kinds[idx]
        expected = prof.units[idx]
        tname = prof.time_names[idx]
    else:
        name = generic_name(obis)
        kind = 0
        expected = -1
        tname = name + "_time"
    n = len(groups)
    if kind == P1_TEXT or kind == P1_HEX:
        if n != 1:
            raise TelegramError(f"{name}: expected one value, got {n}", offset)
        t = groups[0]
        names.append(name); codes.append(obis); raws.append(t); scalers.append(0); units.append(-1)
        values.append(t if kind == P1_TEXT else hex_text(t))
        return
    if n == 1:
        raw, scaler, unit, value = _number(name, groups[0], expected, zone, offset)
        names.append(name); codes.append(obis); raws.append(raw); scalers.append(scaler)
        units.append(unit); values.append(value)
        return
    g0 = groups[0]
    time_text: str | None = None
    if n == 7 and len(g0) == 12 and g0.isdigit() and _OBIS_TEXT.fullmatch(groups[4]):
        # DSMR 2.2/3 hourly M-Bus value: (time)(status)(period)(1)(obis)(unit) NL (value)
        time_text = g0
        raw, scaler, unit, value = _number(name, groups[6] + "*" + groups[5], expected, zone, offset)
    elif g0.isdigit() and g0.isascii() and _OBIS_TEXT.fullmatch(groups[1]):
        # a log: (count)(obis)...(obis) then count entries of equal width
        count = int(g0)
        m = 1
        while m < n and _OBIS_TEXT.fullmatch(groups[m]):
            m += 1
        rest = n - m
        if (rest == 0) != (count == 0) or (count and rest % count):  # count entries of rest // count values
            raise TelegramError(f"{name}: {rest} values do not make {count} log entries", offset)
        w = rest // count if count else 0
        raw_t = tuple(tuple(groups[m + i * w:m + (i + 1) * w]) for i in range(count))
        val_t = tuple(tuple(convert(g, zone)[3] for g in entry) for entry in raw_t)
        names.append(name); codes.append(obis); raws.append(raw_t); scalers.append(0)
        units.append(-1); values.append(val_t)
        return
    elif is_timestamp(g0):
        time_text = g0
        if n == 2:
            raw, scaler, unit, value = _number(name, groups[1], expected, zone, offset)
        else:
            raw = tuple(groups[1:])
            value = tuple(convert(g, zone)[3] for g in groups[1:])
            scaler, unit = 0, -1
    else:
        names.append(name); codes.append(obis); raws.append(tuple(groups)); scalers.append(0)
        units.append(-1); values.append(tuple(convert(g, zone)[3] for g in groups))
        return
    names.append(name); codes.append(obis); raws.append(raw); scalers.append(scaler)
    units.append(unit); values.append(value)
    names.append(tname); codes.append(obis); raws.append(time_text); scalers.append(0)
    units.append(-1); values.append(p1_time(time_text, zone))


# --------------------------------------------------------------------------- decode

V_DSMR = 0x0103000208FF   # 1-3:0.2.8 DSMR version
V_EMUCS = 0x0000600104FF  # 0-0:96.1.4 e-MUCS version


def prepare(profiles: P1ProfileSet | None, profile: str | P1Profile | None) -> tuple[P1ProfileSet, P1Profile | None]:
    ps = builtin_p1_profiles() if profiles is None else profiles
    if not isinstance(ps, P1ProfileSet):
        raise TypeError("profiles must be a P1ProfileSet (see amsparse.load_p1_profiles)")
    if isinstance(profile, str):
        try:
            return ps, ps[profile]
        except KeyError:
            raise ValueError(
                f"no P1 profile with id {profile!r} (have: {', '.join(['p1-generic'] + [p.id for p in ps])})"
            ) from None
    return ps, profile


def frame_of(
    prof: P1Profile, ident: str, crc: int, out: tuple[list[Any], list[Any], list[Any], list[Any], list[Any], list[Any]]
) -> Frame:
    names, codes, raws, scalers, units, values = out
    version = meter_id = None
    for i, nm in enumerate(names):
        if version is None and (nm == "p1_version" or nm == "p1_version_be"):
            version = raws[i] if isinstance(raws[i], str) else None
        elif meter_id is None and nm == "meter_id" and isinstance(values[i], str):
            meter_id = values[i]
    return Frame(
        prof.id, "p1" if crc >= 0 else "p1-no-crc", version, meter_id, ident, None, None, crc, None,
        tuple(names), tuple(codes), tuple(raws), tuple(scalers), tuple(units), tuple(values),
    )


def decode_telegram(
    data: bytes | bytearray | memoryview,
    profiles: P1ProfileSet | None = None,
    *,
    profile: str | P1Profile | None = None,
    tz: str | None = None,
    keys: Any = None,
    require_authentication: bool = False,
) -> Frame:
    """Decode one P1 telegram, ``/`` through ``!CRC`` (see :func:`amsparse.decode_telegram`),
    or one general-glo-ciphering frame (``DB 08 ...``) holding it (:mod:`amsparse._p1_crypt`)."""
    data = bytes(data)
    ps, prof = prepare(profiles, profile)
    if data[:1] == b"\xdb":
        frame: Frame = decode_ciphered(data, keys, require_authentication,
                                       lambda plain: decode_telegram(plain, profiles, profile=profile, tz=tz))
        return frame
    bang, crc = envelope(data)
    ident, pos = ident_line(data, bang)
    lines = scan_lines(data, pos, bang)
    if prof is None:
        version = None
        for code, groups, _ in lines:
            if (code == V_DSMR or code == V_EMUCS) and len(groups) == 1:
                version = groups[0]
                break
        prof = ps.choose(ident, version, crc >= 0, tuple(code for code, _, _ in lines))
    zone = get_zone(tz if tz is not None else prof.timezone)
    out: tuple[list[Any], list[Any], list[Any], list[Any], list[Any], list[Any]] = ([], [], [], [], [], [])
    for code, groups, offset in lines:
        line_readings(out, prof, code, groups, zone, offset)
    return frame_of(prof, ident, crc, out)
