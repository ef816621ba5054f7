"""Fake-header floods (issue 11, F6): a header with a good HCS every 16 bytes.

The claimed length is either the maximum (2047: each header's span covers 128
later ones, and its closing-flag position holds a flag, so its FCS is checked)
or 15 (the same number of rejections, nothing to look at twice).  With the CRC
registers stored after the first failed FCS, both cost the same per byte: what
is left is the price of one rejection each.  Compare the two groups' rows.
"""

from __future__ import annotations

import pytest
from test_bench import stream_backend  # noqa: F401  (fixture)

import amsparse


def _crc16_x25(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


def _flood(length: int, size: int = 256 << 10) -> bytes:
    h = bytes((0xA0 | (length >> 8), length & 0xFF, 0x41, 0x08, 0x83, 0x13))
    unit = b"\x7e" + h + _crc16_x25(h).to_bytes(2, "little") + bytes(7)
    return unit * (size // len(unit))


@pytest.mark.parametrize("claimed", [15, 2047])
@pytest.mark.benchmark(group="flood-stream-feed")
def test_flood_stream_feed(benchmark, stream_backend: str, claimed: int) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    data = _flood(claimed)
    benchmark.extra_info.update(capture_bytes=len(data), claimed_length=claimed)

    def run() -> int:
        dec = amsparse.StreamDecoder()
        for i in range(0, len(data), 4096):
            dec.feed(data[i : i + 4096])
        dec.flush()
        return sum(dec.frames_rejected.values())

    rejected = benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=0)
    assert rejected == len(data) // 16


@pytest.mark.parametrize("claimed", [15, 2047])
@pytest.mark.benchmark(group="flood-decode_batch")
def test_flood_decode_batch(benchmark, claimed: int) -> None:  # type: ignore[no-untyped-def]
    data = _flood(claimed)
    benchmark.extra_info.update(capture_bytes=len(data), claimed_length=claimed, backend=amsparse.BACKEND)
    table = benchmark.pedantic(amsparse.decode_batch, args=(data,), rounds=3, iterations=1, warmup_rounds=0)
    assert len(table) == len(data) // 16
