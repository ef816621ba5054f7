"""iter_batches: bounded-memory batches equal to decode_batch of the whole capture, row for row."""

from __future__ import annotations

import io
import math
import tracemalloc
from pathlib import Path

import corpusdata
import pytest

import amsparse
from amsparse import _chunked
from amsparse._batch import FrameTable, _decode_batch

FRAMES = [r for _, r in corpusdata.hdlc_frames(encrypted=True)]
JUNK = b"\x00\x7e\xa0junk\x7e"


def _capture(frames: list[bytes]) -> bytes:
    # noise, back-to-back frames, a truncated frame inside, a doubled flag
    out = bytearray(JUNK)
    for i, f in enumerate(frames):
        out += f
        if i % 3 == 0:
            out += JUNK
        elif i % 3 == 1:
            out += f[: len(f) // 2]  # a frame cut short: a rejected row, then resync
        out += b"\x7e" if i % 5 == 0 else b""
    return bytes(out + JUNK)


def _row(t: FrameTable, i: int, names: list[str]) -> tuple:
    vals = []
    for name in names:
        if name in t.columns:
            v = t.columns[name][i]
            vals.append(("nan",) if math.isnan(v) else (v, t.raw[name][i], t.scalers[name][i]))
        else:
            vals.append(("nan",))
    cats = tuple(t.category(k)[i] for k in ("profile_id", "list_name", "list_version", "meter_id", "meter_type"))
    return (t.status[i], t.errors.get(i), t.header_time[i], t.meter_time[i], cats, tuple(vals))


def assert_batches_equal(batches: list[FrameTable], whole: FrameTable, rows: int) -> None:
    """The batches, one after the other, hold whole's rows (compared row by row,
    independently of how the batches are built)."""
    assert all(len(b) <= rows for b in batches)
    assert all(len(b) == rows for b in batches[:-1] if len(b))
    assert sum(b.bytes_discarded for b in batches) == whole.bytes_discarded
    assert_rows_equal(batches, whole)


def assert_rows_equal(tables: list[FrameTable], whole: FrameTable) -> None:
    """The tables, one after the other, hold exactly whole's rows."""
    assert sum(len(b) for b in tables) == len(whole)
    names = whole.names
    i = 0
    for b in tables:
        assert set(b.names) <= set(names)
        for j in range(len(b)):
            assert _row(b, j, names) == _row(whole, i, names), i
            i += 1


class Pieces(io.RawIOBase):
    """A binary file that returns the capture in the given pieces (short reads)."""

    def __init__(self, data: bytes, cuts: list[int]) -> None:
        self._pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:  # type: ignore[override]
        return self._pieces.pop(0) if self._pieces else b""


def test_cut_at_every_offset(impl) -> None:  # type: ignore[no-untyped-def]
    # a small capture (three real frames, a broken one, noise) split in two at
    # every byte offset: every frame is cut at every position once
    by_id = dict(corpusdata.hdlc_frames(encrypted=True))
    small = [by_id["kfm-list1-03"], by_id["kam-list2-01"], by_id["aid-list2-01"]]
    capture = JUNK + small[0] + small[1] + small[2][:100] + b"\x7e" + small[2] + JUNK
    whole = _decode_batch(capture, None, None, None, impl)
    assert list(whole.status).count(0) == 3 and len(whole) == 4, list(whole.status)
    for cut in range(1, len(capture)):
        batches = list(_chunked._iter(Pieces(capture, [cut]), 2, impl.default_core(), 1 << 20, None, 2050, impl))
        assert_batches_equal(batches, whole, 2)


@pytest.mark.parametrize("chunk", [1, 7, 64, 229, 1000])
@pytest.mark.parametrize("rows", [1, 5, 1000])
def test_chunk_sizes(impl, chunk: int, rows: int) -> None:  # type: ignore[no-untyped-def]
    capture = _capture(FRAMES)
    whole = _decode_batch(capture, None, None, None, impl)
    assert len(whole) > len(FRAMES)  # the cut frames are rows too
    batches = list(_chunked._iter(capture, rows, impl.default_core(), chunk, None, 2050, impl))
    assert_batches_equal(batches, whole, rows)


def test_sources_and_progress(tmp_path: Path) -> None:
    capture = _capture(FRAMES) * 3
    path = tmp_path / "capture.bin"
    path.write_bytes(capture)
    whole = amsparse.decode_batch(capture)
    seen: list[tuple[int, int | None]] = []
    for src in (str(path), path, bytearray(capture), memoryview(capture), open(path, "rb")):
        seen.clear()
        batches = list(amsparse.iter_batches(src, 100, chunk_bytes=4096, progress=lambda d, t: seen.append((d, t))))
        assert_batches_equal(batches, whole, 100)
        assert seen[-1] == (len(capture), len(capture))
        assert [d for d, _ in seen] == sorted(d for d, _ in seen)
        if hasattr(src, "close"):
            src.close()
    # a pipe-like object that cannot seek: total unknown
    seen.clear()
    batches = list(amsparse.iter_batches(Pieces(capture, list(range(999, len(capture), 999))), 64,
                                         progress=lambda d, t: seen.append((d, t))))
    assert_batches_equal(batches, whole, 64)
    assert seen[-1] == (len(capture), None)


def test_no_frames_and_bad_arguments() -> None:
    (only,) = list(amsparse.iter_batches(b"no frames here \x7e\x7e"))
    assert len(only) == 0 and only.bytes_discarded == 17
    with pytest.raises(ValueError):
        list(amsparse.iter_batches(b"", rows=0))
    with pytest.raises(TypeError, match="binary mode"):
        list(amsparse.iter_batches(io.StringIO("text")))
    with pytest.raises(TypeError, match="path, a binary file"):
        list(amsparse.iter_batches(12345))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        list(amsparse.iter_batches(b"x", profile="no-such-profile"))


def test_peak_memory_independent_of_capture_size(tmp_path: Path) -> None:
    """A capture 160 times the chunk size: the traced peak stays below a bound
    made of the chunk size and the batch rows, not the capture size, and a
    capture four times smaller peaks at about the same figure."""
    chunk, rows = 64 * 1024, 1000
    good = b"".join(f for f in FRAMES)
    path = tmp_path / "big.bin"
    with open(path, "wb") as f:
        while f.tell() < 160 * chunk:
            f.write(good)
    size = path.stat().st_size
    small_path = tmp_path / "small.bin"
    small_path.write_bytes(path.read_bytes()[: size // 4])
    list(amsparse.iter_batches(small_path, rows, chunk_bytes=chunk))  # warm imports and caches

    def peak(p: Path) -> tuple[int, int]:
        n = 0
        tracemalloc.start()
        try:
            for b in amsparse.iter_batches(p, rows, chunk_bytes=chunk):
                n += len(b)
                del b
            return tracemalloc.get_traced_memory()[1], n
        finally:
            tracemalloc.stop()

    big, nrows = peak(path)
    small, _ = peak(small_path)
    assert nrows > 30 * rows  # many batches went through
    # the chunk (held twice while the leftover is prepended, plus the bytes
    # object read), a batch being cut from the pending rows (two copies, at most
    # ~60 columns of 17 bytes a row), and the compiled writer's fixed workspace
    bound = 4 * chunk + 2 * rows * 60 * 17 + 4 * 1024 * 1024
    assert big < bound, (big, bound, size)
    assert big < size / 2, (big, size)
    assert big < 1.25 * small, (big, small)
