"""``amsparse`` command line: ``amsparse decode [HEX | FILE | -] [--json]``.

With no argument, ``decode`` decodes the small capture of real frames bundled
with the package (one per vendor and list) and says so.

Input may be hex text (one frame per line; spaces, ``#`` comments allowed) or a
raw binary capture (bytes as read from the serial port); raw captures are cut
into frames by the stream decoder, which reports noise it skipped.  P1 / DSMR
telegrams (text files, stdin, or a hex line starting 2F) are decoded too.  Files
and stdin are read in chunks (a capture of any size runs in bounded memory).

Output is safe for a terminal and for strict parsers: ``--json`` prints strict
JSON (NaN and infinities as ``null``, nested values as arrays, bytes as hex,
non-ASCII escaped), and every human-readable line has its control characters
escaped (``\x1b``), so meter strings cannot drive the terminal.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import string
import sys
from importlib import resources
from typing import Any, BinaryIO, Iterable, Iterator, TextIO

from . import BACKEND, __version__, _cli_keys, _options
from ._errors import ProfileError, as_decode_error
from ._model import CosemDate, CosemDateTime, CosemTime, Frame
from ._profiles import ProfileSet, builtin_profiles, load_profiles
from ._select import impl, p1_impl

_HEX = set(string.hexdigits + " \t\r\n:")
#: bytes read from a file or stdin at a time
CHUNK = 1 << 16


def _jsonable(v: Any) -> Any:
    """A value as strict JSON can carry it (``json.dumps(allow_nan=False)``)."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None  # NaN, +-Infinity: null
    if isinstance(v, _dt.datetime):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).hex()
    if isinstance(v, (CosemDateTime, CosemDate, CosemTime)):
        return str(v)
    if isinstance(v, (tuple, list)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return str(v)


def _escape(text: str) -> str:
    """``text`` with every non-printable character (C0/C1 controls, ESC, DEL,
    bidi and other format characters) written as a Python escape."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class _SafeText:
    """A text stream whose writes have control characters escaped (newlines
    between lines are kept): what a meter sends never reaches the terminal raw."""

    def __init__(self, raw: TextIO) -> None:
        self._raw = raw

    def write(self, text: str) -> int:
        return self._raw.write("\n".join(_escape(line) for line in text.split("\n")))

    def flush(self) -> None:
        self._raw.flush()


def _frame_json(frame: Frame, label: str, **extra: Any) -> str:
    """One frame as a strict JSON object; ``extra`` keys (already JSON-able,
    e.g. ``report=`` from ``amsparse read --report``) are added at the end."""
    d = {
        "source": label,
        "profile": frame.profile_id,
        "list": frame.list_name,
        "list_version": frame.list_version,
        "meter_id": frame.meter_id,
        "meter_type": frame.meter_type,
        "values": {k: _jsonable(v) for k, v in frame.as_dict().items()},
        **{k: _jsonable(v) for k, v in extra.items()},
    }
    if frame.security is not None:
        d["security"] = {k: _jsonable(v) for k, v in frame.security._asdict().items()}
    # strict (allow_nan=False: _jsonable made NaN null) and ASCII: no raw control character
    return json.dumps(d, ensure_ascii=True, allow_nan=False)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, _dt.datetime):
        return v.isoformat()
    if isinstance(v, bytes):
        return v.hex()
    return str(v)


def _print_table(frame: Frame, label: str, out: TextIO | _SafeText) -> None:
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


def _units_from_lines(lines: Iterable[str], label: str) -> Iterator[tuple[str, bytes]]:
    for n, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip().replace(" ", "").replace(":", "")
        if not line:
            continue
        try:
            yield f"{label}:{n}", bytes.fromhex(line)
        except ValueError:
            raise SystemExit(f"amsparse: {_escape(label)} line {n} is not hex") from None


def _units_from_text(text: str, label: str) -> Iterator[tuple[str, bytes]]:
    return _units_from_lines(text.splitlines(), label)


def _is_hex_text(head: bytes) -> bool:
    try:
        text = head.decode("ascii")
    except UnicodeDecodeError:
        return False
    return set("\n".join(line.split("#", 1)[0] for line in text.splitlines())) <= _HEX


def _open_input(arg: str | None) -> tuple[str, Any, BinaryIO | None]:
    """-> (label, hex units or None, binary stream to read in chunks or None)"""
    if arg is None:
        text = resources.files("amsparse").joinpath("data/sample.hex").read_text(encoding="utf-8")
        return "sample", list(_units_from_text(text, "sample")), None
    if arg == "-":
        return "stdin", None, sys.stdin.buffer
    if set(arg) <= _HEX and len(arg.replace(" ", "")) >= 16 and not os.path.exists(arg):
        # a hex frame (checked before open(): long hex is not a valid file name)
        return "arg", list(_units_from_text(arg, "arg")), None
    try:
        return arg, None, open(arg, "rb")  # noqa: SIM115 - closed by _units()
    except FileNotFoundError:
        raise SystemExit(f"amsparse: no such file, and not a hex frame: {_escape(arg)}") from None
    except OSError as e:
        raise SystemExit(f"amsparse: cannot read {_escape(arg)}: {e.strerror}") from None


def _chunks(fh: BinaryIO, head: bytes) -> Iterator[bytes]:
    if head:
        yield head
    while True:
        data = fh.read(CHUNK)
        if not data:
            return
        yield data


def _events(fh: BinaryIO, label: str, profiles: ProfileSet, kw: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(label, frame-or-rejection-event) for the input: hex lines decoded one
    by one, or a raw capture fed to the stream decoder a chunk at a time."""
    from ._stream import StreamDecoder

    head = fh.read(CHUNK)
    if _is_hex_text(head):
        # hex text: line by line (a line may continue into the next chunk)
        def lines() -> Iterator[str]:
            pending = b""
            for data in _chunks(fh, head):
                pending += data
                *done, pending = pending.split(b"\n")
                for line in done:
                    yield line.decode("ascii", "replace")
            if pending:
                yield pending.decode("ascii", "replace")

        for lab, data in _units_from_lines(lines(), label):
            yield lab, data
        return
    dec = StreamDecoder(profiles, **kw)
    n = 0
    for data in _chunks(fh, head):
        for ev in dec.feed(data):
            n += 1
            yield f"{label}#{n}", ev
    for ev in dec.flush():
        n += 1
        yield f"{label}#{n}", ev


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
    from . import _cli_convert, _cli_diagnose, _cli_io, _cli_replay, _cli_report

    for mod in (_cli_io, _cli_replay, _cli_convert, _cli_diagnose):
        mod.add_parser(sub)  # read, replay, convert, diagnose: each sets its own `run`
    _cli_report.add_parser(sub)
    sub.choices["report"].set_defaults(run=_cli_io.guarded(_cli_report.run))
    args = ap.parse_args(argv)
    if args.command != "decode":
        return int(args.run(args))

    try:
        profiles = load_profiles(*args.profiles) if args.profiles else builtin_profiles()
    except ProfileError as e:
        print(f"amsparse: {_escape(str(e))}", file=sys.stderr)
        return 2
    kw: dict[str, Any] = {}
    if args.profile:
        kw["profile"] = args.profile
    if args.tz:
        kw["tz"] = args.tz
    # checked now (the stream decoder would, too): an unknown id or zone is a usage error
    try:
        _options.prepare(profiles, kw.get("profile"), kw.get("tz"))
    except (TypeError, ValueError, LookupError) as e:
        print(f"amsparse: {_escape(str(e))}", file=sys.stderr)
        return 2
    kw["keys"] = _cli_keys.keys_from_args(args)
    kw["require_authentication"] = args.require_authentication
    label, units, fh = _open_input(args.input)
    out = _SafeText(sys.stdout)
    err = _SafeText(sys.stderr)
    if args.input is None and not args.json:
        out.write(f"Decoding the bundled sample capture ({len(units)} real frames from Aidon, Kaifa, "
                  f"Kamstrup and Landis+Gyr meters; {BACKEND} backend).\n"
                  "Pass a hex string, a file or - to decode your own.\n\n")
    if fh is not None:
        items: Iterable[tuple[str, Any]] = _events(fh, label, profiles, kw)
    else:
        items = units
    ok = bad = 0
    try:
        for lab, item in items:
            if isinstance(item, (bytes, bytearray)):  # one hex frame
                try:
                    if item[:1] == b"/":  # a P1 telegram given as hex
                        frame = p1_impl.decode_telegram(item, tz=args.tz)
                    elif item[:1] == b"\xdb":  # a ciphered P1 telegram (Smarty) given as hex
                        frame = p1_impl.decode_telegram(item, tz=args.tz, keys=kw["keys"],
                                                        require_authentication=kw["require_authentication"])
                    else:
                        frame = impl.decode_frame(item, profiles, **kw)
                except Exception as e:  # any failure is this frame's, as in the stream
                    e = as_decode_error(e)
                    bad += 1
                    err.write(f"{lab}: {type(e).__name__}: {e}\n")
                    continue
            else:
                decoded: Frame | None = getattr(item, "frame", None)
                if decoded is None:  # a rejected frame, or bytes skipped
                    bad += 1
                    err.write(f"{lab}: {item}\n")
                    continue
                frame = decoded
            ok += 1
            if args.json:
                sys.stdout.write(_frame_json(frame, lab) + "\n")  # ASCII-only JSON
            else:
                _print_table(frame, lab, out)
    finally:
        if fh is not None and fh is not sys.stdin.buffer:
            fh.close()
    if not args.json:
        out.write(f"{ok} frame(s) decoded, {bad} rejected.\n")
    return 0 if ok or not bad else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
