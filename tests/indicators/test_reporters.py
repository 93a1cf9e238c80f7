"""The DataCollector's reporters: per lender and market, run-to-date flows and balances."""

from __future__ import annotations

import numpy as np

from simfin import MarketModel
from simfin.indicators.reporters import INDICATORS


def test_every_indicator_is_reported_per_lender_and_for_the_market(small_run):
    frame = small_run.model.datacollector.get_model_vars_dataframe()
    names = [lender.name for lender in small_run.config.lenders]
    expected = set(INDICATORS) | {f"{i}__{n}" for i in INDICATORS for n in names}
    assert expected == set(frame.columns)
    assert len(frame) == small_run.config.run.steps


def test_per_lender_reporters_match_the_recorded_steps(small_run):
    frame = small_run.model.datacollector.get_model_vars_dataframe()
    steps = small_run.steps
    for name in frame.columns[frame.columns.str.contains("__")].str.split("__").str[1].unique():
        mine = steps[steps["lender"] == name].reset_index(drop=True)
        assert mine["new_defaults"].sum() > 0, name  # precondition: credit events happened
        assert frame[f"applications__{name}"].tolist() == mine["applications"].cumsum().tolist()
        assert frame[f"approvals__{name}"].tolist() == mine["approvals"].cumsum().tolist()
        assert frame[f"loans__{name}"].tolist() == mine["loans"].cumsum().tolist()
        assert frame[f"defaults__{name}"].tolist() == mine["new_defaults"].cumsum().tolist()
        assert frame[f"losses_cents__{name}"].tolist() == (
            mine["written_off"] - mine["recoveries"]).cumsum().tolist()
        assert frame[f"profit_cents__{name}"].tolist() == mine["profit"].cumsum().tolist()
        assert frame[f"profit_after_provisions_cents__{name}"].tolist() == (
            mine["profit_after_provisions"].cumsum().tolist())
        assert frame[f"allowance_cents__{name}"].tolist() == mine["allowance"].tolist()
        assert frame[f"outstanding_cents__{name}"].tolist() == mine["outstanding"].tolist()
        assert frame[f"dpd30_cents__{name}"].tolist() == mine["dpd30_balance"].tolist()
        np.testing.assert_allclose(frame[f"satisfaction__{name}"], mine["satisfaction"])
        decided = (mine["approvals"] + mine["declined"] + mine["referred"]).cumsum()
        rate = mine["approvals"].cumsum() / decided
        np.testing.assert_allclose(frame[f"approval_rate__{name}"], rate)


def test_market_reporters_sum_the_lenders(small_run):
    frame = small_run.model.datacollector.get_model_vars_dataframe()
    names = [lender.name for lender in small_run.config.lenders]
    for indicator in ("applications", "loans", "profit_cents", "dpd30_cents",
                      "profit_after_provisions_cents", "allowance_cents"):
        total = sum(frame[f"{indicator}__{n}"] for n in names)
        assert frame[indicator].tolist() == total.tolist()
    last = frame.iloc[-1]
    assert min(last[f"satisfaction__{n}"] for n in names) <= last["satisfaction"] <= \
        max(last[f"satisfaction__{n}"] for n in names)


def test_collecting_a_day_twice_does_not_count_it_twice(make_config):
    model = MarketModel(make_config(run__steps=5))
    for _ in range(5):
        model.step()
    model.datacollector.collect(model)
    frame = model.datacollector.get_model_vars_dataframe()
    assert frame["applications"].iloc[-1] == frame["applications"].iloc[-2]
    assert frame["applications"].iloc[-1] == model.recorder.steps_frame()["applications"].sum()


def test_consumer_unique_id_is_its_row_and_other_agents_follow(make_config):
    model = MarketModel(make_config(run__steps=5))
    n = model.population.n
    others = sorted(agent.unique_id for agent in model.agents)
    assert others[0] >= n
    assert len(set(others)) == len(others)
    for row in (0, 17, n - 1):
        assert model.consumer(row).unique_id == row
    assert not {model.consumer(r).unique_id for r in range(20)} & set(others)
