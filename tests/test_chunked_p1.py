"""iter_batches over captures with P1 telegrams: the rows of decode_batch.

Real telegrams of the corpus (tests/corpus/telegrams.jsonl) between real HDLC
frames, cut into chunks smaller than a telegram, so telegrams (and their
``/XXX`` starts) straddle chunk boundaries.  Each telegram must be decoded
once: the number of P1 rows is the number of telegrams put in.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpusdata  # noqa: E402
from tables import assert_same_tables  # noqa: E402

import amsparse  # noqa: E402
from amsparse import _chunked  # noqa: E402
from amsparse._batch import _decode_batch  # noqa: E402

TELEGRAMS = [bytes.fromhex(r["hex"]) if "hex" in r else r["raw"].encode("latin-1")
             for r in corpusdata.telegrams() if r.get("framing") == "p1" and not r.get("marked_corrupt")]
HDLC = [raw for _, raw in corpusdata.hdlc_frames(corrupt=False)][:30]


def _decodes(tel: bytes) -> bool:
    try:
        amsparse.decode_telegram(tel)
    except amsparse.DecodeError:
        return False
    return True


GOOD = [t for t in TELEGRAMS if _decodes(t)]


def _capture(seed: int) -> tuple[bytes, int, int]:
    """-> (capture, HDLC frames in it, telegrams in it); every one of them
    decodes on its own (object API)."""
    rng = random.Random(seed)
    parts, n_tel, n_hdlc = [], 0, 0
    for _ in range(60):
        if rng.random() < 0.35:
            parts.append(rng.choice(GOOD))
            n_tel += 1
        else:
            parts.append(rng.choice(HDLC))
            n_hdlc += 1
            if rng.random() < 0.2:  # noise (after a frame: after a telegram it could read as its CRC line)
                parts.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 30))))
    return b"".join(parts), n_hdlc, n_tel


@pytest.mark.parametrize("chunk", [97, 1000, 4099])
def test_p1_telegrams_in_chunks(impl, chunk: int) -> None:  # type: ignore[no-untyped-def]
    assert len(GOOD) > 8 and max(map(len, GOOD)) > 97
    data, n_hdlc, n_tel = _capture(chunk)
    whole = _decode_batch(data, None, None, None, impl)
    batches = list(_chunked._iter(data, 16, impl.default_core(), chunk, None, 2050, impl))
    assert all(len(b) == 16 for b in batches[:-1])
    joined = _chunked._concat([(b, 0, len(b)) for b in batches])
    joined.bytes_discarded = sum(b.bytes_discarded for b in batches)
    assert_same_tables(joined, whole)
    # one decoded row per frame and per telegram: none lost, none decoded twice
    assert n_tel > 5 and len(joined) == n_hdlc + n_tel and not any(joined.status)


def test_p1_start_straddles_first_chunk(impl) -> None:  # type: ignore[no-untyped-def]
    """'/XXX' cut after '/': HDLC frames first, the telegram's start at the end
    of a chunk (detected through the 3 bytes read ahead)."""
    tel = GOOD[0]
    head = b"".join(HDLC[:3])
    data = head + tel + HDLC[3]
    whole = _decode_batch(data, None, None, None, impl)
    for cut in (len(head) + 1, len(head) + 2, len(head) + 3):
        batches = list(_chunked._iter(data, 100, impl.default_core(), cut, None, 2050, impl))
        joined = _chunked._concat([(b, 0, len(b)) for b in batches])
        joined.bytes_discarded = sum(b.bytes_discarded for b in batches)
        assert_same_tables(joined, whole)
    assert len(whole) == 5 and whole.status[3] == 0
