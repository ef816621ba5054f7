"""The README's examples run as doctests, and its quick start names the
commands the project really uses (issue 12, item 5)."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

if not README.is_file():
    pytest.skip("needs the source tree (README.md)", allow_module_level=True)


def test_readme_doctests() -> None:
    result = doctest.testfile(str(README), module_relative=False, optionflags=doctest.ELLIPSIS,
                              raise_on_error=False, verbose=False)
    assert result.attempted >= 8, "the README lost its examples"
    assert result.failed == 0


def test_readme_quick_start() -> None:
    """The two commands of the quick start, unchanged, and what .ci/run runs."""
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    assert blocks[:2] == ["pip install . && amsparse decode\n",
                          'python -m pip install ".[test]" && python -m pytest\n']
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'python -m pip install ".[test]"' in ci and "python -m pytest" in ci
