"""The pure-Python twin's stream run loop (``_decode_c.decode_run``'s twin)."""

from __future__ import annotations

from typing import Any, Callable

from ._decode_py import DecoderCore
from ._hdlc_py import _decode_hdlc

__all__ = ["decode_run"]


def decode_run(buf: bytearray, items: list[tuple[int, int, int, int]], i: int, dc: DecoderCore,
               event_cls: Callable[[Any, bytes], Any], events: list[Any],
               reject: Callable[[list[Any], bytes, BaseException], None],
               keys: Any = None, require_auth: bool = False) -> tuple[int, int, int]:
    """StreamDecoder's loop over the scanner's items, for the common case.

    From ``items[i]`` on, while the item is a frame (kind 1) without the HDLC
    segmentation bit: copy it out of ``buf``, decode it as ``decode_frame``
    does (ciphered frames decrypted with ``keys`` when given, as the stream
    passes them when no replay guard needs to see each frame; block-transfer
    frames are rejected here and handed on by ``reject``) and append ``event_cls(frame, raw)`` to
    ``events``, or call ``reject(events, raw, error)``.  Returns ``(next
    index, frames decoded, shared flags counted)``."""
    n = len(items)
    decoded = shared = 0
    while i < n:
        kind, start, stop, aux = items[i]
        if kind != 1:
            break
        if start < 0 or stop > len(buf) or stop - start < 9:
            raise IndexError("scanner item outside the buffer")
        if buf[start + 1] & 0x08:
            break
        if aux:
            shared += 1
        raw = bytes(buf[start:stop])
        try:
            frame = _decode_hdlc(raw, dc, keys, require_auth)
        except Exception as e:  # any failure is this frame's rejection (reject() wraps it)
            reject(events, raw, e)
        else:
            events.append(event_cls(frame, raw))
            decoded += 1
        i += 1
    return i, decoded, shared
