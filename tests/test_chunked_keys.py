"""iter_batches(..., keys=...): ciphered HDLC frames in a chunked capture.

The sealed frame is the real Kamstrup Omnipower push ``kam-list3-08`` (SC 0x30,
EK+AK published with it), interleaved with plain corpus frames.  Chunks are
smaller than the frames, so ciphered frames straddle chunk boundaries.
Expectations come from the object API (``decode_frame`` with the keys), not
from the batch path.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpusdata  # noqa: E402

import amsparse  # noqa: E402
from amsparse import Keys, _chunked  # noqa: E402

REC = corpusdata.by_id()["kam-list3-08"]
SEALED = bytes.fromhex(REC["hex"])
KEYS = Keys(REC["key_hex"], REC["auth_key_hex"])
PLAIN = [bytes.fromhex(corpusdata.by_id()[i]["hex"]) for i in ("aid-list2-02", "kfm-list2-02", "lg-list2-01")]


def _capture() -> tuple[bytes, list[bytes]]:
    frames = []
    for k in range(12):
        frames.append(SEALED)
        frames.append(PLAIN[k % len(PLAIN)])
    return b"".join(frames), frames


def _batches(impl, data: bytes, **kw):  # type: ignore[no-untyped-def]
    dc = impl.DecoderCore(**kw) if kw else impl.default_core()
    return list(_chunked._iter(data, 7, dc, 200, None, 2050, impl))


def test_iter_batches_with_keys(impl) -> None:  # type: ignore[no-untyped-def]
    assert SEALED[:1] == b"\x7e" and len(SEALED) > 200  # straddles every 200-byte chunk
    data, frames = _capture()
    batches = _batches(impl, data, keys=KEYS)
    assert [len(b) for b in batches] == [7, 7, 7, 3]
    rows = [(b, i) for b in batches for i in range(len(b))]
    assert len(rows) == len(frames)
    for (b, i), raw in zip(rows, frames):
        assert b.status[i] == 0, b.errors
        want = impl.decode_frame(raw, keys=KEYS) if raw is SEALED else impl.decode_frame(raw)
        for name, value in want.as_dict().items():
            if type(value) in (int, float):
                got = b.columns[name][i]
                assert got == value or (math.isnan(got) and math.isnan(value)), name
    # the public function takes them too, and require_authentication holds with EK+AK
    public = list(amsparse.iter_batches(data, rows=7, chunk_bytes=200, keys=KEYS, require_authentication=True))
    assert sum(len(b) for b in public) == len(frames) and all(not any(b.status) for b in public)


def test_iter_batches_without_keys_gives_error_rows(impl) -> None:  # type: ignore[no-untyped-def]
    data, frames = _capture()
    batches = _batches(impl, data)
    status = [s for b in batches for s in b.status]
    assert len(status) == len(frames)
    assert [s != 0 for s in status] == [raw is SEALED for raw in frames]


def test_iter_batches_auth_key_required(impl) -> None:  # type: ignore[no-untyped-def]
    data, frames = _capture()
    batches = _batches(impl, data, keys=Keys(REC["key_hex"]), require_authentication=True)
    status = [s for b in batches for s in b.status]
    assert [s != 0 for s in status] == [raw is SEALED for raw in frames]
    errors = [m for b in batches for m in b.errors.values()]
    assert errors and all("DecryptionError" in m for m in errors)
