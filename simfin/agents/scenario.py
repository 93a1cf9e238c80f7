"""Merchant-scenario agents: where financing needs arise (e-commerce, 3C, travel, cash...)."""

from __future__ import annotations

import mesa
import numpy as np

import simfin.agents.fraud as fraud_kinds
from simfin.agents.demand import need_multiplier, terms, ticket_cents
from simfin.agents.population import Population
from simfin.config import ScenarioConfig
from simfin.lending.product import PRODUCT_KINDS


class MerchantScenario(mesa.Agent):
    """A scenario that creates fragmented, small-ticket financing needs every day.

    Needs are drawn without a per-consumer loop: the day's number of candidate needs is
    Poisson, candidates are drawn uniformly and kept with a probability proportional to
    the consumer's need rate (thinning), so the cost is O(needs), not O(consumers). The
    rate depends on the consumer's state, so applicants are riskier than the population.

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

    def online_share(self, day: int, shift: float = 0.0) -> float:
        """Share of today's needs that arise online (drifts as offline flows move online;
        ``shift``: the economy's ``online_shift``).
        """
        c = self.config
        share = c.online_share + c.online_drift * day / 365.0
        if shift != 0.0:
            share += shift
        return float(np.clip(share, 0.0, 1.0))

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
        """Today's financing needs as columns: consumer, amount, term, online, ...

        A consumer's need rate is ``need_rate`` x (base + digital affinity) x the state
        multiplier of :func:`~simfin.agents.demand.need_multiplier` (adverse selection),
        with base ``behaviour.demand.affinity_need_base``.
        """
        c = self.config
        demand = population.behaviour.demand
        cap = demand.max_multiplier
        top = demand.affinity_need_base + 1.0  # the affinity factor at full affinity
        rate = c.need_rate / 365.0 * self.seasonality(day)
        macro = population.macro
        if macro.demand_of(self.index) != 1.0:  # the economy's demand for this scenario
            rate *= macro.demand_of(self.index)
        # Thinning: candidates at the highest possible rate, kept in proportion to theirs.
        k = rng.poisson(population.n * rate * top * cap)
        who = rng.integers(0, population.n, k)
        u = rng.random(k) * (top * cap)
        # A candidate is kept when u < (base + affinity) x need_multiplier: those at or
        # above the consumer's need ceiling (most of them, and every fraudster: their
        # needs are drawn below, at their own rate) are thinned out after that one lookup.
        maybe = np.flatnonzero(u < population.need_ceiling.take(who))
        rows = who.take(maybe)
        weight = (demand.affinity_need_base + population.digital_affinity.take(rows)
                  ) * need_multiplier(
            population, rows, day, c.product)
        who = rows[u.take(maybe) < weight]
        fraud_rows = population.fraud_rows
        n_genuine = len(who)
        fraud = population.behaviour.fraud
        if len(fraud_rows):
            multiplier = getattr(fraud.need_multiplier, c.product)
            k_fraud = rng.poisson(len(fraud_rows) * rate * multiplier)
            fraudsters = fraud_rows[rng.integers(0, len(fraud_rows), k_fraud)]
            # Rings lying low after being blocked apply less; burnt identities not at all.
            fraudsters = fraudsters[rng.random(k_fraud) < fraud_kinds.activity(population,
                                                                                 fraudsters)]
            who = np.concatenate([who, fraudsters])
        n = len(who)
        online = rng.random(n) < self.online_share(day, macro.online_shift)
        tail = slice(n_genuine, n)
        # Fraudsters apply online (an offline store sees the face).
        online[tail] = rng.random(n - n_genuine) < fraud.online_share
        amount = ticket_cents(population, who, c.ticket_median_cents, c.ticket_sigma, online,
                              rng)
        # ... and ask for a lot when they bust out.
        amount[tail] = (amount[tail] * np.where(fraud_kinds.busting_out(population, who[tail]),
                                                fraud.bust_out_amount_multiplier, 1.0)
                        ).astype(amount.dtype)
        return {
            "consumer": who.astype(np.int32),
            "amount_cents": amount,
            "term_days": terms(c.term_days, online,
                               population.behaviour.demand.online_short_term_tilt, rng),
            "online": online,
            "scenario": np.full(n, self.index, dtype=np.int8),
            "product": np.full(n, self.product, dtype=np.int8),
        }
