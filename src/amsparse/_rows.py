"""What a row of a :class:`amsparse.FrameTable` is made of, below the batch
layer: the compiled core's writer and the twin's fill rows with these
(amsparse._batch re-exports them)."""

from __future__ import annotations

import datetime as _dt

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
)

__all__ = ["MAX_COLUMNS", "NAT", "epoch_us", "error_code"]

#: "not a time" in the int64 time columns (numpy's NaT)
NAT = -(2**63)

#: default bound on the reading columns of one table.  Memory is rows x columns
#: (every row has a cell in every column), so a capture that names thousands of
#: OBIS codes once and then sends many rows would otherwise need gigabytes; a
#: frame that would add columns beyond the bound becomes an error row instead.
MAX_COLUMNS = 256

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

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_US = _dt.timedelta(microseconds=1)


def epoch_us(t: _dt.datetime | None) -> int:
    """Aware datetime -> UTC epoch microseconds (:data:`NAT` for ``None``)."""
    if t is None:
        return NAT
    return (t - _EPOCH) // _US


def error_code(e: DecodeError) -> int:
    for cls, code in _CODE_OF:
        if isinstance(e, cls):
            return code
    return 8  # pragma: no cover
