"""write_dataset: a Hive-partitioned Parquet dataset, read back with pyarrow, pandas, polars and DuckDB."""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path
from typing import Any

import pytest

# the extras come with ".[test]" (the default run); the wheel tests install only the
# wheeltest group, where this module skips
duckdb = pytest.importorskip("duckdb")
pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")
ds = pytest.importorskip("pyarrow.dataset")

import corpusdata
from test_chunked import _capture

import amsparse
from amsparse._batch import NAT

FRAMES = [r for _, r in corpusdata.hdlc_frames(encrypted=True)]
CATS = ("profile_id", "list_name", "list_version", "meter_id", "meter_type")
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _ts(us: int) -> Any:
    return None if us == NAT else EPOCH + dt.timedelta(microseconds=us)


def _expected(files: dict[str, bytes]) -> list[dict[str, Any]]:
    """The dataset rows, from decode_batch of each whole file (computed here,
    not by the dataset writer)."""
    out = []
    for path, data in files.items():
        t = amsparse.decode_batch(data)
        cats = {k: t.category(k) for k in CATS}
        for i in range(len(t)):
            h, m = _ts(t.header_time[i]), _ts(t.meter_time[i])
            time = h if h is not None else m
            row = {"source": path, "row": i, "status": t.status[i], "error": t.errors.get(i),
                   "header_time": h, "meter_time": m, "time": time,
                   "date": None if time is None else time.date()}
            row.update({k: cats[k][i] for k in CATS})
            for name, col in t.columns.items():
                row[name] = None if math.isnan(col[i]) else col[i]
            out.append(row)
    return out


def _norm(v: Any) -> Any:
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime().astimezone(dt.timezone.utc)
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.timezone.utc)
    if hasattr(v, "item"):  # numpy scalars
        return _norm(v.item())
    return v


def _assert_rows(records: list[dict[str, Any]], expected: list[dict[str, Any]], reader: str) -> None:
    got = sorted(({k: _norm(v) for k, v in r.items()} for r in records), key=lambda r: (r["source"], r["row"]))
    assert len(got) == len(expected), reader
    names = {k for r in expected for k in r}
    for g, e in zip(got, expected):
        for k in names:
            assert g.get(k) == e.get(k), (reader, e["source"], e["row"], k, g.get(k), e.get(k))
        extra = set(g) - names  # reading columns no row of these files has
        assert all(g[k] is None for k in extra), (reader, [k for k in extra if g[k] is not None])


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes], amsparse.DatasetSummary]:
    d = tmp_path_factory.mktemp("ds")
    good = {
        str(d / "a.bin"): _capture(FRAMES),
        str(d / "b.bin"): b"".join(FRAMES[::-1]),
        str(d / "truncated.bin"): b"".join(FRAMES[:12]) + FRAMES[12][:-30],  # last file cut short
    }
    for p, data in good.items():
        Path(p).write_bytes(data)
    junk = d / "not-a-capture.bin"
    junk.write_bytes(bytes(range(256)).replace(b"\x7e", b"") * 20)
    missing = d / "missing.bin"
    out = d / "dataset"
    seen: list[tuple[int, int | None]] = []
    with pytest.raises(amsparse.DatasetError) as info:
        amsparse.write_dataset([*good, str(junk), str(missing)], out, rows=50, chunk_bytes=3000,
                               progress=lambda a, b: seen.append((a, b)))
    total = sum(len(v) for v in good.values()) + junk.stat().st_size
    assert seen[-1] == (total, total) and [a for a, _ in seen] == sorted(a for a, _ in seen)
    return out, good, info.value.summary


def test_summary_names_each_bad_file(written) -> None:  # type: ignore[no-untyped-def]
    out, good, summary = written
    errors = dict(summary.errors)
    assert set(errors) == {p for p in good if "truncated" in p} | {
        str(out.parent / "not-a-capture.bin"), str(out.parent / "missing.bin")}
    assert errors[str(out.parent / "not-a-capture.bin")].startswith("not a capture")
    assert errors[str(out.parent / "missing.bin")].startswith("cannot read")
    assert "ends inside a frame" in errors[str(out.parent / "truncated.bin")]
    assert "missing.bin" in str(summary) and "not-a-capture.bin" in str(summary)
    files = {f.path: f for f in summary.files}
    assert files[str(out.parent / "truncated.bin")].written
    assert not files[str(out.parent / "missing.bin")].written
    assert summary.rows == sum(len(amsparse.decode_batch(v)) for v in good.values())
    assert not [p for p in os.listdir(out) if p.startswith(".")]  # no staging left behind


