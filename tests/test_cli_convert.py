"""amsparse convert: capture files -> Parquet dataset from the command line, with a progress bar."""

from __future__ import annotations

from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")  # the arrow extra comes with ".[test]"
ds = pytest.importorskip("pyarrow.dataset")

import corpusdata

import amsparse  # noqa: E402
from amsparse._cli import main  # noqa: E402

FRAMES = [r for _, r in corpusdata.hdlc_frames(encrypted=True)]


def test_convert_with_progress_and_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = tmp_path / "a.bin"
    a.write_bytes(b"\x00".join(FRAMES) * 3)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"nothing to see" * 100)
    out = tmp_path / "out"
    rc = main(["convert", str(a), str(junk), "-o", str(out), "--progress"])
    captured = capsys.readouterr()
    assert rc == 1  # one file could not be written
    assert "junk.bin: not a capture" in captured.out
    total = a.stat().st_size + junk.stat().st_size
    assert f"100.0% {total / 2**20:.1f}/{total / 2**20:.1f} MiB" in captured.err
    part = ds.partitioning(pa.schema([("meter_id", pa.string()), ("date", pa.date32())]), flavor="hive")
    table = ds.dataset(out, format="parquet", partitioning=part).to_table()
    assert table.num_rows == len(amsparse.decode_batch(a.read_bytes()))
    # no bar unless asked (stderr is not a terminal here); no partitions
    rc = main(["convert", str(a), "-o", str(tmp_path / "flat"), "--partition-by", ""])
    captured = capsys.readouterr()
    assert rc == 0 and captured.err == "" and "1 of 1 files" in captured.out
    assert all(p.parent == tmp_path / "flat" for p in (tmp_path / "flat").rglob("*.parquet"))


def test_convert_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = tmp_path / "a.bin"
    a.write_bytes(FRAMES[0])
    assert main(["convert", str(a), "-o", str(tmp_path / "o"), "--profile", "no-such"]) == 2
    assert "no-such" in capsys.readouterr().err
    assert main(["convert", str(a), "-o", str(tmp_path / "o2"), "--partition-by", "nope"]) == 2
    assert "cannot partition by 'nope'" in capsys.readouterr().err
