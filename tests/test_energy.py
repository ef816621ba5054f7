"""amsparse.energy and ``amsparse report``.

Captures are generated with the test encoder (tests/energy_gen.py: Kaifa and
Kamstrup frames in their real formats, wall-clock and standard-time stamps);
every expected figure is computed here from the generated register values and
the generation plan, never by the code under test.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import energy_gen as G
import pytest

import amsparse
from amsparse import energy
from amsparse.energy import EnergyAccountant, EnergyAccounts

np = pytest.importorskip("numpy")  # in the test extra: runs in CI

UTC = dt.timezone.utc
OSLO = ZoneInfo("Europe/Oslo")
H = dt.timedelta(hours=1)
A_ID = "6970631401234567"
B_ID = "5706567274389702"
NORWEGIAN_STEPS = [(0, "0-2 kW"), (2, "2-5 kW"), (5, "5-10 kW"), (10, "10-15 kW"), (15, "15-20 kW"),
                   (20, "20-25 kW"), (25, "25-50 kW"), (50, "50-75 kW"), (75, "75-100 kW"),
                   (100, "100+ kW")]
CORPUS = Path(__file__).resolve().parent / "corpus" / "frames.jsonl"


def u(*a: int) -> dt.datetime:
    return dt.datetime(*a, tzinfo=UTC)


def us(t: dt.datetime) -> int:
    return (t - u(1970, 1, 1)) // dt.timedelta(microseconds=1)


def from_us(v: int) -> dt.datetime:
    return u(1970, 1, 1) + dt.timedelta(microseconds=v)


# --------------------------------------------------------------------------- the story capture

DROPPED = frozenset({u(2024, 3, 10, 5), u(2024, 3, 10, 6)})        # list 3 lost: a gap
DUPLICATED = frozenset({u(2024, 3, 5, 12), u(2024, 10, 26, 23)})  # list 3 sent twice
RESET = u(2024, 10, 15, 10)                                        # registers restart
LOST_LIST2 = (u(2024, 3, 12, 10, 20), u(2024, 3, 12, 10, 50))      # 30 min of list 2 lost


@pytest.fixture(scope="module")
def story() -> G.Capture:
    """Meter A (Kaifa), 28 Feb - 2 Apr 2024 (March DST), nothing until 29 Sep, then
    to 2 Nov 2024 (October DST, repeated hour stamped twice), with lost and
    duplicated hourly frames, 30 lost minutes of list 2 and a register reset."""
    cap = G.kaifa_capture(u(2024, 2, 28), u(2024, 4, 2), list2_every_s=600, drop_hours=DROPPED,
                          dup_hours=DUPLICATED)
    G.kaifa_capture(u(2024, 9, 29), u(2024, 11, 2), list2_every_s=600, dup_hours=DUPLICATED,
                    reset_at=RESET, reg0=(2_500_000, 90_000), cap=cap)
    keep = [i for i, t in enumerate(cap.times) if not LOST_LIST2[0] <= t < LOST_LIST2[1]]
    cap.frames = [cap.frames[i] for i in keep]
    cap.times = [cap.times[i] for i in keep]
    return cap


@pytest.fixture(scope="module")
def story_live(story: G.Capture) -> tuple[EnergyAccountant, list]:
    acc = EnergyAccountant("Europe/Oslo", max_gap_s=600)
    events = []
    for fr in story.frames:
        events += acc.update(amsparse.decode_frame(fr))
    return acc, events


@pytest.fixture(scope="module")
def story_table(story: G.Capture):  # type: ignore[no-untyped-def]
    return amsparse.decode_batch(story.blob())


def expected_days(hours: dict[dt.datetime, tuple[int, int]]) -> dict[dt.date, dict]:
    days: dict[dt.date, dict] = {}
    for h, (i, e) in sorted(hours.items()):
        d = h.astimezone(OSLO).date()
        x = days.setdefault(d, {"import": 0, "export": 0, "n": 0, "max": None})
        x["import"] += i
        x["export"] += e
        x["n"] += 1
        if x["max"] is None or i > x["max"][1]:
            x["max"] = (h, i)
    return days


def expected_capacity(days: dict[dt.date, dict]) -> tuple[list[tuple[dt.datetime, int]], float, str]:
    peaks = sorted((d["max"] for d in days.values()), key=lambda m: (-m[1], m[0]))[:3]
    avg_kw = sum(i for _h, i in peaks) / len(peaks) / 1000
    step = [label for lo, label in NORWEGIAN_STEPS if avg_kw >= lo][-1]
    return peaks, avg_kw, step


def test_story_hours_exact(story: G.Capture, story_live) -> None:  # type: ignore[no-untyped-def]
    acc, _ = story_live
    want = G.expected_hours(story, A_ID)
    got = {from_us(h.start): (h.import_wh, h.export_wh) for h in acc.hours}
    assert got == want
    assert all(not h.estimated and h.complete and h.end - h.start == 3600 * 10**6 for h in acc.hours)
    # start instants are aware in the meter's zone: the repeated October hour is two hours
    oct27 = [h.start_time for h in acc.hours if h.start_time.date() == dt.date(2024, 10, 27)]
    assert len(oct27) == 25
    assert [t.isoformat() for t in oct27[2:4]] == ["2024-10-27T02:00:00+02:00", "2024-10-27T02:00:00+01:00"]
    mar31 = [h for h in acc.hours if h.start_time.date() == dt.date(2024, 3, 31)]
    assert len(mar31) == 23


def test_story_gaps_resets_duplicates(story: G.Capture, story_live) -> None:  # type: ignore[no-untyped-def]
    acc, events = story_live
    regs = sorted(h for (m, h) in story.registers if m == A_ID)
    want = []
    for a, b in zip(regs, regs[1:]):
        ra, rb = story.registers[(A_ID, a)], story.registers[(A_ID, b)]
        reset = rb[0] < ra[0] or rb[1] < ra[1]
        if b - a != H or reset:
            want.append((a, b, reset))
    got = [(from_us(g.start), from_us(g.end), g.reset) for g in acc.gaps]
    assert got == want
    assert (u(2024, 4, 1, 23), u(2024, 9, 29), False) in got          # the months-long gap
    assert (RESET - H, RESET, True) in got                           # the meter exchange
    assert acc.duplicates == len(DUPLICATED)
    kinds = [e.kind for e in events]
    assert kinds.count("register_reset") == 1 and kinds.count("duplicate") == 2
    assert kinds.count("repeated_hour") == 1
    assert all(h.import_wh >= 0 and h.export_wh >= 0 for h in acc.hours)


def test_story_days_months_capacity(story: G.Capture, story_live) -> None:  # type: ignore[no-untyped-def]
    acc, _ = story_live
    hours = G.expected_hours(story, A_ID)
    days = expected_days(hours)
    got_days = {d.date: d for d in acc.days()}
    assert sorted(got_days) == sorted(days)
    for d, x in days.items():
        g = got_days[d]
        assert (g.import_wh, g.export_wh, g.hours) == (x["import"], x["export"], x["n"])
        assert (from_us(g.max_hour.start), g.max_hour.import_wh) == x["max"]
    assert got_days[dt.date(2024, 10, 27)].hours == 25 and got_days[dt.date(2024, 3, 31)].hours == 23
    months = {m.month: m for m in acc.months()}
    for key in ("2024-03", "2024-10"):
        y, mo = map(int, key.split("-"))
        first = dt.datetime(y, mo, 1, tzinfo=OSLO).astimezone(UTC)
        assert (months[key].start_reading_import_wh, months[key].start_reading_export_wh) == \
            story.registers[(A_ID, first)]
        mh = {h: v for h, v in hours.items() if (h.astimezone(OSLO).year, h.astimezone(OSLO).month) == (y, mo)}
        assert months[key].import_wh == sum(i for i, _ in mh.values())
        assert months[key].export_wh == sum(e for _, e in mh.values())
        peaks, avg, step = expected_capacity(expected_days(mh))
        cap = months[key].capacity
        assert [(from_us(h.start), h.import_wh) for h in cap.top3] == peaks
        assert len({from_us(h.start).astimezone(OSLO).date() for h in cap.top3}) == 3
        assert cap.average_kw == round(avg, 3) and cap.step.label == step
    # no reading at 00:00 on 1 September (nothing recorded then)
    assert "2024-09" not in months or months["2024-09"].start_reading_import_wh is None
    # with no gap or reset in March, the month total is the difference of the start readings
    m3, m4 = months["2024-03"], months["2024-04"]
    lost = sum(G.usage(h)[0] for h in DROPPED) + G.usage(min(DROPPED) - H)[0]
    assert m4.start_reading_import_wh - m3.start_reading_import_wh == m3.import_wh + lost


def test_story_estimated_hours(story: G.Capture, story_live) -> None:  # type: ignore[no-untyped-def]
    acc, _ = story_live
    est = {from_us(h.start): h for h in acc.estimated_hours}
    assert all(h.estimated for h in est.values())
    lost_hour = u(2024, 3, 12, 10)
    assert not est[lost_hour].complete
    complete = [t for t, h in est.items() if h.complete]
    assert len(complete) > 1500
    for t in complete:  # constant power over the hour: W x 1 h = Wh
        assert (est[t].import_wh, est[t].export_wh) == story.power[t]
    # the repeated October hour: both occurrences integrated separately
    assert est[u(2024, 10, 27, 0)].import_wh == G.usage(u(2024, 10, 27, 0))[0]
    assert est[u(2024, 10, 27, 1)].import_wh == G.usage(u(2024, 10, 27, 1))[0]
    # never mixed: the hours of a meter with registers are the metered ones
    assert not any(h.estimated for h in acc.hours)


def test_story_live_equals_vectorised(story_live, story_table) -> None:  # type: ignore[no-untyped-def]
    acc, _ = story_live
    vec = EnergyAccountant("Europe/Oslo", max_gap_s=600)
    vec.feed_table(story_table)
    assert vec.state() == acc.state()
    assert vec.to_json() == acc.to_json()


@pytest.mark.parametrize("cuts", [(1,), (5000,), (3, 777, 9000), (6130,)])
def test_story_split_anywhere(story: G.Capture, story_live, cuts: tuple[int, ...]) -> None:  # type: ignore[no-untyped-def]
    acc, _ = story_live
    bounds = [0, *cuts, len(story.frames)]
    vec = EnergyAccountant("Europe/Oslo", max_gap_s=600)
    mixed = EnergyAccountant("Europe/Oslo", max_gap_s=600)
    for k, (a, b) in enumerate(zip(bounds, bounds[1:])):
        part = story.frames[a:b]
        vec.feed_table(amsparse.decode_batch(b"".join(part)))
        if k % 2:
            mixed.feed_table(amsparse.decode_batch(part))  # an iterable of frames
        else:
            for fr in part:
                mixed.update(amsparse.decode_frame(fr))
    assert vec.state() == acc.state()
    assert mixed.state() == acc.state()


def test_first_repeated_hour_frame_lost() -> None:
    """The hourly frame of the first 02:00 is lost; the second 02:00 (same wall stamp)
    must not be read as the first, which would make one hour out of two hours' use:
    the list-2 readings around it (which went back an hour) place it."""
    cap = G.kaifa_capture(u(2024, 10, 26, 21), u(2024, 10, 27, 4), list2_every_s=600,
                          drop_hours=frozenset({u(2024, 10, 27, 0)}))
    live = EnergyAccountant("Europe/Oslo", max_gap_s=600)
    for fr in cap.frames:
        live.update(amsparse.decode_frame(fr))
    want = G.expected_hours(cap, A_ID)
    assert u(2024, 10, 27, 1) in want and u(2024, 10, 26, 23) not in want
    assert {from_us(h.start): (h.import_wh, h.export_wh) for h in live.hours} == want
    assert [(from_us(g.start), from_us(g.end)) for g in live.gaps] == [(u(2024, 10, 26, 23), u(2024, 10, 27, 1))]
    vec = EnergyAccountant("Europe/Oslo", max_gap_s=600)
    vec.feed_table(amsparse.decode_batch(cap.blob()))
    assert vec.state() == live.state()


def test_meter_exchange_new_id_and_list1_frames() -> None:
    """Meter A is replaced by meter B (new id, registers from 50 Wh); list-1 frames
    (no meter id) follow each list-2/3 frame and belong to the meter seen last."""
    cap = G.kaifa_capture(u(2024, 6, 1, 0), u(2024, 6, 1, 6), list2_every_s=600)
    G.kaifa_capture(u(2024, 6, 1, 6), u(2024, 6, 1, 12), list2_every_s=600, meter_id=B_ID,
                    reg0=(50, 0), cap=cap)
    frames = []
    for t, fr in zip(cap.times, cap.frames):
        frames += [fr, G.kaifa_list1(t + dt.timedelta(seconds=2), cap.power[t.replace(minute=0, second=0)][0])]
    live = EnergyAccounts("Europe/Oslo", max_gap_s=600)
    for fr in frames:
        live.update(amsparse.decode_frame(fr))
    assert set(live.meters) == {A_ID, B_ID}
    for mid in (A_ID, B_ID):
        acc = live.meters[mid]
        assert {from_us(h.start): (h.import_wh, h.export_wh) for h in acc.hours} == G.expected_hours(cap, mid)
        est = [h for h in acc.estimated_hours if h.complete]
        assert len(est) >= 5 and all(h.import_wh == cap.power[from_us(h.start)][0] for h in est)
    for cut in (0, 1, 97, 150):
        vec = EnergyAccounts("Europe/Oslo", max_gap_s=600)
        vec.feed_table(amsparse.decode_batch(b"".join(frames[:cut])))
        vec.feed_table(amsparse.decode_batch(b"".join(frames[cut:])))
        assert {k: a.state() for k, a in vec.meters.items()} == {k: a.state() for k, a in live.meters.items()}


# --------------------------------------------------------------------------- Kamstrup: standard time

def test_kamstrup_standard_time_month() -> None:
    """Kamstrup stamps CET all year: no repeated hour, a March month with 743 hours."""
    frames, regs = [], {}
    imp, exp = 4_272_440, 0
    h = u(2024, 2, 29, 23)  # 1 March 00:00 local
    while h < u(2024, 3, 31, 22):  # 1 April 00:00 local
        regs[h] = (imp, exp)
        pi, pe = G.usage(h)
        frames.append(G.kamstrup_list3(h, B_ID, pi, (imp, exp)))
        imp, exp = imp + pi, exp + pe
        h += H
    regs[h] = (imp, exp)
    frames.append(G.kamstrup_list3(h, B_ID, 0, (imp, exp)))
    acc = EnergyAccountant("Europe/Oslo")
    for fr in frames:
        acc.update(amsparse.decode_frame(fr))
    got = {from_us(x.start): (x.import_wh, x.export_wh) for x in acc.hours}
    hs = sorted(regs)
    want = {a: (regs[b][0] - regs[a][0], regs[b][1] - regs[a][1]) for a, b in zip(hs, hs[1:])}
    assert got == want and len(got) == 31 * 24 - 1
    (march,) = [m for m in acc.months() if m.month == "2024-03"]
    assert march.start_reading_import_wh == 4_272_440
    assert march.import_wh == imp - 4_272_440
    april = [m for m in acc.months() if m.month == "2024-04"][0]
    assert april.start_reading_import_wh == imp and april.import_wh == 0


# --------------------------------------------------------------------------- real captures

def _corpus(ids: set[str]) -> dict[str, bytes]:
    out = {}
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        if d["id"] in ids:
            out[d["id"]] = bytes.fromhex(d["hex"])
    return out


def test_real_list3_captures() -> None:
    """Real hourly frames: consecutive hours of an Aidon and a Kamstrup meter make one
    hour each; the Kaifa frames of one day (09:00, 13:00, 17:00, then a 05:00 frame
    stamped earlier) make none, report the holes and the clock going back."""
    ids = ["aid-list3-01", "aid-list3-03", "kam-list3-13", "kam-list3-14",
           "kfm-list3-22", "kfm-list3-23", "kfm-list3-24", "kfm-list3-25"]
    frames = _corpus(set(ids))
    accts = EnergyAccounts("Europe/Oslo")
    for i in ids:
        accts.update(amsparse.decode_frame(frames[i]))
    regs = {i: amsparse.decode_frame(frames[i]).value("active_energy_import") for i in ids}
    aid = accts.meters["7359992890497997"]
    assert [(h.start_time.isoformat(), h.import_wh) for h in aid.hours] == [
        ("2025-12-14T16:00:00+01:00", regs["aid-list3-03"] - regs["aid-list3-01"])]
    kam = accts.meters["5706567274389702"]
    assert [(h.start_time.isoformat(), h.import_wh) for h in kam.hours] == [
        ("2017-10-20T05:00:00+02:00", regs["kam-list3-14"] - regs["kam-list3-13"])]
    kfm = accts.meters["6970631401753985"]
    assert kfm.hours == [] and len(kfm.gaps) == 2 and len(kfm.clock_events) == 1
    # the table path agrees
    vec = EnergyAccounts("Europe/Oslo")
    vec.feed_table(amsparse.decode_batch([frames[i] for i in ids]))
    assert {k: a.state() for k, a in vec.meters.items()} == {k: a.state() for k, a in accts.meters.items()}


# --------------------------------------------------------------------------- smaller behaviours

def test_estimated_only_meter_and_15_minute_periods() -> None:
    """List 1/2 only (no registers): hours come from power, flagged estimated; with a
    15-minute settlement period each quarter gets a quarter of the hour's energy."""
    cap = G.kaifa_capture(u(2024, 6, 1, 8), u(2024, 6, 1, 12), list2_every_s=60, list3=False)
    for period, n in ((60, 4), (15, 16)):
        acc = EnergyAccountant("Europe/Oslo", period_minutes=period)
        acc.feed_table(amsparse.decode_batch(cap.blob()))
        hs = acc.hours
        assert len(hs) == n and all(h.estimated for h in hs)
        for h in hs[:-1]:
            assert h.complete
            p = cap.power[from_us(h.start - h.start % (3600 * 10**6))][0]
            # W x period, in Wh rounded half up (950 W over 15 min = 237.5 -> 238 Wh)
            assert h.import_wh == math.floor(Fraction(p * period, 60) + Fraction(1, 2))
        assert not hs[-1].complete  # the capture ends a minute before the hour does


