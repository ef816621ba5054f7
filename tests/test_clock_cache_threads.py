"""The compiled core's per-hour clock offset memo (``_clock_c.pxi``) is one table
for the process (docs/internals.md "The clock offset memo"): several threads
that look up and store entries at once, with far more (zone, hour) keys than
the table has slots so entries are replaced under the readers' feet, must each
get exactly what the reference ``to_datetime(parse_datetime(...))`` gives.

With the GIL the threads interleave where the core calls into Python (between
a miss and its store; the switch interval is made tiny here); on a
free-threaded build they run truly in parallel and a torn entry (a key from
one store, the offset from another) would show up as a wrong time."""

from __future__ import annotations

import datetime as dt
import random
import sys
import threading
from zoneinfo import ZoneInfo

import pytest

from amsparse._batch import epoch_us
from amsparse._clock import get_zone, parse_datetime, to_datetime
from amsparse._profiles import CLOCK_DEVIATION, CLOCK_LOCAL, CLOCK_STANDARD

_decode_c = pytest.importorskip("amsparse._decode_c", exc_type=ModuleNotFoundError)

ZONES = [ZoneInfo("Europe/Oslo"), ZoneInfo("America/New_York"), ZoneInfo("Australia/Lord_Howe"),
         ZoneInfo("Asia/Kolkata"), get_zone("UTC")]
POLICIES = [CLOCK_DEVIATION, CLOCK_LOCAL, CLOCK_STANDARD]


def _clock(t: dt.datetime) -> bytes:
    # deviation unspecified (0x8000): the zone and policy decide, through the memo
    return bytes([t.year >> 8, t.year & 0xFF, t.month, t.day, t.isoweekday(), t.hour,
                  t.minute, t.second, 0xFF, 0x80, 0x00, 0x00])


def _cases() -> list[tuple[bytes, dt.tzinfo, int, object]]:
    start = dt.datetime(2024, 3, 20)  # through the March/April transitions (both hemispheres)
    out = []
    for h in range(24 * 20):  # 480 hours x 5 zones x 3 policies: 7,200 keys for 1,024 slots
        b = _clock(start + dt.timedelta(hours=h, minutes=17))
        for zone in ZONES:
            for policy in POLICIES:
                ref = to_datetime(parse_datetime(b), zone, policy)
                want = None if ref is None else (ref.replace(tzinfo=None), ref.fold, ref.utcoffset(),
                                                 epoch_us(ref))
                out.append((b, zone, policy, want))
    return out


def test_threads_share_the_offset_memo() -> None:
    cases = _cases()
    errors: list[str] = []
    checked = [0] * 4

    def run(k: int) -> None:
        order = list(range(len(cases)))
        random.Random(k).shuffle(order)
        try:
            for _ in range(2):
                for i in order:
                    b, zone, policy, want = cases[i]
                    _raw, value, us = _decode_c._check_clock(b, zone, policy)
                    got = None if value is None else (value.replace(tzinfo=None), value.fold,
                                                      value.utcoffset(), us)
                    if got != want:
                        errors.append(f"{b.hex()} {zone} policy {policy}: {got} != {want}")
                    checked[k] += 1
        except BaseException as e:  # reported below, never lost in the thread
            errors.append(repr(e))

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert errors == []
    assert checked == [2 * len(cases)] * 4
