"""``amsparse convert``: capture files -> a partitioned Parquet dataset, with a progress bar.

A thin command over :func:`amsparse.write_dataset` (needs the ``arrow`` extra).
The progress bar goes to stderr when it is a terminal (``--progress`` forces
it, ``--no-progress`` turns it off).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, TextIO

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    c = sub.add_parser("convert", help="decode capture files into a partitioned Parquet dataset")
    c.add_argument("inputs", nargs="+", metavar="CAPTURE", help="raw capture files or globs")
    c.add_argument("-o", "--output", required=True, metavar="DIR", help="dataset directory (new or empty)")
    c.add_argument("--partition-by", default="meter_id,date", metavar="COLS",
                   help="comma-separated partition columns (default: meter_id,date; '' for none)")
    c.add_argument("--profile", help="force a profile id (e.g. kamstrup-v0001-se)")
    c.add_argument("--profiles", action="append", default=[], metavar="PATH",
                   help="load extra profile files or folders (repeatable)")
    c.add_argument("--tz", help="time zone for clocks without a UTC offset (default: the profile's)")
    c.add_argument("--drop-unknown", action="store_true",
                   help="drop readings outside the profiles' columns instead of failing that file")
    bar = c.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None,
                     help="show a progress bar on stderr (default: when stderr is a terminal)")
    bar.add_argument("--no-progress", dest="progress", action="store_false")


class ProgressBar:
    """``bar(done, total)``: a one-line text bar redrawn at most 10 times a second."""

    def __init__(self, out: TextIO, width: int = 30) -> None:
        self.out, self.width, self.last = out, width, 0.0
        self.start = time.monotonic()

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self.last < 0.1 and (total is None or done < total):
            return
        self.last = now
        mib = done / 2**20
        rate = mib / max(now - self.start, 1e-9)
        if total:
            filled = int(self.width * done / total)
            line = (f"\r[{'#' * filled}{'.' * (self.width - filled)}] {100 * done / total:5.1f}% "
                    f"{mib:.1f}/{total / 2**20:.1f} MiB {rate:.1f} MiB/s")
        else:
            line = f"\r{mib:.1f} MiB {rate:.1f} MiB/s"
        self.out.write(line)
        self.out.flush()

    def close(self) -> None:
        self.out.write("\n")
        self.out.flush()


def run(args: argparse.Namespace) -> int:
    from ._dataset import DatasetError, write_dataset
    from ._errors import ProfileError
    from ._profiles import builtin_profiles, load_profiles

    try:
        profiles = load_profiles(*args.profiles) if args.profiles else builtin_profiles()
    except ProfileError as e:
        print(f"amsparse: {e}", file=sys.stderr)
        return 2
    show = sys.stderr.isatty() if args.progress is None else args.progress
    bar = ProgressBar(sys.stderr) if show else None
    partition_by = tuple(c.strip() for c in args.partition_by.split(",") if c.strip())
    try:
        summary = write_dataset(
            args.inputs, args.output, partition_by, profiles=profiles, profile=args.profile, tz=args.tz,
            on_unknown="drop" if args.drop_unknown else "raise", on_error="return", progress=bar,
        )
    except (ImportError, OSError, ValueError, KeyError, DatasetError) as e:
        if bar is not None:
            bar.close()
        print(f"amsparse: {e}", file=sys.stderr)
        return 2
    if bar is not None:
        bar.close()
    print(summary)
    return 1 if summary.errors else 0
