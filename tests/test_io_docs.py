"""The asyncio example of docs/io.md runs as written against a real loopback
TCP bridge (issue 12, item 5)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
from pathlib import Path

import corpusdata
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "io.md"

if not DOC.is_file():
    pytest.skip("needs the source tree (docs/)", allow_module_level=True)

FRAMES = corpusdata.by_id()


def _example() -> tuple[str, str]:
    """(the example's code without its last line, that asyncio.run line)."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## asyncio"):]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)  # type: ignore[union-attr]
    body, _, last = code.rstrip().rpartition("\n")
    return body, last


def test_asyncio_example_reads_a_tcp_bridge() -> None:
    body, last = _example()
    assert last == 'asyncio.run(watch("tcp://192.168.1.50:3001", count=10))'
    ns: dict = {}
    exec(compile(body, str(DOC), "exec"), ns)  # noqa: S102 - the documented example itself
    # Kaifa list 2 frames (header time, meter id): what the example prints is in the record notes
    raws = [bytes.fromhex(FRAMES[k]["hex"]) for k in ("kfm-list2-11", "kfm-list2-13")]

    async def run() -> str:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            for raw in raws:
                writer.write(raw)
                await writer.drain()
            await reader.read()  # until the example closes the connection
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        out = io.StringIO()
        async with server:
            with contextlib.redirect_stdout(out):
                await asyncio.wait_for(ns["watch"](f"tcp://127.0.0.1:{port}", count=2), 30)
        return out.getvalue()

    lines = asyncio.run(run()).splitlines()
    assert len(lines) == 2
    for line, rid in zip(lines, ("kfm-list2-11", "kfm-list2-13")):
        notes = FRAMES[rid]["notes"]
        header = re.search(r"header date-time octet-string tagged 09 0C = (\S+);", notes).group(1)  # type: ignore[union-attr]
        ts, meter_id, power, unit = line.split()
        assert ts.startswith(header) and unit == "W"  # Kaifa sends local time without offset: Oslo
        assert len(meter_id) == 16 and meter_id.isdigit() and int(power) >= 0
