"""decode_batch / FrameTable: the columnar API agrees with the object API."""

from __future__ import annotations

import importlib
import struct
import tracemalloc

import corpusdata
import pytest
from tables import assert_same_tables

import amsparse
from amsparse import _decode_py
from amsparse._batch import NAT, RAW_MISSING, FrameTable, _decode_batch, epoch_us
from amsparse._errors import DecodeError

# decode_batch reads HDLC frames; M-Bus captures (which decode_frame takes since
# the transports work) are checked apart, below.  A ciphered payload-only APDU
# (0xDB/0xDC first) is one decode_batch unwraps and decode_frame refuses as no
# HDLC frame: tests/test_corpus_walk.py checks those through decode_apdu.
FRAMES = [(r["id"], bytes.fromhex(r["hex"])) for r in corpusdata.records()
          if r.get("framing") != "mbus" and r["hex"][:2] not in ("db", "dc")]
MBUS = [bytes.fromhex(r["hex"]) for r in corpusdata.records() if r.get("framing") == "mbus"]


def _decode_or_error(impl, raw):  # type: ignore[no-untyped-def]
    try:
        if raw[:1] == b"/":  # a P1 telegram: decode_batch decodes those too
            return importlib.import_module("amsparse._p1_c" if impl.BACKEND == "cython" else "amsparse._p1_py").decode_telegram(raw), None
        return impl.decode_frame(raw), None
    except DecodeError as e:
        return None, e


def _is_missing(v: float) -> bool:
    """The cell of a reading the row lacks: the MISSING NaN, bit for bit."""
    return struct.pack("<d", v) == struct.pack("<Q", 0x7FF80000A5A5A5A5)


def _check_row(table: FrameTable, row: int, frame, error) -> None:  # type: ignore[no-untyped-def]
    if error is not None:
        assert table.status[row] != 0
        assert table.errors[row] == f"{type(error).__name__}: {error}"
        assert table.header_time[row] == NAT
        for col in table.columns.values():
            assert _is_missing(col[row])
        assert table.system_title[row] is None and table.invocation_counter[row] is None
        return
    assert table.status[row] == 0
    assert row not in table.errors
    for key in ("profile_id", "list_name", "list_version", "meter_id", "meter_type"):
        assert table.category(key)[row] == getattr(frame, key)
    assert table.header_time[row] == epoch_us(frame.header_time)
    assert table.meter_time[row] == epoch_us(frame.meter_time)
    numeric = {}
    for r in frame.readings:
        if type(r.value) in (int, float) and r.name not in numeric:
            numeric[r.name] = r
    for name, col in table.columns.items():
        r = numeric.get(name)
        if r is None:
            assert _is_missing(col[row]), name
            assert table.raw[name][row] == RAW_MISSING
            continue
        assert col[row] == float(r.value), name
        if type(r.raw) is int:  # int64 column: a u64 beyond it is RAW_MISSING
            assert table.raw[name][row] == (r.raw if -(2**63) <= r.raw < 2**63 else RAW_MISSING)
            assert table.scalers[name][row] == (r.scaler if -128 <= r.scaler <= 127 else 0)
    assert set(numeric) <= set(table.columns)
    sec = frame.security
    assert table.system_title[row] == (None if sec is None else sec.system_title.hex())
    assert table.invocation_counter[row] == (None if sec is None else sec.invocation_counter)


@pytest.mark.parametrize("fid,raw", FRAMES, ids=[f for f, _ in FRAMES])
def test_each_corpus_frame(impl, fid: str, raw: bytes) -> None:
    table = _decode_batch([raw], None, None, None, impl)
    assert len(table) == 1
    _check_row(table, 0, *_decode_or_error(impl, raw))


def test_iterable_all_frames(impl) -> None:  # type: ignore[no-untyped-def]
    table = _decode_batch([r for _, r in FRAMES], None, None, None, impl)
    assert len(table) == len(FRAMES)
    for row, (_, raw) in enumerate(FRAMES):
        _check_row(table, row, *_decode_or_error(impl, raw))
    for col in table.columns.values():
        assert len(col) == len(table)


def test_capture_with_junk(impl) -> None:  # type: ignore[no-untyped-def]
    junk = b"\x00\xffjunk\x01"
    capture = junk + junk.join(r for _, r in FRAMES) + junk
    table = _decode_batch(capture, None, None, None, impl)
    good = [f for f, e in (_decode_or_error(impl, r) for _, r in FRAMES) if f is not None]
    ok_rows = [i for i in range(len(table)) if table.status[i] == 0]
    assert len(ok_rows) == len(good)
    for row, frame in zip(ok_rows, good):
        _check_row(table, row, frame, None)
    assert table.bytes_discarded >= len(junk) * 2


