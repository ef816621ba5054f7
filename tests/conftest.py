"""Shared fixtures: every decoder test runs against both backends.

``impl`` is parametrized over the Cython core and the pure-Python twin (ids
``cython`` / ``python``).  The Cython module must be importable: a missing
extension fails the ``cython`` cases instead of skipping them, unless the run
says on purpose that there is none (``--no-c-extensions`` or
``AMSPARSE_NO_EXTENSIONS=1``).

Hypothesis profiles: ``AMSPARSE_HYPOTHESIS_PROFILE`` = ``default`` (fast),
``ci`` or ``nightly`` (thorough).
"""

from __future__ import annotations

import importlib
import os
from typing import Any

import corpusdata
import pytest

try:
    from hypothesis import HealthCheck, settings

    settings.register_profile("default", max_examples=100, deadline=None)
    settings.register_profile(
        "ci", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.register_profile(
        "nightly", max_examples=20000, deadline=None, suppress_health_check=list(HealthCheck)
    )
    settings.load_profile(os.environ.get("AMSPARSE_HYPOTHESIS_PROFILE", "default"))
except ImportError:  # wheel tests may run without hypothesis
    pass


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--no-c-extensions", action="store_true", default=False,
        help="test only the pure-Python twin (there is no compiled core on purpose)",
    )


def _no_c(config: pytest.Config) -> bool:
    return bool(config.getoption("--no-c-extensions")) or os.environ.get(
        "AMSPARSE_NO_EXTENSIONS", ""
    ) not in ("", "0")


BACKENDS = ["cython", "python"]


def load_backend(name: str):  # type: ignore[no-untyped-def]
    return importlib.import_module("amsparse._decode_c" if name == "cython" else "amsparse._decode_py")


@pytest.fixture(params=BACKENDS)
def impl(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    if request.param == "cython" and _no_c(request.config):
        pytest.skip("compiled core disabled on purpose (--no-c-extensions / AMSPARSE_NO_EXTENSIONS)")
    return load_backend(request.param)


@pytest.fixture
def both(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """(cython, python) modules for differential tests."""
    if _no_c(request.config):
        pytest.skip("compiled core disabled on purpose")
    return load_backend("cython"), load_backend("python")


@pytest.fixture(scope="session")
def corpus() -> list[dict[str, Any]]:
    """The real-frame corpus records (``tests/corpus/frames.jsonl`` or
    ``AMSPARSE_CORPUS``); a missing or empty corpus fails the test loudly."""
    return corpusdata.records()
