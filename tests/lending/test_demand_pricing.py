"""Demand-based ("optimised") pricing: the take-up estimator, the price choice, cold start,
price tests and determinism."""

from __future__ import annotations

import numpy as np
import pytest

import simfin
from simfin.lending.batch import DECLINED, ApplicationBatch
from simfin.lending.demand_pricing import (
    DemandPricer,
    TakeUpModel,
    optimal_apr,
    segment_features,
)
from simfin.lending.pipeline import DecisionContext, Pipeline
from simfin.lending.pricing import PricingStage, average_life_years, grade_of, priced_pd
from simfin.lending.registry import PRICING
from tests.conftest import TWO_LENDERS

CUTOFFS = [0.02, 0.05, 0.10, 0.20]
COST_RATE, MARGINAL_RATE, BOOKING, LGD, CAP = 0.14, 0.09, 1_000, 0.25, 0.36
# The "true" take-up curve of the synthetic offers: log-odds = INTERCEPT + SLOPE x APR
# + the segment terms below.
INTERCEPT, SLOPE = 1.2, -6.0


def true_intercept(batch: ApplicationBatch) -> np.ndarray:
    return (INTERCEPT + 0.6 * batch["online"] - 4.0 * batch["pd"]
            + 0.2 * np.log(batch["term_days"] / 90.0))


def applications(n: int, seed: int) -> ApplicationBatch:
    """Scored applications of mixed risk, term, amount and segment."""
    rng = np.random.default_rng(seed)
    amount = np.round(np.exp(rng.normal(12.3, 0.7, n))).astype(np.int64)
    return ApplicationBatch({
        "pd": rng.uniform(0.003, 0.3, n).astype(np.float32),
        "term_days": rng.choice(np.array([14, 30, 90, 180, 360], dtype=np.int32), n),
        "fee_rate": np.where(rng.random(n) < 0.3, 0.005, 0.0).astype(np.float32),
        "amount_cents": amount,
        "asked_cents": amount,
        "stated_income_cents": np.full(n, 600_000),
        "online": (rng.random(n) < 0.6).astype(np.float32),
        "age_years": rng.uniform(20, 60, n).astype(np.float32),
        "product": rng.integers(0, 2, n).astype(np.int8)})


def stage(strategy: str = "optimised", share: float = 0.0, min_offers: int = 500,
          cap: float | None = CAP) -> PricingStage:
    demand = (DemandPricer(min_offers, 365, 10, share, 0.05, 0.48, regularisation=100.0)
              if strategy == "optimised" else None)
    return PricingStage(strategy, CUTOFFS, 0.24, LGD, COST_RATE, cap, 7,
                        unit_cost_cents=6_000, marginal_cost_rate=MARGINAL_RATE,
                        booking_cost_cents=BOOKING, demand=demand)


def run(pricing: PricingStage, batch: ApplicationBatch, seed: int = 0) -> ApplicationBatch:
    copy = ApplicationBatch({k: v.copy() for k, v in batch.columns.items()})
    return pricing.run(copy, DecisionContext(day=0, rng=np.random.default_rng(seed)))


def marginal_rate(batch: ApplicationBatch) -> np.ndarray:
    """The marginal cost per year of each row (as capped_price() computes its decline floor)."""
    life = average_life_years(batch["term_days"])
    pd_ = batch["pd"]
    priced = priced_pd(grade_of(pd_, np.asarray(CUTOFFS, np.float32)),
                       pd_.astype(np.float64), np.asarray(CUTOFFS, np.float32))
    return (MARGINAL_RATE + BOOKING / batch["amount_cents"] / life
            + priced * LGD / life)


def teach(pricing: PricingStage, n: int = 20_000, seed: int = 5, day: int = 10) -> None:
    """Offers at random prices, taken with the true take-up curve, observed on a refit day."""
    rng = np.random.default_rng(seed)
    batch = applications(n, seed)
    batch["all_in_apr"] = rng.uniform(0.08, CAP, n).astype(np.float32)
    p = 1 / (1 + np.exp(-(true_intercept(batch) + SLOPE * batch["all_in_apr"])))
    accepted = np.flatnonzero(rng.random(n) < p)
    pricing.observe_offers(day, batch, np.arange(n), accepted)


