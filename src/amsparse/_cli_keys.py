"""Key options of ``amsparse decode``: ``--key HEX [--auth-key HEX]`` and
``--keys FILE.toml``.

The TOML file lists one table per meter; ``system_title`` is optional (a
table without it applies to any meter)::

    [[meter]]
    system_title = "4b464d1020043bd7"        # 8 bytes, hex (optional)
    encryption_key = "36c66639e48a8ca4d6bc8b282a793bbb"
    authentication_key = "..."               # optional

Keys are never printed; a malformed file is reported by line/table, not by value.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._security import Keys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--key", metavar="HEX", help="encryption key (16 bytes, hex) for ciphered pushes")
    p.add_argument("--auth-key", metavar="HEX", help="authentication key (16 bytes, hex): checks the GCM tag")
    p.add_argument("--keys", metavar="FILE.toml", help="keys per meter system title (see docs/security.md)")
    p.add_argument("--require-authentication", action="store_true",
                   help="refuse ciphered pushes whose authentication tag was not checked")


def _load_toml(path: str) -> dict[str, Any]:
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            raise SystemExit('amsparse: --keys needs TOML support: pip install "amsparse[toml]"') from None
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as e:
        raise SystemExit(f"amsparse: cannot read {path}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise SystemExit(f"amsparse: {path} is not valid TOML: {e}") from None


def keys_from_args(args: argparse.Namespace) -> list[Keys] | None:
    """The Keys the options give, or None; bad values exit with status 2."""
    out: list[Keys] = []
    try:
        if args.keys:
            doc = _load_toml(args.keys)
            tables = doc.get("meter", [])
            if not isinstance(tables, list) or not tables:
                raise SystemExit(f"amsparse: {args.keys} has no [[meter]] table")
            for n, t in enumerate(tables, 1):
                if not isinstance(t, dict) or "encryption_key" not in t:
                    raise SystemExit(f"amsparse: {args.keys}: [[meter]] #{n} has no encryption_key")
                try:
                    out.append(Keys(t["encryption_key"], t.get("authentication_key"), t.get("system_title")))
                except (TypeError, ValueError) as e:
                    raise SystemExit(f"amsparse: {args.keys}: [[meter]] #{n}: {e}") from None
        if args.key:
            out.append(Keys(args.key, args.auth_key))
        elif args.auth_key:
            raise SystemExit("amsparse: --auth-key needs --key")
    except (TypeError, ValueError) as e:
        print(f"amsparse: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    return out or None
