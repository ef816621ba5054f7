#!/usr/bin/env python3
"""atheris harness: decode_batch, compiled against the pure-Python twin.

The input, twice in a row (so the second copy meets the frame templates the
first one left in the compiled writer), is decoded as one capture and as an
iterable of pieces, by the compiled core (``amsparse._decode_c``, whose
``TableWriter`` writes the columns in C) and by the pure-Python twin.  Any
exception, or any difference between the two tables (values bit for bit, raw
integers, scalers, times, categories, statuses, error messages, discarded
bytes), is a finding.  Needs the compiled core; without it there is nothing
to compare and the harness says so.

    python fuzz/fuzz_batch.py fuzz/seeds/stream -max_total_time=45
"""

from __future__ import annotations

import os
import sys

import atheris

with atheris.instrument_imports():
    from amsparse import _batch, _decode_py

# the tests' table comparison (one definition for tests and fuzzing)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
from tables import assert_same_tables  # noqa: E402

try:
    from amsparse import _decode_c
except ImportError:  # pragma: no cover
    _decode_c = None


def TestOneInput(data: bytes) -> None:
    if _decode_c is None or not data:
        return
    capture = data + data
    step = 1 + data[0] % 97
    pieces = [capture[i:i + step] for i in range(0, len(capture), step)]
    for source in (capture, pieces):
        c = _batch._decode_batch(source, None, None, None, _decode_c)
        p = _batch._decode_batch(source, None, None, None, _decode_py)
        assert_same_tables(c, p)


def main() -> None:
    if _decode_c is None:
        print("no compiled core: nothing to compare", file=sys.stderr)
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
