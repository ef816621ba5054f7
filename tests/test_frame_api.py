"""Frame: one meaning per name (meter_time, timestamp, received), mapping
semantics (names, Readings, scaled values) and the 3-wire quality flag, on
real corpus frames (issue 12, item 3)."""

from __future__ import annotations

import datetime as dt
import json
import pickle
import socket
import threading
from zoneinfo import ZoneInfo

import corpusdata
import pytest

import amsparse
from amsparse import Frame, Reading

FRAMES = corpusdata.by_id()
OSLO = ZoneInfo("Europe/Oslo")


def _frame(impl, rid: str) -> Frame:  # type: ignore[no-untyped-def]
    return impl.decode_frame(bytes.fromhex(FRAMES[rid]["hex"]))


# --------------------------------------------------------------------------- times

def test_header_time_only_list(impl) -> None:  # type: ignore[no-untyped-def]
    """Kamstrup list 2: no clock element, a header date-time (the corpus
    record's notes give it: 2021-11-24T11:06:30, Norwegian local time)."""
    f = _frame(impl, "kam-list2-01")
    header = dt.datetime(2021, 11, 24, 11, 6, 30, tzinfo=OSLO)
    assert f.meter_time is None  # the clock element only, never the header
    assert f.header_time == header
    assert f.timestamp == header
    d = f.as_dict()
    assert d["meter_time"] is None and d["header_time"] == header and d["timestamp"] == header
    assert d["received"] is None


def test_clock_element_list(impl) -> None:  # type: ignore[no-untyped-def]
    """Kamstrup list 3: the clock element is meter_time and the timestamp; the
    header time stays header_time (record notes: header 2021-11-25T22:00:55)."""
    f = _frame(impl, "kam-list3-02")
    assert f.header_time == dt.datetime(2021, 11, 25, 22, 0, 55, tzinfo=OSLO)
    clock = f["meter_time"].value
    assert isinstance(clock, dt.datetime) and f["meter_time"].obis == amsparse.ObisCode(0, 1, 1, 0, 0, 255)
    assert f.meter_time == clock and f.timestamp == clock
    assert f.as_dict()["meter_time"] == clock and f.as_dict()["timestamp"] == clock


def test_no_time_at_all(impl) -> None:  # type: ignore[no-untyped-def]
    f = _frame(impl, "aid-list2-02")  # record: header date-time absent, no clock in list 2
    assert f.meter_time is None and f.header_time is None and f.received is None
    assert f.timestamp is None and f.as_dict()["timestamp"] is None


def test_table_time_columns_equal_the_frame(corpus) -> None:  # type: ignore[no-untyped-def]
    """decode_batch's header_time/meter_time columns are the Frame's, frame by frame."""
    from amsparse._batch import NAT, epoch_us

    raws = [bytes.fromhex(FRAMES[k]["hex"]) for k in ("kam-list2-01", "kam-list3-02", "aid-list2-02", "aid-list3-13")]
    table = amsparse.decode_batch(raws)
    for i, raw in enumerate(raws):
        f = amsparse.decode_frame(raw)
        assert table.meter_time[i] == epoch_us(f.meter_time)
        assert table.header_time[i] == epoch_us(f.header_time)
    assert table.meter_time[0] == NAT  # Kamstrup list 2: NaT in the table, None on the Frame
    assert table.header_time[0] == int(dt.datetime(2021, 11, 24, 10, 6, 30, tzinfo=dt.timezone.utc).timestamp()) * 10**6


