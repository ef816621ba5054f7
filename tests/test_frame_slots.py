"""The one Frame constructor the compiled modules share (_frame_slots_c.pxi):
decode_frame (the core) and decode_telegram (_p1_c) build Frames equal to the
twin's, and both take a Frame out of the cyclic GC exactly when none of its
fields can be reached by it (CPython's rule for tuples)."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest

from amsparse import DecodeError, _decode_py, _p1_py
from amsparse._model import Frame

core = pytest.importorskip("amsparse._decode_c", exc_type=ModuleNotFoundError)
p1c = pytest.importorskip("amsparse._p1_c", exc_type=ModuleNotFoundError)

HERE = Path(__file__).parent


def _expected_tracked(f: Frame) -> bool:
    fields = [getattr(f, s) for s in Frame.__slots__ if s != "security"]
    return any(gc.is_tracked(v) for v in fields)


def _telegrams() -> list[bytes]:
    out = []
    for line in (HERE / "corpus" / "telegrams.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line) if line else None
        if r and r.get("framing") == "p1" and not r["id"].startswith("esy-"):
            out.append(bytes.fromhex(r["hex"]))
    return out


def _check(compiled, twin, inputs: list[bytes]) -> int:
    """Each input the twin decodes: the compiled Frame equals it and is GC-tracked
    exactly when one of its fields is.  Returns how many were checked."""
    n = 0
    enabled = gc.isenabled()
    gc.disable()  # a collection may untrack a field tuple after the Frame was built
    try:
        for raw in inputs:
            try:
                want = twin(raw)
            except DecodeError:  # the corpora also hold inputs that are refused
                continue
            got = compiled(raw)
            assert got == want
            assert gc.is_tracked(got) == _expected_tracked(got)
            n += 1
    finally:
        if enabled:
            gc.enable()
    return n


def test_hdlc_frames(corpus) -> None:  # type: ignore[no-untyped-def]
    raws = [bytes.fromhex(rec["hex"]) for rec in corpus]
    assert _check(core.decode_frame, _decode_py.decode_frame, raws) > 10


def test_p1_telegrams() -> None:
    assert _check(p1c.decode_telegram, _p1_py.decode_telegram, _telegrams()) > 3
