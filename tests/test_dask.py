"""amsparse.dask.read_captures: partitions by file or byte range, equal to decode_batch row for row,
on a real dask.distributed LocalCluster with worker processes."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

# the extras come with ".[test]" (the default run); the wheel tests install only the
# wheeltest group, where these modules skip
dask = pytest.importorskip("dask")
pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

import corpusdata
from test_chunked import JUNK, _capture, assert_rows_equal

import amsparse
from amsparse import _decode_py, _stream
from amsparse._batch import _CATEGORICAL, _decode_batch
from amsparse.dask import _ReadPart, read_captures, reading_columns

FRAMES = [r for _, r in corpusdata.hdlc_frames(encrypted=True)]
BY_ID = dict(corpusdata.hdlc_frames(encrypted=True))


def _nested_header(frame: bytes, at: int) -> bytes:
    """The frame with a fake HDLC header (0x7E, format, addresses, control and a
    right header check sequence) written into its payload at ``at``, and its own
    FCS fixed: a scan that starts inside the frame, before ``at``, sees a
    candidate there (a rejected row) that the whole-file scan never sees."""
    fake = bytearray(b"\x7e\xa0\x30\x41\x08\x83\x13")
    hcs = _decode_py.fcs16(bytes(fake), 1, len(fake))
    fake += bytes([hcs & 0xFF, hcs >> 8])
    m = bytearray(frame)
    m[at : at + len(fake)] = fake
    fcs = _decode_py.fcs16(bytes(m), 1, len(m) - 3)
    m[-3], m[-2] = fcs & 0xFF, fcs >> 8
    return bytes(m)


def _small() -> bytes:
    f = [BY_ID["kfm-list1-03"], BY_ID["kam-list2-01"], BY_ID["aid-list2-01"], BY_ID["kfm-list2-02"]]
    # noise, back-to-back frames sharing a flag, a truncated frame, a frame whose
    # payload holds a fake frame header, a trailing half frame (IncompleteFrameError at the end)
    return (JUNK + f[0] + f[1][1:] + f[2][:90] + f[2] + b"\x7e\x7e" + f[3] + JUNK
            + _nested_header(f[2], 60) + f[1][:50])


def _reader(impl: str, cols: list[str] | None = None) -> _ReadPart:
    import fsspec

    return _ReadPart(fsspec.filesystem("file"), None, None, None, cols or reading_columns(), 2050, "raise", impl)


def _parts(path: str, size: int, cuts: list[int]) -> list[tuple[str, int, int | None, int]]:
    bounds = [0, *cuts, size]
    return [(path, a, b, size) for a, b in zip(bounds, bounds[1:])]


def _frame_spans(capture: bytes) -> list[tuple[int, int]]:
    items, _, _, _ = _stream._scan(capture, 0, len(capture), 2050, False, True)
    return [(s, e) for kind, s, e, _ in items if kind != 0]


@pytest.fixture(params=["cython", "python"])
def backend(request: pytest.FixtureRequest) -> str:
    from conftest import _no_c

    if request.param == "cython" and _no_c(request.config):
        pytest.skip("compiled core disabled on purpose")
    return request.param


def test_range_start_at_every_offset(tmp_path: Path, backend: str) -> None:
    capture = _small()
    path = tmp_path / "small.bin"
    path.write_bytes(capture)
    impl = importlib.import_module("amsparse._decode_c" if backend == "cython" else "amsparse._decode_py")
    whole = _decode_batch(capture, None, None, None, impl)
    assert len(whole) == 7 and list(whole.status).count(0) >= 4, list(whole.status)
    reader = _reader(backend)
    # two ranges, the boundary at every byte: inside every frame at every position
    for cut in range(1, len(capture)):
        tables = [reader.table(p) for p in _parts(str(path), len(capture), [cut])]
        assert_rows_equal(tables, whole)
    # one-byte ranges: every byte a range of its own
    tables = [reader.table(p) for p in _parts(str(path), len(capture), list(range(1, len(capture))))]
    assert_rows_equal(tables, whole)


def _assert_frame_equal(got: pd.DataFrame, captures: list[bytes]) -> None:
    """got (all partitions, in order) against decode_batch of each whole
    capture, concatenated; reading columns that decode_batch does not produce
    are all NaN."""
    wants = [amsparse.decode_batch(c).to_pandas() for c in captures]
    got = got.reset_index(drop=True)
    assert len(got) == sum(len(w) for w in wants)
    offset = 0
    for want in wants:
        part = got.iloc[offset : offset + len(want)].reset_index(drop=True)
        offset += len(want)
        for col in want.columns:
            a, b = part[col], want[col]
            assert a.dtype == b.dtype or (str(a.dtype) == str(b.dtype) == "category"), col
            if col in _CATEGORICAL:
                a, b = a.astype(object), b.astype(object)
            pd.testing.assert_series_equal(a, b, check_names=False, obj=col)
        others = [c for c in part.columns if c not in want.columns]
        assert part[others].isna().all().all()


def test_meta_is_declared_not_computed(tmp_path: Path) -> None:
    path = tmp_path / "gone.bin"
    path.write_bytes(_capture(FRAMES))
    df = read_captures(str(path))
    path.unlink()  # nothing was read to build the frame: only computing needs the file
    cols = reading_columns()
    assert list(df.columns) == [*_CATEGORICAL, "header_time", "meter_time", "receive_time", "timestamp", "status",
                                "system_title", "invocation_counter", *cols]
    # the dtypes are those of FrameTable.to_pandas (decoded independently of the dask path)
    full = amsparse.decode_batch(_capture(FRAMES)).to_pandas()
    for col in full.columns:
        assert str(df.dtypes[col]) == str(full.dtypes[col]), col
    assert set(full.columns) <= set(df.columns)
    with pytest.raises(OSError, match="gone.bin"):
        df.compute(scheduler="sync")


def test_profile_columns_and_unknown_readings(tmp_path: Path) -> None:
    cols = reading_columns(profile="kaifa-kfm001")
    assert {"active_power_import", "voltage_l1", "active_energy_import"} <= set(cols)
    assert "frequency" in cols  # the generic OBIS table's names are always there
    path = tmp_path / "c.bin"
    path.write_bytes(_capture(FRAMES))
    with pytest.raises(ValueError, match=r"c\.bin has readings outside the declared columns"):
        read_captures(str(path), columns=["active_power_import"]).compute(scheduler="sync")
    got = read_captures(str(path), columns=["active_power_import"], on_unknown="drop").compute(scheduler="sync")
    assert list(got.columns)[-1] == "active_power_import"
    want = amsparse.decode_batch(_capture(FRAMES)).to_pandas()
    pd.testing.assert_series_equal(got["active_power_import"].reset_index(drop=True), want["active_power_import"])
    with pytest.raises(ValueError, match="no-such-profile"):
        read_captures(str(path), profile="no-such-profile")
    with pytest.raises(FileNotFoundError, match="nothing-here"):
        read_captures(str(tmp_path / "nothing-here*.bin"))


def test_fsspec_url_and_glob(tmp_path: Path) -> None:
    import fsspec

    caps = [_capture(FRAMES[i::3]) for i in range(3)]
    mem = fsspec.filesystem("memory")
    for i, c in enumerate(caps):
        mem.pipe(f"/amsparse-test/m{i}.bin", c)
    try:
        df = read_captures("memory://amsparse-test/m*.bin", blocksize=1000)
        assert df.npartitions == sum(-(-len(c) // 1000) for c in caps)
        _assert_frame_equal(df.compute(scheduler="sync"), caps)
    finally:
        mem.rm("/amsparse-test", recursive=True)


def test_missing_extra_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)
    monkeypatch.delitem(sys.modules, "amsparse.dask")
    with pytest.raises(ImportError, match=r"pip install 'amsparse\[dask\]'"):
        importlib.import_module("amsparse.dask")
    monkeypatch.undo()
    assert importlib.import_module("amsparse.dask").read_captures is read_captures


# --- a real cluster: two worker processes ----------------------------------------------

@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    from distributed import Client, LocalCluster

    # dashboard_address=None is not "no dashboard": distributed then binds its
    # default port 8787 and warns (an error here) when another process holds it.
    # Port 0 (loopback) and scheduler_port=0 take free ports.
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, scheduler_port=0,
                           dashboard_address="127.0.0.1:0", worker_dashboard_address="127.0.0.1:0")
    c = Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def test_local_cluster_row_for_row(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    caps = [_capture(FRAMES), _small() * 3, _capture(FRAMES[::-1])[:-77]]
    paths = []
    for i, c in enumerate(caps):
        p = tmp_path / f"meter{i}.bin"
        p.write_bytes(c)
        paths.append(str(p))
    blocksize = 2003  # a prime: the range starts fall inside frames, at varied offsets
    inside = sum(1 for c in caps for a in range(blocksize, len(c), blocksize)
                 for s, e in _frame_spans(c) if s < a < e - 1)
    assert inside >= 20, inside  # boundaries inside frames, on purpose
    df = read_captures(paths, blocksize=blocksize)
    assert df.npartitions == sum(-(-len(c) // blocksize) for c in caps)
    got = client.compute(df).result()
    workers = {w for w in client.run(lambda: __import__("os").getpid()).values()}
    assert len(workers) == 2  # two processes
    _assert_frame_equal(got, caps)
    # one partition per file, through a glob
    by_file = read_captures(str(tmp_path / "meter*.bin"))
    assert by_file.npartitions == 3
    _assert_frame_equal(client.compute(by_file).result(), caps)
