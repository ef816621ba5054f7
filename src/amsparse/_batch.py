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

* ``columns[name]``: ``array('d')`` of scaled values; where a row lacks the
  reading the cell holds :data:`MISSING` (a NaN with its own bit pattern, so
  :meth:`FrameTable.to_arrow`, ``to_polars`` and ``to_pandas`` export it as
  **null**; a NaN the meter itself sent is the ordinary NaN and stays NaN);
  ``raw[name]`` (``array('q')``, the
  integer as sent, :data:`RAW_MISSING` where absent or not an integer) and
  ``scalers[name]`` (``array('b')``, the power of ten applied) beside it;
* ``header_time`` / ``meter_time`` / ``receive_time``: ``array('q')`` of **UTC epoch
  microseconds**, :data:`NAT` (``-2**63``, numpy's NaT) where the frame has no
  such clock or it is not representable (``receive_time``: where no receive
  time was given, see :meth:`FrameTable.from_frames`); ``timestamp``: computed
  from them as ``Frame.timestamp`` is (meter time, else header time, else
  receive time);
* ``system_title`` / ``invocation_counter``: how a ciphered frame arrived
  (``None`` for a plain frame);
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
import math
import os
import re
from array import array
from typing import Any, BinaryIO, Iterable, Union

from ._clock import epoch_us
from ._errors import (
    DecodeError,
    as_decode_error,
    error_code,
)
from ._spec import ERROR_CODES, MAX_COLUMNS, MISSING, MISSING_BITS, NAT, RAW_MISSING, Status

__all__ = ["ERROR_CODES", "MISSING", "NAT", "RAW_MISSING", "FrameTable", "Status", "decode_batch", "reading_columns"]

_error_code = error_code  # the name the batch layer has used

_CATEGORICAL = ("profile_id", "list_name", "list_version", "meter_id", "meter_type")
_NAN = math.nan
_MISSING_COL = array("d", [MISSING])
_NAT_COL = array("q", [NAT])
_NO_CODE = array("i", [-1])
_I64_MIN = -(2**63)
_I64_MAX = 2**63 - 1

#: bytes scanned per step of a capture (bounds the scanner's transient item list)
_CHUNK = 1 << 20

Source = Union[bytes, bytearray, memoryview, "os.PathLike[str]", str, BinaryIO, Iterable[bytes]]


class FrameTable:
    """Columnar result of :func:`decode_batch` (see the module docs): one row
    per frame candidate, read-only once returned.

    Reading columns (:attr:`names`) follow the profiles in use
    (:func:`reading_columns`), then readings outside them.  A missing reading
    is :data:`MISSING` in the float column and **null** in :meth:`to_arrow`,
    :meth:`to_polars` and :meth:`to_pandas` (NaN only where the meter sent
    NaN).  Time columns (``header_time``, ``meter_time``, ``receive_time``)
    are instants, exported timezone-aware in the ``tz=`` of each export
    (default UTC).  ``system_title`` / ``invocation_counter`` describe ciphered
    frames.  ``pyarrow.table(t)``, ``polars.DataFrame(t)`` and DuckDB read a
    table directly (``__arrow_c_stream__``)."""

    __slots__ = (
        "columns", "raw", "scalers", "codes", "categories", "_cat_index",
        "header_time", "meter_time", "status", "errors", "bytes_discarded", "_n", "_max_columns",
        "_schema", "_receive", "_st_codes", "_st_cats", "_st_index", "_ic",
    )

    def __init__(self) -> None:
        self.columns: dict[str, array[Any]] = {}
        self.raw: dict[str, array[Any]] = {}
        self.scalers: dict[str, array[Any]] = {}
        self.codes: dict[str, array[int]] = {k: array("i") for k in _CATEGORICAL}
        self.categories: dict[str, list[str]] = {k: [] for k in _CATEGORICAL}
        self._cat_index: dict[str, dict[str, int]] = {k: {} for k in _CATEGORICAL}
        self.header_time = array("q")
        self.meter_time = array("q")
        self.status = array("b")
        self.errors: dict[int, str] = {}
        self.bytes_discarded = 0
        self._n = 0
        self._max_columns = MAX_COLUMNS
        #: the reading columns the profiles in use define (reading_columns()), in order
        self._schema: tuple[str, ...] = ()
        # filled lazily (padded on access): receive times, ciphered frames' security
        self._receive = array("q")
        self._st_codes = array("i")
        self._st_cats: list[str] = []
        self._st_index: dict[str, int] = {}
        self._ic = array("q")

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
            col.extend(_MISSING_COL * k)
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

    def _security_at(self, row: int, sec: Any) -> None:
        """Row ``row`` came ciphered: its system title and invocation counter."""
        title = bytes(sec.system_title).hex()
        code = self._st_index.get(title)
        if code is None:
            code = self._st_index[title] = len(self._st_cats)
            self._st_cats.append(title)
        _padded(self._st_codes, row, -1).append(code)
        ic = sec.invocation_counter
        _padded(self._ic, row, RAW_MISSING).append(ic if _I64_MIN < ic <= _I64_MAX else RAW_MISSING)

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
        if f.security is not None:  # ciphered: system title, invocation counter
            self._security_at(row, f.security)
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
            col.append(_NAN if value != value else value)  # a meter's NaN: the canonical one
            self.raw[name].append(raw if type(raw) is int and _I64_MIN <= raw <= _I64_MAX else RAW_MISSING)
            self.scalers[name].append(scaler if -128 <= scaler <= 127 else 0)
        self._n = row + 1

    # -- access ------------------------------------------------------------------
    def __len__(self) -> int:
        return self._n

    @property
    def names(self) -> list[str]:
        """The reading columns: those the profiles in use define (see
        :func:`reading_columns`: the same names in the same order for every
        table decoded with the same profiles, whatever the data), then any
        other reading the data holds (an OBIS code outside the profiles), in
        order of first appearance.  :attr:`columns` holds the ones with data;
        ``table[name]`` gives any of them."""
        schema = self._schema
        if not schema:
            return list(self.columns)
        known = set(schema)
        return [*schema, *(n for n in self.columns if n not in known)]

    def __getitem__(self, name: str) -> Any:
        if name in self.columns:
            return self.columns[name]
        if name in _CATEGORICAL:
            return self.category(name)
        if name in ("header_time", "meter_time", "status"):
            return getattr(self, name)
        if name in ("receive_time", "system_title", "invocation_counter"):
            return getattr(self, name)
        if name in self._schema:  # a reading the profiles define, not in this data
            return _MISSING_COL * self._n
        raise KeyError(name)

    def category(self, key: str) -> list[str | None]:
        """A categorical column (``profile_id``, ``list_name``, ``list_version``,
        ``meter_id``, ``meter_type``) as a plain list (``None`` where absent)."""
        cats = self.categories[key]
        return [None if c < 0 else cats[c] for c in self.codes[key]]

    @property
    def receive_time(self) -> array[Any]:
        """``array('q')``: when each row's frame was received, UTC epoch
        microseconds, :data:`NAT` where no receive time was given (a capture
        buffer carries none; see :meth:`from_frames` and :func:`decode_batch`
        over ``(receive_time, frame)`` pairs)."""
        return _padded(self._receive, self._n, NAT)

    @property
    def timestamp(self) -> array[Any]:
        """``array('q')``: each row's best time, as :attr:`Frame.timestamp
        <amsparse.Frame.timestamp>`: ``meter_time`` (the clock element), else
        ``header_time``, else ``receive_time``; UTC epoch microseconds,
        :data:`NAT` where none is known.  Computed on each access from those
        three columns (a new array, not a view)."""
        return _coalesce_times(self.meter_time, self.header_time, self.receive_time)

    @property
    def system_title(self) -> list[str | None]:
        """A ciphered frame's system title (hex text), ``None`` for a plain frame."""
        cats = self._st_cats
        return [None if c < 0 else cats[c] for c in _padded(self._st_codes, self._n, -1)]

    @property
    def invocation_counter(self) -> list[int | None]:
        """A ciphered frame's invocation counter, ``None`` for a plain frame."""
        return [None if c == RAW_MISSING else c for c in _padded(self._ic, self._n, RAW_MISSING)]

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

    @classmethod
    def from_frames(cls, frames: Iterable[Any], profiles: Any = None, *, profile: Any = None) -> "FrameTable":
        """A table of frames already decoded, e.g. by :class:`~amsparse.StreamDecoder`
        or an :mod:`amsparse.io` reader: each item is a ``Frame``, a
        ``FrameDecoded`` event, or a pair ``(receive_time, frame_or_event)``
        that fills the ``receive_time`` column (an aware ``datetime`` or POSIX
        seconds such as ``time.time()``).  Without a time in the item, a
        frame's own :attr:`Frame.received <amsparse.Frame.received>` fills it
        (the :mod:`amsparse.io` readers set it on live frames); a time given
        in the pair takes precedence.  ``profiles``/``profile`` (those the
        frames were decoded with) give the column schema (:attr:`names`)."""
        from ._options import prepare

        ps, _ = prepare(profiles, profile, None)
        table = cls()
        table._schema = tuple(reading_columns(ps, profile))
        for item in frames:
            when = NAT
            if isinstance(item, tuple) and len(item) == 2:
                when, item = _receive_us(item[0]), item[1]
            frame = getattr(item, "frame", item)
            if not hasattr(frame, "_names"):
                raise TypeError(f"from_frames takes Frames, FrameDecoded events or (time, frame) pairs, "
                                f"not {type(item).__name__}")
            received = getattr(frame, "received", None)
            if when == NAT and received is not None:
                when = _receive_us(received)
            row = table._n
            try:
                table._append_frame(frame)
            except DecodeError as e:  # the column budget: an error row
                table._append_error(e)
            if when != NAT:
                _padded(table._receive, row, NAT).append(when)
        return table._finish()

    # -- conversions (lazy optional imports, numeric data not copied) -------------
    def to_numpy(self) -> dict[str, Any]:
        """``{column: ndarray}`` sharing memory with the columns (times as
        ``datetime64[us]``, UTC, NaT where absent; categorical columns, the
        system title and the invocation counter as object arrays with
        ``None``).  numpy has no null: a missing reading is NaN here (the
        :data:`MISSING` NaN; :meth:`to_arrow`, :meth:`to_polars` and
        :meth:`to_pandas` make it null)."""
        np = _need("numpy", "numpy")
        out: dict[str, Any] = {}
        for key in _CATEGORICAL:
            out[key] = np.array(self.category(key), dtype=object)
        for key in _EXPORT_TIMES:
            out[key] = np.frombuffer(getattr(self, key), dtype=np.int64).view("datetime64[us]")
        out["status"] = np.frombuffer(self.status, dtype=np.int8)
        out["system_title"] = np.array(self.system_title, dtype=object)
        out["invocation_counter"] = np.array(self.invocation_counter, dtype=object)
        for name in self.names:
            out[name] = np.frombuffer(self[name], dtype=np.float64)
        return out

    def to_arrow(self, tz: str = "UTC") -> Any:
        """A ``pyarrow.Table``; the data buffers are wrapped, not copied (only
        validity bitmaps are built).  Times are ``timestamp[us, tz]`` (``tz``:
        ``"UTC"`` or a zone name such as ``"Europe/Oslo"``: the same instants,
        shown in that zone), categoricals dictionary-encoded, a missing
        reading, time or counter is null (a NaN the meter sent stays NaN)."""
        pa = _need("pyarrow", "arrow")
        tz = _check_tz(tz)
        n = self._n
        arrays: dict[str, Any] = {}
        for key in _CATEGORICAL:
            arrays[key] = _dictionary(pa, self.codes[key], self.categories[key], n)
        ts = pa.timestamp("us", tz=tz)
        for key in _TIMES:
            col = getattr(self, key)
            arrays[key] = pa.Array.from_buffers(ts, n, [_validity(pa, col, NAT), pa.py_buffer(col)])
        import pyarrow.compute as pc  # the Frame.timestamp rule, in Arrow's kernel

        arrays["timestamp"] = pc.coalesce(arrays["meter_time"], arrays["header_time"], arrays["receive_time"])
        arrays["status"] = pa.Array.from_buffers(pa.int8(), n, [None, pa.py_buffer(self.status)])
        arrays["system_title"] = _dictionary(pa, _padded(self._st_codes, n, -1), self._st_cats, n)
        ic = _padded(self._ic, n, RAW_MISSING)
        arrays["invocation_counter"] = pa.Array.from_buffers(pa.int64(), n, [_validity(pa, ic, RAW_MISSING),
                                                                             pa.py_buffer(ic)])
        f64 = pa.float64()
        for name in self.names:
            col = self.columns.get(name)
            if col is None:
                arrays[name] = pa.nulls(n, f64)
            else:
                arrays[name] = pa.Array.from_buffers(f64, n, [_validity(pa, col, MISSING_BITS), pa.py_buffer(col)])
        return pa.table(arrays)

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """The Arrow PyCapsule stream interface: ``pyarrow.table(t)``,
        ``polars.DataFrame(t)`` / ``polars.from_arrow(t)`` and DuckDB take a
        FrameTable as it is, sharing its buffers (:meth:`to_arrow`, times in UTC;
        needs pyarrow)."""
        return self.to_arrow().__arrow_c_stream__(requested_schema)

    def to_pandas(self, tz: str = "UTC") -> Any:
        """A ``pandas.DataFrame``: readings as the nullable ``Float64`` dtype
        (values shared with the columns, ``<NA>`` where missing, NaN only where
        the meter sent NaN), the invocation counter as ``Int64``, times as
        ``datetime64[us, tz]`` (NaT where absent), categoricals as
        ``Categorical``."""
        pd = _need("pandas", "pandas")
        import numpy as np

        tz = _check_tz(tz)
        n = self._n
        data: dict[str, Any] = {}
        for key in _CATEGORICAL:
            data[key] = _categorical(pd, self.category(key))
        for key in _EXPORT_TIMES:
            t = pd.Series(np.frombuffer(getattr(self, key), dtype=np.int64).view("datetime64[us]"), copy=False)
            t = t.dt.tz_localize("UTC")
            data[key] = t if tz == "UTC" else t.dt.tz_convert(tz)
        data["status"] = np.frombuffer(self.status, dtype=np.int8)
        data["system_title"] = _categorical(pd, self.system_title)
        ic = np.frombuffer(_padded(self._ic, n, RAW_MISSING), dtype=np.int64)
        data["invocation_counter"] = pd.arrays.IntegerArray(ic, ic == RAW_MISSING)
        for name in self.names:
            col = self.columns.get(name)
            if col is None:
                data[name] = pd.arrays.FloatingArray(np.full(n, np.nan), np.ones(n, dtype=bool))
            else:
                values = np.frombuffer(col, dtype=np.float64)
                data[name] = pd.arrays.FloatingArray(values, values.view(np.int64) == MISSING_BITS)
        return pd.DataFrame(data, copy=False)

    def to_polars(self, tz: str = "UTC") -> Any:
        """A ``polars.DataFrame`` (through Arrow when pyarrow is installed, else
        numpy): nulls where a value is missing, times ``Datetime("us", tz)``."""
        pl = _need("polars", "polars")
        tz = _check_tz(tz)
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            return _polars_from_numpy(pl, self, tz)
        return pl.from_arrow(self.to_arrow(tz))


_TIMES = ("header_time", "meter_time", "receive_time")
#: the export columns: the stored times and ``timestamp`` (computed from them)
_EXPORT_TIMES = (*_TIMES, "timestamp")


def _coalesce_times(*cols: array[Any]) -> array[Any]:
    """``array('q')``: per row the first of ``cols`` that is not :data:`NAT`."""
    out = array("q")
    try:
        import numpy as np
    except ImportError:
        out.extend(next((t for t in ts if t != NAT), NAT) for ts in zip(*cols))
        return out
    first = np.frombuffer(cols[-1], dtype=np.int64)
    for col in reversed(cols[:-1]):
        a = np.frombuffer(col, dtype=np.int64)
        first = np.where(a != NAT, a, first)
    out.frombytes(np.ascontiguousarray(first, dtype=np.int64).tobytes())
    return out


def reading_columns(profiles: Any = None, profile: Any = None) -> list[str]:
    """The numeric reading names the profiles can produce (``profile`` given:
    that profile's, else every profile's, in profile order), then the generic
    OBIS table's, in order of first appearance: the reading columns of every
    :class:`FrameTable` decoded with these profiles (:attr:`FrameTable.names`),
    of :func:`amsparse.write_dataset` and of :func:`amsparse.dask.read_captures`."""
    from ._profiles import builtin_profiles

    ps = builtin_profiles() if profiles is None else profiles
    if isinstance(profile, str):
        chosen = [ps[profile]]
    elif profile is not None:
        chosen = [profile]
    else:
        chosen = list(ps)
    names: dict[str, None] = {}
    for p in [*chosen, ps.generic]:
        for name, kind in zip(p.names, p.kinds):
            if kind == 0:  # amsparse._profiles.KIND_NUMBER
                names.setdefault(name)
    return list(names)


def _padded(col: array[Any], n: int, missing: int) -> array[Any]:
    """``col`` extended in place to ``n`` items with ``missing``."""
    k = n - len(col)
    if k > 0:
        col.extend(array(col.typecode, [missing]) * k)
    return col


def _receive_us(t: Any) -> int:
    """A receive time (aware datetime, or POSIX seconds) -> UTC epoch microseconds."""
    if isinstance(t, _dt.datetime):
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValueError("a receive time must be timezone-aware (datetime.now(timezone.utc), time.time())")
        return epoch_us(t)
    if isinstance(t, (int, float)) and not isinstance(t, bool) and math.isfinite(t):
        return round(t * 1_000_000)
    raise TypeError(f"a receive time is an aware datetime or POSIX seconds, not {type(t).__name__}")


def _check_tz(tz: Any) -> str:
    """``tz`` as Arrow/pandas/polars take it: ``"UTC"`` or a known IANA zone name."""
    if not isinstance(tz, str):
        raise TypeError(f"tz must be a time zone name such as 'UTC' or 'Europe/Oslo', not {type(tz).__name__}")
    if tz == "UTC":
        return tz
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {tz!r} (an IANA name such as 'Europe/Oslo')") from None
    return tz


def _categorical(pd: Any, values: list[str | None]) -> Any:
    """A pandas Categorical of text; with no value at all, its (empty)
    categories are text too, not float64 (the same dtype as a filled one's)."""
    if any(v is not None for v in values):
        return pd.Categorical(values)
    return pd.Categorical(values, categories=pd.Index(["x"])[:0])


def _dictionary(pa: Any, codes: array[Any], cats: list[str], n: int) -> Any:
    idx = pa.Array.from_buffers(pa.int32(), n, [_validity(pa, codes, -1), pa.py_buffer(codes)])
    return pa.DictionaryArray.from_arrays(idx, pa.array(cats, pa.string()))


def _polars_from_numpy(pl: Any, table: FrameTable, tz: str) -> Any:
    """to_polars without pyarrow: from numpy, nulls set from the masks."""
    import numpy as np

    cols: dict[str, Any] = {}
    for key, v in table.to_numpy().items():
        if key in _EXPORT_TIMES:
            s = pl.Series(key, v).dt.replace_time_zone("UTC")
            cols[key] = s if tz == "UTC" else s.dt.convert_time_zone(tz)
        elif v.dtype == object:
            cols[key] = pl.Series(key, v.tolist())
        elif v.dtype == np.float64:
            missing = v.view(np.int64) == MISSING_BITS
            s = pl.Series(key, v)
            cols[key] = s if not missing.any() else pl.Series(
                key, [None if m else x for x, m in zip(v.tolist(), missing.tolist())], dtype=pl.Float64)
        else:
            cols[key] = pl.Series(key, v)
    return pl.DataFrame(cols)


_VALIDITY_TYPE = {"q": "int64", "i": "int32", "d": "int64"}


def _validity(pa: Any, col: array[Any], missing: int) -> Any:
    """The Arrow validity bitmap of ``col`` (cells equal to ``missing``, for a
    float column the bits of :data:`MISSING`, are null), or ``None`` when
    nothing is missing.  Built by Arrow's compute kernel, not per cell in Python."""
    import pyarrow.compute as pc

    n = len(col)
    typ = getattr(pa, _VALIDITY_TYPE[col.typecode])()
    bits = pa.Array.from_buffers(typ, n, [None, pa.py_buffer(col)])
    ok = pc.not_equal(bits, pa.scalar(missing, typ))
    if pc.all(ok).as_py() is not False:
        return None
    return ok.buffers()[1]


def _need(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"this conversion needs {module}: pip install 'amsparse[{extra}]'"
        ) from None


# --------------------------------------------------------------------------- decoding

def _decode_batch(
    source: bytes | bytearray | memoryview | Iterable[bytes], profiles: Any, profile: Any, tz: str | None, impl: Any,
    max_frame_size: int = 2050, max_columns: int = MAX_COLUMNS, keys: Any = None,
    require_authentication: bool = False, framing: str = "hdlc", decoder: Any = None,
    threads: int = 1, pipeline: bool = True,
) -> FrameTable:
    from ._decoder import core_for
    from ._options import check_size
    from ._stream import HdlcErrors

    if framing not in ("hdlc", "mbus", "auto"):
        raise ValueError(f"framing must be 'hdlc', 'mbus' or 'auto', not {framing!r}")

    # every option is checked first, whatever the backend and the input (amsparse._options)
    dc = core_for(impl, profiles, profile, tz, keys, require_authentication, decoder)
    tz, keys, require_authentication = dc.tz, dc.keys, dc.require_authentication
    if impl.PARALLEL:  # decode_parallel's account of this call (benchmarks read it)
        impl.PARALLEL_STATS.clear()
    max_frame_size = check_size("max_frame_size", max_frame_size, 9)
    max_columns = check_size("max_columns", max_columns, 0)
    table = FrameTable()
    table._max_columns = max_columns
    table._schema = tuple(reading_columns(dc.profiles, dc.profile))
    # the backend's writer fills the columns (the compiled one in C)
    writer = impl.TableWriter(table, dc, max_columns, keys, require_authentication)
    if isinstance(source, (bytes, bytearray, memoryview)):
        buf = bytes(source) if not isinstance(source, bytes) else source
        if framing != "hdlc":  # M-Bus, or both framings side by side: the stream's own hunt
            return _decode_framed(buf, dc, max_frame_size, writer, framing)
        if impl.p1_start(buf) >= 0 or (keys is not None and b"\xdb\x08" in buf):
            # P1 telegrams (or, with keys, ciphered ones) in the capture: the stream path
            return _decode_stream(buf, dc, max_frame_size, writer, impl)
        # scan a window at a time: the scanner's item list stays small
        pos, shared, n = 0, False, len(buf)
        _hdlc_error = HdlcErrors()  # rejects cost a bounded FCS each (issue 11, F6)
        while True:
            stop_at = min(n, pos + max(_CHUNK, 2 * max_frame_size))
            final = stop_at == n
            first = pos == 0  # scans and decodes in one pass
            pos, shared, _need_ = writer.add_scan(buf, pos, stop_at, max_frame_size, shared, final, _hdlc_error)
            if first and not final and pos:  # size the columns for the whole capture once
                writer.reserve(writer.row_count * n // pos + writer.row_count // 16 + 64)
                if pipeline and impl.PARALLEL:
                    # the first window built the templates: the rest in segments, each
                    # scanned, then decoded without the GIL (on `threads` threads)
                    _decode_parallel(writer, buf, pos, shared, max_frame_size, threads, _hdlc_error, impl)
                    whole: FrameTable = writer.finish()
                    return whole
            if final:
                done: FrameTable = writer.finish()
                return done
    decode_telegram = _p1_for(impl).decode_telegram
    p1_kw: dict[str, Any] = {"tz": tz} if tz is not None else {}
    if keys is not None:  # ciphered telegrams (DB ...): docs/p1.md
        p1_kw["keys"] = keys
    if require_authentication:
        p1_kw["require_authentication"] = True
    add = writer.add_raw
    for raw in source:
        if raw[:1] in _P1_FIRST:  # a P1 telegram, or a ciphered one
            try:
                writer.add_frame(decode_telegram(raw, **p1_kw))
            except Exception as e:  # any failure is this telegram's row
                writer.add_error(as_decode_error(e))
            continue
        add(raw)
    result: FrameTable = writer.finish()
    return result


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


def _decode_stream(buf: bytes, dc: Any, max_frame_size: int, writer: Any, impl: Any) -> FrameTable:
    """A capture with P1 telegrams: the scanning path of _decode_batch, with the
    bytes the HDLC scanner skips handed to the stream's TelegramHunter (so
    telegrams are found exactly as StreamDecoder finds them; HDLC frames are
    still decoded one by one, as in the path without telegrams): the windows
    of :class:`_P1Window` into one writer."""
    p1 = _P1Window(dc, impl)
    pos, shared, n = 0, False, len(buf)
    while True:
        stop_at = min(n, pos + max(_CHUNK, 2 * max_frame_size))
        final = stop_at == n
        pos, shared = p1.add(writer, buf, pos, stop_at, shared, final, max_frame_size)
        if final:
            break
    table: FrameTable = writer.finish()
    table.bytes_discarded += p1.discarded
    return table


def _decode_framed(buf: bytes, dc: Any, max_frame_size: int, writer: Any, framing: str) -> FrameTable:
    """``framing="mbus"`` or ``"auto"``: the capture read by a
    :class:`~amsparse.StreamDecoder` with that framing, one row per event that
    is a frame (decoded, or rejected with its error), so a mixed HDLC/M-Bus
    capture gives the rows the stream gives: segments, M-Bus messages and
    block-transfer messages joined, keys and the framing switches alike."""
    from ._stream import FrameDecoded, FrameRejected, StreamDecoder

    dec = StreamDecoder(max_frame_size=max_frame_size, framing=framing, decoder=dc)
    add_frame, add_error = writer.add_frame, writer.add_error
    step = max(_CHUNK, 2 * max_frame_size)
    n = len(buf)
    for pos in range(0, n + 1, step):  # n + 1: the last (possibly empty) window flushes
        events = dec.feed(buf[pos : pos + step]) if pos < n else []
        if pos + step >= n:
            events += dec.flush()
        for ev in events:
            if type(ev) is FrameDecoded:
                add_frame(ev.frame)
            elif type(ev) is FrameRejected:
                add_error(ev.error)
        if pos + step >= n:
            break
    table: FrameTable = writer.finish()
    table.bytes_discarded += dec.bytes_discarded
    return table


def _p1_for(impl: Any) -> Any:
    """The P1 decoder twin that goes with the DLMS backend ``impl``."""
    if impl.BACKEND == "python":
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
    framing: str = "hdlc",
    decoder: Any = None,
    threads: int = 1,
) -> FrameTable:
    """Decode a whole capture (or an iterable of single frames) into a
    :class:`FrameTable`; rejected frames become rows with a status, not
    exceptions.  Uses the compiled core when it is available.

    ``source`` is a capture as ``bytes`` or any buffer (``bytearray``,
    ``memoryview``, ``mmap``, a numpy ``uint8`` array), a path (``str`` or
    ``os.PathLike``), a binary file object (read to its end), or an iterable
    of single frames as bytes (or ``(receive_time, frame)`` pairs: an aware
    ``datetime`` or POSIX seconds, which fill the ``receive_time`` column).
    Anything else -- a text-mode file, hex strings, a number -- is a
    ``TypeError``.  For captures larger than memory
    use :func:`amsparse.iter_batches`.

    ``max_columns`` bounds the reading columns (memory is rows x columns): a
    frame that would add columns beyond it becomes an error row
    (``DecodeError``, status 8).  ``keys`` and ``require_authentication``
    apply to ciphered HDLC frames as in :func:`amsparse.decode_frame`
    (docs/security.md).  ``framing`` (a capture buffer only): ``"hdlc"``
    (default), ``"mbus"`` or ``"auto"`` (HDLC and M-Bus side by side, the
    framing may change anywhere) as for :class:`~amsparse.StreamDecoder`;
    with ``"mbus"`` or ``"auto"`` the capture is read by a StreamDecoder, so
    the table has one row per event that is a frame (segments and
    block-transfer messages joined) -- the rows the stream gives.
    ``decoder`` is an :class:`amsparse.Decoder` to use (and whose caches to
    keep warm) instead of these options.

    ``threads`` (a positive int, default 1) decodes one large capture buffer
    on that many threads with the GIL released (compiled core; the table is
    the same, row for row, as with ``threads=1``).  The pure-Python backend,
    iterables of frames, captures with P1 telegrams or ciphered frames with
    ``keys``, and captures under about 1 MiB + 256 KiB per thread are decoded
    on the calling thread (docs/performance.md)."""
    from ._select import impl

    threads = _check_threads(threads)
    src = _capture_source(source)
    table = _decode_batch(src, profiles, profile, tz, impl, max_frame_size,
                          max_columns, keys=keys, require_authentication=require_authentication,
                          framing=framing, decoder=decoder, threads=threads if impl.PARALLEL else 1)
    if isinstance(src, _Frames) and src.timed and len(src.times) == len(table):
        table._receive = src.times  # one row per item, in order
    return table


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
        return _Frames(source)
    raise TypeError(f"decode_batch takes {_ACCEPTED}; not {type(source).__name__}")


class _Frames:
    """The frames of an iterable given to :func:`decode_batch`, as bytes; an
    item may be a pair ``(receive_time, frame)``, whose time (an aware
    ``datetime`` or POSIX seconds) is kept in ``times`` (one entry per item,
    :data:`NAT` for an item without one) for the ``receive_time`` column."""

    def __init__(self, frames: Iterable[Any]) -> None:
        self.frames = frames
        self.times = array("q")
        self.timed = False

    def __iter__(self) -> Any:
        times = self.times
        for f in self.frames:
            when = NAT
            if isinstance(f, tuple) and len(f) == 2:
                when, f = _receive_us(f[0]), f[1]
                self.timed = True
            if isinstance(f, bytes):
                pass
            elif isinstance(f, (bytearray, memoryview)):
                f = bytes(f)
            else:
                raise TypeError(
                    f"decode_batch's iterable must hold frames as bytes (or (receive_time, frame) pairs), "
                    f"not {type(f).__name__} (hex text: bytes.fromhex(line))"
                )
            times.append(when)
            yield f


class _P1Window:
    """The stream path of :func:`_decode_stream` one window at a time, for
    :mod:`amsparse._chunked`: HDLC frames as ``decode_batch`` decodes them in a
    capture with P1 telegrams, the bytes the HDLC scanner skips fed to one
    TelegramHunter that lives across windows (a telegram that straddles a
    window boundary is decoded once, when it is complete)."""

    def __init__(self, dc: Any, impl: Any) -> None:
        from ._p1_stream import TelegramHunter
        from ._stream import HdlcErrors

        p1 = _p1_for(impl)
        self.impl, self.dc = impl, dc
        tz, keys, require_authentication = dc.tz, dc.keys, dc.require_authentication
        self._hdlc_error = HdlcErrors()
        self._add_frame: Any = None
        self._add_error: Any = None
        self.discarded = 0  # bytes the hunter skipped since it was last reset

        def count(_events: Any, data: bytes) -> None:
            self.discarded += len(data)

        self.hunter = TelegramHunter(
            16384, lambda raw: p1.decode_telegram(raw, tz=tz, keys=keys, require_authentication=require_authentication),
            lambda _e, frame, _raw: self._add_frame(frame), lambda _e, _raw, err: self._add_error(err), count,
            ciphered=keys is not None,
        )

    def add(self, writer: Any, buf: bytes, start: int, end: int, shared: bool, final: bool,
            max_frame_size: int) -> tuple[int, bool]:
        """Scan ``buf[start:end]`` into ``writer``: HDLC frames as decode_batch
        decodes them, the bytes the scanner skips to the telegram hunter (its
        bytes skipped counted in ``discarded``).  Returns ``(resume, shared)``."""
        from ._select import scan_for

        self._add_frame, self._add_error, add_raw = writer.add_frame, writer.add_error, writer.add_raw
        none: list[Any] = []
        items, resume, shared, _need = scan_for(self.impl).scan(buf, start, end, max_frame_size, shared, final)
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
        return resume, bool(shared)

    def window(self, buf: bytes, start: int, end: int, shared: bool, final: bool,
               max_frame_size: int = 2050) -> tuple[FrameTable, int, bool]:
        """Like :func:`_decode_window` (same arguments and result)."""
        dc = self.dc
        table = FrameTable()
        table._schema = tuple(reading_columns(dc.profiles, dc.profile))
        writer = self.impl.TableWriter(table, dc, MAX_COLUMNS, dc.keys, dc.require_authentication)
        self.discarded = 0
        resume, shared = self.add(writer, buf, start, end, shared, final, max_frame_size)
        done: FrameTable = writer.finish()
        done.bytes_discarded += self.discarded
        return done, resume, shared


def _decode_window(
    buf: bytes, start: int, end: int, shared: bool, final: bool,
    profiles: Any, profile: Any, tz: str | None, impl: Any, max_frame_size: int = 2050,
    decoder: Any = None,
) -> tuple[FrameTable, int, bool]:
    """Scan and decode ``buf[start:end]`` into a new :class:`FrameTable`, as one
    window of :func:`_decode_batch` does, and say where the scan stopped:
    ``(table, resume, shared)``.  With ``final`` false, a frame that runs past
    ``end`` is left for the next call (``resume`` is its start, ``shared``
    whether its opening flag closed the previous frame), so a caller that keeps
    ``buf[resume:]``, appends the next bytes and calls again with ``shared``
    decodes every frame exactly once (used by :mod:`amsparse._chunked` and
    :mod:`amsparse.dask`).  Keys and ``require_authentication`` come with the
    decoder core (``decoder``), as in :func:`decode_batch`."""
    from ._decoder import core_for
    from ._stream import HdlcErrors

    table = FrameTable()
    _hdlc_error = HdlcErrors()
    dc = core_for(impl, profiles, profile, tz, decoder=decoder)
    table._schema = tuple(reading_columns(dc.profiles, dc.profile))
    writer = impl.TableWriter(table, dc, MAX_COLUMNS, dc.keys, dc.require_authentication)
    resume, shared, _need = writer.add_scan(buf, start, end, max_frame_size, shared, final, _hdlc_error)
    return writer.finish(), resume, bool(shared)
