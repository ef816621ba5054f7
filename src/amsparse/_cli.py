"""``amsparse`` command line: ``amsparse decode [HEX | FILE | -] [--json]``.

With no argument, ``decode`` decodes the small capture of real frames bundled
with the package (one per vendor and list) and says so.

Input may be hex text (one frame per line; spaces, ``#`` comments allowed) or a
raw binary capture (bytes as read from the serial port); raw captures are cut
into frames by the stream decoder, which reports noise it skipped.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import string
import sys
from importlib import resources
from typing import Any, Iterator, TextIO

from . import BACKEND, __version__
from . import _cli_keys
from ._errors import DecodeError, ProfileError
from ._model import CosemDate, CosemDateTime, CosemTime, Frame
from ._profiles import ProfileSet, builtin_profiles, load_profiles
from ._select import impl

_HEX = set(string.hexdigits + " \t\r\n:")


def _jsonable(v: Any) -> Any:
    if isinstance(v, _dt.datetime):
        return v.isoformat()
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, (CosemDateTime, CosemDate, CosemTime)):
        return str(v)
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    return v


def _frame_json(frame: Frame, label: str) -> str:
    d = {
        "source": label,
        "profile": frame.profile_id,
        "list": frame.list_name,
        "list_version": frame.list_version,
        "meter_id": frame.meter_id,
        "meter_type": frame.meter_type,
        "values": {k: _jsonable(v) for k, v in frame.as_dict().items()},
    }
    if frame.security is not None:
        d["security"] = {k: _jsonable(v) for k, v in frame.security._asdict().items()}
    return json.dumps(d, ensure_ascii=False)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, _dt.datetime):
        return v.isoformat()
    if isinstance(v, bytes):
        return v.hex()
    return str(v)


def _print_table(frame: Frame, label: str, out: TextIO) -> None:
    out.write(f"{label}: profile {frame.profile_id}, list {frame.list_name or '?'}")
    if frame.meter_id:
        out.write(f", meter {frame.meter_id}")
    if frame.meter_type:
        out.write(f" ({frame.meter_type})")
    out.write("\n")
    if frame.header_time is not None:
        out.write(f"  {'header_time':<28} {frame.header_time.isoformat()}\n")
    for r in frame.readings:
        unit = getattr(r.unit, "symbol", "") if r.unit is not None else ""
        obis = str(r.obis) if r.obis is not None else ""
        out.write(f"  {r.name:<28} {_fmt(r.value):>26} {unit:<5} {obis}\n")
    out.write("\n")


def _units_from_text(text: str, label: str) -> Iterator[tuple[str, bytes]]:
    for n, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip().replace(" ", "").replace(":", "")
        if not line:
            continue
        try:
            yield f"{label}:{n}", bytes.fromhex(line)
        except ValueError:
            raise SystemExit(f"amsparse: {label} line {n} is not hex")


def _inputs(arg: str | None) -> tuple[str, list[tuple[str, bytes]], bool]:
    """-> (description, [(label, data)], is_raw_stream)"""
    if arg is None:
        text = resources.files("amsparse").joinpath("data/sample.hex").read_text(encoding="utf-8")
        return "the bundled sample capture", list(_units_from_text(text, "sample")), False
    if arg == "-":
        data = sys.stdin.buffer.read()
        label = "stdin"
    elif set(arg) <= _HEX and len(arg.replace(" ", "")) >= 16 and not os.path.exists(arg):
        # a hex frame (checked before open(): long hex is not a valid file name)
        return "hex argument", list(_units_from_text(arg, "arg")), False
    else:
        try:
            with open(arg, "rb") as fh:
                data = fh.read()
            label = arg
        except FileNotFoundError:
            raise SystemExit(f"amsparse: no such file, and not a hex frame: {arg}")
        except OSError as e:
            raise SystemExit(f"amsparse: cannot read {arg}: {e.strerror}")
    try:
        text = data.decode("ascii")
        stripped = "\n".join(l.split("#", 1)[0] for l in text.splitlines())
        if set(stripped) <= _HEX:
            return label, list(_units_from_text(text, label)), False
    except UnicodeDecodeError:
        pass
    return label, [(label, data)], True


def _decode_stream(data: bytes, label: str, profiles: ProfileSet, kw: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Cut a raw capture into frames (flag + length field), yielding
    (label, frame-or-error) and reporting skipped bytes."""
    try:
        from ._stream import StreamDecoder
    except ImportError:  # pragma: no cover - stream module is part of the package
        StreamDecoder = None  # type: ignore[assignment]
    if StreamDecoder is not None:
        dec = StreamDecoder(profiles, **kw)
        n = 0
        for ev in dec.feed(data) + dec.flush():
            n += 1
            yield f"{label}#{n}", ev
        return
    raise SystemExit("amsparse: raw binary captures need the stream decoder")


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # `amsparse decode | head`
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        except OSError:
            pass
        return 0


def _main(argv: list[str] | None) -> int:
    ap = argparse.ArgumentParser(prog="amsparse", description="Decode smart-meter HAN frames.")
    ap.add_argument("--version", action="version", version=f"amsparse {__version__} ({BACKEND} backend)")
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser("decode", help="decode frames and print their readings")
    d.add_argument("input", nargs="?", help="hex string, a file (hex lines or raw capture), or - for stdin; "
                   "default: the bundled sample capture")
    d.add_argument("--json", action="store_true", help="print one JSON object per frame")
    d.add_argument("--profile", help="force a profile id (e.g. kamstrup-v0001-se)")
    d.add_argument("--profiles", action="append", default=[], metavar="PATH",
                   help="load extra profile files or folders (repeatable)")
    d.add_argument("--tz", help="time zone for clocks without a UTC offset (default: the profile's)")
    _cli_keys.add_arguments(d)
    args = ap.parse_args(argv)

    try:
        profiles = load_profiles(*args.profiles) if args.profiles else builtin_profiles()
    except ProfileError as e:
        print(f"amsparse: {e}", file=sys.stderr)
        return 2
    kw: dict[str, Any] = {}
    if args.profile:
        kw["profile"] = args.profile
    if args.tz:
        kw["tz"] = args.tz
    kw["keys"] = _cli_keys.keys_from_args(args)
    kw["require_authentication"] = args.require_authentication
    what, units, raw = _inputs(args.input)
    out = sys.stdout
    if args.input is None and not args.json:
        out.write(f"Decoding the bundled sample capture ({len(units)} real frames from Aidon, Kaifa, "
                  f"Kamstrup and Landis+Gyr meters; {BACKEND} backend).\n"
                  "Pass a hex string, a file or - to decode your own.\n\n")
    ok = bad = 0
    for label, data in units:
        try:
            if raw:
                for lab, ev in _decode_stream(data, label, profiles, kw):
                    frame = getattr(ev, "frame", None)
                    if frame is not None:
                        ok += 1
                        out.write(_frame_json(frame, lab) + "\n") if args.json else _print_table(frame, lab, out)
                    else:
                        bad += 1
                        print(f"{lab}: {ev}", file=sys.stderr)
                continue
            frame = impl.decode_frame(data, profiles, **kw)
        except DecodeError as e:
            bad += 1
            print(f"{label}: {type(e).__name__}: {e}", file=sys.stderr)
            continue
        except ValueError as e:  # unknown --profile id
            print(f"amsparse: {e}", file=sys.stderr)
            return 2
        ok += 1
        if args.json:
            out.write(_frame_json(frame, label) + "\n")
        else:
            _print_table(frame, label, out)
    if not args.json:
        out.write(f"{ok} frame(s) decoded, {bad} rejected.\n")
    return 0 if ok or not bad else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
