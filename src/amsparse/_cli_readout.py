"""``amsparse read URL -o OUT.parquet|.csv|.jsonl``: the frames read live, as a table.

The frames an :mod:`amsparse.io` reader decodes carry their receive time
(:attr:`Frame.received <amsparse.Frame.received>`);
:meth:`FrameTable.from_frames <amsparse.FrameTable.from_frames>` keeps it in the
``receive_time`` column, and ``timestamp`` falls back on it for lists without a
clock.  The file is written when the read ends (``--count`` reached, the
source ended, or Ctrl-C); the columns are those of ``amsparse convert``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from typing import Any

from ._cli_io import EXIT_USAGE, err

_FORMATS = (".parquet", ".csv", ".jsonl")


def add_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", metavar="FILE",
                   help="also write the decoded frames to FILE (.parquet, .csv or .jsonl) when the read ends, "
                   "with their receive times")


def check(args: argparse.Namespace) -> int | None:
    """A usage error's exit code for ``--output``, else ``None`` (checked before reading)."""
    out = getattr(args, "output", None)
    if out is None:
        return None
    ext = os.path.splitext(out)[1].lower()
    if ext not in _FORMATS:
        err(f"cannot tell the output format of {out!r}: use .parquet, .csv or .jsonl")
        return EXIT_USAGE
    if ext == ".parquet":
        from .io._core import need

        need("pyarrow", "arrow", "writing Parquet")
    return None


def write(args: argparse.Namespace, frames: list[Any]) -> None:
    """Write ``frames`` (decoded live, ``received`` set) to ``args.output``."""
    from . import FrameTable
    from ._cli_convert import _fields, _rows, _write_parquet
    from ._cli_io import decoder_kw

    kw = decoder_kw(args)
    table = FrameTable.from_frames(frames, kw.get("profiles"), profile=kw.get("profile"))
    out = args.output
    ext = os.path.splitext(out)[1].lower()
    if ext == ".parquet":
        _write_parquet(out, [(args.url, table)])
    else:
        names = list(table.columns)
        with open(out, "w", newline="", encoding="utf-8") as fh:
            rows = _rows(table, args.url, names)
            if ext == ".csv":
                writer = csv.DictWriter(fh, _fields(names))
                writer.writeheader()
                writer.writerows(rows)
            else:
                for row in rows:
                    fh.write(json.dumps({k: v for k, v in row.items() if v is not None}, ensure_ascii=False) + "\n")
    print(f"{out}: {len(table)} frame(s)", file=sys.stderr)
