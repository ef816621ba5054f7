"""The URL grammar of :mod:`amsparse.io` and the serial presets.

::

    /dev/ttyUSB0   COM3                        serial port, settings auto-detected
    serial:///dev/ttyUSB0?baudrate=2400&parity=E   serial port, fixed settings
    serial:///dev/ttyUSB0?preset=kamstrup      serial port, a named preset
    tcp://host:port                            raw bytes from a TCP bridge (ser2net, ESP)
    mqtt://[user:pass@]host[:port]/topic       one frame per message, raw or hex text
    file:capture.bin   capture.hex   ./x.bin   a capture file (raw bytes or hex lines)

A plain path is a serial port when it starts with /dev/ or names a character
device (a udev symlink such as /dev/serial/by-id/... or any link to a tty).

No I/O and no optional import happens here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .._errors import AmsparseError

__all__ = ["PRESETS", "AUTO_ORDER", "SerialSettings", "Target", "UnknownSchemeError", "parse_url"]


class UnknownSchemeError(AmsparseError, ValueError):
    """The URL has a scheme :mod:`amsparse.io` does not know, or is malformed."""


@dataclass(frozen=True, slots=True)
class SerialSettings:
    """Line settings of a serial port (``str()`` gives e.g. ``"2400 8E1"``)."""

    baudrate: int = 2400
    bytesize: int = 8
    parity: str = "E"  # N, E, O
    stopbits: int = 1
    name: str | None = None

    def __str__(self) -> str:
        s = f"{self.baudrate} {self.bytesize}{self.parity}{self.stopbits}"
        return f"{s} ({self.name})" if self.name else s


#: serial presets per meter family (see docs/io.md for the sources)
PRESETS: dict[str, SerialSettings] = {
    "mbus-8e1": SerialSettings(2400, 8, "E", 1, "mbus-8e1"),        # Aidon, Kaifa, Landis+Gyr
    "kamstrup": SerialSettings(2400, 8, "N", 1, "kamstrup"),        # Kamstrup, 2400 8N1
    "p1-115200": SerialSettings(115200, 8, "N", 1, "p1-115200"),    # P1 (DSMR 4/5 style)
    "p1-9600": SerialSettings(9600, 7, "E", 1, "p1-9600"),          # P1 (DSMR 2.2/3 style)
}
_ALIASES = {"aidon": "mbus-8e1", "kaifa": "mbus-8e1", "landis-gyr": "mbus-8e1", "lg": "mbus-8e1",
            "mbus": "mbus-8e1", "p1": "p1-115200"}
#: the order auto-detection tries them in
AUTO_ORDER = ("mbus-8e1", "kamstrup", "p1-115200", "p1-9600")


def preset(name: str) -> SerialSettings:
    key = _ALIASES.get(name.lower(), name.lower())
    try:
        return PRESETS[key]
    except KeyError:
        raise UnknownSchemeError(
            f"unknown serial preset {name!r} (have: {', '.join(list(PRESETS) + list(_ALIASES))}, auto)"
        ) from None


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed URL: ``kind`` is serial, tcp, mqtt or file."""

    kind: str
    url: str
    path: str = ""            # serial device or file path
    host: str = ""
    port: int = 0
    topic: str = ""
    username: str | None = None
    password: str | None = None
    settings: SerialSettings | None = None  # serial: None = auto-detect
    options: dict[str, str] = field(default_factory=dict)

    def display(self) -> str:
        """The URL without a password."""
        if self.kind == "mqtt":
            user = f"{self.username}@" if self.username else ""
            return f"mqtt://{user}{self.host}:{self.port}/{self.topic}"
        return self.url


_WINDOWS_COM = re.compile(r"^COM\d+$", re.IGNORECASE)
_SERIAL_KEYS = {"baudrate", "bytesize", "parity", "stopbits", "preset"}


def _serial_settings(opts: dict[str, str], url: str) -> SerialSettings | None:
    name = opts.pop("preset", None)
    if name is not None and name.lower() == "auto":
        name = None
    base = preset(name) if name else None
    given = {k: opts.pop(k) for k in ("baudrate", "bytesize", "parity", "stopbits") if k in opts}
    if base is None and not given:
        return None
    b = base or SerialSettings(name=None)
    try:
        baud = int(given.get("baudrate", b.baudrate))
        size = int(given.get("bytesize", b.bytesize))
        stop = int(given.get("stopbits", b.stopbits))
    except ValueError:
        raise UnknownSchemeError(f"{url}: baudrate, bytesize and stopbits must be integers") from None
    par = given.get("parity", b.parity).upper()[:1]
    if par not in ("N", "E", "O") or size not in (5, 6, 7, 8) or stop not in (1, 2) or baud <= 0:
        raise UnknownSchemeError(f"{url}: bad serial settings {baud} {size}{par}{stop}")
    return SerialSettings(baud, size, par, stop, b.name if not given else None)


def _is_char_device(path: str) -> bool:
    import os
    import stat

    try:
        return stat.S_ISCHR(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def parse_url(url: str, **overrides: Any) -> Target:
    """Parse one URL of the grammar above (raises :class:`UnknownSchemeError`)."""
    if not isinstance(url, str) or not url:
        raise UnknownSchemeError("empty URL")
    if _WINDOWS_COM.match(url) or url.startswith("/dev/"):
        return Target("serial", url, path=url, settings=_serial_settings(dict(overrides), url))
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", url)
    scheme = m.group(1).lower() if m else ""
    if len(scheme) == 1:  # a Windows drive letter: C:\captures\x.bin
        scheme = ""
    if not scheme:
        if _is_char_device(url):  # /dev/serial/by-id/..., a symlink to a tty
            return Target("serial", url, path=url, settings=_serial_settings(dict(overrides), url))
        return Target("file", url, path=url, options={k: str(v) for k, v in overrides.items()})
    parts = urlsplit(url)
    opts = dict(parse_qsl(parts.query, keep_blank_values=True))
    opts.update({k: str(v) for k, v in overrides.items()})
    if scheme == "serial":
        path = unquote(parts.netloc + parts.path) if parts.netloc else unquote(parts.path)
        if not path:
            raise UnknownSchemeError(f"{url}: no serial device (serial:///dev/ttyUSB0)")
        settings = _serial_settings(opts, url)
        return Target("serial", url, path=path, settings=settings, options=opts)
    if scheme == "file":
        path = unquote(parts.path) if parts.netloc in ("", "localhost") else unquote(parts.netloc + parts.path)
        if url.startswith("file:") and not url.startswith("file://"):
            path = unquote(url[5:].split("?", 1)[0])
        if not path:
            raise UnknownSchemeError(f"{url}: no file path")
        return Target("file", url, path=path, options=opts)
    if scheme in ("tcp", "mqtt"):
        try:
            host, port = parts.hostname, parts.port
        except ValueError:
            raise UnknownSchemeError(f"{url}: bad port") from None
        if not host:
            raise UnknownSchemeError(f"{url}: no host")
        if scheme == "tcp":
            if port is None:
                raise UnknownSchemeError(f"{url}: no port (tcp://HOST:PORT)")
            return Target("tcp", url, host=host, port=port, options=opts)
        topic = unquote(parts.path[1:]) if parts.path.startswith("/") else ""
        if not topic:
            raise UnknownSchemeError(f"{url}: no topic (mqtt://host[:port]/topic)")
        return Target(
            "mqtt", url, host=host, port=port or 1883, topic=topic,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None, options=opts,
        )
    raise UnknownSchemeError(
        f"unknown URL scheme {scheme!r} in {url!r} (use a serial device, serial://, tcp://, mqtt://, "
        "file: or a file path)"
    )
