"""Connection events, errors, and the I/O-free session logic shared by the
blocking reader (:mod:`._sync`) and the asyncio one (:mod:`._async`).

The session owns one :class:`~amsparse.StreamDecoder` for the whole life of a
reader (its counters add up across reconnects).  When a connection drops, the
decoder is flushed: whole frames it held are still delivered, a frame cut by
the drop is rejected (``IncompleteFrameError``) or discarded, and counted in
``frames_cut``; bytes of the next connection never join the pieces of the last.
"""

from __future__ import annotations

import datetime as _dt
import errno
import threading
import time
from dataclasses import dataclass
from typing import Any, Iterable

from .._errors import AmsparseError, ChecksumError, FrameError, IncompleteFrameError, SegmentedFrameError
from .._stream import FrameDecoded, FrameRejected, StreamDecoder
from ._url import AUTO_ORDER, PRESETS, SerialSettings, Target

__all__ = [
    "ConnectError", "ConnectFailed", "Connected", "DeviceNotFoundError", "Disconnected",
    "HostUnreachableError", "MissingExtraError", "PermissionDeniedError", "SettingsDetected",
]


# --------------------------------------------------------------------------- events

@dataclass(frozen=True, slots=True)
class Connected:
    """A connection is up (``attempt`` 1 is the first; ``settings`` is the
    serial line setting in use, e.g. ``"2400 8E1"``, else ``None``)."""

    url: str
    attempt: int
    settings: str | None = None


@dataclass(frozen=True, slots=True)
class Disconnected:
    """A connection that was up went away.  ``frames_cut`` frames were cut by
    the drop (discarded, never delivered in part); ``retry_in`` is the delay
    before the next attempt, ``None`` when the reader stops."""

    url: str
    reason: str
    frames_cut: int
    retry_in: float | None


@dataclass(frozen=True, slots=True)
class ConnectFailed:
    """A (re)connection attempt failed; the next one is in ``retry_in`` seconds."""

    url: str
    reason: str
    retry_in: float | None


@dataclass(frozen=True, slots=True)
class SettingsDetected:
    """Serial auto-detection found the line settings: frames passed their
    checks at ``settings``; the reader stays on them (across reconnects too)."""

    url: str
    settings: str


CONNECTION_EVENTS = (Connected, Disconnected, ConnectFailed, SettingsDetected)


# --------------------------------------------------------------------------- errors

class ConnectError(AmsparseError, OSError):
    """The source could not be opened (first attempt, or retries exhausted)."""


class DeviceNotFoundError(ConnectError):
    """No such serial device or capture file."""


class PermissionDeniedError(ConnectError):
    """The serial device or file exists but may not be opened."""


class HostUnreachableError(ConnectError):
    """A TCP bridge or MQTT broker could not be reached (refused, unknown host, timeout)."""


class MissingExtraError(AmsparseError, ImportError):
    """An optional dependency is not installed; the message names the extra."""


