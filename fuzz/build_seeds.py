#!/usr/bin/env python3
"""Build the seed corpora for the atheris harnesses from the frame corpus.

    python fuzz/build_seeds.py [--out fuzz/seeds] [corpus.jsonl ...]

Writes one file per frame into ``<out>/frame`` (HDLC, unencrypted frames plus
encrypted/segmented HDLC frames: they exercise the refusal paths) and into
``<out>/stream`` (concatenations of 1..4 frames with noise between them, for the
StreamDecoder harness), and the P1 telegrams of tests/corpus/telegrams.jsonl
into ``<out>/p1`` (fuzz_p1.py).  Defaults: tests/corpus/frames.jsonl and
/work/shared/corpus/frames.jsonl, whichever exist.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPORA = [ROOT / "tests" / "corpus" / "frames.jsonl", Path("/work/shared/corpus/frames.jsonl")]


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


def write(dirpath: Path, data: bytes) -> None:
    (dirpath / hashlib.sha1(data).hexdigest()).write_bytes(data)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "fuzz" / "seeds"))
    ap.add_argument("corpus", nargs="*")
    args = ap.parse_args()
    frames = load([Path(p) for p in args.corpus] if args.corpus else DEFAULT_CORPORA)
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
    # P1 telegrams (tests/corpus/telegrams.jsonl), each with a harness mode byte
    # (fuzz_p1.py: 0 as is, 1 CRC recomputed, 2 streamed), and a mixed stream
    (out / "p1").mkdir(parents=True, exist_ok=True)
    tel_path = ROOT / "tests" / "corpus" / "telegrams.jsonl"
    tels = [bytes.fromhex(json.loads(l)["hex"]) for l in tel_path.read_text().splitlines() if l.strip()] if tel_path.is_file() else []
    for i, t in enumerate(tels):
        write(out / "p1", bytes([i % 3]) + t)
    if tels:
        write(out / "p1", b"\x02" + b"noise".join(tels[:3] + frames[:2]))
    print(f"{len(frames)} frame seeds, {len(list((out / 'stream').iterdir()))} stream seeds, "
          f"{len(list((out / 'p1').iterdir()))} P1 seeds in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
