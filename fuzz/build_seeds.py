#!/usr/bin/env python3
"""Build the seed corpora for the atheris harnesses from the frame corpus.

    python fuzz/build_seeds.py [--out fuzz/seeds] [corpus.jsonl ...]

Writes one file per frame into ``<out>/frame`` (HDLC, unencrypted frames plus
encrypted/segmented HDLC frames: they exercise the refusal paths) and into
``<out>/stream`` (concatenations of 1..4 frames with noise between them, for the
StreamDecoder harness).  Default: the repository corpus as the tests read it
(``tests/corpusdata.py``: tests/corpus/frames.jsonl, or ``AMSPARSE_CORPUS``).

The shapes that found issue 11 are generated too (``adversarial()``): into
``stream``, fake-header floods (good-HCS headers claiming the maximum length
every few bytes), wide tables (many unknown OBIS codes, then tiny error frames)
and segment sequences with a gap, a damaged segment or a new push in the
middle; into ``<out>/profile``, user profiles (JSON, some broken, some
``generic``) followed by frames, for ``fuzz_profiles.py``.

The P1 telegrams of tests/corpus/telegrams.jsonl go into ``<out>/p1``
(fuzz_p1.py).  ``pushlist_apdus()`` adds the list kinds of issue 13
(self-describing push lists, OBIS/value/scaler triples, Austrian value-only
lists) to the frame, transport, profile and stream seeds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import corpusdata  # noqa: E402


def load(paths: list[Path]) -> list[bytes]:
    seen: dict[bytes, None] = {}
    for p in paths:
        if not p.is_file():
            continue
        for line in p.read_text().splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            if rec.get("framing") != "hdlc":
                continue
            try:
                seen.setdefault(bytes.fromhex(rec["hex"]), None)
            except ValueError:
                continue
    return list(seen)


def _crc(data: bytes) -> int:
    """CRC-16/X.25 (bitwise; seeds only)."""
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


def hdlc(info: bytes, segmented: bool = False, length: int | None = None) -> bytes:
    n = 2 + 1 + 2 + 1 + 2 + len(info) + 2 if length is None else length
    header = (0xA000 | (0x0800 if segmented else 0) | n).to_bytes(2, "big") + b"\x41\x08\x83\x13"
    header += _crc(header).to_bytes(2, "little")
    body = header + info
    return b"\x7e" + body + _crc(body).to_bytes(2, "little") + b"\x7e"


def push(pairs: list[tuple[bytes, bytes]]) -> bytes:
    n = len(pairs)
    count = bytes([n]) if n < 0x80 else b"\x82" + n.to_bytes(2, "big")
    return b"\xe6\xe7\x00\x0f\x40\x00\x00\x00\x00\x01" + count + b"".join(
        b"\x02\x02\x09\x06" + o + v for o, v in pairs)


def adversarial(rng: random.Random) -> tuple[list[bytes], list[bytes]]:
    """(stream seeds, profile seeds) of the shapes behind issue 11."""
    stream = []
    # fake-header floods: a header with a good HCS claiming the maximum length, every k bytes
    for k in (8, 10, 17):
        fake = hdlc(b"", length=0x7FF)[:9]
        unit = fake + bytes(k - len(fake)) if k > len(fake) else fake
        stream.append(unit * (4096 // len(unit)))
    # wide tables: many unknown OBIS codes, then tiny error frames
    for n in (60, 125):
        wide = hdlc(push([(bytes((7, 1, 200, k, m, 255)), b"\x12" + m.to_bytes(2, "big")) for m in range(n)
                          for k in (0,)]))
        stream.append(wide + hdlc(b"\xe6\xe7\x00\x0f\x00") * 50)
    # segment sequences: whole, with a gap, a damaged segment, a new push inside
    info = push([(bytes((1, 0, c, 7, 0, 255)), b"\x06" + c.to_bytes(4, "big")) for c in (1, 2, 21, 22, 41, 42)])
    for size in (8, 20, 33):
        parts = [info[i : i + size] for i in range(0, len(info), size)]
        segs = [hdlc(p, segmented=i < len(parts) - 1) for i, p in enumerate(parts)]
        whole = hdlc(info) if len(info) < 2000 else b""
        stream.append(b"".join(segs))
        stream.append(b"".join(segs[:1] + segs[2:]))
        bad = bytearray(segs[1])
        bad[-2] ^= 0x55
        stream.append(b"".join(segs[:1]) + bytes(bad) + b"".join(segs[2:]))
        stream.append(b"".join(segs[:2]) + whole + b"".join(segs))
        stream.append(b"".join(segs[:2]) + b"\x00\x01noise" + b"".join(segs[2:]))
    # user profiles x frames: a JSON profile, a NUL, then frames
    generic_bad = {"schema": 1, "id": "generic", "vendor": "x", "layout": "obis",
                   "objects": {"foo": {"obis": "1-0:1.7.0.255"}}}
    generic_ok = {"schema": 1, "id": "generic", "vendor": "x", "layout": "obis",
                  "objects": {"list_version": {"obis": "1-1:0.2.129.255", "type": "string"},
                              "meter_id": {"obis": "0-0:96.1.0.255", "type": "bytes"},
                              "active_power_import": {"obis": "1-0:1.7.0.255", "unit": "W", "scaler": 3}}}
    positional = {"schema": 1, "id": "user-pos", "vendor": "x", "layout": "positional",
                  "list_versions": ["Foo_V1"], "timezone": "Europe/Oslo", "clock": {"policy": "standard"},
                  "objects": {"list_version": {"type": "string"}, "a": {"scaler": -1, "unit": "V"},
                              "b": {"type": "datetime"}},
                  "lists": [{"name": "l", "elements": 3, "fields": ["list_version", "a", "b"]}]}
    frames = [hdlc(push([(bytes((1, 0, 1, 7, 0, 255)), b"\x06\x00\x00\x00\x05")])),
              bytes.fromhex("7ea02a410883130413e6e7000f400000000002030a06466f6f5f563109060100010700ff060000000551947e")]
    profiles = []
    for prof in (generic_bad, generic_ok, positional):
        text = json.dumps(prof).encode()
        profiles.append(text + b"\x00" + b"".join(frames))
        profiles.append(text.replace(b'"scaler": 3', b'"scaler": 300') + b"\x00" + frames[1])
    profiles.append(b'{"a":' * 200 + b"\x00" + frames[0])
    return stream, profiles


def _transport_seeds(dirpath: Path, frames: list[bytes]) -> None:
    """Seeds for fuzz_transport.py (first byte: mode): the APDUs of the HDLC
    frames (mode 0 wraps them in a frame, 1 takes them bare, 3 ciphers them)
    and the corpus's M-Bus captures (mode 2)."""
    dirpath.mkdir(parents=True, exist_ok=True)
    for f in frames:
        if len(f) < 16:
            continue
        apdu = f[f.find(b"\xe6\xe7\x00") + 3 : -3] if b"\xe6\xe7\x00" in f else f[9:-3]
        write(dirpath, b"\x00" + apdu)
        write(dirpath, b"\x01" + apdu)
        if apdu[:1] == b"\x0f":
            write(dirpath, b"\x03\x09" + apdu)
    for rec in corpusdata.records():
        if rec.get("framing") == "mbus":
            write(dirpath, b"\x02" + bytes.fromhex(rec["hex"]))
            write(dirpath, b"\x04\x01\x21" + bytes.fromhex(rec["hex"]) * 2)  # M-Bus stream
    for f in frames[:20]:
        write(dirpath, b"\x04\x00\x07" + f + b"\x00" + f)  # "auto" stream of HDLC frames


