"""Captures -> a partitioned Parquet dataset (:func:`write_dataset`), through pyarrow.

Each source file is decoded with :func:`amsparse.iter_batches` (bounded memory,
whatever its size), its batches are converted to one fixed Arrow schema
(:func:`dataset_schema`, documented in ``docs/scale.md``) and written with
``pyarrow.dataset.write_dataset`` into a staging directory; when the file has
been read to its end, its Parquet files are moved into place.  A file that
cannot be read, or holds no frame at all, adds nothing to the dataset; every
other file is written; the :class:`DatasetSummary` names each failed file.
"""

from __future__ import annotations

import glob as _glob
import os
import shutil
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from ._batch import _CATEGORICAL, FrameTable, _need, reading_columns
from ._chunked import ProgressCallback, iter_batches
from ._errors import AmsparseError

__all__ = ["DatasetError", "DatasetSummary", "FileResult", "dataset_schema", "reading_columns", "write_dataset"]

_INCOMPLETE = 3  # ERROR_CODES: IncompleteFrameError


def dataset_schema(columns: Sequence[str] | None = None, *, profiles: Any = None, profile: Any = None) -> Any:
    """The ``pyarrow.Schema`` of the rows :func:`write_dataset` writes (the
    partition columns included; in the files themselves the ``partition_by``
    columns live in the directory names)."""
    pa = _need("pyarrow", "arrow")
    ts = pa.timestamp("us", tz="UTC")
    fields = [
        pa.field("source", pa.string(), nullable=False),
        pa.field("row", pa.int64(), nullable=False),
        *(pa.field(k, pa.string()) for k in _CATEGORICAL),
        pa.field("time", ts),
        pa.field("date", pa.date32()),
        pa.field("header_time", ts),
        pa.field("meter_time", ts),
        pa.field("status", pa.int8(), nullable=False),
        pa.field("error", pa.string()),
    ]
    cols = reading_columns(profiles, profile) if columns is None else list(columns)
    fields += [pa.field(name, pa.float64()) for name in cols]
    return pa.schema(fields)


@dataclass
class FileResult:
    """What became of one source file."""

    path: str
    rows: int = 0  # rows written
    rejected: int = 0  # of which rows with a non-zero status
    bytes: int = 0  # bytes read
    error: str | None = None  # why the file is missing or incomplete in the dataset
    written: bool = False  # its rows are in the dataset


@dataclass
class DatasetSummary:
    """The outcome of :func:`write_dataset`: one :class:`FileResult` per source."""

    directory: str
    files: list[FileResult] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def errors(self) -> list[tuple[str, str]]:
        """``(path, message)`` of every file with a problem."""
        return [(f.path, f.error) for f in self.files if f.error is not None]

    def __str__(self) -> str:
        ok = sum(1 for f in self.files if f.written)
        lines = [f"{self.directory}: {self.rows} rows from {ok} of {len(self.files)} files"]
        lines += [f"  {p}: {m}" for p, m in self.errors]
        return "\n".join(lines)


class DatasetError(AmsparseError):
    """Some source files could not be (fully) written; ``summary`` says which
    and why.  Raised after every other file has been written."""

    def __init__(self, summary: DatasetSummary) -> None:
        super().__init__(str(summary))
        self.summary = summary


