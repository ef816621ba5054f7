"""FrameTable exports: nulls for missing readings (NaN only where the meter sent
NaN), time zones, receive times, the Arrow PyCapsule stream, the column schema
from the profiles, and the security columns of ciphered frames.

Every expectation here is written out from the frames the test builds (values,
which readings each frame carries), not taken from the code under test.
"""

from __future__ import annotations

import datetime as dt
import math
import struct
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import encoder as E  # noqa: E402

import amsparse  # noqa: E402
from amsparse import _decode_py  # noqa: E402
from amsparse._batch import _decode_batch, reading_columns  # noqa: E402

pa = pytest.importorskip("pyarrow")
pl = pytest.importorskip("polars")
pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")

# a NaN whose bits are those of the table's own "missing" marker: a meter that
# sends exactly this must still read as NaN, not as a missing reading
ODD_NAN = struct.unpack(">d", (0x7FF80000A5A5A5A5).to_bytes(8, "big"))[0]
T0 = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.timezone.utc)


def _item(code: str, enc: bytes, scaler: int, unit: int) -> bytes:
    return E.structure([E.obis(code), enc, E.scaler_unit(scaler, unit)])


def _frame(*items: bytes) -> bytes:
    return E.encode_frame(E.data_notification(E.array(list(items)), 0x40000000), b"\x41", b"\x61")


P = "1-0:1.7.0.255"   # active_power_import, W
U1 = "1-0:32.7.0.255"  # voltage_l1, V

FRAMES = [
    _frame(_item(P, E.float64(ODD_NAN), 0, 27), _item(U1, E.long_unsigned(2300), -1, 35)),
    _frame(_item(P, E.double_long_unsigned(1000), 0, 27)),
    _frame(_item(P, E.double_long_unsigned(500), 0, 27), _item(U1, E.long_unsigned(2310), -1, 35)),
]
BAD = bytearray(FRAMES[1])
BAD[-2] ^= 0xFF  # FCS broken: a rejected row
FRAMES.append(bytes(BAD))
# row by row, what the frames carry (None: the frame has no such reading)
WANT = {
    "active_power_import": [math.nan, 1000.0, 500.0, None],
    "voltage_l1": [230.0, None, 231.0, None],
}


@pytest.fixture(params=["cython", "python"])
def backend(request):  # type: ignore[no-untyped-def]
    if request.param == "python":
        return _decode_py
    if amsparse.BACKEND != "cython":
        pytest.skip("compiled core not in use")
    from amsparse import _decode_c

    return _decode_c


def _table(impl, frames=FRAMES):  # type: ignore[no-untyped-def]
    return _decode_batch(amsparse._batch._Frames(frames), None, None, None, impl)


def _same(got: list, want: list) -> bool:
    return len(got) == len(want) and all(
        (g is None and w is None) or (g is not None and w is not None and (
            g == w or (isinstance(g, float) and isinstance(w, float) and math.isnan(g) and math.isnan(w))))
        for g, w in zip(got, want))


def _same_arrow(a, b) -> bool:  # type: ignore[no-untyped-def]
    """Equal schemas and cells (NaN equal to NaN, which Table.equals denies)."""
    return a.schema == b.schema and all(
        _same(a.column(n).to_pylist(), b.column(n).to_pylist()) for n in a.column_names)


def test_arrow_nulls_and_meter_nan(backend) -> None:  # type: ignore[no-untyped-def]
    table = _table(backend)
    assert list(table.status[:3]) == [0, 0, 0] and table.status[3] != 0
    t = table.to_arrow()
    for name, want in WANT.items():
        assert _same(t.column(name).to_pylist(), want), (name, t.column(name).to_pylist())
    assert t.column("active_power_import").null_count == 1
    assert t.column("voltage_l1").null_count == 2
    # a reading of the profiles that no frame carries: a column of nulls
    assert t.column("current_l3").null_count == 4
    # the data buffer is the table's own array (zero-copy), only the bitmap is new
    col = table.columns["voltage_l1"]
    assert t.column("voltage_l1").chunk(0).buffers()[1].address == col.buffer_info()[0]


def test_polars_mean_ignores_missing(backend) -> None:  # type: ignore[no-untyped-def]
    df = _table(backend).to_polars()
    assert df["voltage_l1"].null_count() == 2
    assert df["voltage_l1"].mean() == pytest.approx((230.0 + 231.0) / 2)
    assert df["active_power_import"].null_count() == 1
    assert df["active_power_import"].is_nan().to_list() == [True, False, False, None]
    assert df["current_l3"].null_count() == 4


def test_pandas_nullable(backend) -> None:  # type: ignore[no-untyped-def]
    table = _table(backend)
    df = table.to_pandas()
    assert str(df["voltage_l1"].dtype) == "Float64"
    assert df["voltage_l1"].isna().tolist() == [False, True, False, True]
    assert df["voltage_l1"].mean() == pytest.approx(230.5)
    p = df["active_power_import"]
    assert p.isna().tolist() == [False, False, False, True]
    assert math.isnan(p.array._data[0]) and not p.array._mask[0]  # the meter's NaN, not NA
    # values shared with the table's column
    assert np.shares_memory(df["voltage_l1"].array._data, np.frombuffer(table.columns["voltage_l1"]))
    assert str(df["invocation_counter"].dtype) == "Int64"


