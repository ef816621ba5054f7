"""Type stub for the compiled core; it mirrors :mod:`amsparse._decode_py`."""

from datetime import datetime, tzinfo
from typing import Any, Callable, Final, Literal

from ._batch import FrameTable
from ._errors import DecodeError
from ._model import CosemDateTime, Frame
from ._profiles import CompiledProfile, ProfileSet

__all__ = ["DecoderCore", "decode_apdu", "decode_frame", "default_core", "fcs16", "parse_hdlc"]

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
    keys: Any = None,
    require_authentication: bool = False,
    decoder: DecoderCore | None = None,
) -> Frame: ...
def decode_apdu(
    data: bytes | bytearray | memoryview,
    profiles: ProfileSet | None = None,
    *,
    profile: str | CompiledProfile | None = None,
    tz: str | None = None,
    source: int = -1,
    keys: Any = None,
    require_authentication: bool = False,
    decoder: DecoderCore | None = None,
) -> Frame: ...

# the decoding state one amsparse.Decoder owns (_cache_c.pxi)
class DecoderCore:
    @property
    def profiles(self) -> ProfileSet: ...
    @property
    def profile(self) -> CompiledProfile | None: ...
    @property
    def tz(self) -> str | None: ...
    @property
    def keys(self) -> Any: ...
    @property
    def require_authentication(self) -> bool: ...
    def __init__(
        self,
        profiles: ProfileSet | None = None,
        *,
        profile: str | CompiledProfile | None = None,
        tz: str | None = None,
        keys: Any = None,
        require_authentication: bool = False,
    ) -> None: ...
    def decode_frame(self, data: bytes | bytearray | memoryview) -> Frame: ...
    def decode_apdu(self, data: bytes | bytearray | memoryview, source: int = -1) -> Frame: ...
    def clear_caches(self) -> None: ...
    def cache_info(self) -> dict[str, int]: ...

def default_core(
    profiles: ProfileSet | None = None, profile: str | CompiledProfile | None = None, tz: str | None = None
) -> DecoderCore: ...

# columnar writer used by amsparse._batch (fills an empty amsparse._batch.FrameTable)
class TableWriter:
    def __init__(
        self,
        table: FrameTable,
        decoder: DecoderCore,
        max_columns: int = ...,
        keys: Any = None,
        require_authentication: bool = False,
    ) -> None: ...
    def add_scan(
        self,
        buf: bytes,
        start: int,
        end: int,
        max_frame_size: int,
        shared: bool,
        final: bool,
        reject_hdlc: Callable[[bytes, int], DecodeError],
    ) -> tuple[int, bool, int]: ...
    @property
    def row_count(self) -> int: ...
    def reserve(self, rows: int) -> None: ...
    def add_raw(self, data: bytes | bytearray | memoryview) -> None: ...
    def add_frame(self, f: Frame) -> None: ...
    def add_error(self, e: DecodeError) -> None: ...
    def finish(self) -> FrameTable: ...

# StreamDecoder's loop over a run of plain frames (see amsparse._stream)
def decode_run(
    buf: bytearray,
    items: list[tuple[int, int, int, int]],
    i: int,
    decoder: DecoderCore,
    event_cls: type,
    events: list[Any],
    reject: Callable[[list[Any], bytes, DecodeError], None],
    keys: Any = None,
    require_auth: bool = False,
) -> tuple[int, int, int]: ...

# decode_batch(threads=N): buf[start:] into the writer on `threads` threads (_threads_c.pxi)
def decode_parallel(
    w: TableWriter,
    buf: bytes,
    start: int,
    end: int,
    max_frame_size: int,
    shared: bool,
    final: bool,
    threads: int,
    reject_hdlc: Callable[[bytes, int], DecodeError],
    pool: Any,
) -> tuple[int, bool]: ...

# decode_parallel's account, summed until cleared: items, rows, serial_rows, rescanned, seconds per step
PARALLEL_STATS: dict[str, Any]

# offset of the first b"/" followed by three ASCII letters (a P1 telegram may start there), or -1
def p1_start(buf: bytes) -> int: ...

PARALLEL: bool

# test hook: (CosemDateTime, aware datetime or None, epoch us) of a 12-byte clock
def _check_clock(b: bytes, zone: tzinfo, policy: int) -> tuple[CosemDateTime, datetime | None, int]: ...
