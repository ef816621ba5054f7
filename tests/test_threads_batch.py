"""decode_batch, with threads=N or without, gives the table of the one-pass
scan-and-decode path (TableWriter.add_scan), row for row.

After its first window the compiled core decodes a capture in segments: each
is scanned into items, decoded without the GIL (on N threads with threads=N)
and the rows it could not write go through the one-pass path's code.

Captures built from the real corpus frames: many meters and lists in a seeded
order, header clocks re-stamped (a new hour every 360 frames, so the threads
meet clock hours nobody has cached yet), noise, corrupted frames, rejected
candidates, shapes that first appear only after the serial warm-up, and seams
between the threads' ranges that fall inside frames or inside long noise.
Both backends: the pure-Python one accepts ``threads`` and decodes serially.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpusdata  # noqa: E402
from tables import CATEGORICAL, assert_same_tables  # noqa: E402

import amsparse  # noqa: E402
from amsparse._batch import _decode_batch  # noqa: E402

MIB = 1 << 20


def _reference(data: bytes, **kw: object) -> amsparse.FrameTable:
    """The table of the writer's one-pass scan-and-decode (TableWriter.add_scan
    over every window: the compiled path before segments and threads), or of
    the twin without the compiled core."""
    from amsparse._select import impl

    return _decode_batch(data, None, None, None, impl, pipeline=False, **kw)  # type: ignore[arg-type]


def _stats() -> dict:
    """The compiled core's account of its last threaded run (empty without it)."""
    if amsparse.BACKEND != "cython":
        return {}
    from amsparse import _decode_c

    return dict(_decode_c.PARALLEL_STATS)


def _decodable() -> list[tuple[str, bytes]]:
    out = []
    for fid, raw in corpusdata.hdlc_frames(corrupt=False):
        try:
            amsparse.decode_frame(raw)
        except amsparse.DecodeError:
            continue
        out.append((fid, raw))
    assert len(out) > 40
    return out


def _restamp(raw: bytes, t: dt.datetime) -> bytes:
    """The frame with its 12-byte header clock set to ``t`` and its FCS
    recomputed (frames without a header clock are returned as they are)."""
    i = raw.find(b"\xe6\xe7\x00\x0f")
    if i < 0:
        return raw
    p = i + 8
    if raw[p] == 0x0C:
        at = p + 1
    elif raw[p] == 0x09 and raw[p + 1] == 0x0C:
        at = p + 2
    else:
        return raw
    b = bytearray(raw)
    b[at:at + 8] = bytes([t.year >> 8, t.year & 0xFF, t.month, t.day, t.isoweekday(), t.hour, t.minute, t.second])
    crc = amsparse.fcs16(bytes(b), 1, len(b) - 3)
    b[-3], b[-2] = crc & 0xFF, crc >> 8
    return bytes(b)


def _capture(size: int, seed: int, *, late_after: int = int(1.3 * MIB), noise_at: int | None = None,
             noise_len: int = 0) -> bytes:
    """~``size`` bytes: corpus frames in a seeded order, every header clock 10 s
    after the previous one; now and then noise, a frame with a flipped body
    byte (FCS fails: a rejected row), a frame cut short, a ciphered frame
    (no keys: an error row).  A third of the shapes (every Kaifa list-3 and
    Aidon list-3 frame) appear only after ``late_after`` bytes; with
    ``noise_at``, ``noise_len`` bytes of 0x7E-rich noise start there."""
    rng = random.Random(seed)
    frames = _decodable()
    late = [raw for fid, raw in frames if fid.startswith(("kfm-list3", "aid-list3"))]
    early = [raw for fid, raw in frames if not fid.startswith(("kfm-list3", "aid-list3"))]
    ciphered = [raw for _, raw in corpusdata.hdlc_frames(encrypted=True) if raw[:1] == b"\x7e"]
    t0 = dt.datetime(2026, 3, 28, 22)
    parts: list[bytes] = []
    total = n = 0
    noised = False
    while total < size:
        if noise_at is not None and not noised and total >= noise_at:
            parts.append(bytes(rng.choice((0x7E, 0xA0, 0x00, 0x13)) for _ in range(noise_len)))
            total += noise_len
            noised = True
            continue
        pool = early + late if total >= late_after else early
        raw = _restamp(rng.choice(pool), t0 + dt.timedelta(seconds=10 * n))
        n += 1
        roll = rng.random()
        if roll < 0.01:
            b = bytearray(raw)
            b[len(b) // 2] ^= 0x40
            raw = bytes(b)
        elif roll < 0.015:
            raw = raw[: len(raw) // 2]
        elif roll < 0.02:
            parts.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40))))
        elif roll < 0.022 and ciphered:
            raw = rng.choice(ciphered)
        parts.append(raw)
        total += len(raw)
    return b"".join(parts)


def _same(a: amsparse.FrameTable, b: amsparse.FrameTable) -> None:
    assert_same_tables(a, b)
    assert list(a.columns) == list(b.columns)
    for key in CATEGORICAL:
        assert a.categories[key] == b.categories[key], key
        assert a.codes[key] == b.codes[key], key


