"""``amsparse convert CAPTURE... -o DIR``: capture files -> a partitioned Parquet
dataset, with a progress bar.

``amsparse convert`` (:mod:`amsparse._cli_convert`) comes here when ``-o``
names a directory rather than a ``.parquet``/``.csv``/``.jsonl`` file.  A
thin command over :func:`amsparse.write_dataset` (needs the ``arrow`` extra).
The progress bar goes to stderr when it is a terminal (``--progress`` forces
it, ``--no-progress`` turns it off).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

__all__ = ["ProgressBar", "run_dataset"]


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


def run_dataset(args: argparse.Namespace) -> int:
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
            args.captures, args.output, partition_by, profiles=profiles, profile=args.profile, tz=args.tz,
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
