"""decode_batch with P1 telegrams: the same FrameTable columns as DLMS frames."""

from __future__ import annotations

import json
from pathlib import Path

from tables import assert_same_tables

import amsparse
from amsparse._batch import FrameTable, _decode_batch, reading_columns

HERE = Path(__file__).parent
TELS = [r for r in map(json.loads, (HERE / "corpus" / "telegrams.jsonl").read_text(encoding="utf-8").splitlines()) if r and r.get("framing") == "p1"]
GOOD = [bytes.fromhex(r["hex"]) for r in TELS if r["crc_ok"] and not r["id"].startswith("esy")]
BAD = [bytes.fromhex(r["hex"]) for r in TELS if r["crc_ok"] is False]
HDLC = [bytes.fromhex(r["hex"]) for r in map(json.loads, (HERE / "corpus" / "frames.jsonl").read_text(encoding="utf-8").splitlines())
        if r and r.get("framing") == "hdlc" and r.get("list") == "list2" and not r.get("encrypted")][:4]


def expected(parts: list[bytes], discarded: int) -> FrameTable:
    t = FrameTable()
    t._schema = tuple(reading_columns())  # decode_batch's columns: the profiles', then the data's
    for p in parts:
        try:
            f = amsparse.decode_telegram(p) if p[:1] == b"/" else amsparse.decode_frame(p)
        except amsparse.DecodeError as e:
            t._append_error(e)
        else:
            t._append_frame(f)
    t.bytes_discarded = discarded
    return t._finish()  # pads the lazily filled columns, as decode_batch does


def parts() -> list[bytes]:
    out: list[bytes] = []
    for i, t in enumerate(GOOD[:8]):
        out += [t, HDLC[i % len(HDLC)]]
    return out + BAD


def test_capture_with_telegrams_and_frames(impl) -> None:  # type: ignore[no-untyped-def]
    ps = parts()
    table = _decode_batch(b"junk" + b"".join(ps) + b"\x00\x00", None, None, None, impl)
    assert_same_tables(table, expected(ps, 6))
    assert "active_power_import" in table.names and "voltage_l1" in table.names
    assert table.category("list_name")[0] == "p1" and len(table.errors) == len(BAD)


def test_iterable_of_telegrams_and_frames(impl) -> None:  # type: ignore[no-untyped-def]
    ps = parts()
    assert_same_tables(_decode_batch(ps, None, None, None, impl), expected(ps, 0))


def test_public_decode_batch() -> None:
    t = GOOD[0]
    table = amsparse.decode_batch(t * 3)
    assert len(table) == 3 and table.meter_time[0] == table.meter_time[2]
    f = amsparse.decode_telegram(t)
    assert table["active_power_import"][0] == f.value("active_power_import")
