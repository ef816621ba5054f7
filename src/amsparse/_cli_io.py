"""``amsparse read URL``: a live meter on the terminal or as JSON lines.

Also the helpers the I/O subcommands share: exit codes and the mapping of
environment errors to one line on stderr (no traceback).  See docs/cli.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timezone
from typing import Any, Callable

# documented in docs/cli.md; keep in step
EXIT_OK = 0
EXIT_NO_FRAMES = 1        # nothing decoded, or the input was rejected
EXIT_USAGE = 2            # bad arguments, unknown URL scheme, unknown profile, broken profile file
EXIT_MISSING_EXTRA = 3    # an optional dependency is not installed
EXIT_NOT_FOUND = 4        # no such device or file
EXIT_PERMISSION = 5       # permission denied (serial: the dialout group)
EXIT_CONNECT = 6          # host unreachable, connection refused, retries exhausted
EXIT_BROKEN_PIPE = 7      # our output (stdout or the replay peer) went away
EXIT_INTERRUPTED = 130    # Ctrl-C


def err(msg: str) -> None:
    print(f"amsparse: {msg}", file=sys.stderr, flush=True)


def add_decoder_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", help="force a profile id (e.g. kamstrup-v0001-se)")
    p.add_argument("--profiles", action="append", default=[], metavar="PATH",
                   help="load extra profile files or folders (repeatable)")
    p.add_argument("--tz", help="time zone for clocks without a UTC offset (default: the profile's)")


def decoder_kw(args: argparse.Namespace) -> dict[str, Any]:
    from ._profiles import load_profiles

    kw: dict[str, Any] = {}
    if args.profiles:
        kw["profiles"] = load_profiles(*args.profiles)
    if args.profile:
        kw["profile"] = args.profile
    if args.tz:
        kw["tz"] = args.tz
    return kw


def guarded(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Run a subcommand; environment and input errors -> one line + exit code."""

    def wrapper(args: argparse.Namespace) -> int:
        from ._errors import ProfileError

        try:
            return run(args)
        except KeyboardInterrupt:
            return EXIT_INTERRUPTED
        except BrokenPipeError:
            _silence_stdout()
            err("output closed (broken pipe)")
            return EXIT_BROKEN_PIPE
        except ProfileError as e:
            err(str(e))
            return EXIT_USAGE
        except Exception as e:  # noqa: BLE001 - mapped below, re-raised if unknown
            code = exit_code(e)
            if code is None:
                raise
            if isinstance(e, OSError) and e.filename and e.strerror and not isinstance(e, _io_errors()):
                err(f"{e.strerror[:1].lower()}{e.strerror[1:]}: {e.filename}")  # no "[Errno 2]"
            else:
                err(str(e))
            return code

    return wrapper


def _io_errors() -> tuple[type, ...]:
    io = sys.modules.get("amsparse.io")
    return (io.ConnectError,) if io is not None else ()


