"""FrameTable's ``timestamp`` column is ``Frame.timestamp`` row for row, and
receive times reach the table from live readers (issue 12: one meaning per
name in the frame, the table and the CLI)."""

from __future__ import annotations

import csv
import datetime as dt
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpusdata  # noqa: E402
import encoder as E  # noqa: E402
from io_support import TcpBridge, cli, run_bounded  # noqa: E402

import amsparse  # noqa: E402
import amsparse.io as aio  # noqa: E402
from amsparse import FrameDecoded  # noqa: E402

pa = pytest.importorskip("pyarrow")
pl = pytest.importorskip("polars")
pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 12, 1, 12, 0, 0, 250_000, tzinfo=UTC)

# (corpus id, what the frame carries): real frames, hex unchanged
CASES = [
    ("kam-list2-01", "header time only"),  # Kamstrup list 2: the data-notification's date-time
    ("aid-list3-01", "clock element only"),  # Aidon list 3: the meter clock, no header time
    ("kam-list3-02", "clock element and header time"),
    ("aid-list2-01", "no clock"),  # Aidon list 2: only a receive time can date it
    ("lg-list2-01", "no clock, no receive time"),
]


def _frames() -> list[tuple[dt.datetime | None, bytes]]:
    recs = corpusdata.by_id()
    out = []
    for i, (fid, _what) in enumerate(CASES):
        when = None if fid == "lg-list2-01" else T0 + dt.timedelta(seconds=10 * i)
        out.append((when, bytes.fromhex(recs[fid]["hex"])))
    # the real frames' clock elements equal their header times: one built with
    # the test encoder whose clock is 7 s after its header time
    out.append((T0, _clock_and_header()))
    return out


def _clock_and_header() -> bytes:
    header = E.cosem_datetime(2026, 12, 1, 2, 10, 0, 0, 0, 0, 0)
    clock = E.cosem_datetime(2026, 12, 1, 2, 10, 0, 7, 0, 0, 0)
    body = E.array([E.structure([E.obis("0-0:1.0.0.255"), E.octet_string(clock)]),
                    E.structure([E.obis("1-0:1.7.0.255"), E.double_long_unsigned(1000), E.scaler_unit(0, 27)])])
    return E.encode_frame(E.data_notification(body, 0x40000000, header=header), b"\x41", b"\x61")


def _expected() -> list[dt.datetime | None]:
    """Frame.timestamp of each frame decoded alone, ``received`` set as the
    io readers set it (the object API, not the table, is the reference)."""
    out = []
    for when, raw in _frames():
        f = amsparse.decode_frame(raw)
        object.__setattr__(f, "received", when)
        out.append(f.timestamp)
    return out


def test_cases_cover_each_rule() -> None:
    frames = [amsparse.decode_frame(raw) for _, raw in _frames()]
    kam2, aid3, kam3, aid2, lg2, both = frames
    assert both.meter_time == both.header_time + dt.timedelta(seconds=7)
    assert kam2.meter_time is None and kam2.header_time is not None
    assert aid3.meter_time is not None and aid3.header_time is None
    assert kam3.meter_time is not None and kam3.header_time is not None
    assert all(f.meter_time is None and f.header_time is None for f in (aid2, lg2))
    exp = _expected()
    # each row's time is a different instant, so taking the wrong source shows
    assert exp[0] == kam2.header_time != T0 and exp[1] == aid3.meter_time != T0 + dt.timedelta(seconds=10)
    assert exp[3] == T0 + dt.timedelta(seconds=30) and exp[4] is None


