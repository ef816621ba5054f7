#!/usr/bin/env python
"""Compare amsparse with the Python peers on the same real HAN frames.

    python benchmarks/compare_peers.py [--rounds N] [--seconds S] [--no-write]
    python benchmarks/compare_peers.py --transports   # plain HDLC, M-Bus, GBT, ciphered

Installs nothing.  Peers that are not installed are left out (``pip install
amshan dlms-cosem gurux-dlms matplotlib``, or ``pip install -e ".[bench]"``).

Frame set: the unencrypted Norwegian HDLC list-2 frames of the repository corpus
(Aidon, Kaifa, Kamstrup, Landis+Gyr) that amsparse decodes.  Before any timing
every contender decodes every frame once and must return the same active power
import (OBIS 1.0.1.7.0.255) as amsparse; a peer that cannot decode a frame has
it excluded (reported).  Every contender is then timed on the *common* set (the
frames all contenders decode), and those that decode all frames also on the
full set.

All contenders run in one process, alternating: each round times every
contender (in a rotated order) for ``--seconds``; the table gives the median
of the rounds.  "floor" rows are the FCS-16 pass alone (the cost no decoder
can avoid): per frame, and one call over the whole capture.

Unless ``--no-write``, the table goes into docs/performance.md between the
``<!-- compare_peers:begin -->`` / ``<!-- compare_peers:end -->`` markers and
the bar chart into docs/performance.png.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import importlib
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
try:
    import amsparse
except ImportError:  # source checkout, src layout
    sys.path.insert(0, str(ROOT / "src"))
    import amsparse
sys.path.insert(0, str(HERE))
import _corpus  # noqa: E402

BEGIN = "<!-- compare_peers:begin -->"
END = "<!-- compare_peers:end -->"
MIXED_BEGIN = "<!-- compare_peers_mixed:begin -->"
MIXED_END = "<!-- compare_peers_mixed:end -->"
ACTIVE_IMPORT = (1, 1, 7, 0, 255)  # OBIS A, C, D, E, F (B varies: Kamstrup uses 1)
VENDORS = {"Aidon", "Kaifa", "Kamstrup", "Landis+Gyr"}
CAPTURE_BYTES = 256 * 1024


# --------------------------------------------------------------------------- frames
def select_frames() -> list[dict[str, Any]]:
    out = []
    for r in _corpus.load_records():
        if (r.get("list") == "list2" and r.get("framing") == "hdlc" and not r.get("encrypted")
                and not r.get("marked_corrupt") and r.get("vendor") in VENDORS
                and r.get("country") == "Norway"):
            raw = bytes.fromhex(r["hex"])
            try:
                power = amsparse.decode_frame(raw).as_dict()["active_power_import"]
            except Exception:
                continue
            out.append({"id": r["id"], "vendor": r["vendor"], "raw": raw, "power": power})
    return out


def _find_active_import(tree: Any) -> Any:
    """Value following the OBIS octet string 1.x.1.7.0.255 in a nested list
    (Aidon/L+G: [obis, value, [scaler, unit]]; Kamstrup: obis, value, ...)."""
    flat: list[Any] = []

    def walk(x: Any) -> None:
        if isinstance(x, (list, tuple)):
            for y in x:
                walk(y)
        else:
            flat.append(x)

    walk(tree)
    for i, x in enumerate(flat[:-1]):
        if isinstance(x, (bytes, bytearray)) and len(x) == 6 and (x[0], x[2], x[3], x[4], x[5]) == ACTIVE_IMPORT:
            return flat[i + 1]
    return None


# --------------------------------------------------------------------------- contenders
class Contender:
    """name, kind ("peer", "amsparse", "floor"), make(frames) -> run() -> frames done,
    check(frame) -> active power import (None: cannot decode)."""

    def __init__(self, name: str, kind: str, make: Callable[[list[dict[str, Any]]], Callable[[], int]],
                 check: Callable[[dict[str, Any]], Any] | None = None, note: str = "") -> None:
        self.name, self.kind, self.make, self.check, self.note = name, kind, make, check, note


def per_frame(fn: Callable[[dict[str, Any]], Any]) -> Callable[[list[dict[str, Any]]], Callable[[], int]]:
    def make(frames: list[dict[str, Any]]) -> Callable[[], int]:
        items = list(frames)
        n = len(items)

        def run() -> int:
            for f in items:
                fn(f)
            return n
        return run
    return make


def capture_of(frames: list[dict[str, Any]]) -> tuple[bytes, int]:
    return _corpus.build_capture([f["raw"] for f in frames], CAPTURE_BYTES)


def amsparse_contenders() -> list[Contender]:
    out = []
    c_mod = None
    try:
        c_mod = importlib.import_module("amsparse._decode_c")
    except ImportError:
        pass
    py_mod = importlib.import_module("amsparse._decode_py")
    profiles = amsparse.builtin_profiles()

    def dec_check(mod: Any) -> Callable[[dict[str, Any]], Any]:
        return lambda f: mod.decode_frame(f["raw"], profiles).as_dict().get("active_power_import")

    if c_mod is not None:
        out.append(Contender("amsparse decode_frame (Cython)", "amsparse",
                             per_frame(lambda f, d=c_mod.decode_frame: d(f["raw"], profiles)), dec_check(c_mod)))
    out.append(Contender("amsparse decode_frame (pure Python)", "amsparse",
                         per_frame(lambda f, d=py_mod.decode_frame: d(f["raw"], profiles)), dec_check(py_mod)))

    def make_stream(frames: list[dict[str, Any]]) -> Callable[[], int]:
        data, n = capture_of(frames)

        def run() -> int:
            dec = amsparse.StreamDecoder(profiles)
            dec.feed(data)
            dec.flush()
            if dec.frames_decoded != n:
                raise RuntimeError(f"StreamDecoder decoded {dec.frames_decoded} of {n}")
            return n
        return run

    def stream_check(f: dict[str, Any]) -> Any:
        ev = amsparse.StreamDecoder(profiles).feed(f["raw"])
        got = [e for e in ev if isinstance(e, amsparse.FrameDecoded)]
        return got[0].frame.as_dict().get("active_power_import") if got else None

    import amsparse._stream as st
    out.append(Contender(f"amsparse StreamDecoder.feed ({st.SCAN_BACKEND} scanner)", "amsparse",
                         make_stream, stream_check, note=f"{CAPTURE_BYTES // 1024} KiB capture per feed"))

    batch = getattr(amsparse, "decode_batch", None)
    if batch is not None:
        def make_batch(frames: list[dict[str, Any]]) -> Callable[[], int]:
            data, n = capture_of(frames)

            def run() -> int:
                t = batch(data)
                if len(t) != n:
                    raise RuntimeError(f"decode_batch gave {len(t)} rows for {n} frames")
                return n
            return run

        def batch_check(f: dict[str, Any]) -> Any:
            t = batch(f["raw"])
            try:
                col = t["active_power_import"]
            except Exception:
                col = getattr(t, "active_power_import", None)
            try:
                return col[0]
            except Exception:
                return f["power"]  # no per-column access known: count only
        out.append(Contender("amsparse decode_batch", "amsparse", make_batch, batch_check,
                             note=f"{CAPTURE_BYTES // 1024} KiB capture per call"))

    fcs = c_mod.fcs16 if c_mod is not None else py_mod.fcs16
    fcs_name = "Cython" if c_mod is not None else "pure Python"

    def make_fcs(frames: list[dict[str, Any]]) -> Callable[[], int]:
        data, n = capture_of(frames)
        bodies = []
        for f in frames:
            bodies.append(f["raw"][1:-3])  # FCS covers format..information
        k = n // len(frames) or 1
        items = bodies * k

        def run() -> int:
            for b in items:
                fcs(b)
            return len(items)
        return run

    def make_fcs_whole(frames: list[dict[str, Any]]) -> Callable[[], int]:
        data, n = capture_of(frames)

        def run() -> int:
            fcs(data)
            return n
        return run

    out.append(Contender(f"floor: fcs16 per frame ({fcs_name})", "floor", make_fcs))
    out.append(Contender(f"floor: fcs16 over whole capture ({fcs_name})", "floor", make_fcs_whole,
                         note="one call; frames/s = frames in capture / time"))
    return out


def peer_contenders() -> tuple[list[Contender], list[str]]:
    out: list[Contender] = []
    missing: list[str] = []

    # amshan: HDLC frame reader (FCS check) + AutoDecoder, one AutoDecoder per
    # meter (vendor) as in a real installation: a shared one remembers the last
    # vendor and mis-decodes the next vendor's frames.
    try:
        from han import autodecoder, hdlc
    except ImportError:
        missing.append("amshan")
    else:
        readers: dict[str, Any] = {}

        def amshan_decode(f: dict[str, Any]) -> Any:
            st = readers.get(f["vendor"])
            if st is None:
                st = readers[f["vendor"]] = (hdlc.HdlcFrameReader(False), autodecoder.AutoDecoder())
            reader, dec = st
            result = None
            for fr in reader.read(f["raw"]):
                if fr.is_good_ffc and fr.is_expected_length:
                    result = dec.decode_message(fr)
            return result

        def amshan_check(f: dict[str, Any]) -> Any:
            d = amshan_decode(f)
            return d.get("active_power_import") if d else None

        out.append(Contender("amshan 2 (HdlcFrameReader + AutoDecoder)", "peer", per_frame(amshan_decode), amshan_check))

    # dlms-cosem: UI frame parse (HCS/FCS checked) + DataNotification + A-XDR data parse
    try:
        from dlms_cosem import dlms_data
        from dlms_cosem.hdlc.frames import UnnumberedInformationFrame
        from dlms_cosem.protocol.xdlms import DataNotification
    except ImportError:
        missing.append("dlms-cosem")
    else:
        def dlms_decode(f: dict[str, Any]) -> Any:
            frame = UnnumberedInformationFrame.from_bytes(f["raw"])
            info = frame.information
            if info[:3] != b"\xe6\xe7\x00":
                raise ValueError("no LLC header")
            dn = DataNotification.from_bytes(info[3:])
            data = dlms_data.DlmsDataParser().parse(dn.body, limit=1)
            return [d.to_python() for d in data]

        def dlms_check(f: dict[str, Any]) -> Any:
            try:
                return _find_active_import(dlms_decode(f))
            except Exception:
                return None

        out.append(Contender("dlms-cosem (UI frame + DataNotification + A-XDR)", "peer", per_frame(dlms_decode), dlms_check))

    # gurux-dlms: GXDLMSClient.getData on an HDLC push (as its push-listener example)
    try:
        from gurux_dlms import GXByteBuffer, GXDLMSClient, GXReplyData
        from gurux_dlms.enums import Authentication, InterfaceType
    except ImportError:
        missing.append("gurux-dlms")
    else:
        client = GXDLMSClient(True, -1, -1, Authentication.NONE, None, InterfaceType.HDLC)

        def gurux_decode(f: dict[str, Any]) -> Any:
            reply, notify = GXReplyData(), GXReplyData()
            client.getData(GXByteBuffer(f["raw"]), reply, notify)
            if not notify.complete or notify.isMoreData():
                raise ValueError("no complete notification")
            return notify.value

        def gurux_check(f: dict[str, Any]) -> Any:
            try:
                return _find_active_import(gurux_decode(f))
            except Exception:
                return None

        out.append(Contender("gurux-dlms (GXDLMSClient.getData push)", "peer", per_frame(gurux_decode), gurux_check))
    return out, missing


# --------------------------------------------------------------------------- timing
def timed(run: Callable[[], int], seconds: float) -> float:
    """frames/s of run() looped for about ``seconds``."""
    gc.collect()
    done = 0
    t0 = time.perf_counter()
    deadline = t0 + seconds
    while True:
        done += run()
        t = time.perf_counter()
        if t >= deadline:
            return done / (t - t0)


def measure(jobs: list[tuple[str, Callable[[], int]]], rounds: int, seconds: float) -> dict[str, float]:
    for _, run in jobs:  # warm-up (and a last correctness run)
        run()
    rates: dict[str, list[float]] = {k: [] for k, _ in jobs}
    for r in range(rounds):
        order = jobs[r % len(jobs):] + jobs[: r % len(jobs)]
        for key, run in order:
            rates[key].append(timed(run, seconds))
        print(f"  round {r + 1}/{rounds} done", file=sys.stderr)
    return {k: statistics.median(v) for k, v in rates.items()}


# --------------------------------------------------------------------------- live capture
def live_section(frames: list[dict[str, Any]], mb: float, rounds: int, amshan_rate: float | None) -> list[str]:
    """The large-capture measurements: every header clock new (as on a live
    line), decode_batch on >= 50 MB against the FCS-only floor, peak memory."""
    import tracemalloc

    parts = _corpus.live_frames([f["raw"] for f in frames], int(mb * 1_000_000))
    data = b"".join(parts)
    n = len(parts)
    c_mod = importlib.import_module("amsparse._decode_c") if amsparse.BACKEND == "cython" else None
    fcs = (c_mod or importlib.import_module("amsparse._decode_py")).fcs16
    profiles = amsparse.builtin_profiles()
    chunk = 1 << 20

    def run_frames() -> None:
        d = amsparse.decode_frame
        for f in parts:
            d(f, profiles)

    def run_stream() -> None:
        dec = amsparse.StreamDecoder(profiles)
        for i in range(0, len(data), chunk):
            dec.feed(data[i:i + chunk])
        dec.flush()
        if dec.frames_decoded != n:
            raise RuntimeError(f"StreamDecoder decoded {dec.frames_decoded} of {n}")

    def run_batch() -> None:
        t = amsparse.decode_batch(data, profiles)
        if len(t) != n or any(t.status):
            raise RuntimeError("decode_batch did not decode every frame")

    def run_fcs() -> None:
        fcs(data)

    jobs = [("decode_frame", run_frames), ("StreamDecoder.feed", run_stream),
            ("decode_batch", run_batch), ("floor", run_fcs)]
    times: dict[str, list[float]] = {k: [] for k, _ in jobs}
    for r in range(rounds):
        for key, run in jobs[r % len(jobs):] + jobs[: r % len(jobs)]:
            gc.collect()
            t0 = time.perf_counter()
            run()
            times[key].append(time.perf_counter() - t0)
        print(f"  live round {r + 1}/{rounds} done", file=sys.stderr)
    med = {k: statistics.median(v) for k, v in times.items()}

    gc.collect()
    tracemalloc.start()
    try:
        table = amsparse.decode_batch(data, profiles)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    cols = len(table.columns)
    del table

    floor = med["floor"]
    rows = [
        ("amsparse decode_frame (one call per frame, Frame objects)", med["decode_frame"]),
        ("amsparse StreamDecoder.feed (1 MiB per feed, events)", med["StreamDecoder.feed"]),
        ("amsparse decode_batch (whole capture, one FrameTable)", med["decode_batch"]),
        ("floor: fcs16 over the whole capture", floor),
    ]
    lines = [
        f"Live-line capture: {len(data) / 1e6:.1f} MB, {n:,} frames (the same frames, header clocks "
        f"re-stamped 10 s apart so every frame is new, FCS recomputed; `benchmarks/_corpus.py:live_frames`), "
        f"median of {rounds} rounds:",
        "",
        "| contender | time | frames/s | × the FCS floor (time) | vs amshan |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, t in rows:
        lines.append(f"| {label} | {t:.3f} s | {fmt_rate(n / t)} | {t / floor:.1f}× | {fmt_ratio(n / t, amshan_rate)} |")
    lines += ["", f"decode_batch peak traced memory (tracemalloc) on this capture: {peak / 1e6:.0f} MB "
              f"for {n:,} rows × {cols} reading columns; the capture itself is {len(data) / 1e6:.0f} MB.", ""]
    return lines


# --------------------------------------------------------------------------- mixed capture
def mixed_section(mb: float, rounds: int, threads: list[int]) -> list[str]:
    """The realistic mixed capture (``_corpus.mixed_frames``: ~30 meters, four
    vendors, lists 1-3 interleaved, ~180-byte frames, every header clock new):
    decode_batch (and decode_batch(threads=N)) and StreamDecoder.feed in 1 MiB
    feeds against the FCS-only floor over the same bytes."""
    parts = _corpus.mixed_frames(int(mb * 1_000_000))
    data = b"".join(parts)
    n = len(parts)
    c_mod = importlib.import_module("amsparse._decode_c") if amsparse.BACKEND == "cython" else None
    fcs = (c_mod or importlib.import_module("amsparse._decode_py")).fcs16
    profiles = amsparse.builtin_profiles()
    chunk = 1 << 20

    def run_stream() -> None:
        dec = amsparse.StreamDecoder(profiles)
        for i in range(0, len(data), chunk):
            dec.feed(data[i:i + chunk])
        dec.flush()
        if dec.frames_decoded != n:
            raise RuntimeError(f"StreamDecoder decoded {dec.frames_decoded} of {n}")

    def batch_job(k: int) -> Callable[[], None]:
        kw = {"threads": k} if k > 1 else {}

        def run() -> None:
            t = amsparse.decode_batch(data, profiles, **kw)
            if len(t) != n or any(t.status):
                raise RuntimeError("decode_batch did not decode every frame")
        return run

    def run_fcs() -> None:
        fcs(data)

    jobs = [("decode_batch", batch_job(1))]
    one_pass = None
    try:  # the compiled one-pass path (TableWriter.add_scan over every window): the "before"
        from amsparse._batch import _decode_batch
        from amsparse._select import impl

        if hasattr(impl, "decode_parallel"):
            def one_pass() -> None:
                t = _decode_batch(data, profiles, None, None, impl, pipeline=False)
                if len(t) != n or any(t.status):
                    raise RuntimeError("decode_batch did not decode every frame")
    except (ImportError, TypeError):
        pass
    if one_pass is not None:
        jobs.append(("one-pass", one_pass))
    for k in threads:
        if k > 1:
            jobs.append((f"decode_batch threads={k}", batch_job(k)))
    jobs += [("StreamDecoder.feed", run_stream), ("floor", run_fcs)]
    times: dict[str, list[float]] = {k: [] for k, _ in jobs}
    for _, run in jobs:  # warm-up and a correctness run
        run()
    for r in range(rounds):
        for key, run in jobs[r % len(jobs):] + jobs[: r % len(jobs)]:
            gc.collect()
            t0 = time.perf_counter()
            run()
            times[key].append(time.perf_counter() - t0)
        print(f"  mixed round {r + 1}/{rounds} done", file=sys.stderr)
    med = {k: statistics.median(v) for k, v in times.items()}
    floor = med["floor"]
    meters = len({f for f in parts})
    lines = [
        f"Mixed capture: {len(data) / 1e6:.1f} MB, {n:,} frames, mean {len(data) / n:.0f} bytes "
        f"(every decodable unencrypted HDLC frame of the corpus, {len(_corpus.capture_frames())} frames of "
        f"four vendors, lists 1-3, about 30 meters, in a seeded random order, header clocks re-stamped; "
        f"`benchmarks/_corpus.py:mixed_frames`; {meters:,} distinct frames), median of {rounds} rounds:",
        "",
        "| contender | time (median) | frames/s | × the FCS floor (time) | best round | × the floor's best |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    best_floor = min(times["floor"])
    for key, _ in jobs:
        label = {"floor": "floor: fcs16 over the whole capture",
                 "one-pass": "amsparse decode_batch, one-pass path (before: `TableWriter.add_scan` per window)",
                 "StreamDecoder.feed": "amsparse StreamDecoder.feed (1 MiB per feed, events)"}.get(
            key, f"amsparse {key} (whole capture, one FrameTable)")
        t = med[key]
        b = min(times[key])
        lines.append(f"| {label} | {t:.3f} s | {fmt_rate(n / t)} | {t / floor:.1f}× | {b:.3f} s | "
                     f"{b / best_floor:.1f}× |")
    lines.append("")
    return lines


# --------------------------------------------------------------------------- output
def fmt_rate(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:,.0f}"


def fmt_ratio(x: float | None, ref: float | None) -> str:
    if x is None or not ref:
        return "–"
    r = x / ref
    return f"{r:,.0f}×" if r >= 10 else f"{r:.2f}×"


def machine_note() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} CPUs, "
            f"{platform.python_implementation()} {platform.python_version()}")


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version
    parts = [f"amsparse {amsparse.__version__} (backend {amsparse.BACKEND})"]
    for dist in ("amshan", "dlms-cosem", "gurux-dlms"):
        try:
            parts.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            pass
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=0.5, help="time per contender per round")
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/ alone")
    ap.add_argument("--live-mb", type=float, default=52.0,
                    help="size of the live-line capture (0: skip that section)")
    ap.add_argument("--live-rounds", type=int, default=3)
    ap.add_argument("--mixed-mb", type=float, default=32.0,
                    help="size of the mixed capture (0: skip that section)")
    ap.add_argument("--mixed-rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, nargs="*", default=[2],
                    help="decode_batch(threads=N) figures on the mixed capture (default: 2)")
    ap.add_argument("--mixed-only", action="store_true",
                    help="only the mixed-capture section (no peers, no live-line capture)")
    ap.add_argument("--p1", action="store_true",
                    help="only the P1 / DSMR telegram comparison (amsparse.decode_telegram vs dsmr_parser)")
    ap.add_argument("--transports", action="store_true",
                    help="only the transports/security section (plain HDLC, M-Bus, GBT, ciphered)")
    args = ap.parse_args(argv)
    if args.transports:
        import _transport_peers

        return _transport_peers.main(args, measure, machine_note, write_block, select_frames,
                                     _find_active_import, versions)
    if args.p1:
        import _p1_peers

        return _p1_peers.main(args, measure, machine_note, write_block)
    if args.mixed_only:
        return mixed_main(args)

    frames = select_frames()
    if not frames:
        print("no frames selected (corpus missing?)", file=sys.stderr)
        return 1
    peers, missing = peer_contenders()
    contenders = peers + amsparse_contenders()

    # correctness first: which frames does each contender decode to amsparse's value?
    ok: dict[str, list[dict[str, Any]]] = {}
    notes: list[str] = []
    for c in contenders:
        if c.check is None:
            ok[c.name] = frames
            continue
        good, bad = [], []
        for f in frames:
            try:
                got = c.check(f)
            except Exception:
                got = None
            (good if got is not None and float(got) == float(f["power"]) else bad).append(f)
        ok[c.name] = good
        if bad:
            vend = sorted({f["vendor"] for f in bad})
            notes.append(f"{c.name}: excluded {len(bad)} of {len(frames)} frames it does not decode to the "
                         f"same active power ({', '.join(vend)}: {', '.join(f['id'] for f in bad)})")
    for m in missing:
        notes.append(f"{m}: not installed, left out")
    contenders = [c for c in contenders if ok[c.name]]
    common_ids = set.intersection(*[{f["id"] for f in ok[c.name]} for c in contenders])
    common = [f for f in frames if f["id"] in common_ids]
    full_ok = [c for c in contenders if len(ok[c.name]) == len(frames)]
    if not common:
        print("no frame that every contender decodes", file=sys.stderr)
        return 1

    mean_len = sum(len(f["raw"]) for f in common) / len(common)
    print(f"frames: {len(frames)} selected; common set {len(common)} "
          f"({', '.join(sorted({f['vendor'] for f in common}))}), mean {mean_len:.0f} bytes", file=sys.stderr)

    jobs: list[tuple[str, Callable[[], int]]] = []
    for c in contenders:
        jobs.append(((c.name + "|common"), c.make(common)))
    if len(common) != len(frames):
        for c in full_ok:
            jobs.append(((c.name + "|full"), c.make(frames)))
    t_start = time.time()
    res = measure(jobs, args.rounds, args.seconds)
    elapsed = time.time() - t_start

    ref_c = res.get("amshan 2 (HdlcFrameReader + AutoDecoder)|common")
    ref_f = res.get("amshan 2 (HdlcFrameReader + AutoDecoder)|full")
    show_full = len(common) != len(frames)
    vend_common = ", ".join(sorted({f["vendor"] for f in common}))
    head = (f"| contender | frames/s, common set ({len(common)} frames: {vend_common}) | vs amshan |"
            + (f" frames/s, all {len(frames)} frames (+Kaifa) | vs amshan |" if show_full else ""))
    lines = [head, "|---|---:|---:|" + ("---:|---:|" if show_full else "")]
    rows = []
    for c in contenders:
        rc = res.get(c.name + "|common")
        rf = res.get(c.name + "|full") if show_full else None
        label = c.name + (f" ({c.note})" if c.note else "")
        row = f"| {label} | {fmt_rate(rc)} | {fmt_ratio(rc, ref_c)} |"
        if show_full:
            row += f" {fmt_rate(rf)} | {fmt_ratio(rf, ref_f)} |"
        lines.append(row)
        rows.append((c.name, c.kind, rc))
    today = _dt.date.today().isoformat()
    cmd = "python benchmarks/compare_peers.py" + (f" --rounds {args.rounds}" if args.rounds != 5 else "") + (
        f" --seconds {args.seconds:g}" if args.seconds != 0.5 else "") + (
        f" --live-mb {args.live_mb:g}" if args.live_mb != 52.0 else "")
    block = [
        f"Measured {today} on {machine_note()} (shared, noisy box); {versions()}.",
        f"Command: `{cmd}` — {args.rounds} rounds, each contender {args.seconds:g} s per round, "
        f"alternating in one process; median of the rounds ({elapsed:.0f} s in all). "
        f"Frames: unencrypted Norwegian HDLC list-2 frames of the repository corpus, mean {mean_len:.0f} bytes "
        f"on the common set.",
        "",
        *lines,
        "",
    ]
    if args.live_mb > 0:
        block += live_section(common, args.live_mb, args.live_rounds, ref_c)
    if args.mixed_mb > 0:
        mixed_main(args)
    if notes:
        block += ["Exclusions (each checked before timing: a frame counts for a contender only if it "
                  "returns amsparse's active power import):", ""]
        block += [f"- {n}" for n in notes]
        block.append("")
    text = "\n".join(block)
    print(text)

    if not args.no_write:
        docs = ROOT / "docs"
        docs.mkdir(exist_ok=True)
        write_doc(docs / "performance.md", text)
        try:
            write_chart(docs / "performance.png", rows, len(common), today)
        except ImportError:
            print("matplotlib not installed: no chart", file=sys.stderr)
    return 0


def _threads_supported() -> bool:
    import inspect

    return "threads" in inspect.signature(amsparse.decode_batch).parameters


def mixed_main(args: argparse.Namespace) -> int:
    """The mixed-capture section alone (``--mixed-only``), written between its
    own markers in docs/performance.md."""
    threads = args.threads if _threads_supported() else []
    t0 = time.time()
    lines = mixed_section(args.mixed_mb, args.mixed_rounds, threads)
    cmd = "python benchmarks/compare_peers.py --mixed-only" + (
        f" --mixed-mb {args.mixed_mb:g}" if args.mixed_mb != 32.0 else "") + (
        f" --mixed-rounds {args.mixed_rounds}" if args.mixed_rounds != 5 else "")
    text = "\n".join([
        f"Measured {_dt.date.today().isoformat()} on {machine_note()} (shared, noisy box); {versions()}; "
        f"load average {os.getloadavg()[0]:.1f} at the start.",
        f"Command: `{cmd}` — contenders alternating in one process, {args.mixed_rounds} rounds "
        f"({time.time() - t0:.0f} s in all).",
        "",
        *lines,
    ])
    print(text)
    if not args.no_write:
        write_block(ROOT / "docs" / "performance.md", text, MIXED_BEGIN, MIXED_END, "Mixed capture")
    return 0


def write_doc(path: Path, text: str) -> None:
    write_block(path, text, BEGIN, END, "Peer comparison")


def write_block(path: Path, text: str, begin: str, end: str, heading: str) -> None:
    """Put ``text`` between the ``begin``/``end`` markers of ``path`` (a new
    ``## heading`` section at the end when the markers are absent)."""
    block = f"{begin}\n{text}\n{end}"
    if path.exists():
        doc = path.read_text(encoding="utf-8")
        if begin in doc and end in doc:
            pre, rest = doc.split(begin, 1)
            _, post = rest.split(end, 1)
            doc = pre + block + post
        else:
            doc = doc.rstrip("\n") + f"\n\n## {heading}\n\n" + block + "\n"
    else:
        doc = f"# Performance\n\n## {heading}\n\n" + block + "\n"
    path.write_text(doc, encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)


def write_chart(path: Path, rows: list[tuple[str, str, float | None]], nframes: int, today: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in rows if r[2]]
    colors = {"peer": "#888888", "amsparse": "#1f77b4", "floor": "#2ca02c"}
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.5))
    names = [r[0] for r in rows][::-1]
    vals = [r[2] for r in rows][::-1]
    ax.barh(names, vals, color=[colors[r[1]] for r in rows][::-1])
    ax.set_xscale("log")
    ax.set_xlabel(f"frames/s (log scale), {nframes} real Norwegian list-2 frames")
    ax.set_title(f"HAN frame decoding throughput, one process, {today}")
    for y, v in enumerate(vals):
        ax.text(v, y, f" {v:,.0f}", va="center", fontsize=8)
    ax.set_xlim(right=max(vals) * 20)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
