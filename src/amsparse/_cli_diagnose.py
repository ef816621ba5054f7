"""``amsparse diagnose HEX|FILE``: an annotated dump of frames, layer by layer.

HDLC header fields (format, length, addresses, control, HCS/FCS), the LLC
header, the DLMS APDU header and the A-XDR tree, each line with its bytes and
what they mean; OBIS codes are named from the profiles and the decoded values
shown with their units.  For a list that no profile knows (decoded with the
generic OBIS table, or a positional list no profile matches), it prints a
starting profile in TOML that ``amsparse.load_profiles`` / ``--profiles`` reads.

The walker here is independent of the decoders (it reads the bytes itself and
only uses ``parse_hdlc`` and ``decode_frame`` to say what they conclude).
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from ._axdr import read_length
from ._cli_io import EXIT_NO_FRAMES, EXIT_OK, add_decoder_options, decoder_kw, err, guarded
from ._spec import AXDR, Tag

_NAMES = {
    0x00: "null-data", 0x03: "boolean", 0x05: "double-long", 0x06: "double-long-unsigned",
    0x0F: "integer", 0x10: "long", 0x11: "unsigned", 0x12: "long-unsigned",
    0x14: "long64", 0x15: "long64-unsigned", 0x16: "enum", 0x17: "float32",
    0x18: "float64", 0x0D: "bcd", 0x19: "date-time", 0x1A: "date", 0x1B: "time",
}
# fixed-size tags: (name, width); widths and signs from the shared spec table
_TAGS = {t: (name, AXDR[Tag(t)][0]) for t, name in _NAMES.items()}
_SIGNED = {int(t) for t, (_w, signed, kind) in AXDR.items() if kind == "int" and signed}
_VAR = {0x09: "octet-string", 0x0A: "visible-string", 0x0C: "utf8-string", 0x04: "bit-string"}
_UNITS = {27: "W", 28: "VA", 29: "var", 30: "Wh", 31: "VAh", 32: "varh", 33: "A", 35: "V", 44: "Hz", 56: "%"}
_MAX_LINES = 2000


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "diagnose", help="annotated dump of a frame, layer by layer; a starting profile for unknown lists",
        description=(__doc__ or "").split("\n\n", 1)[1] + "\nExit codes: 0 every frame decoded, "
        "1 a frame was rejected (the dump says where), 2 usage, 4 no such file, 5 permission denied.",
    )
    p.add_argument("input", help="a hex frame, or a file (hex lines or a raw capture)")
    p.add_argument("--max", type=int, default=10, metavar="N", help="dump at most N frames (default 10)")
    p.add_argument("--toml", metavar="PATH", help="write the starting profile (if any) to PATH as well")
    add_decoder_options(p)
    p.set_defaults(run=guarded(run))


# --------------------------------------------------------------------------- input

def _frames(arg: str) -> list[bytes]:
    from ._stream import StreamDecoder
    from .io._capture import load_capture

    text = arg.replace(" ", "").replace(":", "")
    if len(text) >= 16 and re.fullmatch(r"[0-9a-fA-F]+", text):
        return [bytes.fromhex(text)] if len(text) % 2 == 0 else []
    with open(arg, "rb") as fh:
        data = fh.read()
    pieces, is_hex = load_capture(data)
    if is_hex:
        return pieces
    dec = StreamDecoder()  # a raw capture: cut into frame candidates by the stream decoder
    return [e.raw for e in dec.feed(data) + dec.flush() if hasattr(e, "raw")]


# --------------------------------------------------------------------------- dump

class _Dump:
    def __init__(self, out: Any) -> None:
        self.out = out
        self.n = 0

    def line(self, depth: int, data: bytes, text: str) -> None:
        self.n += 1
        if self.n > _MAX_LINES:
            if self.n == _MAX_LINES + 1:
                self.out.write("  ... (dump truncated)\n")
            return
        hx = data.hex(" ").upper()
        if len(hx) > 35:
            hx = hx[:32] + "..."
        self.out.write(f"  {'  ' * depth}{hx:<36} {text}\n")

    def head(self, title: str) -> None:
        self.out.write(f"{title}\n")


def _addr(v: int, n: int) -> str:
    if n == 1:
        return f"0x{v:02X} (address {v >> 1})"
    if n == 2:
        return f"0x{v:04X} (upper {(v >> 9) & 0x7F}, lower {(v >> 1) & 0x7F})"
    return f"0x{v:08X} (upper {(v >> 17) & 0x3FFF}, lower {(v >> 1) & 0x3FFF})"


def _obis_text(b: bytes) -> str:
    return f"{b[0]}-{b[1]}:{b[2]}.{b[3]}.{b[4]}.{b[5]}"


def _datetime_text(b: bytes) -> str:
    year = int.from_bytes(b[0:2], "big")
    dev = int.from_bytes(b[9:11], "big", signed=True)
    devs = "unspecified" if dev == -0x8000 else f"{dev} min"
    return (f"{year:04d}-{b[2]:02d}-{b[3]:02d} (weekday {b[4]}) {b[5]:02d}:{b[6]:02d}:{b[7]:02d}"
            f".{b[8]:02d}, deviation {devs}, status 0x{b[11]:02X}")


class _Walker:
    """Reads A-XDR on its own; collects the elements of the top-level container."""

    def __init__(self, dump: _Dump, data: bytes, names: dict[int, str]) -> None:
        self.d, self.b, self.names = dump, data, names
        self.top: list[tuple[int, Any, bytes]] = []  # (tag, python value, raw bytes) of top-level elements

    def length(self, pos: int, end: int) -> tuple[int, int]:
        if pos >= end:
            raise ValueError("input ends inside a length")
        got = read_length(self.b, pos, end)
        if got is None:
            raise ValueError(f"bad length byte 0x{self.b[pos]:02X}")
        return got

    def value(self, pos: int, end: int, depth: int, label: str) -> tuple[int, Any]:
        b = self.b
        if depth > 16:
            raise ValueError("nesting deeper than 16")
        if pos >= end:
            raise ValueError("input ends where a value should start")
        tag = b[pos]
        if tag in (0x01, 0x02):
            count, p = self.length(pos + 1, end)
            kind = "array" if tag == 0x01 else "structure"
            self.d.line(depth, b[pos:p], f"{label}{kind}, {count} element(s)")
            items = []
            for i in range(count):
                p, v = self.value(p, end, depth + 1, f"[{i}] ")
                items.append(v)
            self._annotate(depth, items)
            return p, (tag, items)
        if tag in _VAR:
            n, p = self.length(pos + 1, end)
            size = (n + 7) // 8 if tag == 0x04 else n
            if p + size > end:
                raise ValueError(f"{_VAR[tag]} of {size} bytes runs past the end")
            raw = bytes(b[p : p + size])
            text = _VAR[tag]
            if tag == 0x09 and n == 6:
                desc = f"OBIS {_obis_text(raw)}"
                name = self.names.get(int.from_bytes(raw, "big"))
                desc += f" ({name})" if name else ""
            elif tag == 0x09 and n == 12:
                desc = _datetime_text(raw)
            elif tag == 0x09:
                desc = repr(raw.decode("latin-1")) if all(32 <= c < 127 for c in raw) else raw.hex()
            elif tag == 0x04:
                desc = "".join(f"{c:08b}" for c in raw)[:n]
            else:
                desc = repr(raw.decode("utf-8" if tag == 0x0C else "latin-1", "replace"))
            self.d.line(depth, b[pos : p + size], f"{label}{text}[{n}] {desc}")
            return p + size, (tag, raw)
        spec = _TAGS.get(tag)
        if spec is None:
            raise ValueError(f"unknown A-XDR tag 0x{tag:02X}")
        name, size = spec
        if pos + 1 + size > end:
            raise ValueError(f"{name} runs past the end")
        raw = bytes(b[pos + 1 : pos + 1 + size])
        if tag in (0x17, 0x18):
            import struct

            v = struct.unpack(">f" if size == 4 else ">d", raw)[0]
        elif tag == 0x19:
            v = _datetime_text(raw)
        elif tag in (0x1A, 0x1B, 0x00):
            v = raw.hex() if raw else None
        else:
            v = int.from_bytes(raw, "big", signed=tag in _SIGNED)
        extra = ""
        if tag == 0x16 and v in _UNITS:
            extra = f" (unit {_UNITS[v]})"
        self.d.line(depth, b[pos : pos + 1 + size], f"{label}{name} {v}{extra}")
        return pos + 1 + size, (tag, v)

    def _annotate(self, depth: int, items: list[tuple[int, Any]]) -> None:
        """{obis, value, {scaler, unit}}: say what the value is."""
        if len(items) >= 2 and items[0][0] == 0x09 and isinstance(items[0][1], bytes) and len(items[0][1]) == 6:
            obis = int.from_bytes(items[0][1], "big")
            tag, v = items[1]
            scaler = unit = None
            if len(items) >= 3 and items[2][0] == 0x02 and len(items[2][1]) == 2:
                (st, sv), (ut, uv) = items[2][1]
                if st == 0x0F and ut == 0x16:
                    scaler, unit = sv, uv
            if isinstance(v, int) and not isinstance(v, bool) and scaler is not None:
                scaled = v * 10**scaler if scaler >= 0 else v / 10 ** (-scaler)
                u = _UNITS.get(unit or -1, f"unit {unit}")
                name = self.names.get(obis, _obis_text(items[0][1]))
                self.d.line(depth + 1, b"", f"=> {name} = {scaled:g} {u} (raw {v} x 10^{scaler})")


def _obis_names(profiles: Any) -> dict[int, str]:
    names: dict[int, str] = {}
    for p in [*profiles, profiles.generic]:
        for code, name in zip(p.obis, p.names):
            if code >= 0:
                names.setdefault(code, name)
    return names


def diagnose(raw: bytes, profiles: Any, kw: dict[str, Any], out: Any) -> tuple[bool, str | None]:
    """Dump one frame; -> (decoded, starting profile TOML or None)."""
    from . import decode_frame
    from ._errors import DecodeError, ProfileMismatchError
    from ._select import impl

    d = _Dump(out)
    d.head(f"HDLC ({len(raw)} bytes)")
    try:
        dest, src, control, segmented, a, z = impl.parse_hdlc(raw)
    except DecodeError as e:
        out.write(f"  rejected: {type(e).__name__}: {e} (at byte {e.offset})\n")
        _hdlc_fields(d, raw)
        return False, None
    length = ((raw[1] & 7) << 8) | raw[2]
    d.line(0, raw[0:1], "opening flag")
    d.line(0, raw[1:3], f"format: type 3 (0xA), segmentation {int(segmented)}, length {length} "
           f"(frame {length + 2} bytes with flags)")
    dn = _addr_len(raw, 3)
    sn = _addr_len(raw, 3 + dn)
    d.line(0, raw[3 : 3 + dn], f"destination address {_addr(dest, dn)}")
    d.line(0, raw[3 + dn : 3 + dn + sn], f"source address {_addr(src, sn)}")
    cpos = 3 + dn + sn
    d.line(0, raw[cpos : cpos + 1], f"control 0x{control:02X}" + (" (UI frame)" if control & 0xEF == 0x03 else ""))
    d.line(0, raw[cpos + 1 : cpos + 3], "HCS (header check sequence): ok")
    info = raw[a:z]
    d.line(0, raw[z : z + 2], "FCS (frame check sequence): ok")
    d.line(0, raw[z + 2 : z + 3], "closing flag")
    pos = 0
    if info[:3] == b"\xe6\xe7\x00":
        d.head("LLC")
        d.line(0, info[:3], "LLC: destination LSAP 0xE6, source LSAP 0xE7 (response), quality 0x00")
        pos = 3
    elif segmented:
        d.head("(a segment of a longer APDU: the stream decoder reassembles these)")
        return False, None
    d.head("APDU")
    if pos >= len(info):
        out.write("  (empty)\n")
        return False, None
    tag = info[pos]
    if tag != 0x0F:
        kinds = {0xDB: "general-glo-ciphering (encrypted)", 0xDC: "general-ded-ciphering (encrypted)",
                 0xDD: "general-ciphering (encrypted)", 0xDF: "general-signing (signed)",
                 0xE0: "general-block-transfer", 0xD8: "exception-response"}
        d.line(0, info[pos : pos + 1], f"APDU tag 0x{tag:02X}: {kinds.get(tag, 'not a data-notification')}")
        _try_decode(raw, profiles, kw, out)
        return False, None
    d.line(0, info[pos : pos + 1], "data-notification (0x0F)")
    iid = info[pos + 1 : pos + 5]
    if len(iid) == 4:
        v = int.from_bytes(iid, "big")
        d.line(0, iid, f"long-invoke-id-and-priority: invoke id {v & 0xFFFFFF}, "
               f"{'high' if v >> 31 else 'normal'} priority, {'confirmed' if v >> 30 & 1 else 'unconfirmed'}")
    p = pos + 5
    if p < len(info):
        m = info[p]
        if m == 0x00:
            d.line(0, info[p : p + 1], "date-time: absent")
            p += 1
        elif m == 0x0C and p + 13 <= len(info):
            d.line(0, info[p : p + 13], "date-time: " + _datetime_text(info[p + 1 : p + 13]))
            p += 13
        elif m == 0x09 and p + 14 <= len(info):
            d.line(0, info[p : p + 14], "date-time (octet-string): " + _datetime_text(info[p + 2 : p + 14]))
            p += 14
    d.head("A-XDR body")
    names = _obis_names(profiles)
    w = _Walker(d, info, names)
    try:
        end, body = w.value(p, len(info), 0, "")
        if end != len(info):
            out.write(f"  {len(info) - end} byte(s) after the body\n")
    except ValueError as e:
        out.write(f"  A-XDR error: {e}\n")
        body = None
    frame = _try_decode(raw, profiles, kw, out)
    if frame is None:
        try:
            decode_frame(raw, profiles, **kw)
        except ProfileMismatchError:
            return False, _starting_profile(raw, info, p, body, None, src, names, kw)
        except Exception:  # noqa: BLE001 - already reported by _try_decode
            pass
        return False, None
    if frame.profile_id == "generic" and body is not None:
        return True, _starting_profile(raw, info, p, body, frame, src, names, kw)
    return True, None


def _addr_len(raw: bytes, pos: int) -> int:
    for n in range(4):
        if raw[pos + n] & 1:
            return n + 1
    return 4


def _hdlc_fields(d: _Dump, raw: bytes) -> None:
    if len(raw) >= 3 and raw[0] == 0x7E:
        d.line(0, raw[:1], "opening flag")
        length = ((raw[1] & 7) << 8) | raw[2]
        d.line(0, raw[1:3], f"format 0x{raw[1] >> 4:X}, length {length} (frame {length + 2} bytes, {len(raw)} given)")


def _try_decode(raw: bytes, profiles: Any, kw: dict[str, Any], out: Any) -> Any:
    from . import decode_frame
    from ._errors import DecodeError

    out.write("Decoded\n")
    try:
        f = decode_frame(raw, profiles, **kw)
    except DecodeError as e:
        out.write(f"  rejected: {type(e).__name__}: {e}\n")
        return None
    out.write(f"  profile {f.profile_id}, list {f.list_name}, version {f.list_version}, meter {f.meter_id} "
              f"({f.meter_type})\n")
    for r in f.readings:
        unit = getattr(r.unit, "symbol", "") if r.unit is not None else ""
        obis = str(r.obis) if r.obis is not None else ""
        out.write(f"  {r.name:<28} {str(r.value):>26} {unit:<5} {obis}\n")
    return f


# --------------------------------------------------------------------------- starting profile

def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _starting_profile(
    raw: bytes, info: bytes, p: int, body: Any, frame: Any, src: int, names: dict[int, str], kw: dict[str, Any],
) -> str | None:
    """A profile TOML for this list: OBIS layout from the decoded frame, or a
    positional layout from the walked body."""
    if body is None or body[0] not in (0x01, 0x02):
        return None
    items = body[1]
    version = frame.list_version if frame is not None else None
    if version is None and items and items[0][0] in (0x09, 0x0A) and isinstance(items[0][1], bytes):
        version = items[0][1].decode("latin-1") if all(32 <= c < 127 for c in items[0][1]) else None
    ident = re.sub(r"[^a-z0-9]+", "-", (version or "unknown-meter").lower()).strip("-") or "unknown-meter"
    tz = kw.get("tz") or "UTC"
    lines = [
        "# Starting profile written by 'amsparse diagnose' from one frame.",
        "# Check every name, unit and scaler against the meter's documentation, then load it with",
        "# amsparse decode --profiles THIS_FILE (or amsparse.load_profiles).",
        "schema = 1",
        f"id = {_toml_str(ident)}",
        'vendor = "Unknown"',
        f"description = {_toml_str('list ' + (version or 'without a version string'))}",
    ]
    src_hex = src.to_bytes(max(1, (src.bit_length() + 7) // 8), "big").hex(" ").upper()
    objects: list[tuple[str, dict[str, Any]]] = []
    if frame is not None:  # OBIS-coded: every value carries its code
        lines.append('layout = "obis"')
        if version:
            lines.append(f"list_versions = [{_toml_str(version)}]")
        lines.append(f"timezone = {_toml_str(tz)}")
        if not version:
            lines += ["", "[detect]", f"hdlc_source = [{_toml_str(src_hex)}]"]
        lines += ["", "[[lists]]", 'name = "list"', f"elements = {len(items)}"]
        for r in frame.readings:
            if r.obis is None:
                continue
            spec: dict[str, Any] = {"obis": str(r.obis)}
            if r.unit is not None and getattr(r.unit, "symbol", None):
                spec["unit"] = r.unit.symbol
            if r.scaler:
                spec["scaler"] = r.scaler
            spec["type"] = _kind(r.value)
            objects.append((r.name, spec))
    else:  # positional: name the values by position
        lines.append('layout = "positional"')
        if version:
            lines.append(f"list_versions = [{_toml_str(version)}]")
        lines.append(f"timezone = {_toml_str(tz)}")
        if not version:
            lines += ["", "[detect]", f"hdlc_source = [{_toml_str(src_hex)}]"]
        fields = []
        for i, (tag, v) in enumerate(items):
            name = "list_version" if i == 0 and version else f"value_{i}"
            if tag in (0x09,) and isinstance(v, bytes) and len(v) == 12:
                kind = "datetime"
            elif tag in (0x09, 0x0A, 0x0C):
                kind = "string" if isinstance(v, bytes) and all(32 <= c < 127 for c in v) else "bytes"
            elif tag == 0x19:
                kind = "datetime"
            elif tag in (0x01, 0x02, 0x00):
                kind = "bytes"
            else:
                kind = "number"
            fields.append(name)
            objects.append((name, {"type": kind}))
        lines += ["", "[[lists]]", 'name = "list"', f"elements = {len(items)}",
                  "fields = [" + ", ".join(_toml_str(f) for f in fields) + "]"]
    lines += ["", "[objects]"]
    for name, spec in objects:
        body_txt = ", ".join(f"{k} = {_toml_str(v) if isinstance(v, str) else v}" for k, v in spec.items())
        lines.append(f"{name} = {{ {body_txt} }}")
    return "\n".join(lines) + "\n"


def _kind(v: Any) -> str:
    import datetime as _dt

    if isinstance(v, str):
        return "string"
    if isinstance(v, bytes):
        return "bytes"
    if isinstance(v, _dt.datetime) or type(v).__name__ == "CosemDateTime":
        return "datetime"
    return "number"


def run(args: argparse.Namespace) -> int:
    from ._profiles import builtin_profiles

    kw = decoder_kw(args)
    profiles = kw.pop("profiles", None) or builtin_profiles()
    frames = _frames(args.input)
    if not frames:
        err(f"no frame found in {args.input!r}")
        return EXIT_NO_FRAMES
    out = sys.stdout
    ok_all = True
    tomls: list[str] = []
    for i, raw in enumerate(frames[: max(1, args.max)]):
        out.write(f"=== frame {i + 1} of {len(frames)} ===\n")
        ok, toml = diagnose(raw, profiles, kw, out)
        ok_all &= ok
        if toml and toml not in tomls:
            tomls.append(toml)
            out.write("\nNo profile knows this list. A starting profile (edit, then load with --profiles):\n\n")
            out.write(toml)
        out.write("\n")
    if args.toml and tomls:
        with open(args.toml, "w", encoding="utf-8") as fh:
            fh.write(tomls[0])
        err(f"starting profile written to {args.toml}")
    out.flush()
    return EXIT_OK if ok_all else EXIT_NO_FRAMES
