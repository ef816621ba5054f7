#!/usr/bin/env python3
"""Record what the peer, dsmr_parser, reads from the telegrams in
``tests/corpus/telegrams.jsonl`` into ``tests/corpus/telegrams_peer.json``.

The test suite (tests/test_p1.py::test_peer_values) then asserts that amsparse
gives every one of those values (after kW -> W, kWh -> Wh...), without needing
dsmr_parser installed.  The expectations come from the peer, never from
amsparse.  Rerun after adding telegrams (needs ``pip install dsmr-parser``):

    python tools/p1_peer_values.py            # write the file
    python tools/p1_peer_values.py --check    # exit 1 if it is stale

For each object line dsmr_parser's telegram specification knows, the tool
runs the specification's own value parser on that line (as
``TelegramParser.parse`` does) and stores the values it returns, in line
order: ``{"t": "dec"|"int"|"str"|"dt"|"none", "v": ..., "u": unit}``.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))  # the shared write-or-check step
from _generated import write_or_check

CORPUS = ROOT / "tests" / "corpus" / "telegrams.jsonl"
TARGET = ROOT / "tests" / "corpus" / "telegrams_peer.json"

#: telegram id -> dsmr_parser telegram specification it is published with
SPECS = {
    "dsmr-v22-01": "V2_2",
    "isk-p1-04": "V3",
    "dsmr-v42-01": "V4",
    "kfm-p1-01": "V4",
    "isk-p1-05": "V5",
    "isk-p1-06": "V5",
    "nwa-p1-01": "V5",
    "fluv-p1-01": "BELGIUM_FLUVIUS",
    "fluv-p1-02": "BELGIUM_FLUVIUS",
    "esy-p1-01": "Q3D",
    "esy-p1-02": "Q3D",
    "sag-p1-01": "SAGEMCOM_T210_D_R",
    "isk-p1-07": "ISKRA_IE",
    "sag-p1-02": "EON_HUNGARY",
    "kam-p1-04": "SWEDEN",
    "lg-p1-01": "SWEDEN",
    "unkn-p1-02": "SWEDEN",
}


def _value(v: object, unit: object) -> dict[str, object]:
    if v is None:
        return {"t": "none"}
    if isinstance(v, decimal.Decimal):
        return {"t": "dec", "v": str(v), "u": unit}
    if isinstance(v, bool):
        raise TypeError(v)
    if isinstance(v, int):
        return {"t": "int", "v": v, "u": unit}
    if isinstance(v, str):
        return {"t": "str", "v": v, "u": unit}
    if isinstance(v, _dt.datetime):
        return {"t": "dt", "v": v.astimezone(_dt.timezone.utc).isoformat()}
    raise TypeError(f"unexpected peer value {v!r}")


def _flatten(obj: object) -> list[dict[str, object]]:
    if isinstance(obj, list):  # a list of peak objects (0-0:98.1.0 in Belgium)
        return [x for o in obj for x in _flatten(o)]
    return [_value(d["value"], d.get("unit")) for d in obj.values]  # type: ignore[attr-defined]


def render() -> str:
    import dsmr_parser
    from dsmr_parser import telegram_specifications as ts

    version = getattr(dsmr_parser, "__version__", None)
    if version is None:
        from importlib.metadata import version as _v

        version = _v("dsmr-parser")
    out: dict[str, object] = {"dsmr_parser": version, "telegrams": {}}
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        spec_name = SPECS.get(rec["id"])
        if spec_name is None:
            continue
        text = bytes.fromhex(rec["hex"]).decode("latin-1")
        spec = getattr(ts, spec_name)
        objs = []
        for o in spec["objects"]:
            pattern = re.compile(o["obis_reference"], re.DOTALL | re.MULTILINE)
            for m in pattern.findall(text):
                obis = m.split("(", 1)[0]
                objs.append({"obis": obis, "name": o["value_name"], "values": _flatten(o["value_parser"].parse(m))})
        objs.sort(key=lambda d: text.index(d["obis"] + "("))
        out["telegrams"][rec["id"]] = {"spec": spec_name, "objects": objs}  # type: ignore[index]
    return json.dumps(out, indent=1, ensure_ascii=True) + "\n"


def main(argv: list[str]) -> int:
    return write_or_check(TARGET, render(), "--check" in argv, f"{TARGET} is stale: run python tools/p1_peer_values.py")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
