"""Blocking readers: :func:`amsparse.io.open`."""

from __future__ import annotations

import builtins
import queue
import socket
import time
from typing import Any, Iterator

from ._capture import hex_payload, load_capture
from ._core import (
    ConnectError,
    EndOfInput,
    HostUnreachableError,
    Lost,
    ReaderBase,
    classify,
    is_einval,
    is_pty,
    need,
)
from ._url import SerialSettings, Target

__all__ = ["Reader", "open"]

_POLL = 0.2  # seconds a blocking read waits before the loop looks around


# --------------------------------------------------------------------------- transports

class _Serial:
    def __init__(self, target: Target, settings: SerialSettings | None) -> None:
        self.serial = need("serial", "serial", "reading a serial port")
        self.target = target
        self.port: Any = None
        self.settings = settings

    def connect(self) -> None:
        s = self.settings or SerialSettings()
        try:
            self.port = self._open(s)
        except Exception as e:
            if not (s.parity != "N" and is_einval(e) and is_pty(self.target.path)):
                raise
            # a pseudo-terminal has no parity bit (Linux: EINVAL when only parity would change)
            self.port = self._open(SerialSettings(s.baudrate, s.bytesize, "N", s.stopbits))

    def _open(self, s: SerialSettings) -> Any:
        port = self.serial.Serial(
            None, s.baudrate, bytesize=s.bytesize, parity=s.parity, stopbits=s.stopbits, timeout=_POLL,
        )
        port.port = self.target.path
        # pyserial empties the input queue when it opens a port; keep what the meter already
        # sent (the stream decoder skips any noise in it)
        port._reset_input_buffer = lambda: None
        port.open()
        if is_pty(self.target.path):
            _pty_line(port)
        return port

    def apply(self, s: SerialSettings) -> None:
        self.settings = s
        p = self.port
        if p is not None:
            set_line(p, s, self.target.path)

    def read(self) -> bytes:
        p = self.port
        if p is None:
            raise Lost("closed")
        try:
            n = p.in_waiting
            return p.read(max(1, min(n, 4096))) or b""
        except (OSError, TypeError, AttributeError, self.serial.SerialException) as e:
            raise Lost(str(e) or "device gone") from None

    def close(self) -> None:
        if self.port is not None:
            try:
                self.port.close()
            except Exception:  # pragma: no cover - closing a vanished device
                pass
            self.port = None


class _Tcp:
    def __init__(self, target: Target, connect_timeout: float) -> None:
        self.target = target
        self.sock: socket.socket | None = None
        self.connect_timeout = connect_timeout

    def connect(self) -> None:
        s = socket.create_connection((self.target.host, self.target.port), timeout=self.connect_timeout)
        s.settimeout(_POLL)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        self.sock = s

    def read(self) -> bytes:
        sock = self.sock
        if sock is None:
            raise Lost("closed")
        try:
            data = sock.recv(4096)
        except (TimeoutError, BlockingIOError):
            return b""
        except OSError as e:
            raise Lost(e.strerror or str(e)) from None
        if not data:
            raise Lost("connection closed by the peer")
        return data

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


