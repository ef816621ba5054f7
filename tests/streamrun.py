"""Feeding a StreamDecoder a capture in one piece or in given chunks (shared by
tests/test_stream.py and tests/test_p1_stream.py)."""

from __future__ import annotations

from typing import Any

from amsparse import StreamDecoder


def run(data: bytes, chunks: list[int] | None = None, **kw: Any) -> tuple[StreamDecoder, list[Any]]:
    """``(decoder, events)`` after feeding ``data`` (in ``chunks`` of these
    sizes, then the rest) and flushing."""
    dec = StreamDecoder(**kw)
    events: list[Any] = []
    if chunks is None:
        events += dec.feed(data)
    else:
        pos = 0
        for c in chunks:
            events += dec.feed(data[pos : pos + c])
            pos += c
        events += dec.feed(data[pos:])
    events += dec.flush()
    return dec, events
