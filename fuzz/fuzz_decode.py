#!/usr/bin/env python3
"""atheris harness: decode_frame / decode_apdu of one backend.

Fails on any exception that is not an ``amsparse.DecodeError``.  The backend
is the one amsparse selects: set ``AMSPARSE_NO_EXTENSIONS=1`` for the Python
twin (default: the compiled core; ``AMSPARSE_EXPECT_BACKEND=cython`` makes a
missing extension an error instead of a silent fallback).  With
``AMSPARSE_FUZZ_TWINS=1`` (and the extension present) every input is also
decoded by the other backend and the outcomes must agree (same Frame, or same
exception type and offset).

    python fuzz/fuzz_decode.py fuzz/seeds/frame -max_total_time=45
"""

from __future__ import annotations

import math
import os
import sys

import atheris

with atheris.instrument_imports():
    import amsparse
    from amsparse import DecodeError, _decode_py

TWINS = os.environ.get("AMSPARSE_FUZZ_TWINS", "") not in ("", "0") and amsparse.BACKEND == "cython"
IMPL = sys.modules["amsparse._decode_c"] if amsparse.BACKEND == "cython" else _decode_py
_FIX = os.environ.get("AMSPARSE_FUZZ_FIX_CRC", "1") not in ("", "0")

# the test-only encoder's checksum fixer (one CRC implementation for tests and fuzzing)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
from encoder import fix_crcs  # noqa: E402


def _outcome(fn, data: bytes):  # type: ignore[no-untyped-def]
    try:
        return ("ok", fn(data)._key())
    except DecodeError as e:
        return ("err", type(e), e.offset)


def _same(a, b) -> bool:  # type: ignore[no-untyped-def]
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def one(fn_name: str, data: bytes) -> None:
    res = _outcome(getattr(IMPL, fn_name), data)
    if TWINS:
        other = _outcome(getattr(_decode_py, fn_name), data)
        if not _same(res, other):
            raise AssertionError(f"twins disagree on {fn_name}({data.hex()}): {res[:3]!r} vs {other[:3]!r}")


def TestOneInput(data: bytes) -> None:
    if not data:
        return
    mode = data[0] % 3
    body = data[1:]
    if mode == 0:
        one("decode_frame", body)
    elif mode == 1:
        one("decode_frame", fix_crcs(body) if _FIX else body)
    else:
        one("decode_apdu", body)


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
