"""P1 / DSMR section of compare_peers.py: amsparse.decode_telegram against
dsmr_parser's ``TelegramParser`` on the same real telegrams, same process.

    python benchmarks/compare_peers.py --p1 [--rounds N] [--seconds S] [--no-write]

Telegrams: ``tests/corpus/telegrams.jsonl`` (real published telegrams with
provenance), each with the dsmr_parser specification it is published with.
Before timing, every contender decodes every telegram and must give the same
active power import (1-0:1.7.0, kW -> W) as the other; a telegram a contender
cannot decode is excluded and reported.  dsmr_parser gets the telegram as the
``str`` its API takes (decoded once, outside the timing); amsparse gets bytes.
Both verify the CRC (dsmr_parser's default ``apply_checksum_validation``).
"""

from __future__ import annotations

import importlib
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
TELEGRAMS = ROOT / "tests" / "corpus" / "telegrams.jsonl"
BEGIN = "<!-- compare_peers_p1:begin -->"
END = "<!-- compare_peers_p1:end -->"

#: telegram id -> the dsmr_parser specification it is published with
SPECS = {
    "dsmr-v22-01": "V2_2", "isk-p1-04": "V3", "dsmr-v42-01": "V4", "kfm-p1-01": "V4",
    "isk-p1-05": "V5", "isk-p1-06": "V5", "fluv-p1-01": "BELGIUM_FLUVIUS",
    "fluv-p1-02": "BELGIUM_FLUVIUS", "sag-p1-01": "SAGEMCOM_T210_D_R", "isk-p1-07": "ISKRA_IE",
    "sag-p1-02": "EON_HUNGARY", "kam-p1-04": "SWEDEN", "lg-p1-01": "SWEDEN", "unkn-p1-02": "SWEDEN",
}


def load() -> list[dict[str, Any]]:
    import amsparse

    out = []
    for line in TELEGRAMS.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        if r["id"] not in SPECS:
            continue
        raw = bytes.fromhex(r["hex"])
        f = amsparse.decode_telegram(raw)
        power = f.value("active_power_import")
        out.append({"id": r["id"], "raw": raw, "text": raw.decode("latin-1"), "spec": SPECS[r["id"]],
                    "power": power})
    return out


def contenders() -> tuple[list[tuple[str, Callable[[dict[str, Any]], Any], Callable[[dict[str, Any]], Any]]], list[str]]:
    """(name, decode(t), power(t)) per contender."""
    out = []
    missing = []
    try:
        from dsmr_parser import telegram_specifications as ts
        from dsmr_parser.parsers import TelegramParser

        parsers: dict[str, Any] = {}

        def parser(t: dict[str, Any]) -> Any:
            p = parsers.get(t["spec"])
            if p is None:
                spec = getattr(ts, t["spec"])
                if spec.get("general_global_cipher"):  # T210-D-r: the plain telegram text here
                    spec = {**spec, "general_global_cipher": False}
                p = parsers[t["spec"]] = TelegramParser(spec)
            return p

        def dsmr_decode(t: dict[str, Any], _p: Callable[..., Any] = parser) -> Any:
            return _p(t).parse(t["text"])

        def dsmr_power(t: dict[str, Any]) -> Any:
            obj = getattr(dsmr_decode(t), "CURRENT_ELECTRICITY_USAGE", None)
            if obj is None or not isinstance(obj.value, Decimal):
                return None
            return obj.value * {"kW": 1000, "W": 1}[obj.unit]

        import dsmr_parser

        ver = getattr(dsmr_parser, "__version__", None)
        if ver is None:
            from importlib.metadata import version

            ver = version("dsmr-parser")
        out.append((f"dsmr_parser {ver} TelegramParser.parse", dsmr_decode, dsmr_power))
    except ImportError:
        missing.append("dsmr_parser (pip install dsmr-parser, or the bench extra)")
    for mod_name, label in (("amsparse._p1_c", "Cython"), ("amsparse._p1_py", "pure Python")):
        try:
            mod = importlib.import_module(mod_name)
        except ImportError:
            missing.append(f"amsparse {label} (not built)")
            continue
        dec = mod.decode_telegram
        out.append((f"amsparse decode_telegram ({label})", lambda t, d=dec: d(t["raw"]),
                    lambda t, d=dec: d(t["raw"]).value("active_power_import")))
    return out, missing


def main(args: Any, measure: Callable[..., dict[str, float]], machine_note: Callable[[], str],
         write_block: Callable[..., None]) -> int:
    import datetime as _dt

    tels = load()
    cons, missing = contenders()
    notes = [f"{m}: left out" for m in missing]
    ok: dict[str, set[str]] = {}
    for name, _, power in cons:
        good = set()
        for t in tels:
            try:
                got = power(t)
            except Exception:
                got = None
            if got is not None and t["power"] is not None and Decimal(str(got)) == Decimal(str(t["power"])):
                good.add(t["id"])
        ok[name] = good
        bad = [t["id"] for t in tels if t["id"] not in good]
        if bad:
            notes.append(f"{name}: excluded {', '.join(bad)} (no active power import equal to the other contenders')")
    common_ids = set.intersection(*ok.values()) if ok else set()
    common = [t for t in tels if t["id"] in common_ids]
    if not common:
        print("no telegram every contender decodes", file=sys.stderr)
        return 1

    def make(decode: Callable[[dict[str, Any]], Any]) -> Callable[[], int]:
        items = list(common)

        def run() -> int:
            for t in items:
                decode(t)
            return len(items)
        return run

    res = measure([(name, make(dec)) for name, dec, _ in cons], args.rounds, args.seconds)
    ref = next((res[n] for n, _, _ in cons if n.startswith("dsmr_parser")), None)
    mean_len = sum(len(t["raw"]) for t in common) / len(common)
    lines = [f"| contender | telegrams/s ({len(common)} telegrams, mean {mean_len:.0f} bytes) | vs dsmr_parser |",
             "|---|---:|---:|"]
    for name, _, _ in cons:
        r = res[name]
        lines.append(f"| {name} | {r:,.0f} | {'' if ref is None else f'{r / ref:.1f}×'} |")
    cmd = "python benchmarks/compare_peers.py --p1" + (f" --rounds {args.rounds}" if args.rounds != 5 else "") + (
        f" --seconds {args.seconds:g}" if args.seconds != 0.5 else "")
    block = [
        f"Measured {_dt.date.today().isoformat()} on {machine_note()} (shared, noisy box).",
        f"Command: `{cmd}` — {args.rounds} rounds, each contender {args.seconds:g} s per round, alternating "
        f"in one process; median of the rounds.  Telegrams: {', '.join(t['id'] for t in common)} "
        f"(tests/corpus/telegrams.jsonl; NL DSMR 2.2-5, BE e-MUCS, SE, AT, HU, IE), each parsed by dsmr_parser "
        f"with the specification it is published with, CRC checked by both.",
        "",
        *lines,
        "",
    ]
    if notes:
        block += [f"- {n}" for n in notes] + [""]
    text = "\n".join(block)
    print(text)
    if not args.no_write:
        write_block(ROOT / "docs" / "performance.md", text, BEGIN, END, "P1 / DSMR telegrams against dsmr_parser")
    return 0
