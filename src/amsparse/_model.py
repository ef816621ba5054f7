"""Result model shared by both backends: OBIS codes, units, COSEM clocks,
readings and frames.

Both decoders build the very same objects from these classes, so results of
the Cython core and the Python twin compare equal with ``==``.

A :class:`Frame` keeps its readings as parallel tuples (names, OBIS codes as
48-bit integers, raw values, scalers, unit codes, scaled values) and builds
:class:`Reading` objects only when asked.  That keeps ``decode_frame`` free of
one Python object per reading on its hot path while the public surface stays a
plain typed model.
"""

from __future__ import annotations

import datetime as _dt
import enum
import re
from dataclasses import dataclass
from typing import Any, Iterator, NamedTuple, Union

__all__ = [
    "CosemDate",
    "CosemDateTime",
    "CosemTime",
    "Frame",
    "ObisCode",
    "Reading",
    "Unit",
]


class ObisCode(NamedTuple):
    """An OBIS code ``A-B:C.D.E.F`` (IEC 62056-61), e.g. ``1-0:1.7.0.255``."""

    a: int
    b: int
    c: int
    d: int
    e: int
    f: int

    @classmethod
    def parse(cls, text: str) -> "ObisCode":
        """Parse ``"1-0:1.7.0.255"``, ``"1.0.1.7.0.255"`` or 12 hex digits."""
        s = text.strip()
        if len(s) == 12 and all(ch in "0123456789abcdefABCDEF" for ch in s):
            return cls.from_bytes(bytes.fromhex(s))
        parts = s.replace("-", ".").replace(":", ".").replace("*", ".").split(".")
        if len(parts) == 5:  # "1-0:1.7.0" without the F group
            parts.append("255")
        if len(parts) != 6:
            raise ValueError(f"not an OBIS code: {text!r}")
        try:
            nums = [int(p) for p in parts]
        except ValueError:
            raise ValueError(f"not an OBIS code: {text!r}") from None
        if any(n < 0 or n > 255 for n in nums):
            raise ValueError(f"OBIS group out of range 0..255: {text!r}")
        return cls(*nums)

    @classmethod
    def from_bytes(cls, data: bytes) -> "ObisCode":
        if len(data) != 6:
            raise ValueError("an OBIS code is 6 bytes")
        return cls(*data)

    @classmethod
    def from_int(cls, value: int) -> "ObisCode":
        """From the 48-bit big-endian integer the decoders use as a key."""
        return cls(*value.to_bytes(6, "big"))

    def to_int(self) -> int:
        return int.from_bytes(bytes(self), "big")

    def __str__(self) -> str:
        return f"{self.a}-{self.b}:{self.c}.{self.d}.{self.e}.{self.f}"


class Unit(enum.IntEnum):
    """DLMS/COSEM unit codes (IEC 62056-6-2 table "Enumerated values for physical units")."""

    YEAR = 1
    MONTH = 2
    WEEK = 3
    DAY = 4
    HOUR = 5
    MINUTE = 6
    SECOND = 7
    DEGREE = 8
    CELSIUS = 9
    CURRENCY = 10
    METRE = 11
    METRE_PER_SECOND = 12
    CUBIC_METRE = 13
    CUBIC_METRE_CORRECTED = 14
    CUBIC_METRE_PER_HOUR = 15
    CUBIC_METRE_PER_HOUR_CORRECTED = 16
    CUBIC_METRE_PER_DAY = 17
    CUBIC_METRE_PER_DAY_CORRECTED = 18
    LITRE = 19
    KILOGRAM = 20
    NEWTON = 21
    NEWTON_METRE = 22
    PASCAL = 23
    BAR = 24
    JOULE = 25
    JOULE_PER_HOUR = 26
    W = 27
    VA = 28
    VAR = 29
    WH = 30
    VAH = 31
    VARH = 32
    A = 33
    COULOMB = 34
    V = 35
    V_PER_METRE = 36
    FARAD = 37
    OHM = 38
    OHM_METRE = 39
    WEBER = 40
    TESLA = 41
    A_PER_METRE = 42
    HENRY = 43
    HZ = 44
    ACTIVE_ENERGY_METER_CONSTANT = 45
    REACTIVE_ENERGY_METER_CONSTANT = 46
    APPARENT_ENERGY_METER_CONSTANT = 47
    VOLT_SQUARED_HOUR = 48
    AMPERE_SQUARED_HOUR = 49
    KILOGRAM_PER_SECOND = 50
    SIEMENS = 51
    KELVIN = 52
    PERCENT = 56
    AMPERE_HOUR = 57
    OTHER = 254
    COUNT = 255

    @property
    def symbol(self) -> str:
        """The unit's symbol: ``"W"``, ``"Wh"``, ``"var"``, ``"m³"``; ``""`` for a count."""
        return _SYMBOLS.get(self, self.name.lower())

    def __str__(self) -> str:
        """The symbol (``str(Unit.W) == "W"``), or ``"count"`` for :attr:`COUNT`;
        ``int(unit)`` is the DLMS unit code."""
        return self.symbol or "count"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    @classmethod
    def from_symbol(cls, symbol: str) -> "Unit":
        """``"W"``, ``"kWh"`` is not accepted: profiles state base units and scalers."""
        try:
            return _BY_SYMBOL[symbol]
        except KeyError:
            raise ValueError(f"unknown unit {symbol!r}") from None


