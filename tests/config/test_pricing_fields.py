"""``lenders.N.pricing.cold_start_pd`` and ``window_to_life_exponent`` reach the lender's
pricing stage and its run (the stage's arithmetic is tested in tests/lending/test_pricing.py).
"""

from __future__ import annotations

import numpy as np

import simfin
from simfin.model import MarketModel

SMALL = {"population.n_consumers": 3_000, "run.steps": 40, "run.seed": 2,
         "run.record_applications": False}


def platform_run(**pricing) -> tuple[MarketModel, np.ndarray]:
    """A 40-day run of the default market and the platform's booked loans (rows)."""
    over = {**SMALL, **{f"lenders.platform.pricing.{k}": v for k, v in pricing.items()}}
    model = MarketModel(simfin.load_config(None, over))
    while model.running:
        model.step()
    platform = [lender.config.name for lender in model.lenders].index("platform")
    return model, np.flatnonzero(model.book.column("lender") == platform)


def test_a_cold_start_prior_prices_the_platforms_unscored_applicants():
    model, loans = platform_run()
    # precondition: the platform lent, and on no score (its model is not live in 40 days)
    assert len(loans) > 100
    assert np.isnan(model.book.column("pd")[loans]).all()
    assert model.lenders[1].config.pricing.strategy == "risk_based"
    # a prior PD of 30 % prices every unscored loan over the 36 % cap: none is booked
    prior, prior_loans = platform_run(cold_start_pd=0.3)
    assert [stage.cold_start_pd for stage in prior.lenders[1].pricers] == [0.3]
    assert len(prior_loans) < 0.1 * len(loans)


def test_the_life_exponent_and_the_models_window_reach_the_pricing_stage():
    config = simfin.load_config(None, {"lenders.platform.pricing.window_to_life_exponent": 0.75,
                                       "lenders.platform.risk.model.performance_window_days":
                                       120, "run.steps": 1, "population.n_consumers": 100})
    stage, = MarketModel(config).lenders[1].pricers
    assert (stage.life_exponent, stage.window_days) == (0.75, 120)
