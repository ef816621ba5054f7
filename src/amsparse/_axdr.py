"""A-XDR pieces shared by the transport layers (block transfer, ciphering).

The body walker of the decoders keeps its own, faster reader; these are for
the envelope fields that precede a body.
"""

from __future__ import annotations

__all__ = ["read_length"]


def read_length(data: bytes, p: int, end: int) -> tuple[int, int] | None:
    """The A-XDR length at ``data[p]`` (one byte below 0x80, else 0x8n and n
    big-endian bytes, n = 1..4): ``(length, position after it)``, or None when
    the prefix is malformed or runs past ``end`` (the caller raises its own
    typed error)."""
    b = data[p]
    if b < 0x80:
        return b, p + 1
    n = b & 0x7F
    if n == 0 or n > 4 or p + 1 + n > end:
        return None
    return int.from_bytes(data[p + 1 : p + 1 + n], "big"), p + 1 + n