def test_quarter_hour_registers() -> None:
    """A meter stamping its registers every 15 minutes, accounted with 15-minute
    settlement periods: one period per pair of consecutive readings; hourly
    accounting of the same frames makes the hours (the quarter readings in
    between are not whole hours and are ignored)."""
    t0 = u(2024, 3, 31, 0)  # 01:00 CET: the spring-forward hour is inside
    q = dt.timedelta(minutes=15)
    regs = [1000 + 37 * k * k for k in range(16)]
    frames = [G.kaifa_frame(t0 + k * q, A_ID, 0, regs=(r, k)) for k, r in enumerate(regs)]
    acc15 = EnergyAccountant("Europe/Oslo", period_minutes=15)
    acc60 = EnergyAccountant("Europe/Oslo")
    for fr in frames:
        acc15.update(amsparse.decode_frame(fr))
        acc60.update(amsparse.decode_frame(fr))
    assert [(from_us(h.start), h.import_wh, h.export_wh) for h in acc15.hours] == [
        (t0 + k * q, regs[k + 1] - regs[k], 1) for k in range(15)]
    assert [(from_us(h.start), h.import_wh) for h in acc60.hours] == [
        (t0 + k * H, regs[4 * k + 4] - regs[4 * k]) for k in range(3)]
    # capacity from 15-minute periods: kW = Wh x 4 / 1000
    (m,) = acc15.months()
    assert m.capacity.average_kw == round((regs[15] - regs[14]) * 4 / 1000, 3)


