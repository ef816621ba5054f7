#!/usr/bin/env python3
"""Replay fuzz corpora (and random mutations of them) through a sanitized build.

gcc's ASan runtime, preloaded so that a ``-fsanitize=address`` extension can
load into an uninstrumented CPython, also defines the ``__sanitizer_cov_*``
hooks atheris uses for *Python* coverage, so a libFuzzer run under it is blind.
The split that works with gcc alone (no clang):

1. grow corpora coverage-guided against a normal build (``fuzz/run_short.sh``
   with ``FUZZ_CORPUS=...``; the decode harness runs both twins on every input,
   so the Python twin's coverage guides it);
2. replay those corpora plus ``--mutations`` random mutations of every file
   through the ASan/UBSan build with this script:

    LD_PRELOAD="$(gcc -print-file-name=libasan.so)" ASAN_OPTIONS=detect_leaks=0 \\
    PYTHONPATH=/tmp/fuzzbuild/src AMSPARSE_EXPECT_BACKEND=cython \\
        python fuzz/asan_replay.py --seconds 240 /tmp/fuzzcorpus/*

Exits 1 on a non-DecodeError exception from decode_frame/decode_apdu, on any
exception from StreamDecoder, or on a twin disagreement; ASan/UBSan abort the
process themselves (non-zero exit, report on stderr).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("AMSPARSE_FUZZ_TWINS", "1")

from fuzz_decode import IMPL, _decode_py, _outcome, _same, fix_crcs  # noqa: E402

import amsparse  # noqa: E402


def mutate(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(5)
        if op == 0 and b:
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        elif op == 1 and b:
            i = rng.randrange(len(b))
            del b[i : i + rng.randint(1, 8)]
        elif op == 2:
            i = rng.randint(0, len(b))
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 3 and b:
            b[rng.randrange(len(b))] = rng.choice((0, 0x7E, 0x7F, 0x80, 0x81, 0x82, 0x84, 0xFF))
        elif b:
            b = b[: rng.randrange(len(b) + 1)]
    return bytes(b)


def check(data: bytes) -> None:
    for fn, arg in (("decode_frame", data), ("decode_frame", fix_crcs(data)), ("decode_apdu", data)):
        res = _outcome(getattr(IMPL, fn), arg)
        if IMPL is not _decode_py:
            other = _outcome(getattr(_decode_py, fn), arg)
            if not _same(res, other):
                raise AssertionError(f"twins disagree on {fn}({arg.hex()}): {res[:3]!r} vs {other[:3]!r}")
    if hasattr(amsparse, "StreamDecoder"):
        dec = amsparse.StreamDecoder()
        for i in range(0, len(data), 7):
            dec.feed(data[i : i + 7])
        dec.flush()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--mutations", type=int, default=1000, help="random mutations per corpus file and round")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    files = [p for d in args.dirs for p in sorted(Path(d).rglob("*")) if p.is_file()]
    inputs = [p.read_bytes() for p in files]
    # the harnesses' first byte selects a mode; replay both with and without it
    inputs += [x[1:] for x in inputs if x]
    print(f"backend {amsparse.BACKEND} ({IMPL.__file__}); {len(files)} files", flush=True)
    rng = random.Random(args.seed)
    deadline = time.monotonic() + args.seconds
    n = 0
    for data in inputs:
        check(data)
        n += 1
    rounds = 0
    while time.monotonic() < deadline:
        for data in inputs:
            for _ in range(max(1, args.mutations // 100)):
                check(mutate(data, rng))
                n += 1
            if time.monotonic() >= deadline:
                break
        rounds += 1
    print(f"asan_replay: {n} inputs checked ({rounds} mutation rounds), no finding", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
