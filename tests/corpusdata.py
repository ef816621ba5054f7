"""The one way to find and read the real-frame corpus (tests, fuzz seeds, benchmarks).

The corpus is ``tests/corpus/frames.jsonl`` inside the repository, or the file
named by ``AMSPARSE_CORPUS`` (for a run against a larger, private collection).
Nothing outside the checkout is ever looked at, so the suite runs the same from
a clean clone, an unpacked sdist, cibuildwheel's test folder or a user's copy.

An empty or missing corpus is an error, not an empty list: a test that
parametrises over no frames, or a loop that waits for frames, would otherwise
pass vacuously (or never end).

``tests/conftest.py`` exposes the records as the ``corpus`` fixture; modules that
need the frames at collection time (``pytest.mark.parametrize``) call
:func:`records` directly, and ``fuzz/`` and ``benchmarks/`` import this module
by path.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

__all__ = ["CorpusError", "by_id", "corpus_path", "hdlc_frames", "records", "telegrams"]

#: the repository's copy of the corpus
DEFAULT = Path(__file__).resolve().parent / "corpus" / "frames.jsonl"
#: the P1 telegrams (plain ones: framing "p1"; ciphered ones: "p1-ciphered")
TELEGRAMS = Path(__file__).resolve().parent / "corpus" / "telegrams.jsonl"


class CorpusError(RuntimeError):
    """The corpus file is missing, unreadable or holds no frame."""


def corpus_path() -> Path:
    env = os.environ.get("AMSPARSE_CORPUS")
    return Path(env) if env else DEFAULT


@functools.cache
def _read(path: Path) -> tuple[dict[str, Any], ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise CorpusError(f"cannot read the frame corpus {path}: {e}") from e
    recs = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            bytes.fromhex(rec["hex"])
            rec["id"]
        except (ValueError, KeyError, TypeError) as e:
            raise CorpusError(f"{path}:{n}: not a corpus record ({e})") from e
        recs.append(rec)
    if not recs:
        raise CorpusError(f"the frame corpus {path} holds no frame")
    return tuple(recs)


def records() -> list[dict[str, Any]]:
    """Every corpus record (dicts with at least ``id`` and ``hex``), in file order."""
    return [dict(r) for r in _read(corpus_path())]


def by_id() -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in records()}


def hdlc_frames(*, encrypted: bool = False, corrupt: bool = True) -> list[tuple[str, bytes]]:
    """``(id, bytes)`` of the HDLC records: unencrypted ones unless ``encrypted``;
    ``marked_corrupt`` ones unless ``corrupt=False``."""
    out = []
    for r in records():
        if r.get("framing", "hdlc") != "hdlc":
            continue
        if r.get("encrypted") and not encrypted:
            continue
        if r.get("marked_corrupt") and not corrupt:
            continue
        out.append((r["id"], bytes.fromhex(r["hex"])))
    if not out:
        raise CorpusError(f"the frame corpus {corpus_path()} holds no HDLC frame of that kind")
    return out


def telegrams(framing: str = "p1") -> list[dict[str, Any]]:
    """The records of ``tests/corpus/telegrams.jsonl`` with that ``framing``
    (``"p1"``: plain telegrams, ``"p1-ciphered"``: general-glo-ciphering frames)."""
    out = [dict(r) for r in _read(TELEGRAMS) if r.get("framing") == framing]
    if not out:
        raise CorpusError(f"{TELEGRAMS} holds no telegram of framing {framing!r}")
    return out


def hdlc_pieces(data: bytes) -> list[bytes]:
    """A capture of back-to-back HDLC frames split by each frame's own length
    field (format type 0xA, 11-bit length), independently of the decoder."""
    out, pos = [], 0
    while pos < len(data):
        n = (((data[pos + 1] & 0x07) << 8) | data[pos + 2]) + 2
        out.append(data[pos : pos + n])
        pos += n
    return out


def hdlc_info(frame: bytes) -> bytes:
    """Information field of one HDLC frame, found by walking the header here
    (addresses end at the byte with bit 0 set), not by the decoder."""
    pos = 3
    for _ in range(2):
        while not frame[pos] & 1:
            pos += 1
        pos += 1
    return frame[pos + 3 : -3]  # control, HCS ... FCS, flag