def pushlist_apdus() -> list[bytes]:
    """Data-notifications of the list kinds issue 13 added (tests/encoder.py
    builds them): self-describing push lists (L+G, with an attribute-3 scaler
    entry and a logical-name entry), OBIS/value/scaler triples between bare
    values (Kaifa MA309M, Austria), and the value-only lists of the L+G E450 and
    Iskraemeco AM550 (Austria), each also slightly off (a value short, a wrong
    type) so the fuzzers start at the edges of the detection rules."""
    import encoder as E

    clock = E.cosem_datetime(2025, 3, 30, 7, 2, 30, 0, 0, -60, 0x80)
    note = lambda body: E.data_notification(body, header=clock, header_encoding=E.HEADER_0C)  # noqa: E731
    entries = [(1, "0-0:42.0.0.255", 2), (8, "0-0:1.0.0.255", 2), (3, "1-0:32.7.0.255", 2),
               (3, "1-0:31.7.0.255", 2), (3, "1-0:31.7.0.255", 3), (40, "0-8:25.9.0.255", 1),
               (3, "1-1:1.8.0.255", 2), (3, "1-0:13.7.0.255", 2)]
    values = [E.octet_string(b"LGZ1030769231253"), E.octet_string(clock), E.long_unsigned(231),
              E.long_unsigned(1234), E.scaler_unit(-2, 33), E.octet_string(bytes((0, 8, 25, 9, 0, 255))),
              E.long64_unsigned(862055), E.long(998)]
    triples = [("1-0:1.8.0.255", E.double_long_unsigned(12937), 0, 30), ("1-0:2.8.0.255", E.double_long_unsigned(0), 0, 30),
               ("1-0:1.7.0.255", E.double_long_unsigned(0), 0, 27), ("1-0:2.7.0.255", E.double_long_unsigned(0), 0, 27),
               ("1-0:32.7.0.255", E.long_unsigned(2337), -1, 35), ("1-0:52.7.0.255", E.long_unsigned(0), -1, 35),
               ("1-0:72.7.0.255", E.long_unsigned(0), -1, 35), ("1-0:31.7.0.255", E.long_unsigned(0), -2, 33),
               ("1-0:51.7.0.255", E.long_unsigned(0), -2, 33), ("1-0:71.7.0.255", E.long_unsigned(0), -2, 33),
               ("1-0:13.7.0.255", E.long_unsigned(1000), -3, 255)]
    lg = [E.long_unsigned(v) for v in (236, 237, 236, 0, 4, 26)] + \
        [E.double_long_unsigned(v) for v in (29, 0, 31358606, 7619)] + \
        [E.long_unsigned(v) for v in (400, 53, 295)] + [E.octet_string(b"30137181")]
    isk = [E.octet_string(bytes((0, 6, 25, 9, 0, 255))), E.octet_string(b"1121378381199"),
           E.octet_string(bytes((21, 11, 19, 0))), E.octet_string(bytes((7, 232, 5, 7, 2)))] + \
        [E.double_long_unsigned(v) for v in (14370048, 420837, 1455864, 2293936, 0, 47)] + \
        [E.octet_string(b""), E.octet_string(b"")]
    bodies = [
        E.self_describing(entries, values),
        E.self_describing(entries, values[:-1] + [E.null()]),
        E.self_describing(entries, [E.octet_string(b"ISK1")] + values[1:]),
        E.triples([E.octet_string(clock)], triples, [E.octet_string(b"181220000009")]),
        E.triples([E.octet_string(clock)], triples[:4], [E.octet_string(b"1"), E.octet_string(b"2")]),
        E.structure(lg), E.structure(lg[:6] + lg[6:10] + lg[-1:]), E.structure(lg[:-1]),
        E.structure(isk), E.structure([E.octet_string(bytes(6))] + isk[1:]),
    ]
    return [note(b) for b in bodies]


