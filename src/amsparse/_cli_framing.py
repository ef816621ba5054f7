"""``--framing {hdlc,mbus,auto}`` for the commands that read captures or live
streams (``decode``, ``read``, ``convert``): which link layer the bytes carry,
as for :class:`amsparse.StreamDecoder` and :func:`amsparse.decode_batch`.
``hdlc`` is the default (the Nordic HAN ports); ``mbus`` reads wired M-Bus long
frames (Austria, Poland); ``auto`` tells the two apart frame by frame."""

from __future__ import annotations

import argparse
from typing import Any

FRAMINGS = ("hdlc", "mbus", "auto")


def add_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--framing", choices=FRAMINGS, default="hdlc",
                   help="link layer of a raw capture or stream: hdlc (default), mbus (wired M-Bus "
                        "long frames) or auto (HDLC and M-Bus told apart frame by frame)")


def apply(args: argparse.Namespace, kw: dict[str, Any]) -> dict[str, Any]:
    """``kw`` with ``framing`` set when the option asks for other than HDLC."""
    framing = getattr(args, "framing", "hdlc")
    if framing != "hdlc":
        kw["framing"] = framing
    return kw
