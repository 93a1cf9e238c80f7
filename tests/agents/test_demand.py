"""Demand: need rates that follow the consumer's state, tickets, terms, re-applications."""

from __future__ import annotations

import numpy as np

from simfin.agents.demand import Reapplications, need_multiplier, terms
from simfin.agents.population import Population
from simfin.config import BehaviourConfig, PopulationConfig


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
