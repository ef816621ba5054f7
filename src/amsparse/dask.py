"""Decoding archives of captures on a Dask cluster: :func:`read_captures`.

Needs the optional extra ``dask`` (``pip install "amsparse[dask]"``: dask's
dataframe and distributed packages; fsspec comes with dask).  See
``docs/scale.md`` for one-machine and multi-machine recipes.

Partitioning rule (``blocksize``): the byte range ``[a, b)`` of a file is one
partition, and it holds the rows of the frames (and rejected candidates) that
*start* in ``[a, b)``.  To find them, the partition reads from
``L = max(0, a - max_frame_size)`` to ``b + max_frame_size`` (or the end of
the file) and runs the stream scanner from ``L``; every item the scanner
reports before ``a`` is dropped, and the scan goes past ``b`` only to finish
the items that start before ``b``.  Since an HDLC frame is at most
``max_frame_size`` bytes, the frame (or candidate) that contains ``a`` starts
at or after ``L``, so the scan from ``L`` sees it from its first byte; the
scanner's decision at a position depends only on the bytes from there on, so
the scan from ``L`` and the scan from the start of the file coincide from the
first position both of them visit.  The scanner skips bytes only inside a
frame whose header *and* frame checks pass, so the two could disagree only if
the look-back scan accepted a "frame" nested inside a real frame's body (a
0x7E followed by bytes that pass both the 16-bit header and the 16-bit frame
check sequence, and a closing flag at the right place), which random payload
bytes do with a probability of about 2**-40 per 0x7E byte in the look-back
window, and which a crafted payload can do on purpose.  Everything else
(noise, truncated frames, corrupt frames, flags in the payload) gives the
same rows as :func:`amsparse.decode_batch` of the whole file.
"""

from __future__ import annotations

import glob as _glob
import os
from typing import Any, Iterable, Sequence

try:
    import dask.dataframe as dd
    import fsspec
    import pandas as pd
    from dask.dataframe.utils import clear_known_categories
    from dask.utils import parse_bytes
except ImportError as _e:  # pragma: no cover - exercised by test_missing_extra
    raise ImportError(
        f"amsparse.dask needs dask[dataframe] and distributed ({_e.name} is missing): pip install 'amsparse[dask]'"
    ) from None

from ._batch import _CATEGORICAL, FrameTable, _decode_batch, _decode_window, reading_columns
from ._chunked import _concat

__all__ = ["meta_for", "read_captures", "reading_columns"]

def _profile_set(profiles: Any) -> Any:
    from ._profiles import builtin_profiles

    return builtin_profiles() if profiles is None else profiles


def _empty_categories() -> Any:
    # pandas infers str categories from text (object before pandas 3)
    return pd.Index(["x"])[:0]


def meta_for(columns: Sequence[str]) -> Any:
    """The empty pandas DataFrame :func:`read_captures` declares: the columns
    and dtypes of :meth:`FrameTable.to_pandas`, the reading columns given."""
    data: dict[str, Any] = {}
    for key in _CATEGORICAL:
        data[key] = pd.Series(pd.Categorical([], categories=_empty_categories()))
    for key in ("header_time", "meter_time", "receive_time", "timestamp"):
        data[key] = pd.Series([], dtype="datetime64[us, UTC]")
    data["status"] = pd.Series([], dtype="int8")
    data["system_title"] = pd.Series(pd.Categorical([], categories=_empty_categories()))
    data["invocation_counter"] = pd.Series([], dtype="Int64")
    for name in columns:
        data[name] = pd.Series([], dtype="Float64")
    return clear_known_categories(pd.DataFrame(data))


class _ReadPart:
    """Decodes one partition ``(path, start, stop)`` (``stop`` None: whole file)."""

    def __init__(self, fs: Any, profiles: Any, profile: Any, tz: str | None, columns: list[str],
                 max_frame_size: int, on_unknown: str, impl: str | None = None) -> None:
        self.fs = fs
        self.profiles = profiles
        self.profile = profile
        self.tz = tz
        self.columns = columns
        self.max_frame_size = max_frame_size
        self.on_unknown = on_unknown
        self.impl = impl  # "python" / "cython" for tests; None: the selected backend

    def _impl(self) -> Any:
        if self.impl is None:
            from ._select import impl

            return impl
        import importlib

        return importlib.import_module("amsparse._decode_c" if self.impl == "cython" else "amsparse._decode_py")

    def table(self, part: tuple[str, int, int | None, int]) -> FrameTable:
        path, start, stop, size = part
        impl = self._impl()
        args = (self.profiles, self.profile, self.tz, impl, self.max_frame_size)
        try:
            with self.fs.open(path, "rb") as f:
                if stop is None:  # the whole file: decode_batch itself
                    return _decode_batch(f.read(), self.profiles, self.profile, self.tz, impl,
                                         self.max_frame_size)
                look = max(0, start - self.max_frame_size)
                end = min(size, stop + self.max_frame_size)
                f.seek(look)
                buf = f.read(end - look)
        except OSError as e:
            raise OSError(f"amsparse.dask: cannot read {path}: {e}") from e
        if len(buf) != end - look:
            raise OSError(f"amsparse.dask: {path} is shorter than its listed size {size} (changed while reading?)")
        final = end == size
        first, shared, count = _rows_starting_in(buf, start - look, stop - look, final, self.max_frame_size)
        if not count:
            return FrameTable()
        table = _decode_window(buf, first, len(buf), shared, final, *args)[0]
        return _concat([(table, 0, count)])

    def __call__(self, part: tuple[str, int, int | None, int]) -> Any:
        table = self.table(part)
        extra = [n for n in table.columns if n not in set(self.columns)]
        if extra and self.on_unknown == "raise":
            raise ValueError(
                f"amsparse.dask: {part[0]} has readings outside the declared columns: {extra}; "
                "pass columns=[...] naming them, or on_unknown='drop'"
            )
        df = table.to_pandas()
        for key in (*_CATEGORICAL, "system_title"):  # an empty categorical's categories: the same dtype as a filled one's
            if not len(df[key].cat.categories):
                df[key] = df[key].cat.set_categories(_empty_categories())
        missing = [n for n in self.columns if n not in df.columns]
        if missing:
            df = pd.concat([df, pd.DataFrame({n: pd.Series(pd.NA, index=df.index, dtype="Float64")
                                              for n in missing})], axis=1)
        return df[[*_CATEGORICAL, *_FIXED, *self.columns]]


