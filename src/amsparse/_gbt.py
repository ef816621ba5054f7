"""DLMS General Block Transfer (APDU tag 0xE0), shared by both backends.

One block::

    E0 | block-control (1) | block-number (2) | block-number-ack (2) | length (A-XDR) | raw data

Block control: bit 7 last block, bit 6 streaming, bits 0-5 window.  Blocks are
numbered from 1; the message is the concatenation of the blocks' raw data, an
APDU itself (often a ciphered one).  A missing, repeated or out-of-order block
rejects the whole message (:class:`BlockTransferError`): never partial values.
"""

from __future__ import annotations

from ._axdr import read_length
from ._errors import BlockTransferError
from ._pieces import Pieces

__all__ = ["BlockAssembler", "MAX_MESSAGE", "join_blocks", "read_block"]

MAX_MESSAGE = 1 << 16  # bytes of one reassembled message; real pushes are < 2 KiB


def read_block(data: bytes, pos: int, end: int) -> tuple[bool, int, int, int]:
    """``(last, number, raw_start, raw_end)`` of the block at ``data[pos]``."""
    if end - pos < 7:
        raise BlockTransferError(f"general-block-transfer block header needs 7 bytes, {end - pos} left", pos)
    ctl = data[pos + 1]
    number = (data[pos + 2] << 8) | data[pos + 3]
    p = pos + 6
    got = read_length(data, p, end)
    if got is None:
        raise BlockTransferError(f"general-block-transfer block {number} has a bad length prefix 0x{data[p]:02X}", p)
    length, p = got
    if length > end - p:
        raise BlockTransferError(
            f"general-block-transfer block {number} says {length} bytes, {end - p} present", p
        )
    return bool(ctl & 0x80), number, p, p + length


class BlockAssembler(Pieces):
    """Joins blocks fed one by one (one per HDLC frame or M-Bus message);
    memory is bounded by ``max_size``."""

    __slots__ = ("expect",)
    what = "general-block-transfer message"
    error = BlockTransferError

    def __init__(self, max_size: int = MAX_MESSAGE) -> None:
        super().__init__(max_size)
        self.expect = 1

    def reset(self) -> None:
        super().reset()
        self.expect = 1

    def feed(self, data: bytes, pos: int, end: int) -> bytes | None:
        """Add the block(s) in ``data[pos:end]``; the message when complete."""
        while pos < end:
            if data[pos] != 0xE0:
                self.reset()
                raise BlockTransferError(
                    f"0x{data[pos]:02X} where a general-block-transfer block (0xE0) should follow", pos)
            try:
                last, number, rs, re = read_block(data, pos, end)
            except BlockTransferError:
                self.reset()
                raise
            if number != self.expect:
                expect = self.expect
                self.reset()
                if expect == 1:
                    raise BlockTransferError(
                        f"general-block-transfer message starts at block {number} (block 1 missing)", pos)
                why = "repeated" if number < expect else "out of order (a block is missing)"
                raise BlockTransferError(
                    f"general-block-transfer block {number} where block {expect} was due: {why}", pos)
            self.add(data, rs, re, pos)
            self.expect += 1
            pos = re
            if last:
                if pos != end:
                    self.reset()
                    raise BlockTransferError(f"{end - pos} bytes after the last general-block-transfer block", pos)
                return self.join()
        return None


def join_blocks(data: bytes, pos: int, end: int) -> bytes:
    """The message carried by the complete block sequence ``data[pos:end]``."""
    message = BlockAssembler(max(MAX_MESSAGE, end - pos)).feed(data, pos, end)
    if message is None:
        raise BlockTransferError("general-block-transfer message ends before its last block", end)
    return message
