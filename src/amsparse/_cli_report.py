"""``amsparse report CAPTURE... [--tz ZONE] [--steps FILE] [--json] [--plot out.png]``:
hours, days, month-start readings and the capacity tariff of recorded captures
(see docs/energy.md)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from . import energy as _energy
from ._errors import DecodeError

_MONTHS_PLOTTED = 12


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "report", help="energy report of captures: hours, days, month-start readings, capacity tariff",
        description="Account recorded captures (raw HAN byte streams or hex lines, in the order "
        "given) per meter: hourly use from the list-3 registers (estimated from power when a "
        "meter sends none), days, month-start readings, month totals and the capacity step.")
    p.add_argument("captures", nargs="+", metavar="CAPTURE", help="capture file (raw bytes or hex lines)")
    p.add_argument("--tz", help="the meters' time zone (default Europe/Oslo); also used to read "
                   "clocks that carry no UTC offset")
    p.add_argument("--steps", metavar="FILE", help="capacity steps as JSON: [0, 2, 5, ...] kW or "
                   '[{"from": 0, "label": "..."}, ...] (default: the common Norwegian steps)')
    p.add_argument("--period", type=int, default=60, choices=(15, 30, 60),
                   help="settlement period in minutes (default 60)")
    p.add_argument("--max-gap", type=float, default=60.0, metavar="S",
                   help="longest interval between power readings integrated into estimated hours (s)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--plot", metavar="PNG", help="plot hourly use per month, capacity hours and steps "
                   '(needs pip install "amsparse[plot]")')


def _accounts(args: argparse.Namespace) -> _energy.EnergyAccounts:
    from ._cli import CHUNK, _events, _is_hex_text, _open_input, _units_from_text
    from ._profiles import builtin_profiles
    from ._select import impl

    steps = _energy.load_steps(args.steps) if args.steps else _energy.DEFAULT_STEPS
    accts = _energy.EnergyAccounts(args.tz or "Europe/Oslo", period_minutes=args.period, steps=steps,
                                   max_gap_s=min(args.max_gap, args.period * 60.0))
    kw: dict[str, Any] = {"tz": args.tz} if args.tz else {}
    try:
        _energy._numpy()
        vectorised = True
    except ImportError:
        vectorised = False
    profiles = builtin_profiles()
    for path in args.captures:
        label, units, fh = _open_input(path)  # hex units, or a file to read
        if vectorised:
            from ._batch import decode_batch

            if units is None:
                with fh:  # type: ignore[union-attr]
                    data = fh.read()  # type: ignore[union-attr]
                if not _is_hex_text(data[:CHUNK]):
                    accts.feed_table(decode_batch(data, **kw))
                    continue
                units = list(_units_from_text(data.decode("ascii", "replace"), label))
            accts.feed_table(decode_batch([d for _l, d in units if isinstance(d, bytes)], **kw))
            continue
        # without numpy: the live path, frame by frame (hex lines decoded one by
        # one, a raw capture through the stream decoder a chunk at a time)
        items = units if units is not None else _events(fh, label, profiles, kw)  # type: ignore[arg-type]
        try:
            for _lab, item in items:
                if isinstance(item, (bytes, bytearray)):
                    try:
                        accts.update(impl.decode_frame(item, profiles, **kw))
                    except DecodeError:
                        pass
                elif getattr(item, "frame", None) is not None:
                    accts.update(item.frame)
        finally:
            if fh is not None:
                fh.close()
    return accts


def run(args: argparse.Namespace) -> int:
    try:
        accts = _accounts(args)
    except (ValueError, OSError, KeyError) as e:  # bad --steps / --tz
        print(f"amsparse: {e}", file=sys.stderr)
        return 2
    if args.plot:
        try:
            _plot(accts, args.plot)
        except ImportError as e:
            print(f"amsparse: {e}", file=sys.stderr)
            return 2
    if args.json:
        json.dump(accts.to_json(), sys.stdout, indent=None, separators=(",", ":"))
        sys.stdout.write("\n")
    else:
        _print_report(accts, sys.stdout)
    return 0 if accts.meters else 1


def _kwh(wh: int | None) -> str:
    return "-" if wh is None else f"{wh / 1000:,.3f}"


def _print_report(accts: _energy.EnergyAccounts, out: TextIO) -> None:
    if not accts.meters:
        out.write("No meter data found.\n")
        return
    for mid, acc in sorted(accts.meters.items()):
        hours = acc.hours
        kind = "estimated from power" if hours and hours[0].estimated else "from the hourly registers"
        out.write(f"Meter {mid or '(no id)'}: {len(hours)} hour(s) {kind}, zone {acc.zone}\n")
        for m in acc.months():
            out.write(f"\n  {m.month}: start reading import {_kwh(m.start_reading_import_wh)} kWh, "
                      f"export {_kwh(m.start_reading_export_wh)} kWh\n")
            out.write(f"    used {_kwh(m.import_wh)} kWh, fed in {_kwh(m.export_wh)} kWh\n")
            c = m.capacity
            if c is not None:
                tops = ", ".join(f"{acc._local(h.start):%d %H:%M} {_kwh(h.import_wh)} kWh" for h in c.top3)
                out.write(f"    capacity: {c.average_kw:.3f} kW -> step {c.step.label}  (top days: {tops})\n")
            out.write("    date        import kWh  export kWh  hours  highest hour\n")
            for d in m.days:
                out.write(f"    {d.date}  {_kwh(d.import_wh):>10}  {_kwh(d.export_wh):>10}  {d.hours:>5}  "
                          f"{acc._local(d.max_hour.start):%H:%M} {_kwh(d.max_hour.import_wh)} kWh\n")
        gaps = acc.gaps
        if gaps:
            out.write(f"\n  {len(gaps)} gap(s) without hours:\n")
            for g in gaps[:50]:
                why = " (register went backwards: meter exchange?)" if g.reset else ""
                out.write(f"    {acc._local(g.start).isoformat()} -> {acc._local(g.end).isoformat()}{why}\n")
        notes = []
        if acc.duplicates:
            notes.append(f"{acc.duplicates} duplicate hourly frame(s)")
        if acc.repeated_hours:
            notes.append(f"{acc.repeated_hours} stamp(s) in the repeated autumn hour")
        if acc.clock_events:
            notes.append(f"{len(acc.clock_events)} hourly frame(s) stamped before the last one (clock jump)")
        if acc.voltage_events:
            notes.append(f"{len(acc.voltage_events)} voltage excursion(s) outside {acc.v_low:g}-{acc.v_high:g} V")
        if notes:
            out.write("\n  " + "; ".join(notes) + "\n")
        out.write("\n")


def _plot(accts: _energy.EnergyAccounts, path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError('--plot needs matplotlib: pip install "amsparse[plot]"') from None
    panels = [(mid, acc, m) for mid, acc in sorted(accts.meters.items()) for m in acc.months() if m.days]
    panels = panels[:_MONTHS_PLOTTED]
    fig, axes = plt.subplots(max(1, len(panels)), 1, figsize=(11, 3 * max(1, len(panels))), squeeze=False)
    for ax, (mid, acc, m) in zip(axes[:, 0], panels):
        hs = [h for h in acc.hours if acc._local(h.start).strftime("%Y-%m") == m.month]
        x = [acc._local(h.start) for h in hs]
        y = [acc._kw(h.import_wh) for h in hs]
        ax.bar(x, y, width=acc.period_minutes / 1440, align="edge", color="#4c72b0", label="hourly use (kW avg)")
        if m.capacity is not None:
            top = m.capacity.top3
            ax.scatter([acc._local(h.start) for h in top], [acc._kw(h.import_wh) for h in top],
                       color="#c44e52", zorder=3, label="capacity hours")
            ax.axhline(m.capacity.average_kw, color="#c44e52", linestyle="--",
                       label=f"average {m.capacity.average_kw:.2f} kW ({m.capacity.step.label})")
        top_y = max(y, default=1.0)
        for s in acc.steps[1:]:
            if s.lower_kw <= top_y * 1.3:
                ax.axhline(s.lower_kw, color="grey", linewidth=0.6)
                ax.text(x[0] if x else 0, s.lower_kw, f" {s.lower_kw:g} kW", va="bottom", fontsize=7, color="grey")
        ax.set_title(f"{mid or 'meter'} {m.month}")
        ax.set_ylabel("kW")
        ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
