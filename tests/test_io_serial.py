"""amsparse.io over real pseudo-terminals, read through pyserial and
pyserial-asyncio-fast: presets, junk and cut frames, auto-detection, a device
that disappears and comes back, and ``amsparse read`` as a subprocess."""

from __future__ import annotations

import asyncio
import os
import select
import sys
import threading
import time
from pathlib import Path

import pytest

termios = pytest.importorskip("termios", reason="pseudo-terminals are POSIX")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from io_support import SRC, PtyMeter, check_json_lines, cli, cli_popen, good_frames, need_module, run_bounded

import amsparse
import amsparse.io as aio
from amsparse import FrameDecoded, FrameRejected

need_module("serial", "serial")
need_module("serial_asyncio_fast", "serial")

JUNK = b"\x00\xff\x7e\x13junk\x7e\x7e"


def _stream(frames: list[bytes]) -> tuple[bytes, list[bytes]]:
    """junk, frames, one frame cut in the middle, more frames -> (bytes, the whole frames)."""
    cut = frames[1][: len(frames[1]) // 2]
    data = JUNK + frames[0] + cut + b"\xaa" + b"".join(frames[2:]) + JUNK
    return data, [frames[0], *frames[2:]]


@pytest.mark.parametrize(
    "baud,parity,preset",
    [(2400, "E", "mbus-8e1"), (2400, "N", "kamstrup")],
    ids=["2400-8E1", "2400-8N1"],
)
def test_pty_pyserial(baud: int, parity: str, preset: str) -> None:
    frames = good_frames(("kfm-list2", "kam-list2") if parity == "N" else ("aid-list2", "kfm-list3"), 6)
    data, whole = _stream(frames)
    meter = PtyMeter(baud, parity)
    reader = aio.open(meter.path, preset=preset, events="all")
    seen: list[object] = []

    def go() -> None:
        with reader:
            for ev in reader:
                seen.append(ev)
                if isinstance(ev, aio.Connected):
                    assert ev.settings is not None and ev.settings.startswith(f"{baud} 8{parity}1")
                    assert meter.speed() == getattr(termios, f"B{baud}")
                    threading.Thread(target=meter.write, args=(data,), daemon=True).start()
                if sum(type(e) is FrameDecoded for e in seen) == len(whole):
                    break

    try:
        run_bounded(go, 15, reader.close)
    finally:
        meter.close()
    decoded = [e for e in seen if type(e) is FrameDecoded]
    assert [e.raw for e in decoded] == whole
    for e, raw in zip(decoded, whole):
        assert e.frame == amsparse.decode_frame(raw)
    rejected = [e for e in seen if type(e) is FrameRejected]
    assert len(rejected) >= 1  # the cut frame


@pytest.mark.parametrize("parity,preset", [("E", "mbus-8e1"), ("N", "kamstrup")], ids=["8E1", "8N1"])
def test_pty_asyncio(parity: str, preset: str) -> None:
    frames = good_frames(("kam-list3", "aid-list3"), 5)
    data, whole = _stream(frames)
    meter = PtyMeter(2400, parity)

    async def go() -> list[object]:
        seen: list[object] = []
        async with aio.connect(meter.path, preset=preset, events="all") as reader:
            async for ev in reader:
                seen.append(ev)
                if isinstance(ev, aio.Connected):
                    await asyncio.to_thread(meter.write, data)
                if sum(type(e) is FrameDecoded for e in seen) == len(whole):
                    break
        return seen

    try:
        seen = asyncio.run(asyncio.wait_for(go(), 15))
    finally:
        meter.close()
    assert [e.raw for e in seen if type(e) is FrameDecoded] == whole
    assert any(type(e) is FrameRejected for e in seen)


class _GarblingMeter(threading.Thread):
    """A 115200-baud meter: what a reader at another speed gets is garbage
    (bytes XOR 0x5A: flags turn up, checksums never pass)."""

    def __init__(self, meter: PtyMeter, frames: list[bytes]) -> None:
        super().__init__(daemon=True)
        self.meter, self.frames, self.stop = meter, frames, threading.Event()

    def run(self) -> None:
        i = 0
        end = time.monotonic() + 15
        while not self.stop.is_set() and time.monotonic() < end:
            raw = self.frames[i % len(self.frames)]
            if self.meter.speed() != termios.B115200:
                raw = bytes(b ^ 0x5A for b in raw) + b"\x7e\xa0"
            try:
                self.meter.write(raw)
            except OSError:
                return
            i += 1
            time.sleep(0.02)


@pytest.mark.parametrize("mode", ["sync", "asyncio"])
def test_pty_autodetect(mode: str) -> None:
    frames = good_frames(("aid-aidon-27",), 3)
    meter = PtyMeter(2400, "E")
    sender = _GarblingMeter(meter, frames)
    seen: list[object] = []

    def on(ev: object) -> bool:
        seen.append(ev)
        if isinstance(ev, aio.Connected):
            sender.start()
        return sum(type(e) is FrameDecoded for e in seen) == 4

    try:
        if mode == "sync":
            reader = aio.open(meter.path, events="all", detect_timeout=0.4)

            def go() -> None:
                with reader:
                    for ev in reader:
                        if on(ev):
                            break

            run_bounded(go, 15, reader.close)
        else:
            async def ago() -> None:
                async with aio.connect(meter.path, events="all", detect_timeout=0.4) as reader:
                    async for ev in reader:
                        if on(ev):
                            break

            asyncio.run(asyncio.wait_for(ago(), 15))
    finally:
        sender.stop.set()
        if sender.is_alive():
            sender.join(2)
        meter.close()
    detected = [e for e in seen if isinstance(e, aio.SettingsDetected)]
    assert len(detected) == 1 and detected[0].settings.startswith("115200 8N1")
    assert seen.index(detected[0]) < next(i for i, e in enumerate(seen) if type(e) is FrameDecoded)
    decoded = [e.raw for e in seen if type(e) is FrameDecoded]
    k = frames.index(decoded[0])
    assert decoded == [frames[(k + j) % 3] for j in range(4)]  # consecutive, none lost after detection


def test_pty_device_lost_and_back(tmp_path) -> None:
    """The adapter is unplugged mid-frame and plugged in again (a udev-style
    symlink pointing to the new device): frames before and after arrive once,
    the frame cut by the drop is counted."""
    frames = good_frames(("kfm-list2",), 8)
    link = tmp_path / "ttyHAN"
    m1 = PtyMeter(2400, "N")
    os.symlink(m1.path, link)
    meters = [m1]
    replugged = threading.Event()
    reader = aio.open(str(link), preset="kamstrup", events="all", backoff=0.05, max_backoff=0.2)
    seen: list[object] = []

    def unplug_and_replug() -> None:
        _unplug_and_replug(m1, reader, frames, meters, link, tmp_path, "N", replugged)

    def send_rest() -> None:
        # the new pty may reuse the old /dev/pts number: the reader can be back before the link moved
        assert replugged.wait(10)
        meters[-1].write(b"".join(frames[5:]))

    def go() -> None:
        with reader:
            for ev in reader:
                seen.append(ev)
                if isinstance(ev, aio.Connected):
                    if ev.attempt == 1:
                        threading.Thread(target=unplug_and_replug, daemon=True).start()
                    else:
                        threading.Thread(target=send_rest, daemon=True).start()
                if sum(type(e) is FrameDecoded for e in seen) == 7:
                    break

    try:
        run_bounded(go, 20, reader.close)
    finally:
        for m in meters:
            m.close()
    assert [e.raw for e in seen if type(e) is FrameDecoded] == frames[:4] + frames[5:]
    lost = [e for e in seen if isinstance(e, aio.Disconnected)]
    assert len(lost) == 1 and lost[0].frames_cut == 1 and lost[0].retry_in is not None
    assert reader.frames_cut == 1 and reader.reconnects == 1
    assert [e.attempt for e in seen if isinstance(e, aio.Connected)] == [1, 2]


def _wait_line(stream, timeout: float) -> str:  # type: ignore[no-untyped-def]
    r, _, _ = select.select([stream], [], [], timeout)
    assert r, "no output from the subprocess"
    return stream.readline()


def test_cli_read_pty_json() -> None:
    """`amsparse read /dev/pts/N --json` against a 2400-baud 8E1 pty, value by value."""
    frames = good_frames(("aid-list3", "kfm-list3", "lg-list2"), 5)
    data, whole = _stream(frames)
    meter = PtyMeter(2400, "E")
    proc = cli_popen("read", meter.path, "--json", "--count", str(len(whole)), "--preset", "aidon")
    try:
        line = _wait_line(proc.stderr, 10)
        assert "connected to" in line and "2400 8E1" in line
        meter.write(data)
        out, err = proc.communicate(timeout=15)
    finally:
        proc.kill()
        meter.close()
    assert proc.returncode == 0, err
    check_json_lines(out.splitlines(), whole)


def test_cli_read_missing_device_and_bad_scheme() -> None:
    r = cli("read", "/dev/ttyUSB_amsparse_missing")
    assert r.returncode == 4 and r.stderr.count("\n") == 1
    assert "no such serial device" in r.stderr and "Traceback" not in r.stderr
    r = cli("read", "ftp://example/x")
    assert r.returncode == 2 and "unknown URL scheme 'ftp'" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to drop to 'nobody'")
def test_cli_read_permission_denied_says_dialout() -> None:
    """A real EACCES: a forked child drops to uid nobody and runs the CLI on a
    pty slave owned by root with mode 0600."""
    from amsparse import _cli

    meter = PtyMeter(2400, "E")
    os.chmod(meter.path, 0o600)
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            os.dup2(wfd, 2)
            sys.stderr = os.fdopen(2, "w", buffering=1)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            code = _cli.main(["read", meter.path, "--preset", "aidon"])
        except BaseException:
            code = 99
        os._exit(code)
    os.close(wfd)
    try:
        _, status = os.waitpid(pid, 0)
        err = os.read(rfd, 65536).decode()
    finally:
        os.close(rfd)
        meter.close()
    assert os.waitstatus_to_exitcode(status) == 5, err
    assert "permission denied" in err and "dialout" in err and err.count("\n") == 1


def test_cli_read_missing_extra() -> None:
    """pyserial not importable (None in sys.modules makes its import fail): the
    message names the extra."""
    import subprocess

    code = (
        "import sys; sys.modules['serial'] = None; from amsparse._cli import main; "
        "sys.exit(main(['read', '/dev/ttyS0']))"
    )
    env = dict(os.environ, PYTHONPATH=str(SRC))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=20, env=env)
    assert r.returncode == 3, r.stderr
    assert 'pip install "amsparse[serial]"' in r.stderr and "Traceback" not in r.stderr