def test_the_policy_is_registered_and_prices_risk():
    policy = PRICING.get("optimised")
    assert policy.prices_risk
    assert callable(policy.learner)


def test_the_chosen_apr_is_the_argmax_of_expected_profit():
    rng = np.random.default_rng(1)
    for _ in range(20):
        a, b, m = rng.uniform(-2, 4), rng.uniform(-15, -2), rng.uniform(0.02, 0.4)
        grid = np.linspace(m, m + 3.0, 300_001)
        profit = (grid - m) / (1 + np.exp(-(a + b * grid)))
        best = optimal_apr(np.array([a]), b, np.array([m]), np.array([0.0]), np.inf)[0]
        assert best == pytest.approx(grid[np.argmax(profit)], abs=2e-5)
        # within bounds: the argmax on the bounded grid
        lo, hi = m + 0.05, m + 0.15
        inside = (grid >= lo) & (grid <= hi)
        bounded = optimal_apr(np.array([a]), b, np.array([m]), np.array([lo]), hi)[0]
        assert bounded == pytest.approx(grid[inside][np.argmax(profit[inside])], abs=2e-5)


def test_a_take_up_that_does_not_fall_with_price_is_priced_at_the_upper_bound():
    assert optimal_apr(np.zeros(3), 0.5, np.full(3, 0.1), np.full(3, 0.1), 0.36).tolist() == \
        [0.36] * 3


def test_the_take_up_model_recovers_a_known_logistic_curve():
    batch = applications(20_000, 2)
    rng = np.random.default_rng(3)
    apr = rng.uniform(0.08, CAP, batch.n)
    p = 1 / (1 + np.exp(-(true_intercept(batch) + SLOPE * apr)))
    taken = rng.random(batch.n) < p
    x = segment_features(batch["pd"], batch["term_days"], batch["amount_cents"],
                         batch.columns)
    model = TakeUpModel(regularisation=100.0)
    assert not model.fitted
    assert model.fit(apr, x, taken)
    assert model.price_slope_ == pytest.approx(SLOPE, abs=0.6)
    np.testing.assert_allclose(model.probability(apr, x), p, atol=0.04)
    # all taken: nothing to learn, the model stays unfitted
    assert not TakeUpModel().fit(apr, x, np.ones(batch.n, dtype=bool))


def test_cold_start_prices_as_risk_based():
    batch = applications(3_000, 4)
    optimised, risk = stage(min_offers=500), stage("risk_based")
    teach(optimised, n=400)  # fewer offers than min_offers: still cold
    assert not optimised.demand.live
    got, want = run(optimised, batch), run(risk, batch)
    for column in ("grade", "apr", "all_in_apr", "decision", "reason"):
        np.testing.assert_array_equal(got[column], want[column], err_msg=column)


def test_live_prices_are_the_optimum_between_the_marginal_cost_and_the_cap():
    batch = applications(4_000, 6)
    optimised, risk = stage(), stage("risk_based")
    teach(optimised)
    assert optimised.demand.live and optimised.demand.since_day_ == 10
    got, want = run(optimised, batch), run(risk, batch)
    price = got["all_in_apr"].astype(np.float64)
    floor = np.maximum(marginal_rate(batch), batch["fee_rate"] / average_life_years(
        batch["term_days"]))
    assert (price <= CAP + 1e-6).all()
    booked = got["decision"] != DECLINED
    assert (price[booked] >= floor[booked] - 1e-6).all()
    # the cap declines exactly what it declined under risk-based prices
    np.testing.assert_array_equal(got["decision"], want["decision"])
    np.testing.assert_array_equal(got["reason"], want["reason"])
    assert (got["decision"] == DECLINED).any()
    # the price is the optimum of the true curve, within the estimation error
    truth = optimal_apr(true_intercept(batch), SLOPE, marginal_rate(batch), floor, CAP)
    assert np.abs(price - truth)[booked].max() < 0.02
    # it repriced: every risk-based price under the cap moves (most to the cap: with a
    # price slope of -6 the best markup over the marginal cost is at least 1/6)
    under = booked & (want["all_in_apr"] < CAP - 1e-6)
    assert under.sum() > 500
    assert (price[under] != want["all_in_apr"][under]).mean() > 0.95


