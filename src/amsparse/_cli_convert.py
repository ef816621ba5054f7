"""``amsparse convert CAPTURE... -o OUT.parquet|.csv|.jsonl|DIR``: captures to a table.

``-o DIR`` (no such suffix) writes a partitioned Parquet dataset through
:func:`amsparse.write_dataset` instead (:mod:`amsparse._cli_dataset`).

Each capture (raw bytes as read from the port, or hex lines) is decoded with
:func:`amsparse.decode_batch`; the rows of all captures go to one file, with a
``source`` column naming the capture.  Columns: ``source``, ``status`` (0
decoded, else the error code of :data:`amsparse._batch.ERROR_CODES`),
``error``, ``profile_id``, ``list_name``, ``list_version``, ``meter_id``,
``meter_type``, ``header_time``, ``meter_time``, ``receive_time``,
``timestamp`` (ISO 8601, UTC; ``timestamp`` is ``Frame.timestamp``: meter
time, else header time, else receive time) and one column per reading (scaled
value).  Parquet needs pyarrow (``amsparse[arrow]``); CSV
and JSON lines need nothing.
"""

from __future__ import annotations

import argparse
import csv
import datetime as _dt
import json
import math
import os
import sys
import time
from typing import Any, Iterator

from . import _cli_framing
from ._cli_io import EXIT_NO_FRAMES, EXIT_OK, EXIT_USAGE, add_decoder_options, decoder_kw, err, guarded

_META = ("profile_id", "list_name", "list_version", "meter_id", "meter_type")
_FORMATS = (".parquet", ".csv", ".jsonl")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "convert", help="decode captures into Parquet, CSV or JSON lines",
        description=(__doc__ or "").split("\n\n", 1)[1] + "\nExit codes: 0 written, 1 no frame decoded "
        "(the file is still written), 2 usage, 3 pyarrow missing for .parquet, 4 no such capture, "
        "5 permission denied, 7 broken pipe.",
    )
    p.add_argument("captures", nargs="+", metavar="CAPTURE", help="capture files (raw or hex lines)")
    p.add_argument("-o", "--output", required=True,
                   help="output file (.parquet, .csv or .jsonl), or a directory for a partitioned "
                   "Parquet dataset (amsparse.write_dataset)")
    p.add_argument("--partition-by", default="meter_id,date", metavar="COLS",
                   help="dataset only: comma-separated partition columns (default: meter_id,date; '' for none)")
    p.add_argument("--drop-unknown", action="store_true",
                   help="dataset only: drop readings outside the profiles' columns instead of failing that file")
    bar = p.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None,
                     help="show progress on stderr (default: only when stderr is a terminal)")
    bar.add_argument("--no-progress", dest="progress", action="store_false", help="no progress line")
    add_decoder_options(p)
    _cli_framing.add_argument(p)
    p.set_defaults(run=guarded(run))


class _Progress:
    """A progress line on stderr, only when stderr is a terminal."""

    def __init__(self, total: int, what: str, enabled: bool | None) -> None:
        self.total, self.what = max(1, total), what
        self.on = bool(enabled) if enabled is not None else sys.stderr.isatty()
        self.last = 0.0
        self.shown = False

    def update(self, done: int, force: bool = False) -> None:
        if not self.on:
            return
        now = time.monotonic()
        if not force and now - self.last < 0.2:
            return
        self.last = now
        pct = 100 * done / self.total
        bar = "#" * int(pct // 5)
        sys.stderr.write(f"\r{self.what} [{bar:<20}] {pct:5.1f}% ({done}/{self.total})")
        sys.stderr.flush()
        self.shown = True

    def done(self) -> None:
        if self.on and self.shown:
            self.update(self.total, force=True)
            sys.stderr.write("\n")


def _iso(us: int) -> str | None:
    from ._batch import NAT

    if us == NAT:
        return None
    return (_dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc) + _dt.timedelta(microseconds=us)).isoformat()


def _fields(names: list[str]) -> list[str]:
    return ["source", "status", "error", *_META, "header_time", "meter_time", "receive_time", "timestamp", *names]