def test_cli_json_times_equal_the_frame(capsys: pytest.CaptureFixture[str]) -> None:
    from amsparse._cli import main

    assert main(["decode", "--json", FRAMES["kam-list2-01"]["hex"]]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["timestamp"] == "2021-11-24T11:06:30+01:00"
    assert d["values"]["timestamp"] == d["timestamp"] and d["values"]["header_time"] == d["timestamp"]
    assert d["values"]["meter_time"] is None


def test_cli_table_prints_the_timestamp(capsys: pytest.CaptureFixture[str]) -> None:
    from amsparse._cli import main

    assert main(["decode", FRAMES["kam-list2-01"]["hex"]]) == 0
    out = capsys.readouterr().out
    assert "timestamp" in out and "2021-11-24T11:06:30+01:00 (header)" in out


# --------------------------------------------------------------------------- mapping

def test_mapping_semantics(impl) -> None:  # type: ignore[no-untyped-def]
    """Values from the record's golden decode (amsreader's test), not from amsparse."""
    f = _frame(impl, "kam-list2-01")
    want = FRAMES["kam-list2-01"]["expected"]
    names = [r.name for r in f.readings]
    assert list(f) == names == f.keys() and len(f) == len(names)
    r = f["active_power_import"]
    assert isinstance(r, Reading) and f.get("active_power_import") == r
    assert f.get(amsparse.ObisCode.parse("1-1:1.7.0.255")) == r
    assert f.value("active_power_import") == r.value == want["active_import_w"]
    assert f.value("voltage_l2") == want["l2_voltage_v"] and f.value("current_l3") == want["l3_current_a"]
    assert f.get("no_such_name") is None and f.get("no_such_name", 7) == 7
    assert f.value("no_such_name") is None and f.value("no_such_name", 0) == 0
    assert "voltage_l1" in f and "no_such_name" not in f
    with pytest.raises(KeyError):
        f["no_such_name"]
    vals = f.values()
    assert list(vals) == names and vals["current_l1"] == want["l1_current_a"]
    assert f.as_dict() == {**vals, "meter_time": None, "header_time": f.header_time,
                           "timestamp": f.header_time, "received": None}


def test_name_sent_twice_keeps_the_first() -> None:
    f = Frame("p", "l", None, None, None, None, None, 0, None,
              ("a", "b", "a"), (-1, -1, -1), (1, 2, 3), (0, 0, 0), (-1, -1, -1), (1, 2, 3))
    assert list(f) == ["a", "b"] and len(f) == 2 and len(f.readings) == 3
    assert f.value("a") == 1 and f["a"].raw == 1 and f.values() == {"a": 1, "b": 2}


def test_received_pickles_and_compares() -> None:
    t = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    base = ("p", "l", None, None, None, None, None, 0, None, ("x",), (-1,), (5,), (0,), (-1,), (5,))
    f = Frame(*base, received=t)
    assert f.received == t and f.timestamp == t and f.as_dict()["received"] == t
    g = pickle.loads(pickle.dumps(f))
    assert g.received == t and g == f
    # the receive time is not part of what the bytes decode to
    assert Frame(*base) == f and Frame(*base).timestamp is None


def test_compiled_cores_fill_every_slot() -> None:
    """The compiled cores build Frames through the slot list; a list out of step
    with Frame.__slots__ would silently fall back to the slow constructor."""
    _decode_c = pytest.importorskip("amsparse._decode_c", exc_type=ModuleNotFoundError)
    _p1_c = pytest.importorskip("amsparse._p1_c", exc_type=ModuleNotFoundError)
    assert _decode_c._FRAME_SLOTS == Frame.__slots__ == _p1_c._FRAME_SLOTS
    f = _decode_c.decode_frame(bytes.fromhex(FRAMES["kam-list2-01"]["hex"]))
    assert f.received is None and f.security is None


# --------------------------------------------------------------------------- 3-wire meters

# Meter models from the corpus records; han-lists: Kaifa MA304H3E (IT, 3-wire)
# sends voltage L2 = 0, Aidon 6525 (3-wire) drops current L2, Landis+Gyr E350
# ZFF (3-wire) sends voltage and current L2 = 0.
@pytest.mark.parametrize("rid", ["kfm-list2-11", "kfm-list2-13", "kfm-list3-09"])
def test_kaifa_3wire_voltage_l2_not_measured(impl, rid: str) -> None:  # type: ignore[no-untyped-def]
    f = _frame(impl, rid)
    assert FRAMES[rid]["meter_model"] == "MA304H3E" and f.meter_type == "MA304H3E"
    assert f.wiring == "3-wire"
    assert f.unmeasured == ("voltage_l2",)
    assert f["voltage_l2"].quality == "not_measured" and f["voltage_l2"].raw == 0
    assert f["voltage_l1"].quality is None and f["current_l2"].quality is None  # L2 current is sent non-zero


@pytest.mark.parametrize("rid", ["lg-list2-01", "lg-list2-03"])
def test_landis_gyr_zff_3wire(impl, rid: str) -> None:  # type: ignore[no-untyped-def]
    f = _frame(impl, rid)
    assert f.meter_type.startswith("ZFF")
    assert f.wiring == "3-wire"
    assert f.unmeasured == ("current_l2", "voltage_l2")
    assert {r.name for r in f.readings if r.quality == "not_measured"} == {"current_l2", "voltage_l2"}


def test_aidon_3wire_drops_current_l2(impl) -> None:  # type: ignore[no-untyped-def]
    f = _frame(impl, "aid-list3-13")
    assert FRAMES["aid-list3-13"]["meter_model"] == "6525"
    assert f.wiring == "3-wire" and "current_l2" not in f
    assert f.unmeasured == ()  # its three voltages are line-to-line values, all measured
    assert all(r.quality is None for r in f.readings)


@pytest.mark.parametrize("rid,wiring", [
    ("kfm-list2-14", "4-wire"),   # MA304H4
    ("aid-list2-02", "4-wire"),   # 6534
    ("aid-list2-01", "1-phase"),  # 6515
    ("kfm-list2-07", "1-phase"),  # MA105H2E
    ("kam-list2-18", "1-phase"),  # Kamstrup 686...: voltage L1 only
    ("kam-list2-01", None),       # Kamstrup 684...: the type does not say
])
def test_other_wirings(impl, rid: str, wiring: str | None) -> None:  # type: ignore[no-untyped-def]
    f = _frame(impl, rid)
    assert f.wiring == wiring
    assert f.unmeasured == () and all(r.quality is None for r in f.readings)


def test_cli_marks_unmeasured(capsys: pytest.CaptureFixture[str]) -> None:
    from amsparse._cli import main

    assert main(["decode", "--json", FRAMES["kfm-list2-11"]["hex"]]) == 0
    d = json.loads(capsys.readouterr().out)
    by_name = {r["name"]: r for r in d["readings"]}
    assert by_name["voltage_l2"]["quality"] == "not_measured"
    assert "quality" not in by_name["voltage_l1"]
    assert by_name["voltage_l1"]["unit"] == "V" and by_name["voltage_l1"]["obis"] == "1-0:32.7.0.255"


# --------------------------------------------------------------------------- received

def test_tcp_reader_sets_received() -> None:
    """A live reader (a real loopback TCP bridge) stamps Frame.received; with no
    clock in the frame (Aidon list 2) it is the timestamp."""
    import amsparse.io as aio

    raw = bytes.fromhex(FRAMES["aid-list2-02"]["hex"])
    srv = socket.create_server(("127.0.0.1", 0))
    port = srv.getsockname()[1]

    def serve() -> None:
        conn, _ = srv.accept()
        with conn:
            conn.sendall(raw)
            conn.recv(1)  # until the reader closes

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    before = dt.datetime.now(dt.timezone.utc)
    try:
        with aio.open(f"tcp://127.0.0.1:{port}", reconnect=False) as meter:
            ev = next(iter(meter))
    finally:
        srv.close()
    after = dt.datetime.now(dt.timezone.utc)
    t.join(10)
    f = ev.frame
    assert f.header_time is None and f.meter_time is None
    assert before <= f.received <= after and f.received.utcoffset() == dt.timedelta(0)
    assert f.timestamp == f.received and f.as_dict()["received"] == f.received


def test_capture_file_reader_leaves_received_unset(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import amsparse.io as aio

    p = tmp_path / "cap.bin"
    p.write_bytes(bytes.fromhex(FRAMES["aid-list2-02"]["hex"]))
    with aio.open(str(p)) as meter:
        frames = [ev.frame for ev in meter]
    assert len(frames) == 1 and frames[0].received is None


def test_energy_update_uses_received() -> None:
    """EnergyAccountant.update places a clockless frame by its receive time."""
    from amsparse.energy import EnergyAccountant

    raw = bytes.fromhex(FRAMES["aid-list2-02"]["hex"])
    f = amsparse.decode_frame(raw)
    t = dt.datetime(2026, 1, 5, 12, 0, 0, tzinfo=dt.timezone.utc)
    g = Frame(*f.__reduce__()[1][:16], received=t)
    a, b = EnergyAccountant(tz="Europe/Oslo"), EnergyAccountant(tz="Europe/Oslo")
    a.update(g)
    b.update(f, at=t)
    assert a.now_time == b.now_time is not None and a.now_values == b.now_values