def _partitioning() -> Any:
    return ds.partitioning(pa.schema([("meter_id", pa.string()), ("date", pa.date32())]), flavor="hive")


def test_schema(written) -> None:  # type: ignore[no-untyped-def]
    out, _, _ = written
    dataset = ds.dataset(out, format="parquet", partitioning=_partitioning())
    want = amsparse.dataset_schema()
    assert set(dataset.schema.names) == set(want.names)
    for f in want:
        assert dataset.schema.field(f.name).type == f.type, f.name
    assert dataset.schema.field("time").type == pa.timestamp("us", tz="UTC")
    # hive directories: meter_id=<id>/date=<YYYY-MM-DD>
    some = next(p for p in out.rglob("*.parquet"))
    assert some.parent.name.startswith("date=") and some.parent.parent.name.startswith("meter_id=")


def test_read_back_pyarrow(written) -> None:  # type: ignore[no-untyped-def]
    out, good, _ = written
    table = ds.dataset(out, format="parquet", partitioning=_partitioning()).to_table()
    _assert_rows(table.to_pylist(), _expected(good), "pyarrow")
    # a missing reading is null (not NaN) in the dataset: SQL aggregates skip it
    import pyarrow.compute as pc

    col = table.column("voltage_l1")
    assert col.null_count == sum(1 for r in _expected(good) if r.get("voltage_l1") is None) > 0
    assert not pc.any(pc.is_nan(col)).as_py()


def test_read_back_pandas(written) -> None:  # type: ignore[no-untyped-def]
    out, good, _ = written
    df = pd.read_parquet(out, partitioning=_partitioning())
    assert str(df["time"].dtype) == "datetime64[us, UTC]"
    recs = df.astype(object).where(df.notna(), None).to_dict("records")
    for r in recs:
        if isinstance(r["date"], pd.Timestamp):
            r["date"] = r["date"].date()
    _assert_rows(recs, _expected(good), "pandas")


def test_read_back_polars(written) -> None:  # type: ignore[no-untyped-def]
    out, good, _ = written
    df = pl.read_parquet(str(out / "**" / "*.parquet"), hive_partitioning=True,
                         hive_schema={"meter_id": pl.String, "date": pl.Date})
    assert df.schema["time"] == pl.Datetime("us", "UTC")
    _assert_rows(df.to_dicts(), _expected(good), "polars")


def test_read_back_duckdb(written) -> None:  # type: ignore[no-untyped-def]
    out, good, _ = written
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    rel = con.sql(
        f"SELECT * FROM read_parquet('{out}/**/*.parquet', hive_partitioning = true, "
        "hive_types = {'meter_id': VARCHAR, 'date': DATE})"
    )
    cols = rel.columns
    recs = [dict(zip(cols, r)) for r in rel.fetchall()]
    _assert_rows(recs, _expected(good), "duckdb")
    # an aggregate over the partitions, as a user would run it
    n = con.sql(f"SELECT count(*) FROM read_parquet('{out}/**/*.parquet', hive_partitioning = true) "
                "WHERE status = 0").fetchall()[0][0]
    assert n == sum(1 for r in _expected(good) if r["status"] == 0)


def test_no_partitions_and_bad_arguments(tmp_path: Path) -> None:
    src = tmp_path / "a.bin"
    src.write_bytes(_capture(FRAMES))
    summary = amsparse.write_dataset(str(tmp_path / "*.bin"), tmp_path / "flat", partition_by=())
    assert summary.errors == [] and summary.rows == len(amsparse.decode_batch(src.read_bytes()))
    assert [p.parent for p in (tmp_path / "flat").rglob("*.parquet")] == [tmp_path / "flat"]
    with pytest.raises(FileExistsError):
        amsparse.write_dataset(src, tmp_path / "flat")
    with pytest.raises(ValueError, match="cannot partition by 'nope'"):
        amsparse.write_dataset(src, tmp_path / "x", partition_by=("nope",))
    with pytest.raises(FileNotFoundError):
        amsparse.write_dataset(str(tmp_path / "none*.bin"), tmp_path / "y")
    with pytest.raises(ValueError, match="no-such-profile"):
        amsparse.write_dataset(src, tmp_path / "v", profile="no-such-profile")
    # a reading outside the declared columns: that file is not written, on purpose
    s = amsparse.write_dataset(src, tmp_path / "z", columns=["active_power_import"], on_error="return")
    assert s.rows == 0 and "readings outside the declared columns" in s.errors[0][1]
    s = amsparse.write_dataset(src, tmp_path / "w", columns=["active_power_import"], on_unknown="drop")
    assert s.rows > 0 and s.errors == []