def _us(t: dt.datetime | None) -> int:
    return amsparse._batch.NAT if t is None else round((t - dt.datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1e6)


def _tables() -> dict[str, amsparse.FrameTable]:
    pairs = [(w, raw) if w is not None else raw for w, raw in _frames()]
    live = []
    for when, raw in _frames():  # as a live reader hands them over: received set on the frame
        f = amsparse.decode_frame(raw)
        object.__setattr__(f, "received", when)
        live.append(f)
    return {"decode_batch pairs": amsparse.decode_batch(pairs), "from_frames received": amsparse.FrameTable.from_frames(live)}


@pytest.mark.parametrize("source", ["decode_batch pairs", "from_frames received"])
def test_timestamp_equals_frame_timestamp(source: str) -> None:
    table = _tables()[source]
    exp = _expected()
    assert list(table.status) == [0] * (len(CASES) + 1)
    assert list(table.timestamp) == [_us(t) for t in exp]
    assert list(table.receive_time) == [_us(w) for w, _ in _frames()]
    # the exports, in UTC and in another zone (the same instants)
    for tz in ("UTC", "Europe/Oslo"):
        arrow = table.to_arrow(tz=tz)["timestamp"].to_pylist()
        assert arrow == exp
        assert str(table.to_arrow(tz=tz).schema.field("timestamp").type) == f"timestamp[us, tz={tz}]"
        assert table.to_polars(tz=tz)["timestamp"].to_list() == exp
        pser = table.to_pandas(tz=tz)["timestamp"]
        assert str(pser.dtype) == f"datetime64[us, {tz}]"
        assert [None if t is pd.NaT else t.to_pydatetime() for t in pser] == exp
    npy = table.to_numpy()["timestamp"]
    assert npy.dtype == np.dtype("datetime64[us]")
    assert npy.astype(np.int64).tolist() == [_us(t) for t in exp]


def test_timestamp_without_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    table = _tables()["decode_batch pairs"]
    want = list(table.timestamp)
    monkeypatch.setitem(sys.modules, "numpy", None)  # the pure-Python path
    assert list(table.timestamp) == want == [_us(t) for t in _expected()]


def test_from_frames_pair_time_wins_over_received() -> None:
    f = amsparse.decode_frame(_frames()[3][1])  # no clock
    object.__setattr__(f, "received", T0)
    later = T0 + dt.timedelta(minutes=5)
    t = amsparse.FrameTable.from_frames([f, (later, f), FrameDecoded(f, b"")])
    assert list(t.receive_time) == [_us(T0), _us(later), _us(T0)]
    assert t.to_arrow()["timestamp"].to_pylist() == [T0, later, T0]


# --- live: a loopback TCP bridge --------------------------------------------------

def _serve_once(bridge: TcpBridge, data: bytes, done: threading.Event) -> None:
    try:
        conn = bridge.accept()
        with conn:
            for i in range(0, len(data), 97):
                conn.sendall(data[i : i + 97])
                time.sleep(0.002)
            done.wait(10)
    except OSError:
        return


def _bridge(frames: list[bytes]) -> tuple[TcpBridge, threading.Event, threading.Thread]:
    bridge = TcpBridge()
    done = threading.Event()
    th = threading.Thread(target=_serve_once, args=(bridge, b"".join(frames), done), daemon=True)
    th.start()
    return bridge, done, th


def _live_frames() -> list[bytes]:
    recs = corpusdata.by_id()
    return [bytes.fromhex(recs[i]["hex"]) for i in ("aid-list2-01", "kam-list2-01", "aid-list3-01", "lg-list2-01")]


def test_frames_read_live_keep_their_receive_time() -> None:
    frames = _live_frames()
    bridge, done, th = _bridge(frames)
    got: list[object] = []
    before = dt.datetime.now(UTC)
    reader = aio.open(f"tcp://127.0.0.1:{bridge.port}")

    def go() -> None:
        with reader:
            for ev in reader:
                got.append(ev)
                if len(got) == len(frames):
                    break

    try:
        run_bounded(go, 15, reader.close)
    finally:
        done.set()
        th.join(5)
        bridge.close()
    after = dt.datetime.now(UTC)
    assert [e.raw for e in got] == frames  # type: ignore[attr-defined]
    table = amsparse.FrameTable.from_frames(got)
    received = table.to_arrow()["receive_time"].to_pylist()
    assert all(before <= r <= after for r in received), (before, received, after)
    assert received == [e.frame.received for e in got]  # type: ignore[attr-defined]
    stamps = table.to_arrow()["timestamp"].to_pylist()
    assert stamps == [e.frame.timestamp for e in got]  # type: ignore[attr-defined]
    assert stamps[0] == received[0] and stamps[3] == received[3]  # no clock: dated by arrival
    assert stamps[1] == got[1].frame.header_time != received[1]  # type: ignore[attr-defined]


@pytest.mark.parametrize("ext", [".parquet", ".csv"])
def test_cli_read_output_keeps_receive_time(tmp_path: Path, ext: str) -> None:
    frames = _live_frames()
    bridge, done, th = _bridge(frames)
    out = tmp_path / f"live{ext}"
    before = dt.datetime.now(UTC)
    try:
        r = cli("read", f"tcp://127.0.0.1:{bridge.port}", "--json", "--count", str(len(frames)), "-o", str(out))
    finally:
        done.set()
        th.join(5)
        bridge.close()
    after = dt.datetime.now(UTC)
    assert r.returncode == 0, r.stderr
    assert f"{out}: {len(frames)} frame(s)" in r.stderr
    if ext == ".parquet":
        import pyarrow.parquet as pq

        t = pq.read_table(out)
        received = t["receive_time"].to_pylist()
        stamps = t["timestamp"].to_pylist()
        meter_ids = t["meter_id"].to_pylist()
    else:
        with open(out, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        received = [dt.datetime.fromisoformat(x["receive_time"]) for x in rows]
        stamps = [dt.datetime.fromisoformat(x["timestamp"]) for x in rows]
        meter_ids = [x["meter_id"] or None for x in rows]
    assert len(received) == len(frames)
    assert all(before <= x <= after for x in received), (before, received, after)
    ref = [amsparse.decode_frame(raw) for raw in frames]
    assert meter_ids == [f.meter_id for f in ref]
    # clockless frames are dated by arrival, the others by their own clocks
    assert stamps[0] == received[0] and stamps[3] == received[3]
    assert stamps[1] == ref[1].header_time and stamps[2] == ref[2].meter_time


def test_cli_read_output_bad_suffix(tmp_path: Path) -> None:
    r = cli("read", "tcp://127.0.0.1:9", "-o", str(tmp_path / "x.xlsx"))
    assert r.returncode == 2 and "cannot tell the output format" in r.stderr and "Traceback" not in r.stderr
