"""Capture files: raw bytes as read from the port, or hex text (one frame per
line, ``#`` comments and spaces allowed).  Shared by the readers, ``replay``
and ``convert``."""

from __future__ import annotations

import string

_HEX = frozenset(string.hexdigits + " \t\r\n:")


def hex_lines(text: str) -> list[bytes] | None:
    """The frames of a hex text capture, or ``None`` if ``text`` is not one."""
    frames: list[bytes] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        if not set(line) <= _HEX:
            return None
        line = line.replace(" ", "").replace("\t", "").replace(":", "").strip()
        if not line:
            continue
        try:
            frames.append(bytes.fromhex(line))
        except ValueError:
            return None
    return frames


def load_capture(data: bytes) -> tuple[list[bytes], bool]:
    """-> (pieces, is_hex).  A hex capture gives one piece per frame; a raw
    capture gives the whole buffer as one piece."""
    if data[:1] != b"\x7e":
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            text = None
        if text is not None:
            frames = hex_lines(text)
            if frames is not None and frames:
                return frames, True
    return [data], False


def hex_payload(payload: bytes) -> bytes:
    """An MQTT payload: raw frame bytes, or the same as hex text (spaces allowed)."""
    if payload[:1] == b"\x7e":
        return payload
    try:
        text = payload.decode("ascii")
    except UnicodeDecodeError:
        return payload
    frames = hex_lines(text)
    if frames is None:
        return payload
    return b"".join(frames)
