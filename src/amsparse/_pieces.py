"""The pieces of one message being reassembled, shared by General Block
Transfer (:class:`._gbt.BlockAssembler`) and M-Bus transport segments
(:class:`._mbus.MBusAssembler`): the parts so far, their size against a bound,
and the join.  Each assembler adds its own sequence check."""

from __future__ import annotations

from typing import ClassVar

from ._errors import DecodeError

__all__ = ["Pieces"]


class Pieces:
    """Parts of one message; memory is bounded by ``max_size``."""

    __slots__ = ("parts", "size", "max_size")

    #: what the message is called in the error raised when it grows too large
    what: ClassVar[str] = "message"
    #: the error raised then
    error: ClassVar[type[DecodeError]] = DecodeError

    def __init__(self, max_size: int) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.max_size = max_size

    @property
    def pending(self) -> int:
        return self.size

    def reset(self) -> None:
        self.parts = []
        self.size = 0

    def add(self, data: bytes, start: int, end: int, offset: int) -> None:
        """Add ``data[start:end]``; past ``max_size`` forget everything and raise
        (``offset``: where the error points)."""
        self.size += end - start
        if self.size > self.max_size:
            self.reset()
            raise self.error(f"{self.what} grows past {self.max_size} bytes", offset)
        self.parts.append(bytes(data[start:end]))

    def join(self) -> bytes:
        """The message (the parts joined); the assembler starts afresh."""
        message = b"".join(self.parts)
        self.reset()
        return message