_SYMBOLS = {
    Unit.W: "W", Unit.VA: "VA", Unit.VAR: "var", Unit.WH: "Wh", Unit.VAH: "VAh",
    Unit.VARH: "varh", Unit.A: "A", Unit.V: "V", Unit.HZ: "Hz", Unit.PERCENT: "%",
    Unit.CELSIUS: "°C", Unit.SECOND: "s", Unit.COUNT: "", Unit.OTHER: "other",
    Unit.CUBIC_METRE: "m³", Unit.JOULE: "J", Unit.KELVIN: "K", Unit.HOUR: "h",
    Unit.MINUTE: "min", Unit.DAY: "d", Unit.LITRE: "l", Unit.KILOGRAM: "kg",
}
_BY_SYMBOL = {sym: unit for unit, sym in _SYMBOLS.items() if sym}
_BY_SYMBOL.update({u.name.lower(): u for u in Unit})
_BY_SYMBOL["none"] = Unit.COUNT


# --------------------------------------------------------------------------- clocks

_WEEKDAY_NAMES = ("?", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True, slots=True)
class CosemDateTime:
    """A COSEM ``date-time`` exactly as the meter sent it (12 bytes).

    Wildcard fields (0xFF / 0xFFFF) are ``None``.  ``deviation`` is in minutes
    *from local time to UTC* as DLMS defines it (so ``-60`` means UTC+01:00), or
    ``None`` when the meter left it unspecified (0x8000).  ``status`` is the clock
    status byte, ``None`` when the meter sent 0xFF ("not specified").
    ``weekday`` keeps the meter's number; Aidon sends 0 on Sundays.
    """

    year: int | None
    month: int | None
    day: int | None
    weekday: int | None
    hour: int | None
    minute: int | None
    second: int | None
    hundredths: int | None
    deviation: int | None
    status: int | None

    # status bits (IEC 62056-6-2, clock status)
    @property
    def invalid(self) -> bool:
        """Clock status bit 0: the time could not be recovered after a power failure."""
        return self.status is not None and bool(self.status & 0x01)

    @property
    def doubtful(self) -> bool:
        return self.status is not None and bool(self.status & 0x02)

    @property
    def dst(self) -> bool | None:
        """Clock status bit 7 (daylight saving active), ``None`` when status is unspecified."""
        return None if self.status is None else bool(self.status & 0x80)

    @property
    def is_complete(self) -> bool:
        """All date and time fields are present (no wildcards) and in range."""
        return _complete_fields(self) is not None

    @property
    def unset(self) -> bool:
        """The meter's clock looks unset: the invalid bit, or a year before 2001."""
        return self.invalid or (self.year is not None and self.year <= 2000)

    def naive(self) -> _dt.datetime | None:
        """The wall-clock fields as a naive datetime, or ``None`` if incomplete."""
        f = _complete_fields(self)
        return None if f is None else _dt.datetime(*f)

    def __str__(self) -> str:
        def p(v: int | None, w: int) -> str:
            return "*" * w if v is None else f"{v:0{w}d}"

        dev = "unspecified" if self.deviation is None else f"{self.deviation:+d}min"
        st = "--" if self.status is None else f"{self.status:02X}"
        return (
            f"{p(self.year, 4)}-{p(self.month, 2)}-{p(self.day, 2)} "
            f"{p(self.hour, 2)}:{p(self.minute, 2)}:{p(self.second, 2)}"
            f" dev={dev} status={st}"
        )


