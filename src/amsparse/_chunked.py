"""Bounded-memory batch decoding: a capture of any size -> FrameTables of ``rows`` rows.

:func:`iter_batches` reads a capture ``chunk_bytes`` at a time, scans and
decodes each chunk with the same windowed scan as :func:`amsparse.decode_batch`
(:func:`amsparse._batch._decode_window`), keeps only the bytes of a frame that
runs past the end of the chunk (at most ``max_frame_size``) and prepends them to
the next chunk, so a frame that straddles a chunk boundary is decoded once, and
the rows are those of ``decode_batch`` over the whole capture, in order.

Memory held at any time: one chunk (twice, briefly, while the leftover is
prepended), the decoded rows of one chunk and at most ``rows`` pending rows:
it depends on ``chunk_bytes`` and ``rows``, never on the capture size.
"""

from __future__ import annotations

import os
from array import array
from typing import Any, BinaryIO, Callable, Iterator, Union

from ._batch import (
    _CATEGORICAL,
    _P1_START,
    MISSING,
    RAW_MISSING,
    FrameTable,
    _decode_window,
    _P1Window,
    reading_columns,
)

__all__ = ["iter_batches", "ProgressCallback"]

#: ``progress(bytes_done, bytes_total)``; ``bytes_total`` is ``None`` when unknown
ProgressCallback = Callable[[int, Union[int, None]], Any]

BatchSource = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, BinaryIO]


