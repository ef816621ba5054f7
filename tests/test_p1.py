"""P1 / DSMR telegrams (amsparse.decode_telegram), both backends.

Expectations come from outside the code under test:

* the corpus' own statements (``crc_ok``, ``expected`` values from the
  source's golden tests) in ``tests/corpus/telegrams.jsonl``;
* dsmr_parser's readings of the same telegrams (``telegrams_peer.json``,
  written by ``tools/p1_peer_values.py``), compared after kW -> W etc.;
* a bitwise CRC-16/ARC written here, and hand-made telegrams whose values
  are read off their text.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import _no_c

import amsparse
from amsparse import (
    ChecksumError,
    DecodeError,
    IncompleteFrameError,
    ObisCode,
    ProfileError,
    TelegramError,
    Unit,
)

HERE = Path(__file__).parent
TELEGRAMS = {r["id"]: r for r in map(json.loads, (HERE / "corpus" / "telegrams.jsonl").read_text(encoding="utf-8").splitlines()) if r and r.get("framing") == "p1"}
PEER = json.loads((HERE / "corpus" / "telegrams_peer.json").read_text(encoding="utf-8"))
UTC = dt.timezone.utc
AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture(params=["cython", "python"])
def p1(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    if request.param == "cython" and _no_c(request.config):
        pytest.skip("compiled core disabled on purpose")
    return importlib.import_module("amsparse._p1_c" if request.param == "cython" else "amsparse._p1_py")


def crc_bitwise(data: bytes) -> int:
    """CRC-16/ARC, one bit at a time (independent of both backends' tables)."""
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def telegram_bytes(tid: str) -> bytes:
    b = bytes.fromhex(TELEGRAMS[tid]["hex"])
    if tid.startswith("esy-"):  # the COM-1 gateway appends lines after the telegram (README)
        b = b[: b.index(b"!\r\n") + 3]
    return b


def make(body: str, ident: str = "/XYZ5test", crc: bool = True) -> bytes:
    text = (ident + "\r\n\r\n" + body + "!").encode("latin-1")
    return text + (b"%04X\r\n" % crc_bitwise(text) if crc else b"\r\n")


# --------------------------------------------------------------------------- CRC

def test_crc16_arc_check_value(p1) -> None:  # type: ignore[no-untyped-def]
    assert crc_bitwise(b"123456789") == 0xBB3D  # the catalogue check value of CRC-16/ARC
    for data in (b"", b"123456789", bytes(range(256)) * 3, b"/KFM5\r\n!"):
        assert p1.crc16_arc(data) == crc_bitwise(data)


# --------------------------------------------------------------------------- corpus

@pytest.mark.parametrize("tid", sorted(TELEGRAMS))
def test_corpus_crc_statement(p1, tid: str) -> None:  # type: ignore[no-untyped-def]
    rec = TELEGRAMS[tid]
    data = telegram_bytes(tid)
    bang = data.index(b"!")
    if rec["crc_ok"] is False:
        with pytest.raises(ChecksumError) as ei:
            p1.decode_telegram(data)
        assert ei.value.kind == "CRC" and ei.value.expected == crc_bitwise(data[: bang + 1])
        return
    f = p1.decode_telegram(data)
    if rec["crc_ok"] is None:
        assert f.list_name == "p1-no-crc" and f.invoke_id == -1
    else:
        assert f.list_name == "p1" and f.invoke_id == crc_bitwise(data[: bang + 1])
    assert f.meter_type == data[1 : data.index(b"\n")].rstrip(b"\r").decode("ascii")
    assert f.address is None and f.header_time is None


@pytest.mark.parametrize("tid", sorted(t for t, r in TELEGRAMS.items() if r["crc_ok"]))
def test_changed_digit_is_refused(p1, tid: str) -> None:  # type: ignore[no-untyped-def]
    data = telegram_bytes(tid)
    bang = data.index(b"!")
    digits = [i for i in range(data.index(b"\n"), bang) if 0x30 <= data[i] <= 0x39]
    for i in digits[:: max(1, len(digits) // 40)]:
        bad = bytearray(data)
        bad[i] = 0x30 + (bad[i] - 0x30 + 1) % 10
        with pytest.raises(ChecksumError):
            p1.decode_telegram(bytes(bad))


# what the sources' golden tests assert (amsreader-firmware, esp-smart-meter)
_EXPECTED_MAP = {
    "active_import_w": ("active_power_import", 1),
    "active_export_w": ("active_power_export", 1),
    "l1_voltage_v": ("voltage_l1", 1), "l2_voltage_v": ("voltage_l2", 1), "l3_voltage_v": ("voltage_l3", 1),
    "l1_current_a": ("current_l1", 1), "l2_current_a": ("current_l2", 1), "l3_current_a": ("current_l3", 1),
    "active_import_kwh": ("active_energy_import", 1000),
}


@pytest.mark.parametrize("tid", sorted(t for t, r in TELEGRAMS.items() if r.get("expected")))
def test_corpus_expected_values(p1, tid: str) -> None:  # type: ignore[no-untyped-def]
    f = p1.decode_telegram(telegram_bytes(tid))
    checked = 0
    for key, want in TELEGRAMS[tid]["expected"].items():
        if key == "meter_id":  # amsreader's "" for telegrams that carry none
            assert want == "" and f.meter_id is None
            continue
        if key in _EXPECTED_MAP:
            name, factor = _EXPECTED_MAP[key]
            r = f[name]
        else:  # "0-1:24.2.1 gas m3", "1-0:71.7.0 A"
            r = f[ObisCode.parse(key.split()[0])]
            factor = 1
        assert r.decimal() == Decimal(str(want)) * factor, key
        checked += 1
    assert checked


PROFILE_OF = {
    "fluv-p1-01": "be-emucs", "fluv-p1-02": "be-emucs",
    "isk-p1-04": "dsmr-2.2-3", "dsmr-v22-01": "dsmr-2.2-3",
    "kfm-p1-01": "dsmr-4", "dsmr-v42-01": "dsmr-4",
    "isk-p1-05": "dsmr-5", "isk-p1-06": "dsmr-5", "nwa-p1-01": "dsmr-5",
    "kam-p1-04": "se-han", "lg-p1-01": "se-han", "unkn-p1-02": "se-han",
    "nes-p1-01": "dk-p1", "sag-p1-01": "at-steiermark", "sag-p1-02": "hu-p1",
    "esy-p1-01": "p1-generic", "esy-p1-02": "p1-generic", "isk-p1-07": "p1-generic",
}


@pytest.mark.parametrize("tid", sorted(PROFILE_OF))
def test_profile_choice(p1, tid: str) -> None:  # type: ignore[no-untyped-def]
    assert p1.decode_telegram(telegram_bytes(tid)).profile_id == PROFILE_OF[tid]


def test_every_telegram_has_a_profile_expectation() -> None:
    assert set(PROFILE_OF) | {t for t, r in TELEGRAMS.items() if r["crc_ok"] is False} == set(TELEGRAMS)


# --------------------------------------------------------------------------- peer

_FACTOR = {"kW": 1000, "kWh": 1000, "kvar": 1000, "kvarh": 1000, "kVAr": 1000, "kVArh": 1000,
           "GJ": 10**9}
_OBIS_TEXT = re.compile(r"\d+-\d+:\d+\.\d+\.\d+$")

#: where dsmr_parser and amsparse differ in *representation*, not in value
#: (docs/p1.md "Agreement with dsmr_parser"): counters, tariff, switch and
#: device-type fields are text in dsmr_parser ("0001") and ints in amsparse (1).


def _same(peer: dict[str, Any], value: Any, raw: Any = None, exact: Decimal | None = None) -> bool:
    t = peer["t"]
    if t == "none":
        return value is None or raw == ""
    if t == "dt":
        return isinstance(value, dt.datetime) and value == dt.datetime.fromisoformat(peer["v"])
    if t == "int" and isinstance(raw, str):  # dsmr_parser reads some hex texts as decimal ints
        return raw.isdigit() and int(raw) == peer["v"]
    if t == "str":
        if isinstance(raw, str):
            return raw == peer["v"]
        return isinstance(value, int) and peer["v"].isdigit() and int(peer["v"]) == value
    want = Decimal(peer["v"]) if t == "dec" else Decimal(peer["v"])
    want *= _FACTOR.get(peer.get("u") or "", 1)
    got = exact if exact is not None else Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return got == want


def _check_object(f: amsparse.Frame, obj: dict[str, Any]) -> None:
    code = ObisCode.parse(obj["obis"])
    rs = [r for r in f.readings if r.obis == code]
    peer = obj["values"]
    assert rs, f"amsparse has no reading for {obj['obis']}"
    first = rs[0]
    if isinstance(first.raw, tuple) and first.raw and isinstance(first.raw[0], tuple):  # a log
        k = 1 if peer and peer[0]["t"] == "int" else 0  # the entry count
        while k < len(peer) and peer[k]["t"] == "str" and _OBIS_TEXT.match(peer[k]["v"]):
            k += 1
        flat = [v for entry in first.value for v in entry]
        assert len(flat) == len(peer) - k
        for p, v in zip(peer[k:], flat):
            assert _same(p, v), (obj, p, v)
        return
    if isinstance(first.raw, tuple) and not first.raw and peer and peer[0]["t"] == "int":
        assert peer[0]["v"] == 0  # an empty log: "(0)(0-0:96.7.19)"
        return
    if len(rs) == 2:  # a timed value: (time)(value), or DSMR 2.2/3 (time)...(unit) NL (value)
        value_r, time_r = rs
        assert _same(peer[0], time_r.value, time_r.raw), (obj, time_r)
        last = dict(peer[-1])
        if len(peer) == 7:
            last["u"] = peer[5]["v"]
        else:
            assert len(peer) == 2
        assert _same(last, value_r.value, value_r.raw, value_r.decimal()), (obj, value_r)
        return
    assert len(peer) == 1, obj
    exact = first.decimal() if isinstance(first.raw, int) else None
    assert _same(peer[0], first.value, first.raw, exact), (obj, first)


@pytest.mark.parametrize("tid", sorted(PEER["telegrams"]))
def test_peer_values(p1, tid: str) -> None:  # type: ignore[no-untyped-def]
    """Every value dsmr_parser reads from the telegram, amsparse reads too."""
    f = p1.decode_telegram(telegram_bytes(tid))
    objects = PEER["telegrams"][tid]["objects"]
    assert objects
    for obj in objects:
        _check_object(f, obj)


# --------------------------------------------------------------------------- values

def test_exact_units_and_scaling(p1) -> None:  # type: ignore[no-untyped-def]
    f = p1.decode_telegram(make(
        "1-0:1.8.1(001234.567*kWh)\r\n1-0:1.7.0(01.193*kW)\r\n1-0:32.7.0(230.1*V)\r\n"
        "1-0:31.7.0(000.27*A)\r\n0-1:24.2.1(231102121532W)(00008.579*m3)\r\n"
        "0-2:24.2.1(260215200523W)(240.860*GJ)\r\n0-0:17.0.0(999.9*kW)\r\n1-0:3.7.0(0000.292*kVAr)\r\n"
    ))
    e = f["active_energy_import_t1"]
    assert (e.raw, e.scaler, e.unit, e.value) == (1234567, 0, Unit.WH, 1234567)
    p = f["active_power_import"]
    assert (p.raw, p.scaler, p.unit, p.value) == (1193, 0, Unit.W, 1193)
    v = f["voltage_l1"]
    assert (v.raw, v.scaler, v.unit, v.value, v.decimal()) == (2301, -1, Unit.V, 230.1, Decimal("230.1"))
    assert f["current_l1"].decimal() == Decimal("0.27")
    g = f["mbus1_value"]
    assert (g.raw, g.scaler, g.unit) == (8579, -3, Unit.CUBIC_METRE)
    assert f["mbus1_time"] == amsparse.Reading(ObisCode(0, 1, 24, 2, 1, 255), "mbus1_time", "231102121532W",
                                               0, None, dt.datetime(2023, 11, 2, 12, 15, 32, tzinfo=AMS))
    h = f["mbus2_value"]
    assert (h.raw, h.scaler, h.unit, h.value) == (240860, 6, Unit.JOULE, 240860000000)
    assert f["power_limit"].value == 999900
    assert f["reactive_power_import"].value == 292 and f["reactive_power_import"].unit == Unit.VAR


def test_dst_flag_decides_the_repeated_hour(p1) -> None:  # type: ignore[no-untyped-def]
    # 2023-10-29 02:30 happens twice in Amsterdam: S = the first (CEST), W = the second (CET)
    s = p1.decode_telegram(make("0-0:1.0.0(231029023000S)\r\n"))["meter_time"].value
    w = p1.decode_telegram(make("0-0:1.0.0(231029023000W)\r\n"))["meter_time"].value
    assert s.astimezone(UTC) == dt.datetime(2023, 10, 29, 0, 30, tzinfo=UTC)
    assert w.astimezone(UTC) == dt.datetime(2023, 10, 29, 1, 30, tzinfo=UTC)
    # ordinary hours: summer and winter offsets from the zone
    assert p1.decode_telegram(make("0-0:1.0.0(230701120000S)\r\n")).meter_time.utcoffset() == dt.timedelta(hours=2)
    assert p1.decode_telegram(make("0-0:1.0.0(230101120000W)\r\n")).meter_time.utcoffset() == dt.timedelta(hours=1)
    # tz= overrides the profile's zone; an impossible date has no datetime
    t = p1.decode_telegram(make("0-0:1.0.0(230701120000S)\r\n"), tz="UTC").meter_time
    assert t == dt.datetime(2023, 7, 1, 12, 0, tzinfo=UTC)
    assert p1.decode_telegram(make("0-0:1.0.0(231331120000W)\r\n"))["meter_time"].value is None


def test_stream_of_hours_across_dst_is_monotonic(p1) -> None:  # type: ignore[no-untyped-def]
    # a meter's quarter-hour timestamps through the autumn change, with its flags
    wall = ["231029013000S", "231029014500S", "231029020000S", "231029021500S", "231029023000S",
            "231029024500S", "231029020000W", "231029021500W", "231029023000W", "231029030000W"]
    times = [p1.decode_telegram(make(f"0-0:1.0.0({w})\r\n")).meter_time for w in wall]
    utc = [t.astimezone(UTC) for t in times]
    assert all(b - a == dt.timedelta(minutes=15) for a, b in zip(utc, utc[1:6]))
    assert utc[6] - utc[5] == dt.timedelta(minutes=15) and utc[-1] - utc[-2] == dt.timedelta(minutes=30)


def test_logs_texts_and_generic_codes(p1) -> None:  # type: ignore[no-untyped-def]
    f = p1.decode_telegram(make(
        "1-0:99.97.0(2)(0-0:96.7.19)(101208152415W)(0000000240*s)(101208151004W)(0000000301*s)\r\n"
        "0-0:96.13.0(48656C6C6F)\r\n0-0:96.14.0(0002)\r\n1-0:99.1.0(12.5*kWh)\r\n9-9:9.9.9(abc)\r\n"
        "0-0:96.1.1(4B384547303034303436333935353037)\r\n"
    ))
    log = f["power_failure_log"]
    assert log.raw == (("101208152415W", "0000000240*s"), ("101208151004W", "0000000301*s"))
    assert log.value == ((dt.datetime(2010, 12, 8, 15, 24, 15, tzinfo=AMS), 240),
                         (dt.datetime(2010, 12, 8, 15, 10, 4, tzinfo=AMS), 301))
    assert f["text_message"].raw == "48656C6C6F" and f["text_message"].value == "Hello"
    assert f["tariff"].value == 2
    g = f[ObisCode(1, 0, 99, 1, 0, 255)]
    assert g.name == "obis_1_0_99_1_0_255" and g.value == 12500 and g.unit == Unit.WH
    assert f["obis_9_9_9_9_9_255"].value == "abc"
    assert f.meter_id == "K8EG004046395507"


def test_profiles_forced_and_user_profiles(p1, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = telegram_bytes("kam-p1-04")
    assert p1.decode_telegram(data, profile="no-kamstrup-p1").profile_id == "no-kamstrup-p1"
    with pytest.raises(ValueError, match="no P1 profile"):
        p1.decode_telegram(data, profile="nope")
    (tmp_path / "mine.toml").write_text(
        'schema = 1\nformat = "p1"\nid = "my-kam"\nvendor = "Kamstrup"\ntimezone = "UTC"\n'
        'base = "p1-generic"\npriority = 100\n[detect]\nident = ["KAM5"]\n'
        '[objects]\nimport_now = { obis = "1-0:1.7.0", unit = "W" }\n', encoding="utf-8")
    ps = amsparse.load_p1_profiles(tmp_path)
    f = p1.decode_telegram(data, ps)
    assert f.profile_id == "my-kam" and f["import_now"].value == 976
    assert f.meter_time.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize("toml, key", [
    ('schema = 1\nid = "x"\nvendor = "v"\ntimezone = "UTC"\nbogus = 1\n', "bogus"),
    ('schema = 1\nid = "x"\nvendor = "v"\ntimezone = "Mars/Base"\n', "timezone"),
    ('schema = 1\nid = "x"\nvendor = "v"\ntimezone = "UTC"\n[objects]\na = { obis = "1-0:1.8" }\n', "objects.a.obis"),
    ('schema = 1\nid = "x"\nvendor = "v"\ntimezone = "UTC"\n[objects]\na = { obis = "1-0:1.8.0", unit = "kWh" }\n', "objects.a.unit"),
    ('schema = 1\nid = "x"\nvendor = "v"\ntimezone = "UTC"\nbase = "nope"\n', "base"),
    ('schema = 1\nid = "x"\nvendor = "v"\ntimezone = "UTC"\n[objects]\na = { obis = "0-n:24.2.1" }\n', "objects.a"),
])
def test_profile_errors(tmp_path: Path, toml: str, key: str) -> None:
    (tmp_path / "bad.toml").write_text('format = "p1"\n' + toml, encoding="utf-8")
    with pytest.raises(ProfileError) as ei:
        amsparse.load_p1_profiles(tmp_path)
    assert ei.value.key == key


# --------------------------------------------------------------------------- bad input

GOOD = make("1-0:1.8.1(001234.567*kWh)\r\n1-0:1.7.0(01.193*kW)\r\n")

BAD: list[tuple[str, bytes, type[DecodeError], str]] = [
    ("empty", b"", TelegramError, "start with '/'"),
    ("no slash", b"XYZ" + GOOD, TelegramError, "start with '/'"),
    ("truncated", GOOD[:30], IncompleteFrameError, "'!' is missing"),
    ("missing bang", GOOD.replace(b"!", b""), IncompleteFrameError, "'!' is missing"),
    ("wrong crc", GOOD[:-6] + b"0000\r\n", ChecksumError, "CRC mismatch"),
    ("malformed crc", GOOD[:-6] + b"12G4\r\n", TelegramError, "malformed telegram end"),
    ("long crc", GOOD[:-6] + b"123456\r\n", TelegramError, "malformed telegram end"),
    ("garbage after", GOOD + b"xx", TelegramError, "malformed telegram end"),
    ("ident too short", make("1-0:1.7.0(1*kW)\r\n", ident="/X"), TelegramError, "too short"),
    ("ident too long", make("", ident="/" + "A" * 200), TelegramError, "longer than 128"),
    ("no ident end", b"/XYZ5test!", TelegramError, "identification line has no end"),
    ("bad obis", make("1-0:1.8(1*kWh)\r\n"), TelegramError, "malformed OBIS"),
    ("obis range", make("1-0:1.8.300(1*kWh)\r\n"), TelegramError, "malformed OBIS"),
    ("obis no value", make("1-0:1.8.1\r\n"), TelegramError, "without a value"),
    ("unbalanced open", make("1-0:1.8.1(12*kWh\r\n"), TelegramError, "without ')'"),
    ("nested open", make("1-0:1.8.1(1(2*kWh)\r\n"), TelegramError, "inside a value"),
    ("stray close", make("1-0:1.8.1(1*kWh))\r\n"), TelegramError, "expected '('"),
    ("junk between", make("1-0:1.8.1(1*kWh)x(2)\r\n"), TelegramError, "expected '('"),
    ("non ascii", make("1-0:1.8.1(1\xe9*kWh)\r\n"), TelegramError, "byte 0xE9"),
    ("control byte", make("1-0:1.8.1(1\x01*kWh)\r\n"), TelegramError, "byte 0x01"),
    ("long line", make("0-0:96.13.0(" + "41" * 3000 + ")\r\n"), TelegramError, "longer than 4096"),
    ("continuation first", make("(00001.001)\r\n"), TelegramError, "before any OBIS"),
    ("unit misfit", make("1-0:1.7.0(230.1*V)\r\n"), TelegramError, "does not fit"),
    ("not a number", make("1-0:1.7.0(abc)\r\n"), TelegramError, "not a number"),
    ("too many digits", make("1-0:1.7.0(1234567890123456789*kW)\r\n"), TelegramError, "not a number"),
    ("unknown unit", make("1-0:1.7.0(1*furlong)\r\n"), TelegramError, "not a number"),
    ("log count", make("1-0:99.97.0(2)(0-0:96.7.19)(101208152415W)\r\n"), TelegramError, "log entries"),
    # a log count with no entries after its OBIS codes once built `count` empty
    # entries (a hang and unbounded memory for a 10-digit count; found by hypothesis)
    ("log count without entries", make("1-0:99.97.0(7648971034)(0-0:96.7.19)(0-0:96.7.19)\r\n"),
     TelegramError, "log entries"),
    ("log count 9 digits", make("1-0:99.97.0(999999999)(0-0:96.7.19)\r\n"), TelegramError, "log entries"),
    ("text with two values", make("0-0:96.13.0(41)(42)\r\n"), TelegramError, "expected one value"),
]


@pytest.mark.parametrize("name, data, exc, msg", BAD, ids=[b[0] for b in BAD])
def test_bad_input(p1, name: str, data: bytes, exc: type, msg: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(exc, match=re.escape(msg)) as ei:
        p1.decode_telegram(data)
    assert isinstance(ei.value, DecodeError)
    assert ei.value.offset is None or 0 <= ei.value.offset <= len(data)


def test_one_megabyte_without_end(p1) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IncompleteFrameError):
        p1.decode_telegram(b"/" + b"A" * (1 << 20))
    with pytest.raises(TelegramError, match="longer than"):
        p1.decode_telegram(b"/XYZ5\r\n\r\n1-0:1.8.1(" + b"1" * (1 << 20) + b")\r\n!\r\n")


def test_public_api_uses_the_selected_backend() -> None:
    from amsparse import _select

    assert amsparse.decode_telegram is _select.p1_impl.decode_telegram
    assert _select.P1_BACKEND == amsparse.BACKEND
    assert issubclass(TelegramError, DecodeError)


def test_threads_get_their_own_results() -> None:
    """The compiled core remembers the last profile choice and zone: threads
    decoding telegrams of different meters at once must not mix them up."""
    import threading

    c = pytest.importorskip("amsparse._p1_c", exc_type=ModuleNotFoundError)
    from amsparse import _p1_py

    tels = [telegram_bytes(t) for t in sorted(PROFILE_OF)]
    want = [_p1_py.decode_telegram(t) for t in tels]
    want_utc = [_p1_py.decode_telegram(t, tz="UTC") for t in tels]
    errors: list[str] = []

    def work(k: int) -> None:
        order = list(range(len(tels)))[k:] + list(range(len(tels)))[:k]
        for _ in range(40):
            for i in order:
                if c.decode_telegram(tels[i], tz=None if k % 2 else "UTC") != (want[i] if k % 2 else want_utc[i]):
                    errors.append(f"thread {k}, telegram {i}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:5]


def test_profile_folders_hold_both_kinds() -> None:
    root = HERE.parent / "vendor_profiles"
    dlms = amsparse.load_profiles(root, include_builtin=False)
    p1 = amsparse.load_p1_profiles(root, include_builtin=False)
    assert {p.id for p in dlms} == {p.id for p in amsparse.builtin_profiles()}
    assert {p.id for p in p1} == {p.id for p in amsparse.builtin_p1_profiles()}
