"""Fixtures for the pytest-benchmark suite.

Run the real benchmarks with ``pytest benchmarks --benchmark-autosave`` (see
docs/performance.md).  CI runs the same files as a smoke test with
``python -m pytest benchmarks --benchmark-disable -q``: pytest-benchmark then
calls each benchmarked function once, so the captures are kept small in that
mode (see :func:`capture_size`) and the whole run stays well under 30 s.

* ``impl`` -- parametrized over the compiled core (``amsparse._decode_c``, id
  ``cython``) and the pure-Python twin (``amsparse._decode_py``, id ``python``);
  the Cython case is skipped when the extension is absent or disabled
  (``--no-c-extensions`` / ``AMSPARSE_NO_EXTENSIONS=1``).
* ``corpus`` -- the repository's real-frame corpus (``tests/corpus/frames.jsonl``
  or ``AMSPARSE_CORPUS``, read by ``tests/corpusdata.py``), id -> bytes.
* ``capture`` -- a mixed capture of valid, unencrypted HDLC frames from the
  corpus, repeated up to ``capture_size`` bytes.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent
try:
    import amsparse  # noqa: F401
except ImportError:  # a source checkout run without installing (src layout)
    sys.path.insert(0, str(_HERE.parent / "src"))
    import amsparse  # noqa: F401

sys.path.insert(0, str(_HERE))
import _corpus  # noqa: E402

MIB = 1 << 20


def _no_c(config: pytest.Config) -> bool:
    return bool(config.getoption("--no-c-extensions", default=False)) or os.environ.get(
        "AMSPARSE_NO_EXTENSIONS", ""
    ) not in ("", "0")


def benchmark_disabled(config: pytest.Config) -> bool:
    try:
        return bool(config.getoption("benchmark_disable"))
    except ValueError:  # pytest-benchmark not installed
        return True


def load_backend(name: str):  # type: ignore[no-untyped-def]
    return importlib.import_module("amsparse._decode_c" if name == "cython" else "amsparse._decode_py")


@pytest.fixture(params=["cython", "python"])
def impl(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    if request.param == "cython":
        if _no_c(request.config):
            pytest.skip("compiled core disabled on purpose")
        try:
            return load_backend("cython")
        except ImportError:
            pytest.skip("amsparse._decode_c not built")
    return load_backend("python")


@pytest.fixture(scope="session")
def corpus() -> dict[str, bytes]:
    return _corpus.load_frames()


@pytest.fixture(scope="session")
def capture_size(request: pytest.FixtureRequest) -> int:
    """1 MiB for real runs, 16 KiB for the --benchmark-disable smoke run."""
    return 16 * 1024 if benchmark_disabled(request.config) else MIB


@pytest.fixture(scope="session")
def big_capture_size(request: pytest.FixtureRequest) -> int:
    """8 MiB for decode_batch real runs, 16 KiB for the smoke run."""
    return 16 * 1024 if benchmark_disabled(request.config) else 8 * MIB


@pytest.fixture(scope="session")
def capture_frames() -> list[bytes]:
    return _corpus.capture_frames()


@pytest.fixture(scope="session")
def capture(capture_frames: list[bytes], capture_size: int) -> tuple[bytes, int]:
    """(capture bytes, number of frames in it)."""
    return _corpus.build_capture(capture_frames, capture_size)


@pytest.fixture(scope="session")
def big_capture(capture_frames: list[bytes], big_capture_size: int) -> tuple[bytes, int]:
    return _corpus.build_capture(capture_frames, big_capture_size)
