"""Energy accounting: hours, days, months, the Norwegian capacity tariff, now
values and voltage events, from decoded HAN frames.

Two ways in, one result:

* live: :meth:`EnergyAccountant.update` takes one decoded :class:`~amsparse.Frame`
  at a time and returns the events it caused (an hour closed, a gap, a register
  that went backwards, a voltage excursion...);
* archives: :meth:`EnergyAccountant.feed_table` takes a whole
  :class:`~amsparse.FrameTable` (from :func:`~amsparse.decode_batch`) and works
  on its columns with numpy, with no Python loop per frame (needs
  ``pip install "amsparse[numpy]"``).

Both paths apply the same per-frame rules (written once as scalar code and once
as array code; the tests hold them to identical state), and both can be mixed
and continued: feeding a capture in pieces gives what feeding it whole gives.
:class:`EnergyAccounts` keeps one accountant per meter id.

Every number is derived from the meter's own data and integers: hourly import
and export are differences of the cumulative registers the meter stamps at the
whole hour (list 3), in Wh; estimated hours (power integrated over time, for
meters or captures without list 3) are integer W·µs sums, flagged and never
mixed with metered ones.  See ``docs/energy.md`` for what each number means.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import json
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

from ._clock import epoch_us
from ._spec import NAT

__all__ = [
    "DEFAULT_STEPS",
    "Capacity",
    "Day",
    "EnergyAccountant",
    "EnergyAccounts",
    "Event",
    "Gap",
    "Hour",
    "Month",
    "Step",
    "VoltageEvent",
    "format_live",
    "live_summary",
    "load_steps",
    "make_steps",
]

_S = 1_000_000  # µs per second
_H = 3600 * _S
_DAY = 86400 * _S
_WUS_PER_WH = 3600 * _S  # W·µs in one Wh
#: times outside [1970, 2200) are treated as "no time" (unset clocks, garbage)
_T_MAX = (_dt.datetime(2200, 1, 1) - _dt.datetime(1970, 1, 1)) // _dt.timedelta(microseconds=1)
#: power values at or above this (W) are not integrated (a 1 GW house is a decoding problem)
_P_MAX = 1_000_000_000
_NOMINAL_V = 230.0
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


# --------------------------------------------------------------------------- steps

@dataclass(frozen=True)
class Step:
    """One capacity step: average kW from ``lower_kw`` (inclusive) to the next step."""

    lower_kw: float
    label: str


def make_steps(thresholds: Sequence[float], labels: Sequence[str] | None = None) -> tuple[Step, ...]:
    """Steps from increasing lower bounds in kW (the first must be 0); labels
    default to ``"5-10 kW"`` / ``"100+ kW"``."""
    th = [float(x) for x in thresholds]
    if not th or th[0] != 0 or any(b <= a for a, b in zip(th, th[1:])) or any(math.isnan(x) for x in th):
        raise ValueError("capacity steps: increasing thresholds in kW starting at 0")

    def num(x: float) -> str:
        return str(int(x)) if x == int(x) else f"{x:g}"

    if labels is None:
        labels = [f"{num(a)}-{num(b)} kW" for a, b in zip(th, th[1:])] + [f"{num(th[-1])}+ kW"]
    if len(labels) != len(th):
        raise ValueError("capacity steps: one label per threshold")
    return tuple(Step(a, str(lab)) for a, lab in zip(th, labels))


#: the common Norwegian steps: 0-2, 2-5, 5-10, 10-15, 15-20, 20-25, 25-50, 50-75, 75-100, 100+ kW
DEFAULT_STEPS = make_steps([0, 2, 5, 10, 15, 20, 25, 50, 75, 100])


def load_steps(path: str) -> tuple[Step, ...]:
    """Steps from a JSON file: ``[0, 2, 5, ...]`` (kW) or
    ``[{"from": 0, "label": "Trinn 1"}, ...]``."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if isinstance(data, dict):
        data = data.get("steps")
    if not isinstance(data, list) or not data:
        raise ValueError(f"{path}: expected a JSON list of thresholds")
    if all(isinstance(x, dict) for x in data):
        return make_steps([x["from"] for x in data], [x.get("label") or "" for x in data])
    if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in data):
        return make_steps(data)
    raise ValueError(f"{path}: expected numbers or {{'from', 'label'}} objects")


def _step_index(steps: Sequence[Step], kw: float) -> int:
    i = 0
    for j, s in enumerate(steps):
        if kw >= s.lower_kw:
            i = j
    return i


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class Hour:
    """One settlement period (60 or 15 minutes); times are UTC epoch µs,
    :attr:`start_time` / :attr:`end_time` aware in the accountant's zone."""

    start: int
    end: int
    import_wh: int
    export_wh: int
    complete: bool
    estimated: bool
    zone: Any = field(default=None, compare=False, repr=False)

    @property
    def start_time(self) -> _dt.datetime:
        return _aware(self.start, self.zone)

    @property
    def end_time(self) -> _dt.datetime:
        return _aware(self.end, self.zone)


@dataclass(frozen=True)
class Gap:
    """No hour could be made between two register readings (``start``/``end``,
    UTC epoch µs): missing hours, or a register that went backwards (``reset``)."""

    start: int
    end: int
    reset: bool = False


@dataclass(frozen=True)
class VoltageEvent:
    """A phase voltage outside ``[207, 253]`` V from ``start`` until ``end``
    (the first reading back inside; ``None`` while it lasts); ``worst`` is the
    reading farthest from 230 V."""

    phase: int
    start: int
    end: int | None
    worst: float


@dataclass(frozen=True)
class Event:
    """What one :meth:`EnergyAccountant.update` call caused.

    ``kind`` is ``"hour"`` (data: :class:`Hour`), ``"gap"`` / ``"register_reset"``
    (:class:`Gap`), ``"duplicate"`` (the register frame's time), ``"clock_backwards"``
    (``(time, last accepted hour)``), ``"repeated_hour"`` (a wall-clock stamp in the
    repeated autumn hour read as its second occurrence; the corrected time),
    ``"voltage_start"`` / ``"voltage_end"`` (:class:`VoltageEvent`)."""

    kind: str
    data: Any


