"""docs/frametable.md: its examples run as doctests, and its live-read block
runs against a loopback TCP bridge (issue 12, item 5: FrameTable docs of
their own)."""

from __future__ import annotations

import doctest
import re
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpusdata  # noqa: E402
from io_support import TcpBridge, run_bounded  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "frametable.md"

if not PAGE.is_file():
    pytest.skip("needs the source tree (docs/)", allow_module_level=True)

pytest.importorskip("pyarrow")
pytest.importorskip("polars")
pytest.importorskip("pandas")


def test_frametable_page_doctests() -> None:
    result = doctest.testfile(str(PAGE), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                              raise_on_error=False, verbose=False)
    assert result.attempted >= 40, "the page lost its examples"
    assert result.failed == 0


def test_frametable_page_live_block() -> None:
    """The ``python`` block reading a live bridge, run as written with only
    the URL pointed at a loopback bridge serving three real frames."""
    import amsparse
    import amsparse.io  # noqa: F401

    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)
    live = [b for b in blocks if "amsparse.io.open(" in b]
    assert len(live) == 1
    recs = corpusdata.by_id()
    frames = [bytes.fromhex(recs[i]["hex"]) for i in ("aid-list2-01", "kam-list2-01", "lg-list2-01")]
    bridge = TcpBridge()
    done = threading.Event()

    def serve() -> None:
        try:
            conn = bridge.accept()
            with conn:
                conn.sendall(b"".join(frames))
                done.wait(10)
        except OSError:
            return

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    code = live[0].replace("tcp://meter-bridge.local:4001", f"tcp://127.0.0.1:{bridge.port}")
    assert code != live[0]
    ns: dict[str, object] = {}
    before = time.time()
    try:
        run_bounded(lambda: exec(code, ns), 15)
    finally:
        done.set()
        th.join(5)
        bridge.close()
    table = ns["table"]
    assert isinstance(table, amsparse.FrameTable)
    assert list(table.status) == [0, 0, 0]
    received = table.receive_time
    assert all(before * 1e6 <= r <= time.time() * 1e6 for r in received), list(received)
    # clockless lists are dated by arrival; the Kamstrup list by its header time
    stamps = table.timestamp
    assert stamps[0] == received[0] and stamps[2] == received[2]
    assert stamps[1] == table.header_time[1] != received[1]
