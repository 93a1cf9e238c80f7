"""Paired differences: a known difference is detected, identical scenarios differ by 0."""

import numpy as np
import pandas as pd
import pytest

from simfin.experiments import interval, load_experiment, run_experiment, scenario_table

from .files import TINY, write


def long_table(values: dict[str, list[float]]) -> pd.DataFrame:
    rows = [{"lender": "market", "scenario": s, "point": 0, "replicate": r, "y": v}
            for s, vs in values.items() for r, v in enumerate(vs)]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("method", ["t", "bootstrap"])
def test_a_known_difference_is_detected(method):
    rng = np.random.default_rng(3)
    common = rng.normal(100, 30, 12)  # large seed-to-seed noise shared by both scenarios
    results = long_table({"a": list(common), "b": list(common + 1 + rng.normal(0, 0.5, 12))})
    table = scenario_table(results, ["y"], "a", method).set_index("scenario")
    row = table.loc["b"]
    assert row["diff_method"] == method
    assert row["diff_low"] > 0 and row["diff_low"] < 1 < row["diff_high"]
    # The unpaired intervals overlap: only pairing on the seed reveals the difference.
    assert table.loc["b", "low"] < table.loc["a", "high"]


def test_no_difference_is_not_claimed():
    rng = np.random.default_rng(4)
    common = rng.normal(100, 30, 20)
    results = long_table({"a": list(common), "b": list(common + rng.normal(0, 1, 20))})
    row = scenario_table(results, ["y"], "a", "t").set_index("scenario").loc["b"]
    assert row["diff_low"] < 0 < row["diff_high"]


def test_t_interval_matches_scipy():
    from scipy import stats

    x = np.array([1.0, 2.5, 2.0, 4.0, 3.5])
    got = interval(x, "t")
    low, high = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert got.method == "t" and got.low == pytest.approx(low) and got.high == pytest.approx(high)
    assert interval(x, "auto").method == "bootstrap"  # few seeds
    assert interval(np.arange(12.0), "auto").method == "t"


def test_identical_scenarios_differ_by_exactly_zero(tmp_path):
    text = TINY.replace("cap_24: {policy.apr_cap: 0.24}", "same: {policy.apr_cap: 0.36}")
    experiment, config = load_experiment(write(tmp_path, text))
    result = run_experiment(experiment, config, tmp_path / "out")
    market = result.results[result.results["lender"] == "market"]
    assert (market["approval_rate"] > 0).all()  # precondition: the market lent
    table = scenario_table(result.results, experiment.outcomes, "cap_36")
    same = table[(table["scenario"] == "same") & table["diff"].notna()]
    assert len(same) >= 2 * 3  # two lenders and the market, profit and approval at least
    assert (same["diff"] == 0).all() and (same["diff_low"] == 0).all()
    assert (same["diff_high"] == 0).all()


def test_a_real_lever_gives_a_difference_whose_interval_excludes_zero(tmp_path):
    # A tight loan-to-income cap declines most asks. (A lower APR cap no longer moves
    # approval in a short run: lenders in cold start price at the cap rather than decline.)
    tight = TINY.replace("cap_24: {policy.apr_cap: 0.24}",
                         "lti_cap: {policy.max_loan_to_income: 0.02}")
    experiment, config = load_experiment(write(tmp_path, tight))
    result = run_experiment(experiment, config, tmp_path / "out")
    table = scenario_table(result.results, ["approval_rate"], "cap_36", "t")
    row = table[(table["lender"] == "market") & (table["scenario"] == "lti_cap")].iloc[0]
    assert row["diff_high"] < 0
