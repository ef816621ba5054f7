"""Packaging sanity, fast (no build): MANIFEST.in, pyproject config, setup.py.

``tools/check_dist.sh`` does the slow, real thing (builds, auditwheel, fresh
venvs).  These checks run with the normal suite and catch the usual slips
early: a file the sdist needs that is missing or not selected by MANIFEST.in,
build products that would leak into the sdist, a ``.pyx`` that setup.py does
not compile or that has no ``.pyi`` stub, cibuildwheel settings drifting away
from the supported platforms.

They need the source tree; the cibuildwheel wheel tests copy only ``tests/``
and ``pyproject.toml`` and skip this module.
"""

from __future__ import annotations

import fnmatch
import os
import platform
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: tomli is in the test extras
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "src" / "amsparse"

if not (ROOT / "setup.py").is_file() or not PKG.is_dir():
    pytest.skip("needs the source tree (setup.py, src/amsparse)", allow_module_level=True)

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PYX = sorted(p.stem for p in PKG.glob("*.pyx"))

# What a source build needs (besides each .pyx and every vendor profile).
SDIST_NEEDS = [
    "pyproject.toml",
    "setup.py",
    "README.md",
    "CHANGELOG.md",
    "MANIFEST.in",
    "tools/gen_builtin_profiles.py",
    "tools/gen_spec_pxi.py",
    "tools/_generated.py",
    "src/amsparse/_spec.pxi",
    "src/amsparse/__init__.py",
    "src/amsparse/_version.py",
    "src/amsparse/_select.py",
    "src/amsparse/_decode_py.py",
    "src/amsparse/_builtin_profiles.py",
    "src/amsparse/py.typed",
    "src/amsparse/data/sample.hex",
    "tests/conftest.py",
]
BUILD_PRODUCT = re.compile(r"\.(c|so|pyd|o|dylib|dll|pyc|pyo|html)$|(^|/)__pycache__/|^(build|dist)/")


# --------------------------------------------------------------------------
# A small MANIFEST.in interpreter (the subset amsparse uses), so the check
# does not depend on setuptools being importable in the test environment.
def _all_files() -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        rel_dir = Path(dirpath).relative_to(ROOT).as_posix()
        if rel_dir == ".":  # repository internals and local environments: not walked
            dirnames[:] = [
                d for d in dirnames
                if d not in {".git", ".tox", ".nox", "node_modules"} and not d.startswith(".venv")
            ]
        for name in filenames:
            out.append(name if rel_dir == "." else f"{rel_dir}/{name}")
    return sorted(out)


def _glob_match(path: str, pattern: str) -> bool:
    # distutils semantics: '*' does not cross '/'
    regex = fnmatch.translate(pattern).replace(".*", "[^/]*")
    return re.match(regex, path) is not None


def manifest_selection() -> set[str]:
    files = _all_files()
    selected: set[str] = set()
    for raw in (ROOT / "MANIFEST.in").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        cmd, *args = line.split()
        if cmd == "include":
            selected |= {f for f in files for a in args if _glob_match(f, a)}
        elif cmd == "exclude":
            selected -= {f for f in selected for a in args if _glob_match(f, a)}
        elif cmd == "graft":
            selected |= {f for f in files for a in args if f.startswith(a.rstrip("/") + "/")}
        elif cmd == "prune":
            selected -= {f for f in selected for a in args if f.startswith(a.rstrip("/") + "/")}
        elif cmd == "global-exclude":
            selected -= {
                f for f in selected for a in args
                if fnmatch.fnmatch(f.rsplit("/", 1)[-1], a) or f"/{a}/" in f"/{f}"
            }
        elif cmd == "recursive-include":
            d, *pats = args
            selected |= {
                f for f in files if f.startswith(d.rstrip("/") + "/")
                and any(fnmatch.fnmatch(f.rsplit("/", 1)[-1], p) for p in pats)
            }
        else:  # keep this interpreter honest: teach it new commands explicitly
            raise AssertionError(f"MANIFEST.in command {cmd!r} not understood by this test")
    return selected


@pytest.fixture(scope="module")
def selection() -> set[str]:
    return manifest_selection()


def test_sdist_inputs_exist() -> None:
    missing = [f for f in SDIST_NEEDS if not (ROOT / f).is_file()]
    assert not missing, f"files a source build needs are missing: {missing}"
    assert list((ROOT / "vendor_profiles").rglob("*.toml")), "vendor_profiles/ has no profiles"


def test_manifest_selects_what_a_source_build_needs(selection: set[str]) -> None:
    needs = set(SDIST_NEEDS)
    needs |= {f"src/amsparse/{m}.pyx" for m in PYX}
    needs |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "vendor_profiles").rglob("*.toml")}
    needs |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").glob("test_*.py")}
    needs |= {p.relative_to(ROOT).as_posix() for p in PKG.glob("*.py")}
    needs |= {p.relative_to(ROOT).as_posix() for p in PKG.glob("*.pyi")}
    needs |= {p.relative_to(ROOT).as_posix() for p in PKG.glob("*.pxi")}  # the core's included files
    assert sorted(needs - selection) == []


def test_manifest_excludes_build_products(selection: set[str]) -> None:
    leaked = sorted(f for f in selection if BUILD_PRODUCT.search(f))
    assert leaked == [], f"MANIFEST.in would ship build products: {leaked}"
    internals = sorted(
        f for f in selection if f.split("/", 1)[0] in {".git", ".github", ".ci", ".venv", "fuzz"}
    )
    assert internals == []


