"""Differential tests for P1 telegrams: compiled _p1_c against the twin _p1_py.

Equal ``Frame`` results or the same exception (type, message, offset), and
only :class:`amsparse.DecodeError` subclasses, on: the telegram corpus,
systematic mutations of it with the CRC repaired (so the mutation reaches the
line scanner and the value conversion), and hypothesis-generated telegrams
built from P1-ish pieces as well as raw bytes.
"""

from __future__ import annotations

import importlib
import json
import random
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import _no_c

from amsparse._errors import DecodeError

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

HERE = Path(__file__).parent
TELEGRAMS = [bytes.fromhex(r["hex"]) for r in map(json.loads, (HERE / "corpus" / "telegrams.jsonl").read_text(encoding="utf-8").splitlines()) if r and r.get("framing") == "p1"]


@pytest.fixture(scope="module")
def pair(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    if _no_c(request.config):
        pytest.skip("compiled core disabled on purpose")
    return importlib.import_module("amsparse._p1_c"), importlib.import_module("amsparse._p1_py")


def _run(f: Callable[..., Any], data: bytes, **kw: Any) -> tuple[str, Any]:
    try:
        return ("ok", f(data, **kw))
    except DecodeError as e:
        return ("err", (type(e), e.args, e.offset))


def same(pair, data: bytes, **kw: Any) -> None:  # type: ignore[no-untyped-def]
    c, p = pair
    rc = _run(c.decode_telegram, data, **kw)
    rp = _run(p.decode_telegram, data, **kw)
    assert rc == rp, (data, rc, rp)


def crc(data: bytes) -> int:
    v = 0
    for b in data:
        v ^= b
        for _ in range(8):
            v = (v >> 1) ^ 0xA001 if v & 1 else v >> 1
    return v


def recrc(data: bytes) -> bytes:
    """Give a mutated telegram a correct CRC again (when it has one)."""
    i = data.find(b"!")
    if i < 0 or not data[i + 1 : i + 5].isalnum():
        return data
    return data[: i + 1] + b"%04X" % crc(data[: i + 1]) + data[i + 5 :]


def test_corpus_equal(pair) -> None:  # type: ignore[no-untyped-def]
    for t in TELEGRAMS:
        same(pair, t)
        same(pair, t, tz="UTC")
        same(pair, t, profile="p1-generic")


def test_corpus_mutations_equal(pair) -> None:  # type: ignore[no-untyped-def]
    rnd = random.Random(1234)
    alphabet = b"0123456789().*:-!/\r\nABCDEFSWkWhVAm3\x00\xff "
    for t in TELEGRAMS:
        for _ in range(60):
            b = bytearray(t)
            op = rnd.randrange(4)
            i = rnd.randrange(len(b))
            if op == 0:
                b[i] = rnd.choice(alphabet)
            elif op == 1:
                del b[i : i + rnd.randrange(1, 8)]
            elif op == 2:
                b[i:i] = bytes(rnd.choice(alphabet) for _ in range(rnd.randrange(1, 6)))
            else:
                b = b[:i]
            same(pair, bytes(b))
            same(pair, recrc(bytes(b)))


_obis = st.builds(lambda a, b, c, d, e: f"{a}-{b}:{c}.{d}.{e}",
                  st.integers(0, 300), st.integers(0, 4), st.integers(0, 99), st.integers(0, 40), st.integers(0, 300))
_known = st.sampled_from(["1-0:1.8.1", "1-0:1.7.0", "1-0:32.7.0", "0-0:1.0.0", "0-0:96.1.1", "0-0:96.13.0",
                          "1-0:99.97.0", "0-1:24.2.1", "0-1:24.3.0", "0-0:98.1.0", "1-3:0.2.8", "0-0:96.1.4",
                          "0-0:96.14.0", "1-0:31.7.0", "0-0:17.0.0"])
_number = st.builds(lambda s, w, f, u: f"{s}{w}{'.' + f if f else ''}{'*' + u if u else ''}",
                    st.sampled_from(["", "-"]), st.text("0123456789", min_size=0, max_size=20),
                    st.text("0123456789", max_size=6),
                    st.sampled_from(["", "kWh", "kW", "W", "V", "A", "m3", "GJ", "s", "kvarh", "x", "kVAr"]))
_ts = st.builds(lambda d, f: d + f, st.text("0123456789", min_size=10, max_size=13), st.sampled_from(["S", "W", ""]))
_group = st.one_of(_number, _ts, st.text("0123456789ABCDEF", max_size=40), _obis,
                   st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e, blacklist_characters="()"), max_size=12))
_line = st.builds(lambda o, gs: o + "".join(f"({g})" for g in gs), st.one_of(_known, _obis),
                  st.lists(_group, min_size=0, max_size=8))
_tel = st.builds(lambda ident, lines, with_crc: (ident, lines, with_crc),
                 st.sampled_from(["/KFM5KAIFA-METER", "/ISk5\\2MT382-1000", "/FLU5\\253769484_A", "/XY", "/EST5\\x"]),
                 st.lists(st.one_of(_line, st.just("(00001.001)"), st.just("")), max_size=12), st.booleans())


@given(_tel)
def test_generated_telegrams_equal(pair, tel) -> None:  # type: ignore[no-untyped-def]
    ident, lines, with_crc = tel
    text = (ident + "\r\n\r\n" + "".join(line + "\r\n" for line in lines) + "!").encode("ascii")
    data = text + (b"%04X\r\n" % crc(text) if with_crc else b"\r\n")
    same(pair, data)
    same(pair, data, tz="Europe/Oslo")


@given(st.binary(max_size=300))
def test_random_bytes_equal(pair, data: bytes) -> None:  # type: ignore[no-untyped-def]
    same(pair, b"/" + data)
    same(pair, recrc(b"/ABC5\r\n\r\n" + data + b"!0000\r\n"))
