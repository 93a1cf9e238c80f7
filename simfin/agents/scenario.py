"""Merchant-scenario agents: where financing needs arise (e-commerce, 3C, travel, cash...)."""

from __future__ import annotations

import mesa
import numpy as np

from simfin.agents import fraud as fraud_kinds
from simfin.agents.population import Population
from simfin.config import ScenarioConfig
from simfin.lending.product import PRODUCT_KINDS


class MerchantScenario(mesa.Agent):
    """A scenario that creates fragmented, small-ticket financing needs every day.

    Needs are drawn without a per-consumer loop: the day's number of candidate needs is
    Poisson, candidates are drawn uniformly and kept with a probability proportional to
    the consumer's propensity (thinning), so the cost is O(needs), not O(consumers).

    Args:
        model: The market model.
        config: The scenario's parameters.
        index: Position of the scenario in the config (its code in the outputs).
    """

    def __init__(self, model: mesa.Model, config: ScenarioConfig, index: int) -> None:
        super().__init__(model)
        self.config = config
        self.index = index
        self.product = PRODUCT_KINDS.index(config.product)

    def online_share(self, day: int) -> float:
        """Share of today's needs that arise online (drifts as offline flows move online)."""
        c = self.config
        return float(np.clip(c.online_share + c.online_drift * day / 365.0, 0.0, 1.0))

    def seasonality(self, day: int) -> float:
        """Today's need rate relative to a normal weekday: weekends and festivals peak.

        Day 0 is a Monday, 1 January; ``need_rate`` is the yearly average.
        """
        c = self.config
        weekend = c.weekend_multiplier if day % 7 >= 5 else 1.0
        festival = c.festival_multiplier if day % 365 in c.festival_days else 1.0
        mean = (5 + 2 * c.weekend_multiplier) / 7 * (
            1 + len(c.festival_days) * (c.festival_multiplier - 1) / 365)
        return weekend * festival / mean

    def generate_needs(self, population: Population, day: int,
                       rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Today's financing needs as columns: consumer, amount, term, online, ..."""
        c = self.config
        rate = c.need_rate / 365.0 * self.seasonality(day)
        # Digitally engaged consumers shop (and borrow) online more: propensity in [0.5, 1.5].
        k = rng.poisson(population.n * rate * 1.5)
        who = rng.integers(0, population.n, k)
        # Fraudsters' needs are drawn below, at their own rate.
        keep = (rng.random(k) * 1.5 < 0.5 + population.digital_affinity[who]) & \
            ~population.is_fraud[who]
        who = who[keep]
        fraud_rows = population.fraud_rows
        n_genuine = len(who)
        if len(fraud_rows):
            fraud = population.behaviour.fraud
            multiplier = getattr(fraud.need_multiplier, c.product)
            k_fraud = rng.poisson(len(fraud_rows) * rate * multiplier)
            fraudsters = fraud_rows[rng.integers(0, len(fraud_rows), k_fraud)]
            # Rings lying low after being blocked apply less (thinning by their activity).
            fraudsters = fraudsters[rng.random(k_fraud) < fraud_kinds.activity(population,
                                                                                 fraudsters)]
            who = np.concatenate([who, fraudsters])
        n = len(who)
        amount = np.exp(np.log(c.ticket_median_cents) + c.ticket_sigma * rng.standard_normal(n))
        online = rng.random(n) < self.online_share(day)
        if n > n_genuine:
            fraud = population.behaviour.fraud
            tail = slice(n_genuine, n)
            # Fraudsters apply online, and ask for a lot when they bust out.
            online[tail] = rng.random(n - n_genuine) < fraud.online_share
            amount[tail] *= np.where(fraud_kinds.busting_out(population, who[tail]),
                                     fraud.bust_out_amount_multiplier, 1.0)
        terms = np.asarray(c.term_days, dtype=np.int32)
        return {
            "consumer": who.astype(np.int32),
            "amount_cents": np.maximum(amount, 100).astype(np.int64),
            "term_days": terms[rng.integers(0, len(terms), n)],
            "online": online,
            "scenario": np.full(n, self.index, dtype=np.int8),
            "product": np.full(n, self.product, dtype=np.int8),
        }
