"""Columnar batch decoding: a whole capture -> one :class:`FrameTable`.

``decode_batch(source)`` finds the HDLC frames in a capture buffer (the stream
scanner of :mod:`amsparse._stream`, so noise between frames is skipped exactly
as :class:`~amsparse.StreamDecoder` skips it) or takes an iterable of single
frames, decodes each one with the selected backend's ``decode_frame`` and
appends its readings to typed columns (``array.array``: buffer protocol, no
numpy needed).  One row per frame candidate; a frame that does not decode gets
a non-zero :attr:`FrameTable.status` and its message in
:attr:`FrameTable.errors` instead of raising.

Columns:

* ``columns[name]``: ``array('d')`` of scaled values (NaN where a row lacks the
  reading or the reading is not a number); ``raw[name]`` (``array('q')``, the
  integer as sent, :data:`RAW_MISSING` where absent or not an integer) and
  ``scalers[name]`` (``array('b')``, the power of ten applied) beside it;
* ``header_time`` / ``meter_time``: ``array('q')`` of **UTC epoch
  microseconds**, :data:`NAT` (``-2**63``, numpy's NaT) where the frame has no
  such clock or it is not representable;
* ``profile_id``, ``list_name``, ``list_version``, ``meter_id``,
  ``meter_type``: categorical, ``codes[key]`` (``array('i')``, -1 for ``None``)
  into ``categories[key]`` (a list); ``table.meter_id`` etc. give plain lists;
* ``status`` (``array('b')``): a :class:`Status` code, 0 (``Status.DECODED``) for a decoded row;
  ``errors``: ``{row: "ExceptionType: message"}`` for the rejected rows.

Segmented HDLC frames are not reassembled here (a row with
``SegmentedFrameError`` status each); use :class:`~amsparse.StreamDecoder` for
meters that segment their pushes.
"""

from __future__ import annotations

import datetime as _dt
import enum
import math
import os
import re
from array import array
from typing import Any, BinaryIO, Iterable, Union

from ._errors import (
    ApduError,
    ChecksumError,
    DecodeError,
    FrameError,
    IncompleteFrameError,
    ProfileMismatchError,
    SegmentedFrameError,
    UnexpectedError,
    UnsupportedApduError,
    as_decode_error,
)

__all__ = ["ERROR_CODES", "NAT", "RAW_MISSING", "FrameTable", "Status", "decode_batch"]

#: "not a time" in the int64 time columns (numpy's NaT)
NAT = -(2**63)
#: "no integer" in the raw columns
RAW_MISSING = -(2**63)

#: status code -> exception type name (0 is "decoded")
class Status(enum.IntEnum):
    """A row's outcome in :attr:`FrameTable.status`: 0 decoded, else the kind of
    error (the exception type's family; the message is in :attr:`FrameTable.errors`)."""

    DECODED = 0
    CHECKSUM_ERROR = 1        #: ChecksumError (HCS, FCS, M-Bus CS, P1 CRC)
    FRAME_ERROR = 2           #: FrameError (flags, format, length, addresses)
    INCOMPLETE_FRAME = 3      #: IncompleteFrameError (cut off)
    APDU_ERROR = 4            #: ApduError (LLC, APDU, A-XDR; DecryptionError, BlockTransferError)
    UNSUPPORTED_APDU = 5      #: UnsupportedApduError (incl. KeyRequiredError)
    SEGMENTED_FRAME = 6       #: SegmentedFrameError
    PROFILE_MISMATCH = 7      #: ProfileMismatchError
    DECODE_ERROR = 8          #: any other DecodeError (TelegramError, the column budget...)
    UNEXPECTED_ERROR = 9      #: UnexpectedError (a non-DecodeError from one frame)


#: status code -> exception type name (0 is "decoded"); kept for existing users of the
#: codes, :class:`Status` is the public form
ERROR_CODES = {
    1: "ChecksumError",
    2: "FrameError",
    3: "IncompleteFrameError",
    4: "ApduError",
    5: "UnsupportedApduError",
    6: "SegmentedFrameError",
    7: "ProfileMismatchError",
    8: "DecodeError",
    9: "UnexpectedError",
}
# most specific first (subclasses before their bases)
_CODE_OF: list[tuple[type, int]] = [
    (ChecksumError, 1),
    (IncompleteFrameError, 3),
    (SegmentedFrameError, 6),
    (UnsupportedApduError, 5),
    (ProfileMismatchError, 7),
    (UnexpectedError, 9),
    (FrameError, 2),
    (ApduError, 4),
    (DecodeError, 8),
]