def test_backends_agree(both) -> None:  # type: ignore[no-untyped-def]
    c, py = both
    capture = b"noise".join(r for _, r in FRAMES)
    a = _decode_batch(capture, None, None, None, c)
    b = _decode_batch(capture, None, None, None, py)
    assert len(a) == len(b)
    assert a.names == b.names and list(a.columns) == list(b.columns)
    for name in a.columns:
        assert a.columns[name].tobytes() == b.columns[name].tobytes()
        assert a.raw[name] == b.raw[name]
        assert a.scalers[name] == b.scalers[name]
    assert a.header_time == b.header_time and a.meter_time == b.meter_time
    assert a.status == b.status and a.errors == b.errors
    assert a.codes == b.codes and a.categories == b.categories
    assert a.receive_time == b.receive_time
    assert a.system_title == b.system_title and a.invocation_counter == b.invocation_counter


def test_public_api_and_buffer_protocol() -> None:
    table = amsparse.decode_batch(b"".join(r for _, r in FRAMES))
    assert isinstance(table, amsparse.FrameTable)
    name = next(iter(table.columns))
    mv = memoryview(table.columns[name])
    assert mv.format == "d" and mv.itemsize == 8 and len(mv) == len(table)
    assert memoryview(table.header_time).format == "q"
    assert memoryview(table.status).format == "b"
    assert table[name] is table.columns[name]
    assert len(table.meter_id) == len(table)


def test_to_numpy_zero_copy() -> None:
    np = pytest.importorskip("numpy")
    table = amsparse.decode_batch(b"".join(r for _, r in FRAMES))
    arrays = table.to_numpy()
    for name in table.columns:
        assert arrays[name].dtype == np.float64
        assert np.shares_memory(arrays[name], np.frombuffer(table.columns[name], dtype=np.float64))
    ht = arrays["header_time"]
    assert ht.dtype == np.dtype("datetime64[us]")
    assert np.shares_memory(ht.view(np.int64), np.frombuffer(table.header_time, dtype=np.int64))
    for i, v in enumerate(table.header_time):
        assert np.isnat(ht[i]) == (v == NAT)


def test_to_arrow() -> None:
    pa = pytest.importorskip("pyarrow")
    table = amsparse.decode_batch(b"".join(r for _, r in FRAMES))
    t = table.to_arrow()
    assert t.num_rows == len(table)
    assert t.column("header_time").type == pa.timestamp("us", tz="UTC")


def test_to_pandas_and_polars() -> None:
    table = amsparse.decode_batch(b"".join(r for _, r in FRAMES))
    pytest.importorskip("pandas")
    assert len(table.to_pandas()) == len(table)


def test_to_polars() -> None:
    pytest.importorskip("polars")
    table = amsparse.decode_batch(b"".join(r for _, r in FRAMES))
    assert table.to_polars().height == len(table)