def _sources(sources: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[str]:
    given = [os.fspath(sources)] if isinstance(sources, (str, os.PathLike)) else [os.fspath(s) for s in sources]
    out: list[str] = []
    for s in given:
        if _glob.has_magic(s):
            matches = sorted(_glob.glob(s))
            if not matches:
                raise FileNotFoundError(f"write_dataset: no file matches {s!r}")
            out.extend(matches)
        else:
            out.append(s)
    if not out:
        raise ValueError("write_dataset: no sources given")
    return out


def _to_arrow(batch: FrameTable, schema: Any, source: str, first_row: int, on_unknown: str) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    extra = [n for n in batch.columns if schema.get_field_index(n) < 0]
    if extra and on_unknown == "raise":
        raise ValueError(
            f"readings outside the declared columns: {extra}; pass columns=[...] naming them, or on_unknown='drop'"
        )
    t = batch.to_arrow()
    n = len(batch)
    cols: dict[str, Any] = {
        "source": pa.array([source] * n, pa.string()) if n else pa.array([], pa.string()),
        "row": pa.array(range(first_row, first_row + n), pa.int64()),
    }
    for k in _CATEGORICAL:
        cols[k] = t[k].cast(pa.string())
    time = pc.coalesce(t["header_time"], t["meter_time"])
    cols["time"] = time
    cols["date"] = time.cast(pa.date32())
    cols["header_time"] = t["header_time"]
    cols["meter_time"] = t["meter_time"]
    cols["status"] = t["status"]
    errors = batch.errors
    cols["error"] = pa.array([errors.get(i) for i in range(n)] if errors else [None] * n, pa.string())
    for f in schema:
        if f.name in cols:
            continue
        if f.name in batch.columns:
            cols[f.name] = t[f.name]  # missing readings are null, a meter's NaN stays NaN
        else:
            cols[f.name] = pa.nulls(n, pa.float64())
    return pa.Table.from_pydict({f.name: cols[f.name] for f in schema}, schema=schema)


def write_dataset(
    sources: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    directory: str | os.PathLike[str],
    partition_by: Sequence[str] = ("meter_id", "date"),
    *,
    profiles: Any = None,
    profile: Any = None,
    tz: str | None = None,
    columns: Sequence[str] | None = None,
    on_unknown: str = "raise",
    on_error: str = "raise",
    rows: int = 65536,
    chunk_bytes: int = 1 << 20,
    progress: ProgressCallback | None = None,
    compression: str = "zstd",
    max_frame_size: int = 2050,
) -> DatasetSummary:
    """Decode capture files into a Hive-partitioned Parquet dataset under
    ``directory`` (which must not exist yet or be empty; files are added with
    fresh names, so a dataset can grow by later calls only when it is the same
    schema: pass the same ``columns``/``profiles``).

    ``sources``: a path, a glob, or a list of them (one file = one capture).
    ``partition_by``: columns of :func:`dataset_schema` to partition on
    (``()`` for none); ``date`` is the UTC date of ``time``.  ``profiles``,
    ``profile``, ``tz``: as for :func:`amsparse.decode_batch`; ``columns``:
    the reading columns (default: every numeric reading the profiles define).

    Bad input never stops the other files: a file that cannot be read, or
    holds no frame at all, is not written; a file that ends inside a frame is
    written (its last row has the ``IncompleteFrameError`` status) and reported
    as truncated; a file with a reading outside ``columns`` is not written
    (``on_unknown="raise"``) or loses that reading (``"drop"``).  With
    ``on_error="raise"`` (default) a :class:`DatasetError` carrying the
    :class:`DatasetSummary` is raised after everything else was written;
    with ``"return"`` the summary is returned with the problems in
    ``summary.errors``.

    ``progress(bytes_done, bytes_total)`` is called as the files are read.
    """
    pa = _need("pyarrow", "arrow")
    import pyarrow.dataset as ds

    if on_error not in ("raise", "return"):
        raise ValueError("on_error must be 'raise' or 'return'")
    if on_unknown not in ("raise", "drop"):
        raise ValueError("on_unknown must be 'raise' or 'drop'")
    if isinstance(profile, str):  # an unknown id fails here (ValueError), not once per file
        from ._options import prepare

        prepare(profiles, profile, None)
    schema = dataset_schema(columns, profiles=profiles, profile=profile)
    for key in partition_by:
        if schema.get_field_index(key) < 0:
            raise ValueError(f"cannot partition by {key!r}: not a dataset column")
    paths = _sources(sources)
    root = os.fspath(directory)
    if os.path.exists(root) and (not os.path.isdir(root) or os.listdir(root)):
        raise FileExistsError(f"write_dataset: {root} exists and is not an empty directory")
    os.makedirs(root, exist_ok=True)
    partitioning = (
        ds.partitioning(pa.schema([schema.field(k) for k in partition_by]), flavor="hive") if partition_by else None
    )
    sizes = []
    for p in paths:
        try:
            sizes.append(os.stat(p).st_size)
        except OSError:
            sizes.append(0)
    total = sum(sizes)
    before = 0
    token = uuid.uuid4().hex[:12]
    summary = DatasetSummary(root)
    for i, path in enumerate(paths):
        result = FileResult(path)
        summary.files.append(result)
        stage = os.path.join(root, f".amsparse-staging-{token}-{i}")

        def seen(done: int, _total: int | None, _base: int = before, _result: FileResult = result) -> None:
            _result.bytes = done
            if progress is not None:
                progress(_base + done, total)

        counts = {"rows": 0, "rejected": 0, "incomplete": 0}

        def tables(_path: Any = path, _counts: dict[str, int] = counts) -> Iterable[Any]:
            for batch in iter_batches(_path, rows, profiles=profiles, profile=profile, tz=tz,
                                      chunk_bytes=chunk_bytes, progress=seen, max_frame_size=max_frame_size):
                if not len(batch):
                    continue
                table = _to_arrow(batch, schema, _path, _counts["rows"], on_unknown)
                _counts["rows"] += len(batch)
                status = batch.status
                _counts["rejected"] += sum(1 for s in status if s)
                _counts["incomplete"] += status.count(_INCOMPLETE)
                yield from table.to_batches()

        try:
            ds.write_dataset(
                _Batches(tables()), stage, schema=schema, format="parquet", partitioning=partitioning,
                basename_template=f"part-{token}-{i}-{{i}}.parquet",
                file_options=ds.ParquetFileFormat().make_write_options(compression=compression),
                existing_data_behavior="overwrite_or_ignore", create_dir=True,
            )
        except (OSError, ValueError, AmsparseError) as e:
            shutil.rmtree(stage, ignore_errors=True)
            result.error = f"{'cannot read' if isinstance(e, OSError) else 'not written'}: {e}"
            result.rows = 0
            before += sizes[i]
            continue
        before += sizes[i]
        if not counts["rows"]:
            shutil.rmtree(stage, ignore_errors=True)
            result.error = f"not a capture: no HDLC frame found in its {result.bytes} bytes"
            continue
        _move_into(stage, root)
        result.rows, result.rejected, result.written = counts["rows"], counts["rejected"], True
        if counts["incomplete"]:
            result.error = "truncated: the file ends inside a frame (its last row has status IncompleteFrameError)"
    if summary.errors and on_error == "raise":
        raise DatasetError(summary)
    return summary


class _Batches:
    """A RecordBatchReader-like iterable that surfaces an exception from the
    generator unchanged (pyarrow would wrap it)."""

    def __init__(self, it: Iterable[Any]) -> None:
        self._it = iter(it)

    def __iter__(self) -> Any:
        return self._it


def _move_into(stage: str, root: str) -> None:
    for dirpath, _dirs, files in os.walk(stage):
        rel = os.path.relpath(dirpath, stage)
        dest = os.path.normpath(os.path.join(root, rel))
        os.makedirs(dest, exist_ok=True)
        for name in files:
            os.replace(os.path.join(dirpath, name), os.path.join(dest, name))
    shutil.rmtree(stage, ignore_errors=True)
