"""The run-off (``run.runoff_days``): after ``run.steps`` days no loan is made, and the
open book is collected, funded, serviced and written off to its end, so profit counts every
loan of the run over its whole life.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simfin
from simfin import MarketModel
from simfin.lending.loan_book import ACTIVE
from tests.conftest import FAST_EVENTS, TWO_LENDERS, small_config
from tests.test_model import check_accounts

STEPS = 120
# The default market's longest term (360 days) plus the write-off threshold, and a margin.
FULL_RUNOFF_DAYS = 360 + FAST_EVENTS["run.writeoff_dpd"] + 40


@pytest.fixture(scope="module")
def paired_runs():
    """The same market and seed without a run-off and with a full one."""
    config = small_config(run__steps=STEPS, **{k.replace(".", "__"): v
                                               for k, v in FAST_EVENTS.items()})
    plain = simfin.run(config)
    with_runoff = simfin.run(config, overrides=[f"run.runoff_days={FULL_RUNOFF_DAYS}"])
    return plain, with_runoff


def test_the_runoff_appends_days_and_leaves_the_run_unchanged(paired_runs):
    plain, runoff = paired_runs
    assert plain.summary["market"]["loans"] > 200  # precondition: the run lent
    before = runoff.steps[runoff.steps["day"] < STEPS].reset_index(drop=True)
    pd.testing.assert_frame_equal(before, plain.steps)
    assert runoff.steps["day"].max() == STEPS + FULL_RUNOFF_DAYS - 1
    # The same loans were booked, and none after run.steps.
    fixed = ["lender", "consumer", "origination_day", "principal_cents", "apr", "term_days"]
    pd.testing.assert_frame_equal(runoff.loans[fixed], plain.loans[fixed])


def test_no_loan_is_made_in_the_runoff(paired_runs):
    _, runoff = paired_runs
    after = runoff.steps[runoff.steps["day"] >= STEPS]
    assert after[["applications", "approvals", "loans", "disbursed",
                  "acquisition_cost", "data_cost"]].to_numpy().sum() == 0
    # ... while the book is still collected and funded.
    assert after["principal_repaid"].sum() > 0
    assert after["funding_cost"].sum() > 0


def test_a_full_runoff_counts_every_loan_to_its_end(paired_runs):
    plain, runoff = paired_runs
    open_at_end = plain.loans[plain.loans["status"] == ACTIVE]
    assert len(open_at_end) > 100  # precondition: the plain run ended with an open book
    assert (runoff.loans["status"] != ACTIVE).all()
    assert runoff.summary["market"]["outstanding_end"] == 0
    # The losses the plain run had not yet seen emerge in the run-off.
    assert (runoff.summary["market"]["written_off"]
            > plain.summary["market"]["written_off"] + 10_000 * 100)
    assert not [w for w in runoff.summary["warnings"]
                if w["code"] in ("runoff_unfinished", "losses_not_emerged")]
    # Profit over the run-off is the open book's: its income less its costs and losses.
    after = runoff.steps[runoff.steps["day"] >= STEPS]
    assert runoff.summary["market"]["profit"] == plain.summary["market"]["profit"] + int(
        after["profit"].sum())


def test_the_ledger_holds_through_the_runoff():
    config = small_config(run__steps=40, run__runoff_days=60, **{
        k.replace(".", "__"): v for k, v in FAST_EVENTS.items()})
    model = MarketModel(config)
    while model.running:
        model.step()
        np.testing.assert_array_equal(model.ledger.balance("loans"),
                                      model.book.outstanding_by_lender(len(model.lenders)))
    assert model.day == 100
    check_accounts(model)


def test_a_short_runoff_is_flagged():
    result = simfin.run(small_config(run__steps=60, run__runoff_days=20))
    assert (result.loans["status"] == ACTIVE).any()  # precondition: loans still open
    codes = [w["code"] for w in result.summary["warnings"]]
    assert "runoff_unfinished" in codes
    message = next(w["message"] for w in result.summary["warnings"]
                   if w["code"] == "runoff_unfinished")
    assert "run.runoff_days (now 20)" in message


def test_runoff_days_is_validated():
    with pytest.raises(simfin.ConfigError, match="run.runoff_days"):
        simfin.load_config(TWO_LENDERS, {"run.runoff_days": -1})
