"""Generated meter captures for the energy-accounting tests (test-only).

Builds real-format HAN frames with :mod:`encoder` -- Kaifa KFM_001 (wall-clock
stamps in the header and the list-3 clock, the repeated October hour stamped
twice with the same wall time) and Kamstrup (local *standard* time all year) --
from a plan written down in UTC, and keeps what a correct accountant must
report (the register values at each stamped hour) beside the bytes.  Nothing
here imports amsparse.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import encoder as E

UTC = dt.timezone.utc
OSLO = ZoneInfo("Europe/Oslo")
HOUR = dt.timedelta(hours=1)


def kaifa_clock(wall: dt.datetime) -> bytes:
    """Norwegian Kaifa: wall time, deviation unspecified, status 00, hundredths FF."""
    return E.cosem_datetime(wall.year, wall.month, wall.day, wall.isoweekday(), wall.hour,
                            wall.minute, wall.second, None, None, 0)


def kaifa_frame(utc: dt.datetime, meter_id: str, p_imp: int, p_exp: int = 0,
                volts_dv: tuple[int, int, int] = (2300, 2300, 2300),
                regs: tuple[int, int] | None = None, zone: dt.tzinfo = OSLO) -> bytes:
    """A Kaifa list 2 frame (list 3 when ``regs`` = (import Wh, export Wh) is given)."""
    wall = utc.astimezone(zone).replace(tzinfo=None)
    clock = kaifa_clock(wall)
    items = [E.octet_string(b"KFM_001"), E.octet_string(meter_id.encode()), E.octet_string(b"MA304H4")]
    items += [E.double_long_unsigned(v) for v in (p_imp, p_exp, 0, 0, 1000, 1000, 1000)]
    items += [E.double_long_unsigned(v) for v in volts_dv]
    if regs is not None:
        items += [E.octet_string(clock)]
        items += [E.double_long_unsigned(v) for v in (regs[0], regs[1], 0, 0)]
    apdu = E.data_notification(E.structure(items), 0x40000000, clock, E.HEADER_090C)
    return E.encode_frame(apdu, b"\x01", b"\x02\x01", 0x10)


def kaifa_list1(utc: dt.datetime, p_imp: int, zone: dt.tzinfo = OSLO) -> bytes:
    wall = utc.astimezone(zone).replace(tzinfo=None)
    apdu = E.data_notification(E.structure([E.double_long_unsigned(p_imp)]), 0x40000000,
                               kaifa_clock(wall), E.HEADER_090C)
    return E.encode_frame(apdu, b"\x01", b"\x02\x01", 0x10)


def aidon_list2(meter_id: str, p_imp: int, volts_dv: tuple[int, int, int] = (2300, 2300, 2300)) -> bytes:
    """An Aidon list 2 (3-phase 4-wire): OBIS-coded, scaler/unit in the frame, no clock at all."""
    def num(code: str, v: int, tag: int, scaler: int, unit: int) -> bytes:
        return E.structure([E.obis(code), E.integer_of(tag, v), E.scaler_unit(scaler, unit)])

    items = [E.structure([E.obis("1-1:0.2.129.255"), E.visible_string("AIDON_V0001")]),
             E.structure([E.obis("0-0:96.1.0.255"), E.visible_string(meter_id)]),
             E.structure([E.obis("0-0:96.1.7.255"), E.visible_string("6534")])]
    items += [num("1-0:1.7.0.255", p_imp, E.T_U32, 0, 27), num("1-0:2.7.0.255", 0, E.T_U32, 0, 27),
              num("1-0:3.7.0.255", 0, E.T_U32, 0, 29), num("1-0:4.7.0.255", 0, E.T_U32, 0, 29)]
    items += [num(f"1-0:{c}.7.0.255", 10, E.T_I16, -1, 33) for c in (31, 51, 71)]
    items += [num(f"1-0:{c}.7.0.255", v, E.T_U16, -1, 35) for c, v in zip((32, 52, 72), volts_dv)]
    return E.encode_frame(E.data_notification(E.array(items)))


def kamstrup_list3(utc: dt.datetime, meter_id: str, p_imp: int, regs: tuple[int, int],
                   zone: dt.tzinfo = OSLO) -> bytes:
    """Kamstrup hourly list: clock in local standard time (CET all year), energies in 10 Wh."""
    local = utc.astimezone(zone)
    std = (local.utcoffset() or dt.timedelta()) - (local.dst() or dt.timedelta())
    wall = (utc + std).replace(tzinfo=None)
    clock = E.cosem_datetime(wall.year, wall.month, wall.day, wall.isoweekday(), wall.hour,
                             wall.minute, wall.second, None, None, 0)
    o = lambda c: E.obis("1-1:" + c)  # noqa: E731
    items = [E.visible_string("Kamstrup_V0001"), o("0.0.5.255"), E.visible_string(meter_id),
             o("96.1.1.255"), E.visible_string("6841121BN243101040")]
    for code, v in (("1.7.0.255", p_imp), ("2.7.0.255", 0), ("3.7.0.255", 0), ("4.7.0.255", 0),
                    ("31.7.0.255", 100), ("51.7.0.255", 100), ("71.7.0.255", 100)):
        items += [o(code), E.double_long_unsigned(v)]
    for code in ("32.7.0.255", "52.7.0.255", "72.7.0.255"):
        items += [o(code), E.long_unsigned(230)]
    items += [E.obis("0-1:1.0.0.255"), E.octet_string(clock)]
    for code, v in (("1.8.0.255", regs[0] // 10), ("2.8.0.255", regs[1] // 10),
                    ("3.8.0.255", 0), ("4.8.0.255", 0)):
        items += [o(code), E.double_long_unsigned(v)]
    header = clock[:7] + bytes((5,)) + clock[8:]  # sent 5 s after the hour
    apdu = E.data_notification(E.structure(items), 0, header, E.HEADER_0C)
    return E.encode_frame(apdu, b"\x2B", b"\x21", 0x13)


@dataclass
class Capture:
    """Frames in arrival order plus the plan: ``registers[(meter, utc hour)] = (imp, exp)``
    for every list-3 frame actually in the capture (first copy), and the constant
    power of each UTC hour."""

    frames: list[bytes] = field(default_factory=list)
    times: list[dt.datetime] = field(default_factory=list)  # arrival (true UTC) per frame
    registers: dict[tuple[str, dt.datetime], tuple[int, int]] = field(default_factory=dict)
    power: dict[dt.datetime, tuple[int, int]] = field(default_factory=dict)

    def add(self, t: dt.datetime, frame: bytes) -> None:
        self.frames.append(frame)
        self.times.append(t)

    def blob(self) -> bytes:
        return b"".join(self.frames)


def usage(h: dt.datetime) -> tuple[int, int]:
    """Deterministic hourly import/export (Wh, = constant W over the hour): a daily
    shape plus a per-day bump so every day has its own peak; solar export at noon."""
    local = h.astimezone(OSLO)
    day = local.toordinal()
    imp = 400 + 150 * (local.hour % 7) + (day * 37 % 11) * 100 + (900 if local.hour == (day % 5) + 17 else 0)
    exp = 250 + 10 * (day % 7) if 11 <= local.hour <= 13 and day % 3 == 0 else 0
    return imp, exp


def kaifa_capture(start: dt.datetime, end: dt.datetime, *, meter_id: str = "6970631401234567",
                  list2_every_s: int = 600, reg0: tuple[int, int] = (1_000_000, 5_000),
                  drop_hours: frozenset[dt.datetime] = frozenset(),
                  dup_hours: frozenset[dt.datetime] = frozenset(),
                  reset_at: dt.datetime | None = None, reset_to: tuple[int, int] = (120, 0),
                  cap: Capture | None = None, list3: bool = True) -> Capture:
    """A Kaifa capture from ``start`` to ``end`` (UTC, whole hours): list 2 every
    ``list2_every_s`` s, list 3 at hh:00:10 (unless the hour is in ``drop_hours``;
    twice when in ``dup_hours``).  At ``reset_at`` the registers restart from
    ``reset_to`` (a meter exchange).  The registers accumulate :func:`usage`."""
    cap = cap or Capture()
    imp, exp = reg0
    h = start
    while h < end:
        if reset_at is not None and h == reset_at:
            imp, exp = reset_to
        pi, pe = usage(h)
        cap.power[h] = (pi, pe)
        for s in range(0, 3600, list2_every_s):
            t = h + dt.timedelta(seconds=s)
            cap.add(t, kaifa_frame(t, meter_id, pi, pe))
            if s == 0 and list3 and h not in drop_hours:  # list 3 ten seconds after the hour
                fr = kaifa_frame(h + dt.timedelta(seconds=10), meter_id, pi, pe, regs=(imp, exp))
                cap.registers.setdefault((meter_id, h), (imp, exp))
                cap.add(h + dt.timedelta(seconds=10), fr)
                if h in dup_hours:
                    cap.add(h + dt.timedelta(seconds=10), fr)
        imp += pi
        exp += pe
        h += HOUR
    return cap


def expected_hours(cap: Capture, meter_id: str) -> dict[dt.datetime, tuple[int, int]]:
    """UTC hour start -> (import, export) Wh: registers of consecutive stamped hours,
    no hour where the later register is below the earlier (meter exchange)."""
    regs = {h: v for (m, h), v in cap.registers.items() if m == meter_id}
    out = {}
    for h, (i0, e0) in regs.items():
        nxt = regs.get(h + HOUR)
        if nxt is not None and nxt[0] >= i0 and nxt[1] >= e0:
            out[h] = (nxt[0] - i0, nxt[1] - e0)
    return dict(sorted(out.items()))
