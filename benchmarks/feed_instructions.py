"""Instruction counts per frame for ``StreamDecoder.feed`` on the mixed capture.

Run each mode under callgrind; the marginal cost of a mode is its total
minus the ``none`` run's (the same start-up, capture building and warm-up),
divided by the frames printed::

    for m in none scan keep stream batch; do
        PYTHONPATH=src valgrind --tool=callgrind --callgrind-out-file=cg.$m \\
            python benchmarks/feed_instructions.py $m 2
    done

Modes: ``scan`` the compiled scanner alone over 1 MiB feeds (as ``feed``
calls it), ``keep`` ``feed`` in 1 MiB feeds keeping every event (no
deallocation in the run), ``stream`` the same dropping each feed's events
(what ``compare_peers.py`` times), ``batch`` ``decode_batch`` over the same
bytes.  The second argument is the capture size in MB (default 2).
See docs/performance.md, "What bounds StreamDecoder.feed".
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _corpus  # noqa: E402

import amsparse  # noqa: E402

CHUNK = 1 << 20


def main() -> None:
    mode = sys.argv[1]
    mb = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    data = b"".join(_corpus.mixed_frames(int(mb * 1_000_000)))
    profiles = amsparse.builtin_profiles()
    kept: list[Any] = []

    def stream(d: bytes, keep: bool) -> int:
        dec = amsparse.StreamDecoder(profiles)
        for i in range(0, len(d), CHUNK):
            ev = dec.feed(d[i:i + CHUNK])
            if keep:
                kept.append(ev)
        dec.flush()
        return int(dec.frames_decoded)

    def scan(d: bytes) -> int:
        from amsparse import _scan_c

        buf = bytearray()
        prefix = _scan_c.PrefixState()
        shared = False
        n = 0
        for i in range(0, len(d), CHUNK):
            buf += d[i:i + CHUNK]
            items, resume, shared, _need = _scan_c.scan(buf, 0, len(buf), 2050, shared, False, prefix)
            n += sum(1 for it in items if it[0] == 1)
            if resume:
                del buf[:resume]
                prefix.drop(resume)
        return n

    warm = data[:300_000]  # every lazy set-up (plans, templates, clock hours) done before
    stream(warm, False)
    amsparse.decode_batch(warm, profiles)
    if amsparse.BACKEND == "cython":
        scan(warm)
    n = 0
    if mode == "scan":
        n = scan(data)
    elif mode in ("stream", "keep"):
        n = stream(data, mode == "keep")
    elif mode == "batch":
        n = len(amsparse.decode_batch(data, profiles))
    elif mode != "none":
        raise SystemExit(f"unknown mode {mode!r}")
    print(f"{mode}: {n} frames")
    sys.stdout.flush()
    os._exit(0)  # kept events are not freed inside the count


if __name__ == "__main__":
    main()
