"""The delinquency peaks of a run: the worst day's 1+ and 30+ DPD ratios, and the 30+ DPD
balance left on the last day, for a lender and for the market (lenders summed per day)."""

from __future__ import annotations

import pandas as pd
import pytest

from simfin.indicators.delinquency import delinquency_peaks
from simfin.indicators.summary import flow_indicators


def _steps() -> pd.DataFrame:
    # two lenders, four days; on day 0 nothing is outstanding anywhere
    return pd.DataFrame({
        "day": [0, 0, 1, 1, 2, 2, 3, 3],
        "lender": ["a", "b"] * 4,
        "outstanding": [0, 0, 1_000, 3_000, 1_000, 1_000, 2_000, 2_000],
        "dpd1_balance": [0, 0, 500, 100, 100, 300, 0, 200],
        "dpd30_balance": [0, 0, 0, 0, 100, 100, 0, 50],
    })


def test_the_peak_is_the_worst_day_of_the_summed_lenders():
    steps = _steps()
    market = delinquency_peaks(steps)
    # day 1: 600 / 4,000 = 0.15; day 2: 400 / 2,000 = 0.2 (the peak); day 3: 0.05
    assert market["dpd1_ratio_peak"] == pytest.approx(0.2)
    assert market["dpd30_ratio_peak"] == pytest.approx(200 / 2_000)
    assert market["dpd30_balance_end"] == 50
    alone = delinquency_peaks(steps[steps["lender"] == "a"])
    assert alone["dpd1_ratio_peak"] == pytest.approx(0.5)  # its day 1, not the market's
    assert alone["dpd30_balance_end"] == 0


def test_days_with_nothing_outstanding_give_no_ratio():
    steps = _steps()
    assert delinquency_peaks(steps[steps["day"] == 0]) == {
        "dpd1_ratio_peak": None, "dpd30_ratio_peak": None, "dpd30_balance_end": 0}
    assert delinquency_peaks(steps.iloc[:0])["dpd1_ratio_peak"] is None


def test_they_are_flow_indicators_so_a_window_takes_its_own_worst_day(small_run):
    steps = small_run.steps
    day = steps.groupby("day")[["dpd1_balance", "outstanding"]].sum()
    ratio = day["dpd1_balance"] / day["outstanding"].where(day["outstanding"] > 0)
    assert ratio.max() > ratio[:60].max() > 0  # precondition: the run's worst day is late
    early = steps[steps["day"] < 60]
    assert flow_indicators(steps, 120)["dpd1_ratio_peak"] == pytest.approx(ratio.max())
    assert flow_indicators(early, 60)["dpd1_ratio_peak"] == pytest.approx(ratio[:60].max())


def test_a_runs_summary_holds_the_peak_of_its_daily_rows(small_run):
    steps = small_run.steps
    assert steps["dpd1_balance"].sum() > 0  # precondition: some loan was past due
    for name, indicators in small_run.summary["lenders"].items():
        mine = steps[steps["lender"] == name].set_index("day")
        lent = mine[mine["outstanding"] > 0]
        assert indicators["dpd1_ratio_peak"] == pytest.approx(
            (lent["dpd1_balance"] / lent["outstanding"]).max())
        assert indicators["dpd30_balance_end"] == mine["dpd30_balance"].iloc[-1]