def exit_code(e: BaseException) -> int | None:
    """The documented exit code for an error, ``None`` for a bug."""
    io = sys.modules.get("amsparse.io")
    if io is not None:
        if isinstance(e, io.MissingExtraError):
            return EXIT_MISSING_EXTRA
        if isinstance(e, io.UnknownSchemeError):
            return EXIT_USAGE
        if isinstance(e, io.DeviceNotFoundError):
            return EXIT_NOT_FOUND
        if isinstance(e, io.PermissionDeniedError):
            return EXIT_PERMISSION
        if isinstance(e, io.ConnectError):
            return EXIT_CONNECT
    if isinstance(e, FileNotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(e, PermissionError):
        return EXIT_PERMISSION
    if isinstance(e, (ValueError, TypeError)) and not isinstance(e, UnicodeError):
        return EXIT_USAGE  # unknown --profile id, keys= unsupported, bad option values
    from ._options import UnknownZoneError

    if isinstance(e, UnknownZoneError):
        return EXIT_USAGE  # --tz Mars/Olympus
    return None


def _silence_stdout() -> None:
    try:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
    except OSError:  # pragma: no cover
        pass


# --------------------------------------------------------------------------- read

def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "read", help="read a live meter (serial, tcp://, mqtt://, capture file)",
        description="Read frames from a serial port, a TCP bridge, an MQTT topic or a capture file "
        "and show them: a compact live view on a terminal, one JSON object per frame with --json, "
        "else the same table as 'amsparse decode'. Reconnects by itself when the source drops. "
        "Exit codes: 0 ok, 1 no frame decoded, 2 usage/unknown URL scheme, 3 missing extra, "
        "4 no such device/file, 5 permission denied, 6 cannot connect, 7 broken pipe, 130 Ctrl-C.",
    )
    p.add_argument("url", help="/dev/ttyUSB0, COM3, serial:///dev/ttyUSB0?baudrate=2400&parity=E, "
                   "tcp://HOST:PORT, mqtt://[user:pass@]HOST[:PORT]/TOPIC, file:CAPTURE or a path")
    p.add_argument("--json", action="store_true",
                   help="one JSON object per frame (the format of 'amsparse decode --json'), flushed per line")
    p.add_argument("--count", type=int, metavar="N", help="exit after N decoded frames")
    p.add_argument("--preset", help="serial preset: mbus-8e1 (Aidon/Kaifa/L+G), kamstrup, p1-115200, "
                   "p1-9600, or auto (default unless --baudrate is given)")
    p.add_argument("--baudrate", type=int, help="serial baud rate")
    p.add_argument("--parity", choices=["N", "E", "O"], help="serial parity")
    p.add_argument("--no-reconnect", action="store_true", help="exit when the source drops")
    p.add_argument("--wait", action="store_true",
                   help="keep retrying when the first connection fails (a device not plugged in yet)")
    p.add_argument("--retries", type=int, metavar="N",
                   help="give up (exit 6) after N failed reconnection attempts in a row (default: never)")
    p.add_argument("--backoff", type=float, default=0.5, metavar="S",
                   help="first reconnect delay, doubled up to 10 s (default 0.5)")
    p.add_argument("--idle-timeout", type=float, metavar="S",
                   help="treat S seconds without bytes as a dropped connection (tcp default: 120)")
    p.add_argument("--detect-timeout", type=float, default=25.0, metavar="S",
                   help="serial auto-detection: seconds to wait for a good frame per preset (default 25)")
    p.add_argument("--quiet", "-q", action="store_true", help="no connection messages on stderr")
    p.add_argument("--report", action="store_true",
                   help="keep the energy accounts as frames arrive (amsparse.energy) and show the live "
                   "figures: the last hour's use, the month's capacity step and what the current hour may "
                   "still use, open voltage events; with --json as a \"report\" object on each line")
    add_decoder_options(p)
    from . import _cli_framing, _cli_keys

    _cli_keys.add_arguments(p)  # --key, --auth-key, --keys FILE.toml, --require-authentication
    from . import _cli_readout

    _cli_readout.add_argument(p)  # -o FILE: the frames with their receive times
    _cli_framing.add_argument(p)
    p.set_defaults(run=guarded(run))


def _open_options(args: argparse.Namespace) -> dict[str, Any]:
    opts = decoder_kw(args)
    from . import _cli_framing, _cli_keys

    keys = _cli_keys.keys_from_args(args)
    if keys:
        opts["keys"] = keys
    if args.require_authentication:
        opts["require_authentication"] = True
    if args.preset:
        opts["preset"] = args.preset
    if args.baudrate:
        opts["baudrate"] = args.baudrate
    if args.parity:
        opts["parity"] = args.parity
    _cli_framing.apply(args, opts)
    if args.idle_timeout:
        opts["idle_timeout"] = args.idle_timeout
    opts.update(
        events="all", reconnect=not args.no_reconnect, retry_initial=args.wait,
        backoff=args.backoff, detect_timeout=args.detect_timeout, max_retries=args.retries,
    )
    return opts


def _describe(ev: Any) -> str | None:
    """One line for a connection event."""
    name = type(ev).__name__
    if name == "Connected":
        s = f" at {ev.settings}" if ev.settings else ""
        return f"connected to {ev.url}{s}" + (f" (attempt {ev.attempt})" if ev.attempt > 1 else "")
    if name == "Disconnected":
        cut = f", {ev.frames_cut} frame(s) cut" if ev.frames_cut else ""
        again = f"; retrying in {ev.retry_in:g} s" if ev.retry_in is not None else ""
        return f"lost {ev.url}: {ev.reason}{cut}{again}"
    if name == "ConnectFailed":
        again = f"; retrying in {ev.retry_in:g} s" if ev.retry_in is not None else ""
        return f"{ev.reason}{again}"
    if name == "SettingsDetected":
        return f"{ev.url}: serial settings detected: {ev.settings}"
    return None


def run(args: argparse.Namespace) -> int:
    if args.count is not None and args.count < 1:
        err("--count must be at least 1")
        return EXIT_USAGE
    from . import _cli_readout

    bad = _cli_readout.check(args)
    if bad is not None:
        return bad
    kept: list[Any] | None = [] if args.output else None
    out = sys.stdout
    live = out.isatty() and not args.json
    view = _LiveView(out) if live else None
    accounts = None
    if args.report:
        from .energy import EnergyAccounts

        accounts = EnergyAccounts(tz=args.tz or "Europe/Oslo")
    try:
        rc = _read(args, out, view, accounts, kept)
    except BaseException:
        if kept:  # Ctrl-C or a lost source: the frames read so far
            _cli_readout.write(args, kept)
        raise
    if kept is not None:
        _cli_readout.write(args, kept)
    return rc


