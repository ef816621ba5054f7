#!/usr/bin/env python3
"""Build the seed corpora for the atheris harnesses from the frame corpus.

    python fuzz/build_seeds.py [--out fuzz/seeds] [corpus.jsonl ...]

Writes one file per frame into ``<out>/frame`` (HDLC, unencrypted frames plus
encrypted/segmented HDLC frames: they exercise the refusal paths) and into
``<out>/stream`` (concatenations of 1..4 frames with noise between them, for the
StreamDecoder harness).  Default: the repository corpus as the tests read it
(``tests/corpusdata.py``: tests/corpus/frames.jsonl, or ``AMSPARSE_CORPUS``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import corpusdata  # noqa: E402


def load(paths: list[Path]) -> list[bytes]:
    seen: dict[bytes, None] = {}
    for p in paths:
        if not p.is_file():
            continue
        for line in p.read_text().splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            if rec.get("framing") != "hdlc":
                continue
            try:
                seen.setdefault(bytes.fromhex(rec["hex"]), None)
            except ValueError:
                continue
    return list(seen)


def _transport_seeds(dirpath: Path, frames: list[bytes]) -> None:
    """Seeds for fuzz_transport.py (first byte: mode): the APDUs of the HDLC
    frames (mode 0 wraps them in a frame, 1 takes them bare, 3 ciphers them)
    and the corpus's M-Bus captures (mode 2)."""
    dirpath.mkdir(parents=True, exist_ok=True)
    for f in frames:
        if len(f) < 16:
            continue
        apdu = f[f.find(b"\xe6\xe7\x00") + 3 : -3] if b"\xe6\xe7\x00" in f else f[9:-3]
        write(dirpath, b"\x00" + apdu)
        write(dirpath, b"\x01" + apdu)
        if apdu[:1] == b"\x0f":
            write(dirpath, b"\x03\x09" + apdu)
    for rec in corpusdata.records():
        if rec.get("framing") == "mbus":
            write(dirpath, b"\x02" + bytes.fromhex(rec["hex"]))
            write(dirpath, b"\x04\x01\x21" + bytes.fromhex(rec["hex"]) * 2)  # M-Bus stream
    for f in frames[:20]:
        write(dirpath, b"\x04\x00\x07" + f + b"\x00" + f)  # "auto" stream of HDLC frames


def write(dirpath: Path, data: bytes) -> None:
    (dirpath / hashlib.sha1(data).hexdigest()).write_bytes(data)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "fuzz" / "seeds"))
    ap.add_argument("corpus", nargs="*")
    args = ap.parse_args()
    frames = load([Path(p) for p in args.corpus] if args.corpus else [corpusdata.corpus_path()])
    if not frames:
        raise SystemExit("no HDLC frames found in the corpus files")
    out = Path(args.out)
    (out / "frame").mkdir(parents=True, exist_ok=True)
    (out / "stream").mkdir(parents=True, exist_ok=True)
    for f in frames:
        write(out / "frame", f)
    rng = random.Random(1)
    for _ in range(min(200, 4 * len(frames))):
        parts = []
        for f in rng.sample(frames, rng.randint(1, min(4, len(frames)))):
            parts.append(bytes(rng.randrange(256) for _ in range(rng.choice((0, 0, 1, 3)))))
            parts.append(f)
        write(out / "stream", b"".join(parts))
    _transport_seeds(out / "transport", frames)
    print(f"{len(frames)} frame seeds, {len(list((out / 'stream').iterdir()))} stream seeds in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
