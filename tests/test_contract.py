"""The backend contract (amsparse._backend) and the direction of imports.

* both backends provide every member of the contract, with the same call
  signatures (parameter names, kinds and defaults), and their DecoderCore and
  TableWriter provide theirs;
* imports between the modules of src/amsparse only point downward:
  io/cli -> stream/batch -> decoder -> framing -> APDU -> plans -> A-XDR -> spec
  (the twin's modules per layer: _hdlc_py, _apdu_py, _layout_py/_plan_py,
  _value_py/_cursor_py).
  Module-level imports are checked (they decide what loading a module loads);
  imports inside a function body are allowed upward only where listed.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpusdata  # noqa: E402

from amsparse import _backend, _scan_py
from amsparse._batch import FrameTable

SRC = Path(__file__).resolve().parent.parent / "src" / "amsparse"


def _params(fn: Any) -> list[tuple[str, str, Any]]:
    sig = inspect.signature(fn)
    return [(p.name, p.kind.name, p.default) for p in sig.parameters.values() if p.name != "self"]


def test_both_backends_provide_the_contract(both: Any) -> None:
    c, py = both
    for name in _backend.DECODE_MEMBERS:
        assert hasattr(c, name), f"_decode_c lacks {name}"
        assert hasattr(py, name), f"_decode_py lacks {name}"
    assert c.BACKEND == "cython" and py.BACKEND == "python"
    assert c.MAX_DEPTH == py.MAX_DEPTH
    for name in ("fcs16", "parse_hdlc", "decode_frame", "decode_apdu", "default_core", "decode_run"):
        a, b = _params(getattr(c, name)), _params(getattr(py, name))
        assert [x[:2] for x in a] == [x[:2] for x in b], name  # names and kinds
        assert [x[2] for x in a] == [x[2] for x in b], name    # defaults
    for mod in both:
        core = mod.DecoderCore()
        for name in _backend.CORE_MEMBERS:
            assert hasattr(core, name), f"{mod.__name__}.DecoderCore lacks {name}"
        writer = mod.TableWriter(FrameTable(), core)
        for name in _backend.WRITER_MEMBERS:
            assert hasattr(writer, name), f"{mod.__name__}.TableWriter lacks {name}"
        assert isinstance(writer.finish(), FrameTable)
    for name in ("decode_frame", "decode_apdu"):
        assert _params(getattr(c.DecoderCore, name)) == _params(getattr(py.DecoderCore, name)), name


def test_both_scanners_provide_the_contract(both: Any) -> None:
    from amsparse import _scan_c

    for mod in (_scan_c, _scan_py):
        for name in _backend.SCAN_MEMBERS:
            assert hasattr(mod, name), f"{mod.__name__} lacks {name}"
        assert isinstance(mod.fcs_bytes(), int)  # a counter of bytes checksummed
    capture = b"\x00\x7e" + bytes.fromhex(corpusdata.by_id()["aid-aidon-27-01"]["hex"]) * 3 + b"\x7e\x7e"
    assert _scan_c.scan(capture, 0, len(capture), 2050, False, True) == \
        _scan_py.scan(capture, 0, len(capture), 2050, False, True)


def test_protocol_members_are_the_listed_ones() -> None:
    # the name lists the tests use are the Protocols' members (no drift between them)
    def members(proto: type) -> set[str]:
        return {n for n in vars(proto) if not n.startswith("_")}

    assert members(_backend.DecodeBackend) == set(_backend.DECODE_MEMBERS)
    assert members(_backend.ScanBackend) == set(_backend.SCAN_MEMBERS)
    assert members(_backend.DecoderCoreLike) == set(_backend.CORE_MEMBERS)
    assert members(_backend.TableWriterLike) == set(_backend.WRITER_MEMBERS)


def test_selection_happens_in_one_place() -> None:
    # nothing outside _select.py probes or picks a backend
    pattern = re.compile(r"getattr\(\s*impl\s*,|_scan_c import|_decode_c import|_decode_c as|_scan_c as")
    for path in sorted(SRC.rglob("*.py")):
        if path.name in ("_select.py",):
            continue
        for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert not pattern.search(line), f"{path.name}:{k}: {line.strip()}"


# --------------------------------------------------------------------------- import direction

SPEC, AXDR, PLANS, APDU, FRAMING, DECODER, STREAM, TOP = range(8)
LAYER = {
    # spec: data model, errors, options, profiles, clocks, keys, the contract
    "_version": SPEC, "_errors": SPEC, "_model": SPEC, "_clock": SPEC, "_builtin_profiles": SPEC,
    "_profiles": SPEC, "_profile_detect": SPEC, "_p1_profiles": SPEC, "_options": SPEC, "_spec": SPEC, "_backend": SPEC,
    # A-XDR: the checked reads and the value reader (the twin's _cursor_c/_value_c)
    "_axdr": AXDR, "_cursor_py": AXDR, "_value_py": AXDR,
    # layouts, plans and frames: elements to named, scaled readings (the twin's _layout_c/_plan_c)
    "_layout_py": PLANS, "_plan_py": PLANS, "_pushlist_py": PLANS, "_compact": PLANS,
    # the APDU: data-notification header and body (the twin's _apdu_c)
    "_apdu_py": APDU,
    # framing and APDU wrappers: HDLC (frame -> APDU), scanner, M-Bus, block transfer, ciphering
    "_hdlc_py": FRAMING, "_scan_py": FRAMING, "_scan_c": FRAMING, "_transport": FRAMING, "_gbt": FRAMING,
    "_mbus": FRAMING, "_pieces": FRAMING, "_p1_crypt": FRAMING, "_security": FRAMING, "_crc": FRAMING,
    # the decoder: both backends, their selection, amsparse.Decoder
    "_decode_py": DECODER, "_decode_c": DECODER, "_batch_py": DECODER, "_run_py": DECODER,
    "_p1_py": DECODER, "_p1_c": DECODER, "_select": DECODER, "_decoder": DECODER,
    # stream and batch
    "_stream": STREAM, "_stream_mbus": STREAM, "_stream_transport": STREAM, "_p1_stream": STREAM,
    "_batch": STREAM, "_chunked": STREAM, "_dataset": STREAM, "dask": STREAM, "energy": STREAM,
    # live I/O, the command line, the package itself
    "io": TOP, "_cli": TOP, "__init__": TOP, "__main__": TOP,
}
#: imports inside function bodies that point up, on purpose (a facade's convenience methods)
LAZY_UP = {("_decoder", "_stream"), ("_decoder", "_batch"), ("_decoder", "_chunked")}


def _layer(mod: str) -> int:
    if mod.startswith("_cli"):
        return TOP
    return LAYER[mod.split(".")[0]]


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(target module, at module level) of each relative import of a source file."""
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".pyx", ".pxi"):
        out = []
        for line in text.splitlines():
            m = re.match(r"(\s*)(?:from|cimport)\s+\.(\w+)", line)
            if m:
                out.append((m.group(2), not m.group(1)))
        return out
    tree = ast.parse(text)
    top = {id(n) for n in tree.body}
    for n in tree.body:  # `if TYPE_CHECKING:` blocks are for the type checker only
        if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test):
            top.update(id(x) for x in ast.walk(n))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = node.module or ""
            if path.parent.name == "io" and node.level == 1:
                base = "io"
            # `from . import X`: a submodule, or a name of the package (its __init__)
            names = [base] if base else [a.name if a.name in LAYER or a.name.startswith("_cli") else "__init__"
                                         for a in node.names]
            for name in names:
                typing_only = False
                for n in tree.body:
                    if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test) and node in ast.walk(n):
                        typing_only = True
                if not typing_only:
                    out.append((name.split(".")[0], any(node is n for n in tree.body)))
    return out


def _sources() -> list[Path]:
    files = [p for p in SRC.rglob("*") if p.suffix in (".py", ".pyx", ".pxi")]
    assert len(files) > 30
    return sorted(files)


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_down(path: Path) -> None:
    me = "io" if path.parent.name == "io" else path.stem
    if path.suffix == ".pxi":
        me = "_decode_c"  # included into the compiled core
    mine = _layer(me)
    for target, top_level in _imports(path):
        up = _layer(target) > mine
        if up and not top_level and (me, target) in LAZY_UP:
            continue
        assert not up or not top_level, f"{path.name} imports {target} (a layer above it) at module level"
        assert not up, f"{path.name} imports {target} (a layer above it) inside a function"
