"""The backend contract: what ``_decode_c`` (compiled) and ``_decode_py`` (the
twin) each provide in full, and what the scanners ``_scan_c``/``_scan_py``
provide.  ``amsparse._select`` picks one of each (the only place that
selects); the stream and batch layers call these members and nothing else of a
backend (tests/test_contract.py checks both backends against these Protocols,
and mypy checks the twin statically in ``_check``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Protocol

if TYPE_CHECKING:
    from . import _decode_py, _scan_py
    from ._errors import DecodeError
    from ._model import Frame
    from ._profiles import CompiledProfile, ProfileSet

__all__ = ["DecodeBackend", "DecoderCoreLike", "ScanBackend", "TableWriterLike"]


class DecoderCoreLike(Protocol):
    """A backend's ``DecoderCore`` (``amsparse.Decoder`` derives from it)."""

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
    def decode_frame(self, data: bytes | bytearray | memoryview) -> Frame: ...
    def decode_apdu(self, data: bytes | bytearray | memoryview, source: int = -1) -> Frame: ...
    def clear_caches(self) -> None: ...
    def cache_info(self) -> dict[str, int]: ...


class TableWriterLike(Protocol):
    """Fills one empty ``FrameTable`` (decode_batch, iter_batches)."""

    @property
    def row_count(self) -> int: ...
    @property
    def capacity(self) -> int: ...
    def reserve(self, rows: int) -> None: ...
    def add_frame(self, f: Frame) -> None: ...
    def add_error(self, e: DecodeError) -> None: ...
    def add_raw(self, data: bytes | bytearray | memoryview) -> None: ...
    def add_scan(self, buf: bytes, start: int, end: int, max_frame_size: int, shared: bool, final: bool,
                 reject_hdlc: Callable[[bytes, int], DecodeError]) -> tuple[int, bool, int]: ...
    def finish(self) -> Any: ...


class DecodeBackend(Protocol):
    """A decoding backend module: entry points, decoder core, table writer and
    the stream's run loop."""

    @property
    def BACKEND(self) -> str: ...  # noqa: N802 (a module constant)
    @property
    def MAX_DEPTH(self) -> int: ...  # noqa: N802
    @property
    def DecoderCore(self) -> Callable[..., DecoderCoreLike]: ...  # noqa: N802
    @property
    def TableWriter(self) -> Callable[..., TableWriterLike]: ...  # noqa: N802
    def fcs16(self, data: bytes | bytearray | memoryview, start: int = 0, end: int | None = None) -> int: ...
    def parse_hdlc(self, data: bytes) -> tuple[int, int, int, bool, int, int]: ...
    def decode_frame(self, data: bytes | bytearray | memoryview, profiles: ProfileSet | None = None, *,
                     profile: str | CompiledProfile | None = None, tz: str | None = None, keys: Any = None,
                     require_authentication: bool = False, decoder: Any = None) -> Frame: ...
    def decode_apdu(self, data: bytes | bytearray | memoryview, profiles: ProfileSet | None = None, *,
                    profile: str | CompiledProfile | None = None, tz: str | None = None, source: int = -1,
                    keys: Any = None, require_authentication: bool = False, decoder: Any = None) -> Frame: ...
    @property
    def PARALLEL(self) -> bool: ...  # noqa: N802 (decode_batch(threads=) runs decode_parallel)
    def p1_start(self, buf: bytes) -> int: ...
    def default_core(self, profiles: Any = None, profile: Any = None, tz: Any = None) -> Any: ...
    def decode_run(self, buf: bytearray, items: list[tuple[int, int, int, int]], i: int, dc: Any,
                   event_cls: Any, events: list[Any], reject: Any, keys: Any = None,
                   require_auth: bool = False) -> tuple[int, int, int]: ...


class ScanBackend(Protocol):
    """A frame scanner module (``_scan_c`` or ``_scan_py``)."""

    @property
    def PrefixState(self) -> Callable[[], Any]: ...  # noqa: N802
    def scan(self, buf: Any, start: int, end: int, max_frame_size: int, shared: bool, final: bool,
             prefix: Any = None) -> tuple[list[tuple[int, int, int, int]], int, bool, int]: ...
    def fcs_bytes(self) -> int: ...


#: the names a backend module must provide (tests/test_contract.py)
DECODE_MEMBERS = ("BACKEND", "MAX_DEPTH", "DecoderCore", "TableWriter", "fcs16", "parse_hdlc", "decode_frame",
                  "decode_apdu", "default_core", "decode_run", "PARALLEL", "p1_start")
SCAN_MEMBERS = ("PrefixState", "scan", "fcs_bytes")
CORE_MEMBERS = ("profiles", "profile", "tz", "keys", "require_authentication", "decode_frame", "decode_apdu",
                "clear_caches", "cache_info")
WRITER_MEMBERS = ("row_count", "capacity", "reserve", "add_frame", "add_error", "add_raw", "add_scan", "finish")


def _check() -> None:  # pragma: no cover - for mypy only: the twin satisfies the contract
    backend: DecodeBackend = _decode_py
    scanner: ScanBackend = _scan_py
    del backend, scanner
