"""StreamDecoder's M-Bus side: wired M-Bus long frames hunted in a byte
stream (EN 13757-2), DLMS transport segments joined, General Block Transfer
messages joined across M-Bus messages, keys and the replay guard applied
(through :class:`._stream_transport.StreamTransport`).

Frame validity decides: a candidate is a long frame only when its start
bytes, length, stop byte and checksum hold (L + 256 tried for the Sagemcom
quirk, see :mod:`._mbus`); single-character acks (``E5``) and short frames
(``10 C A CS 16``) carry no data and are reported as discarded bytes, like
noise.  Memory: the buffer never holds more than one frame being received
(at most 4 + 511 + 2 bytes) plus the segments of one message
(``max_apdu_size``).
"""

from __future__ import annotations

from typing import Any

from ._errors import ChecksumError, DecodeError, FrameError, IncompleteFrameError
from ._gbt import BlockAssembler
from ._mbus import MBusAssembler, parse_long

MAX_FRAME = 4 + 255 + 256 + 2  # the longest candidate (L + 256 for the quirk)
LLC = b"\xe6\xe7\x00"


class MBusStream:
    """Sans-IO M-Bus hunter; events are built with the StreamDecoder's classes."""

    def __init__(self, owner: Any, decoded_cls: Any, rejected_cls: Any, discarded_cls: Any,
                 keep: int, max_apdu_size: int) -> None:
        self.owner = owner  # the StreamDecoder: profiles, keyword arguments, counters, transport state
        self.decoded_cls = decoded_cls
        self.rejected_cls = rejected_cls
        self.discarded_cls = discarded_cls
        self.keep = keep
        self.buf = bytearray()
        self.segments = MBusAssembler(max_apdu_size)
        self.seg_raws: list[bytes] = []
        self.blocks = BlockAssembler(max_apdu_size)
        self.block_raws: list[bytes] = []
        self.frames = 0  # valid M-Bus frames seen (auto-detection)

    @property
    def pending(self) -> int:
        return len(self.buf)

    # -- events ----------------------------------------------------------------
    def _discard(self, events: list[Any], data: bytes | bytearray) -> None:
        if not data:
            return
        self.owner.bytes_discarded += len(data)
        last: Any = events[-1] if events else None
        if type(last) is self.discarded_cls:  # one event for a run of noise
            events[-1] = self.discarded_cls(last.count + len(data), (last.data + bytes(data))[: self.keep])
        else:
            events.append(self.discarded_cls(len(data), bytes(data[: self.keep])))

    def _reject(self, events: list[Any], raw: bytes, error: DecodeError) -> None:
        self.owner.frames_rejected[type(error).__name__] += 1
        events.append(self.rejected_cls(error, raw))

    def _decoded(self, events: list[Any], frame: Any, raw: bytes) -> None:
        self.owner.frames_decoded += 1
        events.append(self.decoded_cls(frame, raw))

    # -- input -----------------------------------------------------------------
    def feed(self, data: bytes | bytearray | memoryview, final: bool = False) -> list[Any]:
        self.buf += data
        events: list[Any] = []
        buf = self.buf
        n = len(buf)
        pos = 0
        noise = 0  # start of the current run of discarded bytes
        while pos < n:
            b = buf[pos]
            if b == 0x68:
                try:
                    end, _c, _a, ci, ds, de = parse_long(buf, pos, n, wait=not final)
                except IncompleteFrameError:
                    if final:
                        pos += 1
                        continue
                    break  # wait for the rest (at most MAX_FRAME bytes are held)
                except ChecksumError as e:
                    # start, length and stop byte hold: a damaged frame, not noise
                    self._discard(events, buf[noise:pos])
                    stop = e.offset + 2 if e.offset is not None else pos + 1
                    self._reject(events, bytes(buf[pos:stop]), e)
                    self._break(events, "M-Bus message broken by a damaged frame")
                    pos = noise = stop
                    continue
                except FrameError:
                    pos += 1
                    continue
                self._discard(events, buf[noise:pos])
                self.frames += 1
                self._segment(events, bytes(buf[pos:end]), ci, ds - pos, de - pos)
                pos = noise = end
                continue
            pos += 1
        if final:
            pos = n
        self._discard(events, buf[noise:pos])
        del buf[:pos]
        if final:
            self._break(events, "stream ended inside an M-Bus message")
        return events

    def _break(self, events: list[Any], why: str) -> None:
        raws = self.seg_raws + self.block_raws
        if raws:
            self.seg_raws = []
            self.block_raws = []
            self.segments.reset()
            self.blocks.reset()
            self._reject(events, b"".join(raws), FrameError(f"{why} ({len(raws)} frame(s) dropped)"))

    def _segment(self, events: list[Any], raw: bytes, ci: int, ds: int, de: int) -> None:
        self.seg_raws.append(raw)
        try:
            apdu = self.segments.feed(raw, ci, ds, de)
        except FrameError as e:
            whole = b"".join(self.seg_raws)
            self.seg_raws = []
            self._reject(events, whole, e)
            return
        if apdu is None:
            return
        whole = b"".join(self.seg_raws)
        self.seg_raws = []
        start = 3 if apdu[:3] == LLC else 0
        if start < len(apdu) and apdu[start] == 0xE0 or self.block_raws:
            self._block(events, whole, apdu, start)
            return
        self._message(events, whole, apdu)

    def _block(self, events: list[Any], raw: bytes, apdu: bytes, start: int) -> None:
        self.block_raws.append(raw)
        try:
            message = self.blocks.feed(apdu, start, len(apdu))
        except DecodeError as e:
            whole = b"".join(self.block_raws)
            self.block_raws = []
            self._reject(events, whole, e)
            return
        if message is None:
            return
        whole = b"".join(self.block_raws)
        self.block_raws = []
        self._message(events, whole, message)

    def _message(self, events: list[Any], raw: bytes, apdu: bytes) -> None:
        owner = self.owner
        tx = owner._tx
        try:
            frame = owner._impl.decode_apdu(apdu, owner._profiles, keys=tx.keys,
                                            require_authentication=tx.require_auth, **owner._kw)
        except DecodeError as e:
            self._reject(events, raw, e)
            return
        tx._deliver(frame, raw, lambda f, r: self._decoded(events, f, r),
                    lambda r, e: self._reject(events, r, e))


def probe_framing(buf: bytes | bytearray, final: bool, start: int = 0) -> tuple[str | None, int]:
    """``("hdlc" | "mbus", _)``: the framing of the first valid frame in
    ``buf[start:]``; ``(None, resume)`` while the first candidate is still
    incomplete (or none was found): bytes before ``resume`` need no second look."""
    from ._decode_py import parse_hdlc

    n = len(buf)
    i = start
    while i < n:
        b = buf[i]
        if b == 0x68:
            try:
                parse_long(buf, i, n, wait=not final)
                return "mbus", i
            except IncompleteFrameError:
                return None, i
            except DecodeError:
                pass
        elif b == 0x7E:
            if i + 2 >= n:
                return None, i
            if buf[i + 1] & 0xF0 == 0xA0:
                total = (((buf[i + 1] & 0x07) << 8) | buf[i + 2]) + 2
                if i + total > n:
                    if not final:
                        return None, i
                else:
                    try:
                        parse_hdlc(bytes(buf[i : i + total]))
                        return "hdlc", i
                    except DecodeError:
                        pass
        i += 1
    return None, n


__all__ = ["MAX_FRAME", "MBusStream", "probe_framing"]
