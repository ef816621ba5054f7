"""The step the generator scripts in tools/ share: write the rendered file, or
with ``--check`` exit 1 (naming the command to run) when the committed one
differs from it."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["write_or_check"]


def write_or_check(target: Path, text: str, check: bool, stale: str) -> int:
    """Write ``text`` to ``target`` (0), or when ``check``: 0 when ``target``
    already holds it, else print ``stale`` to stderr and return 1."""
    if check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(stale, file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)}")
    return 0
