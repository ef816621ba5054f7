"""Peak memory of the adversarial cases of issue 11 (F2, F3, F4, F7).

Run as a script (not collected by pytest)::

    PYTHONPATH=src python benchmarks/memory_cases.py            # every case
    PYTHONPATH=src python benchmarks/memory_cases.py f2 f4      # some

Each case runs in its own subprocess, so its peak is its own: the script
prints, per case, the input size, the resident set after the input was built
(``base``), the peak resident set (``VmHWM``), the peak address space
(``VmPeak``) and the wall time.  Linux only (reads ``/proc/self/status``).

* ``f2``: 20 frames naming 2,500 OBIS codes no profile knows, then 50,000 tiny
  error frames (0.6 MB) -> ``decode_batch``;
* ``f3``: ``decode_batch`` five times over a ~4.7 MB capture of 400 shapes x 16
  address variants (templates);
* ``f4``: one 4 MiB ``StreamDecoder.feed`` of small junk frames, events kept;
* ``f7``: a capture that starts dense (one wide frame, then 1 MiB of tiny
  frames) and goes on with 40 MB of noise -> ``decode_batch``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def _frame(info: bytes, fmt_bits: int = 0, dest: int = 0x41) -> bytes:
    from amsparse import fcs16

    header = (0xA000 | fmt_bits | (2 + 1 + 2 + 1 + 2 + len(info) + 2)).to_bytes(2, "big")
    header += bytes((dest,)) + b"\x08\x83\x13"
    header += fcs16(header).to_bytes(2, "little")
    body = header + info
    return b"\x7e" + body + fcs16(body).to_bytes(2, "little") + b"\x7e"


def _push(pairs: list[tuple[bytes, bytes]], dest: int = 0x41) -> bytes:
    n = len(pairs)
    count = bytes([n]) if n < 0x80 else b"\x82" + n.to_bytes(2, "big")
    body = b"\x01" + count + b"".join(b"\x02\x02\x09\x06" + o + v for o, v in pairs)
    return _frame(b"\xe6\xe7\x00\x0f\x40\x00\x00\x00\x00" + body, dest=dest)


def _obis(a: int, b: int, c: int, d: int, e: int) -> bytes:
    return bytes((a, b, c, d, e, 255))


TINY_ERROR = _frame(b"\xe6\xe7\x00\x0f\x00")  # 14 bytes, the APDU is cut short


def case_f2() -> tuple[int, float]:
    import amsparse

    wide = b"".join(
        _push([(_obis(7, 1, 200, k, m), b"\x12" + m.to_bytes(2, "big")) for m in range(125)]) for k in range(20)
    )
    capture = wide + TINY_ERROR * 50_000
    t0 = time.perf_counter()
    t = amsparse.decode_batch(capture)
    dt = time.perf_counter() - t0
    assert len(t) == 50_020
    return len(capture), dt


def _many_shapes(total: int) -> bytes:
    """400 shapes (element counts and OBIS codes; 160 columns in all), each
    from 16 HDLC destination addresses: a template per frame variant."""
    variants = []
    for k in range(400):
        n = 4 + k % 28
        for v in range(16):
            variants.append(_push(
                [(_obis(1, 0, 1 + (k + m) % 80, 7 + (k // 80) % 2, 0), b"\x06" + (k * m).to_bytes(4, "big"))
                 for m in range(n)], dest=0x41 + 2 * v))
    one = b"".join(variants)
    return one * max(1, total // len(one))


def case_f3() -> tuple[int, float]:
    import amsparse

    capture = _many_shapes(4_700_000)
    t0 = time.perf_counter()
    for _ in range(5):
        t = amsparse.decode_batch(capture)
        del t
    return len(capture), time.perf_counter() - t0


def case_f4() -> tuple[int, float]:
    import amsparse

    junk = TINY_ERROR
    data = junk * ((4 << 20) // len(junk))
    dec = amsparse.StreamDecoder()
    t0 = time.perf_counter()
    events = dec.feed(data) + dec.flush()
    dt = time.perf_counter() - t0
    assert len(events) >= len(data) // len(junk)
    return len(data), dt


def case_f7() -> tuple[int, float]:
    import amsparse

    wide = _push([(_obis(7, 1, 200, 0, m), b"\x12\x00\x01") for m in range(100)])
    dense = wide + TINY_ERROR * ((1 << 20) // len(TINY_ERROR))
    capture = dense + bytes(40 << 20)
    t0 = time.perf_counter()
    t = amsparse.decode_batch(capture)
    dt = time.perf_counter() - t0
    assert len(t) == 1 + (1 << 20) // len(TINY_ERROR)
    return len(capture), dt


CASES = {"f2": case_f2, "f3": case_f3, "f4": case_f4, "f7": case_f7}


def _status() -> dict[str, int]:
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmPeak", "VmRSS"):
                out[key] = int(rest.split()[0]) * 1024
    return out


def _child(name: str) -> None:
    import amsparse  # noqa: F401 - imported before the baseline

    base = _status()["VmRSS"]
    size, seconds = CASES[name]()
    st = _status()
    print(json.dumps({"case": name, "input": size, "base": base, "peak_rss": st["VmHWM"],
                      "peak_vm": st["VmPeak"], "seconds": round(seconds, 2),
                      "backend": amsparse.BACKEND}))


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        _child(argv[1])
        return 0
    names = argv or list(CASES)
    mb = 1 << 20
    print(f"{'case':<5} {'input MB':>9} {'base MB':>8} {'peak RSS MB':>12} {'peak VM MB':>11} {'s':>7}  backend")
    for name in names:
        r = subprocess.run([sys.executable, __file__, "--child", name], capture_output=True, text=True,
                           env=os.environ.copy())
        if r.returncode:
            print(f"{name:<5} failed: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode}")
            continue
        d = json.loads(r.stdout.strip().splitlines()[-1])
        print(f"{name:<5} {d['input'] / mb:9.2f} {d['base'] / mb:8.1f} {d['peak_rss'] / mb:12.1f} "
              f"{d['peak_vm'] / mb:11.1f} {d['seconds']:7.2f}  {d['backend']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