@dataclass(frozen=True)
class Day:
    date: _dt.date
    import_wh: int
    export_wh: int
    hours: int
    max_hour: Hour


@dataclass(frozen=True)
class Capacity:
    """The capacity figure of a month: the highest hour of each day, the three
    highest of those (on three different days), their average in kW and its step."""

    top3: tuple[Hour, ...]
    average_kw: float
    step: Step
    step_index: int


@dataclass(frozen=True)
class Month:
    month: str  # "YYYY-MM"
    start_reading_import_wh: int | None
    start_reading_export_wh: int | None
    import_wh: int
    export_wh: int
    days: tuple[Day, ...]
    capacity: Capacity | None


def _aware(us: int, zone: Any) -> _dt.datetime:
    t = _EPOCH + _dt.timedelta(microseconds=us)
    return t.astimezone(zone) if zone is not None else t


# --------------------------------------------------------------------------- zone tables

class _ZoneTable:
    """UTC offsets of a zone as a sorted list of transitions, computed for the
    years the data needs; shared by the scalar and the array code so both use
    the very same offsets and repeated-hour windows."""

    def __init__(self, zone: Any) -> None:
        self.zone = zone
        self.y0 = self.y1 = None  # type: int | None
        self.trans: list[int] = []   # instants (µs) where the offset changes
        self.offs: list[int] = []    # offset (µs) from each instant on
        self.off0 = 0                # offset before the first transition
        self.win_a: list[int] = []   # repeated hours: first occurrence [a, b) in UTC
        self.win_b: list[int] = []
        self._np: Any = None

    def _off_at(self, sec: int) -> int:
        t = _dt.datetime.fromtimestamp(sec, self.zone)
        return (t.utcoffset() or _dt.timedelta()) // _dt.timedelta(microseconds=1)

    def ensure(self, lo_us: int, hi_us: int) -> None:
        ylo = 1970 + max(0, lo_us) // (365 * _DAY) - 1
        yhi = 1970 + max(0, hi_us) // (365 * _DAY) + 1
        if self.y0 is not None and self.y0 <= ylo and yhi <= self.y1:  # type: ignore[operator]
            return
        y0 = ylo if self.y0 is None else min(ylo, self.y0)
        y1 = yhi if self.y1 is None else max(yhi, self.y1)
        y0, y1 = max(1969, y0), min(2201, y1)
        start = int((_dt.datetime(y0, 1, 1) - _dt.datetime(1970, 1, 1)).total_seconds())
        stop = int((_dt.datetime(y1 + 1, 1, 1) - _dt.datetime(1970, 1, 1)).total_seconds())
        trans, offs = [], []
        off0 = prev = self._off_at(start)
        s = start
        while s < stop:
            nxt = s + 86400
            o = self._off_at(nxt)
            if o != prev:
                lo, hi = s, nxt  # offset at lo is prev, at hi is o
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if self._off_at(mid) == prev:
                        lo = mid
                    else:
                        hi = mid
                trans.append(hi * _S)
                offs.append(self._off_at(hi))
                prev = offs[-1]
            s = nxt
        self.y0, self.y1, self.trans, self.offs, self.off0 = y0, y1, trans, offs, off0
        self.win_a, self.win_b = [], []
        before = off0
        for t, o in zip(trans, offs):
            if o < before:  # clocks go back: wall times [t+o, t+before) occur twice
                self.win_a.append(t - (before - o))
                self.win_b.append(t)
            before = o
        self._np = None

    # scalar
    def offset(self, t: int) -> int:
        i = bisect.bisect_right(self.trans, t) - 1
        return self.off0 if i < 0 else self.offs[i]

    def window(self, t: int) -> int:
        i = bisect.bisect_right(self.win_a, t) - 1
        return i if i >= 0 and t < self.win_b[i] else -1

    # arrays
    def arrays(self, np: Any) -> Any:
        if self._np is None:
            self._np = (
                np.array(self.trans, dtype=np.int64), np.array(self.offs, dtype=np.int64),
                np.array(self.win_a, dtype=np.int64), np.array(self.win_b, dtype=np.int64),
            )
        return self._np

    def offset_np(self, np: Any, t: Any) -> Any:
        trans, offs, _, _ = self.arrays(np)
        i = np.searchsorted(trans, t, side="right") - 1
        return np.where(i < 0, self.off0, offs[np.maximum(i, 0)] if len(offs) else self.off0)

    def window_np(self, np: Any, t: Any) -> Any:
        _, _, wa, wb = self.arrays(np)
        if not len(wa):
            return np.full(len(t), -1, dtype=np.int64)
        i = np.searchsorted(wa, t, side="right") - 1
        ok = (i >= 0) & (t < wb[np.maximum(i, 0)])
        return np.where(ok, i, -1)


_ZONE_TABLES: dict[Any, _ZoneTable] = {}


def _zone_table(zone: Any) -> _ZoneTable:
    """One table per zone, shared (it only ever grows; every lookup gives the same answer)."""
    zt = _ZONE_TABLES.get(zone)
    if zt is None:
        zt = _ZONE_TABLES.setdefault(zone, _ZoneTable(zone))
    return zt


# --------------------------------------------------------------------------- the accountant

def _num(v: Any) -> float:
    """A frame value as the float the FrameTable column holds (NaN if absent)."""
    if v is None or isinstance(v, bool) or not isinstance(v, (int, float)):
        return math.nan
    return float(v)


def _t(v: int) -> int | None:
    return v if v != NAT and 0 <= v < _T_MAX else None