class _Mqtt:
    def __init__(self, target: Target, connect_timeout: float) -> None:
        self.mqtt = need("paho.mqtt.client", "mqtt", "reading from MQTT")
        self.target = target
        self.client: Any = None
        self.q: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.connect_timeout = connect_timeout

    def connect(self) -> None:
        m, t, q = self.mqtt, self.target, queue.Queue()  # type: ignore[var-annotated]
        self.q = q
        c = m.Client(m.CallbackAPIVersion.VERSION2)
        if t.username:
            c.username_pw_set(t.username, t.password)

        def on_connect(client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
            if getattr(reason, "is_failure", False):
                q.put(("refused", str(reason)))
                return
            client.subscribe(t.topic, qos=int(t.options.get("qos", 0)))

        def on_subscribe(client: Any, userdata: Any, mid: Any, codes: Any, props: Any) -> None:
            # "up" only once the broker has the subscription: nothing published after is missed
            bad = [c for c in codes if getattr(c, "is_failure", False)]
            q.put(("refused", f"subscription to {t.topic!r} refused ({bad[0]})") if bad else ("up", None))

        def on_disconnect(client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
            q.put(("lost", f"broker connection lost ({reason})"))

        def on_message(client: Any, userdata: Any, msg: Any) -> None:
            q.put(("msg", msg.payload))

        c.on_connect, c.on_disconnect, c.on_message = on_connect, on_disconnect, on_message
        c.on_subscribe = on_subscribe
        c.connect(t.host, t.port, keepalive=int(t.options.get("keepalive", 30)))
        self.client = c
        c.loop_start()
        try:
            kind, info = q.get(timeout=self.connect_timeout)
        except queue.Empty:
            self.close()
            raise HostUnreachableError(f"no answer from the MQTT broker {t.host}:{t.port}") from None
        if kind != "up":
            self.close()
            raise ConnectError(f"MQTT broker {t.host}:{t.port} refused the connection: {info}")

    def read(self) -> bytes:
        try:
            kind, info = self.q.get(timeout=_POLL)
        except queue.Empty:
            return b""
        if kind == "msg":
            return hex_payload(bytes(info))
        raise Lost(str(info))

    def close(self) -> None:
        c, self.client = self.client, None
        if c is not None:
            try:
                c.disconnect()
            finally:
                c.loop_stop()


class _File:
    def __init__(self, target: Target) -> None:
        self.target = target
        opts = target.options
        self.interval = float(opts.get("interval", 0) or 0)
        rate = float(opts.get("baudrate", 0) or 0)
        self.byte_time = 10.0 / rate if rate > 0 else 0.0
        self.loop = opts.get("loop", "") in ("1", "true", "yes")
        self.pieces: list[bytes] = []
        self.i = 0
        self.pos = 0
        self.next_at = 0.0

    def connect(self) -> None:
        with builtins.open(self.target.path, "rb") as fh:
            data = fh.read()
        self.pieces, _ = load_capture(data)
        self.i = self.pos = 0
        self.next_at = time.monotonic()

    def _chunk(self) -> int:
        return 4096 if not self.byte_time else max(1, int(_POLL / self.byte_time))

    def read(self) -> bytes:
        if self.i >= len(self.pieces):
            if not self.loop or not self.pieces:
                raise EndOfInput
            self.i = self.pos = 0
        wait = self.next_at - time.monotonic()
        if wait > 0:
            time.sleep(min(wait, _POLL))
            if wait > _POLL:
                return b""
        piece = self.pieces[self.i]
        out = piece[self.pos : self.pos + self._chunk()]
        self.pos += len(out)
        self.next_at = time.monotonic() + len(out) * self.byte_time
        if self.pos >= len(piece):
            self.i += 1
            self.pos = 0
            self.next_at += self.interval
        return out

    def close(self) -> None:
        pass


def _pty_line(port: Any) -> None:
    """A pty is always 8 bits without parity (Linux ignores the rest).  Make the
    pyserial object say so, or its next reconfiguration would ask for a change
    that only touches parity or size, which Linux refuses with EINVAL."""
    port._parity, port._bytesize = "N", 8


def set_line(port: Any, s: SerialSettings, path: str) -> None:
    """Change the settings of an open pyserial port (auto-detection)."""
    try:
        port.baudrate, port.bytesize, port.stopbits = s.baudrate, s.bytesize, s.stopbits
        port.parity = s.parity
    except Exception as e:
        if not (is_einval(e) and is_pty(path)):
            raise Lost(f"cannot set {s}: {e}") from None
    if is_pty(path):
        _pty_line(port)
    try:
        port.reset_input_buffer()
    except Exception as e:  # noqa: BLE001 - the device went away
        raise Lost(str(e)) from None


def make_transport(target: Target, settings: SerialSettings | None, connect_timeout: float) -> Any:
    if target.kind == "serial":
        return _Serial(target, settings)
    if target.kind == "tcp":
        return _Tcp(target, connect_timeout)
    if target.kind == "mqtt":
        return _Mqtt(target, connect_timeout)
    return _File(target)


# --------------------------------------------------------------------------- reader

class Reader(ReaderBase):
    """Iterator of events from one URL (see :func:`open`); also a context manager."""

    def _transport(self, connect_timeout: float) -> Any:
        return make_transport(self.target, self.session.settings, connect_timeout)

    def __enter__(self) -> "Reader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __iter__(self) -> Iterator[Any]:
        if self._gen is None:
            self._gen = self._run()
        gen: Iterator[Any] = self._gen
        return gen

    def __next__(self) -> Any:
        return next(iter(self))

    def close(self) -> None:
        """Stop reading (may be called from another thread to end an iteration)."""
        self._closed = True
        self._stop.set()
        try:
            self.transport.close()
        except Exception:  # noqa: BLE001 - closing a broken transport
            pass
        if self._gen is not None:
            try:
                self._gen.close()
            except ValueError:  # running in another thread: it sees _closed and stops
                pass

    # -- loop -----------------------------------------------------------------------
    def _connect(self, first: bool) -> Iterator[Any]:
        s = self.session
        failures = 0
        while not self._closed:
            try:
                self.transport.connect()
            except Exception as e:  # noqa: BLE001 - classified below
                err = classify(self.target, e)
                failures += 1
                if (first and not self.retry_initial) or not self.reconnect or (
                    self.max_retries is not None and failures > self.max_retries
                ):
                    raise err from None
                delay = s.next_delay()
                yield from s.failed(str(err), delay)
                self._stop.wait(delay)
                continue
            yield from s.connected(time.monotonic())
            return

    def _run(self) -> Iterator[Any]:
        s = self.session
        yield from self._connect(first=True)
        last = time.monotonic()
        while not self._closed:
            try:
                evs, last = self._step(self.transport.read(), last)
                yield from evs
            except EndOfInput:
                self.transport.close()
                yield from s.finish()
                return
            except Lost as e:
                self.transport.close()
                if self._closed:
                    return
                if not self.reconnect:
                    yield from s.lost(str(e), None)
                    return
                delay = s.next_delay()
                yield from s.lost(str(e), delay)
                self._stop.wait(delay)
                yield from self._connect(first=False)
                last = time.monotonic()


def open(url: str, **options: Any) -> Reader:  # noqa: A001 - amsparse.io.open, like io.open
    """Open a meter source and iterate over its events.

    ``url`` follows the grammar in ``docs/io.md`` (serial device, ``serial://``,
    ``tcp://``, ``mqtt://``, ``file:`` or a path).  By default only
    :class:`~amsparse.FrameDecoded` events are yielded; ``events="connection"``
    adds the connection events, ``events="all"`` every event.

    ``profiles``, ``profile``, ``tz`` (and ``keys`` once the decoder supports
    it) go to the :class:`~amsparse.StreamDecoder`.  ``reconnect`` (default on)
    re-opens a dropped source with exponential backoff (``backoff`` doubling up
    to ``max_backoff`` seconds; ``max_retries`` bounds consecutive failures);
    the first connection failing raises :class:`ConnectError` unless
    ``retry_initial=True``.  Other keywords are URL options (``baudrate``,
    ``parity``, ``preset``, ``interval``...).
    """
    return Reader(url, **options)
