"""Decoding from several threads at once gives each thread its own results.

The compiled core keeps caches (plans and frame templates per decoder, the
clock offsets per hour process-wide).  Frames of one shape with other values, with a
new hour every few frames (so the core calls back into Python mid-frame and the
interpreter switches threads there), decoded by four threads in different
orders, must each equal the pure-Python twin's result for that frame.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpusdata  # noqa: E402
import encoder  # noqa: E402

from amsparse import _decode_py  # noqa: E402
from amsparse._errors import DecodeError  # noqa: E402

_decode_c = pytest.importorskip("amsparse._decode_c", exc_type=ModuleNotFoundError)



def _frames(year: int) -> list[bytes]:
    recs = corpusdata.records()
    want = ("kam-list2-01", "kfm-list2-02", "lg-list2-01", "kam-list3-13", "aid-list2-02")
    base = {r["id"]: bytes.fromhex(r["hex"]) for r in recs if r["id"] in want}
    rng = random.Random(7)
    out = []
    t0 = dt.datetime(year, 3, 28)
    for k in range(240):
        raw = bytearray(base[want[k % len(want)]])
        t = t0 + dt.timedelta(minutes=37 * k)              # a new hour every other frame
        stamp = bytes([t.year >> 8, t.year & 0xFF, t.month, t.day, t.isoweekday(), t.hour, t.minute, t.second])
        i = raw.find(b"\xe6\xe7\x00\x0f") + 8
        clocks = [i + (1 if raw[i] == 0x0C else 2)] if raw[i] in (0x0C, 0x09) else []
        # and the clock elements in the body (list 3: the meter time among the readings)
        body = i + 14
        clocks += [body + m.start() + 2 for m in re.finditer(rb"\x09\x0c\x07[\xd0-\xef]", bytes(raw[body:]))]
        for at in clocks:
            raw[at:at + 8] = stamp
        for _ in range(3):                                 # other values, same shape
            j = rng.randrange(len(raw) - 20, len(raw) - 3)
            raw[j] = rng.randrange(256)
        out.append(encoder.fix_crcs(bytes(raw)))
    return out


def _outcome(mod, raw):  # type: ignore[no-untyped-def]
    try:
        return mod.decode_frame(raw)
    except DecodeError as e:
        return (type(e).__name__, str(e))


def _run_threads(work, n: int) -> None:  # type: ignore[no-untyped-def]
    """``work(0)`` .. ``work(n - 1)`` on n threads at once, switching as often as
    the interpreter allows (so the threads interleave inside the decoder)."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work, args=(s,)) for s in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)


def test_threads_get_their_own_values() -> None:
    # each thread its own years: every frame brings a new hour, so the core calls
    # into Python in the middle of every frame and the threads interleave there
    per_thread = {s: _frames(2030 + 3 * s) for s in range(4)}
    want = {s: [_outcome(_decode_py, f) for f in fr] for s, fr in per_thread.items()}
    errors: list[str] = []

    def work(seed: int) -> None:
        frames = per_thread[seed]
        for k in range(len(frames)):
            got = _outcome(_decode_c, frames[k])
            if got != want[seed][k]:
                errors.append(f"thread {seed}: frame {k} differs")
                return

    _run_threads(work, 4)
    assert not errors, errors[:5]
    assert sum(1 for w in want[0] if not isinstance(w, tuple)) > 60  # a good share decodes


def test_one_decoder_shared_by_threads() -> None:
    # one amsparse.Decoder (its plans and templates) used by four threads at once,
    # plus a decoder per thread: every result equals the twin's for that frame
    from amsparse._decoder import decoder_class

    per_thread = {s: _frames(2040 + 3 * s) for s in range(4)}
    want = {s: [_outcome(_decode_py, f) for f in fr] for s, fr in per_thread.items()}
    shared = decoder_class(_decode_c)()
    own = {s: decoder_class(_decode_c)() for s in range(4)}
    errors: list[str] = []

    def outcome(d, raw):  # type: ignore[no-untyped-def]
        try:
            return d.decode_frame(raw)
        except DecodeError as e:
            return (type(e).__name__, str(e))

    def work(seed: int) -> None:
        for k, raw in enumerate(per_thread[seed]):
            for d in (shared, own[seed]):
                if outcome(d, raw) != want[seed][k]:
                    errors.append(f"thread {seed}: frame {k} differs")
                    return

    _run_threads(work, 4)
    assert not errors, errors[:5]
    assert shared.cache_info()["plans"] > 0 and shared.cache_info()["templates"] > 0
