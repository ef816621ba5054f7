"""``amsparse decode`` on bad input: one line on stderr per problem, the
documented exit code (0 all decoded, 1 some rejected or nothing decoded from
non-empty input, 2 usage or input error), never a traceback or a Python repr
(issue 12, item 4)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import corpusdata
import pytest

from amsparse._cli import main

FRAMES = corpusdata.by_id()
GOOD = [FRAMES[k]["hex"] for k in ("kam-list2-01", "aid-list2-02", "kfm-list2-11")]
REPR_MARKS = ("Traceback", "BytesDiscarded", "FrameRejected", "b'", 'b"', "Error(", "[Errno")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(["decode", *argv])
    out, err = capsys.readouterr()
    for mark in REPR_MARKS:
        assert mark not in err, err
    return rc, out, err


def _one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("amsparse")
    return lines[0]


def test_bad_zone(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(capsys, "--tz", "Mars/Olympus", GOOD[0])
    assert rc == 2 and out == ""
    assert _one_line(err) == ("amsparse: unknown time zone 'Mars/Olympus' "
                              "(an IANA name such as 'Europe/Oslo' or 'UTC')")


@pytest.mark.parametrize("cmd", [
    ["convert", "{hex}", "-o", "{out}"],
    ["diagnose", "{hex}"],
    ["read", "{hex}"],
    ["report", "{hex}"],
])
def test_bad_zone_other_subcommands(cmd: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    h = tmp_path / "f.hex"
    h.write_text(GOOD[0] + "\n")
    argv = [a.format(hex=h, out=tmp_path / "o.csv") for a in cmd] + ["--tz", "Mars/Olympus"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "unknown time zone 'Mars/Olympus'" in err and "Traceback" not in err
    assert not (tmp_path / "o.csv").exists()


def test_bad_profile(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(capsys, "--profile", "no-such", GOOD[0])
    assert rc == 2 and _one_line(err).startswith("amsparse: no profile with id 'no-such' (have: ")


def test_usage_error_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["decode", "--bogus"])
    assert e.value.code == 2
    assert _one_line(capsys.readouterr().err) == (
        "amsparse: unrecognized arguments: --bogus (see 'amsparse --help')")


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rc, _, err = _run(capsys, str(tmp_path / "nothere.bin"))
    assert rc == 2 and _one_line(err) == f"amsparse: no such file, and not a hex frame: {tmp_path / 'nothere.bin'}"


def test_unreadable_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rc, _, err = _run(capsys, str(tmp_path))  # a directory
    assert rc == 2 and _one_line(err).startswith(f"amsparse: cannot read {tmp_path}: ")


@pytest.mark.parametrize("content", [b"", b"# only a comment\n\n"])
def test_empty_input(content: bytes, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    p = tmp_path / "empty.hex"
    p.write_bytes(content)
    rc, out, err = _run(capsys, str(p))
    assert rc == 2 and _one_line(err) == f"amsparse: {p}: empty input, no frame to decode"


def test_hex_file_bad_line_decodes_the_rest(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    p = tmp_path / "frames.hex"
    p.write_text("# three good frames, one bad line\n" + GOOD[0] + "\n"
                 + GOOD[1][:10] + "zz" + GOOD[1][12:] + "\n" + GOOD[1] + "\n0x" + GOOD[2] + "\n")
    rc, out, err = _run(capsys, str(p))
    assert rc == 1
    assert err == f"{p}:3: not hex: 'z' at character 11\n"
    assert "3 frame(s) decoded, 1 rejected." in out
    rc, out, err = _run(capsys, str(p), "--json")
    assert rc == 1 and [json.loads(x)["source"] for x in out.splitlines()] == [f"{p}:2", f"{p}:4", f"{p}:5"]


def test_hex_odd_digits_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    p = tmp_path / "frames.hex"
    p.write_text(GOOD[0] + "\n" + GOOD[1][:-1] + "\n")
    rc, out, err = _run(capsys, str(p))
    assert rc == 1 and err == f"{p}:2: not hex: an odd number of digits ({len(GOOD[1]) - 1})\n"


def test_too_short_hex_is_a_rejected_frame(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(capsys, "7ea0")
    assert rc == 1  # input given, nothing decoded
    assert err == "arg: rejected (IncompleteFrameError): input ends inside the HDLC format field\n"
    assert "0 frame(s) decoded, 1 rejected." in out


@pytest.mark.parametrize("arg", ["0x" + GOOD[0], "0X" + GOOD[0].upper(), " ".join([GOOD[0][:20], GOOD[0][20:]])])
def test_hex_argument_forms(arg: str, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(capsys, arg)
    assert rc == 0 and err == "" and "1 frame(s) decoded, 0 rejected." in out


def test_odd_hex_argument(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = _run(capsys, "7ea")
    assert rc == 2 and _one_line(err) == "amsparse: no such file, and not a hex frame (an odd number of digits (3)): 7ea"


def test_noise_is_bytes_skipped_not_rejected(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    frames = [bytes.fromhex(h) for h in GOOD]
    noise1, noise2 = bytes(range(1, 101)), b"\x00" * 4096
    p = tmp_path / "cap.bin"
    p.write_bytes(noise1 + frames[0] + noise2 + frames[1] + frames[2])
    rc, out, err = _run(capsys, str(p))
    assert rc == 0  # every frame decoded: noise is not a failure
    assert err.splitlines() == [
        f"{p}: skipped 100 bytes of noise at offset 0",
        f"{p}: skipped 4096 bytes of noise at offset {100 + len(frames[0])}",
    ]
    assert "3 frame(s) decoded, 0 rejected, 4196 byte(s) of noise skipped." in out


def test_only_noise_is_exit_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    p = tmp_path / "noise.bin"
    p.write_bytes(b"\x00" * 4096)
    rc, out, err = _run(capsys, str(p))
    assert rc == 1 and err == f"{p}: skipped 4096 bytes of noise at offset 0\n"
    assert "0 frame(s) decoded, 0 rejected, 4096 byte(s) of noise skipped." in out


def test_rejected_frame_in_a_capture(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    good = bytes.fromhex(GOOD[0])
    bad = bytearray(good)
    bad[-3] ^= 0xFF  # break the FCS
    p = tmp_path / "cap.bin"
    p.write_bytes(good + bytes(bad) + good)
    rc, out, err = _run(capsys, str(p))
    assert rc == 1
    assert err.startswith(f"{p}#2: rejected at offset {len(good)} (ChecksumError): FCS mismatch")
    assert "2 frame(s) decoded, 1 rejected" in out


def test_json_readings_carry_unit_and_obis(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(capsys, "--json", GOOD[0])
    d = json.loads(out)
    assert rc == 0
    by_name = {r["name"]: r for r in d["readings"]}
    # Kamstrup list 2 (han-lists, Kamstrup table): OBIS codes with B=1, units from the spec
    assert by_name["active_power_import"] == {"name": "active_power_import", "value": 6265, "unit": "W",
                                              "obis": "1-1:1.7.0.255"}
    assert by_name["voltage_l1"]["unit"] == "V" and by_name["current_l1"]["unit"] == "A"
    assert by_name["meter_id"]["unit"] is None


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["decode", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "exit status:" in out and "0  every frame decoded" in out and "2  usage or input error" in out


def test_subprocess_exit_codes(tmp_path: Path) -> None:
    """Through the real entry point: the codes, and no traceback on stderr."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)

    def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "amsparse", "decode", *args], input=stdin,
                              capture_output=True, env=env, timeout=60)

    r = run("--tz", "Mars/Olympus", GOOD[0])
    assert r.returncode == 2 and r.stderr.count(b"\n") == 1 and b"Traceback" not in r.stderr
    r = run("-")
    assert r.returncode == 2 and r.stderr == b"amsparse: stdin: empty input, no frame to decode\n"
    r = run("-", stdin=bytes.fromhex(GOOD[0]) * 2)
    assert r.returncode == 0 and r.stderr == b""
    r = run("-", stdin=(GOOD[0] + "\nnot hex\n").encode())
    assert r.returncode == 1 and r.stderr == b"stdin:2: not hex: 'n' at character 1\n"


