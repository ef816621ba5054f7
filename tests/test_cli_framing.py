"""``--framing {hdlc,mbus,auto}`` on the commands that read raw captures:
``amsparse decode``, ``convert`` and ``read`` (docs/cli.md)."""

from __future__ import annotations

import json
from pathlib import Path

import corpusdata
import pytest
from io_support import cli

from amsparse._cli import main

MBUS = corpusdata.by_id()["kfm-other-04"]          # EVN Kaifa, two M-Bus long frames, published key
HDLC = corpusdata.by_id()["aid-aidon-27-01"]        # Swedish Aidon, one HDLC frame


def _raw(tmp_path: Path, *recs: dict) -> Path:  # type: ignore[type-arg]
    p = tmp_path / "capture.bin"
    p.write_bytes(b"".join(bytes.fromhex(r["hex"]) for r in recs))
    return p


def _profiles(out: str) -> list[str]:
    return [json.loads(line)["profile"] for line in out.splitlines() if line.strip()]


def test_decode_mbus_needs_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _raw(tmp_path, MBUS)
    rc = main(["decode", str(p), "--json", "--key", MBUS["key_hex"], "--framing", "mbus"])
    out = capsys.readouterr().out
    assert rc == 0 and _profiles(out) == ["at-evn-netz-noe"]
    rc = main(["decode", str(p), "--json", "--key", MBUS["key_hex"]])  # read as HDLC: no frame
    out = capsys.readouterr().out
    assert rc != 0 and _profiles(out) == []


def test_decode_auto_reads_both(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _raw(tmp_path, HDLC, MBUS, HDLC)
    rc = main(["decode", str(p), "--json", "--key", MBUS["key_hex"], "--framing", "auto"])
    out = capsys.readouterr().out
    assert rc == 0 and _profiles(out) == ["aidon-se", "at-evn-netz-noe", "aidon-se"]


def test_decode_rejects_unknown_framing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ei:
        main(["decode", str(_raw(tmp_path, HDLC)), "--framing", "p1"])
    assert ei.value.code == 2
    assert "--framing" in capsys.readouterr().err


def test_convert_framing(tmp_path: Path) -> None:
    p = _raw(tmp_path, HDLC, MBUS)
    out = tmp_path / "out.jsonl"
    assert main(["convert", str(p), "-o", str(out), "--framing", "auto", "--no-progress"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    # no key given to convert: the ciphered M-Bus message is a rejected row, the HDLC frame a reading row
    assert [r.get("profile_id") for r in rows if r.get("profile_id")] == ["aidon-se"]
    assert len(rows) == 2
    out2 = tmp_path / "out2.jsonl"
    assert main(["convert", str(p), "-o", str(out2), "--no-progress"]) == 0
    assert len(out2.read_text().splitlines()) == 1  # HDLC only: the M-Bus bytes are noise
    assert main(["convert", str(p), "-o", str(tmp_path / "dir"), "--framing", "mbus"]) == 2


def test_read_framing(tmp_path: Path) -> None:
    p = _raw(tmp_path, MBUS)
    r = cli("read", str(p), "--json", "--key", MBUS["key_hex"], "--framing", "mbus")
    assert r.returncode == 0, r.stderr
    assert _profiles(r.stdout) == ["at-evn-netz-noe"]