def _rows(table: Any, source: str, names: list[str]) -> Iterator[dict[str, Any]]:
    meta = {k: table.category(k) for k in _META}
    receive, stamp = table.receive_time, table.timestamp
    for i in range(len(table)):
        row: dict[str, Any] = {"source": source, "status": table.status[i], "error": table.errors.get(i)}
        for k in _META:
            row[k] = meta[k][i]
        row["header_time"] = _iso(table.header_time[i])
        row["meter_time"] = _iso(table.meter_time[i])
        row["receive_time"] = _iso(receive[i])
        row["timestamp"] = _iso(stamp[i])
        for n in names:
            col = table.columns.get(n)
            v = col[i] if col is not None else math.nan
            row[n] = None if math.isnan(v) else v
        yield row


def run(args: argparse.Namespace) -> int:
    from . import decode_batch
    from .io._capture import load_capture

    out = args.output
    ext = os.path.splitext(out)[1].lower()
    if ext not in _FORMATS:
        if ext:  # out.xlsx, out.txt...: a typo more likely than a directory name
            err(f"cannot tell the output format of {out!r}: use .parquet, .csv, .jsonl or a directory")
            return EXIT_USAGE
        from ._cli_dataset import run_dataset

        if args.framing != "hdlc":
            err("--framing applies to .parquet, .csv and .jsonl outputs; a dataset directory reads HDLC")
            return EXIT_USAGE
        return run_dataset(args)
    if ext == ".parquet":
        from .io._core import need

        need("pyarrow", "arrow", "writing Parquet")
    kw = decoder_kw(args)
    profiles = kw.pop("profiles", None)
    framed = _cli_framing.apply(args, dict(kw))  # raw captures; hex lines are single frames
    total_bytes = sum(os.path.getsize(p) for p in args.captures)
    prog = _Progress(total_bytes, "decoding", args.progress if args.progress is not None or total_bytes > (1 << 20) else False)
    tables: list[tuple[str, Any]] = []
    done = 0
    for path in args.captures:
        with open(path, "rb") as fh:
            data = fh.read()
        pieces, is_hex = load_capture(data)
        table = decode_batch(pieces, profiles, **kw) if is_hex else decode_batch(data, profiles, **framed)
        tables.append((path, table))
        done += len(data)
        prog.update(done)
    prog.done()
    rows = sum(len(t) for _, t in tables)
    decoded = sum(1 for _, t in tables for s in t.status if s == 0)
    names: list[str] = []
    for _, t in tables:
        for n in t.columns:  # the readings present (the CSV/JSONL columns)
            if n not in names:
                names.append(n)
    wprog = _Progress(rows, "writing", args.progress if args.progress is not None or rows > 20000 else False)
    if ext == ".parquet":
        _write_parquet(out, tables)
    else:
        with open(out, "w", newline="", encoding="utf-8") as fh:
            fields = _fields(names)
            writer = csv.DictWriter(fh, fields) if ext == ".csv" else None
            if writer is not None:
                writer.writeheader()
            n = 0
            for path, t in tables:
                for row in _rows(t, path, names):
                    if writer is not None:
                        writer.writerow(row)
                    else:
                        fh.write(json.dumps({k: v for k, v in row.items() if v is not None}, ensure_ascii=False) + "\n")
                    n += 1
                    if not n % 4096:
                        wprog.update(n)
    wprog.done()
    print(f"{out}: {rows} row(s), {decoded} decoded, {rows - decoded} rejected", file=sys.stderr)
    return EXIT_OK if decoded else EXIT_NO_FRAMES


def _write_parquet(out: str, tables: list[tuple[str, Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = []
    for path, t in tables:
        at = t.to_arrow()
        # plain strings: dictionaries differ from capture to capture
        for k in (*_META, "system_title"):
            i = at.schema.get_field_index(k)
            at = at.set_column(i, k, at.column(k).cast(pa.string()))
        at = at.add_column(0, "source", pa.array([path] * len(t), pa.string()))
        at = at.append_column("error", pa.array([t.errors.get(i) for i in range(len(t))], pa.string()))
        parts.append(at)
    table = pa.concat_tables(parts, promote_options="default") if len(parts) > 1 else parts[0]
    pq.write_table(table, out)
