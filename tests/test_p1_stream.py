"""P1 telegrams in StreamDecoder: found beside HDLC frames, resync on '/',
bounded memory, chunking-independent, same events and counters."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from streamrun import run

import amsparse
from amsparse import (
    BytesDiscarded,
    ChecksumError,
    FrameDecoded,
    FrameRejected,
    IncompleteFrameError,
    StreamDecoder,
    TelegramError,
)

HERE = Path(__file__).parent
TELS = [r for r in map(json.loads, (HERE / "corpus" / "telegrams.jsonl").read_text(encoding="utf-8").splitlines()) if r and r.get("framing") == "p1"]
GOOD = [bytes.fromhex(r["hex"]) for r in TELS if r["crc_ok"] and not r["id"].startswith("esy")]
BAD_CRC = [bytes.fromhex(r["hex"]) for r in TELS if r["crc_ok"] is False]
HDLC = [bytes.fromhex(r["hex"]) for r in map(json.loads, (HERE / "corpus" / "frames.jsonl").read_text(encoding="utf-8").splitlines())
        if r and r.get("framing") == "hdlc" and r.get("list") == "list2" and not r.get("encrypted")][:6]


def summary(events):  # type: ignore[no-untyped-def]
    """Events without the chunking-dependent split of discarded runs."""
    out = []
    disc = 0
    for ev in events:
        if type(ev) is BytesDiscarded:
            disc += ev.count
            continue
        if disc:
            out.append(("discard", disc))
            disc = 0
        if type(ev) is FrameDecoded:
            out.append(("frame", ev.raw, ev.frame))
        else:
            out.append(("reject", ev.raw, type(ev.error), ev.error.args))
    if disc:
        out.append(("discard", disc))
    return out


def accounting(dec, events, total: int) -> None:  # type: ignore[no-untyped-def]
    raw = sum(len(ev.raw) for ev in events if type(ev) is not BytesDiscarded)
    disc = sum(ev.count for ev in events if type(ev) is BytesDiscarded)
    assert disc == dec.bytes_discarded
    assert raw + disc - dec.shared_flags == total == dec.bytes_fed


def mixed(rnd: random.Random) -> tuple[bytes, list[bytes]]:
    parts: list[bytes] = []
    for _ in range(30):
        k = rnd.randrange(4)
        if k == 0:
            parts.append(rnd.choice(GOOD))
        elif k == 1:
            parts.append(rnd.choice(HDLC))
        elif k == 2:
            parts.append(bytes(rnd.choice(b"abc \r\n\x00\xff!(") for _ in range(rnd.randrange(1, 20))))
        else:
            parts.append(rnd.choice(BAD_CRC))
    return b"".join(parts), parts


def test_telegrams_and_hdlc_frames_in_one_stream() -> None:
    rnd = random.Random(7)
    data, parts = mixed(rnd)
    dec, events = run(data)
    accounting(dec, events, len(data))
    tel_events = [ev for ev in events if not isinstance(ev, BytesDiscarded) and ev.raw.startswith(b"/")]
    want = [p for p in parts if p.startswith(b"/")]
    assert [ev.raw for ev in tel_events] == want
    for ev in tel_events:
        if ev.raw in BAD_CRC:
            assert isinstance(ev, FrameRejected) and isinstance(ev.error, ChecksumError)
        else:
            assert isinstance(ev, FrameDecoded) and ev.frame == amsparse.decode_telegram(ev.raw)
    hdlc_events = [ev for ev in events if isinstance(ev, FrameDecoded) and ev.raw.startswith(b"~")]
    assert [ev.raw for ev in hdlc_events] == [p for p in parts if p.startswith(b"~")]
    assert dec.frames_decoded == len(hdlc_events) + sum(1 for ev in tel_events if isinstance(ev, FrameDecoded))
    assert dec.frames_rejected["ChecksumError"] == sum(1 for p in want if p in BAD_CRC)


@pytest.mark.parametrize("seed", range(4))
def test_chunking_does_not_matter(seed: int) -> None:
    rnd = random.Random(seed)
    data, _ = mixed(rnd)
    _, whole = run(data)
    chunks = [rnd.randrange(1, 200) for _ in range(len(data) // 50)]
    dec, pieces = run(data, chunks)
    accounting(dec, pieces, len(data))
    assert summary(pieces) == summary(whole)
    if seed == 0:
        dec, bytewise = run(data, [1] * len(data))
        assert summary(bytewise) == summary(whole)


def test_resync_on_slash() -> None:
    t = GOOD[0]
    data = b"noise" + t[: len(t) // 2] + t + b"xyz"
    dec, events = run(data)
    kinds = [type(ev) for ev in events]
    assert kinds == [BytesDiscarded, FrameRejected, FrameDecoded, BytesDiscarded]
    assert isinstance(events[1].error, IncompleteFrameError) and events[1].raw == t[: len(t) // 2]
    assert events[2].raw == t
    accounting(dec, events, len(data))


def test_telegram_interrupted_by_hdlc_frame() -> None:
    t = GOOD[1]
    data = t[:100] + HDLC[0] + t
    dec, events = run(data)
    got = [(type(ev), ev.raw[:1]) for ev in events if not isinstance(ev, BytesDiscarded)]
    assert got == [(FrameRejected, b"/"), (FrameDecoded, b"~"), (FrameDecoded, b"/")]
    assert dec.frames_rejected == {"IncompleteFrameError": 1}


def test_a_megabyte_without_end_is_rejected_in_bounded_memory() -> None:
    dec = StreamDecoder(max_telegram_size=4096)
    events = []
    chunk = b"/ABC5" + b"1-0:1.8.1(000001.000*kWh)\r\n" * 40
    fed = 0
    while fed < 1 << 20:
        events += dec.feed(chunk[5:] if fed else chunk)
        fed += len(chunk) - (5 if fed else 0)
        assert dec.telegram_buffered <= 4096 + len(chunk)
    events += dec.flush()
    rejects = [ev for ev in events if isinstance(ev, FrameRejected)]
    assert rejects and all(isinstance(ev.error, TelegramError) for ev in rejects[:1])
    assert "max_telegram_size" in str(rejects[0].error)
    assert dec.telegram_buffered == 0
    accounting(dec, events, fed)


def test_end_of_stream() -> None:
    t = GOOD[2]
    # telegram without its final CR LF, at the end of the input
    dec, events = run(t.rstrip(b"\r\n"))
    assert [type(ev) for ev in events] == [FrameDecoded]
    # cut before the '!': rejected at flush
    dec, events = run(t[:-10])
    assert [type(ev) for ev in events] == [FrameRejected]
    assert isinstance(events[0].error, IncompleteFrameError)
    # a lone '/' or '/ab' is noise
    dec, events = run(b"xx/ab")
    assert all(type(ev) is BytesDiscarded for ev in events) and dec.bytes_discarded == 5


def test_p1_off_and_p1_options() -> None:
    t = GOOD[0]
    dec, events = run(t, p1=False)
    assert all(isinstance(ev, BytesDiscarded) for ev in events) and dec.bytes_discarded == len(t)
    dec, events = run(t, tz="UTC")
    assert events[0].frame.meter_time.utcoffset().total_seconds() == 0
    with pytest.raises(ValueError):
        StreamDecoder(max_telegram_size=3)
