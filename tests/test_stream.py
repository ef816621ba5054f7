"""StreamDecoder: resynchronisation, chunking invariance, byte accounting,
segmentation and bounded memory.  Runs with the compiled scanner when built,
and always checks the pure-Python scanner twin against it."""

from __future__ import annotations

import io
import os
import random
import tracemalloc

import corpusdata
import encoder as enc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamrun import run

import amsparse
from amsparse import (
    BytesDiscarded,
    ChecksumError,
    FrameDecoded,
    FrameRejected,
    IncompleteFrameError,
    SegmentedFrameError,
    StreamDecoder,
    UnsupportedApduError,
    _scan_py,
    _stream,
)
from amsparse._decode_py import fcs16, parse_hdlc

RECS = corpusdata.by_id()


def _good_ids():
    out = []
    for rid, r in RECS.items():
        if (r.get("framing") != "hdlc" or r.get("encrypted") or r.get("marked_corrupt")
                or str(r.get("segments", 1)) != "1" or rid[:3] not in ("aid", "kfm", "kam", "lg-")):
            continue
        try:
            amsparse.decode_frame(bytes.fromhex(r["hex"]))
        except amsparse.DecodeError:
            continue
        out.append(rid)
    return sorted(out)


GOOD = _good_ids()
FRAMES = [bytes.fromhex(RECS[i]["hex"]) for i in GOOD]
SMALL = sorted(FRAMES, key=len)[:12]  # short frames for the byte-by-byte property tests


def normalize(events):
    """Merge adjacent BytesDiscarded (their split depends on chunk boundaries)."""
    out = []
    for ev in events:
        if type(ev) is BytesDiscarded and out and out[-1][0] == "discard":
            out[-1] = ("discard", out[-1][1] + ev.count)
        elif type(ev) is BytesDiscarded:
            out.append(("discard", ev.count))
        elif type(ev) is FrameDecoded:
            out.append(("frame", ev.raw, ev.frame))
        else:
            out.append(("reject", ev.raw, type(ev.error).__name__, ev.error.args))
    return out


def decoded_raws(events):
    return [ev.raw for ev in events if type(ev) is FrameDecoded]


def check_accounting(dec, events, total):
    raw = sum(len(ev.raw) for ev in events if type(ev) is not BytesDiscarded)
    disc = sum(ev.count for ev in events if type(ev) is BytesDiscarded)
    assert disc == dec.bytes_discarded
    assert raw + disc - dec.shared_flags == total == dec.bytes_fed
    assert dec.frames_decoded == sum(type(e) is FrameDecoded for e in events)
    assert sum(dec.frames_rejected.values()) == sum(type(e) is FrameRejected for e in events)


def bad_fcs(frame: bytes) -> bytes:
    b = bytearray(frame)
    b[-2] ^= 0x55
    return bytes(b)


# --------------------------------------------------------------------------- basics

def test_corpus_has_frames():
    assert len(FRAMES) >= 20
    assert any(b"\x7e" in f[1:-1] for f in FRAMES)


def test_api_exports():
    for name in ("StreamDecoder", "FrameDecoded", "FrameRejected", "BytesDiscarded", "iter_frames", "iter_events"):
        assert name in amsparse.__all__ and hasattr(amsparse, name)


def test_clean_stream_all_frames():
    data = b"".join(FRAMES)
    dec, events = run(data)
    assert decoded_raws(events) == FRAMES
    assert [e.frame for e in events] == [amsparse.decode_frame(f) for f in FRAMES]
    assert dec.bytes_discarded == 0 and dec.buffered == 0
    check_accounting(dec, events, len(data))


def test_events_are_frozen_slotted():
    ev = BytesDiscarded(1, b"x")
    with pytest.raises(Exception):
        ev.count = 2  # type: ignore[misc]
    assert not hasattr(ev, "__dict__")


def test_flag_inside_data_kfm_list1_07():
    f = bytes.fromhex(RECS["kfm-list1-07"]["hex"])
    assert b"\x7e" in f[1:-1]
    data = f + b"\x00\x7e" + f + f
    dec, events = run(data)
    assert decoded_raws(events) == [f, f, f]
    check_accounting(dec, events, len(data))


def test_shared_flags():
    data = FRAMES[0] + b"".join(f[1:] for f in FRAMES[1:])
    dec, events = run(data)
    assert decoded_raws(events) == FRAMES
    assert dec.shared_flags == len(FRAMES) - 1
    assert dec.bytes_discarded == 0
    check_accounting(dec, events, len(data))