def test_hex_file_bad_first_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A typo on the very first line does not turn the file into 'binary noise'."""
    p = tmp_path / "frames.hex"
    p.write_text(GOOD[0][:6] + "g" + GOOD[0][7:] + "\n" + GOOD[1] + "\n" + GOOD[2] + "\n")
    rc, out, err = _run(capsys, str(p))
    assert rc == 1 and err == f"{p}:1: not hex: 'g' at character 7\n"
    assert "2 frame(s) decoded, 1 rejected." in out


def test_hex_file_with_a_non_ascii_byte(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    p = tmp_path / "frames.hex"
    p.write_bytes(GOOD[0].encode() + b"\n" + GOOD[1][:4].encode() + b"\xe9" + GOOD[1][5:].encode()
                  + b"\n" + GOOD[2].encode() + b"\n")
    rc, out, err = _run(capsys, str(p))
    assert rc == 1 and err == f"{p}:2: not hex: byte 0xE9 at character 5\n"
    assert "2 frame(s) decoded, 1 rejected." in out


def test_report_missing_file_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`report` shares decode's input helpers, and their errors."""
    assert main(["report", str(tmp_path / "nothere.hex")]) == 2
    assert _one_line(capsys.readouterr().err) == f"amsparse: no such file, and not a hex frame: {tmp_path / 'nothere.hex'}"


def test_report_skips_a_bad_hex_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    p = tmp_path / "frames.hex"
    p.write_text(GOOD[0] + "\nzz\n" + GOOD[1] + "\n")
    assert main(["report", str(p), "--json"]) == 0
    assert "Traceback" not in capsys.readouterr().err
