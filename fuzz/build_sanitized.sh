#!/usr/bin/env bash
# Build the Cython extensions (amsparse._decode_c, amsparse._scan_c) in place
# with AddressSanitizer + UndefinedBehaviorSanitizer.
#
#   fuzz/build_sanitized.sh [DIR]
#
# DIR defaults to the repository root.  To keep a shared checkout's normal
# build untouched, build a copy instead:
#
#   mkdir -p /tmp/fuzzbuild && cp -r src setup.py pyproject.toml tools vendor_profiles /tmp/fuzzbuild/
#   fuzz/build_sanitized.sh /tmp/fuzzbuild
#
# setup.py honours AMSPARSE_SANITIZE (comma list passed to -fsanitize=, added
# to compile and link flags; -O1 -g -fno-omit-frame-pointer).  The Python
# interpreter itself is not instrumented, so the ASan runtime has to be loaded
# first and leak checking (CPython's arenas look like leaks) switched off:
#
#   LD_PRELOAD="$(gcc -print-file-name=libasan.so)" \
#   ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1 \
#   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
#   PYTHONPATH=DIR/src python fuzz/fuzz_decode.py fuzz/seeds/frame -max_total_time=600
#
# (fuzz/run_short.sh does exactly this when given AMSPARSE_FUZZ_SRC=DIR/src
# and AMSPARSE_FUZZ_ASAN=1.)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DIR="$(cd "${1:-$HERE/..}" && pwd)"
cd "$DIR"
export AMSPARSE_SANITIZE="${AMSPARSE_SANITIZE:-address,undefined}"
unset AMSPARSE_NO_EXTENSIONS || true
export CC="${CC:-gcc}"
python setup.py build_ext --inplace --force
ls -l src/amsparse/*.so
echo
echo "sanitized build in $DIR/src (AMSPARSE_SANITIZE=$AMSPARSE_SANITIZE); run with:"
echo "  LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0 PYTHONPATH=$DIR/src python ..."
