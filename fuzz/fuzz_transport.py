#!/usr/bin/env python3
"""atheris harness: the transport and security layers of one backend.

Modes (first input byte mod 5):

0. ``decode_frame(HDLC(LLC + rest), keys=KEYS)``: hostile ciphered / GBT
   headers behind valid HDLC checksums (the compiled fast path and the shared
   reference path);
1. ``decode_apdu(rest, keys=KEYS)``;
2. ``decode_frame(rest with fixed M-Bus checksums)``: M-Bus long frames;
3. round trip: ``rest`` is taken as a plain APDU, ciphered with KEYS (security
   control and GBT block size from the second byte) and must decode exactly as
   ``decode_apdu(rest)`` does, or fail the same way;
4. ``StreamDecoder(framing=auto|mbus|hdlc, keys=KEYS, replay_guard=True)`` fed
   ``rest`` in chunks: no exception escapes, every event is one of the three
   kinds, and the bytes fed are all accounted for.

Fails on any exception that is not an ``amsparse.DecodeError``; with
``AMSPARSE_FUZZ_TWINS=1`` both backends must agree (same Frame or same
exception type and offset).

    python fuzz/fuzz_transport.py fuzz/seeds/transport -max_total_time=45
"""

from __future__ import annotations

import os
import sys

import atheris

with atheris.instrument_imports():
    import amsparse
    from amsparse import DecodeError, Keys, _decode_py

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
import encoder as E  # noqa: E402

TWINS = os.environ.get("AMSPARSE_FUZZ_TWINS", "") not in ("", "0") and amsparse.BACKEND == "cython"
IMPL = sys.modules["amsparse._decode_c"] if amsparse.BACKEND == "cython" else _decode_py
EK = bytes(range(16))
AK = bytes(range(16, 32))
TITLE = b"FUZ\x00\x00\x00\x00\x01"
KEYS = Keys(EK, AK)
LLC = b"\xe6\xe7\x00"


def _outcome(fn, *a, **kw):  # type: ignore[no-untyped-def]
    try:
        f = fn(*a, **kw)
        return ("ok", f._key())
    except DecodeError as e:
        return ("err", type(e), e.offset)


def _both(name: str, *a, **kw):  # type: ignore[no-untyped-def]
    res = _outcome(getattr(IMPL, name), *a, **kw)
    if TWINS:
        other = _outcome(getattr(_decode_py, name), *a, **kw)
        if repr(res) != repr(other):
            raise AssertionError(f"twins disagree on {name}: {res!r} vs {other!r}")
    return res


def _fix_mbus(b: bytes) -> bytes:
    out = bytearray(b)
    pos = 0
    while pos + 6 <= len(out) and out[pos] == 0x68:
        n = out[pos + 1]
        end = pos + 4 + n
        if end + 2 > len(out):
            break
        out[end] = sum(out[pos + 4 : end]) & 0xFF
        out[end + 1] = 0x16
        pos = end + 2
    return bytes(out)


def _stream(rest: bytes) -> None:
    framing = ("auto", "mbus", "hdlc")[rest[0] % 3]
    step = 1 + rest[1] % 64 if len(rest) > 1 else 1
    body = rest[2:]
    dec = amsparse.StreamDecoder(framing=framing, keys=KEYS, replay_guard=True, max_apdu_size=4096)
    events = []
    for i in range(0, len(body), step):
        events += dec.feed(body[i : i + step])
    events += dec.flush()
    assert dec.bytes_fed == len(body)
    assert dec.buffered == 0  # flush gives up every held candidate, in both framings of "auto"
    kinds = (amsparse.FrameDecoded, amsparse.FrameRejected, amsparse.BytesDiscarded)
    assert all(isinstance(e, kinds) for e in events)
    assert all(isinstance(e.error, DecodeError) for e in events if isinstance(e, amsparse.FrameRejected))


def TestOneInput(data: bytes) -> None:
    if len(data) < 2:
        return
    mode = data[0] % 5
    rest = data[1:]
    if mode == 0:
        if len(rest) < 1900:
            _both("decode_frame", E.encode_frame(rest), keys=KEYS)
    elif mode == 1:
        _both("decode_apdu", rest, keys=KEYS)
    elif mode == 2:
        _both("decode_frame", _fix_mbus(rest))
    elif mode == 4:
        _stream(rest)
    else:
        sel, plain = rest[0], rest[1:]
        sc = (0x20, 0x30, 0x10, 0x31)[sel & 3]
        msg = E.ciphered(plain, EK, TITLE, sel, sc, AK, 0xDC if sel & 4 else 0xDB)
        if sel & 8:
            msg = b"".join(E.gbt_blocks(msg, 1 + (sel >> 4) * 8))
        want = _outcome(IMPL.decode_apdu, plain)
        got = _both("decode_apdu", msg, keys=KEYS)
        if want[0] == "ok":
            assert got[0] == "ok" and got[1][:15] == want[1][:15], (plain.hex(), got, want)
        else:
            # refused the same way; without a tag (0x20) a malformed plaintext reads as a wrong key
            same = got[0] == "err" and (got[1] is want[1] or sc == 0x20 and got[1] is amsparse.DecryptionError)
            assert same or plain[:1] in (b"\xdb", b"\xdc", b"\xe0"), (plain.hex(), got, want)


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
