"""Energy accounting over a year of 10-second frames (~3.15 million rows).

Builds the :class:`~amsparse.FrameTable` columns of one Kaifa-like meter directly
(list 2 every 10 s, the list-3 registers at hh:00:10, Europe/Oslo wall clocks
read as decode_batch reads them), then times

* the vectorised path, ``EnergyAccountant.feed_table`` over the whole year, and
* the live path (``update`` per frame; here its per-row core ``_row`` on the same
  columns, so frame decoding is not counted on either side) over one day,
  extrapolated to the year,

and prints both and their ratio.  Run::

    PYTHONPATH=src python benchmarks/energy_year.py [--days 365] [--step 10]

(decoding such a capture first, ``decode_batch`` of ~3.15 M frames, is the
decode_batch benchmark's business and is not included.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from array import array
from pathlib import Path
from typing import Any

try:
    import amsparse  # noqa: F401
except ImportError:  # source checkout, src layout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from amsparse._batch import NAT, FrameTable  # noqa: E402
from amsparse.energy import EnergyAccountant  # noqa: E402

_US = 1_000_000
START = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc) - dt.timedelta(hours=1)  # 1 Jan 00:00 Oslo


def year_columns(np: Any, days: int = 365, step_s: int = 10) -> dict[str, Any]:
    """numpy columns of ``days`` days of one meter, one row every ``step_s`` s."""
    t0 = (START - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(microseconds=1)
    n = days * 86400 // step_s
    t = t0 + np.arange(n, dtype=np.int64) * (step_s * _US)
    hour = (t - t0) // (3600 * _US)
    rng = np.random.default_rng(15)
    per_hour = rng.integers(300, 6000, size=int(hour[-1]) + 2)  # W, constant over each hour
    p_imp = per_hour[hour].astype(np.float64)
    reg_row = (t - t0) % (3600 * _US) == 10 * _US  # hh:00:10 carries the registers
    cum = np.concatenate([[10_000_000], 10_000_000 + np.cumsum(per_hour)])  # Wh at each hour start
    e_imp = np.where(reg_row, cum[hour].astype(np.float64), np.nan)
    volt = 230.0 + rng.normal(0, 4, size=n).round(1)
    return {
        "header_time": t, "meter_time": np.where(reg_row, t, NAT),
        "active_power_import": p_imp, "active_power_export": np.zeros(n),
        "voltage_l1": volt, "voltage_l2": volt[::-1].copy(), "voltage_l3": np.full(n, 231.0),
        "current_l1": p_imp / 690.0, "current_l2": p_imp / 690.0, "current_l3": p_imp / 690.0,
        "active_energy_import": e_imp, "active_energy_export": np.where(reg_row, 0.0, np.nan),
    }


def year_table(np: Any, days: int = 365, step_s: int = 10) -> FrameTable:
    """The columns as a :class:`FrameTable` (what decode_batch would give)."""
    cols = year_columns(np, days, step_s)
    n = len(cols["header_time"])
    tab = FrameTable()
    tab.header_time = array("q", cols.pop("header_time").tobytes())
    tab.meter_time = array("q", cols.pop("meter_time").tobytes())
    tab.status = array("b", bytes(n))
    for key in tab.codes:
        tab.codes[key] = array("i", np.full(n, -1, dtype=np.int32).tobytes())
    tab.codes["meter_id"] = array("i", bytes(4 * n))
    tab.categories["meter_id"] = ["6970631401234567"]
    for name, col in cols.items():
        tab.columns[name] = array("d", col.astype(np.float64).tobytes())
        tab.raw[name] = array("q")
        tab.scalers[name] = array("b")
    tab._n = n
    return tab


def live_rows(acc: EnergyAccountant, tab: FrameTable, stop: int) -> None:
    """The live path's per-frame rules on the first ``stop`` rows."""
    c = tab.columns
    for i in range(stop):
        acc._row(tab.header_time[i], tab.meter_time[i], NAT, c["active_energy_import"][i],
                 c["active_energy_export"][i], c["active_power_import"][i], c["active_power_export"][i],
                 (c["voltage_l1"][i], c["voltage_l2"][i], c["voltage_l3"][i]),
                 (c["current_l1"][i], c["current_l2"][i], c["current_l3"][i]))


def main() -> None:
    import numpy as np

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--step", type=int, default=10, help="seconds between frames")
    args = ap.parse_args()
    t = time.perf_counter()
    tab = year_table(np, args.days, args.step)
    build = time.perf_counter() - t
    print(f"table: {len(tab):,} rows ({args.days} days, one every {args.step} s), built in {build:.1f} s")
    acc = EnergyAccountant("Europe/Oslo")
    acc._zt.ensure(0, 10**17)  # zone table built outside the timings (it is shared per zone)
    t, c = time.perf_counter(), time.process_time()
    acc.feed_table(tab)
    vec, cpu = time.perf_counter() - t, time.process_time() - c
    hours = acc.hours
    print(f"vectorised feed_table: {vec:.2f} s wall, {cpu:.2f} s CPU ({vec / len(tab) * 1e9:.0f} ns/row wall); "
          f"{len(hours):,} hours, {len(acc.days()):,} days, {len(acc.months())} months, "
          f"{len(acc.estimated)} estimated hours, {len(acc.voltage_events):,} voltage events")
    t = time.perf_counter()
    months = acc.months()
    print(f"  months/days/capacity from the hours: {time.perf_counter() - t:.2f} s "
          f"(e.g. {months[0].month}: {months[0].capacity.average_kw} kW, {months[0].capacity.step.label})")
    day_rows = min(len(tab), 86400 // args.step)
    live = EnergyAccountant("Europe/Oslo")
    t, c = time.perf_counter(), time.process_time()
    live_rows(live, tab, day_rows)
    per_row = (time.perf_counter() - t) / day_rows
    per_row_cpu = (time.process_time() - c) / day_rows
    est = per_row * len(tab)
    print(f"live path (update rules per frame): {per_row * 1e6:.1f} µs/row wall, {per_row_cpu * 1e6:.1f} CPU "
          f"-> {est:.0f} s for the table (extrapolated from {day_rows:,} rows); vectorised is "
          f"{est / vec:.0f}x faster (wall), {per_row_cpu * len(tab) / cpu:.0f}x (CPU)")


if __name__ == "__main__":
    main()