def test_aidon_without_clock_uses_receive_times() -> None:
    """Aidon list 2 has no clock: the receive time passed in (live ``at=``, table
    ``times=``) places the readings; without it nothing time-based is made."""
    t0 = u(2024, 2, 1, 8)
    plan = [(t0 + dt.timedelta(seconds=60 * k), 1200 + 600 * (k // 60), 2300 if k != 70 else 2000)
            for k in range(181)]
    frames = [G.aidon_list2("7359992890497997", p, (v, 2300, 2300)) for _t, p, v in plan]
    live = EnergyAccountant("Europe/Oslo")
    for (t, _p, _v), fr in zip(plan, frames):
        live.update(amsparse.decode_frame(fr), at=t)
    assert [(from_us(h.start), h.import_wh, h.complete) for h in live.hours] == [
        (t0, 1200, True), (t0 + H, 1800, True), (t0 + 2 * H, 2400, True)]  # the 11:00 reading opens no hour
    assert [(from_us(e.start), from_us(e.end), e.worst) for e in live.voltage_events] == [
        (plan[70][0], plan[71][0], 200.0)]
    vec = EnergyAccountant("Europe/Oslo")
    vec.feed_table(amsparse.decode_batch(frames), times=[us(t) for t, _p, _v in plan])
    assert vec.state() == live.state()
    blind = EnergyAccountant("Europe/Oslo")
    blind.feed_table(amsparse.decode_batch(frames))
    assert blind.hours == [] and blind.voltage_events == [] and blind.now_values["active_power_import"] == 3000
    with pytest.raises(ValueError, match="aware"):
        live.update(amsparse.decode_frame(frames[0]), at=dt.datetime(2024, 2, 1, 12))


def test_headroom_before_next_step() -> None:
    """Three earlier days peaked at 4.0, 4.2 and 3.0 kWh: the month is at 3.733 kW
    (2-5 kW); the current hour, on a new day, may reach 3*5 kW - 4.2 - 4.0 = 6.8 kWh."""
    acc = EnergyAccountant("Europe/Oslo")
    reg = 100_000
    plan = {u(2024, 1, 2, 12): 4000, u(2024, 1, 3, 12): 4200, u(2024, 1, 4, 12): 3000}
    t = u(2024, 1, 2, 10)
    while t < u(2024, 1, 5, 9):
        use = plan.get(t, 500)
        acc.update(amsparse.decode_frame(G.kaifa_frame(t, A_ID, use, regs=(reg, 0))))
        reg += use
        t += H
    # 5 January 09:00 local: register frame, then 20 minutes at 3 kW
    for s in range(0, 1201, 60):
        acc.update(amsparse.decode_frame(G.kaifa_frame(t + dt.timedelta(seconds=s), A_ID, 3000)))
    room = acc.headroom()
    assert room["capacity_kw"] == 3.733 and room["step"] == "2-5 kW"
    assert room["hour_used_wh"] == 1000  # 20 min at 3 kW
    assert room["hour_limit_wh"] == 6799 and room["headroom_wh"] == 5799
    summary = energy.live_summary(acc)
    assert summary["power_import_w"] == 3000 and summary["last_hour"]["import_wh"] == 500
    assert "5799 Wh left" in energy.format_live(summary)


def test_voltage_events_and_now_values() -> None:
    t0 = u(2024, 5, 1, 10)
    volts = [2300] * 5 + [2050, 1990, 2010] + [2300] * 3 + [2600] + [2300] + [2531]
    acc = EnergyAccountant("Europe/Oslo")
    kinds = []
    for k, v in enumerate(volts):
        fr = G.kaifa_frame(t0 + dt.timedelta(seconds=10 * k), A_ID, 1500, 200, volts_dv=(v, 2300, 0))
        kinds += [e.kind for e in acc.update(amsparse.decode_frame(fr))]
    ev = [(e.phase, from_us(e.start), from_us(e.end), e.worst) for e in acc.voltage_events]
    sec = lambda k: t0 + dt.timedelta(seconds=10 * k)  # noqa: E731
    assert ev == [(1, sec(5), sec(8), 199.0), (1, sec(11), sec(12), 260.0)]
    assert acc.state()["voltage_open"][0] == (us(sec(13)), 253.1)  # still outside at the end
    assert kinds.count("voltage_start") == 3 and kinds.count("voltage_end") == 2
    assert acc.now_values["voltage_l1"] == 253.1 and acc.now_values["active_power_export"] == 200
    assert acc.now_values["current_l2"] == 1.0
    # voltage L3 of 0 V (IT meters) is "not measured", not an event
    assert all(e.phase == 1 for e in acc.voltage_events)


def test_clock_jump_back_is_reported_not_used() -> None:
    acc = EnergyAccountant("Europe/Oslo")
    t = u(2024, 5, 2, 0)
    for off, reg in [(0, 1000), (1, 2000), (2, 3000), (-5, 3500), (3, 4000)]:
        acc.update(amsparse.decode_frame(G.kaifa_frame(t + off * H + dt.timedelta(seconds=10), A_ID, 0,
                                                       regs=(reg, 0))))
    assert [h.import_wh for h in acc.hours] == [1000, 1000, 1000]
    assert acc.clock_events == [(us(t - 5 * H + dt.timedelta(seconds=10)), us(t + 2 * H))]


def test_drifting_clock_within_tolerance() -> None:
    """Stamps a minute or two off the hour still count for it (drift); one ten
    minutes off is not an hourly reading at all."""
    acc = EnergyAccountant("Europe/Oslo")
    t = u(2024, 5, 3, 0)
    for off_s, reg in [(0, 1000), (3600 + 95, 1500), (7200 - 80, 2100), (7200 + 600, 2300), (10800 + 30, 2600)]:
        acc.update(amsparse.decode_frame(G.kaifa_frame(t + dt.timedelta(seconds=off_s), A_ID, 0, regs=(reg, 0))))
    assert [(from_us(h.start), h.import_wh) for h in acc.hours] == [(t, 500), (t + H, 600), (t + 2 * H, 500)]


def test_steps_are_data(tmp_path: Path) -> None:
    assert [s.label for s in energy.DEFAULT_STEPS] == [lab for _, lab in NORWEGIAN_STEPS]
    p = tmp_path / "steps.json"
    p.write_text(json.dumps([{"from": 0, "label": "Trinn 1"}, {"from": 3, "label": "Trinn 2"}]))
    steps = energy.load_steps(str(p))
    assert [(s.lower_kw, s.label) for s in steps] == [(0, "Trinn 1"), (3, "Trinn 2")]
    p.write_text("[0, 2.5, 7]")
    assert [s.label for s in energy.load_steps(str(p))] == ["0-2.5 kW", "2.5-7 kW", "7+ kW"]
    for bad in ("[1, 2]", "[0, 5, 3]", "{}", '["x"]'):
        p.write_text(bad)
        with pytest.raises(ValueError):
            energy.load_steps(str(p))


def test_missing_numpy_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "numpy", None)
    with pytest.raises(ImportError, match=r'pip install "amsparse\[numpy\]"'):
        EnergyAccountant().feed_table(amsparse.decode_batch(b""))


# --------------------------------------------------------------------------- hypothesis

hyp = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

STARTS = [u(2024, 10, 26, 20), u(2024, 3, 30, 21), u(2024, 6, 10, 8)]


@st.composite
def plans(draw):  # type: ignore[no-untyped-def]
    start = draw(st.sampled_from(STARTS))
    n = draw(st.integers(2, 14))
    hours = [start + k * H for k in range(n)]
    drop = frozenset(draw(st.sets(st.sampled_from(hours), max_size=3)))
    dup = frozenset(draw(st.sets(st.sampled_from(hours), max_size=2)))
    reset = draw(st.one_of(st.none(), st.sampled_from(hours)))
    every = draw(st.sampled_from([600, 900, 1200]))
    cap = G.kaifa_capture(start, start + n * H, list2_every_s=every, drop_hours=drop, dup_hours=dup,
                          reset_at=reset)
    cuts = sorted(draw(st.lists(st.integers(0, len(cap.frames)), max_size=3)))
    return cap, cuts


@settings(max_examples=40, deadline=None)
@given(plans())
def test_property_live_vectorised_split(plan) -> None:  # type: ignore[no-untyped-def]
    cap, cuts = plan
    live = EnergyAccountant("Europe/Oslo", max_gap_s=1200)
    for fr in cap.frames:
        live.update(amsparse.decode_frame(fr))
    whole = EnergyAccountant("Europe/Oslo", max_gap_s=1200)
    whole.feed_table(amsparse.decode_batch(cap.blob()))
    assert whole.state() == live.state()
    parts = EnergyAccountant("Europe/Oslo", max_gap_s=1200)
    bounds = [0, *cuts, len(cap.frames)]
    for a, b in zip(bounds, bounds[1:]):
        parts.feed_table(amsparse.decode_batch(b"".join(cap.frames[a:b])))
    assert parts.state() == live.state()
    # hours are the register differences, and over any unbroken stretch they sum
    # to the difference of the registers at its ends
    metered = live.metered_hours
    assert {from_us(h.start): (h.import_wh, h.export_wh) for h in metered} == G.expected_hours(cap, A_ID)
    regs = {h: v for (_m, h), v in cap.registers.items()}
    stretch: list = []
    for h in metered + [None]:
        if stretch and (h is None or h.start != stretch[-1].end):
            a, b = from_us(stretch[0].start), from_us(stretch[-1].end)
            assert sum(x.import_wh for x in stretch) == regs[b][0] - regs[a][0]
            assert sum(x.export_wh for x in stretch) == regs[b][1] - regs[a][1]
            stretch = []
        if h is not None:
            stretch.append(h)


NAT = -(2**63)
BASE = us(u(2024, 10, 27, 0))  # the first 02:00-03:00 (CEST) of the repeated hour


@st.composite
def raw_rows(draw):  # type: ignore[no-untyped-def]
    """Arbitrary rows around the October transition: drifting, jumping, repeating
    clocks, missing values, odd powers and voltages (columns as a FrameTable has them).
    Values come from a hypothesis-seeded Random: drawing each field costs too much."""
    n = draw(st.integers(1, 80))
    rnd = draw(st.randoms(use_true_random=False))
    t = BASE - 2 * 3600 * 10**6 + rnd.randrange(3600) * 10**6
    rows = []
    for _ in range(n):
        t += rnd.choice([0, 10, 10, 60, 600, 3600, -3600, -30, 5400]) * 10**6
        t_or_nat = lambda t=t: rnd.choice([t, t, t, NAT, t + 10 * 10**6])  # noqa: E731
        num = lambda *vals: rnd.choice([*vals, math.nan])  # noqa: E731
        rows.append((
            t_or_nat(), t_or_nat(), rnd.choice([NAT, t]),
            num(1e6, 1e6 + 500, 2e6, 500.0), num(0.0, 10.0),
            num(0.0, 1500.0, 1500.4, -3.0, 2e9), num(0.0, 200.0),
            num(230.0, 190.0, 260.0, 0.0, 237.0), num(230.0, 250.0, 216.0), num(231.0, 214.0),
            num(1.0), num(2.0), num(3.0),
        ))
    cuts = sorted(rnd.randrange(n + 1) for _ in range(rnd.randrange(4)))
    period = draw(st.sampled_from([60, 15]))
    return rows, cuts, period


KEYS = ("th", "tm", "tx", "e_imp", "e_exp", "p_imp", "p_exp", "v1", "v2", "v3", "i1", "i2", "i3")


@settings(max_examples=150, deadline=None)
@given(raw_rows())
def test_property_rules_agree_on_arbitrary_rows(data) -> None:  # type: ignore[no-untyped-def]
    rows, cuts, period = data
    limits = (215.0, 236.0) if period == 15 else (207.0, 253.0)  # asymmetric around 230 too
    live = EnergyAccountant("Europe/Oslo", period_minutes=period, max_gap_s=900, voltage_limits=limits)
    for r in rows:
        live._row(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7:10], r[10:13])
    vec = EnergyAccountant("Europe/Oslo", period_minutes=period, max_gap_s=900, voltage_limits=limits)
    bounds = [0, *cuts, len(rows)]
    for a, b in zip(bounds, bounds[1:]):
        part = rows[a:b]
        cols = {}
        for k, key in enumerate(KEYS):
            vals = [r[k] for r in part]
            cols[key] = np.array(vals, dtype=np.int64 if key in ("th", "tm", "tx") else np.float64)
        vec._feed_arrays(np, cols)
    assert vec.state() == live.state()
    assert all(h.import_wh >= 0 for h in live.hours)


