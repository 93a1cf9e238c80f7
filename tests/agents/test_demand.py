"""Demand: need rates that follow the consumer's state, tickets, terms, re-applications."""

from __future__ import annotations

import numpy as np

from simfin.agents.demand import Reapplications, need_ceiling, need_multiplier, terms
from simfin.agents.population import Population
from simfin.config import BehaviourConfig, PopulationConfig
from simfin.lending.product import PRODUCT_KINDS
from simfin.model import MarketModel
from tests.conftest import small_config


def population(n: int = 2_000) -> Population:
    return Population(PopulationConfig(n_consumers=n), np.random.default_rng(0))


def test_riskier_states_need_credit_more_often():
    pop = population()
    rows = np.arange(pop.n)
    base = need_multiplier(pop, rows, 0, "cash")
    pop.willingness[:] = 0.95
    willing = need_multiplier(pop, rows, 0, "cash")
    pop.willingness[:] = 0.6
    unwilling = need_multiplier(pop, rows, 0, "cash")
    assert (unwilling >= willing).all() and unwilling.mean() > 1.5 * willing.mean()
    pop.shock_until_day[:] = 10
    assert (need_multiplier(pop, rows, 0, "cash") >= unwilling).all()
    pop.debt_service_cents[:] = pop.base_income_cents // 2
    assert need_multiplier(pop, rows, 20, "cash").mean() > unwilling.mean()
    cap = BehaviourConfig().demand.max_multiplier
    assert base.max() <= cap and need_multiplier(pop, rows, 0, "cash").max() <= cap
    # cash needs are more adversely selected than instalment needs
    assert need_multiplier(pop, rows, 20, "cash").mean() > \
        need_multiplier(pop, rows, 20, "instalment").mean()


def test_online_needs_skew_to_short_terms():
    rng = np.random.default_rng(1)
    online = terms([30, 90, 180, 360], np.ones(20_000, bool), 1.5, rng)
    offline = terms([30, 90, 180, 360], np.zeros(20_000, bool), 1.5, rng)
    assert abs((offline == 360).mean() - 0.25) < 0.02
    assert (online <= 90).mean() > (offline <= 90).mean() + 0.2


def test_declined_needs_come_back_within_days_to_untried_lenders():
    queue = Reapplications(3, BehaviourConfig().demand.model_copy(
        update={"reapply_probability": 1.0, "reapply_max_days": 3, "max_reapplications": 1}))
    n = 1_000
    needs = {"consumer": np.arange(n, dtype=np.int32), "amount_cents": np.full(n, 1000),
             "term_days": np.full(n, 30, np.int32), "online": np.ones(n, bool),
             "scenario": np.zeros(n, np.int8), "product": np.zeros(n, np.int8),
             "attempt": np.zeros(n, np.int8)}
    tried = np.zeros((n, 3), bool)
    tried[:, 0] = True
    tried[:10] = True  # these have tried every lender: nowhere left to go
    queue.add(needs, tried, day=5, rng=np.random.default_rng(2))
    assert len(queue) == n - 10
    back = [queue.due(day) for day in range(5, 10)]
    counts = [0 if b is None else len(b["consumer"]) for b in back]
    assert counts[0] == 0 and sum(counts[1:4]) == n - 10 and counts[4] == 0
    first = next(b for b in back if b is not None)
    assert first["tried"][:, 0].all() and (first["attempt"] == 1).all()
    queue.add(first, first["tried"], day=9, rng=np.random.default_rng(3))
    assert len(queue) == 0  # no attempts left


def need_weights(pop: Population, day: int) -> np.ndarray:
    """(products, n) need weight of every consumer for every product, as the thinning
    computes it."""
    rows = np.arange(pop.n)
    base = pop.behaviour.demand.affinity_need_base
    return np.array([(base + pop.digital_affinity) * need_multiplier(pop, rows, day, p)
                     for p in PRODUCT_KINDS])


def test_the_need_ceiling_bounds_every_need_weight_as_the_market_runs():
    """The ceiling the thinning trusts stays above every genuine consumer's need weight
    while loans open and close, shocks start and end, and a user changes a consumer
    through its Mesa view; and it is 0 for fraudsters, whose needs are drawn apart.
    """
    model = MarketModel(small_config(**{"population.n_consumers": 1_500,
                                        "population.job_loss_rate": 1.0}))
    pop = model.population
    genuine = ~pop.is_fraud
    for _ in range(25):
        model.step()
        assert (need_weights(pop, model.day)[:, genuine] <= pop.need_ceiling[genuine]).all()
    assert (pop.debt_service_cents > 0).sum() > 50  # loans were booked
    assert (pop.shock_until_day > model.day).sum() > 50  # shocks are running
    assert (pop.need_ceiling[pop.is_fraud] == 0).all() and pop.is_fraud.any()
    # a Mesa-view change raises one consumer's need weight: the ceiling follows at once
    row = int(np.flatnonzero(genuine & (pop.debt_service_cents == 0))[0])
    before = pop.need_ceiling[row]
    consumer = model.consumer(row)
    consumer.willingness, consumer.debt_service_cents = 0.01, 10 * pop.base_income_cents[row]
    assert pop.need_ceiling[row] > before
    assert (need_weights(pop, model.day)[:, row] <= pop.need_ceiling[row]).all()
    # the ceiling is the weight itself (to float32) where no shock may still run: it thins
    calm = genuine & (pop.shock_until_day <= 0)
    tight = need_weights(pop, model.day)[:, calm].max(axis=0)
    np.testing.assert_allclose(pop.need_ceiling[calm], tight, rtol=1e-6)
    np.testing.assert_array_equal(need_ceiling(pop, np.arange(pop.n)), pop.need_ceiling)
