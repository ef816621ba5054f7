"""P1 telegrams inside :class:`amsparse.StreamDecoder`'s byte stream.

The HDLC scanner (``_scan_c`` / ``_scan_py``) is left as it is: the bytes it
skips while hunting for HDLC frames (its DISCARD items, in stream order) are
handed to :class:`TelegramHunter`, which finds ``/`` ... ``!CRC CR LF`` in them
with ``bytes.find`` (no per-byte Python loop) and keeps at most
``max_telegram_size`` bytes of an unfinished telegram.  See ``docs/stream.md``
and ``docs/p1.md``.

Rules (independent of how the input is chunked):

* a telegram starts at ``/`` followed by three letters (the manufacturer id of
  the identification line); a ``/`` that is not is noise;
* it ends at the LF after ``!`` and at most 4 CRC hex digits and a CR, or at the
  first byte after ``!`` that cannot belong to that CRC line (the telegram is
  then decoded without its CR LF);
* a new ``/`` before the ``!`` resynchronises: the unfinished telegram is
  rejected (``IncompleteFrameError``) and the new one starts;
* an HDLC frame (or rejected HDLC candidate) in the middle rejects the
  unfinished telegram the same way (after the '!' it just ends the telegram);
* no ``!`` within ``max_telegram_size`` bytes: rejected (``TelegramError``).
"""

from __future__ import annotations

from typing import Any, Callable

from ._errors import DecodeError, IncompleteFrameError, TelegramError, as_decode_error

__all__ = ["TelegramHunter"]

_CRC_LINE = frozenset(b"0123456789ABCDEFabcdef\r")


def _looks_like_start(buf: bytearray) -> bool | None:
    """True/False once three bytes follow the '/', None before."""
    if len(buf) < 4:
        return None
    return bytes(buf[1:4]).isalpha()


class TelegramHunter:
    """The P1 side of one StreamDecoder (see the module docstring)."""

    __slots__ = ("_buf", "active", "max_size", "_decode", "_ok", "_reject", "_discard", "_checked")

    def __init__(
        self,
        max_size: int,
        decode: Callable[[bytes], Any],
        ok: Callable[[list, Any, bytes], None],  # type: ignore[type-arg]
        reject: Callable[[list, bytes, DecodeError], None],  # type: ignore[type-arg]
        discard: Callable[[list, bytes], None],  # type: ignore[type-arg]
    ) -> None:
        self._buf = bytearray()
        self.active = False
        self.max_size = max_size
        self._decode = decode
        self._ok = ok
        self._reject = reject
        self._discard = discard
        self._checked = 1  # bytes of _buf already searched for '!' and '/'

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, events: list, data: bytes) -> None:  # type: ignore[type-arg]
        """Bytes the HDLC scanner skipped, in stream order."""
        while data:
            if not self.active:
                i = data.find(b"/")
                if i < 0:
                    self._discard(events, data)
                    return
                if i:
                    self._discard(events, data[:i])
                    data = data[i:]
                self.active = True
                self._buf = bytearray()
                self._checked = 1
            self._buf += data
            data = self._advance(events, False)

    def _advance(self, events: list, final: bool) -> bytes:  # type: ignore[type-arg]
        """Look at the pending telegram; return bytes to hunt in again."""
        buf = self._buf
        start = _looks_like_start(buf)
        if start is False or (start is None and final):
            self._stop()
            self._discard(events, bytes(buf[:1]))
            return bytes(buf[1:])
        if start is None:
            return b""
        frm = self._checked
        bang = buf.find(b"!", frm)
        slash = buf.find(b"/", frm, len(buf) if bang < 0 else bang)
        if slash >= 0:  # a new telegram starts before this one ended
            self._stop()
            self._reject(events, bytes(buf[:slash]), IncompleteFrameError(
                "telegram interrupted by a new '/' before its '!'", 1, slash))
            return bytes(buf[slash:])
        if bang < 0:
            if len(buf) > self.max_size:
                self._stop()
                self._reject(events, bytes(buf), TelegramError(
                    f"no '!' within max_telegram_size={self.max_size} bytes", len(buf)))
                return b""
            if final:
                self._stop()
                self._reject(events, bytes(buf), IncompleteFrameError(
                    "stream ended inside a telegram ('!' is missing)", 1, len(buf)))
                return b""
            self._checked = len(buf)
            return b""
        self._checked = bang  # the '!' is known; the end follows
        j = bang + 1
        n = len(buf)
        while j < n and j - bang <= 5 and buf[j] in _CRC_LINE:
            j += 1
        if j < n:
            end = j + 1 if buf[j] == 0x0A else j
        elif final:
            end = j
        else:
            return b""  # the CRC line is still arriving
        raw = bytes(buf[:end])
        rest = bytes(buf[end:])
        self._stop()
        try:
            frame = self._decode(raw)
        except Exception as e:  # any failure is this telegram's rejection, never the stream's end
            self._reject(events, raw, as_decode_error(e))
        else:
            self._ok(events, frame, raw)
        return rest

    def _stop(self) -> None:
        self.active = False
        self._buf = bytearray()
        self._checked = 1

    def interrupt(self, events: list) -> None:  # type: ignore[type-arg]
        """An HDLC frame follows: a telegram whose '!' arrived ends here (its
        CRC line is over); one without is rejected; a bare '/' is noise."""
        while self.active:
            buf = self._buf
            if buf.find(b"!") >= 0 or not _looks_like_start(buf):
                rest = self._advance(events, True)
                if rest:
                    self.feed(events, rest)
            else:
                self._stop()
                self._reject(events, bytes(buf), IncompleteFrameError(
                    "telegram interrupted by an HDLC frame before its end", 1, len(buf)))

    def flush(self, events: list) -> None:  # type: ignore[type-arg]
        data = b""
        if self.active:
            data = self._advance(events, True)
        while data:  # what followed a telegram's end, or a false start
            self.feed(events, data)
            data = self._advance(events, True) if self.active else b""
