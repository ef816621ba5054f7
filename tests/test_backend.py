"""Which backend is in use, and the version, as installed.

* ``AMSPARSE_EXPECT_BACKEND`` (set by ``.ci/run`` and the cibuildwheel wheel
  tests) must match ``amsparse.BACKEND``: a wheel can never silently fall back
  to the pure-Python twin.
* ``AMSPARSE_NO_EXTENSIONS=1`` gives the twin through the public facade.
* ``amsparse.__version__`` has one source, ``_version.py``, and the installed
  distribution's metadata agrees with it.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys

import pytest

import amsparse
from amsparse import _version


def _run(code: str, **env_overrides: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMSPARSE_")}
    for key, value in env_overrides.items():
        if value is not None:
            env[key] = value
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


def test_backend_is_one_of_the_two() -> None:
    assert amsparse.BACKEND in ("cython", "python")


def test_backend_matches_expectation() -> None:
    expected = os.environ.get("AMSPARSE_EXPECT_BACKEND")
    if expected:
        assert amsparse.BACKEND == expected
    else:
        # Without an expectation, the facade still agrees with what it loaded.
        assert amsparse.BACKEND == amsparse._select.impl.BACKEND


def test_facade_functions_come_from_the_selected_backend() -> None:
    impl = amsparse._select.impl
    assert impl.BACKEND == amsparse.BACKEND
    assert amsparse.decode_frame is impl.decode_frame
    assert amsparse.fcs16 is impl.fcs16


def test_no_extensions_env_gives_python_backend() -> None:
    proc = _run("import amsparse; print(amsparse.BACKEND)", AMSPARSE_NO_EXTENSIONS="1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "python"


def test_no_extensions_zero_does_not_force_python() -> None:
    proc = _run(
        "import amsparse._select as s, amsparse; print(amsparse.BACKEND, s._forced)",
        AMSPARSE_NO_EXTENSIONS="0",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[1] == "False"


def test_expect_backend_mismatch_is_an_import_error() -> None:
    proc = _run(
        "import amsparse",
        AMSPARSE_NO_EXTENSIONS="1",
        AMSPARSE_EXPECT_BACKEND="cython",
    )
    assert proc.returncode != 0
    assert "ImportError" in proc.stderr
    assert "AMSPARSE_EXPECT_BACKEND" in proc.stderr


def test_expect_backend_match_imports() -> None:
    proc = _run(
        "import amsparse; print(amsparse.BACKEND)",
        AMSPARSE_NO_EXTENSIONS="1",
        AMSPARSE_EXPECT_BACKEND="python",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "python"


def test_version_has_one_source() -> None:
    assert amsparse.__version__ == _version.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?(\.dev\d+)?", amsparse.__version__)


def test_installed_metadata_matches_version() -> None:
    try:
        dist_version = importlib.metadata.version("amsparse")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("amsparse is not installed (running from a source tree on sys.path)")
    assert dist_version == amsparse.__version__
