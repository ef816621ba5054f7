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

import sys

import atheris

with atheris.instrument_imports():
    import amsparse
    from amsparse import _batch, _decode_py

try:
    from amsparse import _decode_c
except ImportError:  # pragma: no cover
    _decode_c = None

KEYS = ("profile_id", "list_name", "list_version", "meter_id", "meter_type")


def _same(a: _batch.FrameTable, b: _batch.FrameTable) -> None:
    if len(a) != len(b) or a.names != b.names:
        raise AssertionError(f"rows/columns differ: {len(a)} {a.names} / {len(b)} {b.names}")
    for name in a.names:
        if a.columns[name].tobytes() != b.columns[name].tobytes():
            raise AssertionError(f"column {name} differs")
        if a.raw[name] != b.raw[name] or a.scalers[name] != b.scalers[name]:
            raise AssertionError(f"raw/scaler of {name} differ")
    if a.header_time != b.header_time or a.meter_time != b.meter_time:
        raise AssertionError("times differ")
    if a.status != b.status or a.errors != b.errors or a.bytes_discarded != b.bytes_discarded:
        raise AssertionError("status/errors/discarded differ")
    for k in KEYS:
        if a.decoded(k) != b.decoded(k):
            raise AssertionError(f"{k} differs")


def TestOneInput(data: bytes) -> None:
    if _decode_c is None or not data:
        return
    capture = data + data
    step = 1 + data[0] % 97
    pieces = [capture[i:i + step] for i in range(0, len(capture), step)]
    for source in (capture, pieces):
        c = _batch._decode_batch(source, None, None, None, _decode_c)
        p = _batch._decode_batch(source, None, None, None, _decode_py)
        _same(c, p)


def main() -> None:
    if _decode_c is None:
        print("no compiled core: nothing to compare", file=sys.stderr)
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
