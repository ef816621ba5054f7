#!/usr/bin/env bash
# Bounded fuzzing run for CI: each harness/backend for FUZZ_TIME seconds
# (default 45) via libFuzzer's -max_total_time.  Exits non-zero on any finding
# (crashing inputs are written to fuzz/artifacts/, see docs/fuzzing.md).
#
#   fuzz/run_short.sh                 # installed amsparse (or ./src if not installed)
#   FUZZ_TIME=600 fuzz/run_short.sh   # longer
#
# Environment:
#   FUZZ_TIME            seconds per run (default 45)
#   AMSPARSE_FUZZ_SRC    put this folder first on PYTHONPATH (e.g. a sanitized build's src)
#   AMSPARSE_FUZZ_ASAN   1: LD_PRELOAD the gcc ASan runtime (for a sanitized build)
#   FUZZ_CORPUS          keep the grown corpora here (default: a temporary folder)
#   FUZZ_JOBS            the runs to do (default: "decode-cython decode-python stream-cython stream-python
#                        batch-cython profiles-cython p1-cython transport-cython"; profiles = user profiles x
#                        frames, issue 11; p1-cython and transport-cython compare every input with the Python twin;
#                        p1-python is also available)
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
FUZZ_TIME="${FUZZ_TIME:-45}"
ART="${FUZZ_ARTIFACTS:-$HERE/artifacts}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/amsparse-fuzz.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$ART"

python -c "import atheris" 2>/dev/null || python -m pip install --quiet atheris || {
    echo "atheris is not installable here; no fuzzing done" >&2; exit 1; }

if [ -n "${AMSPARSE_FUZZ_SRC:-}" ]; then
    export PYTHONPATH="$AMSPARSE_FUZZ_SRC${PYTHONPATH:+:$PYTHONPATH}"
elif ! (cd / && python -c "import amsparse") 2>/dev/null; then
    export PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}"
fi
PRELOAD=""
if [ "${AMSPARSE_FUZZ_ASAN:-0}" != "0" ]; then
    PRELOAD="$(gcc -print-file-name=libasan.so)"
    export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:allocator_may_return_null=1}"
    export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
fi

python "$HERE/build_seeds.py" --out "$WORK/seeds" || exit 1
HAVE_C="$(cd / && env -u AMSPARSE_NO_EXTENSIONS LD_PRELOAD="$PRELOAD" python -c 'import amsparse; print(amsparse.BACKEND)' 2>/dev/null)"
echo "amsparse backend available: ${HAVE_C:-none}"

status=0
total_execs=0
for job in ${FUZZ_JOBS:-decode-cython decode-python stream-cython stream-python batch-cython profiles-cython p1-cython transport-cython}; do
    harness="${job%-*}"; backend="${job#*-}"
    if [ "$backend" = cython ] && [ "$HAVE_C" != cython ]; then
        echo "== $job: skipped (no compiled core)"; continue
    fi
    seeds="$WORK/seeds/frame"; [ "$harness" != decode ] && seeds="$WORK/seeds/stream"
    [ "$harness" = profiles ] && seeds="$WORK/seeds/profile"
    [ "$harness" = p1 ] && seeds="$WORK/seeds/p1"
    [ "$harness" = transport ] && seeds="$WORK/seeds/transport"
    corpus="${FUZZ_CORPUS:-$WORK}/corpus-$job"
    mkdir -p "$corpus"
    log="$WORK/$job.log"
    echo "== $job: ${FUZZ_TIME}s"
    (
        if [ "$backend" = python ]; then export AMSPARSE_NO_EXTENSIONS=1; else
            unset AMSPARSE_NO_EXTENSIONS; export AMSPARSE_EXPECT_BACKEND=cython AMSPARSE_FUZZ_TWINS=1; fi
        cd "$WORK"
        LD_PRELOAD="$PRELOAD" python "$HERE/fuzz_$harness.py" "$corpus" "$seeds" \
            -max_total_time="$FUZZ_TIME" -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix="$ART/$job-" -print_final_stats=1
    ) >"$log" 2>&1
    rc=$?
    execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)"
    total_execs=$((total_execs + ${execs:-0}))
    tail -n 5 "$log"
    if [ $rc -ne 0 ]; then
        echo "!! $job: finding (exit $rc); log follows, artifacts in $ART" >&2
        grep -v '^#[0-9]' "$log" | tail -n 60 >&2
        status=1
    else
        echo "== $job: ${execs:-?} executions, no finding"
    fi
done
echo "total executions: $total_execs"
exit $status