def _complete_fields(c: CosemDateTime) -> tuple[int, int, int, int, int, int, int] | None:
    if None in (c.year, c.month, c.day, c.hour, c.minute, c.second):
        return None
    if c.hundredths is not None and c.hundredths > 99:  # 0x64..0xFE: out of range (FF: not specified)
        return None
    us = 0 if c.hundredths is None else c.hundredths * 10000
    try:
        _dt.datetime(c.year, c.month, c.day, c.hour, c.minute, c.second, us)  # type: ignore[arg-type]
    except ValueError:
        return None
    return (c.year, c.month, c.day, c.hour, c.minute, c.second, us)  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class CosemDate:
    """A COSEM ``date`` (5 bytes); wildcards are ``None``."""

    year: int | None
    month: int | None
    day: int | None
    weekday: int | None


@dataclass(frozen=True, slots=True)
class CosemTime:
    """A COSEM ``time`` (4 bytes); wildcards are ``None``."""

    hour: int | None
    minute: int | None
    second: int | None
    hundredths: int | None


RawValue = Union[None, bool, int, float, str, bytes, CosemDateTime, CosemDate, CosemTime, tuple[Any, ...]]
Value = Union[None, bool, int, float, str, bytes, _dt.datetime, CosemDate, CosemTime, tuple[Any, ...]]


# --------------------------------------------------------------------------- readings

@dataclass(frozen=True, slots=True)
class Reading:
    """One value of a frame.

    ``raw`` is the value as sent (int, str, bytes, :class:`CosemDateTime`...),
    ``scaler`` the power of ten applied to it, ``unit`` the DLMS unit (a
    :class:`Unit`, a bare int for codes the enum does not know, or ``None``),
    and ``value`` the scaled value: ``raw * 10**scaler`` (an ``int`` when the
    scaler is >= 0, a ``float`` otherwise), or for a clock the aware
    ``datetime`` (``None`` when the clock cannot be read as one: wildcards,
    invalid clock).  ``obis`` is ``None`` for a value the frame sent without an
    OBIS code and the profile does not name.

    ``quality`` is ``None`` for a measured value, or ``"not_measured"`` for a
    placeholder the meter sends for a phase it does not measure: the phase-2
    values (``voltage_l2``, ``current_l2``...) reading exactly 0 on a 3-phase
    3-wire meter (IT/delta grid, see :attr:`Frame.wiring`).
    """

    obis: ObisCode | None
    name: str
    raw: RawValue
    scaler: int
    unit: Unit | int | None
    value: Value
    quality: str | None = None

    def decimal(self) -> Any:
        """The exact scaled value as a :class:`decimal.Decimal` (numbers only)."""
        import decimal

        if isinstance(self.raw, bool) or not isinstance(self.raw, int):
            raise TypeError(f"{self.name} is not an integer reading")
        return decimal.Decimal(self.raw).scaleb(self.scaler)


def freeze(items: Any) -> tuple[Any, ...]:
    """An A-XDR array/structure as the decoders read it (a list of ``(tag,
    value)``) -> an immutable tuple of the values, nested containers as nested
    tuples (shared by both backends)."""
    return tuple(freeze(v) if t == 1 or t == 2 else v for t, v in items)


def _unit(code: int) -> Unit | int | None:
    if code < 0:
        return None
    try:
        return Unit(code)
    except ValueError:
        return code


# --------------------------------------------------------------------------- frames

_NOT_MEASURED = "not_measured"
_PHASE2 = re.compile(r"_l2(?:_|$)")
# meter types whose wiring is known (docs/reading-names.md, "3-wire meters")
_WIRING_BY_TYPE = {
    # Aidon
    "6515": "1-phase", "6525": "3-wire", "6534": "4-wire", "6540": "3-wire", "6550": "4-wire",
    # Kaifa
    "MA105H2E": "1-phase", "MA304H3E": "3-wire", "MA304T3": "3-wire",
    "MA304H4": "4-wire", "MA304H4D": "4-wire", "MA304H4PSE": "4-wire", "MA304T4": "4-wire",
}
# Landis+Gyr E350 type prefixes: ZFF... 3-phase 3-wire, ZMF... 3-phase 4-wire
_WIRING_BY_PREFIX = (("ZFF", "3-wire"), ("ZMF", "4-wire"))


