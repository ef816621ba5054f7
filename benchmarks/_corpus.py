"""Real frames for the benchmarks and for compare_peers.py.

Frames come from the repository's corpus, read as the tests read it
(``tests/corpusdata.py``: ``tests/corpus/frames.jsonl``, or the file named by
``AMSPARSE_CORPUS``); nothing outside the checkout is looked at.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(_ROOT / "tests"))
import corpusdata  # noqa: E402

#: decode_frame benchmark cases: (vendor, list) -> corpus id
DECODE_CASES: dict[str, str] = {
    "aidon-list1": "aid-list1-02",
    "aidon-list2": "aid-list2-02",
    "aidon-list3": "aid-list3-01",
    "kaifa-list1": "kfm-list1-07",
    "kaifa-list2": "kfm-list2-02",
    "kaifa-list3": "kfm-list3-07",
    "kamstrup-list2": "kam-list2-01",
    "kamstrup-list3": "kam-list3-13",
    "lg-list2": "lg-list2-01",
}


def load_records() -> list[dict[str, Any]]:
    """Corpus records (dicts with at least id, hex, vendor, list, framing, encrypted)."""
    return corpusdata.records()


def load_frames() -> dict[str, bytes]:
    return {r["id"]: bytes.fromhex(r["hex"]) for r in load_records()}


def _decodes(raw: bytes) -> bool:
    import amsparse

    try:
        amsparse.decode_frame(raw)
    except Exception:
        return False
    return True


def capture_frames() -> list[bytes]:
    """Every unencrypted, uncorrupted HDLC frame of the corpus that amsparse decodes
    (a mix of vendors and lists, as a mixed capture would hold)."""
    out = []
    for r in load_records():
        if r.get("framing") != "hdlc" or r.get("encrypted") or r.get("marked_corrupt"):
            continue
        raw = bytes.fromhex(r["hex"])
        if raw[:1] == b"\x7e" and raw[-1:] == b"\x7e" and _decodes(raw):
            out.append(raw)
    if not out:
        raise RuntimeError("no decodable HDLC frame in the corpus")
    return out


def build_capture(frames: list[bytes], size: int) -> tuple[bytes, int]:
    """Concatenate ``frames`` round-robin (each with its own flags) until at
    least ``size`` bytes; -> (capture, frame count)."""
    parts: list[bytes] = []
    n = total = 0
    while total < size:
        f = frames[n % len(frames)]
        parts.append(f)
        total += len(f)
        n += 1
    return b"".join(parts), n


def _header_clock_at(raw: bytes) -> int:
    """Offset of the data-notification's 12-byte header date-time in an HDLC
    frame, or -1 when it carries none."""
    i = raw.find(b"\xe6\xe7\x00\x0f")
    if i < 0 or i + 9 >= len(raw):
        return -1
    p = i + 8
    if raw[p] == 0x0C:
        return p + 1
    if raw[p] == 0x09 and raw[p + 1] == 0x0C:
        return p + 2
    return -1


def live_capture(frames: list[bytes], size: int, step_s: int = 10) -> tuple[bytes, int]:
    parts = live_frames(frames, size, step_s)
    return b"".join(parts), len(parts)


def live_frames(frames: list[bytes], size: int, step_s: int = 10) -> list[bytes]:
    """Like :func:`build_capture`, but shaped like a live line: every frame's
    header clock is re-stamped to advance ``step_s`` seconds per frame from
    2026-01-01 (local wall time; deviation and status bytes kept), and its FCS
    recomputed, so no two frames are byte-identical and clock caches cannot
    help.  Frames without a header clock (Aidon) are used as they are.  The
    corpus frames themselves are not changed; these are derived copies."""
    import datetime as dt

    from amsparse import fcs16

    t0 = dt.datetime(2026, 1, 1)
    offsets = [_header_clock_at(f) for f in frames]
    parts: list[bytes] = []
    n = total = 0
    while total < size:
        k = n % len(frames)
        f, at = frames[k], offsets[k]
        if at >= 0:
            t = t0 + dt.timedelta(seconds=step_s * n)
            b = bytearray(f)
            b[at:at + 8] = bytes([t.year >> 8, t.year & 0xFF, t.month, t.day, t.isoweekday(),
                                  t.hour, t.minute, t.second])
            crc = fcs16(b, 1, len(b) - 3)
            b[-3], b[-2] = crc & 0xFF, crc >> 8
            f = bytes(b)
        parts.append(f)
        total += len(f)
        n += 1
    return parts


def mixed_frames(size: int, seed: int = 17) -> list[bytes]:
    """A realistic mixed capture, as a concentrator or a multi-meter archive
    holds it: every frame of :func:`capture_frames` (Aidon, Kaifa, Kamstrup,
    Landis+Gyr; lists 1, 2, 3, Swedish and Aidon-27 lists; about 30 meters),
    interleaved in a seeded pseudo-random order (deterministic: the same
    bytes on every run), header clocks re-stamped as by :func:`live_frames`
    so no two frames are byte-identical.  Mean frame about 180 bytes."""
    import random

    frames = capture_frames()
    rng = random.Random(seed)
    mean = sum(len(f) for f in frames) / len(frames)
    order = [frames[rng.randrange(len(frames))] for _ in range(int(size / mean) + 64)]
    return live_frames(order, size)