def test_pty_device_lost_and_back_asyncio(tmp_path) -> None:
    """The same unplug/replug through pyserial-asyncio-fast, with auto-detection
    (the meter runs at 2400 baud; the first preset is right)."""
    frames = good_frames(("aid-list2", "kfm-list2"), 8)
    link = tmp_path / "ttyHAN"
    m1 = PtyMeter(2400, "E")
    os.symlink(m1.path, link)
    meters = [m1]
    replugged = threading.Event()

    async def go() -> tuple[list[object], int]:
        seen: list[object] = []
        async with aio.connect(str(link), events="all", backoff=0.05, max_backoff=0.2, detect_timeout=5) as reader:

            def unplug_and_replug() -> None:
                _unplug_and_replug(m1, reader, frames, meters, link, tmp_path, "E", replugged)

            def send_rest() -> None:
                assert replugged.wait(10)
                meters[-1].write(b"".join(frames[5:]))

            async for ev in reader:
                seen.append(ev)
                if isinstance(ev, aio.Connected):
                    target = unplug_and_replug if ev.attempt == 1 else send_rest
                    threading.Thread(target=target, daemon=True).start()
                if sum(type(e) is FrameDecoded for e in seen) == 7:
                    break
            return seen, reader.frames_cut

    try:
        seen, cut = asyncio.run(asyncio.wait_for(go(), 20))
    finally:
        for m in meters:
            m.close()
    assert [e.raw for e in seen if type(e) is FrameDecoded] == frames[:4] + frames[5:]
    assert [type(e).__name__ for e in seen if isinstance(e, aio.SettingsDetected)] == ["SettingsDetected"]
    assert cut == 1 and [e.frames_cut for e in seen if isinstance(e, aio.Disconnected)] == [1]