class EnergyAccountant:
    """Energy accounting for one meter.

    Args:
        tz: the meter's zone (hours, days and months are local to it).
        period_minutes: settlement period, 60 (today) or 15 (or any divisor of 60).
        steps: capacity steps (:data:`DEFAULT_STEPS`, :func:`make_steps`).
        tolerance_s: how far (s) a register stamp may be from the whole period
            and still count as that period's reading (meters stamp hh:00:00 to
            hh:00:55).
        max_gap_s: longest interval between power readings that is integrated
            into estimated hours (list 2 comes every 10 s).
        voltage_limits: (low, high) in V, default EN 50160's 230 V ± 10 %.
    """

    def __init__(
        self,
        tz: str | Any = "Europe/Oslo",
        *,
        period_minutes: int = 60,
        steps: Sequence[Step] = DEFAULT_STEPS,
        tolerance_s: float = 120,
        max_gap_s: float = 60,
        voltage_limits: tuple[float, float] = (207.0, 253.0),
        meter_id: str | None = None,
    ) -> None:
        if isinstance(tz, str):
            from ._clock import get_zone

            tz = get_zone(tz)
        if not isinstance(period_minutes, int) or period_minutes <= 0 or 60 % period_minutes:
            raise ValueError("period_minutes divides 60 (60, 30, 15, ...)")
        self.zone = tz
        self.period_minutes = period_minutes
        self.period = period_minutes * 60 * _S
        self.steps = tuple(steps)
        self.tolerance = int(tolerance_s * _S)
        if not 0 <= self.tolerance < self.period // 2:
            raise ValueError("tolerance_s must be below half the period")
        self.max_gap = int(max_gap_s * _S)
        if not 0 < self.max_gap <= self.period:
            raise ValueError("max_gap_s must be positive and at most the period")
        self.v_low, self.v_high = voltage_limits
        self.meter_id = meter_id
        self._zt = _zone_table(tz)
        # registers: accepted points (slot start µs, import Wh, export Wh)
        self.points: list[tuple[int, int, int]] = []
        self._reg_prev: tuple[int, int, int, int, bool] | None = None  # raw t, window, imp, exp, in_fold
        self._reg_prev_slot = 0
        self.duplicates = 0
        self.clock_events: list[tuple[int, int]] = []  # (register time, last accepted slot)
        self.repeated_hours = 0
        # power integration: slot -> [import W·µs, export W·µs, covered µs]
        self.estimated: dict[int, list[int]] = {}
        self._pw_prev: tuple[int, int, bool, int, int, int] | None = None  # raw t, window, fold, t', p+, p-
        # voltage: per phase (start, worst) of the excursion under way
        self._v_open: list[tuple[int, float] | None] = [None, None, None]
        self.voltage_events: list[VoltageEvent] = []
        # now values: reading name -> latest value
        self.now_values: dict[str, float] = {}
        self.now_time: int | None = None

    # ------------------------------------------------------------------ helpers
    def _slot(self, t: int) -> int:
        return t - (t + self._zt.offset(t)) % self.period

    def _nearest(self, t: int) -> int:
        return self._slot(t + self.period // 2)

    # ------------------------------------------------------------------ live
    def update(self, frame: Any, at: _dt.datetime | None = None) -> list[Event]:
        """Account one decoded frame; ``at`` is the receive time, used only
        when the frame carries no clock (Aidon list 1/2); it defaults to
        ``frame.received`` (set by the :mod:`amsparse.io` readers).  Returns
        the events."""
        if at is None:
            at = getattr(frame, "received", None)
        if at is not None and at.utcoffset() is None:
            raise ValueError("update(at=...) needs an aware datetime (e.g. datetime.now(timezone.utc))")
        if self.meter_id is None and frame.meter_id is not None:
            self.meter_id = frame.meter_id
        get = frame.value
        return self._row(
            epoch_us(frame.header_time), epoch_us(frame.meter_time),
            epoch_us(at) if at is not None else NAT,
            _num(get("active_energy_import")), _num(get("active_energy_export")),
            _num(get("active_power_import")), _num(get("active_power_export")),
            tuple(_num(get(f"voltage_l{i}")) for i in (1, 2, 3)),
            tuple(_num(get(f"current_l{i}")) for i in (1, 2, 3)),
        )

    def _row(self, th: int, tm: int, tx: int, e_imp: float, e_exp: float, p_imp: float,
             p_exp: float, volts: tuple[float, ...], amps: tuple[float, ...]) -> list[Event]:
        events: list[Event] = []
        hdr, met, ext = _t(th), _t(tm), _t(tx)
        treg = met if met is not None else hdr
        tpow = hdr if hdr is not None else met if met is not None else ext
        zt = self._zt
        for t in (treg, tpow):
            if t is not None:
                zt.ensure(t, t)
        # ---- power integration
        tv = tpow  # the time voltages are stamped with: the corrected power time when there is one
        pfold = False  # this frame's power reading is in the repeated hour's second occurrence
        if tpow is not None and not math.isnan(p_imp):
            pi = round(p_imp)
            pe = 0 if math.isnan(p_exp) else round(p_exp)
            if 0 <= pi < _P_MAX and 0 <= pe < _P_MAX:
                w = zt.window(tpow)
                prev = self._pw_prev
                in_fold = False
                if prev is not None and w >= 0 and prev[1] == w:
                    shift = zt.win_b[w] - zt.win_a[w]
                    in_fold = (prev[0] - tpow > shift // 2) or prev[2]
                tc = tpow + (zt.win_b[w] - zt.win_a[w] if in_fold else 0)
                if in_fold:
                    zt.ensure(tc, tc)
                if prev is not None:
                    t0, p0i, p0e = prev[3], prev[4], prev[5]
                    dt = tc - t0
                    if 0 < dt <= self.max_gap:
                        s0 = self._slot(t0)
                        b = s0 + self.period
                        first = min(tc, b) - t0
                        self._add_est(s0, p0i * first, p0e * first, first)
                        if tc > b:
                            second = tc - b
                            self._add_est(b, p0i * second, p0e * second, second)
                self._pw_prev = (tpow, w, in_fold, tc, pi, pe)
                self.now_time = tc
                tv = tc
                pfold = in_fold
        # ---- registers
        if treg is not None and not math.isnan(e_imp):
            imp = round(e_imp)
            exp = 0 if math.isnan(e_exp) else round(e_exp)
            w = zt.window(treg)
            slot_raw = self._nearest(treg)
            rprev = self._reg_prev
            # the repeated hour: entered when this frame's power reading is in it, or the
            # stamp goes back within it, or repeats the previous hour with moved registers
            in_fold = w >= 0 and pfold
            if rprev is not None and w >= 0 and rprev[1] == w:
                shift = zt.win_b[w] - zt.win_a[w]
                in_fold = in_fold or rprev[4] or (rprev[0] - treg > shift // 2) or (
                    self._reg_prev_slot == slot_raw and (imp > rprev[2] or exp > rprev[3]))
            self._reg_prev = (treg, w, imp, exp, in_fold)
            self._reg_prev_slot = slot_raw
            tc = treg + (zt.win_b[w] - zt.win_a[w] if in_fold else 0)
            if in_fold:
                zt.ensure(tc, tc)
            slot = self._nearest(tc)
            if abs(tc - slot) <= self.tolerance:
                if in_fold:
                    self.repeated_hours += 1
                    events.append(Event("repeated_hour", tc))
                events += self._register(slot, imp, exp, tc)
        # ---- now values and voltage
        vals = {"active_power_import": p_imp, "active_power_export": p_exp}
        for i in range(3):
            vals[f"voltage_l{i + 1}"] = volts[i]
            vals[f"current_l{i + 1}"] = amps[i]
        for k, v in vals.items():
            if not math.isnan(v):
                self.now_values[k] = v
        if tv is not None:
            for i, v in enumerate(volts):
                if math.isnan(v) or v == 0.0:
                    continue
                events += self._voltage(i, tv, v)
        return events

    def _add_est(self, slot: int, wi: int, we: int, cov: int) -> None:
        acc = self.estimated.get(slot)
        if acc is None:
            self.estimated[slot] = [wi, we, cov]
        else:
            acc[0] += wi
            acc[1] += we
            acc[2] += cov

    def _register(self, slot: int, imp: int, exp: int, t: int) -> list[Event]:
        pts = self.points
        if pts:
            ls, li, le = pts[-1]
            if slot <= ls:
                if slot == ls and imp == li and exp == le:
                    self.duplicates += 1
                    return [Event("duplicate", t)]
                if slot < ls:
                    self.clock_events.append((t, ls))
                    return [Event("clock_backwards", (t, ls))]
                return []  # a further reading within the tolerance of the same hour
        pts.append((slot, imp, exp))
        if len(pts) < 2:
            return []
        h = self._hour_or_gap(pts[-2], pts[-1])
        return [Event("hour" if isinstance(h, Hour) else "register_reset" if h.reset else "gap", h)]

    def _hour_or_gap(self, a: tuple[int, int, int], b: tuple[int, int, int]) -> Hour | Gap:
        reset = b[1] < a[1] or b[2] < a[2]
        if reset or b[0] - a[0] != self.period:
            return Gap(a[0], b[0], reset)
        return Hour(a[0], b[0], b[1] - a[1], b[2] - a[2], True, False, self.zone)

    def _voltage(self, i: int, t: int, v: float) -> list[Event]:
        dev = abs(v - _NOMINAL_V)
        out = v < self.v_low or v > self.v_high
        cur = self._v_open[i]
        if out:
            if cur is None:
                self._v_open[i] = (t, v)
                return [Event("voltage_start", VoltageEvent(i + 1, t, None, v))]
            if dev > abs(cur[1] - _NOMINAL_V):
                self._v_open[i] = (cur[0], v)
            return []
        if cur is None:
            return []
        self._v_open[i] = None
        ev = VoltageEvent(i + 1, cur[0], t, cur[1])
        self.voltage_events.append(ev)
        return [Event("voltage_end", ev)]

    # ------------------------------------------------------------------ vectorised
    def feed_table(self, table: Any, *, times: Any = None, rows: Any = None) -> None:
        """Account a whole :class:`~amsparse.FrameTable` (rows in capture order)
        with numpy; the same state as calling :meth:`update` on each frame.

        ``times`` (optional, one UTC epoch µs per row, :data:`~amsparse._batch.NAT`
        for none) stands in for frames without a clock; ``rows`` (optional index
        array) selects the rows of this meter."""
        np = _numpy()
        cols = _columns(np, table, times, rows)
        if self.meter_id is None:
            ids = cols.pop("_meter_ids")
            if ids:
                self.meter_id = ids[0]
        else:
            cols.pop("_meter_ids")
        self._feed_arrays(np, cols)

    def _feed_arrays(self, np: Any, c: dict[str, Any]) -> None:
        n = len(c["th"])
        if n == 0:
            return
        th, tm, tx = (_valid_t(np, c[k]) for k in ("th", "tm", "tx"))
        treg = np.where(tm != NAT, tm, th)
        tpow = np.where(th != NAT, th, np.where(tm != NAT, tm, tx))
        zt = self._zt
        allt = np.concatenate([treg[treg != NAT], tpow[tpow != NAT]])
        if len(allt):
            zt.ensure(int(allt.min()), int(allt.max()) + _H)  # + the repeated-hour shift
        self._feed_power(np, tpow, c["p_imp"], c["p_exp"])
        self._feed_registers(np, treg, c["e_imp"], c["e_exp"])
        self._feed_now(np, c)
        vt = np.where(self._pw_time_np != NAT, self._pw_time_np, tpow)
        ended: list[tuple[int, int, VoltageEvent]] = []
        for i in range(3):
            ended += self._feed_voltage(np, i, vt, c[f"v{i + 1}"])
        ended.sort(key=lambda x: (x[0], x[1]))  # the live order: by the row that ends them, then phase
        self.voltage_events.extend(ev for _r, _p, ev in ended)

    def _slot_np(self, np: Any, t: Any) -> Any:
        return t - (t + self._zt.offset_np(np, t)) % self.period

    def _nearest_np(self, np: Any, t: Any) -> Any:
        return self._slot_np(np, t + self.period // 2)

    def _unfold_np(self, np: Any, t: Any, extra: Any, prev: tuple[int, int, bool] | None,
                   force: Any = None) -> tuple[Any, Any]:
        """Second occurrences of repeated wall hours -> (corrected t, in_fold);
        ``prev`` = (raw t, window, in_fold) of the row before (or None)."""
        zt = self._zt
        _, _, wa, wb = zt.arrays(np)
        lo, hi = int(t.min()), int(t.max())
        if prev is not None:
            lo = min(lo, prev[0])
        if not bool(np.any((wa <= hi) & (wb > lo))):  # no repeated hour anywhere near (force is then all False)
            return t, np.zeros(len(t), dtype=bool)
        w = zt.window_np(np, t)
        if prev is None:
            pt, pw, pf = 0, -2, False
        else:
            pt, pw, pf = prev
        t_all = np.concatenate([[pt], t])
        w_all = np.concatenate([[pw], w])
        if len(wa):
            shift = np.where(w >= 0, wb[np.maximum(w, 0)] - wa[np.maximum(w, 0)], 0)
        else:
            shift = np.zeros(len(t), dtype=np.int64)
        same = (w >= 0) & (w_all[:-1] == w)
        back = (t_all[:-1] - t) > shift // 2
        entry = same & (back | extra)
        if force is not None:
            entry |= (w >= 0) & force
        entry = np.concatenate([[pf and pw >= 0], entry])
        runstart = np.concatenate([[True], w_all[1:] != w_all[:-1]])
        ce = np.cumsum(entry)
        base = np.maximum.accumulate(np.where(runstart, ce - entry, 0))
        in_fold = ((w_all >= 0) & (ce - base > 0))[1:]
        return t + np.where(in_fold, shift, 0), in_fold

    def _feed_registers(self, np: Any, treg: Any, e_imp: Any, e_exp: Any) -> None:
        sel = np.flatnonzero((treg != NAT) & ~np.isnan(e_imp))
        if not len(sel):
            return
        t = treg[sel]
        imp = np.rint(e_imp[sel]).astype(np.int64)
        ee = e_exp[sel]
        exp = np.where(np.isnan(ee), 0, np.rint(np.nan_to_num(ee))).astype(np.int64)
        slot_raw = self._nearest_np(np, t)
        prev = self._reg_prev
        if prev is None:
            p_slot, p_imp, p_exp = -1, 0, 0
        else:
            p_slot, p_imp, p_exp = self._reg_prev_slot, prev[2], prev[3]
        ps = np.concatenate([[p_slot], slot_raw[:-1]])
        pi = np.concatenate([[p_imp], imp[:-1]])
        pe = np.concatenate([[p_exp], exp[:-1]])
        extra = (ps == slot_raw) & ((imp > pi) | (exp > pe))
        tc, in_fold = self._unfold_np(np, t, extra, None if prev is None else (prev[0], prev[1], prev[4]),
                                      self._pw_fold_np[sel])
        w_last = int(self._zt.window_np(np, t[-1:])[0])
        self._reg_prev = (int(t[-1]), w_last, int(imp[-1]), int(exp[-1]), bool(in_fold[-1]))
        self._reg_prev_slot = int(slot_raw[-1])
        slot = self._nearest_np(np, tc)
        ok = np.abs(tc - slot) <= self.tolerance
        self.repeated_hours += int(np.count_nonzero(ok & in_fold))
        slot, imp, exp, tc = slot[ok], imp[ok], exp[ok], tc[ok]
        if not len(slot):
            return
        pts = self.points
        if pts:
            ls, li, le = pts[-1]
        else:
            ls, li, le = -(2**62), -1, -1
        s_all = np.concatenate([[ls], slot])
        prevmax = np.maximum.accumulate(s_all)[:-1]
        acc = slot > prevmax
        idx = np.where(np.concatenate([[True], acc]), np.arange(len(s_all)), 0)
        last = np.maximum.accumulate(idx)[:-1]  # index (in s_all) of the last accepted before
        i_all = np.concatenate([[li], imp])
        e_all = np.concatenate([[le], exp])
        dup = ~acc & (slot == s_all[last]) & (imp == i_all[last]) & (exp == e_all[last])
        back = ~acc & (slot < prevmax)
        self.duplicates += int(np.count_nonzero(dup))
        self.clock_events.extend(zip(tc[back].tolist(), prevmax[back].tolist()))
        pts.extend(zip(slot[acc].tolist(), imp[acc].tolist(), exp[acc].tolist()))

    def _feed_power(self, np: Any, tpow: Any, p_imp: Any, p_exp: Any) -> None:
        n = len(tpow)
        self._pw_time_np = np.full(n, NAT, dtype=np.int64)
        self._pw_fold_np = np.zeros(n, dtype=bool)
        pe_f = np.where(np.isnan(p_exp), 0.0, p_exp)
        valid = (tpow != NAT) & ~np.isnan(p_imp)
        pi_r = np.rint(np.where(valid, p_imp, 0.0))
        pe_r = np.rint(pe_f)
        valid &= (pi_r >= 0) & (pi_r < _P_MAX) & (pe_r >= 0) & (pe_r < _P_MAX)
        sel = np.flatnonzero(valid)
        if not len(sel):
            return
        t = tpow[sel]
        pi = pi_r[sel].astype(np.int64)
        pe = pe_r[sel].astype(np.int64)
        prev = self._pw_prev
        tc, in_fold = self._unfold_np(
            np, t, np.zeros(len(t), dtype=bool), None if prev is None else (prev[0], prev[1], prev[2]))
        self._pw_time_np[sel] = tc
        self._pw_fold_np[sel] = in_fold
        if prev is None:
            t0 = tc[:-1]
            p0i, p0e, t1 = pi[:-1], pe[:-1], tc[1:]
        else:
            t0 = np.concatenate([[prev[3]], tc[:-1]])
            p0i = np.concatenate([[prev[4]], pi[:-1]])
            p0e = np.concatenate([[prev[5]], pe[:-1]])
            t1 = tc
        w_last = int(self._zt.window_np(np, t[-1:])[0])
        self._pw_prev = (int(t[-1]), w_last, bool(in_fold[-1]), int(tc[-1]), int(pi[-1]), int(pe[-1]))
        self.now_time = int(tc[-1])
        dt = t1 - t0
        ok = (dt > 0) & (dt <= self.max_gap)
        t0, t1, p0i, p0e = t0[ok], t1[ok], p0i[ok], p0e[ok]
        if not len(t0):
            return
        s0 = self._slot_np(np, t0)
        b = s0 + self.period
        first = np.minimum(t1, b) - t0
        second = np.maximum(t1 - b, 0)
        cross = second > 0  # the few intervals that straddle a period boundary
        slots = np.concatenate([s0, b[cross]])
        cov = np.concatenate([first, second[cross]])
        wi = np.concatenate([p0i * first, p0i[cross] * second[cross]])
        we = np.concatenate([p0e * first, p0e[cross] * second[cross]])
        keep = cov > 0
        slots, cov, wi, we = slots[keep], cov[keep], wi[keep], we[keep]
        for s, a, e, c in zip(*_group_sum(np, slots, wi, we, cov)):  # one step per hour
            self._add_est(s, a, e, c)

    def _feed_now(self, np: Any, c: dict[str, Any]) -> None:
        names = {"active_power_import": "p_imp", "active_power_export": "p_exp"}
        for i in (1, 2, 3):
            names[f"voltage_l{i}"] = f"v{i}"
            names[f"current_l{i}"] = f"i{i}"
        for name, key in names.items():
            idx = np.flatnonzero(~np.isnan(c[key]))
            if len(idx):
                self.now_values[name] = float(c[key][idx[-1]])

    def _feed_voltage(self, np: Any, i: int, vt: Any, v: Any) -> list[tuple[int, int, VoltageEvent]]:
        """Excursions of phase ``i + 1`` that end in these rows, as (row, phase, event)."""
        sel = np.flatnonzero((vt != NAT) & ~np.isnan(v) & (v != 0.0))
        ended: list[tuple[int, int, VoltageEvent]] = []
        if not len(sel):
            return ended
        t = vt[sel]
        vv = v[sel]
        cur = self._v_open[i]
        t_all = np.concatenate([[cur[0] if cur else 0], t])
        v_all = np.concatenate([[cur[1] if cur else _NOMINAL_V], vv])
        out = (v_all < self.v_low) | (v_all > self.v_high)
        out[0] = cur is not None
        dev = np.abs(v_all - _NOMINAL_V)
        start = np.flatnonzero(out & ~np.concatenate([[False], out[:-1]]))
        stop = np.flatnonzero(out & ~np.concatenate([out[1:], [False]]))  # last out row of each run
        if len(start):
            # reduceat spans each run and the in-range rows after it: count only the run
            maxdev = np.maximum.reduceat(np.where(out, dev, -1.0), start)
            idx = np.arange(len(v_all))
            marks = np.zeros(len(v_all), dtype=np.int64)
            marks[start] = 1
            run_of = np.cumsum(marks) - 1
            cand = np.where(out & (dev == maxdev[np.maximum(run_of, 0)]), idx, len(v_all))
            first = np.minimum.reduceat(cand, start)
            worst = v_all[first]
        for k in range(len(start)):  # one step per excursion, not per frame
            s, e = int(start[k]), int(stop[k])
            w = float(worst[k])
            if e + 1 < len(v_all):
                ended.append((int(sel[e]), i, VoltageEvent(i + 1, int(t_all[s]), int(t_all[e + 1]), w)))
                self._v_open[i] = None
            else:
                self._v_open[i] = (int(t_all[s]), w)
        return ended

    # ------------------------------------------------------------------ queries
    @property
    def metered_hours(self) -> list[Hour]:
        pts = self.points
        out = []
        for a, b in zip(pts, pts[1:]):
            h = self._hour_or_gap(a, b)
            if isinstance(h, Hour):
                out.append(h)
        return out

    @property
    def gaps(self) -> list[Gap]:
        pts = self.points
        out = []
        for a, b in zip(pts, pts[1:]):
            h = self._hour_or_gap(a, b)
            if isinstance(h, Gap):
                out.append(h)
        return out

    @property
    def estimated_hours(self) -> list[Hour]:
        p = self.period
        return [
            Hour(s, s + p, (a + _WUS_PER_WH // 2) // _WUS_PER_WH, (e + _WUS_PER_WH // 2) // _WUS_PER_WH,
                 c >= p, True, self.zone)
            for s, (a, e, c) in sorted(self.estimated.items())
        ]

    @property
    def hours(self) -> list[Hour]:
        """Metered hours when the meter sent hourly registers, else estimated ones (never mixed)."""
        m = self.metered_hours
        return m if m or self.points else self.estimated_hours

    def _local(self, us: int) -> _dt.datetime:
        return _aware(us, self.zone)

    def days(self, hours: list[Hour] | None = None) -> list[Day]:
        by: dict[_dt.date, list[Hour]] = {}
        for h in self.hours if hours is None else hours:
            by.setdefault(self._local(h.start).date(), []).append(h)
        out = []
        for d in sorted(by):
            hs = by[d]
            top = max(hs, key=lambda h: (h.import_wh, -h.start))
            out.append(Day(d, sum(h.import_wh for h in hs), sum(h.export_wh for h in hs), len(hs), top))
        return out

    def month_start_readings(self) -> dict[str, tuple[int, int]]:
        """``{"YYYY-MM": (import Wh, export Wh)}`` of the readings at 00:00 local on the 1st."""
        out = {}
        for s, i, e in self.points:
            t = self._local(s)
            if t.day == 1 and t.hour == 0 and t.minute == 0:
                out[f"{t.year:04d}-{t.month:02d}"] = (i, e)
        return out

    def capacity(self, days: Sequence[Day]) -> Capacity | None:
        """Top three daily maxima (different days by construction), average, step."""
        if not days:
            return None
        top = sorted((d.max_hour for d in days), key=lambda h: (-h.import_wh, h.start))[:3]
        kw = self._kw(sum(h.import_wh for h in top) / len(top))
        i = _step_index(self.steps, kw)
        return Capacity(tuple(top), round(kw, 3), self.steps[i], i)

    def _kw(self, wh: float) -> float:
        return wh / 1000.0 * 60.0 / self.period_minutes

    def months(self) -> list[Month]:
        hours = self.hours
        starts = self.month_start_readings()
        by: dict[str, list[Hour]] = {}
        for h in hours:
            t = self._local(h.start)
            by.setdefault(f"{t.year:04d}-{t.month:02d}", []).append(h)
        out = []
        for m in sorted(set(by) | set(starts)):
            hs = by.get(m, [])
            days = self.days(hs)
            sr = starts.get(m)
            out.append(Month(
                m, sr[0] if sr else None, sr[1] if sr else None,
                sum(h.import_wh for h in hs), sum(h.export_wh for h in hs), tuple(days),
                self.capacity(days),
            ))
        return out

    # ------------------------------------------------------------------ live figures
    def current_slot(self) -> int | None:
        return None if self.now_time is None else self._slot(self.now_time)

    def headroom(self) -> dict[str, Any]:
        """The month so far and the current hour: running capacity figure, and how
        many Wh the current hour may use in total (``hour_limit_wh``) and still
        (``headroom_wh``) before the month's step goes up (``None`` at the top step)."""
        cur = self.current_slot()
        if cur is None:
            return {}
        t = self._local(cur)
        month = f"{t.year:04d}-{t.month:02d}"
        today = t.date()
        hours = [h for h in self.hours if h.start < cur]
        mh = [h for h in hours if self._local(h.start).strftime("%Y-%m") == month]
        days = self.days(mh)
        cap = self.capacity(days)
        acc = self.estimated.get(cur)
        used = 0 if acc is None else (acc[0] + _WUS_PER_WH // 2) // _WUS_PER_WH
        step_i = cap.step_index if cap else 0
        limit = None
        if step_i + 1 < len(self.steps):
            nxt_wh = self.steps[step_i + 1].lower_kw * 1000.0 * self.period_minutes / 60.0
            others = sorted((d.max_hour.import_wh for d in days if d.date != today), reverse=True)
            k = min(3, len(others) + 1)
            limit = math.ceil(nxt_wh * k - sum(others[: k - 1])) - 1  # stays below the threshold
        return {
            "month": month,
            "hour_start": self._local(cur).isoformat(),
            "hour_used_wh": used,
            "capacity_kw": cap.average_kw if cap else 0.0,
            "step": (cap.step if cap else self.steps[0]).label,
            "hour_limit_wh": limit,
            "headroom_wh": None if limit is None else max(0, limit - used),
        }

    # ------------------------------------------------------------------ state for tests / merging
    def state(self) -> dict[str, Any]:
        """Everything the accountant derived (comparable with ``==``)."""
        return {
            "points": list(self.points), "duplicates": self.duplicates,
            "clock_events": list(self.clock_events), "repeated_hours": self.repeated_hours,
            "estimated": {k: list(v) for k, v in self.estimated.items()},
            "voltage_events": list(self.voltage_events), "voltage_open": list(self._v_open),
            "now": dict(self.now_values), "now_time": self.now_time,
            "reg_prev": self._reg_prev, "pw_prev": self._pw_prev,
        }

    def to_json(self) -> dict[str, Any]:
        """This meter in the ``amsparse report --json`` format."""
        def iso(us: int) -> str:
            return self._local(us).isoformat()

        months = self.months()
        return {
            "meter_id": self.meter_id or "",
            "hours": [
                {"start": iso(h.start), "end": iso(h.end), "import_wh": h.import_wh,
                 "export_wh": h.export_wh, "complete": h.complete, "estimated": h.estimated}
                for h in self.hours
            ],
            "days": [
                {"date": d.date.isoformat(), "import_wh": d.import_wh, "export_wh": d.export_wh,
                 "max_hour_start": iso(d.max_hour.start), "max_hour_import_wh": d.max_hour.import_wh}
                for d in self.days()
            ],
            "months": [
                {"month": m.month, "start_reading_import_wh": m.start_reading_import_wh,
                 "start_reading_export_wh": m.start_reading_export_wh,
                 "import_wh": m.import_wh, "export_wh": m.export_wh,
                 "capacity": None if m.capacity is None else {
                     "top3": [{"date": self._local(h.start).date().isoformat(), "hour_start": iso(h.start),
                               "import_wh": h.import_wh} for h in m.capacity.top3],
                     "average_kw": m.capacity.average_kw, "step": m.capacity.step.label}}
                for m in months
            ],
            "gaps": [{"from": iso(g.start), "to": iso(g.end)} for g in self.gaps],
        }


# --------------------------------------------------------------------------- several meters

class EnergyAccounts:
    """One :class:`EnergyAccountant` per meter id.  Frames without a meter id
    (list 1) belong to the meter last seen; before any id they go to ``""``."""

    def __init__(self, tz: str | Any = "Europe/Oslo", **kw: Any) -> None:
        self.tz = tz
        self.kw = kw
        self.meters: dict[str, EnergyAccountant] = {}
        self._last: str | None = None
        #: the accountant the last :meth:`update` went to (None before the first)
        self.current: EnergyAccountant | None = None

    def _get(self, mid: str) -> EnergyAccountant:
        acc = self.meters.get(mid)
        if acc is None:
            acc = self.meters[mid] = EnergyAccountant(self.tz, meter_id=mid or None, **self.kw)
        return acc

    def update(self, frame: Any, at: _dt.datetime | None = None) -> list[Event]:
        mid = frame.meter_id if frame.meter_id is not None else (self._last or "")
        if frame.meter_id is not None:
            self._last = frame.meter_id
        self.current = self._get(mid)
        return self.current.update(frame, at)

    def feed_table(self, table: Any, *, times: Any = None) -> None:
        np = _numpy()
        codes = np.frombuffer(table.codes["meter_id"], dtype=np.int32).astype(np.int64)
        ok = np.frombuffer(table.status, dtype=np.int8) == 0
        cats = table.categories["meter_id"]
        last = -1 if self._last is None else len(cats) + 1  # carried id gets its own code
        lab = np.where(ok & (codes >= 0), codes, -1)
        # forward fill: each row takes the latest id at or before it
        pos = np.where(lab >= 0, np.arange(len(lab)), -1)
        pos = np.maximum.accumulate(pos) if len(pos) else pos
        filled = np.where(pos >= 0, lab[np.maximum(pos, 0)], last)
        names = {c: n for c, n in enumerate(cats)}
        names[last] = self._last or ""
        fo = filled[ok]
        u, first = np.unique(fo, return_index=True)
        whole = len(u) == 1 and bool(ok.all())  # one meter, nothing rejected: no row copies
        for c in u[np.argsort(first)].tolist():  # meters in order of first appearance
            rows = None if whole else np.flatnonzero(ok & (filled == c))
            self._get(names.get(c, "")).feed_table(table, times=times, rows=rows)
        if len(filled) and ok.any():
            c_last = int(filled[ok][-1])
            self._last = names.get(c_last) or self._last

    def to_json(self) -> dict[str, Any]:
        return {"meters": [a.to_json() for _, a in sorted(self.meters.items())]}


# --------------------------------------------------------------------------- numpy plumbing

def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise ImportError(
            'the vectorised energy accounting needs numpy: pip install "amsparse[numpy]"'
        ) from None
    return numpy


def _group_sum(np: Any, keys: Any, *vals: Any) -> tuple[list[int], ...]:
    """Exact int64 sums of ``vals`` per distinct key -> (keys, sums...) as lists
    (sorted by key; no sort when the keys already are, as time-ordered slots are)."""
    if len(keys) and not bool(np.all(keys[1:] >= keys[:-1])):
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        vals = tuple(v[order] for v in vals)
    if not len(keys):
        return ([],) + tuple([] for _ in vals)
    starts = np.concatenate([[0], np.flatnonzero(keys[1:] != keys[:-1]) + 1])
    return (keys[starts].tolist(),) + tuple(np.add.reduceat(v, starts).tolist() for v in vals)


def _valid_t(np: Any, t: Any) -> Any:
    return np.where((t >= 0) & (t < _T_MAX), t, NAT)


def _columns(np: Any, table: Any, times: Any, rows: Any) -> dict[str, Any]:
    n = len(table)
    ok = np.frombuffer(table.status, dtype=np.int8) == 0
    if rows is not None:
        idx: Any = np.asarray(rows, dtype=np.int64)
    elif bool(ok.all()):
        idx = slice(None)  # every row decoded: views, no copies
    else:
        idx = np.flatnonzero(ok)
    nan = np.full(n, np.nan)
    if times is not None and len(times) != n:
        raise ValueError(f"times has {len(times)} entries for a table of {n} rows")

    def col(name: str) -> Any:
        c = table.columns.get(name)
        return (nan if c is None else np.frombuffer(c, dtype=np.float64))[idx]

    out = {
        "th": np.frombuffer(table.header_time, dtype=np.int64)[idx],
        "tm": np.frombuffer(table.meter_time, dtype=np.int64)[idx],
        "tx": (np.full(n, NAT, dtype=np.int64) if times is None else np.asarray(times, dtype=np.int64))[idx],
        "e_imp": col("active_energy_import"), "e_exp": col("active_energy_export"),
        "p_imp": col("active_power_import"), "p_exp": col("active_power_export"),
    }
    for i in (1, 2, 3):
        out[f"v{i}"] = col(f"voltage_l{i}")
        out[f"i{i}"] = col(f"current_l{i}")
    codes = np.frombuffer(table.codes["meter_id"], dtype=np.int32)[idx]
    have = codes[codes >= 0]
    out["_meter_ids"] = [table.categories["meter_id"][int(have[0])]] if len(have) else []
    return out


# --------------------------------------------------------------------------- live summary

def live_summary(acc: EnergyAccountant) -> dict[str, Any]:
    """The live figures of one meter as a JSON-able dict (for ``amsparse read --report``)."""
    hours = acc.hours
    last = hours[-1] if hours else None
    nv = acc.now_values
    return {
        "meter_id": acc.meter_id,
        "time": None if acc.now_time is None else acc._local(acc.now_time).isoformat(),
        "power_import_w": nv.get("active_power_import"),
        "power_export_w": nv.get("active_power_export"),
        "surplus_w": nv.get("active_power_export"),
        "voltage_v": [nv.get(f"voltage_l{i}") for i in (1, 2, 3)],
        "current_a": [nv.get(f"current_l{i}") for i in (1, 2, 3)],
        "last_hour": None if last is None else {
            "start": last.start_time.isoformat(), "import_wh": last.import_wh,
            "export_wh": last.export_wh, "estimated": last.estimated},
        "month": acc.headroom(),
        "voltage_events_open": [
            {"phase": i + 1, "start": acc._local(o[0]).isoformat(), "worst_v": o[1]}
            for i, o in enumerate(acc._v_open) if o is not None
        ],
    }


def format_live(summary: dict[str, Any]) -> str:
    """A few readable lines of :func:`live_summary`."""
    def f(v: Any, unit: str) -> str:
        return "-" if v is None else f"{v:g} {unit}"

    s = summary
    lines = [
        f"meter {s.get('meter_id') or '?'} at {s.get('time') or '?'}",
        f"  power: import {f(s['power_import_w'], 'W')}, export (surplus) {f(s['power_export_w'], 'W')}",
        "  voltage: " + ", ".join(f(v, "V") for v in s["voltage_v"])
        + "   current: " + ", ".join(f(a, "A") for a in s["current_a"]),
    ]
    lh = s.get("last_hour")
    if lh:
        est = " (estimated)" if lh["estimated"] else ""
        lines.append(f"  last hour {lh['start']}: {lh['import_wh']} Wh import, {lh['export_wh']} Wh export{est}")
    m = s.get("month") or {}
    if m:
        room = "top step" if m["headroom_wh"] is None else f"{m['headroom_wh']} Wh left this hour"
        lines.append(f"  {m['month']}: capacity {m['capacity_kw']:.3f} kW ({m['step']}); "
                     f"this hour {m['hour_used_wh']} Wh so far, {room}")
    for o in s.get("voltage_events_open", []):
        lines.append(f"  voltage L{o['phase']} outside limits since {o['start']} (worst {o['worst_v']:g} V)")
    return "\n".join(lines)
