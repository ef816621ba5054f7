#!/usr/bin/env python3
"""atheris harness: user profiles x frames (issue 11, F1/F9/F10).

The input is a profile as JSON, a NUL byte, then a capture.  The profile is
parsed and compiled: anything but a ``ProfileError`` (or the JSON parser's own
``ValueError``/``RecursionError``, which ``load_profiles`` turns into a
ProfileError and is tested there) is a finding.  A profile that compiles is
put in front of the built-in ones and the capture is decoded by
``StreamDecoder`` (fed in chunks, flushed) and ``decode_batch``: any exception
is a finding, and so is an ``UnexpectedError`` rejection (a profile that
loads must never make a frame fail with something that is not a
``DecodeError``).  With the compiled core and ``AMSPARSE_FUZZ_TWINS=1`` the
batch tables of both backends must agree.

    python fuzz/fuzz_profiles.py fuzz/seeds/profile -max_total_time=45
"""

from __future__ import annotations

import json
import os
import sys

import atheris

with atheris.instrument_imports():
    import amsparse
    from amsparse import _batch, _decode_py
    from amsparse._profiles import compile_profile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
from tables import assert_same_tables  # noqa: E402

try:
    from amsparse import _decode_c
except ImportError:  # pragma: no cover
    _decode_c = None
TWINS = _decode_c is not None and os.environ.get("AMSPARSE_FUZZ_TWINS", "") not in ("", "0")


def TestOneInput(data: bytes) -> None:
    text, sep, capture = data.partition(b"\x00")
    if not sep:
        return
    try:
        doc = json.loads(text.decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        return
    try:
        prof = compile_profile(doc, "<fuzz>")
    except amsparse.ProfileError:
        return
    ps = amsparse.ProfileSet([prof, *amsparse.builtin_profiles()])
    dec = amsparse.StreamDecoder(ps)
    step = 1 + (capture[0] if capture else 0) % 61
    events = []
    for i in range(0, len(capture), step):
        events += dec.feed(capture[i : i + step])
    events += dec.flush()
    for ev in events:
        if type(ev) is amsparse.FrameRejected and type(ev.error) is amsparse.UnexpectedError:
            raise AssertionError(f"a profile that loads made a frame fail: {ev.error!r}")
    table = amsparse.decode_batch(capture, ps)
    if 9 in table.status:
        raise AssertionError(f"UnexpectedError row: {table.errors}")
    if TWINS:
        assert_same_tables(_batch._decode_batch(capture, ps, None, None, _decode_c),
                           _batch._decode_batch(capture, ps, None, None, _decode_py))


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
