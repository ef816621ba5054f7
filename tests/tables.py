"""Comparing two FrameTables (shared by tests/test_batch.py and fuzz/fuzz_batch.py).

Imports nothing but amsparse, so the fuzz harness can use it without pytest.
"""

from __future__ import annotations

from amsparse._batch import FrameTable

CATEGORICAL = ("profile_id", "list_name", "list_version", "meter_id", "meter_type")


def assert_same_tables(a: FrameTable, b: FrameTable) -> None:
    """Same rows and columns: values bit for bit (NaN included), raw integers,
    scalers, times, categories, statuses, error messages, discarded bytes."""
    assert len(a) == len(b) and a.names == b.names, (len(a), a.names, len(b), b.names)
    assert list(a.columns) == list(b.columns), (list(a.columns), list(b.columns))
    for name in a.columns:
        assert a.columns[name].tobytes() == b.columns[name].tobytes(), name
        assert a.raw[name] == b.raw[name] and a.scalers[name] == b.scalers[name], name
    assert a.header_time == b.header_time and a.meter_time == b.meter_time
    assert a.status == b.status and a.errors == b.errors
    assert a.bytes_discarded == b.bytes_discarded, (a.bytes_discarded, b.bytes_discarded)
    for key in CATEGORICAL:
        assert a.category(key) == b.category(key), key
    assert a.receive_time == b.receive_time
    assert a.system_title == b.system_title and a.invocation_counter == b.invocation_counter
