"""Generated documentation pages match what their generators render now."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "gen_reading_names.py"

if not TOOL.is_file() or not (ROOT / "docs").is_dir():
    pytest.skip("needs the source tree (tools/, docs/)", allow_module_level=True)


def _tool():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("_gen_reading_names", TOOL)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_reading_names_page_is_current() -> None:
    page = (ROOT / "docs" / "reading-names.md").read_text(encoding="utf-8")
    assert page == _tool().render(), "run: python tools/gen_reading_names.py"


def test_reading_names_page_lists_what_frames_give(corpus) -> None:  # type: ignore[no-untyped-def]
    """Every name a real frame decodes to (other than the generic obis_* names)
    is on the page, with the unit the frame reports."""
    import amsparse

    page = (ROOT / "docs" / "reading-names.md").read_text(encoding="utf-8")
    rows = {}
    for line in page.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0].strip("`")] = cells[1]
    seen = 0
    for rec in corpus:
        if rec.get("framing") != "hdlc" or rec.get("encrypted") or rec.get("marked_corrupt"):
            continue
        try:
            frame = amsparse.decode_frame(bytes.fromhex(rec["hex"]))
        except amsparse.DecodeError:
            continue
        for r in frame.readings:
            if r.name.startswith("obis_"):
                continue
            seen += 1
            assert r.name in rows, f"{rec['id']}: {r.name} is not on docs/reading-names.md"
            if isinstance(r.unit, amsparse.Unit) and r.unit.symbol:
                assert r.unit.symbol in rows[r.name].split(", "), (rec["id"], r.name, r.unit)
    assert seen > 500


def test_unit_prints_its_symbol() -> None:
    from amsparse import Unit

    assert [str(u) for u in (Unit.W, Unit.WH, Unit.VAR, Unit.VARH, Unit.V, Unit.A, Unit.CUBIC_METRE)] == [
        "W", "Wh", "var", "varh", "V", "A", "m³"]
    assert f"{Unit.WH:>4}" == "  Wh"
    assert str(Unit.COUNT) == "count" and int(Unit.W) == 27
    assert Unit.from_symbol("m³") is Unit.CUBIC_METRE


def test_documentation_builds_without_warnings(tmp_path: Path) -> None:
    """The guides and the API reference (generated from the docstrings) build
    with ``mkdocs build --strict``: a broken link, a missing page or a
    docstring mkdocstrings cannot render fails."""
    import subprocess
    import sys

    if not (ROOT / "mkdocs.yml").is_file():
        pytest.skip("needs the source tree (mkdocs.yml)")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    api = (tmp_path / "site" / "api" / "index.html").read_text(encoding="utf-8")
    for name in ("decode_frame", "StreamDecoder", "decode_batch", "FrameTable", "Reading", "load_profiles"):
        assert name in api
