"""``amsparse replay CAPTURE --to tcp://HOST:PORT | --pty``: a meter simulator.

Serves a capture (raw bytes or hex lines) as a meter or a HAN bridge would:
frames paced by ``--interval`` (and by the serial line rate with
``--baudrate``), optionally with junk between frames (``--junk P``) and cut
frames (``--cut P``: on TCP the connection is dropped in the middle of the
frame, as a rebooting bridge does; on a pty the rest of the frame is skipped).

* ``--to tcp://HOST:PORT`` listens there (port 0: any free port) and serves one
  client at a time, going on with the next frame for the next client; it prints
  ``listening on tcp://HOST:PORT``.
* ``--pty`` creates a pseudo-terminal, sets its line (``--preset``) and prints
  the path of its slave end (``/dev/pts/N``) for ``amsparse read``.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import sys
import time
from typing import Any, Callable

from ._cli_io import EXIT_NO_FRAMES, EXIT_OK, EXIT_USAGE, err, guarded


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "replay", help="serve a capture like a meter (TCP bridge or pseudo-terminal)",
        description=(__doc__ or "").split("\n\n", 1)[1].replace("``", "'") + "\nExit codes: 0 done, "
        "1 empty capture, 2 usage, 4 no such capture, 5 permission denied, 6 cannot listen, 130 Ctrl-C.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("capture", help="capture file: raw bytes as read from the port, or hex lines")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--to", metavar="tcp://HOST:PORT", help="listen on HOST:PORT and serve clients")
    where.add_argument("--pty", action="store_true", help="serve on a new pseudo-terminal; prints its path")
    p.add_argument("--interval", type=float, default=1.0, metavar="S",
                   help="seconds between frames (default 1; 0: as fast as possible)")
    p.add_argument("--baudrate", type=int, default=0,
                   help="also pace bytes at the line rate of this baud rate (10 bits a byte)")
    p.add_argument("--preset", default="mbus-8e1",
                   help="--pty line settings: mbus-8e1 (default), kamstrup, p1-115200, p1-9600")
    p.add_argument("--junk", type=float, default=0.0, metavar="P", help="probability of junk bytes before a frame")
    p.add_argument("--cut", type=float, default=0.0, metavar="P", help="probability that a frame is cut")
    p.add_argument("--loop", action="store_true", help="start again at the end of the capture")
    p.add_argument("--seed", type=int, help="random seed for --junk/--cut (reproducible runs)")
    p.add_argument("--linger", type=float, metavar="S",
                   help="--pty: keep the pty open S seconds after the last frame (default: until Ctrl-C)")
    p.set_defaults(run=guarded(run))


def _frames(path: str) -> list[bytes]:
    """The capture as a list of frames (a raw capture is cut by the stream scanner)."""
    from ._stream import StreamDecoder
    from .io._capture import load_capture

    with open(path, "rb") as fh:
        data = fh.read()
    pieces, is_hex = load_capture(data)
    if is_hex:
        return pieces
    dec = StreamDecoder()
    evs = dec.feed(data) + dec.flush()
    return [e.raw for e in evs if hasattr(e, "raw")]


class _Source:
    def __init__(self, frames: list[bytes], args: argparse.Namespace) -> None:
        self.frames = frames
        self.i = 0
        self.loop = args.loop
        self.rng = random.Random(args.seed)
        self.junk, self.cut = args.junk, args.cut
        self.interval = args.interval
        self.byte_time = 10.0 / args.baudrate if args.baudrate > 0 else 0.0

    def next(self) -> tuple[bytes, bytes, bool] | None:
        """-> (junk, frame, cut) or None at the end."""
        if self.i >= len(self.frames):
            if not self.loop:
                return None
            self.i = 0
        frame = self.frames[self.i]
        self.i += 1
        junk = b""
        if self.junk and self.rng.random() < self.junk:
            junk = bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(1, 24)))
        cut = bool(self.cut) and self.rng.random() < self.cut
        return junk, frame, cut

    def send(self, write: Callable[[bytes], Any], data: bytes) -> None:
        if not self.byte_time:
            write(data)
            return
        step = max(1, int(0.05 / self.byte_time))
        for k in range(0, len(data), step):
            write(data[k : k + step])
            time.sleep(len(data[k : k + step]) * self.byte_time)


def run(args: argparse.Namespace) -> int:
    frames = _frames(args.capture)
    if not frames:
        err(f"no frames in {args.capture}")
        return EXIT_NO_FRAMES
    src = _Source(frames, args)
    if args.pty:
        return _serve_pty(src, args)
    from .io._url import parse_url

    target = parse_url(args.to)
    if target.kind != "tcp":
        err(f"--to takes tcp://HOST:PORT, not {args.to}")
        return EXIT_USAGE
    return _serve_tcp(src, target.host, target.port)


def _serve_tcp(src: _Source, host: str, port: int) -> int:
    from .io import HostUnreachableError

    try:
        srv = socket.create_server((host, port), reuse_port=False)
    except OSError as e:
        raise HostUnreachableError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    with srv:
        h, p = srv.getsockname()[:2]
        print(f"listening on tcp://{h}:{p}", flush=True)
        item = src.next()
        while item is not None:
            conn, peer = srv.accept()
            print(f"client {peer[0]}:{peer[1]} connected", file=sys.stderr, flush=True)
            with conn:
                try:
                    while item is not None:
                        junk, frame, cut = item
                        if cut:
                            src.send(conn.sendall, junk + frame[: max(1, len(frame) // 2)])
                            item = src.next()
                            print("cut a frame: dropping the connection", file=sys.stderr, flush=True)
                            break
                        src.send(conn.sendall, junk + frame)
                        item = src.next()
                        if src.interval and item is not None:
                            time.sleep(src.interval)
                except OSError as e:  # the client went away: serve the next one
                    print(f"client gone ({e.strerror or e})", file=sys.stderr, flush=True)
    return EXIT_OK


def _serve_pty(src: _Source, args: argparse.Namespace) -> int:
    try:
        import termios
    except ImportError:
        err("--pty needs pseudo-terminals (Linux, macOS, BSD); use --to tcp://HOST:PORT")
        return EXIT_USAGE

    from .io._url import preset

    settings = preset(args.preset)
    master, slave = os.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[0] = 0  # raw: no input processing
    attrs[1] = 0
    attrs[3] = 0
    size = {5: termios.CS5, 6: termios.CS6, 7: termios.CS7, 8: termios.CS8}[settings.bytesize]
    cflag = (attrs[2] & ~(termios.CSIZE | termios.PARENB | termios.PARODD | termios.CSTOPB)) | size
    cflag |= termios.CREAD | termios.CLOCAL
    if settings.parity != "N":
        cflag |= termios.PARENB | (termios.PARODD if settings.parity == "O" else 0)
    if settings.stopbits == 2:
        cflag |= termios.CSTOPB
    attrs[2] = cflag
    speed = getattr(termios, f"B{settings.baudrate}")
    attrs[4] = attrs[5] = speed
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    print(os.ttyname(slave), flush=True)

    def write(data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(master, view)
            view = view[n:]

    try:
        item = src.next()
        while item is not None:
            junk, frame, cut = item
            src.send(write, junk + (frame[: max(1, len(frame) // 2)] if cut else frame))
            item = src.next()
            if src.interval and item is not None:
                time.sleep(src.interval)
        if args.linger is None:
            while True:
                time.sleep(3600)
        time.sleep(args.linger)
    finally:
        os.close(master)
        os.close(slave)
    return EXIT_OK
