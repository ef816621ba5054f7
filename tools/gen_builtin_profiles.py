#!/usr/bin/env python3
"""Generate ``src/amsparse/_builtin_profiles.py`` from ``vendor_profiles/``.

``vendor_profiles/`` is the single source of truth.  The generated module holds
the parsed TOML as Python literals so that importing amsparse parses no TOML
(and needs no TOML library on Python 3.10).  ``setup.py`` runs this at build
time; ``tests/test_profiles.py`` regenerates it in memory and fails on drift.

    python tools/gen_builtin_profiles.py           # write the module
    python tools/gen_builtin_profiles.py --check   # exit 1 if it is stale
"""

from __future__ import annotations

import pprint
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10 build environments
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))  # the shared write-or-check step
from _generated import write_or_check

PROFILES = ROOT / "vendor_profiles"
TARGET = ROOT / "src" / "amsparse" / "_builtin_profiles.py"

HEADER = '''"""GENERATED from vendor_profiles/ by tools/gen_builtin_profiles.py -- DO NOT EDIT.

Edit the TOML files under vendor_profiles/ and rerun the tool.
"""

'''


P1_DIR = "p1/"  # P1 / DSMR telegram profiles (their own schema, see docs/p1.md)


def render(root: Path = PROFILES) -> str:
    entries = []
    p1_entries = []
    for path in sorted(root.rglob("*.toml")):
        rel = path.relative_to(root).as_posix()
        entry = (rel, tomllib.loads(path.read_text(encoding="utf-8")))
        (p1_entries if rel.startswith(P1_DIR) else entries).append(entry)
    body = pprint.pformat(entries, width=100, sort_dicts=False)
    p1_body = pprint.pformat(p1_entries, width=100, sort_dicts=False)
    return HEADER + "PROFILES = " + body + "\n\nP1_PROFILES = " + p1_body + "\n"


def main(argv: list[str]) -> int:
    return write_or_check(TARGET, render(), "--check" in argv,
                          f"{TARGET} is stale: run python tools/gen_builtin_profiles.py")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
