"""Energy accounting: the vectorised path (``EnergyAccountant.feed_table``)
against the live path (``update`` rules per frame) on the same generated
columns; pytest-benchmark reports both, side by side, in the ``energy`` group.

A day of 10-second frames (8,640 rows) on both paths, and a week (60,480 rows)
on the vectorised one, for real runs; an hour for the --benchmark-disable smoke
run.  ``python benchmarks/energy_year.py`` does the year (~3.15 M rows)."""

from __future__ import annotations

import energy_year
import pytest

np = pytest.importorskip("numpy")

from amsparse.energy import EnergyAccountant  # noqa: E402


def benchmark_disabled(config: pytest.Config) -> bool:
    try:
        return bool(config.getoption("benchmark_disable"))
    except ValueError:  # pytest-benchmark not installed
        return True


@pytest.fixture(scope="module")
def week(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    days = 1 if benchmark_disabled(request.config) else 7
    return energy_year.year_table(np, days, 10)


@pytest.mark.benchmark(group="energy")
@pytest.mark.parametrize("span", ["day", "week"])
def test_energy_vectorised(benchmark, week, span: str, request: pytest.FixtureRequest) -> None:  # type: ignore[no-untyped-def]
    """``span="day"`` is the same rows as the live case (the side-by-side ratio)."""
    rows = None
    if span == "day":
        rows = np.arange(360 if benchmark_disabled(request.config) else 8640)
    n = len(week) if rows is None else len(rows)

    def run() -> EnergyAccountant:
        acc = EnergyAccountant("Europe/Oslo")
        acc.feed_table(week, rows=rows)
        return acc

    benchmark.extra_info.update(rows=n)
    acc = benchmark(run)
    assert len(acc.hours) == n // 360 - 1


@pytest.mark.benchmark(group="energy")
def test_energy_live_rules(benchmark, week, request: pytest.FixtureRequest) -> None:  # type: ignore[no-untyped-def]
    rows = 360 if benchmark_disabled(request.config) else 8640  # an hour / a day

    def run() -> EnergyAccountant:
        acc = EnergyAccountant("Europe/Oslo")
        energy_year.live_rows(acc, week, rows)
        return acc

    benchmark.extra_info.update(rows=rows)
    acc = benchmark(run)
    ref = EnergyAccountant("Europe/Oslo")
    ref._feed_arrays(np, _slice(week, rows))
    assert acc.state() == ref.state()


def _slice(tab, stop):  # type: ignore[no-untyped-def]
    import amsparse.energy as E

    cols = E._columns(np, tab, None, np.arange(stop))
    cols.pop("_meter_ids")
    return cols