def need(module: str, extra: str, what: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(
            f"{what} needs the {module!r} package: pip install \"amsparse[{extra}]\""
        ) from None


def is_pty(path: str) -> bool:
    """A Unix pseudo-terminal (they carry bytes unchanged and have no parity)."""
    import os

    try:
        real = os.path.realpath(path)
        return real.startswith("/dev/pts/") or real == "/dev/ptmx" or os.major(os.stat(real).st_rdev) in range(136, 144)
    except (OSError, ValueError, AttributeError):
        return False


def is_einval(exc: BaseException) -> bool:
    """Linux refuses (EINVAL) a termios change that only sets parity on a pty."""
    if getattr(exc, "errno", None) == errno.EINVAL:
        return True
    args: tuple[Any, ...] = getattr(exc, "args", ())
    return bool(args) and (args[0] == errno.EINVAL or "Invalid argument" in str(exc))


class Lost(Exception):
    """Internal: the connection dropped (message = reason)."""


class EndOfInput(Exception):
    """Internal: a capture file ended."""


def classify(target: Target, exc: BaseException) -> ConnectError:
    """Map an OS/pyserial/paho error from opening ``target`` to a ConnectError."""
    if isinstance(exc, ConnectError):
        return exc
    no = getattr(exc, "errno", None)
    text = str(exc) or type(exc).__name__
    where = target.path if target.kind in ("serial", "file") else f"{target.host}:{target.port}"
    if isinstance(exc, FileNotFoundError) or no == errno.ENOENT or (
        target.kind == "serial" and ("No such file" in text or "could not find port" in text.lower())
    ):
        what = "serial device" if target.kind == "serial" else "file"
        return DeviceNotFoundError(f"no such {what}: {where}")
    if isinstance(exc, PermissionError) or no in (errno.EACCES, errno.EPERM) or "Permission denied" in text:
        if target.kind == "serial":
            return PermissionDeniedError(
                f"permission denied on {where}: add your user to the 'dialout' group "
                "(sudo usermod -aG dialout $USER, then log in again)"
            )
        return PermissionDeniedError(f"permission denied: {where}")
    if target.kind in ("tcp", "mqtt"):
        reason = getattr(exc, "strerror", None) or text
        return HostUnreachableError(f"cannot connect to {where}: {reason}")
    return ConnectError(f"cannot open {where}: {text}")


# --------------------------------------------------------------------------- session

def _passed_checks(ev: Any) -> bool:
    """A frame whose HDLC header and body checksums were right."""
    if type(ev) is FrameDecoded:
        return True
    if type(ev) is FrameRejected:
        return not isinstance(ev.error, (ChecksumError, FrameError, IncompleteFrameError))
    return False


class Session:
    """I/O-free state of one reader: decoder, auto-detection, backoff."""

    def __init__(
        self,
        target: Target,
        decoder_kw: dict[str, Any],
        *,
        events: Any = "frames",
        backoff: float = 0.5,
        max_backoff: float = 10.0,
        detect_timeout: float = 25.0,
    ) -> None:
        self.target = target
        self.url = target.display()
        self.decoder = StreamDecoder(**decoder_kw)
        self._decoder_kw = decoder_kw
        self.want = _event_filter(events)
        self.backoff0 = backoff
        self.max_backoff = max_backoff
        self.delay = backoff
        self.attempt = 0
        self.frames_cut = 0
        self.reconnects = 0
        self.detect_timeout = detect_timeout
        # serial auto-detection
        self.settings: SerialSettings | None = target.settings
        self.detecting = target.kind == "serial" and target.settings is None
        self._trial = 0
        self._trial_deadline = 0.0
        self._trial_events: list[Any] = []
        self._trial_decoder: StreamDecoder | None = None
        if self.detecting:
            self.settings = PRESETS[AUTO_ORDER[0]]

    # -- filtering ----------------------------------------------------------------
    def out(self, evs: Iterable[Any]) -> list[Any]:
        want = self.want
        return [e for e in evs if want is None or type(e) in want]

    # -- connection life ------------------------------------------------------------
    def connected(self, now: float) -> list[Any]:
        self.attempt += 1
        if self.attempt > 1:
            self.reconnects += 1
        if self.detecting:
            self._start_trial(now)
        settings = str(self.settings) if self.target.kind == "serial" and self.settings else None
        return self.out([Connected(self.url, self.attempt, settings)])

    def got_data(self) -> None:
        self.delay = self.backoff0

    def next_delay(self) -> float:
        d = self.delay
        self.delay = min(self.max_backoff, self.delay * 2)
        return d

    def lost(self, reason: str, retry_in: float | None) -> list[Any]:
        dec = self._trial_decoder if self.detecting else self.decoder
        evs: list[Any] = []
        cut = 0
        if dec is not None:
            held = dec.buffered > 1 or dec.reassembling > 0
            flushed = self.stamp(dec.flush())
            incomplete = sum(
                1 for e in flushed
                if type(e) is FrameRejected and isinstance(e.error, (IncompleteFrameError, SegmentedFrameError))
            )
            cut = max(incomplete, 1 if held else 0)
            if not self.detecting:
                evs.extend(flushed)
        self.frames_cut += cut
        evs.append(Disconnected(self.url, reason, cut, retry_in))
        return self.out(evs)

    def failed(self, reason: str, retry_in: float | None) -> list[Any]:
        return self.out([ConnectFailed(self.url, reason, retry_in)])

    def finish(self) -> list[Any]:
        """End of a capture file."""
        return self.out(self.decoder.flush())

    # -- bytes ----------------------------------------------------------------------
    def stamp(self, evs: list[Any]) -> list[Any]:
        """Set ``Frame.received`` (now, UTC) on the decoded frames of a live
        transport; frames read from a capture file keep ``None``."""
        if self.target.kind != "file":
            now = None
            for e in evs:
                if type(e) is FrameDecoded and e.frame.received is None:
                    if now is None:
                        now = _dt.datetime.now(_dt.timezone.utc)
                    # the frame was built a moment ago and nobody else holds it yet
                    object.__setattr__(e.frame, "received", now)
        return evs

    def feed(self, data: bytes, now: float) -> tuple[list[Any], SerialSettings | None]:
        """Events for ``data``; second item: new serial settings to apply (auto-detection)."""
        if not self.detecting:
            return self.out(self.stamp(self.decoder.feed(data))), None
        assert self._trial_decoder is not None
        evs = self.stamp(self._trial_decoder.feed(data))
        self._trial_events.extend(evs)
        if any(_passed_checks(e) for e in evs):
            return self._detected(), None
        return [], self.tick(now)

    def tick(self, now: float) -> SerialSettings | None:
        """Auto-detection: move to the next preset when this one timed out."""
        if self.detecting and now >= self._trial_deadline:
            self._trial = (self._trial + 1) % len(AUTO_ORDER)
            self.settings = PRESETS[AUTO_ORDER[self._trial]]
            self._start_trial(now)
            return self.settings
        return None

    def _start_trial(self, now: float) -> None:
        self._trial_deadline = now + self.detect_timeout
        self._trial_events = []
        self._trial_decoder = StreamDecoder(**self._decoder_kw)

    def _detected(self) -> list[Any]:
        """The trial decoder (fed only bytes read at the right settings) becomes the reader's."""
        self.detecting = False
        assert self._trial_decoder is not None
        self.decoder = self._trial_decoder
        trial, self._trial_events, self._trial_decoder = self._trial_events, [], None
        return self.out([SettingsDetected(self.url, str(self.settings)), *trial])


def _event_filter(events: Any) -> frozenset[type] | None:
    if events == "frames" or events is None:
        return frozenset({FrameDecoded})
    if events == "all":
        return None
    if events == "connection":
        return frozenset({FrameDecoded, *CONNECTION_EVENTS})
    if isinstance(events, type):
        return frozenset({events})
    try:
        kinds = frozenset(events)
    except TypeError:
        kinds = frozenset()
    if not kinds or not all(isinstance(k, type) for k in kinds):
        raise ValueError('events= must be "frames", "connection", "all" or a set of event classes')
    return kinds


def decoder_kwargs(
    profiles: Any = None, profile: Any = None, tz: str | None = None, keys: Any = None,
    max_frame_size: int | None = None, require_authentication: bool = False, framing: str = "hdlc",
) -> dict[str, Any]:
    """Keyword arguments for :class:`StreamDecoder` (``keys``: one
    :class:`amsparse.Keys` or several, for ciphered pushes; docs/security.md)."""
    kw: dict[str, Any] = {"profiles": profiles, "profile": profile, "tz": tz}
    if max_frame_size is not None:
        kw["max_frame_size"] = max_frame_size
    if keys is not None:
        kw["keys"] = keys
    if require_authentication:
        kw["require_authentication"] = True
    if framing != "hdlc":
        kw["framing"] = framing
    # fail now on a bad profile id or bad keys (ValueError, TypeError), not at the first frame
    StreamDecoder(**kw)
    return kw


class ReaderBase:
    """What :class:`~amsparse.io.Reader` and :class:`~amsparse.io.AsyncReader`
    share: the parsed URL, the :class:`Session` (decoder, detection, counters)
    and the reconnect policy.  Subclasses add the transport (``_transport``)
    and their blocking or asyncio read loop."""

    def __init__(
        self,
        url: str,
        *,
        events: Any = "frames",
        profiles: Any = None,
        profile: Any = None,
        tz: str | None = None,
        keys: Any = None,
        require_authentication: bool = False,
        framing: str = "hdlc",
        reconnect: bool = True,
        retry_initial: bool = False,
        max_retries: int | None = None,
        backoff: float = 0.5,
        max_backoff: float = 10.0,
        idle_timeout: float | None = None,
        detect_timeout: float = 25.0,
        connect_timeout: float = 10.0,
        **url_options: Any,
    ) -> None:
        from ._url import parse_url

        self.target = parse_url(url, **url_options)
        self.session = Session(
            self.target, decoder_kwargs(profiles, profile, tz, keys, require_authentication=require_authentication,
                                        framing=framing), events=events,
            backoff=backoff, max_backoff=max_backoff, detect_timeout=detect_timeout,
        )
        self.reconnect = reconnect and self.target.kind != "file"
        self.retry_initial = retry_initial
        self.max_retries = max_retries
        if idle_timeout is None and self.target.kind == "tcp":
            idle_timeout = 120.0  # a half-open TCP connection never says it is gone
        self.idle_timeout = idle_timeout
        self.transport: Any = self._transport(connect_timeout)
        self._closed = False
        self._gen: Any = None  # the running read loop (a generator or async generator)
        #: set by close(): ends the loop and wakes a reconnect delay at once
        self._stop = threading.Event()

    def _transport(self, connect_timeout: float) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _step(self, data: bytes, last: float) -> tuple[list[Any], float]:
        """One read's worth of work, the same for both loops: feed what arrived
        (or tick the detection clock on silence), switch the serial settings
        when detection says so, and raise :class:`Lost` after ``idle_timeout``
        seconds without data.  -> (events, monotonic time of the last data)."""
        s = self.session
        now = time.monotonic()
        if data:
            s.got_data()
            evs, new = s.feed(data, now)
            last = now
        else:
            evs, new = [], s.tick(now)
            if self.idle_timeout is not None and now - last > self.idle_timeout:
                raise Lost(f"no data for {self.idle_timeout:g} s")
        if new is not None:
            self.transport.apply(new)
        return evs, last

    @property
    def decoder(self) -> Any:
        """The :class:`~amsparse.StreamDecoder` (its counters cover the reader's life)."""
        return self.session.decoder

    @property
    def frames_cut(self) -> int:
        """Frames cut by a dropped connection or an unplugged device (discarded)."""
        return self.session.frames_cut

    @property
    def reconnects(self) -> int:
        return self.session.reconnects