def write(dirpath: Path, data: bytes) -> None:
    (dirpath / hashlib.sha1(data).hexdigest()).write_bytes(data)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "fuzz" / "seeds"))
    ap.add_argument("corpus", nargs="*")
    args = ap.parse_args()
    frames = load([Path(p) for p in args.corpus] if args.corpus else [corpusdata.corpus_path()])
    if not frames:
        raise SystemExit("no HDLC frames found in the corpus files")
    out = Path(args.out)
    (out / "frame").mkdir(parents=True, exist_ok=True)
    (out / "stream").mkdir(parents=True, exist_ok=True)
    (out / "profile").mkdir(parents=True, exist_ok=True)
    for f in frames:
        write(out / "frame", f)
    rng = random.Random(1)
    extra_stream, extra_profile = adversarial(rng)
    for data in extra_stream:
        write(out / "stream", data)
    for data in extra_profile:
        write(out / "profile", data)
    for f in rng.sample(frames, min(20, len(frames))):  # the profile harness on real frames too
        write(out / "profile", json.dumps({"schema": 1, "id": "user-x", "vendor": "x", "layout": "obis",
                                           "objects": {"x": {"obis": "1-0:1.7.0.255"}}}).encode() + b"\x00" + f)
    for _ in range(min(200, 4 * len(frames))):
        parts = []
        for f in rng.sample(frames, rng.randint(1, min(4, len(frames)))):
            parts.append(bytes(rng.randrange(256) for _ in range(rng.choice((0, 0, 1, 3)))))
            parts.append(f)
        write(out / "stream", b"".join(parts))
    _transport_seeds(out / "transport", frames)
    # the list kinds of issue 13: as frames, bare APDUs (transport mode 1) and a stream
    push_frames = [hdlc(b"\xe6\xe7\x00" + a) for a in pushlist_apdus()]
    for a, f in zip(pushlist_apdus(), push_frames):
        write(out / "frame", f)
        write(out / "transport", b"\x01" + a)
        write(out / "profile", json.dumps({"schema": 1, "id": "user-x", "vendor": "x", "layout": "pushlist",
                                           "objects": {"x": {"obis": "1-0:1.7.0.255"}}}).encode() + b"\x00" + f)
    write(out / "stream", b"\x00".join(push_frames))
    # P1 telegrams (tests/corpus/telegrams.jsonl), each with a harness mode byte
    # (fuzz_p1.py: 0 as is, 1 CRC recomputed, 2 streamed), and a mixed stream
    (out / "p1").mkdir(parents=True, exist_ok=True)
    tel_path = ROOT / "tests" / "corpus" / "telegrams.jsonl"
    tels = [bytes.fromhex(json.loads(l)["hex"]) for l in tel_path.read_text().splitlines() if l.strip()] if tel_path.is_file() else []
    for i, t in enumerate(tels):
        write(out / "p1", bytes([i % 3]) + t)
    if tels:
        write(out / "p1", b"\x02" + b"noise".join(tels[:3] + frames[:2]))
    print(f"{len(frames)} frame seeds, {len(list((out / 'stream').iterdir()))} stream seeds, "
          f"{len(list((out / 'profile').iterdir()))} profile seeds, "
          f"{len(list((out / 'p1').iterdir()))} P1 seeds, "
          f"{len(list((out / 'transport').iterdir()))} transport seeds in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
