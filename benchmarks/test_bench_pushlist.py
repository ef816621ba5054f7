"""Push lists beyond the Nordic layouts (groups ``pushlist-*``), see docs/profiles.md.

Plain data-notifications as the security layer yields them, built by the test
encoder with the shapes and sizes of the real captures: the Swiss L+G E570
self-describing push (``lg-other-15``: 18-entry push object list), the Austrian
Kaifa MA309M triples (``kfm-other-04``: 35 elements) and the L+G E450
value-only list (``lg-other-01``: 14 values), each decoded by ``decode_apdu``.
The plain Nordic groups of test_bench.py are the side-by-side reference.  As
everywhere in benchmarks/, nothing asserts a time; each case checks its result.
"""

from __future__ import annotations

import importlib
import sys

import _corpus  # noqa: F401  (puts tests/ on sys.path)
import pytest

import amsparse


def _apdus() -> dict[str, tuple[bytes, str]]:
    import encoder as E  # tests/encoder.py

    clock = E.cosem_datetime(2024, 3, 13, 3, 9, 2, 45, 0, None, 0x80)
    regs = ["1-0:1.7.0.255", "1-0:2.7.0.255", "1-0:3.7.0.255", "1-0:4.7.0.255", "1-1:1.8.0.255",
            "1-1:2.8.0.255", "1-1:5.8.0.255", "1-1:6.8.0.255", "1-1:7.8.0.255", "1-1:8.8.0.255",
            "1-0:31.7.0.255", "1-0:51.7.0.255", "1-0:71.7.0.255", "1-0:13.7.0.255"]
    entries = [(40, "0-8:25.9.0.255", 1), (1, "0-0:42.0.0.255", 2), (8, "0-0:1.0.0.255", 2)] + \
        [(3, r, 2) for r in regs]
    values = [E.octet_string(bytes((0, 8, 25, 9, 0, 255))), E.octet_string(b"LGZ1030769231253"),
              E.octet_string(clock)] + [E.long64_unsigned(862055 + i) for i in range(len(regs))]
    triples = [(c, E.long_unsigned(2337), -1, 35) for c in
               ("1-0:1.8.0.255", "1-0:2.8.0.255", "1-0:1.7.0.255", "1-0:2.7.0.255", "1-0:32.7.0.255",
                "1-0:52.7.0.255", "1-0:72.7.0.255", "1-0:31.7.0.255", "1-0:51.7.0.255", "1-0:71.7.0.255",
                "1-0:13.7.0.255")]
    lg = [E.long_unsigned(v) for v in (236, 237, 236, 0, 4, 26)] + \
        [E.double_long_unsigned(v) for v in (29, 0, 31358606, 7619)] + \
        [E.long_unsigned(v) for v in (400, 53, 295)] + [E.octet_string(b"30137181")]
    note = lambda body: E.data_notification(body, header=clock, header_encoding=E.HEADER_0C)  # noqa: E731
    return {
        "self-describing": (note(E.self_describing(entries, values)), "landis-gyr-pushlist"),
        "triples": (note(E.triples([E.octet_string(clock)], triples, [E.octet_string(b"181220000009")])),
                    "at-evn-netz-noe"),
        "value-only": (note(E.structure(lg)), "landis-gyr-e450-at"),
    }


@pytest.mark.parametrize("case", ["self-describing", "triples", "value-only"])
def test_pushlist_decode(benchmark, impl, case: str) -> None:  # type: ignore[no-untyped-def]
    apdu, profile_id = _apdus()[case]
    benchmark.group = f"pushlist-{case}"
    benchmark.extra_info.update(apdu_bytes=len(apdu))
    frame = benchmark(impl.decode_apdu, apdu)
    ref = importlib.import_module("amsparse._decode_py").decode_apdu(apdu)
    assert frame == ref and frame.profile_id == profile_id and isinstance(frame, amsparse.Frame)
    assert "tests" in "".join(sys.path)  # the encoder came from the repository's tests/
