"""Pure-Python twin of :mod:`amsparse._scan_c`: find HDLC frames in a buffer.

``scan(buf, start, end, max_frame_size, shared, final)`` walks
``buf[start:end]`` once and returns ``(items, resume, shared, need)``:

* ``items``: a list of ``(kind, start, stop, aux)`` tuples in stream order,
  covering every byte of ``buf[start:resume]`` exactly once (a flag shared by
  two frames is covered by both; ``aux`` = 1 on the second one):

  - ``DISCARD`` (0): bytes skipped while hunting for a frame start;
  - ``FRAME`` (1): a complete frame, flags, HCS and FCS correct; ``aux`` = 1
    when its opening flag is the closing flag of the previous frame;
  - ``REJECT`` (2): a candidate whose header (format, length, addresses, HCS)
    is right but whose body is not (closing flag, FCS, no information field,
    or, with ``final``, the input ends inside it).  ``stop`` is the next 0x7E
    after the candidate's start (or its end): scanning resumes there, so a
    valid frame hidden inside a broken one is still found.  ``aux`` = 1 as
    for FRAME.

* ``resume``: where the next call must start (bytes before it are done);
* ``shared``: whether ``buf[resume]`` is a flag already accounted for (the
  closing flag of the last frame);
* ``need``: how many bytes from ``resume`` must be present before another call
  can make progress (the caller may skip calls until then).

With ``final`` true (end of input), candidates still waiting for bytes are
given up (REJECT when their HCS was good, otherwise the flag is discarded) and
scanning continues after their start.

Cost: each call examines every byte of its window a bounded number of times,
whatever the input.  A rejected candidate's FCS is not recomputed over its
claimed length: once an FCS has failed, :class:`PrefixFcs` keeps the CRC
register at every ``BLOCK``-th byte of the window (built once, lazily) and
combines two of them with the linear map of ``n`` zero bytes (as zlib's
``crc32_combine``), so one check costs at most ``3 * BLOCK`` bytes of CRC
however long the candidate claims to be.  Before the first failure checks run
directly: a frame whose FCS is right is consumed, so those spans never overlap.  ``fcs_bytes()`` counts the bytes run through the CRC for FCS checks (a debug
counter for the tests' structural bound; the compiled twin has the same one).

Keep this file and ``_scan_c.pyx`` in step: they are tested against each other.
"""

from __future__ import annotations

from binascii import crc_hqx as _crc_hqx
from typing import Any

from ._crc import _REVERSE_BITS, fcs16

__all__ = ["BLOCK", "DISCARD", "FRAME", "REJECT", "PrefixFcs", "PrefixState", "fcs_bytes", "scan"]

#: spacing of the stored CRC registers; spans shorter than 3 blocks are run directly
BLOCK = 64
_fcs_bytes = 0  # bytes run through the CRC by FCS checks (see the module doc)


def fcs_bytes() -> int:
    """Bytes run through the CRC by FCS checks since import (PrefixFcs: this
    scanner and the stream's rejected-candidate errors); a debug counter."""
    return _fcs_bytes

# _SHIFT[m]: (low-byte, high-byte) tables of the linear map "m * BLOCK zero bytes"
# on the (bit-reversed, unreflected) register binascii.crc_hqx works with
_SHIFT: dict[int, tuple[list[int], list[int]]] = {}


def _shift_tables(m: int) -> tuple[list[int], list[int]]:
    t = _SHIFT.get(m)
    if t is None:
        zeros = bytes(m * BLOCK)
        cols = [_crc_hqx(zeros, 1 << k) for k in range(16)]
        lo = [0] * 256
        hi = [0] * 256
        for v in range(1, 256):
            low = (v & -v).bit_length() - 1
            lo[v] = lo[v & (v - 1)] ^ cols[low]
            hi[v] = hi[v & (v - 1)] ^ cols[8 + low]
        t = _SHIFT[m] = (lo, hi)
    return t


def _finish(reg: int) -> int:
    return (_REVERSE_BITS[reg & 0xFF] << 8 | _REVERSE_BITS[reg >> 8]) ^ 0xFFFF