# --------------------------------------------------------------------------
def test_every_cython_module_has_a_stub() -> None:
    missing = [f"src/amsparse/{m}.pyi" for m in PYX if not (PKG / f"{m}.pyi").is_file()]
    assert missing == [], f"compiled modules need .pyi stubs for the wheel: {missing}"


def test_wheel_package_data() -> None:
    st = PYPROJECT["tool"]["setuptools"]
    data = st["package-data"]["amsparse"]
    for pattern in ("py.typed", "*.pyi", "data/*.hex"):
        assert pattern in data
    excluded = st["exclude-package-data"]["amsparse"]
    for pattern in ("*.c", "*.pyx"):
        assert pattern in excluded
    assert st["package-dir"] == {"": "src"}


def test_version_single_source() -> None:
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "amsparse._version.__version__"
    }
    text = (PKG / "_version.py").read_text(encoding="utf-8")
    (version,) = re.findall(r'^__version__ = "([^"]+)"$', text, re.M)
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{version}]" in changelog, f"CHANGELOG.md has no section for {version}"


def test_cibuildwheel_config() -> None:
    cibw = PYPROJECT["tool"]["cibuildwheel"]
    build = set(cibw["build"])
    minor_min = int(PYPROJECT["project"]["requires-python"].removeprefix(">=3."))
    for minor in range(minor_min, 15):
        assert f"cp3{minor}-*" in build
    assert {"cp313t-*", "cp314t-*"} <= build
    assert "cpython-freethreading" in cibw["enable"]  # 3.13t is opt-in
    assert cibw["test-environment"]["AMSPARSE_EXPECT_BACKEND"] == "cython"
    assert "tests" in cibw["test-sources"]
    assert any("pytest" in c for c in cibw["test-command"])
    assert any("BACKEND" in c for c in cibw["test-command"])
    groups = PYPROJECT["dependency-groups"]
    for group in cibw["test-groups"]:
        assert any(req.startswith("pytest") for req in groups[group])
    assert {"x86_64", "aarch64", "armv7l"} <= set(cibw["linux"]["archs"])
    assert {"x86_64", "arm64"} <= set(cibw["macos"]["archs"])
    assert "AMD64" in cibw["windows"]["archs"]
    workflow = (ROOT / ".github" / "workflows" / "wheels.yml").read_text(encoding="utf-8")
    for needle in ("musllinux", "aarch64", "armv7l", "macos", "windows", "AMSPARSE_NO_EXTENSIONS"):
        assert needle in workflow


# --------------------------------------------------------------------------
# setup.py: an Extension for every .pyx present, none when there is none or
# when AMSPARSE_NO_EXTENSIONS is set.  Executed with stand-ins for setuptools,
# Cython and subprocess, so nothing is compiled or written.
def _run_setup_py(tmp_path: Path, pyx: list[str], monkeypatch: pytest.MonkeyPatch,
                  no_ext: str | None = None) -> list[str]:
    pkg = tmp_path / "src" / "amsparse"
    pkg.mkdir(parents=True)
    for name in pyx:
        (pkg / f"{name}.pyx").write_text("# stand-in\n")
    script = tmp_path / "setup.py"
    script.write_text((ROOT / "setup.py").read_text(encoding="utf-8"), encoding="utf-8")

    captured: dict[str, Any] = {}

    class Extension:
        def __init__(self, name: str, sources: list[str], **kw: Any) -> None:
            self.name, self.sources, self.kw = name, sources, kw

    fake_setuptools = types.ModuleType("setuptools")
    fake_setuptools.setup = lambda **kw: captured.update(kw)  # type: ignore[attr-defined]
    fake_setuptools.Extension = Extension  # type: ignore[attr-defined]
    fake_cython = types.ModuleType("Cython")
    fake_build = types.ModuleType("Cython.Build")
    fake_build.cythonize = lambda exts, **kw: list(exts)  # type: ignore[attr-defined]
    fake_cython.Build = fake_build  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "setuptools", fake_setuptools)
    monkeypatch.setitem(sys.modules, "Cython", fake_cython)
    monkeypatch.setitem(sys.modules, "Cython.Build", fake_build)
    if no_ext is None:
        monkeypatch.delenv("AMSPARSE_NO_EXTENSIONS", raising=False)
    else:
        monkeypatch.setenv("AMSPARSE_NO_EXTENSIONS", no_ext)
    code = compile(script.read_text(encoding="utf-8"), str(script), "exec")
    exec(code, {"__name__": "__main__", "__file__": str(script)})  # noqa: S102
    exts = captured["ext_modules"]
    for ext in exts:
        for src in ext.sources:
            assert (tmp_path / src).is_file(), f"{ext.name} compiles a missing source {src}"
    return sorted(e.name for e in exts)


CPYTHON = platform.python_implementation() == "CPython"


def test_setup_py_without_pyx_builds_no_extension(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run_setup_py(tmp_path, [], monkeypatch) == []


def test_setup_py_compiles_every_pyx_in_the_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = [f"amsparse.{m}" for m in PYX] if CPYTHON else []
    assert _run_setup_py(tmp_path, PYX, monkeypatch) == expected


def test_setup_py_decode_c_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = ["amsparse._decode_c"] if CPYTHON else []
    assert _run_setup_py(tmp_path, ["_decode_c"], monkeypatch) == expected


def test_setup_py_no_extensions_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run_setup_py(tmp_path, ["_decode_c", *PYX], monkeypatch, no_ext="1") == []
