"""The back-test of the IFRS 9 allowance (simfin.experiments.ecl_backtest): the realised
losses it counts are the ledger's, and a lender that expects the steady economy it lives
in holds at day D about the losses its open loans then realise."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import simfin
from simfin.experiments.ecl_backtest import BACKTEST_COLUMNS, backtest_allowance, main

ROOT = Path(__file__).resolve().parents[2]
DAY = 239  # the last day of lending; the run-off ends every loan open then
SEEDS = (1, 2)
# 3,000 consumers, 240 days of lending and a run-off past the longest term plus the 180
# days to write-off; no downturn scenarios in the overlay: the economy is steady, and the
# lender expects it to be (its PD estimate is calibrated to the market it lends in).
MARKET = {"population.n_consumers": 3_000, "run.steps": DAY + 1, "run.runoff_days": 570,
          "run.record_applications": False, "provisions.scenario_weights": {"steady": 1.0}}
TOLERANCE = 0.25
"""How far the pooled allowance may be from the realised losses, as a share of them: two
seeds of a small market, where stage 1's realised losses are a few dozen write-offs."""


@pytest.fixture(scope="module")
def backtests():
    return {seed: backtest_allowance(
        simfin.load_config(ROOT / "configs" / "baseline.yaml", {**MARKET, "run.seed": seed}),
        DAY) for seed in SEEDS}


def test_the_realised_losses_are_the_ledgers_net_write_offs_after_the_day(backtests):
    for seed, frame in backtests.items():
        assert list(frame.columns) == list(BACKTEST_COLUMNS)
        # preconditions: loans were open at the day, in every stage, and some were lost
        assert frame["loans"].sum() > 500, seed
        assert (frame.groupby("stage")["loans"].sum() > 0).all(), seed
        assert frame["written_off_loans"].sum() > 20, seed
        # every loan open at the day ended, and with no lending after it, the ledger's net
        # write-offs after the day are exactly those loans' realised losses
        assert frame["unresolved_loans"].sum() == 0, seed
        realised = frame.groupby("lender", sort=False)["realised_loss_cents"].sum()
        # the default market co-lends pro rata: each party bears its part of the losses
        assert (realised > 0).all(), seed
        assert realised.to_dict() == frame.attrs["net_write_offs_after_cents"], seed


def test_a_calibrated_allowance_anticipates_the_losses_of_the_open_book(backtests):
    allowance = sum(f["allowance_cents"].sum() for f in backtests.values())
    realised = sum(f["realised_loss_cents"].sum() for f in backtests.values())
    assert realised > 0  # precondition
    assert abs(allowance / realised - 1) < TOLERANCE, (allowance, realised)
    # stage 3 is credit-impaired: its allowance is its balance x LGD, and nearly every
    # such loan is written off at that balance
    stage3 = [f[f["stage"] == 3] for f in backtests.values()]
    held = sum(s["allowance_cents"].sum() for s in stage3)
    lost = sum(s["realised_loss_cents"].sum() for s in stage3)
    assert lost > 0 and abs(held / lost - 1) < 0.05, (held, lost)


def test_a_day_the_run_does_not_reach_is_refused():
    config = simfin.load_config(ROOT / "configs" / "baseline.yaml", MARKET)
    with pytest.raises(ValueError, match="day: must be from 0 to"):
        backtest_allowance(config, config.run.total_days)


def test_the_command_backtests_every_run_of_an_experiment(tmp_path, capsys):
    experiment = tmp_path / "tiny.yaml"
    experiment.write_text(
        f"name: tiny\nconfig: {ROOT / 'configs' / 'baseline.yaml'}\n"
        "overrides: {population.n_consumers: 1000, run.runoff_days: 570, "
        "run.record_applications: false}\n"
        "steps: 60\nseeds: [1]\nscenarios: {rules_only: {lenders.1.risk.model.kind: none}}\n",
        encoding="utf-8")
    assert main([str(experiment), "--day", "59", "--csv", str(tmp_path / "rows.csv")]) == 0
    table = capsys.readouterr().out
    assert table.startswith("| scenario | stage 1 |") and "| rules_only |" in table
    rows = pd.read_csv(tmp_path / "rows.csv")
    assert set(rows["lender"]) == {"platform"} and rows["loans"].sum() > 50  # it lent
    # bad input: one error line, exit code 2, nothing run
    assert main([str(experiment), "--day", "700"]) == 2
    assert capsys.readouterr().err.startswith("error: --day: must be from 0 to")
    assert main([str(tmp_path / "missing.yaml"), "--day", "1"]) == 2
    assert "file not found" in capsys.readouterr().err
