"""Real parts for the I/O tests: pseudo-terminal "meters", a loopback TCP
bridge, a mosquitto broker, and helpers that bound every wait.

Expected values come from ``amsparse.decode_frame`` on the corpus hex (the
oracle the decoder tests establish), never from the reader under test.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest

HERE = Path(__file__).resolve().parent


def _package_root() -> Path:
    """The folder holding the amsparse under test (src/ in a checkout run with
    PYTHONPATH=src, site-packages after `pip install .`): subprocesses put it
    first on PYTHONPATH so they run the very same build, compiled core included."""
    import amsparse

    return Path(amsparse.__file__).resolve().parent.parent


SRC = _package_root()


def in_ci() -> bool:
    """The project's CI (.ci/run): there every I/O test must run.  The wheel
    tests (cibuildwheel sets CIBUILDWHEEL=1) install no optional extras."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes") and os.environ.get("CIBUILDWHEEL") != "1"


def need_module(name: str, extra: str) -> Any:
    """Import an optional test dependency: skipped outside CI when it is
    missing, a failure in CI (``.[test]`` installs it there)."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        if in_ci():
            raise
        pytest.skip(f"{name} is not installed (pip install 'amsparse[{extra}]'; CI installs it)", allow_module_level=True)


def corpus() -> dict[str, bytes]:
    """id -> bytes of the corpus records not marked corrupt (tests/corpusdata.py)."""
    import corpusdata

    return {r["id"]: bytes.fromhex(r["hex"]) for r in corpusdata.records() if not r.get("marked_corrupt")}


def good_frames(prefixes: tuple[str, ...], n: int) -> list[bytes]:
    """The first n corpus frames with these id prefixes that decode_frame accepts."""
    import amsparse

    frames = []
    for fid, raw in corpus().items():
        if fid.startswith(prefixes):
            try:
                amsparse.decode_frame(raw)
            except amsparse.DecodeError:
                continue
            frames.append(raw)
            if len(frames) == n:
                break
    assert len(frames) == n, f"corpus has fewer than {n} good {prefixes} frames"
    return frames


def expected_values(raw: bytes) -> dict[str, Any]:
    """What one frame's JSON ``values`` must be, from decode_frame."""
    import amsparse

    out: dict[str, Any] = {}
    for k, v in amsparse.decode_frame(raw).as_dict().items():
        if isinstance(v, _dt.datetime):
            v = v.isoformat()
        elif isinstance(v, bytes):
            v = v.hex()
        elif type(v).__name__.startswith("Cosem"):
            v = str(v)
        out[k] = v
    return out


def without_received(values: dict[str, Any]) -> dict[str, Any]:
    """A live frame's JSON ``values`` as decode_frame of its bytes gives them:
    the receive time a live reader stamps removed (and the timestamp taken
    from it when the frame has no time of its own)."""
    out = dict(values)
    received = out.pop("received", None)
    if received is not None:
        assert _dt.datetime.fromisoformat(received).utcoffset() == _dt.timedelta(0)
        if out.get("timestamp") == received:
            out["timestamp"] = None
    return out


def check_json_lines(lines: list[str], frames: list[bytes]) -> None:
    """Each line is the JSON of the matching frame, value by value."""
    import amsparse

    assert len(lines) == len(frames), (len(lines), len(frames))
    for line, raw in zip(lines, frames):
        got = json.loads(line)
        want = amsparse.decode_frame(raw)
        assert got["profile"] == want.profile_id
        assert got["meter_id"] == want.meter_id
        exp = expected_values(raw)
        assert set(got["values"]) == set(exp)
        # a live reader stamps the receive time (captures read as files do not);
        # it is the frame's timestamp only when the frame has no time of its own
        received = got["values"].pop("received")
        assert received is None or _dt.datetime.fromisoformat(received).utcoffset() == _dt.timedelta(0)
        if exp["timestamp"] is None:
            exp["timestamp"] = received
        assert got["timestamp"] == exp["timestamp"]
        del exp["received"]
        for k, v in exp.items():
            assert got["values"][k] == v, (k, got["values"][k], v)


