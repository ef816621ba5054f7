"""pytest-benchmark suite for amsparse (see docs/performance.md).

Groups: ``fcs16``, ``decode_frame-<vendor>-<list>``, ``stream-feed``,
``decode_batch``, ``decode_batch-mixed``.  Nothing here asserts a time: the box is shared and noisy.
Each benchmark checks its result, so ``--benchmark-disable`` is a smoke test.
"""

from __future__ import annotations

import importlib

import _corpus
import pytest

import amsparse
import amsparse._stream as _stream

FCS_LEN = 245  # a typical Norwegian list-2 frame


@pytest.fixture
def fcs_input(corpus: dict[str, bytes]) -> bytes:
    # the FCS is computed over the bytes between the flags; content does not
    # matter for the timing, so take 245 real bytes (a list-2 frame, padded by
    # repetition if the corpus frame is shorter)
    raw = corpus.get("aid-list2-02") or max(corpus.values(), key=len)
    return (raw * (FCS_LEN // len(raw) + 1))[:FCS_LEN]


@pytest.mark.benchmark(group="fcs16-245B")
def test_fcs16(benchmark, impl, fcs_input: bytes) -> None:  # type: ignore[no-untyped-def]
    result = benchmark(impl.fcs16, fcs_input)
    assert result == load_py().fcs16(fcs_input)


def load_py():  # type: ignore[no-untyped-def]
    return importlib.import_module("amsparse._decode_py")


@pytest.mark.parametrize("case", list(_corpus.DECODE_CASES))
def test_decode_frame(benchmark, impl, corpus: dict[str, bytes], case: str) -> None:  # type: ignore[no-untyped-def]
    cid = _corpus.DECODE_CASES[case]
    if cid not in corpus:
        pytest.skip(f"corpus frame {cid} not available")
    raw = corpus[cid]
    benchmark.group = f"decode_frame-{case}"
    benchmark.extra_info.update(corpus_id=cid, frame_bytes=len(raw))
    frame = benchmark(impl.decode_frame, raw)
    assert frame.as_dict() == load_py().decode_frame(raw).as_dict()


@pytest.fixture(params=["cython", "python"])
def stream_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run StreamDecoder with the compiled scanner+core or with the pure-Python
    scanner (amsparse._scan_py.scan) and decoder twin, patched into amsparse._stream."""
    if request.param == "python":
        from amsparse import _decode_py, _scan_py

        monkeypatch.setattr(_stream, "_scan", _scan_py.scan)
        monkeypatch.setattr(_stream, "impl", _decode_py)
    else:
        if _stream.SCAN_BACKEND != "cython" or amsparse.BACKEND != "cython":
            pytest.skip("compiled scanner/core not in use")
    return str(request.param)


@pytest.mark.benchmark(group="stream-feed")
def test_stream_feed(benchmark, stream_backend: str, capture: tuple[bytes, int]) -> None:  # type: ignore[no-untyped-def]
    data, nframes = capture
    benchmark.extra_info.update(capture_bytes=len(data), frames=nframes)

    def run() -> int:
        dec = amsparse.StreamDecoder()
        events = dec.feed(data)
        events += dec.flush()
        return dec.frames_decoded

    # one round = a whole capture; keep the Python path from running for ages
    if stream_backend == "python":
        decoded = benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=0)
    else:
        decoded = benchmark(run)
    assert decoded == nframes


@pytest.mark.benchmark(group="decode_batch")
def test_decode_batch(benchmark, big_capture: tuple[bytes, int]) -> None:  # type: ignore[no-untyped-def]
    decode_batch = getattr(amsparse, "decode_batch", None)
    if decode_batch is None:
        pytest.skip("amsparse.decode_batch not available (yet)")
    data, nframes = big_capture
    benchmark.extra_info.update(capture_bytes=len(data), frames=nframes)
    table = benchmark(decode_batch, data)
    try:
        rows = len(table)
    except TypeError:
        return
    assert rows == nframes


@pytest.fixture(scope="module")
def mixed_capture() -> tuple[bytes, int]:
    parts = _corpus.mixed_frames(8 << 20)
    return b"".join(parts), len(parts)


@pytest.mark.benchmark(group="decode_batch-mixed")
@pytest.mark.parametrize("threads", [1, 2])
def test_decode_batch_mixed(benchmark, mixed_capture: tuple[bytes, int], threads: int) -> None:  # type: ignore[no-untyped-def]
    """The mixed capture (docs/performance.md, "Mixed capture"), with one and two threads."""
    data, nframes = mixed_capture
    benchmark.extra_info.update(capture_bytes=len(data), frames=nframes, threads=threads)
    table = benchmark(amsparse.decode_batch, data, threads=threads)
    assert len(table) == nframes and table.decoded == nframes


# --------------------------------------------------------------------------- P1 telegrams
_P1_CASES = {"dsmr5": "isk-p1-06", "emucs": "fluv-p1-02", "se-han": "kam-p1-04"}


def _telegrams() -> dict[str, bytes]:
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "tests" / "corpus" / "telegrams.jsonl"
    return {r["id"]: bytes.fromhex(r["hex"]) for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


@pytest.mark.parametrize("case", list(_P1_CASES))
@pytest.mark.parametrize("backend", ["cython", "python"])
def test_decode_telegram(benchmark, request: pytest.FixtureRequest, backend: str, case: str) -> None:  # type: ignore[no-untyped-def]
    """amsparse.decode_telegram per backend (compare_peers.py --p1 has dsmr_parser beside it)."""
    from conftest import _no_c

    if backend == "cython" and _no_c(request.config):
        pytest.skip("compiled core disabled on purpose")
    mod = importlib.import_module("amsparse._p1_c" if backend == "cython" else "amsparse._p1_py")
    raw = _telegrams()[_P1_CASES[case]]
    benchmark.group = f"decode_telegram-{case}"
    benchmark.extra_info.update(corpus_id=_P1_CASES[case], telegram_bytes=len(raw))
    frame = benchmark(mod.decode_telegram, raw)
    assert frame == importlib.import_module("amsparse._p1_py").decode_telegram(raw)
