"""Demand-based ("optimised") pricing earns more than cost-plus risk-based pricing: the same
platform lender, paired seeds, only the pricing policy differs. The precondition (offers
were made, the take-up model went live, price tests moved prices) is asserted first."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simfin
from tests.conftest import before_roles

BASELINE = Path(__file__).resolve().parents[2] / "configs" / "baseline.yaml"
STEPS = 300
# A small, fast market: the platform's model and its take-up model learn within the run.
# Approval threshold PD 0.15: the platform keeps most of the rules' volume, so the prices
# (not the threshold) decide its profit.
SMALL = {"population.n_consumers": 6_000, "run.steps": STEPS,
         "lenders.1.risk.model.min_outcomes": 150,
         "lenders.1.risk.model.performance_window_days": 45,
         "lenders.1.risk.model.retrain_every_days": 15,
         "lenders.1.risk.approval_threshold": 0.15,
         "lenders.1.pricing.optimised.min_offers": 500,
         # the market this test was designed for, before the default market's roles
         # (issue 24): the platform funds its loans alone, so its profit is its prices'
         # whole margin and loss (co-funded, the bank earns a fixed 15 % on 70 % of each
         # loan and bears 70 % of its loss), and the bank has no app of its own (with it
         # the bank takes a quarter of the consumers, the better-off, and the platform's
         # take-up model goes live only on day 240, too late to price for three months)
         **before_roles()}
SEEDS = (1, 2, 3, 4)
T_95_ONE_SIDED = {3: 2.353}  # Student's t, 95 % one-sided, by degrees of freedom


@pytest.fixture(scope="module")
def paired() -> dict[str, list[simfin.RunResult]]:
    return {strategy: [simfin.run(BASELINE, overrides={
        **SMALL, "run.seed": seed, "lenders.1.pricing.strategy": strategy})
        for seed in SEEDS] for strategy in ("risk_based", "optimised")}


def test_optimised_prices_earn_more_than_cost_plus_prices(paired):
    for result in paired["optimised"]:
        demand = result.model.lenders[1].pricers[0].demand
        assert result.summary["lenders"]["platform"]["approvals"] > 1_000  # offers made
        assert demand.n_offers > 1_000  # and observed, taken or not
        assert demand.live and demand.since_day_ <= STEPS - 90  # priced for 3+ months
        assert demand.model.price_slope_ < -2  # take-up falls with the price
        assert demand.tested_prices_ > 100  # price tests varied the price
    for result in paired["risk_based"]:
        assert result.model.lenders[1].pricers[0].demand is None
        assert result.summary["lenders"]["platform"]["approvals"] > 1_000

    profit = {s: np.array([r.summary["lenders"]["platform"]["profit"] for r in runs])
              for s, runs in paired.items()}
    diff = profit["optimised"] - profit["risk_based"]
    # every seed, and the mean beyond its seed-to-seed spread (one-sided 95 % t bound)
    # (measured, yuan: +20.1k/+8.0k/+22.7k/+12.2k, mean 15.7k, standard error 3.4k; the
    # take-up model live from day 180/195/195/210)
    assert (diff > 0).all(), diff
    spread = diff.std(ddof=1) / np.sqrt(len(diff))
    assert diff.mean() > T_95_ONE_SIDED[len(diff) - 1] * spread, (diff.mean(), spread)
