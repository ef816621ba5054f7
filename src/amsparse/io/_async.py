"""asyncio readers: :func:`amsparse.io.connect`."""

from __future__ import annotations

import asyncio
import builtins
import time
from typing import Any, AsyncIterator

from ._capture import hex_payload, load_capture
from ._core import (
    ConnectError,
    EndOfInput,
    HostUnreachableError,
    Lost,
    ReaderBase,
    classify,
    need,
)
from ._url import SerialSettings, Target

__all__ = ["AsyncReader", "connect"]

_POLL = 0.2


class _AStream:
    """Serial (pyserial-asyncio-fast) and TCP (asyncio streams): a StreamReader."""

    def __init__(self, target: Target, settings: SerialSettings | None, connect_timeout: float) -> None:
        self.target = target
        self.settings = settings
        self.connect_timeout = connect_timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: Any = None
        if target.kind == "serial":
            self.sa = need("serial_asyncio_fast", "serial", "reading a serial port with asyncio")

    async def connect(self) -> None:
        t = self.target
        if t.kind == "serial":
            from ._sync import _Serial

            opener = _Serial(t, self.settings)  # pyserial, parity fallback on ptys, input kept
            opener.connect()
            loop = asyncio.get_running_loop()
            reader = asyncio.StreamReader(loop=loop)
            protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
            transport, _ = await self.sa.connection_for_serial(loop, lambda: protocol, opener.port)
            self.reader, self.writer = reader, asyncio.StreamWriter(transport, protocol, reader, loop)
        else:
            self.reader, self.writer = await asyncio.wait_for(
                asyncio.open_connection(t.host, t.port), self.connect_timeout
            )

    def apply(self, s: SerialSettings) -> None:
        self.settings = s
        port = getattr(getattr(self.writer, "transport", None), "serial", None)
        if port is not None:
            from ._sync import set_line

            set_line(port, s, self.target.path)

    async def read(self) -> bytes:
        assert self.reader is not None
        try:
            data = await asyncio.wait_for(self.reader.read(4096), _POLL)
        except asyncio.TimeoutError:
            return b""
        except Exception as e:  # noqa: BLE001 - serial errors, ConnectionResetError...
            raise Lost(str(e) or type(e).__name__) from None
        if not data:
            raise Lost("device gone" if self.target.kind == "serial" else "connection closed by the peer")
        return data

    async def close(self) -> None:
        w, self.writer = self.writer, None
        if w is not None:
            w.close()
            try:
                await asyncio.wait_for(w.wait_closed(), 1.0)
            except Exception:  # noqa: BLE001 - already broken
                pass


