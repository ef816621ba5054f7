#!/usr/bin/env python3
"""atheris harness: P1 / DSMR telegrams (decode_telegram and StreamDecoder).

Fails on any exception that is not an ``amsparse.DecodeError``.  The backend is
the one amsparse selects (``AMSPARSE_NO_EXTENSIONS=1``: the Python twin).  With
``AMSPARSE_FUZZ_TWINS=1`` and the compiled core present, every input is also
decoded by ``amsparse._p1_py`` and the outcomes must agree (same Frame, or the
same exception type, message and offset).  Modes (first byte):

0. the bytes as a telegram, as given;
1. the same with the CRC after '!' recomputed, so mutations reach the line
   scanner and the value conversion;
2. the bytes fed to a StreamDecoder in pieces (telegrams found among noise and
   HDLC frames), byte accounting and the memory bound checked.

    python fuzz/fuzz_p1.py fuzz/seeds/p1 -max_total_time=45
"""

from __future__ import annotations

import os
import sys

import atheris

with atheris.instrument_imports():
    from amsparse import BytesDiscarded, DecodeError, StreamDecoder, _p1_py
    from amsparse._select import p1_impl

TWINS = os.environ.get("AMSPARSE_FUZZ_TWINS", "") not in ("", "0") and p1_impl is not _p1_py
MAX_TELEGRAM = 2048


def _outcome(fn, data: bytes):  # type: ignore[no-untyped-def]
    try:
        return ("ok", fn(data)._key())
    except DecodeError as e:
        return ("err", type(e), e.args, e.offset)


def with_crc(data: bytes) -> bytes:
    i = data.find(b"!")
    if i < 0:
        return data
    crc = _p1_py.crc16_arc(data, 0, i + 1)
    return data[: i + 1] + b"%04X" % crc + data[i + 5 :]


def decode(data: bytes) -> None:
    res = _outcome(p1_impl.decode_telegram, data)
    if TWINS:
        other = _outcome(_p1_py.decode_telegram, data)
        if res != other:
            raise AssertionError(f"twins disagree on {data!r}: {res[:1] + res[1:2]!r} vs {other[:2]!r}")


def stream(data: bytes) -> None:
    step = 1 + (data[0] if data else 0) % 64
    dec = StreamDecoder(max_telegram_size=MAX_TELEGRAM)
    events = []
    for i in range(0, len(data), step):
        events += dec.feed(data[i : i + step])
        if dec.telegram_buffered > MAX_TELEGRAM + step:
            raise AssertionError(f"telegram buffer {dec.telegram_buffered} beyond the bound")
    events += dec.flush()
    raw = sum(len(e.raw) for e in events if type(e) is not BytesDiscarded)
    disc = sum(e.count for e in events if type(e) is BytesDiscarded)
    if raw + disc - dec.shared_flags != len(data) or disc != dec.bytes_discarded:
        raise AssertionError(f"byte accounting: {raw} + {disc} - {dec.shared_flags} != {len(data)}")


def TestOneInput(data: bytes) -> None:
    if not data:
        return
    mode = data[0] % 3
    body = data[1:]
    if mode == 0:
        decode(body)
    elif mode == 1:
        decode(with_crc(body))
    else:
        stream(body)


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