@pytest.mark.parametrize("mode", ["sync", "asyncio"])
def test_pty_bytes_sent_before_the_port_opens_are_kept(mode: str) -> None:
    """pyserial empties the input queue when it opens a port; the reader keeps
    what the meter sent before (a frame pushed while the reader started)."""
    frames = good_frames(("kam-list3", "kfm-list1"), 3)
    meter = PtyMeter(2400, "E")
    meter.write(b"".join(frames))
    try:
        if mode == "sync":
            def go() -> list[bytes]:
                with aio.open(meter.path) as r:
                    it = iter(r)
                    return [next(it).raw for _ in frames]

            got = run_bounded(go, 10)
        else:
            async def ago() -> list[bytes]:
                out = []
                async with aio.connect(meter.path) as r:
                    async for ev in r:
                        out.append(ev.raw)
                        if len(out) == len(frames):
                            return out
                return out

            got = asyncio.run(asyncio.wait_for(ago(), 10))
    finally:
        meter.close()
    assert got == frames


def test_replay_pty_feeds_read(tmp_path) -> None:
    """`amsparse replay --pty` prints the slave path; `amsparse read` on it
    gets every whole frame once, in order, across junk and cut frames."""
    frames = good_frames(("kam-list2",), 8)
    cap = tmp_path / "cap.bin"
    cap.write_bytes(b"".join(frames))
    sim = cli_popen("replay", str(cap), "--pty", "--preset", "kamstrup", "--interval", "0.3",
                    "--junk", "0.5", "--cut", "0.3", "--seed", "11", "--linger", "3")
    try:
        path = _wait_line(sim.stdout, 10).strip()
        assert path.startswith("/dev/")
        r = cli("read", path, "--preset", "kamstrup", "--json", "--count", "3", timeout=20)
    finally:
        sim.kill()
        sim.communicate(timeout=10)
    assert r.returncode == 0, r.stderr
    import json

    from io_support import expected_values, without_received

    got = [without_received(json.loads(line)["values"]) for line in r.stdout.splitlines()]
    want = [without_received(expected_values(f)) for f in frames]
    idx = [want.index(v) for v in got]
    assert len(idx) == 3 and idx == sorted(set(idx))


def _unplug_and_replug(m1, reader, frames, meters, link, tmp_path, parity, replugged) -> None:  # type: ignore[no-untyped-def]
    """Send frames 0-3 and half of frame 4, unplug the device once the reader has
    every byte (a hangup drops what it has not read), then plug in a new pty
    (``parity``) under the same path and say so."""
    first = b"".join(frames[:4]) + frames[4][:40]
    m1.write(first)
    end = time.monotonic() + 10
    while reader.decoder.bytes_fed < len(first) and time.monotonic() < end:
        time.sleep(0.01)
    m1.close()
    time.sleep(0.3)
    m2 = PtyMeter(2400, parity)
    meters.append(m2)
    tmp = tmp_path / "ttyHAN.new"
    os.symlink(m2.path, tmp)
    os.replace(tmp, link)
    replugged.set()
