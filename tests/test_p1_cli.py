"""``amsparse decode`` with P1 telegrams: a telegram file, stdin, hex lines, --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from amsparse._cli import main

HERE = Path(__file__).parent
TELS = {r["id"]: bytes.fromhex(r["hex"]) for r in map(json.loads, (HERE / "corpus" / "telegrams.jsonl").read_text(encoding="utf-8").splitlines()) if r}


def test_telegram_file_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "p1.txt"
    f.write_bytes(TELS["isk-p1-05"] + TELS["fluv-p1-02"] + TELS["kam-p1-03"])
    rc = main(["decode", str(f), "--json"])
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines()]
    assert rc == 1 and [r["profile"] for r in rows] == ["dsmr-5", "be-emucs"]  # one rejected: exit 1
    assert rows[0]["values"]["active_power_import"] == 244
    assert rows[0]["values"]["meter_time"] == "2017-01-02T19:20:02+01:00"
    assert rows[1]["values"]["mbus2_value"] == 8.579
    assert "ChecksumError" in err


def test_telegram_table_and_hex_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "p1.hex"
    f.write_text(TELS["kam-p1-04"].hex() + "\n", encoding="ascii")
    assert main(["decode", str(f), "--tz", "UTC"]) == 0
    out = capsys.readouterr().out
    assert "profile se-han" in out and "1 frame(s) decoded, 0 rejected." in out
    assert "active_power_import" in out and "2025-05-25T18:42:15+00:00" in out


def test_stdin_subprocess() -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    r = subprocess.run([sys.executable, "-m", "amsparse", "decode", "-", "--json"],
                       input=b"noise" + TELS["sag-p1-01"] + TELS["lg-p1-01"], capture_output=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert [row["values"]["active_power_import"] for row in rows] == [286, 4190]
