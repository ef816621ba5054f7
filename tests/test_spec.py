"""The shared spec table (amsparse._spec): its generated C rendering is current,
its numbers are the standard's (checked against the independent test encoder and
struct widths), and the layers import it downward only."""

from __future__ import annotations

import importlib.util
import re
import struct
from pathlib import Path

import encoder
import pytest

from amsparse import _spec

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "amsparse"


def _tool():
    spec = importlib.util.spec_from_file_location("gen_spec_pxi", ROOT / "tools" / "gen_spec_pxi.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_generated_pxi_is_current() -> None:
    """_spec.pxi is what tools/gen_spec_pxi.py renders from _spec.py today."""
    committed = (SRC / "_spec.pxi").read_text(encoding="utf-8")
    assert _tool().render() == committed, "run: python tools/gen_spec_pxi.py"


def test_drift_is_detected(tmp_path: Path) -> None:
    """A changed spec renders differently (the drift test can fail)."""
    changed = (SRC / "_spec.py").read_text(encoding="utf-8").replace("    TIME = 0x1B", "    TIME = 0x1C")
    (tmp_path / "_spec.py").write_text(changed, encoding="utf-8")
    text = _tool().render(tmp_path / "_spec.py")
    assert "T_TIME = 0x1C" in text
    assert text != (SRC / "_spec.pxi").read_text(encoding="utf-8")


def test_tags_match_the_encoder() -> None:
    """Every tag has the value the test encoder (written from the standard) uses."""
    for tag in _spec.Tag:
        assert getattr(encoder, f"T_{tag.name}") == tag.value, tag
        assert getattr(_spec, f"T_{tag.name}") == tag.value
        assert type(getattr(_spec, f"T_{tag.name}")) is int
    assert set(_spec.AXDR) == set(_spec.Tag)


@pytest.mark.parametrize(("name", "fmt"), [
    ("I8", ">b"), ("U8", ">B"), ("I16", ">h"), ("U16", ">H"), ("I32", ">i"), ("U32", ">I"),
    ("I64", ">q"), ("U64", ">Q"), ("ENUM", ">B"), ("F32", ">f"), ("F64", ">d"),
])
def test_number_widths(name: str, fmt: str) -> None:
    width, signed, kind = _spec.AXDR[_spec.Tag[name]]
    assert width == struct.calcsize(fmt)
    if kind == "int":
        assert signed == fmt[1].islower()
        assert _spec.INT_SIZES[_spec.Tag[name]] == (width, signed)
    assert _spec.Tag[name] in _spec.NUMERIC_TAGS


def test_constants() -> None:
    assert _spec.NAT == _spec.RAW_MISSING == -(2**63)
    assert [s.value for s in _spec.Status] == list(range(10))
    assert _spec.ERROR_CODES == {s.value: n for s, n in zip(list(_spec.Status)[1:], (
        "ChecksumError", "FrameError", "IncompleteFrameError", "ApduError", "UnsupportedApduError",
        "SegmentedFrameError", "ProfileMismatchError", "DecodeError", "UnexpectedError"))}
    from amsparse import Status, _batch, _profiles
    assert Status is _spec.Status and _batch.MAX_COLUMNS is _spec.MAX_COLUMNS
    assert (_profiles.KIND_NUMBER, _profiles.LAYOUT_POSITIONAL, _profiles.CLOCK_STANDARD) == (0, 1, 2)


def test_compiled_core_agrees() -> None:
    core = pytest.importorskip("amsparse._decode_c", exc_type=ModuleNotFoundError)
    assert core.MAX_DEPTH == _spec.MAX_DEPTH


_UP = re.compile(r"^\s*(?:from|cimport|import)\s+(?:amsparse)?\.?_(batch|stream|chunked|dataset|cli\w*|select)\b",
                 re.MULTILINE)


def test_core_imports_no_layer_above() -> None:
    """The compiled core (the .pyx and every .pxi it includes) and the spec,
    clock and error modules it uses import no stream/batch/CLI module."""
    files = [SRC / "_decode_c.pyx", *sorted(SRC.glob("*.pxi")),
             SRC / "_spec.py", SRC / "_clock.py", SRC / "_errors.py"]
    assert len(files) > 10
    for f in files:
        hits = _UP.findall(f.read_text(encoding="utf-8"))
        assert not hits, f"{f.name} imports {hits}"
    spec_imports = re.findall(r"^\s*from\s+\.\S*\s+import|^\s*import\s+amsparse",
                              (SRC / "_spec.py").read_text(encoding="utf-8"), re.MULTILINE)
    assert spec_imports == []
