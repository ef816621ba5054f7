"""The diagnose command's A-XDR dump reads lengths with the shared reader
(amsparse._axdr.read_length) and widths from the spec table: its lines and
its complaints are pinned here by hand."""

from __future__ import annotations

import io

import pytest

from amsparse._cli_diagnose import _Dump, _Walker


def _walk(body: bytes) -> tuple[int, object, str]:
    out = io.StringIO()
    end, value = _Walker(_Dump(out), body, {}).value(0, len(body), 0, "")
    return end, value, out.getvalue()


def test_dump_reads_long_lengths_and_signed_widths() -> None:
    # structure of 2: octet-string with a 0x81-prefixed length of 3, long (i16) -2
    end, value, text = _walk(bytes.fromhex("0202 09 81 03 414243 10 FFFE"))
    assert end == 11  # every byte of the body
    assert value == (0x02, [(0x09, b"ABC"), (0x10, -2)])
    assert "octet-string[3] 'ABC'" in text and "long -2" in text


@pytest.mark.parametrize(("body", "message"), [
    ("0985", "bad length byte 0x85"),        # 5 length bytes: more than A-XDR allows
    ("0980", "bad length byte 0x80"),        # no length bytes
    ("098201", "bad length byte 0x82"),      # runs past the end
    ("02", "input ends inside a length"),
    ("12FF", "long-unsigned runs past the end"),
])
def test_dump_complaints(body: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        _walk(bytes.fromhex(body))
