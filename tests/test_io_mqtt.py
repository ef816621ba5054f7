"""amsparse.io against a real MQTT broker (mosquitto, started here on a
loopback port): raw and hex payloads, a broker restart during a read, and
``amsparse read mqtt://...`` as a subprocess.

In CI (``CI=true``) a missing mosquitto fails these tests (``.ci/run``
installs it); elsewhere they are skipped with a message."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from io_support import Broker, check_json_lines, cli_popen, good_frames, need_module, publish, run_bounded

import amsparse
import amsparse.io as aio
from amsparse import FrameDecoded

need_module("paho.mqtt.client", "mqtt")


@pytest.fixture
def broker(tmp_path):  # type: ignore[no-untyped-def]
    b = Broker(tmp_path)
    b.start()
    try:
        yield b
    finally:
        b.stop()


def _payloads(frames: list[bytes]) -> list[bytes | str]:
    """Alternate raw bytes, lower-case hex, and spaced upper-case hex text."""
    out: list[bytes | str] = []
    for i, f in enumerate(frames):
        if i % 3 == 0:
            out.append(f)
        elif i % 3 == 1:
            out.append(f.hex())
        else:
            out.append(f.hex(" ").upper() + "\n")
    return out


def _wait(cond, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def test_mqtt_raw_and_hex_and_broker_restart(broker: Broker) -> None:
    frames = good_frames(("aid-list2", "kfm-list2", "kam-list2"), 8)
    topic = "han/meter1/raw"
    reader = aio.open(f"mqtt://127.0.0.1:{broker.port}/{topic}", events="all", backoff=0.1, max_backoff=0.3)
    seen: list[object] = []
    connected = threading.Event()
    reconnected = threading.Event()

    def go() -> None:
        with reader:
            for ev in reader:
                seen.append(ev)
                if isinstance(ev, aio.Connected):
                    (connected if ev.attempt == 1 else reconnected).set()
                if sum(type(e) is FrameDecoded for e in seen) == len(frames):
                    break

    t = threading.Thread(target=lambda: run_bounded(go, 25, reader.close), daemon=True)
    t.start()
    assert connected.wait(10)
    publish(broker.port, topic, _payloads(frames[:4]))
    _wait(lambda: sum(type(e) is FrameDecoded for e in seen) == 4)
    broker.stop()
    _wait(lambda: any(isinstance(e, aio.Disconnected) for e in seen))
    broker.start()
    assert reconnected.wait(10)
    publish(broker.port, topic, _payloads(frames[4:]))
    t.join(20)
    assert not t.is_alive()
    decoded = [e for e in seen if type(e) is FrameDecoded]
    assert [e.raw for e in decoded] == frames
    for e in decoded:
        assert e.frame == amsparse.decode_frame(e.raw)
    assert [e.frames_cut for e in seen if isinstance(e, aio.Disconnected)] == [0]


def test_mqtt_asyncio(broker: Broker) -> None:
    frames = good_frames(("lg-list2", "kfm-list3"), 4)
    topic = "han/meter2"

    async def go() -> list[bytes]:
        got: list[bytes] = []
        async with aio.connect(f"mqtt://127.0.0.1:{broker.port}/{topic}", events="connection") as reader:
            async for ev in reader:
                if isinstance(ev, aio.Connected):
                    await asyncio.to_thread(publish, broker.port, topic, _payloads(frames))
                elif type(ev) is FrameDecoded:
                    got.append(ev.raw)
                    if len(got) == len(frames):
                        break
        return got

    assert asyncio.run(asyncio.wait_for(go(), 15)) == frames


def test_cli_read_mqtt_json(broker: Broker) -> None:
    frames = good_frames(("aid-list3", "kam-list3"), 4)
    topic = "bridge/han"
    proc = cli_popen("read", f"mqtt://127.0.0.1:{broker.port}/{topic}", "--json", "--count", "4")
    try:
        line = proc.stderr.readline()  # "amsparse: connected to mqtt://..."
        assert "connected to mqtt://" in line
        publish(broker.port, topic, _payloads(frames))
        out, err = proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    check_json_lines(out.splitlines(), frames)


def test_mqtt_broker_unreachable() -> None:
    from io_support import cli, free_port

    r = cli("read", f"mqtt://127.0.0.1:{free_port()}/x")
    assert r.returncode == 6 and "cannot connect to 127.0.0.1:" in r.stderr and "Traceback" not in r.stderr