def _read(args: argparse.Namespace, out: Any, view: Any, accounts: Any, kept: list[Any] | None) -> int:
    import amsparse.io as aio

    from ._cli import _frame_json, _print_table
    from ._stream import BytesDiscarded, FrameDecoded, FrameRejected

    if accounts is not None:
        from .energy import format_live, live_summary
    n = 0
    last_status = ""
    with aio.open(args.url, **_open_options(args)) as meter:
        for ev in meter:
            t = type(ev)
            if t is FrameDecoded:
                n += 1
                if kept is not None:
                    kept.append(ev.frame)
                report = None
                if accounts is not None:  # frames without a clock are placed by their receive time
                    accounts.update(ev.frame, at=datetime.now(timezone.utc))
                    report = live_summary(accounts.current) if accounts.current is not None else None
                if args.json:
                    extra = {} if report is None else {"report": report}
                    out.write(_frame_json(ev.frame, f"{args.url}#{n}", **extra) + "\n")
                    out.flush()
                elif view is not None:
                    view.report = None if report is None else format_live(report).splitlines()
                    view.frame(ev.frame, meter, last_status)
                else:
                    _print_table(ev.frame, f"{args.url}#{n}", out)
                    if report is not None:
                        out.write(format_live(report) + "\n\n")
                    out.flush()
                if args.count is not None and n >= args.count:
                    break
            elif t is FrameRejected or t is BytesDiscarded:
                if view is not None:
                    view.counters(meter, last_status)
            else:
                line = _describe(ev)
                if line and not (meter.target.kind == "file" and type(ev).__name__ == "Connected"):
                    last_status = line
                    if view is not None:
                        view.counters(meter, line)
                    elif not args.quiet:
                        err(line)
    if view is not None:
        view.done()
    if args.count is not None and n < args.count:
        err(f"the source ended after {n} of {args.count} frame(s)")
        return EXIT_NO_FRAMES
    return EXIT_OK if n else EXIT_NO_FRAMES


class _LiveView:
    """A block of lines rewritten in place (ANSI cursor movement)."""

    def __init__(self, out: Any) -> None:
        self.out = out
        self.lines = 0
        self.values: dict[str, Any] = {}
        self.hourly: tuple[Any, dict[str, Any]] | None = None
        self.clock: Any = None
        self.meter = ""
        #: lines of amsparse.energy.format_live (read --report), shown under the counters
        self.report: list[str] | None = None

    def frame(self, frame: Any, meter: Any, status: str) -> None:
        d = frame.as_dict()
        self.values.update(d)
        if frame.meter_id:
            self.meter = f"{frame.meter_id} {frame.meter_type or ''} ({frame.profile_id}, {frame.list_name})"
        energy = {k: v for k, v in d.items() if "energy" in k}
        clock = frame.meter_time or frame.header_time
        if clock is not None:
            self.clock = clock
        if energy:
            self.hourly = (clock, energy)
        self.counters(meter, status)

    def counters(self, meter: Any, status: str) -> None:
        v = self.values
        dec = meter.decoder

        def g(name: str, unit: str, fmt: str = "{:g}") -> str:
            x = v.get(name)
            return "-" if x is None else (fmt.format(x) + " " + unit)

        rows = [
            f"meter    {self.meter or '(waiting for a list with the meter id)'}",
            f"power    import {g('active_power_import', 'W'):>10}   export {g('active_power_export', 'W'):>10}",
            "voltage  " + "  ".join(f"L{i} {g(f'voltage_l{i}', 'V'):>9}" for i in (1, 2, 3)),
            "current  " + "  ".join(f"L{i} {g(f'current_l{i}', 'A'):>9}" for i in (1, 2, 3)),
        ]
        if self.hourly is not None:
            at, e = self.hourly
            reg = "  ".join(f"{k.replace('active_energy_', 'A').replace('reactive_energy_', 'R')} {x:g}"
                            for k, x in e.items())
            rows.append(f"hourly   {reg}  ({at.isoformat() if at else 'no clock'})")
        else:
            rows.append("hourly   (waiting for the hourly list)")
        rows.append(f"clock    {self.clock.isoformat() if self.clock else '-'}")
        rej = sum(dec.frames_rejected.values())
        rows.append(
            f"frames   {dec.frames_decoded} decoded, {rej} rejected, {dec.bytes_discarded} bytes skipped, "
            f"{meter.frames_cut} cut, {meter.reconnects} reconnect(s)"
        )
        rows.append(f"status   {status}  [{time.strftime('%H:%M:%S')}]")
        if self.report:
            rows += ["", *self.report]
        o = self.out
        if self.lines:
            o.write(f"\x1b[{self.lines}F")
        for r in rows:
            o.write("\x1b[2K" + r + "\n")
        if len(rows) < self.lines:  # the block got shorter: clear what is left below it
            o.write("\x1b[J")
        self.lines = len(rows)
        o.flush()

    def done(self) -> None:
        self.out.flush()
