"""StreamDecoder's transport state: keys, General Block Transfer reassembly
across HDLC frames, and the optional replay guard.  Kept out of ``_stream.py``
so the stream loop stays one job; the decoder calls :meth:`claims`,
:meth:`take` and :meth:`check`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import _decode_py
from ._errors import BlockTransferError, DecodeError, ReplayError
from ._gbt import MAX_MESSAGE, BlockAssembler
from ._security import keyring
from ._transport import WRAPPED_TAGS

LLC = b"\xe6\xe7\x00"


def _apdu_start(raw: bytes) -> tuple[int, int, int, tuple[int, int, int]] | None:
    """``(apdu_start, apdu_end, source, address)`` of an unsegmented HDLC frame
    whose APDU (after an optional LLC) is a ciphered or block-transfer one;
    None else."""
    try:
        dest, src, control, segmented, a, b = _decode_py.parse_hdlc(raw)
    except DecodeError:
        return None
    if segmented:
        return None
    if raw[a : a + 3] == LLC:
        a += 3
    if a < b and raw[a] in WRAPPED_TAGS:
        return a, b, src, (dest, src, control)
    return None


class StreamTransport:
    __slots__ = ("keys", "require_auth", "replay_guard", "last_ic", "gbt", "raws", "src", "address", "_seen", "run_keys")

    def __init__(self, keys: Any, require_auth: bool, replay_guard: bool, max_apdu_size: int) -> None:
        self.keys = keyring(keys)
        self.require_auth = require_auth
        self.replay_guard = replay_guard
        self.last_ic: dict[bytes, int] = {}
        self.gbt = BlockAssembler(min(max_apdu_size, MAX_MESSAGE))
        self.raws: list[bytes] = []
        self.src = -1
        self.address: tuple[int, int, int] | None = None
        # the last frame claims() parsed and what it found: take() on the same
        # frame object does not parse its header (and FCS) a second time
        self._seen: tuple[bytes | None, Any] = (None, None)
        #: what the compiled decode_run gets to decrypt single frames itself:
        #: nothing when the replay guard must see every ciphered frame
        self.run_keys: tuple[Any, ...] = () if replay_guard or self.keys is None else (self.keys, require_auth)

    @property
    def pending(self) -> int:
        return self.gbt.pending

    def claims(self, raw: bytes) -> bool:
        """The frame is a ciphered/GBT one (or a GBT message is under way)."""
        where = _apdu_start(raw)
        self._seen = (raw, where)
        return bool(self.raws) or where is not None

    def take(self, raw: bytes, impl: Any, kw: dict[str, Any], profiles: Any,
             decoded: Callable[[Any, bytes], None], reject: Callable[[bytes, BaseException], None]) -> bool:
        """Handle one unsegmented HDLC frame; False: not ours, decode it the
        ordinary way."""
        seen, where = self._seen
        self._seen = (None, None)
        if seen is not raw:
            where = _apdu_start(raw)
        if self.raws and (where is None or raw[where[0]] != 0xE0):
            self._drop(reject, "general-block-transfer message interrupted by another frame")
        if where is None:
            return False
        if raw[where[0]] != 0xE0:  # one ciphered frame
            try:
                frame = impl.decode_frame(raw, profiles, keys=self.keys,
                                          require_authentication=self.require_auth, **kw)
            except Exception as e:  # any failure is this frame's rejection (StreamDecoder._reject)
                reject(raw, e)
            else:
                self._deliver(frame, raw, decoded, reject)
            return True
        a, b, src, address = where
        if not self.raws:
            self.src = src
            self.address = address
        self.raws.append(raw)
        try:
            message = self.gbt.feed(raw, a, b)
        except BlockTransferError as e:
            whole = b"".join(self.raws)
            self.raws = []
            reject(whole, e)
            return True
        if message is None:
            return True
        whole = b"".join(self.raws)
        self.raws = []
        try:
            frame = impl.decode_apdu(message, profiles, source=self.src, keys=self.keys,
                                     require_authentication=self.require_auth, **kw)
        except Exception as e:  # any failure is this message's rejection
            reject(whole, e)
            return True
        object.__setattr__(frame, "address", self.address)  # the first frame's, as for HDLC segments
        self._deliver(frame, whole, decoded, reject)
        return True

    def _deliver(self, frame: Any, raw: bytes, decoded: Callable[[Any, bytes], None],
                 reject: Callable[[bytes, BaseException], None]) -> None:
        sec = frame.security
        if self.replay_guard and sec is not None:
            last = self.last_ic.get(sec.system_title)
            if last is not None and sec.invocation_counter <= last:
                reject(raw, ReplayError(
                    f"invocation counter {sec.invocation_counter} of system title {sec.system_title.hex()} "
                    f"does not grow (last {last}): replayed or stale frame"))
                return
            self.last_ic[sec.system_title] = sec.invocation_counter
        decoded(frame, raw)

    def _drop(self, reject: Callable[[bytes, BaseException], None], why: str) -> None:
        whole = b"".join(self.raws)
        n = len(self.raws)
        self.raws = []
        self.gbt.reset()
        reject(whole, BlockTransferError(f"{why} ({n} block frame(s) dropped)"))

    def interrupt(self, reject: Callable[[bytes, BaseException], None], by: str) -> None:
        """A frame of another framing arrived (StreamDecoder framing="auto")."""
        if self.raws:
            self._drop(reject, f"general-block-transfer message interrupted by {by}")

    def flush(self, reject: Callable[[bytes, BaseException], None]) -> None:
        if self.raws:
            self._drop(reject, "stream ended inside a general-block-transfer message")


__all__ = ["StreamTransport"]