_FIXED = ("header_time", "meter_time", "receive_time", "timestamp", "status", "system_title", "invocation_counter")


def _rows_starting_in(buf: bytes, a: int, b: int, final: bool, max_frame_size: int) -> tuple[int, bool, int]:
    """Scan ``buf`` from 0 (the look-back point) and count the frame and
    rejected-candidate items that start in ``[a, b)``: -> (first one's start,
    whether its opening flag is shared, count)."""
    from ._stream import _scan

    pos, shared, n = 0, False, len(buf)
    first, first_shared, count = -1, False, 0
    window = max(1 << 20, 2 * max_frame_size)
    while True:
        stop_at = min(n, pos + window)
        last = stop_at == n
        items, pos, shared, _need = _scan(buf, pos, stop_at, max_frame_size, shared, final and last)
        for kind, s, _e, aux in items:
            if kind == 0 or s < a:
                continue
            if s >= b:
                return first, first_shared, count
            if first < 0:
                first, first_shared = s, bool(aux)
            count += 1
        if last:
            return first, first_shared, count


def _expand(paths_or_glob: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
            storage_options: dict[str, Any] | None) -> tuple[Any, list[str]]:
    if isinstance(paths_or_glob, (str, os.PathLike)):
        given: list[str] = [os.fspath(paths_or_glob)]
    else:
        given = [os.fspath(p) for p in paths_or_glob]
    if not given:
        raise ValueError("read_captures: no paths given")
    fs, _token, paths = fsspec.get_fs_token_paths(given, mode="rb", storage_options=storage_options or {})
    if not paths:
        raise FileNotFoundError(f"read_captures: no file matches {given if len(given) > 1 else given[0]!r}")
    for p in paths:
        if not fs.isfile(p):
            raise FileNotFoundError(f"read_captures: {p} is not a file")
    return fs, sorted(paths) if any(_glob.has_magic(g) for g in given) else paths


def read_captures(
    paths_or_glob: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    blocksize: int | str | None = None,
    *,
    profiles: Any = None,
    profile: Any = None,
    tz: str | None = None,
    columns: Sequence[str] | None = None,
    on_unknown: str = "raise",
    max_frame_size: int = 2050,
    storage_options: dict[str, Any] | None = None,
) -> Any:
    """A lazy ``dask.dataframe.DataFrame`` of the frames in raw HAN captures.

    ``paths_or_glob``: a path, a glob or a list of them, local or any fsspec
    URL (``s3://bucket/meters/*.bin`` with ``storage_options`` for the
    credentials).  One partition per file, or per ``blocksize`` bytes of a
    file (an int or a string such as ``"64MiB"``): a partition holds the frames
    that start in its byte range (see the module documentation for the
    resynchronisation rule and its limits).  Rows, in file then byte order,
    are those of :func:`amsparse.decode_batch` of each whole file; each
    partition has its own 0-based index.

    ``profiles``, ``profile``, ``tz``: as for ``decode_batch``.  The columns and
    dtypes are those of :meth:`FrameTable.to_pandas` and are declared up front
    (``meta``): the categorical columns, ``header_time`` / ``meter_time``
    (``datetime64[us, UTC]``), ``receive_time``, ``timestamp`` (meter time, else
    header time), ``status`` (int8), ``system_title``,
    ``invocation_counter`` (``Int64``), then one nullable ``Float64`` column for
    every numeric reading the profiles define (:func:`reading_columns`), or
    the ``columns`` given.  A file with a reading outside them fails its
    partition with a ``ValueError`` naming the file (``on_unknown="raise"``) or
    loses that reading (``on_unknown="drop"``).

    Progress: use Dask's own (``distributed.progress(df.persist())`` on a
    cluster, ``dask.diagnostics.ProgressBar`` on the local scheduler).
    """
    if on_unknown not in ("raise", "drop"):
        raise ValueError("on_unknown must be 'raise' or 'drop'")
    if max_frame_size < 9:
        raise ValueError("max_frame_size must be at least 9")
    if isinstance(profile, str):  # fail now (ValueError) on an unknown id, not in a worker
        from ._options import prepare

        prepare(_profile_set(profiles), profile, None)
    cols = list(columns) if columns is not None else reading_columns(profiles, profile)
    fs, paths = _expand(paths_or_glob, storage_options)
    parts: list[tuple[str, int, int | None, int]] = []
    if blocksize is None:
        parts = [(p, 0, None, -1) for p in paths]
    else:
        bs = parse_bytes(blocksize) if isinstance(blocksize, str) else int(blocksize)
        if bs < 1:
            raise ValueError("blocksize must be at least 1 byte")
        for p in paths:
            size = int(fs.size(p))
            parts.extend((p, a, min(a + bs, size), size) for a in range(0, size, bs))
            if size == 0:
                parts.append((p, 0, 0, 0))
    reader = _ReadPart(fs, profiles, profile, tz, cols, max_frame_size, on_unknown)
    return dd.from_map(reader, parts, meta=meta_for(cols), label="amsparse-read-captures",
                       enforce_metadata=True)
