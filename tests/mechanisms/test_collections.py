"""Collections: the daily cure rate falls the longer a loan is past due, so most missed
payments are collected within 30 days and most loans 30+ days past due go on to default.
Each test asserts its precondition before the direction."""

from __future__ import annotations

import pytest

from tests.mechanisms.test_market import run

SEEDS = (1, 2, 3)
NO_DECAY = 10_000.0  # a half-life far beyond the write-off: a constant daily cure rate


@pytest.fixture(scope="module")
def paired() -> dict[str, list]:
    return {"decay": [run(seed) for seed in SEEDS],
            "constant": [run(seed, behaviour__repayment__cure_half_life_days=NO_DECAY)
                         for seed in SEEDS]}


def roll_to_default(result) -> float:
    """Share of loans that reached 30 days past due and went on to default (90+)."""
    loans = result.loans[result.loans["origination_day"] + 150 <= result.config.run.steps]
    reached = loans[loans["ever_30dpd"]]
    return float(reached["defaulted"].mean())


def test_a_decaying_cure_rate_makes_30_dpd_roll_on_to_default(paired):
    for decay, constant in zip(paired["decay"], paired["constant"], strict=True):
        for r in (decay, constant):  # precondition: delinquencies reached 30 DPD
            assert r.steps["entered_30dpd"].sum() > 30
        # measured (seeds 1-3): 0.58-0.61 with the decay, 0.0-0.32 without
        assert roll_to_default(decay) > roll_to_default(constant) + 0.15
        # the early cures carry the collections: the first 30 days still collect most
        assert 0.75 < decay.summary["market"]["collection_30d_rate"] < (
            constant.summary["market"]["collection_30d_rate"])


def test_the_30_day_collection_rate_counts_each_delinquency_once(paired):
    r = paired["decay"][0]
    entered = int(r.steps["entered_30dpd"].sum())
    ever = int(r.loans["ever_30dpd"].sum())
    assert ever > 30  # precondition
    # every loan that was ever 30+ DPD entered once at least; a loan can cure and re-enter
    assert ever <= entered <= ever + r.loans["cured"].sum()
    market = r.summary["market"]
    started = r.steps.loc[r.steps["day"] <= r.config.run.steps - 31, "missed_payments"].sum()
    assert market["collection_30d_rate"] == pytest.approx(1 - entered / started)
