#!/usr/bin/env python3
"""Generate ``src/amsparse/_spec.pxi`` from ``src/amsparse/_spec.py``.

``_spec.py`` is the single source of the numbers both backends share (A-XDR
tags and widths, APDU tags, kinds, layouts, clock policies, status codes,
NAT / RAW_MISSING).  The compiled core includes the rendered ``_spec.pxi`` as
C enums and constants.  The generated file is committed (a build needs no
generator step, and a change to it shows in review); ``tests/test_spec.py``
renders it again in memory and fails on drift.

    python tools/gen_spec_pxi.py           # write src/amsparse/_spec.pxi
    python tools/gen_spec_pxi.py --check   # exit 1 if it is stale
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))  # the shared write-or-check step
from _generated import write_or_check

SOURCE = ROOT / "src" / "amsparse" / "_spec.py"
TARGET = ROOT / "src" / "amsparse" / "_spec.pxi"

HEADER = """\
# GENERATED from src/amsparse/_spec.py by tools/gen_spec_pxi.py -- DO NOT EDIT.
# Included by _decode_c.pyx: the shared spec table as C constants.
"""


def _load(path: Path = SOURCE):
    """_spec.py on its own (it imports nothing from amsparse)."""
    spec = importlib.util.spec_from_file_location("_amsparse_spec_gen", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclass/enum machinery looks the module up
    try:
        spec.loader.exec_module(mod)
    finally:
        del sys.modules[spec.name]
    return mod


def _i64(v: int) -> str:
    return "LLONG_MIN" if v == -(2**63) else f"{v}LL"


def render(path: Path = SOURCE) -> str:
    s = _load(path)
    out = [HEADER, "", "cdef enum:", f"    C_MAX_DEPTH = {s.MAX_DEPTH}",
           "    VERSION_CDE = (0 << 16) | (2 << 8) | 129  # x-x:0.2.129.x", "", "# A-XDR tags", "cdef enum:"]
    out += [f"    T_{t.name} = 0x{t.value:02X}" for t in s.Tag]
    out += ["", "cdef enum:"]
    out += [f"    KIND_{k.name} = {k.value}" for k in s.Kind]
    out += [f"    LAYOUT_{k.name} = {k.value}" for k in s.Layout]
    out += [f"    CLOCK_{k.name} = {k.value}" for k in s.Clock]
    out += ["", "# xDLMS APDU tags", "cdef enum:"]
    out += [f"    APDU_{t.name} = 0x{t.value:02X}" for t in s.ApduTag]
    out += ["", "# batch row status codes", "cdef enum:"]
    out += [f"    STATUS_{t.name} = {t.value}" for t in s.Status]
    out += ["", f"cdef long long NAT_US = {_i64(s.NAT)}", f"cdef long long RAW_MISSING_Q = {_i64(s.RAW_MISSING)}"]
    numeric = [t for t in s.Tag if s.AXDR[t][2] in ("int", "float", "bcd")]
    out += ["", "", "cdef inline bint _is_numeric(int tag) noexcept nogil:", "    return ("]
    conds = [f"tag == T_{t.name}" for t in numeric]
    lines = []
    for i in range(0, len(conds), 5):
        lines.append(("        " if i == 0 else "        or ") + " or ".join(conds[i:i + 5]))
    out += lines + ["    )"]
    out += ["", "", "cdef inline int _num_width(int tag) noexcept nogil:",
            "    # width in bytes of a fixed-size number (A-XDR), 0 for any other tag"]
    by_width: dict[int, list] = {}
    for t in numeric:
        by_width.setdefault(s.AXDR[t][0], []).append(t)
    for w in sorted(by_width):
        out.append("    if " + " or ".join(f"tag == T_{t.name}" for t in by_width[w]) + ":")
        out.append(f"        return {w}")
    out.append("    return 0")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    return write_or_check(TARGET, render(), "--check" in argv,
                          f"{TARGET.relative_to(ROOT)} is stale: run python tools/gen_spec_pxi.py")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