# --------------------------------------------------------------------------- the CLI

def test_report_json_subprocess(tmp_path: Path) -> None:
    """``amsparse report --json`` on a generated capture of October 2024 and a second
    meter (Kamstrup) in another file, against figures computed here."""
    cap = G.kaifa_capture(u(2024, 9, 30, 22), u(2024, 11, 1, 2), list2_every_s=900,
                          drop_hours=frozenset({u(2024, 10, 9, 3)}))
    f1 = tmp_path / "kaifa.bin"
    f1.write_bytes(cap.blob())
    kam = [G.kamstrup_list3(u(2024, 10, 1, 5) + k * H, B_ID, 100, (50_000 + 1230 * k, 0)) for k in range(3)]
    f2 = tmp_path / "kamstrup.hex"
    f2.write_text("".join(fr.hex() + "\n" for fr in kam))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    r = subprocess.run([sys.executable, "-m", "amsparse", "report", str(f1), str(f2), "--json",
                        "--max-gap", "900", "--tz", "Europe/Oslo"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) == {"meters"}
    meters = {m["meter_id"]: m for m in out["meters"]}
    assert set(meters) == {A_ID, B_ID}
    a = meters[A_ID]
    assert set(a) == {"meter_id", "hours", "days", "months", "gaps"}
    hours = G.expected_hours(cap, A_ID)
    iso = lambda t: t.astimezone(OSLO).isoformat()  # noqa: E731
    assert a["hours"] == [{"start": iso(h), "end": iso(h + H), "import_wh": i, "export_wh": e,
                           "complete": True, "estimated": False} for h, (i, e) in hours.items()]
    days = expected_days(hours)
    assert a["days"] == [{"date": d.isoformat(), "import_wh": x["import"], "export_wh": x["export"],
                          "max_hour_start": iso(x["max"][0]), "max_hour_import_wh": x["max"][1]}
                         for d, x in sorted(days.items())]
    assert a["gaps"] == [{"from": iso(u(2024, 10, 9, 2)), "to": iso(u(2024, 10, 9, 4))}]
    (octo,) = [m for m in a["months"] if m["month"] == "2024-10"]
    first = cap.registers[(A_ID, u(2024, 9, 30, 22))]
    assert (octo["start_reading_import_wh"], octo["start_reading_export_wh"]) == first
    od = {d: x for d, x in days.items() if d.month == 10}
    assert octo["import_wh"] == sum(x["import"] for x in od.values())
    peaks, avg, step = expected_capacity(od)
    assert octo["capacity"] == {
        "top3": [{"date": h.astimezone(OSLO).date().isoformat(), "hour_start": iso(h), "import_wh": i}
                 for h, i in peaks],
        "average_kw": round(avg, 3), "step": step}
    (nov,) = [m for m in a["months"] if m["month"] == "2024-11"]
    assert nov["start_reading_import_wh"] == cap.registers[(A_ID, u(2024, 10, 31, 23))][0]
    b = meters[B_ID]
    assert [(h["start"], h["import_wh"]) for h in b["hours"]] == [
        ("2024-10-01T07:00:00+02:00", 1230), ("2024-10-01T08:00:00+02:00", 1230)]


def test_report_text_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from amsparse._cli import main

    cap = G.kaifa_capture(u(2024, 10, 26, 22), u(2024, 10, 28, 2), list2_every_s=1800)
    f = tmp_path / "cap.bin"
    f.write_bytes(cap.blob())
    assert main(["report", str(f), "--max-gap", "1800"]) == 0
    text = capsys.readouterr().out
    assert f"Meter {A_ID}" in text and "2024-10-27" in text and "   25  " in text
    assert "capacity:" in text and "1 stamp(s) in the repeated autumn hour" in text
    pytest.importorskip("matplotlib")  # in the test extra
    png = tmp_path / "out.png"
    assert main(["report", str(f), "--max-gap", "1800", "--json", "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_without_numpy_same_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Without numpy the report falls back to the live path: same JSON."""
    from amsparse._cli import main

    f = tmp_path / "cap.bin"
    f.write_bytes(G.kaifa_capture(u(2024, 10, 26, 20), u(2024, 10, 27, 6), list2_every_s=1200).blob())
    assert main(["report", str(f), "--json", "--max-gap", "1200"]) == 0
    with_numpy = capsys.readouterr().out
    monkeypatch.setitem(sys.modules, "numpy", None)
    assert main(["report", str(f), "--json", "--max-gap", "1200"]) == 0
    assert capsys.readouterr().out == with_numpy
    assert len(json.loads(with_numpy)["meters"][0]["hours"]) == 9


def test_report_steps_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from amsparse._cli import main

    cap = G.kaifa_capture(u(2024, 10, 1, 0), u(2024, 10, 4, 0), list2_every_s=1800)
    f = tmp_path / "cap.bin"
    f.write_bytes(cap.blob())
    steps = tmp_path / "steps.json"
    steps.write_text('[{"from": 0, "label": "low"}, {"from": 2.5, "label": "high"}]')
    assert main(["report", str(f), "--json", "--max-gap", "1800", "--steps", str(steps)]) == 0
    (month,) = json.loads(capsys.readouterr().out)["meters"][0]["months"]
    peaks, avg, _ = expected_capacity(expected_days(G.expected_hours(cap, A_ID)))
    assert month["capacity"]["step"] == ("high" if avg >= 2.5 else "low")
    steps.write_text("[3, 1]")
    assert main(["report", str(f), "--steps", str(steps)]) == 2
    assert "steps" in capsys.readouterr().err


def test_report_plot_without_matplotlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from amsparse._cli import main

    f = tmp_path / "cap.bin"
    f.write_bytes(G.kaifa_capture(u(2024, 1, 1), u(2024, 1, 1, 2), list2_every_s=1800).blob())
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main(["report", str(f), "--plot", str(tmp_path / "x.png")]) == 2
    assert 'pip install "amsparse[plot]"' in capsys.readouterr().err
