"""Merchant scenarios: the day's financing needs and their shape."""

from __future__ import annotations

import numpy as np

from simfin.model import MarketModel
from tests.conftest import small_config


def genuine_needs(base: float, days: int = 30) -> tuple[int, np.ndarray]:
    """Genuine needs the first scenario draws over ``days`` days (no fraudsters), and the
    digital affinity of the consumers who had them."""
    model = MarketModel(small_config(**{"population.fraud_share": 0.0,
                                        "behaviour.demand.affinity_need_base": base}))
    scenario, pop = model.scenarios[0], model.population
    rng = np.random.default_rng(5)
    who = np.concatenate([scenario.generate_needs(pop, day, rng)["consumer"]
                          for day in range(days)])
    return len(who), pop.digital_affinity[who]


def test_a_higher_affinity_base_raises_needs_and_weakens_the_tilt_to_the_digital():
    n_default, affinity_default = genuine_needs(0.5)
    assert n_default > 200  # precondition: needs arise
    n_more, affinity_more = genuine_needs(2.0)
    # (2 + a) / (0.5 + a) is 2.2 to 4 over affinities 0 to 1
    assert 2.0 * n_default < n_more < 4.2 * n_default
    # with a larger base, affinity matters less: the needy are less tilted to the digital
    assert affinity_more.mean() < affinity_default.mean() - 0.01
