"""Live meters: read a serial port, a TCP bridge, an MQTT topic or a capture
file, with reconnects, on top of the sans-IO :class:`~amsparse.StreamDecoder`.

::

    import amsparse.io

    with amsparse.io.open("/dev/ttyUSB0", tz="Europe/Oslo") as meter:
        for ev in meter:                       # FrameDecoded events
            print(ev.frame.value("active_power_import"), "W")

    async with amsparse.io.connect("tcp://192.168.1.50:3001") as meter:
        async for ev in meter:
            ...

URL grammar, serial presets and reconnect semantics: ``docs/io.md``.  The
transports' libraries (pyserial, pyserial-asyncio-fast, paho-mqtt) are
optional extras, imported only when a reader for them is opened; ``import
amsparse`` imports none of this package.
"""

from __future__ import annotations

from ._async import AsyncReader, connect
from ._core import (
    CONNECTION_EVENTS,
    Connected,
    ConnectError,
    ConnectFailed,
    DeviceNotFoundError,
    Disconnected,
    HostUnreachableError,
    MissingExtraError,
    PermissionDeniedError,
    SettingsDetected,
)
from ._sync import Reader, open
from ._url import AUTO_ORDER, PRESETS, SerialSettings, Target, UnknownSchemeError, parse_url

__all__ = [
    "AUTO_ORDER",
    "AsyncReader",
    "CONNECTION_EVENTS",
    "ConnectError",
    "ConnectFailed",
    "Connected",
    "DeviceNotFoundError",
    "Disconnected",
    "HostUnreachableError",
    "MissingExtraError",
    "PRESETS",
    "PermissionDeniedError",
    "Reader",
    "SerialSettings",
    "SettingsDetected",
    "Target",
    "UnknownSchemeError",
    "connect",
    "open",
    "parse_url",
]
