"""A lender's own channel against the same market without it (paired seeds: the same
population and the same market-channel draws on both sides; the owned channel draws from a
stream of its own).

Each test asserts its precondition first (the channel carried applications and booked
loans), then the direction, by more than the seed-to-seed spread.
"""

from __future__ import annotations

import numpy as np
import pytest

import simfin
from simfin.outputs.loan_table import with_names
from tests.conftest import TWO_LENDERS

SEEDS = (31, 32, 33)
OWNER, RIVAL, APP = "rules_only", "scored", "rules_app"
OWNER_CODE, RIVAL_CODE, APP_CODE = 0, 1, 3  # coded as in the run's tables (config order)
# The owner's app: RMB 1 per application (a push message, an in-app banner) against
# RMB 10-80 for the bought channels of the suite's market.
APP_CHANNEL = {"name": APP, "owner": OWNER, "cost_per_application_cents": 100,
               "conversion_rate": 0.7, "customer_share": 0.3, "first_look_share": 0.6}


def config(seed: int, owned: bool) -> simfin.MarketConfig:
    cfg = simfin.load_config(TWO_LENDERS, {"population.n_consumers": 4_000, "run.steps": 120,
                                           "run.seed": seed})
    if not owned:
        return cfg
    data = cfg.model_dump()
    data["channels"].append(APP_CHANNEL)
    return simfin.load_config(data)


@pytest.fixture(scope="module")
def runs():
    """Per seed, the run without the owner's app and the run with it."""
    return {seed: (simfin.run(config(seed, False)), simfin.run(config(seed, True)))
            for seed in SEEDS}


def acquisition_per_loan(result, lender: str) -> float:
    """Acquisition cost per booked loan, in yuan, from ``summary.json``'s figures."""
    ind = result.summary["lenders"][lender]
    return ind["acquisition_cost"] / ind["loans"] / 100


def test_the_apps_applications_reach_only_its_owner_and_come_from_its_customers(runs):
    for seed in SEEDS:
        result = runs[seed][1]
        apps = result.applications
        through = apps[apps["channel"] == APP_CODE]
        assert len(through) > 300  # precondition: the app carried applications
        assert (through["lender"] == OWNER_CODE).all()
        rival = apps[apps["lender"] == RIVAL_CODE]
        assert len(rival) > 1_000 and (rival["channel"] != APP_CODE).all()
        named = with_names(through, result.config)  # as applications.parquet names it
        assert set(named["channel"]) == {APP} and set(named["lender"]) == {OWNER}
        owned = result.model.owned_channels
        assert owned.customers[0][through["consumer"].to_numpy()].all()
        # the channel's own tables name it like any other
        by_channel = result.summary["lenders"][OWNER]["by_channel"]
        assert by_channel[APP]["applications"] == len(through)
        assert by_channel[APP]["loans"] > 50
        assert result.summary["lenders"][RIVAL]["by_channel"][APP]["applications"] == 0


def test_the_owners_acquisition_cost_per_loan_falls(runs):
    without = np.array([acquisition_per_loan(runs[s][0], OWNER) for s in SEEDS])
    with_app = np.array([acquisition_per_loan(runs[s][1], OWNER) for s in SEEDS])
    # precondition: the app booked part of the owner's loans
    for seed in SEEDS:
        loans = runs[seed][1].loans
        assert (loans.loc[loans["lender"] == OWNER_CODE, "channel"] == APP_CODE).mean() > 0.1
    drop = without - with_app
    assert (drop > 0).all() and drop.mean() > np.ptp(without), (without, with_app)


def test_the_owner_reads_its_customers_income(runs):
    """In a steady economy no one earns more than their base income: a customer's income as
    the owner saw it never exceeds it, while other applicants round theirs up."""
    result = runs[SEEDS[0]][1]
    apps = result.applications
    pop, owned = result.model.population, result.model.owned_channels
    mine = apps[apps["lender"] == OWNER_CODE]
    consumer = mine["consumer"].to_numpy()
    customer = owned.customers[0][consumer]
    assert customer.sum() > 300 and (~customer).sum() > 300  # precondition
    ratio = mine["stated_income_cents"].to_numpy() / pop.base_income_cents[consumer]
    assert (ratio[customer] <= 1.0 + 1e-9).all()
    assert (ratio[~customer] > 1.0).mean() > 0.8


def lti_declines_of_customers(seed: int, knows_income: bool) -> float:
    """Share of the owner's customers' applications to it declined by a loan-to-income cap
    (applicants overstating their income by about 40 %, a 60-day market)."""
    data = config(seed, True).model_dump()
    data["channels"][-1]["knows_income"] = knows_income
    result = simfin.run(simfin.load_config(data, {
        "policy.max_loan_to_income": 0.04, "run.steps": 60,
        "behaviour.application.income_overstatement_sd": 0.5}))
    apps = result.applications
    customer = result.model.owned_channels.customers[0][apps["consumer"].to_numpy()]
    mine = (apps["lender"] == OWNER_CODE).to_numpy() & customer
    assert mine.sum() > 200  # precondition: the owner's customers applied to it
    lti = result.model.lenders[OWNER_CODE].reason_codes.index("LOAN_TO_INCOME")
    return float((apps["reason"].to_numpy()[mine] == lti).mean())


def test_reading_its_customers_income_tightens_a_loan_to_income_cap_on_them():
    """The cap reads income: the income the owner reads from its accounts is lower than the
    one applicants state, so more of its customers' asks exceed the cap."""
    reads = np.array([lti_declines_of_customers(seed, True) for seed in SEEDS])
    states = np.array([lti_declines_of_customers(seed, False) for seed in SEEDS])
    assert (states > 0.05).all()  # precondition: the cap binds
    gain = reads - states
    assert (gain > 0).all() and gain.mean() > np.ptp(states), (reads, states)