def test_flag_runs_are_discarded():
    data = b"\x7e\x7e\x7e" + FRAMES[0] + b"\x7e" * 5 + FRAMES[1] + b"\x7e"
    dec, events = run(data)
    assert decoded_raws(events) == FRAMES[:2]
    assert dec.bytes_discarded == 9
    check_accounting(dec, events, len(data))


# --------------------------------------------------------------------------- junk

JUNKS = [
    b"",
    b"\x00",
    b"\x7e",
    b"\xff\xff\x7e\x7e",
    b"\x7e\xa0",  # header start
    b"\x7e\xa0\x30\x41\x08\x83",  # looks like a frame header, never completed
    b"\x7e\xa7\xff\x01\x02",  # claims 2049 bytes
    b"hello world\r\n",
    bytes(range(256)),
]


@pytest.mark.parametrize("junk", JUNKS, ids=range(len(JUNKS)))
def test_junk_after_every_frame(junk):
    data = b"".join(f + junk for f in FRAMES)
    dec, events = run(data)
    assert decoded_raws(events) == FRAMES
    check_accounting(dec, events, len(data))


def test_fake_header_swallowing_good_frames():
    # a header with a valid HCS claiming a long frame: the good frames inside it survive
    hdr = bytearray(b"\x7e\xa3\x00\x41\x08\x83\x13")
    h = fcs16(hdr, 1)
    hdr += bytes([h & 0xFF, h >> 8])
    data = bytes(hdr) + b"".join(FRAMES[:5]) + FRAMES[5]
    dec, events = run(data)
    assert decoded_raws(events) == FRAMES[:6]
    rej = [e for e in events if type(e) is FrameRejected]
    assert len(rej) == 1 and rej[0].raw == bytes(hdr)
    check_accounting(dec, events, len(data))


def test_truncated_frames_between_good_ones():
    rng = random.Random(1)
    parts, expect = [], []
    for f in FRAMES:
        g = rng.choice(FRAMES)
        parts.append(g[: rng.randrange(1, len(g) - 1)])
        parts.append(f)
        expect.append(f)
    data = b"".join(parts)
    dec, events = run(data)
    assert decoded_raws(events) == expect
    check_accounting(dec, events, len(data))


def test_bad_fcs_between_good_ones():
    data = b"".join(f + bad_fcs(g) for f, g in zip(FRAMES, FRAMES[1:] + FRAMES[:1]))
    dec, events = run(data)
    assert decoded_raws(events) == FRAMES
    assert dec.frames_rejected["ChecksumError"] == len(FRAMES)
    for ev in events:
        if type(ev) is FrameRejected:
            assert isinstance(ev.error, ChecksumError) and ev.error.kind == "FCS"
    check_accounting(dec, events, len(data))