def _reader(source: Any) -> tuple[Callable[[int], bytes], int | None, Callable[[], None]]:
    """-> (read(n), total bytes or None, close())."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        view = memoryview(source).cast("B")
        pos = 0

        def read_view(n: int) -> bytes:
            nonlocal pos
            out = view[pos : pos + n].tobytes()
            pos += len(out)
            return out

        return read_view, len(view), view.release
    if isinstance(source, (str, os.PathLike)):
        f = open(source, "rb")
        try:
            total: int | None = os.fstat(f.fileno()).st_size
        except OSError:  # pragma: no cover
            total = None
        return f.read, total, f.close
    read = getattr(source, "read", None)
    if read is None:
        raise TypeError(
            f"iter_batches needs a path, a binary file object or a bytes-like object, not {type(source).__name__}"
        )
    total = None
    try:
        if source.seekable():
            here = source.tell()
            total = source.seek(0, os.SEEK_END) - here
            source.seek(here)
    except (AttributeError, OSError, ValueError):
        total = None

    def read_file(n: int) -> bytes:
        data = read(n)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"the file object returned {type(data).__name__}, not bytes: open it in binary mode")
        return bytes(data)

    return read_file, total, lambda: None


def iter_batches(
    source: BatchSource,
    rows: int = 65536,
    *,
    profiles: Any = None,
    profile: Any = None,
    tz: str | None = None,
    chunk_bytes: int = 1 << 20,
    progress: ProgressCallback | None = None,
    max_frame_size: int = 2050,
    decoder: Any = None,
    keys: Any = None,
    require_authentication: bool = False,
) -> Iterator[FrameTable]:
    """Decode a capture of any size into :class:`~amsparse.FrameTable` batches
    of at most ``rows`` rows, reading ``chunk_bytes`` at a time.

    ``source`` is a path, a binary file object (read from its current
    position; not closed) or a bytes-like object.  ``profiles``, ``profile``
    and ``tz`` are those of :func:`~amsparse.decode_batch`.  The batches, in
    order, hold exactly the rows ``decode_batch`` gives for the whole capture
    (every batch but the last has ``rows`` rows; a batch's columns are the
    readings that occur in it).  ``bytes_discarded`` of a batch counts the
    noise skipped since the previous batch; their sum is ``decode_batch``'s
    (a last, empty batch carries noise after the last frame, and a capture
    without any frame gives one empty batch).

    ``progress(bytes_done, bytes_total)`` is called after each chunk
    (``bytes_total`` is ``None`` for a file object that cannot seek).

    ``keys`` and ``require_authentication`` apply to ciphered HDLC frames
    as in :func:`~amsparse.decode_batch` (docs/security.md).
    """
    if rows < 1:
        raise ValueError("rows must be at least 1")
    if chunk_bytes < 1:
        raise ValueError("chunk_bytes must be at least 1")
    if max_frame_size < 9:
        raise ValueError("max_frame_size must be at least 9")
    from ._decoder import core_for
    from ._select import impl

    # options checked now (an unknown profile id fails here, not on every frame)
    dc = core_for(impl, profiles, profile, tz, keys, require_authentication, decoder)
    return _iter(source, rows, dc, chunk_bytes, progress, max_frame_size, impl)


def _iter(
    source: Any, rows: int, dc: Any, chunk_bytes: int,
    progress: ProgressCallback | None, max_frame_size: int, impl: Any,
) -> Iterator[FrameTable]:
    schema = tuple(reading_columns(dc.profiles, dc.profile))
    read, total, close = _reader(source)
    p1: _P1Window | None = None  # once a P1 telegram may start: the stream path, to the end
    try:
        tail = b""
        shared = False
        done = 0
        ahead = b""  # the next 3 bytes, read ahead: a telegram's "/XXX" may straddle chunks
        pending: list[tuple[FrameTable, int, int]] = []  # (table, first row, stop row)
        npending = 0
        discarded = 0
        yielded = False
        while True:
            data = ahead + read(chunk_bytes) if ahead else read(chunk_bytes)
            ahead = read(3) if data else b""
            final = not data
            buf = tail + data if tail else data
            if p1 is None and (impl.p1_start(buf) >= 0 or _P1_START.search(buf[-3:] + ahead) is not None
                               or (dc.keys is not None and b"\xdb\x08" in buf + ahead[:1])):
                # as decode_batch: telegrams (or, with keys, ciphered ones) in the capture
                p1 = _P1Window(dc, impl)
            if p1 is not None:
                table, resume, shared = p1.window(buf, 0, len(buf), shared, final, max_frame_size)
            else:
                table, resume, shared = _decode_window(
                    buf, 0, len(buf), shared, final, None, None, None, impl, max_frame_size, decoder=dc
                )
            tail = buf[resume:]
            done += len(data)
            del buf, data
            discarded += table.bytes_discarded
            if len(table):
                pending.append((table, 0, len(table)))
                npending += len(table)
            del table
            while npending >= rows:  # cut full batches
                take: list[tuple[FrameTable, int, int]] = []
                need = rows
                while need:
                    t, a, b = pending[0]
                    k = min(need, b - a)
                    take.append((t, a, a + k))
                    need -= k
                    if a + k == b:
                        pending.pop(0)
                    else:
                        pending[0] = (t, a + k, b)
                npending -= rows
                batch = _concat(take)
                batch.bytes_discarded, discarded = discarded, 0
                del take
                yielded = True
                yield batch
            if progress is not None:
                progress(done, total)
            if final:
                if npending or discarded or not yielded:
                    batch = _concat(pending)
                    batch._schema = schema  # also for an empty last batch
                    batch.bytes_discarded = discarded
                    pending.clear()
                    yield batch
                return
    finally:
        close()


class _Sec:
    """What FrameTable._security_at reads of a Frame.security."""

    __slots__ = ("system_title", "invocation_counter")

    def __init__(self, system_title: bytes, invocation_counter: int) -> None:
        self.system_title, self.invocation_counter = system_title, invocation_counter


def _concat(parts: list[tuple[FrameTable, int, int]]) -> FrameTable:
    """Rows ``[a, b)`` of each table, one after the other, as a new FrameTable
    (a single whole table is returned as it is).  Columns in order of first
    appearance, categories in order of first use, as decode_batch builds them."""
    if len(parts) == 1:
        t, a, b = parts[0]
        if a == 0 and b == len(t):
            return t
    out = FrameTable()
    names: dict[str, None] = {}
    for t, a, b in parts:
        if b > a:
            for name in t.columns:
                names.setdefault(name)
    n = sum(b - a for _, a, b in parts)
    for name in names:
        col, raw, sc = array("d"), array("q"), array("b")
        for t, a, b in parts:
            if name in t.columns:
                col.extend(t.columns[name][a:b])
                raw.extend(t.raw[name][a:b])
                sc.extend(t.scalers[name][a:b])
            else:
                col.extend(array("d", [MISSING]) * (b - a))
                raw.extend(array("q", [RAW_MISSING]) * (b - a))
                sc.extend(array("b", [0]) * (b - a))
        out.columns[name], out.raw[name], out.scalers[name] = col, raw, sc
    offset = 0
    out._schema = parts[0][0]._schema if parts else ()
    timed = any(len(t._receive) for t, a, b in parts)
    ciphered = any(len(t._ic) for t, a, b in parts)
    for t, a, b in parts:
        if timed:
            out._receive.extend(t.receive_time[a:b])
        if ciphered:
            titles = t.system_title[a:b]
            for i, ic in enumerate(t.invocation_counter[a:b]):
                if ic is not None:
                    out._security_at(offset + i, _Sec(bytes.fromhex(titles[i] or ""), ic))
        out.header_time.extend(t.header_time[a:b])
        out.meter_time.extend(t.meter_time[a:b])
        out.status.extend(t.status[a:b])
        for row, msg in t.errors.items():
            if a <= row < b:
                out.errors[row - a + offset] = msg
        for key in _CATEGORICAL:
            cats = t.categories[key]
            trans = [-2] * len(cats)
            codes = out.codes[key]
            for c in t.codes[key][a:b]:
                if c >= 0:
                    m = trans[c]
                    if m == -2:
                        m = trans[c] = out._code(key, cats[c])
                    codes.append(m)
                else:
                    codes.append(-1)
        offset += b - a
    out._n = n
    if timed:
        out.receive_time  # noqa: B018 - pads it to n rows
    out.bytes_discarded = sum(t.bytes_discarded for t, a, b in parts if a == 0)
    return out