def _wiring(meter_type: str | None, names: tuple[str, ...]) -> str | None:
    if meter_type:
        w = _WIRING_BY_TYPE.get(meter_type)
        if w is not None:
            return w
        for prefix, w in _WIRING_BY_PREFIX:
            if meter_type.startswith(prefix):
                return w
    if "current_l1" in names and "current_l3" in names and "current_l2" not in names:
        return "3-wire"
    if "voltage_l1" in names and "voltage_l2" not in names and "voltage_l3" not in names:
        return "1-phase"
    return None


class Frame:
    """A decoded HAN push frame.

    Attributes:
        profile_id: id of the vendor profile that matched (``"generic"`` for an
            OBIS-coded list no profile claims).
        list_name: which list of the profile (``"list2"``, ``"list3"``...).
        list_version: the list-version string the meter sent (``None`` on lists
            that carry none, e.g. list 1).
        meter_id, meter_type: as sent (``None`` when the list has none).
        header_time: the data-notification's date-time as an aware datetime,
            ``None`` when absent or not representable; ``header_clock`` is the
            same field as sent.
        invoke_id: the long-invoke-id-and-priority field.
        address: ``(destination, source, control)`` of the HDLC header (``None``
            for an APDU decoded without HDLC framing).
        readings: tuple of :class:`Reading`, in frame order.
        meter_time: the meter clock element (list 3 and similar) as an aware
            datetime, ``None`` when the list has no clock element.
        timestamp: the frame's best time: ``meter_time``, else ``header_time``,
            else ``received``; ``None`` when there is none of them.
        received: when a stream reader (:mod:`amsparse.io`) received the
            frame, as an aware UTC datetime; ``None`` for frames decoded from
            bytes (``decode_frame``, ``StreamDecoder``, captures).
        wiring: ``"1-phase"``, ``"3-wire"`` (IT/delta grid), ``"4-wire"`` or
            ``None`` (not known), see :attr:`wiring`.
        security: ``None`` for a push that was not ciphered, else a
            :class:`amsparse.Security` (system title, invocation counter,
            encrypted, authenticated) describing how it arrived.

    A frame reads like a mapping of reading names: ``frame[name]`` and
    ``frame.get(name)`` give the :class:`Reading` (by name or
    :class:`ObisCode`), ``name in frame`` tests a name, iteration and
    :meth:`keys` give the names in frame order, ``len(frame)`` counts them.
    Scaled values: :meth:`value` for one, :meth:`values` (name -> value dict)
    or :meth:`as_dict` (also the times) for all.  A name sent twice keeps its
    first reading everywhere; :attr:`readings` has them all.

    Frames are read-only values (setting an attribute raises
    ``AttributeError``); they compare equal field by field and pickle.
    ``received`` is not compared: it says when these bytes arrived, not what
    they decode to, so a frame read live equals ``decode_frame`` of its bytes.
    """

    __slots__ = (
        "profile_id", "list_name", "list_version", "meter_id", "meter_type",
        "header_clock", "header_time", "invoke_id", "address",
        "_names", "_obis", "_raws", "_scalers", "_units", "_values", "_readings",
        "security", "received", "_time",
    )

    profile_id: str
    list_name: str | None
    list_version: str | None
    meter_id: str | None
    meter_type: str | None
    header_clock: CosemDateTime | None
    header_time: _dt.datetime | None
    invoke_id: int
    address: tuple[int, int, int] | None
    _names: tuple[str, ...]
    _obis: tuple[int, ...]
    _raws: tuple[Any, ...]
    _scalers: tuple[int, ...]
    _units: tuple[int, ...]
    _values: tuple[Any, ...]
    _readings: tuple[Reading, ...] | None
    security: Any
    received: _dt.datetime | None
    _time: int  # index of the reading with the profile's meter_time role, -1 for none

    def __init__(
        self,
        profile_id: str,
        list_name: str | None,
        list_version: str | None,
        meter_id: str | None,
        meter_type: str | None,
        header_clock: CosemDateTime | None,
        header_time: _dt.datetime | None,
        invoke_id: int,
        address: tuple[int, int, int] | None,
        names: tuple[str, ...],
        obis: tuple[int, ...],
        raws: tuple[Any, ...],
        scalers: tuple[int, ...],
        units: tuple[int, ...],
        values: tuple[Any, ...],
        security: Any = None,
        received: _dt.datetime | None = None,
        meter_time_index: int | None = None,
    ) -> None:
        _set = object.__setattr__
        _set(self, "profile_id", profile_id)
        _set(self, "list_name", list_name)
        _set(self, "list_version", list_version)
        _set(self, "meter_id", meter_id)
        _set(self, "meter_type", meter_type)
        _set(self, "header_clock", header_clock)
        _set(self, "header_time", header_time)
        _set(self, "invoke_id", invoke_id)
        _set(self, "address", address)
        _set(self, "_names", names)
        _set(self, "_obis", obis)
        _set(self, "_raws", raws)
        _set(self, "_scalers", scalers)
        _set(self, "_units", units)
        _set(self, "_values", values)
        _set(self, "_readings", None)
        _set(self, "security", security)
        _set(self, "received", received)
        if meter_time_index is None:  # not from a profile's role: the reading named meter_time
            meter_time_index = names.index("meter_time") if "meter_time" in names else -1
        elif not -1 <= meter_time_index < len(names):
            raise ValueError(f"meter_time_index {meter_time_index} is not a reading index or -1")
        _set(self, "_time", meter_time_index)

    # A decoded frame is a value: read-only, so it can hold no reference cycle
    # and the compiled core can keep it out of the cyclic GC (see _decode_c).
    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Frame is read-only (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Frame is read-only (cannot delete {name!r})")

    # -- readings --------------------------------------------------------------
    @property
    def readings(self) -> tuple[Reading, ...]:
        """All readings as :class:`Reading` objects, in frame order."""
        r = self._readings
        if r is None:
            bad = self._unmeasured()
            r = tuple(
                Reading(
                    None if o < 0 else ObisCode.from_int(o), n, raw, s, _unit(u), v,
                    _NOT_MEASURED if n in bad else None,
                )
                for n, o, raw, s, u, v in zip(
                    self._names, self._obis, self._raws, self._scalers, self._units, self._values
                )
            )
            object.__setattr__(self, "_readings", r)  # lazily built, then cached
        return r

    # -- times -------------------------------------------------------------------
    @property
    def meter_time(self) -> _dt.datetime | None:
        """The meter clock element (list 3 and similar) as an aware datetime;
        ``None`` when the list has none (or the clock cannot be read as a
        datetime).  Never the header time: see :attr:`timestamp`.  The element
        is the reading whose profile field has the ``meter_time`` role
        (docs/profiles.md "Roles")."""
        i = self._time
        if i < 0:
            return None
        v = self._values[i]
        return v if isinstance(v, _dt.datetime) else None

    @property
    def timestamp(self) -> _dt.datetime | None:
        """The frame's time: :attr:`meter_time`, else :attr:`header_time` (the
        data-notification's date-time), else :attr:`received` (set by the
        stream readers); ``None`` when the frame has none of them."""
        t = self.meter_time
        if t is None:
            t = self.header_time
            if t is None:
                t = self.received
        return t

    # -- wiring / quality ----------------------------------------------------------
    @property
    def wiring(self) -> str | None:
        """How the meter is connected: ``"1-phase"``, ``"3-wire"`` (3-phase
        without neutral: IT or delta grid, common in Norway), ``"4-wire"``
        (3-phase with neutral, TN/TT) or ``None`` when it cannot be told.

        Known meter types decide (Aidon 6515/6525/6534/6540/6550, Kaifa
        MA105H2E/MA304H3E/MA304T3/MA304H4/MA304T4, Landis+Gyr ZFF/ZMF);
        otherwise a frame with currents L1 and L3 but no current L2 is a
        3-wire meter and one with voltage L1 but no voltage L2 or L3 a
        1-phase meter.  Values never decide: a 4-wire meter reads 0 V on a
        phase whose fuse has blown."""
        return _wiring(self.meter_type, self._names)

    @property
    def unmeasured(self) -> tuple[str, ...]:
        """Names of the readings that are placeholders for a phase the meter
        does not measure (their :attr:`Reading.quality` is
        ``"not_measured"``): on a 3-wire meter, the phase-2 values that read
        exactly 0 (Kaifa MA304H3E sends ``voltage_l2 = 0``, Landis+Gyr ZFF
        ``voltage_l2 = 0`` and ``current_l2 = 0``).  Empty otherwise."""
        return tuple(n for n in dict.fromkeys(self._names) if n in self._unmeasured())

    def _unmeasured(self) -> frozenset[str]:
        if _wiring(self.meter_type, self._names) != "3-wire":
            return frozenset()
        return frozenset(
            n for n, v in zip(self._names, self._values)
            if _PHASE2.search(n) and type(v) in (int, float) and v == 0
        )

    # -- mapping of names --------------------------------------------------------
    def __len__(self) -> int:
        """The number of distinct reading names (``len(frame.readings)``
        counts a name sent twice twice)."""
        return len(set(self._names))

    def __iter__(self) -> Iterator[str]:
        """The reading names, in frame order (each once)."""
        return iter(dict.fromkeys(self._names))

    def keys(self) -> list[str]:
        """The reading names, in frame order (each once)."""
        return list(dict.fromkeys(self._names))

    def __contains__(self, key: object) -> bool:
        return self._index(key) is not None

    def _index(self, key: object) -> int | None:
        if isinstance(key, str):
            try:
                return self._names.index(key)
            except ValueError:
                return None
        if isinstance(key, ObisCode):
            try:
                return self._obis.index(key.to_int())
            except ValueError:
                return None
        return None

    def __getitem__(self, key: str | ObisCode) -> Reading:
        """``frame["active_power_import"]`` or ``frame[ObisCode.parse("1-0:1.7.0.255")]``:
        the :class:`Reading`; ``KeyError`` when the frame has none."""
        i = self._index(key)
        if i is None:
            raise KeyError(key)
        return self.readings[i]

    def get(self, key: str | ObisCode, default: Any = None) -> Any:
        """The :class:`Reading` for ``key`` (a name or an :class:`ObisCode`),
        or ``default``.  For the scaled value use :meth:`value`."""
        i = self._index(key)
        return default if i is None else self.readings[i]

    def value(self, key: str | ObisCode, default: Any = None) -> Any:
        """The scaled value for ``key`` (``frame[key].value``), or ``default``
        when the frame has no such reading."""
        i = self._index(key)
        return default if i is None else self._values[i]

    def values(self) -> dict[str, Any]:
        """Reading name -> scaled value, in frame order (W, var, A, V, Wh,
        varh; clocks as aware datetimes).  A name sent twice keeps its first
        value."""
        d: dict[str, Any] = dict(zip(self._names, self._values))
        if len(d) != len(self._names):  # a name twice: the first one wins
            d = {}
            for name, value in zip(self._names, self._values):
                d.setdefault(name, value)
        return d

    def as_dict(self) -> dict[str, Any]:
        """:meth:`values` plus the frame's times, always present (``None``
        when missing): ``meter_time`` (:attr:`meter_time`, the clock element
        only), ``header_time``, ``timestamp`` (:attr:`timestamp`) and
        ``received``."""
        d = self.values()
        d["meter_time"] = self.meter_time
        d["header_time"] = self.header_time
        d["timestamp"] = self.timestamp
        d["received"] = self.received
        return d

    # -- comparison / repr -------------------------------------------------------
    def _key(self) -> tuple[Any, ...]:
        return (
            self.profile_id, self.list_name, self.list_version, self.meter_id,
            self.meter_type, self.header_clock, self.header_time, self.invoke_id,
            self.address, self._names, self._obis, self._raws, self._scalers,
            self._units, self._values, self._time, self.security,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Frame):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"<Frame {self.profile_id}/{self.list_name} version={self.list_version!r} "
            f"meter={self.meter_id!r} readings={len(self._names)}>"
        )

    def __reduce__(self) -> tuple[Any, ...]:  # picklable (multiprocessing back ends)
        return (Frame, self._key()[:9] + (self._names, self._obis, self._raws,
                                          self._scalers, self._units, self._values,
                                          self.security, self.received, self._time))