def test_missing_extra_message(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real = builtins.__import__

    def fake(name, *a, **k):  # type: ignore[no-untyped-def]
        if name == "pyarrow":
            raise ImportError("no")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
    import importlib

    monkeypatch.setattr(importlib, "import_module", lambda n: fake(n))
    with pytest.raises(ImportError, match=r"amsparse\[arrow\]"):
        FrameTable().to_arrow()


def test_memory_no_per_frame_objects() -> None:
    good = [r for _, r in FRAMES if _decode_or_error(_decode_py, r)[1] is None]
    capture = bytearray()
    while len(capture) < 5_000_000:
        capture += b"".join(good)
    capture = bytes(capture)
    amsparse.decode_batch(capture[:100_000])  # warm caches and imports
    tracemalloc.start()
    try:
        table = amsparse.decode_batch(capture)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rows = len(table)
    import sys

    arrays = [*table.columns.values(), *table.raw.values(), *table.scalers.values(),
              *table.codes.values(), table.header_time, table.meter_time, table.status]
    storage = sum(sys.getsizeof(a) for a in arrays)  # allocated size, growth slack included
    # the scanner's item list is the one per-frame structure held transiently
    # (a 4-tuple per frame); beyond it no per-frame objects may survive
    assert current - storage < 100 * rows, (current, storage, rows)
    assert peak - 2 * storage < 400 * rows, (peak, storage, rows)


# --- the compiled core's shape cache: a frame whose shape was seen before takes
# the fast path; it must still agree with the reference twin value for value.

def _outcome(impl, raw):  # type: ignore[no-untyped-def]
    try:
        return ("ok", impl.decode_frame(raw))
    except DecodeError as e:
        return (type(e).__name__, str(e), e.args)


def test_shape_cache_agrees_with_twin(both) -> None:  # type: ignore[no-untyped-def]
    import random

    c, py = both
    rng = random.Random(1234)
    for _, raw in FRAMES:
        want = _outcome(py, raw)
        assert _outcome(c, raw) == want
        assert _outcome(c, raw) == want  # second time: from the plan cache
        if len(raw) < 20 or raw[0] != 0x7E:
            continue
        for _ in range(25):
            m = bytearray(raw)
            i = rng.randrange(len(m) // 3, len(m) - 3)
            m[i] = rng.randrange(256)
            crc = _decode_py.fcs16(m, 1, len(m) - 3)
            m[-3], m[-2] = crc & 0xFF, crc >> 8
            mb = bytes(m)
            want = _outcome(py, mb)
            assert _outcome(c, mb) == want
            assert _outcome(c, mb) == want


def test_chunked_scan_same_table(impl, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from amsparse import _batch

    capture = b"\x7e\x7e".join(r for _, r in FRAMES) * 3
    whole = _decode_batch(capture, None, None, None, impl)
    monkeypatch.setattr(_batch, "_CHUNK", 1)  # windows of 2 * max_frame_size
    parts = _decode_batch(capture, None, None, None, impl, max_frame_size=300)
    monkeypatch.setattr(_batch, "_CHUNK", 1 << 30)
    one = _decode_batch(capture, None, None, None, impl, max_frame_size=300)
    for a, b in ((whole, _decode_batch(capture, None, None, None, impl)), (one, parts)):
        assert_same_tables(a, b)


@pytest.mark.parametrize("seed", range(int(__import__("os").environ.get("AMSPARSE_BATCH_SEEDS", "4"))))
def test_batch_backends_agree_on_mutants(both, seed: int) -> None:  # type: ignore[no-untyped-def]
    """Same-shape frames with other values (clocks, scalers, readings, ids):
    the compiled columnar path against the Python twin row by row."""
    import random

    c, py = both
    rng = random.Random(seed)
    out = []
    for _, raw in FRAMES:
        if len(raw) < 20 or raw[0] != 0x7E:
            continue
        out.append(raw)
        out.append(raw)  # second copy: the compiled core has its plan now
        for _ in range(12):
            m = bytearray(raw)
            for _ in range(rng.choice((1, 1, 2, 3))):
                i = rng.randrange(12, len(m) - 3)
                m[i] = rng.choice((0x00, 0xFF, 0x80, 0x7F, rng.randrange(256)))
            crc = _decode_py.fcs16(m, 1, len(m) - 3)
            m[-3], m[-2] = crc & 0xFF, crc >> 8
            out.append(bytes(m))
    capture = b"\x00".join(out)
    assert_same_tables(_decode_batch(capture, None, None, None, c),
                        _decode_batch(capture, None, None, None, py))
    assert_same_tables(_decode_batch(out, None, None, None, c),
                        _decode_batch(out, None, None, None, py))


# --- generated streams: every profile and list variant, random values, the same
# shapes again and again (the compiled writer's templates), against the twin and
# against the object API row by row.

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from strategies import valid_frames  # noqa: E402


@settings(max_examples=int(__import__("os").environ.get("AMSPARSE_BATCH_EXAMPLES", "60")), deadline=None)
@given(frames=st.lists(valid_frames(), min_size=1, max_size=10), order=st.randoms(use_true_random=False))
def test_generated_streams_batch_equals_object_api(frames: list[bytes], order) -> None:  # type: ignore[no-untyped-def]
    c = pytest.importorskip("amsparse._decode_c", exc_type=ModuleNotFoundError)
    stream = frames * 3
    order.shuffle(stream)
    capture = b"".join(stream)
    compiled = _decode_batch(capture, None, None, None, c)
    assert_same_tables(compiled, _decode_batch(capture, None, None, None, _decode_py))
    assert_same_tables(_decode_batch(stream, None, None, None, c), compiled)
    assert len(compiled) == len(stream)
    for row, raw in enumerate(stream):
        frame, error = _decode_or_error(c, raw)
        _check_row(compiled, row, frame, error)


def test_mbus_items_are_rejected_rows_not_values(impl) -> None:  # type: ignore[no-untyped-def]
    """decode_batch does not read M-Bus yet: each such item is one rejected row."""
    assert MBUS
    table = _decode_batch(MBUS, None, None, None, impl)
    assert len(table) == len(MBUS)
    assert all(table.status[i] != 0 for i in range(len(table)))
