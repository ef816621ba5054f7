"""amsparse.io over loopback TCP: a bridge that sends frames in odd pieces,
drops the connection in the middle of a frame and comes back; the reader
reconnects by itself, loses no whole frame and repeats none.  Also the CLI
(`read` against such a bridge, `replay --to tcp://` as the bridge)."""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from io_support import TcpBridge, check_json_lines, cli, cli_popen, good_frames, odd_pieces, run_bounded

import amsparse
import amsparse.io as aio
from amsparse import FrameDecoded


def _bridge_script(bridge: TcpBridge, frames: list[bytes], ready: threading.Event | None = None) -> None:
    """Connection 1: junk, frames 0-3 in odd pieces, then half of frame 4 and
    a drop.  The server is gone for a moment (connections refused), then
    connection 2: frames 5-9 (the bridge lost frame 4 with its reboot).
    A listener closed under it (the test ended, passed or not) ends it quietly:
    the test's own assertions say what went wrong, not a stray thread error."""
    try:
        _serve(bridge, frames, ready)
    except OSError:
        return


def _serve(bridge: TcpBridge, frames: list[bytes], ready: threading.Event | None) -> None:
    conn = bridge.accept()
    with conn:
        for piece in odd_pieces(b"\x01\x7e\x7e" + b"".join(frames[:4]) + frames[4][:50]):
            conn.sendall(piece)
            time.sleep(0.001)
        time.sleep(0.2)  # the reader has the half frame
    port = bridge.port
    bridge.srv.close()  # "rebooting": refused for a while
    time.sleep(0.4)
    srv = socket.create_server(("127.0.0.1", port))
    srv.settimeout(10)
    bridge.srv = srv
    conn = bridge.accept()
    with conn:
        for piece in odd_pieces(b"".join(frames[5:]), (13, 2, 1, 200, 9)):
            conn.sendall(piece)
            time.sleep(0.001)
        if ready is not None:
            ready.wait(10)


def test_tcp_drop_mid_frame_sync() -> None:
    frames = good_frames(("kam-list2", "aid-list2", "kfm-list1"), 10)
    bridge = TcpBridge()
    done = threading.Event()
    server = threading.Thread(target=_bridge_script, args=(bridge, frames, done), daemon=True)
    server.start()
    reader = aio.open(f"tcp://127.0.0.1:{bridge.port}", events="all", backoff=0.05, max_backoff=0.2)
    seen: list[object] = []

    def go() -> None:
        with reader:
            for ev in reader:
                seen.append(ev)
                if sum(type(e) is FrameDecoded for e in seen) == 9:
                    break

    try:
        run_bounded(go, 15, reader.close)
    finally:
        done.set()
        server.join(5)
        bridge.close()
    decoded = [e for e in seen if type(e) is FrameDecoded]
    assert [e.raw for e in decoded] == frames[:4] + frames[5:]
    for e in decoded:
        assert e.frame == amsparse.decode_frame(e.raw)
    lost = [e for e in seen if isinstance(e, aio.Disconnected)]
    assert len(lost) == 1 and lost[0].frames_cut == 1
    assert any(isinstance(e, aio.ConnectFailed) for e in seen)  # refused while "rebooting"
    assert [e.attempt for e in seen if isinstance(e, aio.Connected)] == [1, 2]
    assert reader.frames_cut == 1


def test_tcp_drop_mid_frame_asyncio() -> None:
    frames = good_frames(("kfm-list2", "lg-list2", "aid-list3"), 10)
    bridge = TcpBridge()
    done = threading.Event()
    server = threading.Thread(target=_bridge_script, args=(bridge, frames, done), daemon=True)
    server.start()

    async def go() -> tuple[list[object], int]:
        seen: list[object] = []
        async with aio.connect(f"tcp://127.0.0.1:{bridge.port}", events="all", backoff=0.05) as reader:
            async for ev in reader:
                seen.append(ev)
                if sum(type(e) is FrameDecoded for e in seen) == 9:
                    break
            return seen, reader.frames_cut

    try:
        seen, cut = asyncio.run(asyncio.wait_for(go(), 15))
    finally:
        done.set()
        server.join(5)
        bridge.close()
    assert [e.raw for e in seen if type(e) is FrameDecoded] == frames[:4] + frames[5:]
    assert cut == 1
    assert [e.frames_cut for e in seen if isinstance(e, aio.Disconnected)] == [1]


def test_cli_read_tcp_bridge_dropping() -> None:
    """`amsparse read tcp://... --json` across a drop, value by value."""
    frames = good_frames(("aid-list2", "kam-list3", "kfm-list3"), 10)
    bridge = TcpBridge()
    server = threading.Thread(target=_bridge_script, args=(bridge, frames), daemon=True)
    server.start()
    try:
        r = cli("read", f"tcp://127.0.0.1:{bridge.port}", "--json", "--count", "9", "--backoff", "0.05")
    finally:
        server.join(5)
        bridge.close()
    assert r.returncode == 0, r.stderr
    check_json_lines(r.stdout.splitlines(), frames[:4] + frames[5:])
    assert "1 frame(s) cut" in r.stderr and "(attempt 2)" in r.stderr


def test_cli_read_unreachable_host() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = cli("read", f"tcp://127.0.0.1:{port}")
    assert r.returncode == 6
    assert r.stderr.strip().startswith("amsparse: cannot connect to 127.0.0.1:") and r.stderr.count("\n") == 1


def test_replay_serves_read(tmp_path) -> None:
    """`amsparse replay --to tcp://` with junk and cuts feeding `amsparse read`:
    every frame the simulator sent whole arrives, once, in order."""
    frames = good_frames(("kfm-list2", "kam-list2"), 12)
    cap = tmp_path / "cap.hex"
    cap.write_text("\n".join(f.hex() for f in frames) + "\n", encoding="ascii")
    server = cli_popen("replay", str(cap), "--to", "tcp://127.0.0.1:0", "--interval", "0.01",
                       "--junk", "0.5", "--cut", "0.25", "--seed", "7")
    try:
        line = server.stdout.readline()
        assert line.startswith("listening on tcp://127.0.0.1:")
        port = int(line.rsplit(":", 1)[1])
        r = cli("read", f"tcp://127.0.0.1:{port}", "--json", "--backoff", "0.05", "--no-reconnect")
        # --no-reconnect: stops at the first cut; now follow the whole capture with reconnects
        first = r.stdout.splitlines()
        r2 = cli("read", f"tcp://127.0.0.1:{port}", "--json", "--backoff", "0.05", "--retries", "3",
                 timeout=30)
        _, err = server.communicate(timeout=10)
    finally:
        server.kill()
    assert r.returncode == 0 and r2.returncode == 6, (r.stderr, r2.stderr)  # 6: the simulator is gone
    cuts = err.count("cut a frame")
    assert cuts >= 1
    lines = first + r2.stdout.splitlines()
    # each JSON line is one of the frames, in capture order, none twice
    import json

    idx = []
    for line in lines:
        from io_support import without_received

        values = without_received(json.loads(line)["values"])
        matches = [i for i, f in enumerate(frames) if without_received(_values(f)) == values]
        assert matches, values
        idx.append(matches[0])
    assert idx == sorted(set(idx))
    assert len(idx) == len(frames) - cuts


def _values(raw: bytes) -> dict:
    from io_support import expected_values

    return expected_values(raw)
