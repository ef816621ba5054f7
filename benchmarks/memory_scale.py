"""Peak memory of amsparse.iter_batches on a large capture (default 1 GiB).

Not a pytest benchmark: a script, because it writes a capture of the given
size to a temporary file (deleted afterwards) and takes minutes::

    PYTHONPATH=src python benchmarks/memory_scale.py            # 1 GiB
    PYTHONPATH=src python benchmarks/memory_scale.py --size 256MiB --rows 10000

The capture is every valid unencrypted HDLC frame of the corpus (mixed vendors
and lists), repeated.  Reported for each run: the Python heap peak traced by
``tracemalloc`` while iterating (bytes objects, the FrameTable arrays, the
compiled writer's buffers: everything allocated through Python's allocators),
and the process's peak resident set (``ru_maxrss``, which also counts the
interpreter, the imported modules and the page cache-free working set), with
``decode_batch`` of a 64 MiB slice for comparison (it holds the whole capture
and the whole table).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc

from _corpus import corpusdata


def _size(text: str) -> int:
    units = {"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "kb": 10**3, "mb": 10**6, "gb": 10**9, "b": 1}
    t = text.strip().lower()
    for u, m in units.items():
        if t.endswith(u):
            return int(float(t[: -len(u)]) * m)
    return int(t)


def _frames() -> bytes:
    import amsparse

    good = []
    for _, raw in corpusdata.hdlc_frames(corrupt=False):
        try:
            amsparse.decode_frame(raw)
        except amsparse.DecodeError:
            continue
        good.append(raw)
    return b"".join(good)


def _child(path: str, rows: int, chunk: int, trace: bool) -> None:
    import amsparse

    n = batches = 0
    t0 = time.perf_counter()
    if trace:
        tracemalloc.start()
    for b in amsparse.iter_batches(path, rows, chunk_bytes=chunk):
        n += len(b)
        batches += 1
        del b
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    dt = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"{n} {batches} {peak} {rss} {dt:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="1GiB")
    ap.add_argument("--rows", type=int, default=65536)
    ap.add_argument("--chunk", default="1MiB")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        path, rows, chunk, trace = a.child
        _child(path, int(rows), int(chunk), trace == "1")
        return
    import amsparse

    size, chunk = _size(a.size), _size(a.chunk)
    block = _frames() * 64
    fd, path = tempfile.mkstemp(suffix=".bin")
    try:
        with os.fdopen(fd, "wb") as f:
            while f.tell() < size:
                f.write(block)
            size = f.tell()
        print(f"capture: {size / 2**20:.0f} MiB in {path}; amsparse {amsparse.__version__} ({amsparse.BACKEND}); "
              f"rows={a.rows} chunk_bytes={chunk}")
        env = dict(os.environ)
        for trace in ("0", "1"):  # a fresh process each: ru_maxrss is the child's own
            out = subprocess.run([sys.executable, __file__, "--child", path, str(a.rows), str(chunk), trace],
                                 check=True, capture_output=True, text=True, env=env).stdout.split()
            n, batches, peak, rss, secs = int(out[0]), int(out[1]), int(out[2]), int(out[3]), out[4]
            what = f"tracemalloc peak {peak / 2**20:.1f} MiB" if trace == "1" else "untraced"
            print(f"iter_batches: {n} rows in {batches} batches, {secs} s, {what}, peak RSS {rss / 2**20:.0f} MiB")
    finally:
        os.unlink(path)


if __name__ == "__main__":
    main()
