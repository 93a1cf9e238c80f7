"""simfin.run: the one-call API returning the recorded history and the summary."""

from __future__ import annotations

import pandas as pd
import pytest

import simfin
from simfin.runner import RunResult, resolve
from tests.conftest import TWO_LENDERS

STEP_COLUMNS = ("day", "lender", "applications", "approvals", "disbursed", "principal_repaid",
                "interest_paid", "written_off", "outstanding", "new_defaults",
                "acquisition_cost")
SUMMARY_KEYS = ("approval_rate", "default_rate", "loss_rate", "profit", "applications",
                "approvals", "disbursed")
SMALL = {"population.n_consumers": 2_000}


def test_run_returns_steps_and_summary():
    result = simfin.run(TWO_LENDERS, steps=30, seed=3, overrides=SMALL)
    assert isinstance(result, RunResult)
    steps = result.steps
    assert isinstance(steps, pd.DataFrame)
    assert set(STEP_COLUMNS) <= set(steps.columns)
    names = [lc.name for lc in result.config.lenders]
    assert len(steps) == 30 * len(names)
    assert sorted(steps["day"].unique().tolist()) == list(range(30))
    assert sorted(steps["lender"].astype(str).unique().tolist()) == sorted(names)
    assert steps["applications"].sum() > 0 and steps["approvals"].sum() > 0
    assert set(result.summary["lenders"]) == set(names)
    for name in [*names, "market"]:
        part = result.summary["market"] if name == "market" else result.summary["lenders"][name]
        for key in SUMMARY_KEYS:
            assert key in part, (name, key)


def test_steps_and_seed_arguments_win(small_cfg):
    result = simfin.run(small_cfg, steps=12, seed=99)
    assert result.config.run.steps == 12 and result.config.run.seed == 99
    assert result.steps["day"].max() == 11
    assert result.model.day == 12


def test_argument_precedence_in_resolve(small_cfg):
    cfg = resolve(small_cfg, steps=10, overrides=["run.steps=50", "run.seed=4"])
    assert cfg.run.steps == 10 and cfg.run.seed == 4
    cfg = resolve(small_cfg, seed=8, overrides={"run.seed": 1, "run.name": "x"})
    assert cfg.run.seed == 8 and cfg.run.name == "x"


def test_config_file_and_overrides(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("population:\n  n_consumers: 1500\nrun:\n  steps: 8\n", encoding="utf-8")
    # the cash lender: no partner or owned channel names it
    result = simfin.run(path, overrides=["lenders.2.name=first"])
    assert result.config.population.n_consumers == 1500
    assert result.summary["lenders"]["first"]["applications"] >= 0
    assert len(result.steps) == 8 * len(result.config.lenders)


def test_bad_override_raises_config_error():
    with pytest.raises(simfin.ConfigError, match=r"^lenders\.1\.risk\.approval_threshold"):
        simfin.run(TWO_LENDERS, steps=5, overrides=["lenders.1.risk.approval_threshold=1.7"])


def test_progress_is_reported_every_day():
    calls = []
    simfin.run(TWO_LENDERS, steps=7, overrides=SMALL, progress=lambda done, total: calls.append(
        (done, total)))
    assert calls == [(d, 7) for d in range(1, 8)]


def test_summary_adds_up(small_run):
    steps, summary = small_run.steps, small_run.summary
    market = summary["market"]
    lenders = summary["lenders"]
    for key in ("applications", "approvals", "disbursed", "profit", "loans", "written_off"):
        assert market[key] == sum(part[key] for part in lenders.values()), key
    assert market["applications"] == steps["applications"].sum()
    assert market["approvals"] == steps["approvals"].sum()
    assert market["disbursed"] == steps["disbursed"].sum()
    assert market["profit"] == steps["profit"].sum()


def test_summary_rates_follow_their_definitions(small_run):
    steps, loans, summary = small_run.steps, small_run.loans, small_run.summary
    cfg = small_run.config
    for i, lc in enumerate(cfg.lenders):
        s = steps[steps["lender"] == lc.name]
        part = summary["lenders"][lc.name]
        decided = s["approvals"].sum() + s["declined"].sum() + s["referred"].sum()
        assert part["approval_rate"] == pytest.approx(s["approvals"].sum() / decided)
        assert 0 <= part["approval_rate"] <= 1
        years = cfg.run.steps / 365
        avg_outstanding = s.groupby("day")["outstanding"].sum().mean()
        net_loss = s["written_off"].sum() - s["recoveries"].sum()
        assert part["loss_rate"] == pytest.approx(net_loss / years / avg_outstanding)
        assert part["loss_rate"] > 0
        lo = loans[loans["lender"] == i]
        seasoned = lo[lo["origination_day"] + lo["period_days"] + cfg.run.default_dpd
                      <= cfg.run.steps - 1]
        assert part["seasoned_loans"] == len(seasoned)
        assert part["default_rate"] == pytest.approx(seasoned["defaulted"].mean())
        assert 0 < part["default_rate"] < 1
        assert part["profit"] == s["profit"].sum()


def test_loans_table_has_one_row_per_loan(small_run):
    loans = small_run.loans
    assert len(loans) == small_run.steps["loans"].sum()
    assert (loans["principal_cents"] > 0).all()
    assert (loans["outstanding_cents"] <= loans["principal_cents"]).all()
    assert loans["origination_day"].between(0, small_run.config.run.steps - 1).all()


def test_model_has_a_datacollector_with_one_row_per_step(small_run):
    frame = small_run.model.datacollector.get_model_vars_dataframe()
    assert len(frame) == small_run.config.run.steps
    daily = small_run.steps.groupby("day", observed=True)["applications"].sum()
    assert frame["applications"].tolist() == daily.cumsum().tolist()
