"""The pure-Python twin's table writer (``_decode_c.TableWriter``'s twin).

Fills one empty :class:`amsparse.FrameTable` through its row methods
(``_append_frame``, ``_append_error``): the same rows, in the same order, as
the compiled writer, which writes the columns in C.  ``decode_batch`` and
``iter_batches`` drive either writer the same way (amsparse._batch).
"""

from __future__ import annotations

from typing import Any, Callable

from ._decode_py import DecoderCore, _decode_one
from ._errors import DecodeError, as_decode_error
from ._hdlc_py import _decode_hdlc
from ._scan_py import scan

__all__ = ["TableWriter"]

#: reading columns a table may have unless told otherwise (amsparse._batch.MAX_COLUMNS)
from ._spec import MAX_COLUMNS as _MAX_COLUMNS


class TableWriter:
    """Fills one FrameTable (see the module docstring)."""

    __slots__ = ("_table", "_dc", "_keys", "_require_auth")

    def __init__(self, table: Any, decoder: DecoderCore, max_columns: int = _MAX_COLUMNS,
                 keys: Any = None, require_authentication: bool = False) -> None:
        if not isinstance(decoder, DecoderCore):
            raise TypeError(f"decoder must be a DecoderCore of the python backend, got {type(decoder).__name__}")
        if table._n or table.columns:
            raise ValueError("TableWriter needs an empty FrameTable")
        table._max_columns = max_columns
        self._table = table
        self._dc = decoder
        self._keys = keys
        self._require_auth = bool(require_authentication)

    @property
    def row_count(self) -> int:
        return int(self._table._n)

    @property
    def capacity(self) -> int:
        return int(self._table._n)  # the twin's columns grow as rows come

    def reserve(self, rows: int) -> None:
        """A no-op: the twin's columns grow as rows come."""

    def add_frame(self, f: Any) -> None:
        """A decoded frame's row (may refuse it: the column budget)."""
        self._table._append_frame(f)

    def add_error(self, e: DecodeError) -> None:
        """An error row."""
        self._table._append_error(e)

    def add_raw(self, data: bytes | bytearray | memoryview) -> None:
        """One frame given on its own (decode_batch over an iterable)."""
        try:
            self.add_frame(_decode_one(bytes(data), self._dc, self._keys, self._require_auth))
        except Exception as e:  # any failure is this frame's row, not the batch's end
            self.add_error(as_decode_error(e))

    def add_scan(self, buf: bytes, start: int, end: int, max_frame_size: int, shared: bool, final: bool,
                 reject_hdlc: Callable[[bytes, int], DecodeError]) -> tuple[int, bool, int]:
        """Scan ``buf[start:end]`` and add what the scanner finds; the scanner's
        ``(resume, shared, need)``."""
        if start < 0 or end > len(buf) or start > end:
            raise IndexError("scan range outside the buffer")
        table = self._table
        items, resume, shared, need = scan(buf, start, end, max_frame_size, shared, final)
        for kind, s, e, _aux in items:
            if kind == 0:
                table.bytes_discarded += e - s
            elif kind == 1:
                try:
                    self.add_frame(_decode_hdlc(buf[s:e], self._dc, self._keys, self._require_auth))
                except Exception as err:  # any failure is this frame's row, not the batch's end
                    self.add_error(as_decode_error(err))
            else:
                self.add_error(reject_hdlc(buf, s))
        return resume, shared, need

    def finish(self) -> Any:
        """Pad every column to the row count (the table is complete)."""
        return self._table._finish()