def test_parquet_round_trip_keeps_nulls(backend, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import pyarrow.parquet as pq

    table = _table(backend)
    table.to_polars().write_parquet(tmp_path / "pl.parquet")
    table.to_pandas().to_parquet(tmp_path / "pd.parquet")
    pq.write_table(table.to_arrow(), tmp_path / "pa.parquet")
    for name in ("pl", "pd", "pa"):
        back = pq.read_table(tmp_path / f"{name}.parquet")
        for col, want in WANT.items():
            assert _same(back.column(col).to_pylist(), want), (name, col, back.column(col).to_pylist())
        assert back.column("current_l3").null_count == 4, name


def test_backends_give_identical_exports() -> None:
    if amsparse.BACKEND != "cython":
        pytest.skip("compiled core not in use")
    from amsparse import _decode_c

    a, b = _table(_decode_c).to_arrow(), _table(_decode_py).to_arrow()
    assert _same_arrow(a, b)


def test_time_zones() -> None:
    oslo = dt.timezone(dt.timedelta(hours=2))  # CEST on T0
    table = amsparse.decode_batch([(T0, f) for f in FRAMES[:2]] + [(T0.timestamp() + 1.5, FRAMES[2])])
    want_utc = [T0, T0, T0 + dt.timedelta(seconds=1.5)]
    a = table.to_arrow()
    assert a.schema.field("receive_time").type == pa.timestamp("us", tz="UTC")
    assert a.column("receive_time").to_pylist() == want_utc
    local = table.to_arrow(tz="Europe/Oslo")
    assert local.schema.field("receive_time").type == pa.timestamp("us", tz="Europe/Oslo")
    assert local.schema.field("meter_time").type == pa.timestamp("us", tz="Europe/Oslo")
    got = local.column("receive_time").to_pylist()
    assert got == want_utc and got[0].utcoffset() == oslo.utcoffset(None)
    df = table.to_pandas(tz="Europe/Oslo")
    assert str(df["receive_time"].dtype) == "datetime64[us, Europe/Oslo]"
    assert df["receive_time"][0] == pd.Timestamp(T0) and df["receive_time"][0].hour == 14
    assert df["header_time"].isna().all()  # these frames have no clock: NaT
    p = table.to_polars(tz="Europe/Oslo")
    assert p["receive_time"].dtype == pl.Datetime("us", "Europe/Oslo")
    assert p["receive_time"][2].hour == 14
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        table.to_arrow(tz="Mars/Olympus")
    with pytest.raises(TypeError, match="time zone name"):
        table.to_pandas(tz=2)


def test_receive_time_null_without_source_and_errors() -> None:
    assert amsparse.decode_batch(FRAMES).to_arrow().column("receive_time").null_count == len(FRAMES)
    # a capture buffer carries no receive times
    assert amsparse.decode_batch(b"".join(FRAMES)).to_arrow().column("receive_time").null_count == len(FRAMES)
    mixed = amsparse.decode_batch([FRAMES[0], (T0, FRAMES[1])])
    assert mixed.to_arrow().column("receive_time").to_pylist() == [None, T0]
    with pytest.raises(ValueError, match="timezone-aware"):
        amsparse.decode_batch([(dt.datetime(2026, 1, 1), FRAMES[0])])
    with pytest.raises(TypeError, match="aware datetime or POSIX seconds"):
        amsparse.decode_batch([("yesterday", FRAMES[0])])


def test_from_frames_with_stream_events() -> None:
    dec = amsparse.StreamDecoder()
    events = [ev for ev in dec.feed(b"".join(FRAMES)) + dec.flush() if isinstance(ev, amsparse.FrameDecoded)]
    assert len(events) == 3
    stamped = [(T0 + dt.timedelta(seconds=i), ev) for i, ev in enumerate(events)]
    table = amsparse.FrameTable.from_frames(stamped)
    a = table.to_arrow()
    assert a.column("receive_time").to_pylist() == [T0 + dt.timedelta(seconds=i) for i in range(3)]
    for name, want in WANT.items():
        assert _same(a.column(name).to_pylist(), want[:3]), name
    assert table.names == reading_columns()  # the same schema as decode_batch's
    with pytest.raises(TypeError, match="from_frames takes"):
        amsparse.FrameTable.from_frames([b"\x7e"])


def test_arrow_c_stream_consumers() -> None:
    duckdb = pytest.importorskip("duckdb")
    table = amsparse.decode_batch(FRAMES)
    assert hasattr(table, "__arrow_c_stream__")
    t = pa.table(table)
    assert _same_arrow(t, table.to_arrow())
    assert t.column("voltage_l1").chunk(0).buffers()[1].address == table.columns["voltage_l1"].buffer_info()[0]
    # pl.DataFrame takes the stream as a frame (pl.from_arrow of a bare stream
    # gives one struct Series in polars 1.x/2.x: .struct.unnest() makes it a frame)
    for df in (pl.DataFrame(table), pl.from_arrow(table).struct.unnest()):
        assert df.height == 4 and df["voltage_l1"].null_count() == 2
        assert df["voltage_l1"].mean() == pytest.approx(230.5)
    con = duckdb.connect()
    arrow_table = table  # noqa: F841 - DuckDB's replacement scan finds it by name
    got = con.execute("select count(voltage_l1), avg(voltage_l1), count(*) from arrow_table").fetchall()[0]
    assert got[0] == 2 and got[1] == pytest.approx(230.5) and got[2] == 4


def test_schema_from_profiles_not_data() -> None:
    a = amsparse.decode_batch(FRAMES[1:2])    # active power only
    b = amsparse.decode_batch(FRAMES[2:3])    # power and voltage
    assert a.names == b.names == reading_columns()
    assert a.to_arrow().schema == b.to_arrow().schema
    assert list(a.to_pandas().dtypes.items()) == list(b.to_pandas().dtypes.items())
    # a chosen profile: its readings, then the generic OBIS table's
    k = amsparse.decode_batch(FRAMES, profile="kaifa-kfm001")
    want = reading_columns(profile="kaifa-kfm001")
    assert k.names[: len(want)] == want
    # a reading outside the profiles (an unknown OBIS code) comes after them
    odd = _frame(_item("1-0:99.99.0.255", E.double_long_unsigned(7), 0, 27))
    c = amsparse.decode_batch([odd])
    extra = [n for n in c.names if n not in reading_columns()]
    assert len(extra) == 1 and c.names == [*reading_columns(), *extra]
    assert c.to_arrow().column(extra[0]).to_pylist() == [7.0]


KEY = bytes(range(16))
TITLE = b"KFM\x00\x01\x02\x03\x04"


def test_security_columns(backend) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("cryptography")
    plain = E.data_notification(E.array([_item(P, E.double_long_unsigned(42), 0, 27)]), 0x40000000)
    ciphered = [E.encode_frame(E.ciphered(plain, KEY, TITLE, ic), b"\x41", b"\x61") for ic in (7, 2**32 - 1)]
    frames = [FRAMES[1], ciphered[0], ciphered[1]]
    table = _decode_batch(amsparse._batch._Frames(frames), None, None, None, backend, keys=amsparse.Keys(KEY))
    assert list(table.status) == [0, 0, 0]
    assert table.system_title == [None, TITLE.hex(), TITLE.hex()]
    assert table.invocation_counter == [None, 7, 2**32 - 1]
    a = table.to_arrow()
    assert a.column("invocation_counter").to_pylist() == [None, 7, 2**32 - 1]
    assert a.column("system_title").to_pylist() == [None, TITLE.hex(), TITLE.hex()]
    assert a.column("active_power_import").to_pylist() == [1000.0, 42.0, 42.0]
    # the same from a capture buffer (the scanning path)
    whole = _decode_batch(b"".join(frames), None, None, None, backend, keys=amsparse.Keys(KEY))
    assert whole.invocation_counter == [None, 7, 2**32 - 1]
    # cut into batches and joined again (iter_batches' _concat)
    from amsparse._chunked import _concat

    joined = _concat([(table, 0, 2), (table, 2, 3)])
    assert joined.invocation_counter == table.invocation_counter and joined.system_title == table.system_title


def test_meter_nan_on_the_fast_path(backend) -> None:  # type: ignore[no-untyped-def]
    """The same shape again and again: the compiled writer's plan/template
    store takes over after the first frame; a NaN the meter sends (even with
    the marker's own bits) is NaN on every row, never null."""
    table = _table(backend, [FRAMES[0]] * 6)
    got = table.to_arrow().column("active_power_import").to_pylist()
    assert len(got) == 6 and all(v is not None and math.isnan(v) for v in got)
    assert table.to_arrow().column("voltage_l1").to_pylist() == [230.0] * 6


def test_polars_without_pyarrow(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    table = amsparse.decode_batch([(T0, f) for f in FRAMES])
    real = builtins.__import__

    def no_pyarrow(name, *a, **k):  # type: ignore[no-untyped-def]
        if name == "pyarrow" or name.startswith("pyarrow."):
            raise ImportError("no pyarrow")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    df = table.to_polars(tz="Europe/Oslo")
    for name, want in WANT.items():
        assert _same(df[name].to_list(), want), (name, df[name].to_list())
    assert df["receive_time"].dtype == pl.Datetime("us", "Europe/Oslo")
    assert df["receive_time"].to_list()[0] == T0


def test_iter_batches_keep_the_schema() -> None:
    capture = b"".join(FRAMES[:3]) * 5
    batches = list(amsparse.iter_batches(capture, rows=4))
    assert [len(b) for b in batches] == [4, 4, 4, 3]
    assert all(b.names == reading_columns() for b in batches)
    assert all(b.to_arrow().schema == batches[0].to_arrow().schema for b in batches)
    (empty,) = list(amsparse.iter_batches(b"no frames here"))
    assert len(empty) == 0 and empty.names == reading_columns()
