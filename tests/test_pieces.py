"""The reassembly bound and join shared by block transfer and M-Bus segments
(amsparse._pieces): messages, offsets and the reset after an error are pinned
here by hand (the stream tests only reach them with 64 KiB messages)."""

from __future__ import annotations

import pytest

from amsparse import BlockTransferError, FrameError
from amsparse._gbt import BlockAssembler
from amsparse._mbus import MBusAssembler


def _block(number: int, payload: bytes, last: bool) -> bytes:
    # E0 | block-control | block-number (2) | block-number-ack (2) | length | raw data
    return bytes([0xE0, 0x80 if last else 0x00, 0, number, 0, 0, len(payload)]) + payload


def test_blocks_join_in_order() -> None:
    asm = BlockAssembler(100)
    b1 = _block(1, b"abcdef", False)
    assert asm.feed(b1, 0, len(b1)) is None
    assert asm.pending == 6
    b2 = _block(2, b"gh", True)
    assert asm.feed(b2, 0, len(b2)) == b"abcdefgh"
    assert asm.pending == 0 and asm.expect == 1


def test_blocks_past_the_bound_reset_and_say_where() -> None:
    asm = BlockAssembler(10)
    data = _block(1, b"abcdef", False) + _block(2, b"ghijkl", True)
    with pytest.raises(BlockTransferError) as ei:
        asm.feed(data, 0, len(data))
    assert str(ei.value).startswith("general-block-transfer message grows past 10 bytes")
    assert ei.value.offset == 13  # the second block's E0
    assert asm.pending == 0 and asm.expect == 1 and asm.parts == []


def test_mbus_segments_join_and_bound() -> None:
    asm = MBusAssembler(8)
    data = b"\x00\x00\x00abcdef"
    assert asm.feed(data, 0x00, 3, 9) is None  # segment 0, more to come
    assert asm.pending == 6 and asm.seq == 1
    with pytest.raises(FrameError) as ei:
        asm.feed(data, 0x01, 3, 9)  # segment 1 would make 12 bytes
    assert str(ei.value).startswith("M-Bus DLMS message grows past 8 bytes")
    assert ei.value.offset == 3
    assert asm.pending == 0 and asm.seq == 0 and asm.parts == []
    assert asm.feed(b"xyz", 0x10, 0, 3) == b"xyz"  # a single last segment 0
    assert asm.pending == 0 and asm.seq == 0