def test_start_in_the_middle_of_a_frame():
    for f in FRAMES[:20]:
        for cut in (1, 2, 3, len(f) // 2, len(f) - 2):
            data = f[cut:] + FRAMES[0] + FRAMES[1]
            dec, events = run(data)
            assert decoded_raws(events)[-2:] == [FRAMES[0], FRAMES[1]]
            check_accounting(dec, events, len(data))


def test_truncated_tail_at_flush():
    f = FRAMES[3]
    dec = StreamDecoder()
    assert dec.feed(f[:-4]) == []
    assert dec.buffered == len(f) - 4
    events = dec.flush()
    assert len(events) == 1 and isinstance(events[0].error, IncompleteFrameError)
    assert dec.buffered == 0


def test_apdu_error_is_rejected():
    enc = [bytes.fromhex(r["hex"]) for r in RECS.values()
           if r.get("framing") == "hdlc" and r.get("encrypted") and str(r.get("segments")) == "1"]
    enc = [e for e in enc if _frame_ok(e)]
    assert enc
    data = FRAMES[0] + enc[0] + FRAMES[1]
    dec, events = run(data)
    assert decoded_raws(events) == FRAMES[:2]
    rej = [e for e in events if type(e) is FrameRejected]
    assert len(rej) == 1 and isinstance(rej[0].error, UnsupportedApduError) and rej[0].raw == enc[0]


def _frame_ok(f):
    items = _scan_py.scan(bytearray(f), 0, len(f), 2050, False, True)[0]
    return [k for k, *_ in items] == [1]


# --------------------------------------------------------------------------- segmentation

@pytest.mark.parametrize("rid", ["isk-other-31", "isk-other-33"])
def test_iskra_segmented(rid):
    blob = bytes.fromhex(RECS[rid]["hex"])
    dec, events = run(FRAMES[0] + blob + FRAMES[1])
    assert decoded_raws(events)[0] == FRAMES[0] and decoded_raws(events)[-1] == FRAMES[1]
    mid = events[1]
    assert mid.raw == blob
    if type(mid) is FrameDecoded:
        assert len(mid.frame) > 5
    else:  # a positional list no built-in profile names
        assert type(mid.error).__name__ == "ProfileMismatchError"
    check_accounting(dec, events, len(FRAMES[0] + blob + FRAMES[1]))


def test_iskra_31_decodes():
    blob = bytes.fromhex(RECS["isk-other-31"]["hex"])
    dec, events = run(blob)
    assert len(events) == 1 and type(events[0]) is FrameDecoded
    assert events[0].frame.meter_id


def _segments(blob):
    items = _scan_py.scan(bytearray(blob), 0, len(blob), 2050, False, True)[0]
    return [blob[s:e] for k, s, e, _ in items if k == 1]


def test_broken_segment_sequence():
    segs = _segments(bytes.fromhex(RECS["isk-other-31"]["hex"]))
    assert len(segs) == 3 and all(s[1] & 0x08 for s in segs[:2])
    # first segments, then the stream ends
    dec = StreamDecoder()
    ev = dec.feed(segs[0] + segs[1]) + dec.flush()
    assert len(ev) == 1 and isinstance(ev[0].error, SegmentedFrameError) and ev[0].raw == segs[0] + segs[1]
    # a frame from other addresses interrupts the sequence
    dec, events = run(segs[0] + FRAMES[0] + FRAMES[1])
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["FrameRejected", "FrameDecoded", "FrameDecoded"]
    assert isinstance(events[0].error, SegmentedFrameError)
    # oversize
    dec, events = run(b"".join(segs), max_apdu_size=200)
    assert any(type(e) is FrameRejected and isinstance(e.error, SegmentedFrameError) for e in events)
    assert not any(type(e) is FrameDecoded for e in events)


@pytest.mark.parametrize("rid", sorted(r for r in RECS if r.startswith("lg-other") and not RECS[r]["encrypted"]))
def test_lg_multi_frame_blobs(rid):
    blob = bytes.fromhex(RECS[rid]["hex"])
    dec, events = run(blob)
    assert events and dec.bytes_discarded == 0
    # the general-block-transfer blocks are joined into one message: one event
    # for the whole blob (decoded, or rejected whole, e.g. a self-describing
    # L+G list no profile names yet), never one per block
    msgs = [ev for ev in events if type(ev) in (FrameDecoded, FrameRejected)]
    assert len(msgs) == 1 and msgs[0].raw == blob
    if type(msgs[0]) is FrameRejected:
        assert isinstance(msgs[0].error, (amsparse.ApduError, amsparse.ProfileMismatchError))
    check_accounting(dec, events, len(blob))


# --------------------------------------------------------------------------- properties

def _stream_for(draw):
    pieces = draw(st.lists(st.sampled_from(SMALL), min_size=1, max_size=6))
    junk = st.one_of(
        st.binary(max_size=12),
        st.sampled_from([b"\x7e", b"\x7e\x7e", b"\x7e\xa0", b"\x7e\xa0\x2a\x41"]),
        st.sampled_from(SMALL).map(lambda f: f[: len(f) // 2]),
        st.sampled_from(SMALL).map(bad_fcs),
    )
    out, expect = b"", []
    for p in pieces:
        out += draw(junk) + p
        expect.append(p)
    return out + draw(junk), expect


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_chunking_invariance(data):
    stream, expect = _stream_for(data.draw)
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=10))
    chunks = [b - a for a, b in zip([0] + sorted(cuts), sorted(cuts))]
    d1, whole = run(stream)
    d2, cut = run(stream, chunks)
    d3, single = run(stream, [1] * len(stream))
    assert normalize(whole) == normalize(cut) == normalize(single)
    for d, ev in ((d1, whole), (d2, cut), (d3, single)):
        check_accounting(d, ev, len(stream))
    # every intact frame recovered, in order, exactly once (a junk prefix may
    # combine with a frame into another CRC-valid frame only by accident)
    got = decoded_raws(whole)
    it = iter(got)
    assert all(any(g == e for g in it) for e in expect)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400), st.integers(9, 2050), st.booleans(), st.booleans())
def test_scanner_twins_agree(buf, maxfs, shared, final):
    scan_c = pytest.importorskip("amsparse._scan_c", exc_type=ModuleNotFoundError).scan
    if buf[:1] != b"\x7e":
        shared = False
    buf = bytearray(buf)
    assert scan_c(buf, 0, len(buf), maxfs, shared, final) == _scan_py.scan(buf, 0, len(buf), maxfs, shared, final)


