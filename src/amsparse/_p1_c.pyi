from typing import Any

from ._model import Frame
from ._p1_profiles import P1Profile, P1ProfileSet

BACKEND: str

def crc16_arc(
    data: bytes | bytearray | memoryview, start: int = 0, end: int | None = None
) -> int: ...
def decode_telegram(
    data: bytes | bytearray | memoryview,
    profiles: P1ProfileSet | None = None,
    *,
    profile: str | P1Profile | None = None,
    tz: str | None = None,
    keys: Any = None,
    require_authentication: bool = False,
) -> Frame: ...
