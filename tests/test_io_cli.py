"""The URL grammar, capture files, optional imports, and the CLI subcommands
that need no device: ``convert``, ``diagnose``, ``--help`` and exit codes."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import encoder as enc
from io_support import SRC, check_json_lines, cli, corpus, expected_values, good_frames

import amsparse
import amsparse.io as aio

# --------------------------------------------------------------------------- URL grammar


@pytest.mark.parametrize(
    "url,kind,detail",
    [
        ("/dev/ttyUSB0", "serial", ("path", "/dev/ttyUSB0")),
        ("COM3", "serial", ("path", "COM3")),
        ("serial:///dev/ttyAMA0?baudrate=2400&parity=E", "serial", ("path", "/dev/ttyAMA0")),
        ("tcp://192.168.1.50:3001", "tcp", ("port", 3001)),
        ("mqtt://user:secret@broker:1884/han/raw", "mqtt", ("topic", "han/raw")),
        ("mqtt://broker/han", "mqtt", ("port", 1883)),
        ("file:captures/x.bin", "file", ("path", "captures/x.bin")),
        ("captures/x.hex", "file", ("path", "captures/x.hex")),
    ],
)
def test_url_grammar(url: str, kind: str, detail: tuple) -> None:
    t = aio.parse_url(url)
    assert t.kind == kind
    assert getattr(t, detail[0]) == detail[1]


def test_url_serial_settings_and_presets() -> None:
    s = aio.parse_url("serial:///dev/ttyUSB0?baudrate=9600&parity=E&bytesize=7").settings
    assert (s.baudrate, s.bytesize, s.parity, s.stopbits) == (9600, 7, "E", 1)
    assert aio.parse_url("/dev/ttyUSB0").settings is None  # auto-detect
    assert str(aio.parse_url("/dev/ttyUSB0", preset="kamstrup").settings).startswith("2400 8N1")
    assert str(aio.parse_url("/dev/ttyUSB0", preset="aidon").settings).startswith("2400 8E1")
    assert aio.PRESETS["p1-9600"].bytesize == 7 and aio.PRESETS["p1-115200"].baudrate == 115200
    t = aio.parse_url("mqtt://user:secret@broker/t")
    assert t.username == "user" and t.password == "secret" and "secret" not in t.display()


@pytest.mark.parametrize(
    "url", ["http://x/y", "tcp://host", "mqtt://host/", "serial://", "/dev/x?preset=nope", "tcp://h:99999"]
)
def test_url_errors(url: str) -> None:
    with pytest.raises(aio.UnknownSchemeError):
        if "preset=" in url:
            aio.parse_url(url.split("?")[0], preset="nope")
        else:
            aio.parse_url(url)


def test_import_amsparse_imports_no_optional_library() -> None:
    code = (
        "import sys, amsparse, amsparse.io; "
        "bad = [m for m in ('serial', 'serial_asyncio_fast', 'paho', 'pyarrow', 'aiomqtt') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30,
                       env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stdout + r.stderr


def test_keys_pass_through(tmp_path: Path) -> None:
    """keys= reaches the stream decoder: a ciphered Kamstrup push (published
    keys, tests/corpus) decodes through io.open and `amsparse read --key`; without
    a key it is a KeyRequiredError rejection; a bad key type is refused at open."""
    pytest.importorskip("cryptography")
    import corpusdata

    rec = corpusdata.by_id()["kam-list3-08"]
    raw = bytes.fromhex(rec["hex"])
    p = tmp_path / "cipher.bin"
    p.write_bytes(raw)
    keys = amsparse.Keys(rec["key_hex"], rec["auth_key_hex"])
    with aio.open(str(p), keys=keys) as meter:
        frames = [ev.frame for ev in meter]
    assert frames == [amsparse.decode_frame(raw, keys=keys)]
    assert frames[0].security is not None and frames[0].security.authenticated
    with aio.open(str(p), events="all") as meter:
        errors = [type(ev.error).__name__ for ev in meter if hasattr(ev, "error")]
    assert errors == ["KeyRequiredError"]
    with pytest.raises(TypeError):
        aio.open(str(p), keys=["00" * 16])
    r = cli("read", str(p), "--json", "--key", rec["key_hex"], "--auth-key", rec["auth_key_hex"],
            "--require-authentication")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["security"]["authenticated"] is True


# --------------------------------------------------------------------------- capture files


def _capture(tmp_path: Path, frames: list[bytes], raw: bool) -> Path:
    if raw:
        p = tmp_path / "cap.bin"
        p.write_bytes(b"\x00noise" + b"".join(frames) + b"\x7e\xa0")
    else:
        p = tmp_path / "cap.hex"
        p.write_text("# capture\n" + "\n".join(f.hex(" ") for f in frames) + "\n", encoding="ascii")
    return p


@pytest.mark.parametrize("raw", [True, False], ids=["raw", "hex"])
def test_file_reader_sync_and_async(tmp_path: Path, raw: bool) -> None:
    import asyncio

    frames = good_frames(("kfm-list2", "aid-list1", "kam-list3"), 6)
    p = _capture(tmp_path, frames, raw)
    with aio.open(str(p)) as r:
        assert [e.raw for e in r] == frames

    async def go() -> list[bytes]:
        async with aio.connect(f"file:{p}") as r:
            return [e.raw async for e in r]

    assert asyncio.run(asyncio.wait_for(go(), 10)) == frames


def test_file_reader_pacing(tmp_path: Path) -> None:
    frames = good_frames(("kfm-list1",), 4)
    p = _capture(tmp_path, frames, raw=False)
    t0 = time.monotonic()
    with aio.open(f"file:{p}?interval=0.05") as r:
        got = [e.raw for e in r]
    assert got == frames
    assert time.monotonic() - t0 >= 3 * 0.05  # three pauses between four frames, at least


def test_file_missing_is_typed() -> None:
    with pytest.raises(aio.DeviceNotFoundError):
        with aio.open("/nonexistent/amsparse/capture.bin") as r:
            list(r)


# --------------------------------------------------------------------------- CLI


@pytest.mark.parametrize("cmd", ["read", "replay", "convert", "diagnose"])
def test_every_subcommand_has_help_with_exit_codes(cmd: str) -> None:
    r = cli(cmd, "--help")
    assert r.returncode == 0 and "usage: amsparse " + cmd in r.stdout
    assert "Exit codes" in r.stdout


def test_cli_read_capture_json(tmp_path: Path) -> None:
    frames = good_frames(("aid-list3", "kfm-list3", "kam-list2"), 6)
    p = _capture(tmp_path, frames, raw=True)
    r = cli("read", str(p), "--json", "--count", "6")
    assert r.returncode == 0, r.stderr
    check_json_lines(r.stdout.splitlines(), frames)


def test_cli_read_report_json(tmp_path: Path) -> None:
    """read --report: each line carries the live energy figures; the last hour
    is the difference of the hourly registers the capture sent (Kaifa list 3
    at 10:00, 11:00, 12:00 UTC, written down here), and the month's figure
    follows the two hours."""
    import datetime as dt

    import energy_gen as G

    t0 = dt.datetime(2025, 1, 15, 10, 0, 10, tzinfo=dt.timezone.utc)
    regs = [(1_000_000, 500), (1_002_345, 500), (1_003_045, 520)]
    frames = [G.kaifa_frame(t0 + dt.timedelta(hours=k), "6970631401234567", 1500, regs=r)
              for k, r in enumerate(regs)]
    p = _capture(tmp_path, frames, raw=True)
    r = cli("read", str(p), "--json", "--report")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(lines) == 3 and all("report" in x for x in lines)
    assert lines[0]["report"]["last_hour"] is None
    last = lines[-1]["report"]
    assert last["meter_id"] == "6970631401234567"
    assert last["last_hour"]["start"] == "2025-01-15T12:00:00+01:00"  # 11:00 UTC, Oslo winter time
    assert (last["last_hour"]["import_wh"], last["last_hour"]["export_wh"]) == (1_003_045 - 1_002_345, 20)
    assert last["power_import_w"] == 1500 and last["voltage_v"] == [230.0, 230.0, 230.0]
    assert last["month"]["month"] == "2025-01"
    # without --report the lines are exactly those of decode --json
    plain = cli("read", str(p), "--json")
    assert all("report" not in json.loads(x) for x in plain.stdout.splitlines())


def test_cli_read_json_broken_pipe(tmp_path: Path) -> None:
    frames = good_frames(("kfm-list1",), 10) * 50
    p = _capture(tmp_path, frames, raw=True)
    e = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}
    r = subprocess.run(
        ["bash", "-c", f"'{sys.executable}' -m amsparse read '{p}' --json | head -n 1; exit ${{PIPESTATUS[0]}}"],
        capture_output=True, text=True, timeout=30, env=e,
    )
    assert r.stdout.count("\n") == 1
    assert r.returncode == 7
    assert r.stderr == "amsparse: output closed (broken pipe)\n"


@pytest.mark.parametrize("ext", [".csv", ".jsonl", ".parquet"])
def test_cli_convert(tmp_path: Path, ext: str) -> None:
    frames = good_frames(("kfm-list2", "kam-list2", "aid-list2"), 6)
    bad = corpus()["kam-list2-01"][:-3] + b"\x00\x00\x7e"  # FCS broken
    a = _capture(tmp_path, frames[:3], raw=True)
    b = tmp_path / "more.hex"
    b.write_text("\n".join(f.hex() for f in [*frames[3:], bad]) + "\n", encoding="ascii")
    out = tmp_path / f"out{ext}"
    r = cli("convert", str(a), str(b), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "\r" not in r.stderr  # progress only on a terminal
    if ext == ".csv":
        with open(out, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        conv = lambda v: None if v == "" else v  # noqa: E731
    elif ext == ".jsonl":
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        conv = lambda v: v  # noqa: E731
    else:
        pq = pytest.importorskip("pyarrow.parquet")
        rows = pq.read_table(out).to_pylist()
        conv = lambda v: v  # noqa: E731
    assert len(rows) == 7
    assert [r_["source"] for r_ in rows] == [str(a)] * 3 + [str(b)] * 4
    for row, raw in zip(rows, frames):
        assert int(row["status"]) == 0
        f = amsparse.decode_frame(raw)
        assert conv(row["meter_id"]) == f.meter_id and conv(row["profile_id"]) == f.profile_id
        for k, v in f.as_dict().items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                assert math.isclose(float(row[k]), v), k
    assert int(rows[6]["status"]) == 1 and "ChecksumError" in rows[6]["error"]


def test_cli_convert_bad_extension(tmp_path: Path) -> None:
    r = cli("convert", str(tmp_path / "x.bin"), "-o", str(tmp_path / "out.xlsx"))
    assert r.returncode == 2 and "use .parquet, .csv, .jsonl or a directory" in r.stderr


def test_cli_diagnose_known_frame() -> None:
    raw = corpus()["aid-list2-02"]
    r = cli("diagnose", raw.hex())
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for text in ("HDLC (288 bytes)", "A1 1E", "length 286", "source address 0x0883", "HCS", "FCS",
                 "LLC", "E6 E7 00", "data-notification (0x0F)", "array, 13 element(s)",
                 "OBIS 1-0:1.7.0.255 (active_power_import)", "profile aidon-v0001"):
        assert text in out, text
    power = expected_values(raw)["active_power_import"]
    assert f"=> active_power_import = {power:g} W" in out
    assert "starting profile" not in out


def test_cli_diagnose_rejected_frame_says_where() -> None:
    bad = bytearray(corpus()["kfm-list2-02"])
    bad[-2] ^= 0xFF
    r = cli("diagnose", bytes(bad).hex())
    assert r.returncode == 1 and "ChecksumError" in r.stdout and "FCS" in r.stdout


def _unknown_obis_frame() -> bytes:
    body = enc.array([
        enc.structure([enc.obis("1-1:0.2.129.255"), enc.visible_string("ACME_V7")]),
        enc.structure([enc.obis("1-0:1.7.0.255"), enc.double_long_unsigned(1234), enc.scaler_unit(0, 27)]),
        enc.structure([enc.obis("1-0:32.7.0.255"), enc.long_unsigned(2301), enc.scaler_unit(-1, 35)]),
        enc.structure([enc.obis("1-0:99.1.0.255"), enc.double_long_unsigned(77), enc.scaler_unit(1, 30)]),
    ])
    return enc.encode_frame(enc.data_notification(body))


def _unknown_positional_frame() -> bytes:
    body = enc.structure([
        enc.octet_string(b"FOO_001"), enc.octet_string(b"1234567890123456"),
        enc.double_long_unsigned(4321), enc.long_unsigned(2299),
    ])
    return enc.encode_frame(enc.data_notification(body), dest=b"\x01", src=b"\x02\x01", control=0x10)


@pytest.mark.parametrize("kind", ["obis", "positional"])
def test_cli_diagnose_unknown_list_writes_a_loadable_profile(tmp_path: Path, kind: str) -> None:
    raw = _unknown_obis_frame() if kind == "obis" else _unknown_positional_frame()
    toml = tmp_path / "mine.toml"
    r = cli("diagnose", raw.hex(), "--toml", str(toml))
    assert "No profile knows this list" in r.stdout, r.stdout
    assert r.returncode == (0 if kind == "obis" else 1)
    profiles = amsparse.load_profiles(toml)
    f = amsparse.decode_frame(raw, profiles)
    if kind == "obis":
        assert f.profile_id == "acme-v7"
        d = f.as_dict()
        assert d["active_power_import"] == 1234 and math.isclose(d["voltage_l1"], 230.1)
        assert d["obis_1_0_99_1_0_255"] == 770
    else:
        assert f.profile_id == "foo-001" and f.list_name == "list"
        d = f.as_dict()
        assert d["list_version"] == "FOO_001" and d["value_2"] == 4321 and d["value_3"] == 2299


def test_cli_read_terminal_view(tmp_path: Path) -> None:
    """On a terminal, `read` redraws one compact block in place (ANSI), with
    the last values, the hourly register and the counters."""
    import os

    pytest.importorskip("termios", reason="pseudo-terminals are POSIX")
    l2, l3 = good_frames(("aid-list2",), 3), good_frames(("aid-list3",), 1)
    frames = [l2[0], l2[1], l3[0], l2[2]]
    p = _capture(tmp_path, frames, raw=True)
    master, slave = os.openpty()
    e = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin", "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "amsparse", "read", str(p)], stdout=slave,
                            stderr=subprocess.PIPE, env=e)
    os.close(slave)
    chunks = []
    try:
        while True:
            try:
                b = os.read(master, 65536)
            except OSError:  # EIO: the child closed its terminal
                break
            if not b:
                break
            chunks.append(b)
        assert proc.wait(20) == 0, proc.stderr.read().decode() if proc.stderr else ""
    finally:
        proc.kill()
        if proc.stderr:
            proc.stderr.close()
        os.close(master)
    text = b"".join(chunks).decode()
    assert "\x1b[" in text and "F" in text  # cursor moved up to redraw
    last = " ".join(text.rsplit("meter    ", 1)[1].split())
    want = amsparse.decode_frame(frames[-1])
    hourly = amsparse.decode_frame(l3[0])
    assert f"power import {want.value('active_power_import'):g} W export {want.value('active_power_export'):g} W" in last
    assert f"voltage L1 {want.value('voltage_l1'):g} V L2 {want.value('voltage_l2'):g} V" in last
    assert f"current L1 {want.value('current_l1'):g} A" in last
    assert f"hourly Aimport {hourly.value('active_energy_import'):g}" in last
    assert f"clock {hourly.meter_time.isoformat()}" in last
    assert f"frames {len(frames)} decoded, 0 rejected" in last


@pytest.mark.parametrize(
    "args",
    [["replay", "{f}", "--pty"], ["convert", "{f}", "-o", "{d}/out.csv"], ["diagnose", "{f}"], ["read", "{f}"]],
    ids=["replay", "convert", "diagnose", "read"],
)
def test_cli_missing_file_is_one_line_exit_4(tmp_path: Path, args: list[str]) -> None:
    missing = tmp_path / "no-such-capture.hex"
    r = cli(*[a.format(f=missing, d=tmp_path) for a in args])
    assert r.returncode == 4, r.stderr
    assert r.stderr.count("\n") == 1 and str(missing) in r.stderr and "Traceback" not in r.stderr


def test_decoder_options_pass_through(tmp_path: Path) -> None:
    """profile= and tz= reach the StreamDecoder (expectations from decode_frame)."""
    frames = good_frames(("kam-list3",), 2)
    p = _capture(tmp_path, frames, raw=True)
    kw = {"profile": "kamstrup-v0001-se", "tz": "Europe/Helsinki"}
    with aio.open(str(p), **kw) as r:
        got = [e.frame for e in r]
    assert got == [amsparse.decode_frame(f, **kw) for f in frames]
    assert got[0].profile_id == "kamstrup-v0001-se"
    assert got[0] != amsparse.decode_frame(frames[0])  # the options changed the result
    with pytest.raises(ValueError, match="no profile"):
        aio.open(str(p), profile="no-such-profile")


def test_docs_python_examples_compile() -> None:
    import re

    doc = Path(__file__).resolve().parent.parent / "docs" / "io.md"
    if not doc.exists():  # the wheel tests copy tests/ only
        pytest.skip("docs/ is not beside the tests")
    text = doc.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 3
    for b in blocks:
        compile(b, "docs/io.md", "exec")