class _AMqtt:
    """paho-mqtt's network thread, bridged to an asyncio queue."""

    def __init__(self, target: Target, connect_timeout: float) -> None:
        self.mqtt = need("paho.mqtt.client", "mqtt", "reading from MQTT")
        self.target = target
        self.connect_timeout = connect_timeout
        self.client: Any = None
        self.q: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    async def connect(self) -> None:
        m, t = self.mqtt, self.target
        loop = asyncio.get_running_loop()
        q: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.q = q

        def put(item: tuple[str, Any]) -> None:
            try:
                loop.call_soon_threadsafe(q.put_nowait, item)
            except RuntimeError:  # loop closed
                pass

        c = m.Client(m.CallbackAPIVersion.VERSION2)
        if t.username:
            c.username_pw_set(t.username, t.password)

        def on_connect(client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
            if getattr(reason, "is_failure", False):
                put(("refused", str(reason)))
                return
            client.subscribe(t.topic, qos=int(t.options.get("qos", 0)))

        def on_subscribe(client: Any, userdata: Any, mid: Any, codes: Any, props: Any) -> None:
            # "up" only once the broker has the subscription: nothing published after is missed
            bad = [c for c in codes if getattr(c, "is_failure", False)]
            put(("refused", f"subscription to {t.topic!r} refused ({bad[0]})") if bad else ("up", None))

        def on_disconnect(client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
            put(("lost", f"broker connection lost ({reason})"))

        def on_message(client: Any, userdata: Any, msg: Any) -> None:
            put(("msg", msg.payload))

        c.on_connect, c.on_disconnect, c.on_message = on_connect, on_disconnect, on_message
        c.on_subscribe = on_subscribe
        await asyncio.wait_for(
            asyncio.to_thread(c.connect, t.host, t.port, int(t.options.get("keepalive", 30))),
            self.connect_timeout,
        )
        self.client = c
        c.loop_start()
        try:
            kind, info = await asyncio.wait_for(q.get(), self.connect_timeout)
        except asyncio.TimeoutError:
            await self.close()
            raise HostUnreachableError(f"no answer from the MQTT broker {t.host}:{t.port}") from None
        if kind != "up":
            await self.close()
            raise ConnectError(f"MQTT broker {t.host}:{t.port} refused the connection: {info}")

    def apply(self, s: SerialSettings) -> None:  # pragma: no cover - serial only
        pass

    async def read(self) -> bytes:
        try:
            kind, info = await asyncio.wait_for(self.q.get(), _POLL)
        except asyncio.TimeoutError:
            return b""
        if kind == "msg":
            return hex_payload(bytes(info))
        raise Lost(str(info))

    async def close(self) -> None:
        c, self.client = self.client, None
        if c is not None:
            try:
                c.disconnect()
            finally:
                await asyncio.to_thread(c.loop_stop)


class _AFile:
    def __init__(self, target: Target) -> None:
        from ._sync import _File

        self.f = _File(target)

    async def connect(self) -> None:
        with builtins.open(self.f.target.path, "rb") as fh:
            data = fh.read()
        self.f.pieces, _ = load_capture(data)
        self.f.i = self.f.pos = 0
        self.f.next_at = time.monotonic()

    def apply(self, s: SerialSettings) -> None:  # pragma: no cover - serial only
        pass

    async def read(self) -> bytes:
        wait = self.f.next_at - time.monotonic()
        if wait > 0:
            await asyncio.sleep(min(wait, _POLL))
            if wait > _POLL:
                return b""
        self.f.next_at = min(self.f.next_at, time.monotonic())
        return self.f.read()  # no sleep left: next_at has passed

    async def close(self) -> None:
        pass


class AsyncReader(ReaderBase):
    """Async iterator of events from one URL (see :func:`connect`); also an
    async context manager.  Same options and semantics as
    :class:`amsparse.io.Reader`."""

    def _transport(self, connect_timeout: float) -> Any:
        t = self.target
        if t.kind in ("serial", "tcp"):
            return _AStream(t, self.session.settings, connect_timeout)
        if t.kind == "mqtt":
            return _AMqtt(t, connect_timeout)
        return _AFile(t)

    async def __aenter__(self) -> "AsyncReader":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncIterator[Any]:
        if self._gen is None:
            self._gen = self._run()
        gen: AsyncIterator[Any] = self._gen
        return gen

    async def __anext__(self) -> Any:
        return await self.__aiter__().__anext__()

    async def aclose(self) -> None:
        self._closed = True
        await self.transport.close()
        if self._gen is not None:
            await self._gen.aclose()

    async def _connect(self, first: bool) -> AsyncIterator[Any]:
        s = self.session
        failures = 0
        while not self._closed:
            try:
                await self.transport.connect()
            except Exception as e:  # noqa: BLE001 - classified below
                if isinstance(e, asyncio.TimeoutError):
                    e = TimeoutError("timed out")
                err = classify(self.target, e)
                failures += 1
                if (first and not self.retry_initial) or not self.reconnect or (
                    self.max_retries is not None and failures > self.max_retries
                ):
                    raise err from None
                delay = s.next_delay()
                for ev in s.failed(str(err), delay):
                    yield ev
                await asyncio.sleep(delay)
                continue
            for ev in s.connected(time.monotonic()):
                yield ev
            return

    async def _run(self) -> AsyncIterator[Any]:
        s = self.session
        async for e in self._connect(first=True):
            yield e
        last = time.monotonic()
        while not self._closed:
            try:
                evs, last = self._step(await self.transport.read(), last)
                for e in evs:
                    yield e
            except EndOfInput:
                await self.transport.close()
                for e in s.finish():
                    yield e
                return
            except Lost as exc:
                await self.transport.close()
                if self._closed:
                    return
                if not self.reconnect:
                    for e in s.lost(str(exc), None):
                        yield e
                    return
                delay = s.next_delay()
                for e in s.lost(str(exc), delay):
                    yield e
                await asyncio.sleep(delay)
                async for e in self._connect(first=False):
                    yield e
                last = time.monotonic()


def connect(url: str, **options: Any) -> AsyncReader:
    """The asyncio twin of :func:`amsparse.io.open`::

        async with amsparse.io.connect("tcp://192.168.1.50:3001") as meter:
            async for ev in meter:
                print(ev.frame.as_dict())
    """
    return AsyncReader(url, **options)
