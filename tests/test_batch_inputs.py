"""decode_batch takes every reasonable form of a capture, and refuses the rest
with a TypeError instead of a table of rejected rows (issue 12)."""

from __future__ import annotations

import io
import mmap
from pathlib import Path

import corpusdata
import pytest

import amsparse

FRAMES = [raw for _, raw in corpusdata.hdlc_frames(corrupt=False)][:12]
CAPTURE = b"\x00junk".join(FRAMES)


def _same(table: amsparse.FrameTable, ref: amsparse.FrameTable) -> None:
    assert len(table) == len(ref) == len(FRAMES)
    assert list(table.status) == list(ref.status)
    assert table.names == ref.names
    assert table.category("meter_id") == ref.category("meter_id")


@pytest.fixture(scope="module")
def ref() -> amsparse.FrameTable:
    t = amsparse.decode_batch(CAPTURE)
    assert sum(1 for s in t.status if s == 0) == len(FRAMES)
    return t


def test_path_str_and_pathlike(tmp_path: Path, ref: amsparse.FrameTable) -> None:
    p = tmp_path / "cap.bin"
    p.write_bytes(CAPTURE)
    _same(amsparse.decode_batch(p), ref)
    _same(amsparse.decode_batch(str(p)), ref)


def test_binary_file_objects(tmp_path: Path, ref: amsparse.FrameTable) -> None:
    p = tmp_path / "cap.bin"
    p.write_bytes(CAPTURE)
    with open(p, "rb") as fh:
        _same(amsparse.decode_batch(fh), ref)
    _same(amsparse.decode_batch(io.BytesIO(CAPTURE)), ref)
    with open(p, "rb", buffering=0) as raw:  # io.FileIO: reads may come back short
        _same(amsparse.decode_batch(raw), ref)


def test_buffers(tmp_path: Path, ref: amsparse.FrameTable) -> None:
    _same(amsparse.decode_batch(bytearray(CAPTURE)), ref)
    _same(amsparse.decode_batch(memoryview(CAPTURE)), ref)
    p = tmp_path / "cap.bin"
    p.write_bytes(CAPTURE)
    with open(p, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as m:
        _same(amsparse.decode_batch(m), ref)
    np = pytest.importorskip("numpy")
    _same(amsparse.decode_batch(np.frombuffer(CAPTURE, dtype=np.uint8)), ref)


def test_iterable_of_frames(ref: amsparse.FrameTable) -> None:
    t = amsparse.decode_batch(iter(FRAMES))
    assert list(t.status) == [0] * len(FRAMES)
    assert t.category("meter_id") == ref.category("meter_id")
    assert len(amsparse.decode_batch([bytearray(f) for f in FRAMES])) == len(FRAMES)


def test_refusals(tmp_path: Path) -> None:
    p = tmp_path / "cap.bin"
    p.write_bytes(CAPTURE)
    with open(p) as text, pytest.raises(TypeError, match="binary"):  # text mode
        amsparse.decode_batch(text)
    with pytest.raises(TypeError, match="bytes.fromhex"):
        amsparse.decode_batch([f.hex() for f in FRAMES])
    with pytest.raises(TypeError, match="decode_batch takes"):
        amsparse.decode_batch(42)

    class Texty:
        def read(self, n: int) -> str:
            return "7e"

    with pytest.raises(TypeError, match="binary mode"):
        amsparse.decode_batch(Texty())
    with pytest.raises(FileNotFoundError):
        amsparse.decode_batch(tmp_path / "missing.bin")


def test_iterable_items_starting_0x68_are_mbus_in_both_backends() -> None:
    """An item of the iterable path that starts with 0x68 is an M-Bus message in
    both backends, as in decode_frame (the compiled writer once took it for a
    broken HDLC frame: found by the batch fuzzer)."""
    from amsparse import _decode_py
    from amsparse._batch import _decode_batch

    c_core = pytest.importorskip("amsparse._decode_c", exc_type=ModuleNotFoundError)
    mbus = [bytes.fromhex(r["hex"]) for r in corpusdata.records() if r.get("framing") == "mbus"][:3]
    items = [b"\x68\x01\x02\x03", *mbus, FRAMES[0], b"\x68"]
    c = _decode_batch(items, None, None, None, c_core)
    p = _decode_batch(items, None, None, None, _decode_py)
    assert c.errors == p.errors and list(c.status) == list(p.status)
    assert "M-Bus" in c.errors[0] and list(c.status)[len(mbus) + 1] == 0


def test_counts_and_status_enum() -> None:
    """rows / decoded / rejected are counts; status holds amsparse.Status codes."""
    bad = bytearray(FRAMES[0])
    bad[-3] ^= 0xFF  # FCS
    t = amsparse.decode_batch([FRAMES[0], bytes(bad), FRAMES[1], b"\x7e\x7e"])
    assert (t.rows, t.decoded, t.rejected) == (4, 2, 2) == (len(t), 2, len(t.errors))
    st = [amsparse.Status(s) for s in t.status]
    assert st[0] is amsparse.Status.DECODED and st[1] is amsparse.Status.CHECKSUM_ERROR
    assert t.errors[1].startswith("ChecksumError")
    assert t.category("meter_id")[0] == amsparse.decode_frame(FRAMES[0]).meter_id
    assert "rejected=2" in repr(t)
