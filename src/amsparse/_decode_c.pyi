"""Type stub for the compiled core; it mirrors :mod:`amsparse._decode_py`."""

from typing import Final, Literal

from ._model import Frame
from ._profiles import CompiledProfile, ProfileSet

__all__ = ["decode_apdu", "decode_frame", "fcs16", "parse_hdlc"]

BACKEND: Final[Literal["cython"]]
MAX_DEPTH: Final[int]

def fcs16(data: bytes | bytearray | memoryview, start: int = 0, end: int | None = None) -> int: ...
def parse_hdlc(data: bytes | bytearray | memoryview) -> tuple[int, int, int, bool, int, int]: ...
def decode_frame(
    data: bytes | bytearray | memoryview,
    profiles: ProfileSet | None = None,
    *,
    profile: str | CompiledProfile | None = None,
    tz: str | None = None,
) -> Frame: ...
def decode_apdu(
    data: bytes | bytearray | memoryview,
    profiles: ProfileSet | None = None,
    *,
    profile: str | CompiledProfile | None = None,
    tz: str | None = None,
    source: int = -1,
) -> Frame: ...

# columnar entry point used by amsparse._batch (fills an amsparse._batch.FrameTable)
def decode_into(
    table: object,
    buf: bytes,
    items: list[tuple[int, int, int, int]],
    profiles: ProfileSet | None,
    profile: str | CompiledProfile | None,
    tz: str | None,
    reject_hdlc: object,
) -> object: ...