def test_without_a_cap_the_price_stops_at_max_apr():
    optimised = stage(cap=None)
    teach(optimised)
    got = run(optimised, applications(2_000, 7))
    assert got["all_in_apr"].max() <= 0.48 + 1e-6
    assert (got["decision"] != DECLINED).all()


def test_price_tests_move_a_share_of_prices_within_the_bounds():
    batch = applications(4_000, 8)
    # without a cap (bounds: the marginal cost and max_apr) every tested price moves
    got = run(stage(share=0.3, cap=None), batch, seed=1)
    moved = got["all_in_apr"] != run(stage(share=0.0, cap=None), batch)["all_in_apr"]
    assert 0.27 < moved.mean() < 0.33
    assert got["all_in_apr"][moved].max() <= 0.48 + 1e-6
    # under the cap, some moves are clipped to it; decisions do not change
    tested, untested = stage(share=0.3), stage(share=0.0)
    assert tested.draws and not untested.draws
    got, base = run(tested, batch, seed=1), run(untested, batch)
    moved = got["all_in_apr"] != base["all_in_apr"]
    assert 0.1 < moved.mean() < 0.3
    assert (got["all_in_apr"] <= CAP + 1e-6).all()
    floor = np.maximum(marginal_rate(batch), batch["fee_rate"] / average_life_years(
        batch["term_days"]))
    booked = got["decision"] != DECLINED
    assert (got["all_in_apr"][booked] >= floor[booked] - 1e-6).all()
    np.testing.assert_array_equal(got["decision"], base["decision"])


def test_unscored_rows_keep_their_price_and_are_not_tested():
    batch = applications(1_000, 9)
    batch["pd"] = np.full(batch.n, np.nan, dtype=np.float32)
    got = run(stage(share=1.0), batch)
    np.testing.assert_array_equal(got["all_in_apr"], run(stage("risk_based"), batch)[
        "all_in_apr"])


def test_same_seed_same_prices_and_slices_change_nothing():
    batch = applications(3_000, 10)

    def priced(chunk_rows: int, seed: int) -> np.ndarray:
        pricing = stage(share=0.3)
        teach(pricing)
        pipeline = Pipeline([("pricing", pricing)])
        pipeline.chunk_rows = chunk_rows
        copy = ApplicationBatch({k: v.copy() for k, v in batch.columns.items()})
        ctx = DecisionContext(day=0, rng=np.random.default_rng(seed))
        return pipeline.run(copy, ctx)["all_in_apr"]

    whole = priced(1 << 20, 3)
    np.testing.assert_array_equal(priced(1 << 20, 3), whole)
    np.testing.assert_array_equal(priced(700, 3), whole)  # slices draw in row order
    assert not np.array_equal(priced(1 << 20, 4), whole)  # the tests come from the seed


def test_the_refit_follows_the_schedule_and_the_window():
    pricing = stage()
    teach(pricing, day=7)  # not a refit day (every 10 days)
    assert not pricing.demand.model.fitted
    pricing.demand.refit(20)
    assert pricing.demand.live
    pricing.demand.refit(7 + 365)  # the offers have left the window
    assert pricing.demand.n_offers == 0


def test_the_config_builds_the_learner_on_the_retraining_schedule():
    cfg = simfin.load_config(TWO_LENDERS, {"lenders.1.pricing.strategy": "optimised",
                                           "lenders.1.risk.model.kind": "logistic",
                                           "lenders.1.risk.model.retrain_every_days": 12,
                                           "lenders.1.pricing.optimised.price_test_share": 0.2,
                                           "population.n_consumers": 500})
    model = simfin.MarketModel(cfg)
    demand = model.lenders[1].pricers[0].demand
    assert demand.refit_every_days == 12 and demand.price_test_share == 0.2
    assert model.lenders[0].pricers[0].demand is None
    with pytest.raises(simfin.ConfigError):
        simfin.load_config(TWO_LENDERS, {"lenders.1.pricing.optimised.price_test_share": 1.5})
