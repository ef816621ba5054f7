"""Decrypt + decode throughput (group ``decrypt-decode-*``), see docs/security.md.

A real ciphered push with the keys its source published: the Danish Kamstrup
Omnipower list (``kam-list3-08``: 491-byte HDLC frame, general-glo-ciphering,
security control 0x30, 65-element list), decoded with the encryption and
authentication keys (tag checked) and with the encryption key only.  The
plain-frame groups of test_bench.py are the side-by-side reference.  As
everywhere in benchmarks/, nothing asserts a time; each case checks its result.
"""

from __future__ import annotations

import importlib

import _corpus
import pytest

import amsparse

CID = "kam-list3-08"


def _record() -> dict:
    for r in _corpus.load_records():
        if r["id"] == CID:
            return r
    raise LookupError(f"corpus record {CID} is missing")


@pytest.mark.parametrize("with_ak", [True, False], ids=["ek+ak", "ek"])
def test_decrypt_decode(benchmark, impl, with_ak: bool) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("cryptography")  # the [crypto] extra; CI installs it with [test]
    rec = _record()
    raw = bytes.fromhex(rec["hex"])
    keys = amsparse.Keys(rec["key_hex"], rec["auth_key_hex"] if with_ak else None)
    benchmark.group = f"decrypt-decode-{CID}"
    benchmark.extra_info.update(corpus_id=CID, frame_bytes=len(raw), authenticated=with_ak)
    frame = benchmark(impl.decode_frame, raw, keys=keys)
    ref = importlib.import_module("amsparse._decode_py").decode_frame(raw, keys=keys)
    assert frame == ref and frame.security.authenticated is with_ak


@pytest.mark.parametrize("plain_id", ["aid-list2-01", "kam-list2-01"])
def test_decrypt_decode_list2(benchmark, impl, plain_id: str) -> None:  # type: ignore[no-untyped-def]
    """A Nordic list-2 push (~230-byte frame) ciphered by the test encoder
    (0x30, EK+AK) beside its plain twin in group decode_frame-*-list2."""
    pytest.importorskip("cryptography")
    import encoder as E  # tests/encoder.py, on sys.path through _corpus

    frames = _corpus.load_frames()
    plain = frames[plain_id]
    info = plain[plain.index(b"\xe6\xe7\x00") + 3 : -3]
    ek, ak = bytes(range(16)), bytes(range(16, 32))
    raw = E.encode_frame(E.ciphered(info, ek, b"XYZ\x00\x00\x00\x00\x01", 7, 0x30, ak))
    keys = amsparse.Keys(ek, ak)
    benchmark.group = f"decrypt-decode-{plain_id}"
    benchmark.extra_info.update(corpus_id=plain_id, frame_bytes=len(raw))
    frame = benchmark(impl.decode_frame, raw, keys=keys)
    assert frame.security.authenticated and frame.as_dict() == impl.decode_frame(plain).as_dict()
