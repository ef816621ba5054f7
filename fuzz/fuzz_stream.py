#!/usr/bin/env python3
"""atheris harness: amsparse.StreamDecoder.feed/flush must never raise.

The input is split into chunks (sizes taken from the input itself) and fed in
order, then flushed, then fed again.  Any exception is a finding; so is an
event that is not FrameDecoded / FrameRejected / BytesDiscarded, or a buffer
that grows past ``max_frame_size``.  Backend: as in fuzz_decode.py
(``AMSPARSE_NO_EXTENSIONS=1`` for the pure-Python twins).

    python fuzz/fuzz_stream.py fuzz/seeds/stream -max_total_time=45
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    import amsparse

HAVE_STREAM = hasattr(amsparse, "StreamDecoder")
KINDS = ("FrameDecoded", "FrameRejected", "BytesDiscarded")


def TestOneInput(data: bytes) -> None:
    if not HAVE_STREAM or len(data) < 2:
        return
    fdp = atheris.FuzzedDataProvider(data[:2])
    step = fdp.ConsumeIntInRange(1, 97)
    small = data[1] & 1
    payload = data[2:]
    dec = amsparse.StreamDecoder(max_frame_size=64 if small else 2050, max_apdu_size=300 if small else 65536)
    events = []
    for i in range(0, len(payload), step):
        events += dec.feed(payload[i : i + step])
        if dec.buffered > dec.max_frame_size:
            raise AssertionError(f"buffer {dec.buffered} > max_frame_size {dec.max_frame_size}")
    events += dec.flush()
    events += dec.feed(payload)  # usable again after flush
    events += dec.flush()
    for ev in events:
        if type(ev).__name__ not in KINDS:
            raise AssertionError(f"unexpected event {ev!r}")


def main() -> None:
    if not HAVE_STREAM:
        print("amsparse has no StreamDecoder yet; nothing to fuzz", file=sys.stderr)
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