def fake_header(length: int) -> bytes:
    """A flag and an HDLC type-3 header with a good HCS claiming ``length``
    (HCS by the test encoder's CRC): a candidate the scanner must check to its end."""
    h = bytes((0xA0 | (length >> 8), length & 0xFF, 0x41, 0x08, 0x83, 0x13))
    return b"\x7e" + h + enc.crc16_x25(h).to_bytes(2, "little")


def _aligned_flood(k: int, m: int) -> bytes:
    # every k bytes a header claiming k*m - 1: its closing-flag position holds the
    # flag of a later header, so its FCS is computed (and fails)
    return (fake_header(k * m - 1) + bytes(k - 9)) * (m + 2)


LONG = [f for f in FRAMES if len(f) > 3 * _scan_py.BLOCK + 5]  # FCS checked from stored registers
assert LONG

FLOOD_PIECES = st.one_of(
    st.integers(7, 2047).map(fake_header),
    st.sampled_from(LONG),
    st.integers(9, 40).flatmap(lambda k: st.integers(1, 2048 // k).map(lambda m: _aligned_flood(k, m))),
    st.sampled_from(SMALL),
    st.sampled_from(SMALL).map(bad_fcs),
    st.binary(max_size=16),
)


def _scan_kept(mod, buf: bytes, cuts: list[int], final: bool):  # type: ignore[no-untyped-def]
    """Scan ``buf`` fed in pieces as StreamDecoder does (buffer grows at its
    end, loses its front) with one PrefixState kept across the calls; items in
    absolute positions."""
    state = mod.PrefixState()
    b = bytearray()
    out, shared, off, pos = [], False, 0, 0
    for c in sorted(cuts) + [len(buf)]:
        b += buf[pos:c]
        pos = c
        items, resume, shared, _ = mod.scan(b, 0, len(b), 2050, shared, False, state)
        out += [(k, s + off, e + off, a) for k, s, e, a in items]
        del b[:resume]
        state.drop(resume)
        off += resume
    if final and b:
        items, resume, shared, _ = mod.scan(b, 0, len(b), 2050, shared, True, state)
        out += [(k, s + off, e + off, a) for k, s, e, a in items]
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(FLOOD_PIECES, max_size=12).map(b"".join), st.booleans(), st.data())
def test_scanner_twins_agree_on_fake_header_floods(buf, final, data):
    """Issue 11, F6: floods of good-HCS headers (FCS checks from the stored CRC
    registers) give the same items in both twins, in one call or fed in pieces
    with the registers kept across calls."""
    scan_c = pytest.importorskip("amsparse._scan_c")
    whole = _scan_py.scan(bytearray(buf), 0, len(buf), 2050, False, final)
    assert scan_c.scan(bytearray(buf), 0, len(buf), 2050, False, final) == whole
    cuts = data.draw(st.lists(st.integers(0, len(buf)), max_size=8))
    kept = _scan_kept(_scan_py, buf, cuts, final)
    assert _scan_kept(scan_c, buf, cuts, final) == kept
    if final:  # pieces or not, the same frames and rejects
        assert [i for i in kept if i[0]] == [i for i in whole[0] if i[0]]
    # a rejected candidate's error, found from the stored registers, is the one
    # parse_hdlc gives on a copy of its claimed length
    pf = _scan_py.PrefixFcs(buf, 0, True)
    for kind, s, _e, _a in whole[0]:
        if kind == 2:
            total = ((buf[s + 1] & 7) << 8 | buf[s + 2]) + 2
            with pytest.raises(amsparse.DecodeError) as ref:
                parse_hdlc(buf[s : s + total])
            got = _stream._hdlc_error(buf, s, pf)
            assert (type(got), got.args, str(got)) == (type(ref.value), ref.value.args, str(ref.value))


def test_scanner_twins_agree_on_corpus_streams():
    scan_c = pytest.importorskip("amsparse._scan_c", exc_type=ModuleNotFoundError).scan
    rng = random.Random(5)
    for _ in range(30):
        parts = []
        for f in rng.sample(FRAMES, 8):
            parts.append(rng.choice([f, bad_fcs(f), f[: len(f) // 2], bytes(rng.randrange(256) for _ in range(5))]))
        buf = bytearray(b"".join(parts))
        for final in (False, True):
            assert scan_c(buf, 0, len(buf), 2050, False, final) == _scan_py.scan(buf, 0, len(buf), 2050, False, final)


# --------------------------------------------------------------------------- noise and memory

def test_random_noise_bounded():
    rng = random.Random(1234)
    dec = StreamDecoder()
    total = 0
    decoded = 0
    for _ in range(48):
        chunk = rng.randbytes(65536) if hasattr(rng, "randbytes") else os.urandom(65536)
        # make it flag-rich so candidates are really exercised
        chunk = chunk.replace(b"\x00", b"\x7e").replace(b"\x01", b"\xa0")
        total += len(chunk)
        for ev in dec.feed(chunk):
            if type(ev) is FrameDecoded:
                decoded += 1
        assert dec.buffered <= dec.max_frame_size
    for ev in dec.flush():
        decoded += type(ev) is FrameDecoded
    assert decoded <= 2  # only CRC-valid accidents
    assert dec.bytes_fed == total


def test_endless_noise_memory():
    dec = StreamDecoder()
    noise = bytes(random.Random(9).getrandbits(8) for _ in range(1 << 16))
    for _ in range(4):
        dec.feed(noise)
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        for _ in range(40):  # 2.5 MiB
            dec.feed(noise)
            assert dec.buffered <= dec.max_frame_size
        cur, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert cur - base < 64 * 1024
    assert peak - base < 2 * 1024 * 1024  # events of one feed, not the whole stream


def test_waiting_for_a_long_frame_is_bounded():
    dec = StreamDecoder(max_frame_size=300)
    big = bytearray(b"\x7e\xa7\xf0\x41\x08\x83\x13")  # claims > 300 bytes: not a candidate
    dec.feed(bytes(big) + b"\x55" * 5000)
    assert dec.buffered == 0


# --------------------------------------------------------------------------- file helpers

def test_iter_frames_file():
    data = b"\x00junk" + b"".join(FRAMES) + b"\x7e\xa0"
    frames = list(amsparse.iter_frames(io.BytesIO(data), chunk_size=7))
    assert frames == [amsparse.decode_frame(f) for f in FRAMES]
    evs = list(amsparse.iter_events(io.BufferedReader(io.BytesIO(data), 16)))
    assert decoded_raws(evs) == FRAMES


class _Trickle:
    """A raw stream that returns at most 5 bytes per read, then b"" (EOF)."""

    def __init__(self, data):
        self.data = data

    def read(self, n):
        out, self.data = self.data[: min(n, 5)], self.data[min(n, 5):]
        return out


def test_iter_frames_plain_read():
    assert list(amsparse.iter_frames(_Trickle(b"".join(FRAMES[:4])))) == [amsparse.decode_frame(f) for f in FRAMES[:4]]


def test_cli_raw_capture(tmp_path, capsys):
    from amsparse._cli import main

    p = tmp_path / "cap.bin"
    p.write_bytes(b"\x00\xff" + b"".join(FRAMES[:3]) + bad_fcs(FRAMES[3]))
    assert main(["decode", str(p), "--json"]) == 1  # a frame rejected: exit 1
    out, err = capsys.readouterr()
    assert len(out.strip().splitlines()) == 3
    # the two leading bytes are noise skipped, not a rejected frame; the bad FCS is rejected
    assert "skipped 2 bytes of noise at offset 0" in err
    assert "rejected at offset " + str(2 + sum(map(len, FRAMES[:3]))) + " (ChecksumError)" in err


def test_false_start_resolved_at_flush():
    # an HCS-valid header claiming ~2000 bytes, then two short frames and EOF:
    # the frames wait behind the candidate and come out at flush()
    hdr = bytearray(b"\x7e\xa7\xd0\x41\x08\x83\x13")
    h = fcs16(hdr, 1)
    hdr += bytes([h & 0xFF, h >> 8])
    data = bytes(hdr) + SMALL[0] + SMALL[1]
    dec = StreamDecoder()
    assert dec.feed(data) == []
    assert dec.buffered == len(data)
    events = dec.flush()
    assert [type(e) for e in events] == [FrameRejected, FrameDecoded, FrameDecoded]
    assert isinstance(events[0].error, IncompleteFrameError) and events[0].raw == bytes(hdr)
    assert decoded_raws(events) == [SMALL[0], SMALL[1]]
    check_accounting(dec, events, len(data))


def test_feed_after_flush_and_unknown_profile():
    dec = StreamDecoder()
    dec.feed(FRAMES[0][:10])
    dec.flush()
    assert decoded_raws(dec.feed(FRAMES[1]) + dec.flush()) == [FRAMES[1]]
    with pytest.raises(ValueError):
        StreamDecoder(profile="no-such-profile")
