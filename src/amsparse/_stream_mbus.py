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

``framing="auto"``: the StreamDecoder's HDLC scanner reads the stream and
hands the bytes it skips (everything that is not an HDLC frame or a
candidate with a good header checksum) to :meth:`MBusStream.hunt`, so the
framing may change anywhere, as often as it likes: a valid HDLC frame is
taken by the scanner, a valid M-Bus frame among the skipped bytes by this
hunter, and what neither takes is reported as discarded bytes.  A frame of
the other framing ends an unfinished message of this one (rejected whole).
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
        self.frames = 0  # valid M-Bus frames seen
        #: framing="auto": bytes that are no M-Bus frame go to this
        #: ``(events, data)`` callable (the stream's P1 hunter or discard
        #: event) instead of a BytesDiscarded event built here
        self.noise: Any = None

    @property
    def pending(self) -> int:
        return len(self.buf)

    # -- events ----------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """Bytes held or a message under way (auto mode: an HDLC frame ends them)."""
        return bool(self.buf or self.seg_raws or self.block_raws)

    def _discard(self, events: list[Any], data: bytes | bytearray) -> None:
        if not data:
            return
        if self.noise is not None:
            self.noise(events, bytes(data))
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
        events: list[Any] = []
        self.hunt(events, data, final)
        if final:
            self._break(events, "stream ended inside an M-Bus message")
        return events

    def interrupt(self, events: list[Any], why: str) -> None:
        """Auto mode, a frame of the other framing arrived: the bytes held
        cannot become an M-Bus frame any more (they are noise) and an
        unfinished message is rejected."""
        self.hunt(events, b"", True)
        self._break(events, f"M-Bus message interrupted by {why}")

    def hunt(self, events: list[Any], data: bytes | bytearray | memoryview, final: bool = False) -> None:
        """Find the long frames in the bytes held plus ``data``; with
        ``final``, no more bytes follow these (incomplete candidates are noise)."""
        self.buf += data
        buf = self.buf
        n = len(buf)
        pos = 0
        noise = 0  # start of the current run of discarded bytes
        while pos < n:
            pos = buf.find(b"\x68", pos)
            if pos < 0:
                pos = n
                break
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
            if self.noise is not None:  # auto: this frame ends an unfinished HDLC message
                self.owner._other_framing(events)
            self._segment(events, bytes(buf[pos:end]), ci, ds - pos, de - pos)
            pos = noise = end
            continue
        if final:
            pos = n
        self._discard(events, buf[noise:pos])
        del buf[:pos]

    @staticmethod
    def first_frame(buf: bytes | bytearray, start: int, stop: int) -> int | None:
        """Auto mode: where in ``buf[start:stop]`` (the body of an HDLC
        candidate the scanner rejected: a frame cut short by a framing switch)
        the first M-Bus long frame starts -- complete and valid, or with a
        valid header and its end still to come; None when none does."""
        n = len(buf)
        q = buf.find(b"\x68", start, stop)
        while q >= 0:
            if n - q >= 4:
                try:
                    parse_long(buf, q, n, wait=True)
                    return q
                except IncompleteFrameError:
                    return q
                except DecodeError:
                    pass
            q = buf.find(b"\x68", q + 1, stop)
        return None

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


__all__ = ["MAX_FRAME", "MBusStream"]
