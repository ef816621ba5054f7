"""Transports and security section of compare_peers.py: amsparse per transport
(plain HDLC, M-Bus, General Block Transfer, ciphered) side by side with
gurux-dlms where it decodes the same input, same process.

    python benchmarks/compare_peers.py --transports [--rounds N] [--seconds S] [--no-write]

Inputs (built once, outside the timing):

* the APDUs of the unencrypted Norwegian list-2 frames of the repository corpus
  (``select_frames`` of compare_peers.py), each re-framed by tests/encoder.py:
  one HDLC frame (as sent), two M-Bus long frames (150 data bytes each), three
  GBT blocks in three HDLC frames, and AES-128-GCM general-glo-ciphering
  (security control 0x30, test keys) in one HDLC frame;
* the real Danish Kamstrup Omnipower push ``kam-list3-08`` (491-byte HDLC
  frame, ciphered, keys published with it).

Before timing every contender decodes every item once and must return
amsparse's active power import (1.x.1.7.0.255); a contender that cannot is
left out of that row (reported).  Rates are messages per second (a GBT or
M-Bus message is one item however many frames carry it); ratios are against
gurux-dlms on the same row, and against amsparse's own plain-HDLC rate.
gurux-dlms prints a line per ciphered push; stdout is muted during timing
for every contender alike.
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- compare_peers_transports:begin -->"
END = "<!-- compare_peers_transports:end -->"
LLC = b"\xe6\xe7\x00"
EK, AK, TITLE = bytes(range(16)), bytes(range(16, 32)), b"XYZ\x00\x00\x00\x00\x01"


def _apdu(raw: bytes) -> bytes:
    return raw[raw.index(LLC) + 3 : -3]


def rows(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items per transport: ``{"name", "items", "power", "keys", "gx"}``."""
    import _corpus
    import encoder as E

    import amsparse

    apdus = [_apdu(f["raw"]) for f in frames]
    power = [f["power"] for f in frames]
    keys = amsparse.Keys(EK, AK)
    gbt = []
    for a in apdus:
        blocks = E.gbt_blocks(a, (len(a) + 2) // 3)
        gbt.append([E.encode_frame(b) for b in blocks])
    kam = next(r for r in _corpus.load_records() if r["id"] == "kam-list3-08")
    kam_raw = bytes.fromhex(kam["hex"])
    kam_keys = amsparse.Keys(kam["key_hex"], kam["auth_key_hex"])
    kam_power = amsparse.decode_frame(kam_raw, keys=kam_keys).get("active_power_import")
    return [
        {"name": "HDLC, plain (one frame)", "items": [f["raw"] for f in frames], "power": power,
         "keys": None, "gx": ("HDLC", None)},
        {"name": "M-Bus, plain (two long frames)",
         "items": [b"".join(E.mbus_frames(LLC + a, 150)) for a in apdus], "power": power,
         "keys": None, "gx": ("WIRED_MBUS", None)},
        {"name": "GBT, plain (three blocks in three HDLC frames)", "items": gbt, "power": power,
         "keys": None, "gx": ("HDLC", None), "multi": True},
        {"name": "HDLC, ciphered EK+AK (tag checked)",
         "items": [E.encode_frame(E.ciphered(a, EK, TITLE, 7 + i, 0x30, AK)) for i, a in enumerate(apdus)],
         "power": power, "keys": keys, "gx": ("HDLC", (EK, AK))},
        {"name": "HDLC, ciphered EK only",
         "items": [E.encode_frame(E.ciphered(a, EK, TITLE, 7 + i, 0x30, AK)) for i, a in enumerate(apdus)],
         "power": power, "keys": amsparse.Keys(EK), "gx": None},
        {"name": "kam-list3-08 (real, 491 bytes), ciphered EK+AK", "items": [kam_raw], "power": [kam_power],
         "keys": kam_keys, "gx": ("HDLC", (bytes.fromhex(kam["key_hex"]), bytes.fromhex(kam["auth_key_hex"])))},
    ]


def amsparse_decoder(row: dict[str, Any]) -> Callable[[Any], Any]:
    import amsparse

    keys = row["keys"]
    if row.get("multi"):  # frames of one message: the sans-IO stream joins them
        d = amsparse.StreamDecoder(keys=keys, p1=False)  # one decoder for the whole run, as on a port

        def dec_multi(item: list[bytes]) -> Any:
            out = None
            for fr in item:
                for ev in d.feed(fr):
                    out = ev.frame
            return out
        return dec_multi
    if keys is None:
        return amsparse.decode_frame
    return lambda item: amsparse.decode_frame(item, keys=keys)


def gurux_decoder(row: dict[str, Any]) -> Callable[[Any], Any] | None:
    if row["gx"] is None:
        return None
    try:
        from gurux_dlms import GXByteBuffer, GXReplyData
        from gurux_dlms.enums import Authentication, InterfaceType, Security
        from gurux_dlms.secure import GXDLMSSecureClient
    except ImportError:
        return None
    iface, cipher = row["gx"]
    client = GXDLMSSecureClient(True, -1, -1, Authentication.NONE, None, getattr(InterfaceType, iface))
    if cipher is not None:
        client.settings.cipher.security = Security.AUTHENTICATION_ENCRYPTION
        client.settings.cipher.blockCipherKey = cipher[0]
        client.settings.cipher.authenticationKey = cipher[1]

    def dec(item: Any) -> Any:
        reply, notify = GXReplyData(), GXReplyData()
        for fr in (item if isinstance(item, list) else [item]):
            client.getData(GXByteBuffer(fr), reply, notify)
        if not notify.complete or notify.isMoreData():
            raise ValueError("no complete notification")
        return notify.value
    return dec


def main(args: Any, measure: Callable[..., dict[str, float]], machine_note: Callable[[], str],
         write_block: Callable[..., None], select_frames: Callable[[], list[dict[str, Any]]],
         find_active_import: Callable[[Any], Any], versions: Callable[[], str]) -> int:
    import datetime as _dt

    frames = select_frames()
    if not frames:
        print("no frames selected (corpus missing?)", file=sys.stderr)
        return 1
    notes: list[str] = []
    jobs: list[tuple[str, Callable[[], int]]] = []
    table: list[tuple[str, int, int]] = []  # (row name, items, items gurux was timed on)
    for row in rows(frames):
        ams = amsparse_decoder(row)
        for item, p in zip(row["items"], row["power"]):  # amsparse must give the reference value
            got = ams(item).get("active_power_import")
            if float(got) != float(p):
                raise SystemExit(f"amsparse: {row['name']} gives {got}, not {p}")
        gx = gurux_decoder(row)
        items = row["items"]
        if gx is not None:
            bad = []
            with contextlib.redirect_stdout(io.StringIO()):
                for item, p in zip(row["items"], row["power"]):
                    try:
                        got = find_active_import(gx(item))
                    except Exception:
                        got = None
                    if got is None or float(got) != float(p):
                        bad.append(item)
            if bad:
                notes.append(f"gurux-dlms, {row['name']}: does not decode {len(bad)} of {len(items)} "
                             "items to amsparse's active power import"
                             + ("; left out of this row" if len(bad) == len(items) else
                                "; both timed on the other items only"))
                items = [it for it in items if not any(it is b for b in bad)]
                if not items:
                    gx, items = None, row["items"]
        elif row["gx"] is not None:
            notes.append(f"gurux-dlms: not installed, left out of {row['name']}")

        def make(dec: Callable[[Any], Any], items: list[Any] = items) -> Callable[[], int]:
            def run() -> int:
                for it in items:
                    dec(it)
                return len(items)
            return run

        jobs.append((row["name"] + "|amsparse", make(ams, row["items"])))
        if gx is not None:
            jobs.append((row["name"] + "|gurux", make(gx)))
            if len(items) != len(row["items"]):  # the ratio to gurux: amsparse on gurux's items
                jobs.append((row["name"] + "|amsparse-sub", make(ams)))
        table.append((row["name"], len(row["items"]), len(items) if gx is not None else 0))
    with contextlib.redirect_stdout(io.StringIO()):
        res = measure(jobs, args.rounds, args.seconds)
    base = res[table[0][0] + "|amsparse"]
    lines = ["| transport (items) | amsparse msgs/s | vs amsparse plain HDLC | gurux-dlms msgs/s (items) "
             "| amsparse vs gurux, same items |",
             "|---|---:|---:|---:|---:|"]
    for name, n, n_gx in table:
        a = res[name + "|amsparse"]
        g = res.get(name + "|gurux") if n_gx else None
        a_sub = res.get(name + "|amsparse-sub", a)
        lines.append(f"| {name} ({n}) | {a:,.0f} | {a / base:.2f}× | "
                     f"{'–' if g is None else f'{g:,.0f} ({n_gx})'} | {'–' if g is None else f'{a_sub / g:.0f}×'} |")
    cmd = "python benchmarks/compare_peers.py --transports" + (
        f" --rounds {args.rounds}" if args.rounds != 5 else "") + (
        f" --seconds {args.seconds:g}" if args.seconds != 0.5 else "")
    block = [
        f"Measured {_dt.date.today().isoformat()} on {machine_note()} (shared, noisy box); {versions()}.",
        f"Command: `{cmd}` — {args.rounds} rounds, each contender {args.seconds:g} s per round, alternating "
        "in one process; median of the rounds.  Items: the APDUs of the Norwegian list-2 corpus frames "
        "re-framed by tests/encoder.py per transport, and the real ciphered kam-list3-08; GBT messages go "
        "through one StreamDecoder fed frame by frame, the rest through decode_frame.  amsparse is timed on "
        "every item of a row (the ratio to plain HDLC: same APDUs, except the single kam-list3-08 row) and, "
        "for the ratio to gurux-dlms, on the items gurux decodes.",
        "",
        *lines,
        "",
    ]
    if notes:
        block += [f"- {n}" for n in notes] + [""]
    text = "\n".join(block)
    print(text)
    if not args.no_write:
        write_block(ROOT / "docs" / "performance.md", text, BEGIN, END, "Transports and security")
    return 0