@pytest.fixture(scope="module")
def mixed() -> bytes:
    return _capture(int(2.6 * MIB), 5)


@pytest.mark.parametrize("threads", [2, 3])
def test_threads_equal_serial_mixed(mixed: bytes, threads: int) -> None:
    serial = _reference(mixed)
    _same(amsparse.decode_batch(mixed), serial)  # threads=1: segments decoded without the GIL
    assert serial.rejected > 50 and serial.decoded > 10000  # the capture has both
    assert len(serial.categories["meter_id"]) > 15
    _same(amsparse.decode_batch(mixed, threads=threads), serial)
    st = _stats()
    if st:  # the segments took most rows; the serial pass at least the errors and rejects
        # (how many more it takes depends on the process's plan cache, not asserted)
        assert st["rows"] > len(serial) // 2 and 0 < st["serial_rows"] <= st["rows"], st


def test_threads_seam_in_long_noise() -> None:
    """The seam between the two ranges falls inside 200 KB of noise: no frame
    near it for the stitching to meet, so the second range is scanned again."""
    size = int(2.8 * MIB)
    middle = MIB + (size - MIB) // 2
    data = _capture(size, 9, noise_at=middle - 100_000, noise_len=200_000)
    _same(amsparse.decode_batch(data, threads=2), _reference(data))
    st = _stats()
    if st:
        assert st["rescanned"] == 1, st


@pytest.mark.parametrize("seed", [1, 2])
def test_threads_small_frames_limit(seed: int) -> None:
    """A smaller max_frame_size (frames above it are noise) and another seed."""
    data = _capture(int(2.2 * MIB), seed)
    for threads in (2, 4):
        _same(amsparse.decode_batch(data, max_frame_size=300, threads=threads),
              _reference(data, max_frame_size=300))


def test_threads_both_backends(impl) -> None:  # type: ignore[no-untyped-def]
    """The twin accepts threads and decodes serially; both backends give the
    same table with and without threads (the compiled core on one thread: too
    little after the first window for two)."""
    data = _capture(int(1.4 * MIB), 3, late_after=int(1.1 * MIB))
    one = _decode_batch(data, None, None, None, impl, pipeline=False)
    _same(_decode_batch(data, None, None, None, impl), one)
    _same(_decode_batch(data, None, None, None, impl, threads=2), one)
    _same(amsparse.decode_batch(data, threads=2), one)


@pytest.mark.parametrize("bad", [0, -1])
def test_threads_must_be_positive(bad: int) -> None:
    with pytest.raises(ValueError, match="threads must be a positive int"):
        amsparse.decode_batch(b"", threads=bad)


@pytest.mark.parametrize("bad", [1.5, "2", True, None])
def test_threads_must_be_int(bad: object) -> None:
    with pytest.raises(TypeError, match="threads must be a positive int"):
        amsparse.decode_batch(b"", threads=bad)  # type: ignore[arg-type]


def test_threads_iterable_and_path(tmp_path: Path, mixed: bytes) -> None:
    """threads with a path (read, then decoded on threads) and with an
    iterable of frames (serial)."""
    p = tmp_path / "cap.bin"
    p.write_bytes(mixed)
    _same(amsparse.decode_batch(p, threads=2), _reference(mixed))
    frames = [raw for _, raw in _decodable()][:20]
    _same(amsparse.decode_batch(frames, threads=2), amsparse.decode_batch(frames))


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_many_segments(monkeypatch: pytest.MonkeyPatch, mixed: bytes, threads: int) -> None:
    """Small segments: many seams between segments (each resumes the scan where
    the previous one stopped, maybe inside a frame) and between threads."""
    from amsparse import _batch

    monkeypatch.setattr(_batch, "_SEGMENT", 100_003)
    monkeypatch.setattr(_batch, "_PARALLEL_MIN", 20_000)
    _same(amsparse.decode_batch(mixed, threads=threads), _reference(mixed))
    st = _stats()
    if st:
        assert st["rows"] > len(_reference(mixed)) // 2, st


def test_p1_start_matches_the_regex() -> None:
    """The compiled pre-check for P1 telegrams finds what the twin's regular
    expression finds (random bytes with planted slashes and letters)."""
    import re

    if amsparse.BACKEND != "cython":
        pytest.skip("compiled core only")
    from amsparse import _decode_c

    rx = re.compile(rb"/[A-Za-z]{3}")
    rng = random.Random(11)
    alphabet = b"/AZaz@[`{\x00\xc1\xe1/"
    for _ in range(3000):
        n = rng.randrange(0, 12)
        buf = bytes(rng.choice(alphabet) for _ in range(n))
        m = rx.search(buf)
        assert _decode_c.p1_start(buf) == (m.start() if m else -1), buf
    big = bytes(rng.randrange(256) for _ in range(200_000))
    m = rx.search(big)
    assert _decode_c.p1_start(big) == (m.start() if m else -1)
    assert _decode_c.p1_start(big + b"/KFM5") == (m.start() if m else len(big))
