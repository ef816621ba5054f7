"""The ``amsparse decode`` command line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import corpusdata
import pytest

from amsparse._cli import main

FRAMES = corpusdata.by_id()

SUMMARY = re.compile(r"(\d+) frame\(s\) decoded, (\d+) rejected\.")


def _summary(text: str) -> tuple[int, int]:
    m = SUMMARY.search(text)
    assert m, text[-300:]
    return int(m.group(1)), int(m.group(2))


def test_default_decodes_bundled_sample(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["decode"])
    out, err = capsys.readouterr()
    assert rc == 0
    assert "bundled sample capture" in out
    ok, bad = _summary(out)
    assert ok >= 10 and bad == 0
    assert err == ""
    for pid in ("aidon-v0001", "kaifa-kfm001", "kamstrup-v0001", "landis-gyr-embriq-v1-1"):
        assert f"profile {pid}" in out


def test_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", "--json"]) == 0
    out, _ = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert len(lines) >= 10
    assert not SUMMARY.search(out)  # JSON mode prints nothing but JSON
    for d in lines:
        assert {"source", "profile", "list", "values"} <= set(d)
        assert isinstance(d["values"], dict) and "active_power_import" in d["values"]
    aidon_l1 = [d for d in lines if d["profile"] == "no-han-list1" and d["list"] == "list1"]
    assert aidon_l1 and aidon_l1[0]["values"]["active_power_import"] == 512  # aid-list1-02


def test_hex_argument(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["decode", FRAMES["kfm-list1-07"]["hex"]])
    out, err = capsys.readouterr()
    assert rc == 0
    assert _summary(out) == (1, 0)
    assert "kaifa-kfm001" in out
    assert re.search(r"active_power_import\s+5502 W", out)
    assert "2020-02-15T01:25:34+01:00" in out


def _hexfile(tmp_path: Path, *fids: str) -> str:
    f = tmp_path / "frames.hex"
    f.write_text("".join(FRAMES[i]["hex"] + "\n" for i in fids), encoding="ascii")
    return str(f)


def test_long_hex_argument(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", FRAMES["aid-list2-01"]["hex"]]) == 0
    assert _summary(capsys.readouterr().out) == (1, 0)


def test_hex_file_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["decode", "--json", _hexfile(tmp_path, "aid-list2-01")]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["profile"] == "aidon-v0001" and d["list"] == "list2-1p"
    assert d["meter_id"] == "7359992905602019"
    assert d["values"]["current_l1"] == pytest.approx(-5.1)
    assert d["values"]["active_power_export"] == 1146


def test_forced_profile_option(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["decode", "--json", "--profile", "kamstrup-v0001-se", _hexfile(tmp_path, "kam-list3-04")]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["profile"] == "kamstrup-v0001-se"
    assert d["values"]["active_energy_import"] == 32014158
    assert d["values"]["meter_time"] == "2022-02-18T22:00:35+01:00"


def test_unknown_profile_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", "--profile", "no-such", FRAMES["kfm-list1-07"]["hex"]]) == 2
    assert "no-such" in capsys.readouterr().err


def test_corrupt_frame_is_rejected(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    f = tmp_path / "frames.hex"
    f.write_text(
        "# one good, one corrupt\n"
        + FRAMES["kam-list2-01"]["hex"] + "\n"
        + FRAMES["kam-corrupt-01"]["hex"] + "\n",
        encoding="ascii",
    )
    main(["decode", str(f)])
    out, err = capsys.readouterr()
    assert _summary(out) == (1, 1)
    assert "ChecksumError" in err and "FCS" in err


def test_only_corrupt_frame_fails(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rc = main(["decode", _hexfile(tmp_path, "aid-list3-11")])
    out, err = capsys.readouterr()
    assert rc != 0
    assert _summary(out) == (0, 1)
    assert "HCS" in err


def test_subprocess_module_entry_point(tmp_path: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    r = subprocess.run(
        [sys.executable, "-m", "amsparse", "decode", _hexfile(tmp_path, "kam-list3-10")],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert r.returncode != 0
    assert _summary(r.stdout) == (0, 1)
    assert "ChecksumError" in r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "amsparse", "decode"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert r.returncode == 0
    ok, bad = _summary(r.stdout)
    assert ok >= 10 and bad == 0
