"""Sans-IO stream decoder: bytes from a serial line or socket -> events.

:class:`StreamDecoder` does no I/O (the h11 pattern): give it whatever bytes
arrived with :meth:`~StreamDecoder.feed` and it returns the events those bytes
completed.  See ``docs/stream.md`` for the resynchronisation rule, the byte
accounting and the memory bounds.

The byte scanning (hunting for 0x7E, length field, HCS/FCS) is one call into
the compiled :mod:`amsparse._scan_c` per ``feed``; the pure-Python twin
:mod:`amsparse._scan_py` is used when the extension is absent or
``AMSPARSE_NO_EXTENSIONS=1``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable, Iterator, Union

from . import _decode_py
from ._decoder import backend_of, core_for
from ._errors import (
    ChecksumError,
    DecodeError,
    FrameError,
    IncompleteFrameError,
    SegmentedFrameError,
    as_decode_error,
)
from ._model import Frame
from ._options import check_size
from ._scan_py import PrefixFcs
from ._select import SCAN_BACKEND, impl, scan_for, scan_impl
from ._stream_mbus import MBusStream
from ._stream_transport import StreamTransport

__all__ = [
    "BytesDiscarded",
    "Event",
    "FrameDecoded",
    "FrameRejected",
    "SCAN_BACKEND",
    "StreamDecoder",
    "iter_events",
    "iter_frames",
]

# the scanner goes with the decoder backend (amsparse._select)
_scan = scan_impl.scan

#: at most this many discarded bytes are kept in :attr:`BytesDiscarded.data`
DISCARD_KEEP = 64
#: kept for compatibility: framing="auto" no longer holds bytes to decide (it
#: reads HDLC and M-Bus side by side, see docs/transports.md)
PROBE_MAX = 4096


@dataclass(frozen=True, slots=True)
class FrameDecoded:
    """A frame decoded.  ``raw`` is the HDLC frame with both flags; for an
    APDU reassembled from HDLC segments, all segment frames concatenated."""

    frame: Frame
    raw: bytes


@dataclass(frozen=True, slots=True)
class FrameRejected:
    """Bytes that looked like a frame (good header checksum) but could not be
    decoded: a checksum or flag error (:class:`~amsparse.ChecksumError`,
    :class:`~amsparse.FrameError`), a truncated frame at :meth:`flush`
    (:class:`~amsparse.IncompleteFrameError`), an APDU that does not decode
    (:class:`~amsparse.ApduError`, :class:`~amsparse.UnsupportedApduError`...),
    or a broken HDLC segment sequence (:class:`~amsparse.SegmentedFrameError`;
    ``raw`` then holds the segments received)."""

    error: DecodeError
    raw: bytes


@dataclass(frozen=True, slots=True)
class BytesDiscarded:
    """``count`` bytes skipped while hunting for a frame start (noise, flags
    between frames, fragments).  ``data`` holds the first
    :data:`DISCARD_KEEP` (64) of them."""

    count: int
    data: bytes


Event = Union[FrameDecoded, FrameRejected, BytesDiscarded]


def _hdlc_error(buf: Any, start: int, pf: Any = None) -> DecodeError:
    """The exact error ``parse_hdlc`` gives for the candidate frame the scanner
    rejected at ``buf[start]`` (shared by StreamDecoder and decode_batch).

    With ``pf`` (stored CRC registers over ``buf``: ``_scan_py.PrefixFcs`` or
    the scanner's ``PrefixState``, from ``start`` or before) it costs O(1)
    bytes plus one bounded FCS, not a copy and a checksum of the candidate's
    claimed length: the scanner has checked format, length, addresses and HCS,
    so only the failure after them is left to find."""
    total = (((buf[start + 1] & 0x07) << 8) | buf[start + 2]) + 2
    n = min(total, len(buf) - start)
    if pf is None or n < 3 or buf[start] != 0x7E or buf[start + 1] & 0xF0 != 0xA0 or total < 9:
        return _parse_error(bytes(buf[start : start + total]))
    if n < total:
        return IncompleteFrameError(f"frame is {total} bytes by its length field, only {n} given", total - n, n)
    last = buf[start + total - 1]
    if last != 0x7E:
        return FrameError(f"frame does not end with the 0x7E flag (found 0x{last:02X})", total - 1)
    # the header (at most 14 bytes) as parse_hdlc reads it
    head = bytes(buf[start : start + min(total, 16)])
    fcs_pos = total - 3
    try:
        _dest, pos = _decode_py._read_address(head, 3, fcs_pos, "destination")
        _src, pos = _decode_py._read_address(head, pos, fcs_pos, "source")
    except DecodeError as e:
        return e
    if pos >= fcs_pos:
        return FrameError("HDLC header ends before the control field", pos)
    pos += 1
    if pos == fcs_pos:
        return FrameError("frame has no information field", pos)
    if pos + 2 > fcs_pos:
        return FrameError("frame too short for a header check sequence", pos)
    hcs_calc = _decode_py.fcs16(head, 1, pos)
    hcs_found = head[pos] | (head[pos + 1] << 8)
    if hcs_calc != hcs_found:
        return ChecksumError("HCS", hcs_calc, hcs_found, pos)
    fcs_calc = pf.crc(buf, start + 1, start + fcs_pos)
    fcs_found = buf[start + fcs_pos] | (buf[start + fcs_pos + 1] << 8)
    if fcs_calc != fcs_found:
        return ChecksumError("FCS", fcs_calc, fcs_found, fcs_pos)
    if pos + 2 == fcs_pos:
        return FrameError("frame has no information field", pos + 2)
    return FrameError("frame rejected by the stream scanner", 0)  # pragma: no cover


def _parse_error(data: bytes) -> DecodeError:
    try:
        _decode_py.parse_hdlc(data)
    except DecodeError as e:
        return e
    return FrameError("frame rejected by the stream scanner", 0)  # pragma: no cover


class HdlcErrors:
    """``_hdlc_error`` for the rejects of one scan of one buffer (in order):
    keeps one :class:`PrefixFcs` so each reject costs a bounded number of bytes.
    Called as ``(buf, start)``; a different buffer object starts afresh."""

    __slots__ = ("_buf", "_pf")

    def __init__(self) -> None:
        self._buf: Any = None
        self._pf: PrefixFcs | None = None

    def __call__(self, buf: Any, start: int) -> DecodeError:
        pf = self._pf
        if buf is not self._buf or pf is None or start < pf.base:
            self._buf = buf
            pf = self._pf = PrefixFcs(buf, start, True)
        return _hdlc_error(buf, start, pf)


class StreamDecoder:
    """Incremental HDLC/DLMS decoder (sans-IO).

    ``profiles``, ``profile`` and ``tz`` are passed on to the frame decoder as
    in :func:`amsparse.decode_frame`.  ``max_frame_size`` bounds one HDLC frame
    (flags included; the 11-bit length field allows 2049), ``max_apdu_size``
    bounds an APDU reassembled from segments.  ``keys`` (an
    :class:`amsparse.Keys` or several) and ``require_authentication`` are
    applied to ciphered pushes as in :func:`amsparse.decode_frame`; General
    Block Transfer messages spread over several HDLC frames are joined (a
    missing, repeated or out-of-order block rejects the whole message);
    ``replay_guard=True`` rejects a ciphered push (a DLMS APDU, or a ciphered
    P1 telegram) whose invocation counter does not grow for its system title
    (:class:`amsparse.ReplayError`).
    ``framing``: ``"hdlc"`` (default), ``"mbus"`` (wired M-Bus long frames, see
    docs/transports.md) or ``"auto"``: HDLC and M-Bus told apart by frame
    validity, frame by frame, so the framing may change anywhere in the
    stream (the bytes the HDLC scanner skips are hunted for M-Bus long
    frames; what neither takes is discarded).
    """

    __slots__ = (
        "_buf", "_shared", "_need", "_profiles", "_kw", "max_frame_size", "max_apdu_size",
        "_seg_addr", "_seg_parts", "_seg_raws", "_seg_size", "_seg_broken",
        "frames_decoded", "frames_rejected", "bytes_discarded", "bytes_fed", "shared_flags",
        "_p1", "_tx", "_framing", "_mb", "_prefix", "_dc", "_impl", "_scanner",
    )

    def __init__(
        self,
        profiles: Any = None,
        *,
        profile: Any = None,
        tz: str | None = None,
        max_frame_size: int = 2050,
        max_apdu_size: int = 65536,
        p1: bool = True,
        p1_profiles: Any = None,
        max_telegram_size: int = 16384,
        keys: Any = None,
        require_authentication: bool = False,
        replay_guard: bool = False,
        framing: str = "hdlc",
        decoder: Any = None,
    ) -> None:
        # every option is checked now, as every frame would check it (amsparse._options)
        # the backend: the decoder's (tests run both in one process), else the selected one
        self._impl = backend_of(decoder) if decoder is not None else impl
        dc = self._dc = core_for(self._impl, profiles, profile, tz, decoder=decoder)
        if decoder is not None:  # the decoder's options, keys included
            if keys is not None or require_authentication:
                raise TypeError("give keys and require_authentication to the Decoder, not beside decoder=")
            profile, tz, keys, require_authentication = dc.profile, dc.tz, dc.keys, dc.require_authentication
        if framing not in ("hdlc", "mbus", "auto"):
            raise ValueError(f"framing must be 'hdlc', 'mbus' or 'auto', not {framing!r}")
        max_frame_size = check_size("max_frame_size", max_frame_size, 9)
        max_apdu_size = check_size("max_apdu_size", max_apdu_size, 1)
        self._profiles = dc.profiles
        self._kw: dict[str, Any] = {"profile": dc.profile, "tz": dc.tz}
        self.max_frame_size = max_frame_size
        self.max_apdu_size = max_apdu_size
        self._tx = StreamTransport(keys, require_authentication, replay_guard, max_apdu_size)
        self._framing = framing
        self._mb = None if framing == "hdlc" else MBusStream(
            self, FrameDecoded, FrameRejected, BytesDiscarded, DISCARD_KEEP, max_apdu_size)
        self._buf = bytearray()
        # CRC registers stored along _buf, kept across feeds: a candidate's FCS
        # costs a bounded number of bytes however long it claims to be (F6)
        self._scanner = scan_for(self._impl)  # the scanner that goes with the backend
        self._prefix = self._scanner.PrefixState()  # the scanner twin's own
        self._shared = False
        self._need = 1
        self._seg_addr: tuple[int, int] | None = None
        self._seg_parts: list[bytes] = []
        self._seg_raws: list[bytes] = []
        self._seg_size = 0
        #: why the pending segment sequence can no longer give an APDU (None: it can)
        self._seg_broken: str | None = None
        #: frames (or reassembled APDUs) decoded
        self.frames_decoded = 0
        #: rejected frames by reason (the exception class name)
        self.frames_rejected: Counter[str] = Counter()
        #: bytes skipped while hunting
        self.bytes_discarded = 0
        #: bytes given to :meth:`feed`
        self.bytes_fed = 0
        #: flags counted in two events' ``raw`` (closing flag of one frame = opening of the next)
        self.shared_flags = 0
        # P1 / DSMR telegrams among the bytes the HDLC scanner skips (docs/p1.md)
        self._p1: Any = None
        if p1:
            from ._p1_stream import TelegramHunter
            from ._select import p1_impl

            if max_telegram_size < 16:
                raise ValueError("max_telegram_size must be at least 16")
            decode_telegram = p1_impl.decode_telegram
            self._p1 = TelegramHunter(
                max_telegram_size,
                lambda raw: decode_telegram(raw, p1_profiles, tz=tz, keys=keys,
                                            require_authentication=require_authentication),
                self._p1_decoded if replay_guard else self._decoded, self._reject, self._discard,
                ciphered=keys is not None,
            )
        if framing == "auto":  # the bytes the HDLC scanner skips go to the M-Bus hunter first
            self._mb.noise = self._p1.feed if self._p1 is not None else self._discard  # type: ignore[union-attr]

    @property
    def buffered(self) -> int:
        """Bytes held, waiting for the rest of a frame (never more than
        ``max_frame_size``; segments being reassembled are not counted), plus
        with M-Bus or ``framing="auto"`` the M-Bus frame being received (at
        most 517 bytes)."""
        return len(self._buf) + (self._mb.pending if self._mb is not None else 0)

    @property
    def telegram_buffered(self) -> int:
        """Bytes of an unfinished P1 telegram held (at most ``max_telegram_size``)."""
        return 0 if self._p1 is None else self._p1.buffered

    @property
    def reassembling(self) -> int:
        """Bytes of an HDLC segment sequence held for reassembly."""
        return self._seg_size

    # -- the two entry points ------------------------------------------------------
    def feed(self, data: bytes | bytearray | memoryview) -> list[Event]:
        """Add bytes; return the events they completed (possibly none)."""
        if self._framing == "mbus":
            return self._feed_other(data, False)
        n = len(data)
        if not n:
            return []
        self.bytes_fed += n
        buf = self._buf
        buf += data
        if len(buf) < self._need:
            return []
        return self._run(False)

    def flush(self) -> list[Event]:
        """End of input: give up partial frames (an HCS-valid partial frame is
        rejected with :class:`~amsparse.IncompleteFrameError`, the rest is
        discarded; valid frames after a false start are still found) and an
        unfinished segment sequence.  The decoder can be fed again afterwards."""
        if self._framing == "mbus":
            return self._feed_other(b"", True)
        events = self._run(True) if self._buf else []
        if self._mb is not None:  # auto: M-Bus bytes held and an unfinished M-Bus message
            self._mb.hunt(events, b"", True)
            self._mb._break(events, "stream ended inside an M-Bus message")
        if self._p1 is not None:
            self._p1.flush(events)
        self._prefix.drop(len(self._buf))
        self._buf.clear()
        self._shared = False
        self._need = 1
        if self._seg_addr is not None:
            self._break(events, "stream ended inside an HDLC segment sequence"
                        if self._seg_broken is None else f"HDLC segment sequence broken: {self._seg_broken}")
        self._tx.flush(lambda r, e: self._reject(events, r, e))
        return events

    # -- internals -----------------------------------------------------------------
    def _feed_other(self, data: bytes | bytearray | memoryview, final: bool) -> list[Event]:
        """framing="mbus": M-Bus long frames only."""
        self.bytes_fed += len(data)
        return self._mb.feed(data, final)  # type: ignore[union-attr]

    def _other_framing(self, events: list[Event]) -> None:
        """framing="auto": an M-Bus frame arrived; an unfinished HDLC segment
        sequence or block-transfer message cannot continue across it."""
        if self._seg_addr is not None:
            self._break(events, "HDLC segment sequence interrupted by an M-Bus frame")
        self._tx.interrupt(lambda r, e: self._reject(events, r, e), "an M-Bus frame")

    def _run(self, final: bool) -> list[Event]:
        buf = self._buf
        prefix = self._prefix
        items, resume, shared, need = self._scanner.scan(buf, 0, len(buf), self.max_frame_size, self._shared, final, prefix)
        events: list[Event] = []
        # the backend's loop over a run of plain frames
        decode_run = self._impl.decode_run
        i = 0
        n = len(items)
        p1 = self._p1
        mb = self._mb  # framing="auto": the M-Bus hunter takes the bytes the scanner skips
        while i < n:
            if mb is not None and items[i][0] != 0 and mb.busy:
                mb.interrupt(events, "an HDLC frame")
            if p1 is not None and p1.active and items[i][0] != 0:
                p1.interrupt(events)  # an HDLC frame inside an unfinished telegram
            if self._seg_addr is None:
                # the backend takes the run of plain frames (same results as below)
                i, decoded, shared_flags = decode_run(
                    buf, items, i, self._dc, FrameDecoded, events, self._run_reject,
                    *(self._tx.run_keys if not self._tx.raws else ()),  # keys: ciphered frames in the loop too
                )
                self.frames_decoded += decoded
                self.shared_flags += shared_flags
                if i >= n:
                    break
            kind, start, stop, aux = items[i]
            i += 1
            if kind == 0:
                if self._seg_addr is not None and self._seg_broken is None and buf[start:stop].strip(b"\x7e"):
                    # bytes lost between two segments: a segment may be missing
                    self._seg_broken = "bytes were lost inside it"
                if mb is not None:
                    mb.hunt(events, bytes(buf[start:stop]))
                    continue
                if p1 is not None:  # the telegram hunter reports what it does not take
                    p1.feed(events, bytes(buf[start:stop]))
                    continue
                cnt = stop - start
                self.bytes_discarded += cnt
                events.append(BytesDiscarded(cnt, bytes(buf[start : min(stop, start + DISCARD_KEEP)])))
                continue
            if kind == 2 and self._seg_addr is not None and self._seg_broken is None:
                self._seg_broken = "a segment was rejected"  # never splice around it
            if aux:
                self.shared_flags += 1
            raw = bytes(buf[start:stop])
            if kind == 1:
                try:
                    self._frame(raw, events)
                except Exception as e:  # pragma: no cover - _frame catches decoding errors itself
                    self._reset_segments()
                    self._reject(events, raw, e)
            else:
                q = mb.first_frame(buf, start + 1, stop) if mb is not None else None
                if q is not None:  # auto: an HDLC frame cut short by M-Bus frames
                    self._reject(events, raw[: q - start], _hdlc_error(buf, start, prefix))
                    mb.hunt(events, bytes(buf[q:stop]))  # type: ignore[union-attr]
                    continue
                self._reject(events, raw, _hdlc_error(buf, start, prefix))
        if resume:
            del buf[:resume]
            prefix.drop(resume)
        self._shared = shared
        self._need = need
        return events

    def _run_reject(self, events: list[Event], raw: bytes, error: BaseException) -> None:
        # block transfer, ciphered frames decode_run did not decrypt (no keys
        # given to it: replay guard, or a GBT message pending): hand them on
        if self._tx.claims(raw):
            self._frame(raw, events)
        else:
            self._reject(events, raw, error)

    def _reject(self, events: list[Event], raw: bytes, error: BaseException) -> None:
        # stored without traceback (it would keep every frame's locals alive) and,
        # whatever it is, as a DecodeError: one frame's failure never ends the stream
        error = as_decode_error(error)
        self.frames_rejected[type(error).__name__] += 1
        events.append(FrameRejected(error, raw))

    def _discard(self, events: list[Event], data: bytes) -> None:
        self.bytes_discarded += len(data)
        events.append(BytesDiscarded(len(data), data[:DISCARD_KEEP]))

    def _decoded(self, events: list[Event], frame: Frame, raw: bytes) -> None:
        self.frames_decoded += 1
        events.append(FrameDecoded(frame, raw))

    def _p1_decoded(self, events: list[Event], frame: Frame, raw: bytes) -> None:
        # replay_guard: a ciphered P1 telegram's invocation counter must grow per
        # system title, as a ciphered DLMS push's (one counter per title for both)
        self._tx._deliver(frame, raw, lambda f, r: self._decoded(events, f, r),
                          lambda r, e: self._reject(events, r, e))

    def _reset_segments(self) -> None:
        self._seg_addr = None
        self._seg_parts = []
        self._seg_raws = []
        self._seg_size = 0
        self._seg_broken = None

    def _break(self, events: list[Event], why: str) -> None:
        raw = b"".join(self._seg_raws)
        n = len(self._seg_raws)
        self._reset_segments()
        self._reject(events, raw, SegmentedFrameError(f"{why} ({n} segment(s) dropped)", None))

    def _frame(self, raw: bytes, events: list[Event]) -> None:
        """One frame from the scanner (flags, HCS and FCS good).

        Segment reassembly: a sequence starts with a frame whose information
        field begins with the LLC header (E6 E7 00; a first segment of fewer
        than 3 bytes need only agree with it) and continues with frames
        from the same addresses that do not; the last one has the segmentation
        bit clear.  A frame that is not a continuation (other addresses, or a
        new LLC header) ends an unfinished sequence, which is rejected, and is
        then taken on its own.  A sequence with a rejected candidate or lost
        bytes between its segments, or a continuation without its start, is
        rejected once, whole: its neighbours are never spliced together.
        """
        if not raw[1] & 0x08 and self._seg_addr is None:
            self._single(raw, events)
            return
        dest, src, _control, segmented, a, b = _decode_py.parse_hdlc(raw)
        head = raw[a : min(a + 3, b)]
        # a new APDU begins with the LLC header; a first segment shorter than it
        # (a tiny max_info) only has to agree with it, when no sequence is pending
        fresh = head == b"\xe6\xe7\x00" or (self._seg_addr is None and b"\xe6\xe7\x00".startswith(head))
        if self._seg_addr is not None and (self._seg_addr != (dest, src) or fresh):
            self._break(events, "HDLC segment sequence broken by "
                        + ("the start of a new APDU" if self._seg_addr == (dest, src)
                           else "a frame from other addresses")
                        if self._seg_broken is None else f"HDLC segment sequence broken: {self._seg_broken}")
        if self._seg_addr is None:
            if fresh and not segmented:
                self._single(raw, events)
                return
            self._seg_addr = (dest, src)
            if not fresh:
                self._seg_broken = "it has no first segment (no LLC header)"
        info = raw[a:b]
        self._seg_raws.append(raw)
        self._seg_size += len(info)
        if self._seg_broken is None:
            self._seg_parts.append(info)
        if self._seg_size > self.max_apdu_size:
            self._break(events, f"reassembled APDU exceeds max_apdu_size={self.max_apdu_size}")
            return
        if segmented:
            return
        if self._seg_broken is not None:
            self._break(events, f"HDLC segment sequence broken: {self._seg_broken}")
            return
        apdu = b"".join(self._seg_parts)
        whole = b"".join(self._seg_raws)
        address = _decode_py.parse_hdlc(self._seg_raws[0])[:3]
        self._reset_segments()
        try:
            frame = self._impl.decode_apdu(apdu, self._profiles, source=src, keys=self._tx.keys,
                                     require_authentication=self._tx.require_auth, **self._kw)
        except Exception as e:  # any failure is this frame's rejection
            self._reject(events, whole, e)
        else:
            # the first segment's HDLC address, as decode_frame gives it for one frame;
            # the replay guard sees a ciphered reassembled APDU like a single frame
            object.__setattr__(frame, "address", address)
            self._tx._deliver(frame, whole, lambda f, r: self._decoded(events, f, r),
                              lambda r, e: self._reject(events, r, e))

    def _single(self, raw: bytes, events: list[Event]) -> None:
        # ciphered pushes and general-block-transfer blocks (amsparse._transport)
        if self._tx.take(raw, self._impl, self._kw, self._profiles,
                         lambda f, r: self._decoded(events, f, r),
                         lambda r, e: self._reject(events, r, e)):
            return
        try:
            frame = self._dc.decode_frame(raw)
        except Exception as e:  # any failure is this frame's rejection
            self._reject(events, raw, e)
        else:
            self._decoded(events, frame, raw)

    def __repr__(self) -> str:
        return (
            f"<StreamDecoder buffered={self.buffered} decoded={self.frames_decoded} "
            f"rejected={sum(self.frames_rejected.values())} discarded={self.bytes_discarded}>"
        )


# --------------------------------------------------------------------------- file helpers

def _reader(fileobj: Any, chunk_size: int) -> Callable[[], bytes]:
    """A function returning the next available bytes (b"" at EOF)."""
    read1 = getattr(fileobj, "read1", None)
    if read1 is not None:
        return lambda: read1(chunk_size)
    readinto = getattr(fileobj, "readinto", None)
    if readinto is not None and not hasattr(fileobj, "in_waiting"):
        mv = memoryview(bytearray(chunk_size))

        def _ri() -> bytes:
            n = readinto(mv)
            return b"" if not n else bytes(mv[:n])

        return _ri
    in_waiting = None
    if hasattr(fileobj, "in_waiting"):  # pyserial: read what is there, or block for one byte
        def in_waiting() -> int:
            try:
                return int(fileobj.in_waiting)
            except Exception:  # pragma: no cover - port closed
                return 0

    def _read() -> bytes:
        n = chunk_size
        if in_waiting is not None:
            n = max(1, min(chunk_size, in_waiting()))
        return fileobj.read(n) or b""

    return _read


def iter_events(
    fileobj: BinaryIO | Any,
    profiles: Any = None,
    *,
    chunk_size: int = 4096,
    stop_on_timeout: bool = False,
    **kw: Any,
) -> Iterator[Event]:
    """Yield every event decoded from a binary file-like object until EOF
    (``read`` returning ``b""``), then the events of :meth:`StreamDecoder.flush`.

    ``kw`` goes to :class:`StreamDecoder` (``profile``, ``tz``, sizes).  A
    serial port opened with a ``timeout`` returns ``b""`` on timeout; that is
    taken as EOF only with ``stop_on_timeout=True`` (otherwise the loop keeps
    reading; with pyserial, ``timeout=None`` blocks instead).
    """
    dec = StreamDecoder(profiles, **kw)
    read = _reader(fileobj, chunk_size)
    is_serial = hasattr(fileobj, "in_waiting")
    while True:
        data = read()
        if not data:
            if is_serial and not stop_on_timeout:
                continue
            break
        yield from dec.feed(data)
    yield from dec.flush()


def iter_frames(
    fileobj: BinaryIO | Any,
    profiles: Any = None,
    *,
    chunk_size: int = 4096,
    **kw: Any,
) -> Iterator[Frame]:
    """Yield the decoded :class:`~amsparse.Frame` objects from a binary
    file-like object (a file, ``socket.makefile("rb")``, a serial port);
    rejected frames and noise are skipped (use :func:`iter_events` to see them)."""
    for ev in iter_events(fileobj, profiles, chunk_size=chunk_size, **kw):
        if type(ev) is FrameDecoded:
            yield ev.frame