class PrefixFcs:
    """``fcs(a, c) == fcs16(buf, a, c)``: at most ``3 * BLOCK`` bytes of CRC per
    call (for ``a >= base - BLOCK``) after a one-off pass over ``buf[base:c]``.
    The bytes it has passed over must not change while it is in use, except
    through :meth:`drop` (the front deleted); ``scan(..., prefix=)`` keeps one
    across calls.  The compiled twin is ``_scan_c.PrefixState``."""

    __slots__ = ("buf", "base", "regs", "on")

    def __init__(self, buf: Any = None, base: int = 0, on: bool = False) -> None:
        self.buf = buf
        self.base = base
        # off until an FCS fails: a frame that checks out is consumed, so direct
        # checks run over each byte once at most and the normal path stays as fast
        self.on = on
        self.regs = [0xFFFF]  # regs[k]: register after buf[base : base + k * BLOCK]

    def _reg(self, k: int) -> int:
        global _fcs_bytes
        regs = self.regs
        buf = self.buf
        while len(regs) <= k:
            p = self.base + (len(regs) - 1) * BLOCK
            regs.append(_crc_hqx(bytes(buf[p : p + BLOCK]).translate(_REVERSE_BITS), regs[-1]))
            _fcs_bytes += BLOCK
        return regs[k]

    def fcs(self, a: int, c: int) -> int:
        global _fcs_bytes
        base = self.base
        if not self.on or c - a < 3 * BLOCK or a < base - BLOCK:
            _fcs_bytes += c - a
            return fcs16(self.buf, a, c)
        buf = self.buf
        ka = -((base - a) // BLOCK) if a > base else 0  # first stored register at or after a
        kc = (c - base) // BLOCK  # last one at or before c
        qa = base + ka * BLOCK
        qc = base + kc * BLOCK
        _fcs_bytes += (qa - a) + (c - qc)
        reg = _crc_hqx(bytes(buf[a:qa]).translate(_REVERSE_BITS), 0xFFFF)
        # register after buf[a:qc]: regs[kc] ^ Z^(qc-qa)(reg ^ regs[ka])
        x = reg ^ self._reg(ka)
        lo, hi = _shift_tables(kc - ka)
        reg = self._reg(kc) ^ lo[x & 0xFF] ^ hi[x >> 8]
        return _finish(_crc_hqx(bytes(buf[qc:c]).translate(_REVERSE_BITS), reg))

    def crc(self, buf: Any, a: int, c: int) -> int:
        """``fcs16(buf, a, c)``; ``buf`` is the buffer this state follows."""
        self.buf = buf
        return self.fcs(a, c)

    def drop(self, n: int) -> None:
        """The first ``n`` bytes of the buffer were deleted (the rest is
        unchanged, more may be appended): keep the registers still inside."""
        if n <= 0:
            return
        base = self.base
        k = -((base - n) // BLOCK) if n > base else 0
        if k >= len(self.regs):  # nothing stored is left: off again until an FCS fails
            self.regs = [0xFFFF]
            self.base = 0
            self.on = False
        else:
            del self.regs[:k]
            self.base = base + k * BLOCK - n


PrefixState = PrefixFcs  # the name scan(..., prefix=) callers use with either twin

DISCARD = 0
FRAME = 1
REJECT = 2

# _check results
_NOTCAND = -1
_WAIT_HEADER = -2  # not enough bytes to check the header; in final mode: not a candidate
_WAIT_BODY = -3  # header (HCS) good, frame incomplete; in final mode: reject


def _check(buf: Any, i: int, end: int, maxfs: int, pf: PrefixFcs) -> tuple[int, int, int]:
    """-> (status, total, need)."""
    avail = end - i
    if avail < 3:
        return _WAIT_HEADER, 0, 3
    f = buf[i + 1]
    if f & 0xF0 != 0xA0:
        return _NOTCAND, 0, 0
    length = ((f & 0x07) << 8) | buf[i + 2]
    total = length + 2
    if length < 7 or total > maxfs:
        return _NOTCAND, 0, 0
    fcs_pos = total - 3
    p = 3
    for _ in range(2):  # destination, source address
        n = 0
        while True:
            if p >= fcs_pos:
                return _NOTCAND, 0, 0
            if p >= avail:
                return _WAIT_HEADER, total, p + 1
            b = buf[i + p]
            p += 1
            n += 1
            if b & 1:
                if n == 3:
                    return _NOTCAND, 0, 0
                break
            if n == 4:
                return _NOTCAND, 0, 0
    if p >= fcs_pos:  # control
        return _NOTCAND, 0, 0
    p += 1
    if p + 2 > fcs_pos:
        return _NOTCAND, 0, 0
    if avail < p + 2:
        return _WAIT_HEADER, total, p + 2
    if fcs16(buf, i + 1, i + p) != buf[i + p] | (buf[i + p + 1] << 8):
        return _NOTCAND, 0, 0
    if avail < total:
        return _WAIT_BODY, total, total
    if buf[i + total - 1] != 0x7E:
        return REJECT, total, 0
    if pf.fcs(i + 1, i + fcs_pos) != buf[i + fcs_pos] | (buf[i + fcs_pos + 1] << 8):
        pf.on = True  # a failed FCS leaves bytes to look at again: store registers from now on
        return REJECT, total, 0
    if p + 2 == fcs_pos:  # no information field
        return REJECT, total, 0
    return FRAME, total, 0


def scan(buf: Any, start: int, end: int, max_frame_size: int, shared: bool, final: bool,
         prefix: PrefixFcs | None = None) -> tuple[list[tuple[int, int, int, int]], int, bool, int]:
    out: list[tuple[int, int, int, int]] = []
    if start >= end:
        return out, end, shared, 1
    i = start
    shared_pos = start if shared else -1
    disc = -1  # start of the current discard run
    find = buf.find
    if prefix is None:
        pf = PrefixFcs(buf, start)
    else:  # kept by the caller across calls on a buffer that only grows and loses its front
        pf = prefix
        pf.buf = buf
    while i < end:
        if buf[i] != 0x7E:
            j = find(b"\x7e", i, end)
            if j < 0:
                j = end
            if disc < 0:
                disc = i
            i = j
            continue
        status, total, need = _check(buf, i, end, max_frame_size, pf)
        if status == _WAIT_HEADER or status == _WAIT_BODY:
            if not final:
                if disc >= 0:
                    out.append((DISCARD, disc, i, 0))
                return out, i, i == shared_pos, need
            status = _NOTCAND if status == _WAIT_HEADER else REJECT
        if status == _NOTCAND:
            if i != shared_pos and disc < 0:
                disc = i
            i += 1
            continue
        if disc >= 0:
            out.append((DISCARD, disc, i, 0))
            disc = -1
        if status == FRAME:
            out.append((FRAME, i, i + total, 1 if i == shared_pos else 0))
            i = i + total - 1
            shared_pos = i
            continue
        # REJECT: stop at the next flag inside the candidate (or its end)
        stop = min(i + total, end)
        j = find(b"\x7e", i + 1, stop)
        if j < 0:
            j = stop
        out.append((REJECT, i, j, 1 if i == shared_pos else 0))
        i = j
    if disc >= 0:
        out.append((DISCARD, disc, end, 0))
    return out, end, False, 1