_CATEGORICAL = ("profile_id", "list_name", "list_version", "meter_id", "meter_type")
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_US = _dt.timedelta(microseconds=1)
_NAN = math.nan
_I64_MIN = -(2**63)
_I64_MAX = 2**63 - 1

#: bytes scanned per step of a capture (bounds the scanner's transient item list)
_CHUNK = 1 << 20

#: default bound on the reading columns of one table.  Memory is rows x columns
#: (every row has a cell in every column), so a capture that names thousands of
#: OBIS codes once and then sends many rows would otherwise need gigabytes; a
#: frame that would add columns beyond the bound becomes an error row instead.
MAX_COLUMNS = 256

Source = Union[bytes, bytearray, memoryview, "os.PathLike[str]", str, BinaryIO, Iterable[bytes]]


def epoch_us(t: _dt.datetime | None) -> int:
    """Aware datetime -> UTC epoch microseconds (:data:`NAT` for ``None``)."""
    if t is None:
        return NAT
    return (t - _EPOCH) // _US


def _error_code(e: DecodeError) -> int:
    for cls, code in _CODE_OF:
        if isinstance(e, cls):
            return code
    return 8  # pragma: no cover


class FrameTable:
    """Columnar result of :func:`decode_batch` (see the module docs)."""

    __slots__ = (
        "columns", "raw", "scalers", "codes", "categories", "_cat_index",
        "header_time", "meter_time", "status", "errors", "bytes_discarded", "_n", "_max_columns",
    )

    def __init__(self) -> None:
        self.columns: dict[str, array] = {}
        self.raw: dict[str, array] = {}
        self.scalers: dict[str, array] = {}
        self.codes: dict[str, array] = {k: array("i") for k in _CATEGORICAL}
        self.categories: dict[str, list[str]] = {k: [] for k in _CATEGORICAL}
        self._cat_index: dict[str, dict[str, int]] = {k: {} for k in _CATEGORICAL}
        self.header_time = array("q")
        self.meter_time = array("q")
        self.status = array("b")
        self.errors: dict[int, str] = {}
        self.bytes_discarded = 0
        self._n = 0
        self._max_columns = MAX_COLUMNS

    # -- building ----------------------------------------------------------------
    # Reading columns are padded lazily (as the compiled writer does): a row
    # costs what its own readings cost, not one write per column; _finish()
    # pads every column to the row count.
    def _new_column(self, name: str) -> None:
        self.columns[name] = array("d")
        self.raw[name] = array("q")
        self.scalers[name] = array("b")

    def _pad(self, name: str, n: int) -> None:
        col = self.columns[name]
        k = n - len(col)
        if k > 0:
            col.extend(array("d", [_NAN]) * k)
            self.raw[name].extend(array("q", [RAW_MISSING]) * k)
            self.scalers[name].extend(array("b", [0]) * k)

    def _finish(self) -> "FrameTable":
        for name in self.columns:
            self._pad(name, self._n)
        return self

    def _budget(self, f: Any) -> None:
        new = {name for name, value in zip(f._names, f._values)
               if (type(value) is int or type(value) is float) and name not in self.columns}
        if new and len(self.columns) + len(new) > self._max_columns:
            raise DecodeError(
                f"frame would add {len(new)} reading column(s) to the {len(self.columns)} the table has, "
                f"beyond max_columns={self._max_columns}", None)

    def _code(self, key: str, value: str | None) -> int:
        if value is None:
            return -1
        index = self._cat_index[key]
        code = index.get(value)
        if code is None:
            code = index[value] = len(self.categories[key])
            self.categories[key].append(value)
        return code

    def _append_error(self, e: DecodeError) -> None:
        row = self._n
        self.errors[row] = f"{type(e).__name__}: {e}"
        self.status.append(_error_code(e))
        for key in _CATEGORICAL:
            self.codes[key].append(-1)
        self.header_time.append(NAT)
        self.meter_time.append(NAT)
        self._n = row + 1

    def _append_frame(self, f: Any) -> None:
        # Frame internals are read directly: no Reading objects are built
        self._budget(f)  # may raise: before anything of the row is written
        self.status.append(0)
        codes = self.codes
        codes["profile_id"].append(self._code("profile_id", f.profile_id))
        codes["list_name"].append(self._code("list_name", f.list_name))
        codes["list_version"].append(self._code("list_version", f.list_version))
        codes["meter_id"].append(self._code("meter_id", f.meter_id))
        codes["meter_type"].append(self._code("meter_type", f.meter_type))
        self.header_time.append(epoch_us(f.header_time))
        self.meter_time.append(epoch_us(f.meter_time))
        columns = self.columns
        row = self._n
        for name, raw, scaler, value in zip(f._names, f._raws, f._scalers, f._values):
            t = type(value)
            if t is not int and t is not float:
                continue  # text, bytes, clocks, bool: not a numeric column
            col = columns.get(name)
            if col is None:
                self._new_column(name)
                col = columns[name]
            elif len(col) > row:
                continue  # a name twice in one frame: the first one wins
            if len(col) < row:
                self._pad(name, row)
            col.append(value)
            self.raw[name].append(raw if type(raw) is int and _I64_MIN <= raw <= _I64_MAX else RAW_MISSING)
            self.scalers[name].append(scaler if -128 <= scaler <= 127 else 0)
        self._n = row + 1

    # -- access ------------------------------------------------------------------
    def __len__(self) -> int:
        return self._n

    @property
    def names(self) -> list[str]:
        """The reading columns, in order of first appearance."""
        return list(self.columns)

    def __getitem__(self, name: str) -> Any:
        if name in self.columns:
            return self.columns[name]
        if name in _CATEGORICAL:
            return self.category(name)
        if name in ("header_time", "meter_time", "status"):
            return getattr(self, name)
        raise KeyError(name)

    def category(self, key: str) -> list[str | None]:
        """A categorical column (``profile_id``, ``list_name``, ``list_version``,
        ``meter_id``, ``meter_type``) as a plain list (``None`` where absent)."""
        cats = self.categories[key]
        return [None if c < 0 else cats[c] for c in self.codes[key]]

    @property
    def rows(self) -> int:
        """Rows in the table: one per frame candidate (``len(table)``)."""
        return self._n

    @property
    def decoded(self) -> int:
        """Rows whose frame decoded (status ``Status.DECODED``)."""
        return self._n - self.rejected

    @property
    def rejected(self) -> int:
        """Rows whose frame was rejected (any other status; see :attr:`errors`)."""
        return sum(1 for st in self.status if st)

    @property
    def profile_id(self) -> list[str | None]:
        return self.category("profile_id")

    @property
    def list_name(self) -> list[str | None]:
        return self.category("list_name")

    @property
    def list_version(self) -> list[str | None]:
        return self.category("list_version")

    @property
    def meter_id(self) -> list[str | None]:
        return self.category("meter_id")

    @property
    def meter_type(self) -> list[str | None]:
        return self.category("meter_type")

    def __repr__(self) -> str:
        return f"<FrameTable rows={self._n} columns={len(self.columns)} rejected={self.rejected}>"

    # -- conversions (lazy optional imports, numeric data not copied) -------------
    def to_numpy(self) -> dict[str, Any]:
        """``{column: ndarray}`` sharing memory with the columns (times as
        ``datetime64[us]``, UTC; categorical columns as object arrays)."""
        np = _need("numpy", "numpy")
        out: dict[str, Any] = {}
        for key in _CATEGORICAL:
            out[key] = np.array(self.category(key), dtype=object)
        out["header_time"] = np.frombuffer(self.header_time, dtype=np.int64).view("datetime64[us]")
        out["meter_time"] = np.frombuffer(self.meter_time, dtype=np.int64).view("datetime64[us]")
        out["status"] = np.frombuffer(self.status, dtype=np.int8)
        for name, col in self.columns.items():
            out[name] = np.frombuffer(col, dtype=np.float64)
        return out

    def to_arrow(self) -> Any:
        """A ``pyarrow.Table``; numeric buffers are wrapped, not copied (times
        ``timestamp[us, tz=UTC]`` with nulls for NaT, categoricals dictionary-encoded)."""
        pa = _need("pyarrow", "arrow")
        n = self._n
        arrays: dict[str, Any] = {}
        for key in _CATEGORICAL:
            codes = pa.Array.from_buffers(pa.int32(), n, [_validity(pa, self.codes[key], -1), pa.py_buffer(self.codes[key])])
            arrays[key] = pa.DictionaryArray.from_arrays(codes, pa.array(self.categories[key], pa.string()))
        ts = pa.timestamp("us", tz="UTC")
        for key in ("header_time", "meter_time"):
            col = getattr(self, key)
            arrays[key] = pa.Array.from_buffers(ts, n, [_validity(pa, col, NAT), pa.py_buffer(col)])
        arrays["status"] = pa.Array.from_buffers(pa.int8(), n, [None, pa.py_buffer(self.status)])
        for name, col in self.columns.items():
            arrays[name] = pa.Array.from_buffers(pa.float64(), n, [None, pa.py_buffer(col)])
        return pa.table(arrays)

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` built from :meth:`to_numpy` (times tz-aware UTC)."""
        pd = _need("pandas", "pandas")
        cols = self.to_numpy()
        data: dict[str, Any] = {}
        for key, arr in cols.items():
            if key in ("header_time", "meter_time"):
                data[key] = pd.Series(arr, copy=False).dt.tz_localize("UTC")
            elif key in _CATEGORICAL:
                data[key] = pd.Categorical(arr.tolist())
            else:
                data[key] = arr
        return pd.DataFrame(data, copy=False)

    def to_polars(self) -> Any:
        """A ``polars.DataFrame`` (through Arrow when pyarrow is installed, else numpy)."""
        pl = _need("polars", "polars")
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            cols = self.to_numpy()
            return pl.DataFrame({k: (v.tolist() if v.dtype == object else v) for k, v in cols.items()})
        return pl.from_arrow(self.to_arrow())


def _validity(pa: Any, col: array, missing: int) -> Any:
    if missing not in col:
        return None
    bits = bytearray((len(col) + 7) // 8)
    for i, v in enumerate(col):
        if v != missing:
            bits[i >> 3] |= 1 << (i & 7)
    return pa.py_buffer(bytes(bits))


def _need(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"this conversion needs {module}: pip install 'amsparse[{extra}]'"
        ) from None


# --------------------------------------------------------------------------- decoding

def _decoder_kw(profile: Any, tz: str | None, keys: Any = None, require_authentication: bool = False,
                ) -> dict[str, Any]:
    """The keyword arguments given on to ``decode_frame``: only those set."""
    kw: dict[str, Any] = {}
    if profile is not None:
        kw["profile"] = profile
    if tz is not None:
        kw["tz"] = tz
    if keys is not None:
        kw["keys"] = keys
    if require_authentication:
        kw["require_authentication"] = True
    return kw


def _decode_batch(
    source: Source, profiles: Any, profile: Any, tz: str | None, impl: Any,
    max_frame_size: int = 2050, max_columns: int = MAX_COLUMNS, keys: Any = None,
    require_authentication: bool = False, threads: int = 1, pipeline: bool = True,
) -> FrameTable:
    from ._options import check_size, prepare
    from ._stream import HdlcErrors, _scan

    # every option is checked first, whatever the backend and the input (amsparse._options)
    ps, _ = prepare(profiles, profile, tz)
    stats = getattr(impl, "PARALLEL_STATS", None)
    if stats is not None:
        stats.clear()
    max_frame_size = check_size("max_frame_size", max_frame_size, 9)
    max_columns = check_size("max_columns", max_columns, 0)
    kw = _decoder_kw(profile, tz, keys, require_authentication)
    decode = impl.decode_frame
    table = FrameTable()
    table._max_columns = max_columns
    append, reject = table._append_frame, table._append_error
    # the compiled core fills the columns itself (amsparse._decode_c.TableWriter)
    writer_cls = getattr(impl, "TableWriter", None)
    writer = (writer_cls(table, profiles, profile, tz, max_columns, keys, require_authentication)
              if writer_cls is not None else None)
    if isinstance(source, (bytes, bytearray, memoryview)):
        buf = bytes(source) if not isinstance(source, bytes) else source
        p1_start = getattr(impl, "p1_start", None)  # the same test in C (the regex cost about the FCS floor)
        if ((p1_start(buf) >= 0 if p1_start is not None else _P1_START.search(buf) is not None)
                or (keys is not None and b"\xdb\x08" in buf)):
            # P1 telegrams (or, with keys, ciphered ones) in the capture: the stream path
            return _decode_stream(buf, ps, profile, tz, max_frame_size, writer, table, impl,
                                  keys, require_authentication)
        # scan a window at a time: the scanner's item list stays small
        pos, shared, n = 0, False, len(buf)
        _hdlc_error = HdlcErrors()  # rejects cost a bounded FCS each (issue 11, F6)
        while True:
            stop_at = min(n, pos + max(_CHUNK, 2 * max_frame_size))
            final = stop_at == n
            if writer is not None:  # scans and decodes in one pass
                first = pos == 0
                pos, shared, _need_ = writer.add_scan(buf, pos, stop_at, max_frame_size, shared, final, _hdlc_error)
                if first and not final and pos:  # size the columns for the whole capture once
                    writer.reserve(writer.row_count * n // pos + writer.row_count // 16 + 64)
                    if pipeline and hasattr(impl, "decode_parallel"):
                        # the first window built the templates: the rest in segments, each
                        # scanned, then decoded without the GIL (on `threads` threads)
                        _decode_parallel(writer, buf, pos, shared, max_frame_size, threads, _hdlc_error, impl)
                        return writer.finish()
            else:
                items, pos, shared, _need_ = _scan(buf, pos, stop_at, max_frame_size, shared, final)
                for kind, start, stop, _aux in items:
                    if kind == 0:
                        table.bytes_discarded += stop - start
                    elif kind == 1:
                        try:
                            frame = decode(buf[start:stop], ps, **kw)
                            append(frame)
                        except Exception as e:  # any failure is this frame's row, not the batch's end
                            reject(as_decode_error(e))
                    else:
                        reject(_hdlc_error(buf, start))
            if final:
                return writer.finish() if writer is not None else table._finish()
    decode_telegram = _p1_for(impl).decode_telegram
    p1_kw: dict[str, Any] = {"tz": tz} if tz is not None else {}
    if keys is not None:  # ciphered telegrams (DB ...): docs/p1.md
        p1_kw["keys"] = keys
    if require_authentication:
        p1_kw["require_authentication"] = True
    if writer is not None:
        add = writer.add_raw
        for raw in source:
            if raw[:1] in _P1_FIRST:  # a P1 telegram, or a ciphered one
                try:
                    writer.add_frame(decode_telegram(raw, **p1_kw))
                except Exception as e:  # any failure is this telegram's row
                    writer.add_error(as_decode_error(e))
                continue
            add(raw)
        return writer.finish()
    for raw in source:
        try:
            frame = decode_telegram(raw, **p1_kw) if raw[:1] in _P1_FIRST else decode(raw, ps, **kw)
            append(frame)
        except Exception as e:  # any failure is this frame's row, not the batch's end
            reject(as_decode_error(e))
    return table._finish()


#: the compiled batch path after the first window: segments of this many bytes
#: per thread, each scanned into items, decoded without the GIL, then the rows
#: left to the serial pass; a segment runs threads only with at least
#: _PARALLEL_MIN bytes per thread
_SEGMENT = 4 << 20
_PARALLEL_MIN = 256 * 1024


def _decode_parallel(writer: Any, buf: bytes, pos: int, shared: bool, max_frame_size: int,
                     threads: int, reject: Any, impl: Any) -> None:
    """``buf[pos:]`` into ``writer`` with the compiled core's
    ``decode_parallel`` (GIL released; ``threads`` threads): the rows the
    writer's ``add_scan`` gives."""
    from concurrent.futures import ThreadPoolExecutor

    n = len(buf)
    pool = (ThreadPoolExecutor(max_workers=threads - 1, thread_name_prefix="amsparse-batch")
            if threads > 1 and n - pos >= _PARALLEL_MIN * threads else None)
    try:
        while True:
            end = min(n, pos + _SEGMENT * threads)
            final = end == n
            k = threads if pool is not None and end - pos >= _PARALLEL_MIN * threads else 1
            pos, shared = impl.decode_parallel(writer, buf, pos, end, max_frame_size, shared, final, k,
                                               reject, pool)
            if final:
                return
    finally:
        if pool is not None:
            pool.shutdown()


def _check_threads(threads: Any) -> int:
    if isinstance(threads, bool) or not isinstance(threads, int):
        raise TypeError(f"threads must be a positive int, not {type(threads).__name__}")
    if threads < 1:
        raise ValueError(f"threads must be a positive int, not {threads}")
    return threads


_P1_START = re.compile(rb"/[A-Za-z]{3}")
#: first byte of an item of an iterable that goes to decode_telegram: '/' or a
#: general-glo-ciphering frame (a ciphered telegram; decode_frame takes none)
_P1_FIRST = (b"/", b"\xdb")


def _decode_stream(buf: bytes, ps: Any, profile: Any, tz: str | None, max_frame_size: int,
                   writer: Any, table: FrameTable, impl: Any, keys: Any = None,
                   require_authentication: bool = False) -> FrameTable:
    """A capture with P1 telegrams: the scanning path of _decode_batch, with the
    bytes the HDLC scanner skips handed to the stream's TelegramHunter (so
    telegrams are found exactly as StreamDecoder finds them; HDLC frames are
    still decoded one by one, as in the path without telegrams)."""
    from ._p1_stream import TelegramHunter
    from ._stream import HdlcErrors, _scan

    p1 = _p1_for(impl)
    kw = _decoder_kw(profile, tz, keys, require_authentication)
    discarded = [0]
    if writer is not None:
        add_frame, add_error, add_raw = writer.add_frame, writer.add_error, writer.add_raw
    else:
        add_frame, add_error = table._append_frame, table._append_error

        def add_raw(raw: bytes) -> None:
            try:
                add_frame(impl.decode_frame(raw, ps, **kw))
            except Exception as e:  # any failure is this frame's row, not the batch's end
                add_error(as_decode_error(e))

    def count(_events: Any, data: bytes) -> None:
        discarded[0] += len(data)

    hunter = TelegramHunter(
        16384, lambda raw: p1.decode_telegram(raw, tz=tz, keys=keys, require_authentication=require_authentication),
        lambda _e, frame, _raw: add_frame(frame), lambda _e, _raw, err: add_error(err), count,
        ciphered=keys is not None,
    )
    none: list[Any] = []
    pos, shared, n = 0, False, len(buf)
    _hdlc_error = HdlcErrors()
    while True:
        stop_at = min(n, pos + max(_CHUNK, 2 * max_frame_size))
        final = stop_at == n
        items, pos, shared, _need_ = _scan(buf, pos, stop_at, max_frame_size, shared, final)
        for kind, start, stop, _aux in items:
            if kind == 0:
                hunter.feed(none, buf[start:stop])
                continue
            hunter.interrupt(none)
            if kind == 1:
                add_raw(buf[start:stop])
            else:
                add_error(_hdlc_error(buf, start))
        if final:
            hunter.flush(none)
            break
    table = writer.finish() if writer is not None else table._finish()
    table.bytes_discarded += discarded[0]
    return table


def _p1_for(impl: Any) -> Any:
    """The P1 decoder twin that goes with the DLMS backend ``impl``."""
    if getattr(impl, "BACKEND", None) == "python":
        from . import _p1_py

        return _p1_py
    from ._select import p1_impl

    return p1_impl


def decode_batch(
    source: Source,
    profiles: Any = None,
    *,
    profile: Any = None,
    tz: str | None = None,
    max_frame_size: int = 2050,
    max_columns: int = MAX_COLUMNS,
    keys: Any = None,
    require_authentication: bool = False,
    threads: int = 1,
) -> FrameTable:
    """Decode a whole capture (or an iterable of single frames) into a
    :class:`FrameTable`; rejected frames become rows with a status, not
    exceptions.  Uses the compiled core when it is available.

    ``source`` is a capture as ``bytes`` or any buffer (``bytearray``,
    ``memoryview``, ``mmap``, a numpy ``uint8`` array), a path (``str`` or
    ``os.PathLike``), a binary file object (read to its end), or an iterable
    of single frames as bytes.  Anything else -- a text-mode file, hex
    strings, a number -- is a ``TypeError``.  For captures larger than memory
    use :func:`amsparse.iter_batches`.

    ``max_columns`` bounds the reading columns (memory is rows x columns): a
    frame that would add columns beyond it becomes an error row
    (``DecodeError``, status 8).  ``keys`` and ``require_authentication``
    apply to ciphered HDLC frames as in :func:`amsparse.decode_frame`
    (docs/security.md).

    ``threads`` (a positive int, default 1) decodes one large capture buffer
    on that many threads with the GIL released (compiled core; the table is
    the same, row for row, as with ``threads=1``).  The pure-Python backend,
    iterables of frames, captures with P1 telegrams or ciphered frames with
    ``keys``, and captures under about 1 MiB + 256 KiB per thread are decoded
    on the calling thread (docs/performance.md)."""
    from ._select import impl

    threads = _check_threads(threads)
    return _decode_batch(_capture_source(source), profiles, profile, tz, impl, max_frame_size,
                         max_columns, keys=keys, require_authentication=require_authentication,
                         threads=threads if hasattr(impl, "decode_parallel") else 1)


_ACCEPTED = ("bytes-like objects and other buffers (bytearray, memoryview, mmap, numpy arrays), "
             "binary file objects, str or os.PathLike paths, or an iterable of single frames as bytes")


def _capture_source(source: Any) -> Any:
    """What :func:`decode_batch` accepts, as a capture buffer (``bytes``) or an
    iterable of frames.  A path is read, a binary file object is read to its
    end in chunks, any object with the buffer protocol is taken as its bytes;
    a text-mode file, a ``str`` frame or anything else is a ``TypeError``
    (never a table of rejected rows)."""
    import io

    if isinstance(source, bytes):
        return source
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            return fh.read()
    if isinstance(source, io.TextIOBase):
        raise TypeError("decode_batch needs a binary file: open the capture with open(path, 'rb')")
    try:
        view = memoryview(source)
    except TypeError:
        pass
    else:
        with view:
            if view.ndim != 1 or view.itemsize != 1:
                view = view.cast("B") if view.c_contiguous else memoryview(view.tobytes())
            return view.tobytes()
    read = getattr(source, "read", None)
    if read is not None:
        chunks = []
        while True:
            data = read(1 << 20)
            if not data:
                break
            if not isinstance(data, (bytes, bytearray, memoryview)):
                raise TypeError(
                    f"the file object returned {type(data).__name__}, not bytes: open it in binary mode"
                )
            chunks.append(bytes(data))
        return b"".join(chunks)
    if isinstance(source, Iterable):
        return _frames_only(source)
    raise TypeError(f"decode_batch takes {_ACCEPTED}; not {type(source).__name__}")


def _frames_only(frames: Iterable[Any]) -> Iterable[bytes]:
    for f in frames:
        if isinstance(f, bytes):
            yield f
        elif isinstance(f, (bytearray, memoryview)):
            yield bytes(f)
        else:
            raise TypeError(
                f"decode_batch's iterable must hold frames as bytes, not {type(f).__name__} "
                "(hex text: bytes.fromhex(line))"
            )


class _P1Window:
    """The stream path of :func:`_decode_stream` one window at a time, for
    :mod:`amsparse._chunked`: HDLC frames as ``decode_batch`` decodes them in a
    capture with P1 telegrams, the bytes the HDLC scanner skips fed to one
    TelegramHunter that lives across windows (a telegram that straddles a
    window boundary is decoded once, when it is complete)."""

    def __init__(self, profiles: Any, profile: Any, tz: str | None, impl: Any, keys: Any = None,
                 require_authentication: bool = False) -> None:
        from ._p1_stream import TelegramHunter
        from ._stream import HdlcErrors

        p1 = _p1_for(impl)
        self.impl, self.profiles, self.profile, self.tz = impl, profiles, profile, tz
        self.keys, self.require_authentication = keys, require_authentication
        self._hdlc_error = HdlcErrors()
        self._add_frame: Any = None
        self._add_error: Any = None
        self._discarded = 0

        def count(_events: Any, data: bytes) -> None:
            self._discarded += len(data)

        self.hunter = TelegramHunter(
            16384, lambda raw: p1.decode_telegram(raw, tz=tz, keys=keys, require_authentication=require_authentication),
            lambda _e, frame, _raw: self._add_frame(frame), lambda _e, _raw, err: self._add_error(err), count,
            ciphered=keys is not None,
        )

    def window(self, buf: bytes, start: int, end: int, shared: bool, final: bool,
               max_frame_size: int = 2050) -> tuple[FrameTable, int, bool]:
        """Like :func:`_decode_window` (same arguments and result)."""
        from ._stream import _scan

        table = FrameTable()
        writer_cls = getattr(self.impl, "TableWriter", None)
        writer = None
        if writer_cls is not None:
            writer = writer_cls(table, self.profiles, self.profile, self.tz, MAX_COLUMNS, self.keys,
                                self.require_authentication)
            self._add_frame, self._add_error, add_raw = writer.add_frame, writer.add_error, writer.add_raw
        else:
            from ._profiles import builtin_profiles

            ps = builtin_profiles() if self.profiles is None else self.profiles
            kw = _decoder_kw(self.profile, self.tz, self.keys, self.require_authentication)
            self._add_frame, self._add_error = table._append_frame, table._append_error

            def add_raw(raw: bytes) -> None:
                try:
                    table._append_frame(self.impl.decode_frame(raw, ps, **kw))
                except Exception as e:  # any failure is this frame's row
                    table._append_error(as_decode_error(e))

        none: list[Any] = []
        self._discarded = 0
        items, resume, shared, _need = _scan(buf, start, end, max_frame_size, shared, final)
        for kind, s, e, _aux in items:
            if kind == 0:
                self.hunter.feed(none, buf[s:e])
                continue
            self.hunter.interrupt(none)
            if kind == 1:
                add_raw(buf[s:e])
            else:
                self._add_error(self._hdlc_error(buf, s))
        if final:
            self.hunter.flush(none)
        table = writer.finish() if writer is not None else table._finish()
        table.bytes_discarded += self._discarded
        return table, resume, bool(shared)


def _decode_window(
    buf: bytes, start: int, end: int, shared: bool, final: bool,
    profiles: Any, profile: Any, tz: str | None, impl: Any, max_frame_size: int = 2050,
    keys: Any = None, require_authentication: bool = False,
) -> tuple[FrameTable, int, bool]:
    """Scan and decode ``buf[start:end]`` into a new :class:`FrameTable`, as one
    window of :func:`_decode_batch` does, and say where the scan stopped:
    ``(table, resume, shared)``.  With ``final`` false, a frame that runs past
    ``end`` is left for the next call (``resume`` is its start, ``shared``
    whether its opening flag closed the previous frame), so a caller that keeps
    ``buf[resume:]``, appends the next bytes and calls again with ``shared``
    decodes every frame exactly once (used by :mod:`amsparse._chunked` and
    :mod:`amsparse.dask`).  ``keys`` and ``require_authentication``: ciphered
    HDLC frames, as in :func:`decode_batch`."""
    from ._stream import HdlcErrors, _scan

    table = FrameTable()
    _hdlc_error = HdlcErrors()
    writer_cls = getattr(impl, "TableWriter", None)
    if writer_cls is not None:
        writer = writer_cls(table, profiles, profile, tz, MAX_COLUMNS, keys, require_authentication)
        resume, shared, _need = writer.add_scan(buf, start, end, max_frame_size, shared, final, _hdlc_error)
        return writer.finish(), resume, bool(shared)
    from ._profiles import builtin_profiles

    ps = builtin_profiles() if profiles is None else profiles
    kw = _decoder_kw(profile, tz, keys, require_authentication)
    items, resume, shared, _need = _scan(buf, start, end, max_frame_size, shared, final)
    for kind, s, e, _aux in items:
        if kind == 0:
            table.bytes_discarded += e - s
        elif kind == 1:
            try:
                table._append_frame(impl.decode_frame(buf[s:e], ps, **kw))
            except Exception as err:  # any failure is this frame's row, not the batch's end
                table._append_error(as_decode_error(err))
        else:
            table._append_error(_hdlc_error(buf, s))
    return table._finish(), resume, bool(shared)