# --------------------------------------------------------------------------- bounded runs

def run_bounded(fn: Callable[[], Any], timeout: float, on_timeout: Callable[[], Any] | None = None) -> Any:
    """Run fn in a thread; fail the test (after on_timeout) if it takes longer."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - re-raised in the test thread
            box["error"] = e

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        if on_timeout is not None:
            on_timeout()
        t.join(2)
        pytest.fail(f"timed out after {timeout} s")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def cli(*args: str, timeout: float = 20, env: dict[str, str] | None = None, **kw: Any) -> subprocess.CompletedProcess:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(SRC) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    e.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "amsparse", *args], capture_output=True, text=True, timeout=timeout, env=e, **kw
    )


def cli_popen(*args: str, **kw: Any) -> subprocess.Popen:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(SRC) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    return subprocess.Popen(
        [sys.executable, "-m", "amsparse", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=e, **kw,
    )


# --------------------------------------------------------------------------- pty meter

class PtyMeter:
    """A pseudo-terminal whose master side plays the meter.  The line is set
    with termios (speed, 8 data bits, parity, 1 stop bit); Linux keeps the
    speed but drops parity and character size on a pty (always CS8)."""

    def __init__(self, baudrate: int = 2400, parity: str = "E") -> None:
        import termios

        self.master, self.slave = os.openpty()
        a = termios.tcgetattr(self.slave)
        a[0] = a[1] = a[3] = 0  # raw
        cflag = (a[2] & ~(termios.CSIZE | termios.PARENB | termios.PARODD)) | termios.CS8 | termios.CREAD
        if parity != "N":
            cflag |= termios.PARENB | (termios.PARODD if parity == "O" else 0)
        a[2] = cflag
        a[4] = a[5] = getattr(termios, f"B{baudrate}")
        termios.tcsetattr(self.slave, termios.TCSANOW, a)
        self.path = os.ttyname(self.slave)
        self.closed = False

    def speed(self) -> int:
        """The speed the reader set on the line (termios)."""
        import termios

        return termios.tcgetattr(self.slave)[4]

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.master, view):]

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.master)
            os.close(self.slave)


# --------------------------------------------------------------------------- tcp bridge

class TcpBridge:
    """A loopback server; the test scripts what each connection gets."""

    def __init__(self) -> None:
        self.srv = socket.create_server(("127.0.0.1", 0))
        self.port = self.srv.getsockname()[1]
        self.srv.settimeout(10)

    def accept(self) -> socket.socket:
        conn, _ = self.srv.accept()
        conn.settimeout(10)
        return conn

    def close(self) -> None:
        self.srv.close()


def odd_pieces(data: bytes, sizes: tuple[int, ...] = (1, 7, 3, 64, 2, 151, 5)) -> list[bytes]:
    out, i, k = [], 0, 0
    while i < len(data):
        n = sizes[k % len(sizes)]
        out.append(data[i : i + n])
        i += n
        k += 1
    return out


# --------------------------------------------------------------------------- mqtt broker

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Broker:
    """mosquitto on a loopback port (restartable on the same port)."""

    def __init__(self, tmp: Path) -> None:
        exe = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None)
        if exe is None:
            if in_ci():
                pytest.fail("mosquitto is not installed: .ci/run must install it (apt-get install mosquitto)")
            pytest.skip("mosquitto is not installed (CI installs it)")
        self.exe = exe
        self.port = free_port()
        self.conf = tmp / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n", encoding="ascii"
        )
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.exe, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            self.proc = None


def publish(port: int, topic: str, payloads: list[bytes | str]) -> None:
    """Publish with a short-lived paho client (QoS 1, waits for each ack)."""
    import paho.mqtt.client as mqtt

    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    c.connect("127.0.0.1", port)
    c.loop_start()
    try:
        for p in payloads:
            c.publish(topic, p, qos=1).wait_for_publish(5)
    finally:
        c.disconnect()
        c.loop_stop()
