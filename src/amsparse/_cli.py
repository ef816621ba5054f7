"""``amsparse`` command line: ``amsparse decode [HEX | FILE | -] [--json]``.

With no argument, ``decode`` decodes the small capture of real frames bundled
with the package (one per vendor and list) and says so.

Input may be hex text (one frame per line; spaces, ``#`` comments allowed) or a
raw binary capture (bytes as read from the serial port); raw captures are cut
into frames by the stream decoder, which reports noise it skipped.  P1 / DSMR
telegrams (text files, stdin, or a hex line starting 2F) are decoded too.  Files
and stdin are read in chunks (a capture of any size runs in bounded memory).

Exit status (docs/cli.md): 0 every frame decoded (noise skipped between
frames does not count); 1 a frame rejected (a bad hex line, a bad checksum...)
or nothing decoded from non-empty input; 2 a usage or input error (bad option,
unknown ``--tz`` zone or ``--profile``, unreadable file, empty input).  Every
error is one line on stderr, never a traceback.

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

from . import BACKEND, __version__, _cli_framing, _cli_keys, _options
from ._errors import ProfileError, as_decode_error
from ._model import CosemDate, CosemDateTime, CosemTime, Frame
from ._profiles import ProfileSet, builtin_profiles, load_profiles
from ._select import impl, p1_impl

_HEX_DIGITS = frozenset(string.hexdigits)
#: bytes read from a file or stdin at a time
CHUNK = 1 << 16
#: exit status of ``amsparse decode`` (docs/cli.md)
EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
EXIT_HELP = """exit status:
  0  every frame decoded (noise skipped between frames does not count)
  1  a frame was rejected, or nothing was decoded from non-empty input
  2  usage or input error: bad option, unknown --tz zone or --profile,
     unreadable file, empty input"""


class _InputError(ValueError):
    """A usage or input error of ``decode``: one line on stderr, exit 2 (a
    ValueError, so the subcommands that share the input helpers map it to
    their usage exit code too)."""


class _Parser(argparse.ArgumentParser):
    """argparse with its usage errors as one line (exit 2), like every other error."""

    def error(self, message: str) -> Any:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see '{self.prog} --help')\n")


class _BadLine:
    """A hex-text line that is not hex: reported and counted as rejected."""

    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why


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
        "timestamp": _jsonable(frame.timestamp),
        "values": {k: _jsonable(v) for k, v in frame.as_dict().items()},
        "readings": [_reading_json(r) for r in frame.readings],
        **{k: _jsonable(v) for k, v in extra.items()},
    }
    if frame.security is not None:
        d["security"] = {k: _jsonable(v) for k, v in frame.security._asdict().items()}
    # strict (allow_nan=False: _jsonable made NaN null) and ASCII: no raw control character
    return json.dumps(d, ensure_ascii=True, allow_nan=False)


def _reading_json(r: Any) -> dict[str, Any]:
    """One reading with its unit symbol and OBIS code (``None`` when absent)."""
    d = {
        "name": r.name,
        "value": _jsonable(r.value),
        "unit": None if r.unit is None else str(getattr(r.unit, "symbol", r.unit)) or None,
        "obis": None if r.obis is None else str(r.obis),
    }
    if r.quality is not None:
        d["quality"] = r.quality
    return d


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
    ts = frame.timestamp
    if ts is not None:
        src = ("meter clock" if frame.meter_time is not None else
               "header" if frame.header_time is not None else "received")
        out.write(f"  {'timestamp':<28} {ts.isoformat():>26} ({src})\n")
    if frame.header_time is not None:
        out.write(f"  {'header_time':<28} {frame.header_time.isoformat():>26}\n")
    for r in frame.readings:
        unit = getattr(r.unit, "symbol", "") if r.unit is not None else ""
        obis = str(r.obis) if r.obis is not None else ""
        flag = "  (not measured)" if r.quality else ""
        out.write(f"  {r.name:<28} {_fmt(r.value):>26} {unit:<5} {obis}{flag}\n")
    out.write("\n")


def _clean_hex(line: str) -> str:
    """A hex line without its comment, spaces, colons and ``0x`` prefix."""
    line = line.split("#", 1)[0].strip()
    if line[:2] in ("0x", "0X"):
        line = line[2:]
    return line.replace(" ", "").replace("\t", "").replace(":", "")


def _hex_problem(text: str) -> str | None:
    """Why ``text`` (cleaned by _clean_hex) is not hex, ``None`` if it is."""
    for col, ch in enumerate(text, 1):
        if ch not in _HEX_DIGITS:
            what = repr(ch) if ch.isascii() and ch.isprintable() else f"byte 0x{ord(ch):02X}"
            return f"not hex: {what} at character {col}"
    if len(text) % 2:
        return f"not hex: an odd number of digits ({len(text)})"
    return None


def _units_from_lines(lines: Iterable[str], label: str) -> Iterator[tuple[str, bytes | _BadLine]]:
    """(label:line, frame bytes) per hex line; a line that is not hex gives a
    :class:`_BadLine` and the lines after it are still read."""
    for n, line in enumerate(lines, 1):
        line = _clean_hex(line)
        if not line:
            continue
        why = _hex_problem(line)
        yield f"{label}:{n}", (_BadLine(why) if why else bytes.fromhex(line))


def _units_from_text(text: str, label: str) -> Iterator[tuple[str, bytes | _BadLine]]:
    return _units_from_lines(text.splitlines(), label)


def _undecided(head: bytes) -> bool:
    """``head`` (at most 1 MiB) is text with no complete line of content yet."""
    if not head or len(head) > (1 << 20) or b"\0" in head:
        return False
    lines = head.split(b"\n")
    if any(_clean_hex(x.decode("ascii", "replace")) for x in lines[:-1]):
        return False
    return not lines[-1] or lines[-1].lstrip()[:1] == b"#" or not lines[-1].strip()


_TEXT_BYTES = frozenset(range(0x20, 0x7F)) | {0x09, 0x0A, 0x0D}


def _is_hex_text(head: bytes) -> bool:
    """A hex capture: text (at most 1% of the bytes outside printable ASCII,
    no NUL) whose lines with content are at least half hex (lines of at
    least 90% hex digits).  A raw capture has control bytes throughout; a P1 telegram's
    lines (``/ISk5...``, ``1-0:1.8.1(000301.548*kWh)``) are not hex.  A bad
    line, even the first, is reported and the other lines are decoded."""
    if not head or b"\0" in head:
        return not head
    if sum(1 for b in head if b not in _TEXT_BYTES) * 100 > len(head):
        return False
    lines = [x for x in map(_clean_hex, head.decode("ascii", "replace").splitlines()) if x]
    if not lines:
        return True  # blank lines and comments only: a hex file with no frame
    hexish = sum(1 for x in lines if sum(c in _HEX_DIGITS for c in x) * 10 >= len(x) * 9)
    return hexish * 2 >= len(lines)


def _open_input(arg: str | None) -> tuple[str, Any, BinaryIO | None]:
    """-> (label, hex units or None, binary stream to read in chunks or None)"""
    if arg is None:
        text = resources.files("amsparse").joinpath("data/sample.hex").read_text(encoding="utf-8")
        return "sample", list(_units_from_text(text, "sample")), None
    if arg == "-":
        return "stdin", None, sys.stdin.buffer
    hexed = _clean_hex(arg)
    looks_hex = bool(hexed) and set(hexed) <= _HEX_DIGITS and "#" not in arg
    try:
        is_file = not looks_hex or os.path.exists(arg)
    except (OSError, ValueError):  # a name too long for the file system, a NUL in it
        is_file = False
    if not is_file:
        # a hex frame (checked before open(): long hex is not a valid file name)
        why = _hex_problem(hexed)
        if why:
            raise _InputError(f"no such file, and not a hex frame ({why.removeprefix('not hex: ')}): {_escape(arg)}")
        return "arg", [("arg", bytes.fromhex(hexed))], None
    try:
        return arg, None, open(arg, "rb")  # noqa: SIM115 - closed by _main
    except FileNotFoundError:
        raise _InputError(f"no such file, and not a hex frame: {_escape(arg)}") from None
    except (OSError, ValueError) as e:
        raise _InputError(f"cannot read {_escape(arg)}: {getattr(e, 'strerror', None) or e}") from None


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
    while _undecided(head):  # only comments so far: read on to the first line with content
        more = fh.read(CHUNK)
        if not more:
            break
        head += more
    if _is_hex_text(head):
        # hex text: line by line (a line may continue into the next chunk)
        def lines() -> Iterator[str]:
            pending = b""
            for data in _chunks(fh, head):
                pending += data
                *done, pending = pending.split(b"\n")
                for line in done:
                    yield line.decode("latin-1")  # one character per byte: a bad byte is named
            if pending:
                yield pending.decode("latin-1")

        for lab, data in _units_from_lines(lines(), label):
            yield lab, data
        return
    dec = StreamDecoder(profiles, **kw)
    n = 0
    for data in _chunks(fh, head):
        for ev in dec.feed(data):
            if not hasattr(ev, "count"):  # bytes skipped are not frames: not numbered
                n += 1
            yield f"{label}#{n}", ev
    for ev in dec.flush():
        if not hasattr(ev, "count"):
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
    ap = _Parser(prog="amsparse", description="Decode smart-meter HAN frames.")
    ap.add_argument("--version", action="version", version=f"amsparse {__version__} ({BACKEND} backend)")
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser("decode", help="decode frames and print their readings", epilog=EXIT_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    d.add_argument("input", nargs="?", help="hex string, a file (hex lines or raw capture), or - for stdin; "
                   "default: the bundled sample capture")
    d.add_argument("--json", action="store_true", help="print one JSON object per frame")
    d.add_argument("--profile", help="force a profile id (e.g. kamstrup-v0001-se)")
    d.add_argument("--profiles", action="append", default=[], metavar="PATH",
                   help="load extra profile files or folders (repeatable)")
    d.add_argument("--tz", help="time zone for clocks without a UTC offset (default: the profile's)")
    _cli_keys.add_arguments(d)
    _cli_framing.add_argument(d)
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
    err = _SafeText(sys.stderr)
    try:
        label, units, fh = _open_input(args.input)
    except _InputError as e:
        err.write(f"amsparse: {e}\n")
        return EXIT_USAGE
    try:
        return _decode(args, profiles, kw, label, units, fh, err)
    finally:
        if fh is not None and fh is not sys.stdin.buffer:
            fh.close()


def _decode(args: argparse.Namespace, profiles: ProfileSet, kw: dict[str, Any], label: str,
            units: Any, fh: BinaryIO | None, err: _SafeText) -> int:
    out = _SafeText(sys.stdout)
    if args.input is None and not args.json:
        out.write(f"Decoding the bundled sample capture ({len(units)} real frames from Aidon, Kaifa, "
                  f"Kamstrup and Landis+Gyr meters; {BACKEND} backend).\n"
                  "Pass a hex string, a file or - to decode your own.\n\n")
    if fh is not None:
        items: Iterable[tuple[str, Any]] = _events(fh, label, profiles, _cli_framing.apply(args, dict(kw)))
    else:
        items = units
    ok = bad = skipped = 0
    offset = 0        # byte offset in a raw capture (frames, rejected frames and noise in order)
    noise_at = -1     # offset where the current run of skipped bytes began
    noise = 0

    def end_noise() -> None:
        nonlocal noise, noise_at
        if noise:
            err.write(f"{label}: skipped {noise} byte{'s' if noise != 1 else ''} of noise at offset {noise_at}\n")
        noise, noise_at = 0, -1

    try:
        for lab, item in items:
            if isinstance(item, _BadLine):  # a hex line that is not hex
                bad += 1
                err.write(f"{lab}: {item.why}\n")
                continue
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
                    err.write(f"{lab}: rejected ({type(e).__name__}): {e}\n")
                    continue
            else:
                count = getattr(item, "count", None)
                if count is not None:  # bytes skipped while hunting for a frame
                    if noise_at < 0:
                        noise_at = offset
                    noise += count
                    skipped += count
                    offset += count
                    continue
                end_noise()
                at = offset
                offset += len(item.raw)
                decoded: Frame | None = getattr(item, "frame", None)
                if decoded is None:  # a rejected frame
                    bad += 1
                    why = item.error
                    err.write(f"{lab}: rejected at offset {at} ({type(why).__name__}): {why}\n")
                    continue
                frame = decoded
            ok += 1
            if args.json:
                sys.stdout.write(_frame_json(frame, lab) + "\n")  # ASCII-only JSON
            else:
                _print_table(frame, lab, out)
        end_noise()
    except BrokenPipeError:  # our output closed: main() ends quietly
        raise
    except OSError as e:  # a read error in the middle of a file or stdin
        end_noise()
        err.write(f"amsparse: cannot read {_escape(label)}: {e.strerror or e}\n")
        return EXIT_USAGE
    if ok == bad == skipped == 0:
        err.write(f"amsparse: {_escape(label)}: empty input, no frame to decode\n")
        return EXIT_USAGE
    summary = f"{ok} frame(s) decoded, {bad} rejected"
    if skipped:
        summary += f", {skipped} byte(s) of noise skipped"
    if not args.json:
        out.write(summary + ".\n")
    elif bad or not ok:
        err.write(f"amsparse: {summary}\n")
    return EXIT_OK if ok and not bad else EXIT_REJECTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
