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

Ciphered telegrams (Luxembourg Smarty: general-glo-ciphering frames sent back
to back, no HDLC), hunted only when the stream has ``keys=`` (``ciphered=True``):

* one starts at ``DB 08`` (tag, system-title length) when the header that
  follows is plausible: an A-XDR length (short form, ``81 xx`` or
  ``82 xx xx``), a security control byte with encryption and/or
  authentication set, suite 0 or 1, no compression, room for the invocation
  counter (and the tag), and a total size within ``max_telegram_size``;
  otherwise the ``DB`` is noise;
* it ends exactly where its length says (no byte of it is searched for ``/``,
  ``!`` or another ``DB 08``); it is then decrypted and decoded, and a frame
  that does not decrypt or decode is rejected whole (the hunt resumes after
  it), unless the same 10-byte header (``DB 08`` and the system title) recurs
  inside it: then the frame was cut short, the bytes before that header are
  rejected (``IncompleteFrameError``) and the hunt resumes at it;
* an HDLC frame, or the end of the input, before its last byte rejects it
  (``IncompleteFrameError``); a ``DB 08`` before a text telegram's ``!``
  interrupts that telegram as a new ``/`` does.
"""

from __future__ import annotations

from typing import Any, Callable

from ._errors import DecodeError, IncompleteFrameError, TelegramError, as_decode_error

__all__ = ["TelegramHunter"]

_CRC_LINE = frozenset(b"0123456789ABCDEFabcdef\r")


def _ciphered_size(buf: bytearray, max_size: int) -> int | bool | None:
    """A ciphered telegram's total size once its header is in ``buf`` (which
    starts with ``DB``), False when ``buf`` does not start one, None before."""
    n = len(buf)
    if n < 2:
        return None
    if buf[1] != 8:
        return False
    if n < 11:
        return None
    b = buf[10]
    if b < 0x80:
        length, head = b, 11
    elif b == 0x81 or b == 0x82:
        head = 12 if b == 0x81 else 13
        if n < head:
            return None
        length = int.from_bytes(buf[11:head], "big")
    else:
        return False
    if n <= head:
        return None
    sc = buf[head]
    if sc & 0x80 or sc & 0x0F > 1 or not sc & 0x30:
        return False
    if length < 5 + (12 if sc & 0x10 else 0) or head + length > max_size:
        return False
    return head + length


def _looks_like_start(buf: bytearray) -> bool | None:
    """True/False once three bytes follow the '/', None before."""
    if len(buf) < 4:
        return None
    return bytes(buf[1:4]).isalpha()


class TelegramHunter:
    """The P1 side of one StreamDecoder (see the module docstring)."""

    __slots__ = ("_buf", "active", "max_size", "_decode", "_ok", "_reject", "_discard", "_checked",
                 "ciphered", "_db")

    def __init__(
        self,
        max_size: int,
        decode: Callable[[bytes], Any],
        ok: Callable[[list[Any], Any, bytes], None],
        reject: Callable[[list[Any], bytes, DecodeError], None],
        discard: Callable[[list[Any], bytes], None],
        ciphered: bool = False,
    ) -> None:
        self._buf = bytearray()
        self.active = False
        self.max_size = max_size
        self._decode = decode
        self._ok = ok
        self._reject = reject
        self._discard = discard
        self._checked = 1  # bytes of _buf already searched for '!' and '/'
        #: also hunt general-glo-ciphering frames (DB 08 ...): the stream has keys
        self.ciphered = ciphered
        self._db = False  # the pending item is a ciphered telegram

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, events: list[Any], data: bytes) -> None:
        """Bytes the HDLC scanner skipped, in stream order."""
        while data:
            if not self.active:
                i = data.find(b"/")
                if self.ciphered:
                    j = data.find(b"\xdb\x08", 0, len(data) if i < 0 else i)
                    if j < 0 and i < 0 and data[-1] == 0xDB:
                        j = len(data) - 1  # its 08 may be in the next chunk
                    if j >= 0:
                        i = j
                if i < 0:
                    self._discard(events, data)
                    return
                if i:
                    self._discard(events, data[:i])
                    data = data[i:]
                self.active = True
                self._db = data[0] == 0xDB
                self._buf = bytearray()
                self._checked = 1
            self._buf += data
            data = self._advance(events, False)

    def _advance(self, events: list[Any], final: bool) -> bytes:
        """Look at the pending telegram; return bytes to hunt in again."""
        buf = self._buf
        if self._db:
            return self._advance_ciphered(events, final)
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
        if self.ciphered:  # a ciphered telegram starts before this one ended
            db = buf.find(b"\xdb\x08", frm, len(buf) if bang < 0 else bang)
            if db >= 0 and (slash < 0 or db < slash):
                slash = db
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
            # (one byte back when hunting DB 08: the pair may straddle two chunks)
            self._checked = max(1, len(buf) - 1) if self.ciphered else len(buf)
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

    def _advance_ciphered(self, events: list[Any], final: bool) -> bytes:
        buf = self._buf
        size = _ciphered_size(buf, self.max_size)
        if size is False or (size is None and final):
            self._stop()  # not a start: the DB is noise
            self._discard(events, bytes(buf[:1]))
            return bytes(buf[1:])
        if size is None:
            return b""
        if len(buf) < size:
            if final:
                self._stop()
                self._reject(events, bytes(buf), IncompleteFrameError(
                    "stream ended inside a ciphered telegram", size - len(buf), len(buf)))
            return b""
        raw = bytes(buf[:size])
        rest = bytes(buf[size:])
        self._stop()
        try:
            frame = self._decode(raw)
        except Exception as e:  # any failure is this frame's rejection, never the stream's end
            # a frame cut short swallows the start of the next: the same header
            # (DB 08 and the meter's system title) inside it is where that one starts
            k = raw.find(raw[:10], 1)
            if k > 0:
                self._reject(events, raw[:k], IncompleteFrameError(
                    "ciphered telegram cut short: the next one from the same system title starts "
                    f"{k} bytes in", size - k, k))
                return raw[k:] + rest
            self._reject(events, raw, as_decode_error(e))
        else:
            self._ok(events, frame, raw)
        return rest

    def _stop(self) -> None:
        self.active = False
        self._db = False
        self._buf = bytearray()
        self._checked = 1

    def interrupt(self, events: list[Any]) -> None:
        """An HDLC frame follows: a telegram whose '!' arrived ends here (its
        CRC line is over); one without is rejected; a bare '/' is noise."""
        while self.active:
            buf = self._buf
            if self._db:
                size = _ciphered_size(buf, self.max_size)
                if size is None or size is False:
                    rest = self._advance(events, True)  # not (yet) a start: noise
                    if rest:
                        self.feed(events, rest)
                    continue
                self._stop()
                self._reject(events, bytes(buf), IncompleteFrameError(
                    "ciphered telegram interrupted by an HDLC frame before its end", size - len(buf), len(buf)))
                continue
            if buf.find(b"!") >= 0 or not _looks_like_start(buf):
                rest = self._advance(events, True)
                if rest:
                    self.feed(events, rest)
            else:
                self._stop()
                self._reject(events, bytes(buf), IncompleteFrameError(
                    "telegram interrupted by an HDLC frame before its end", 1, len(buf)))

    def flush(self, events: list[Any]) -> None:
        data = b""
        if self.active:
            data = self._advance(events, True)
        while data:  # what followed a telegram's end, or a false start
            self.feed(events, data)
            data = self._advance(events, True) if self.active else b""
