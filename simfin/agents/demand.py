"""Who needs credit: need rates that depend on the consumer's state (adverse selection),
ticket sizes and terms, and declined applicants who try again elsewhere.

All of it is vectorised over the candidate needs of a day; nothing loops over consumers.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from simfin.config import BehaviourConfig, PopulationConfig
from simfin.config.behaviour import DemandBehaviour


class ConsumerColumns(Protocol):
    """What the need rate reads of the population's columns. A protocol, not the
    :class:`~simfin.agents.population.Population` itself: the population imports this
    module to keep its need ceiling current, and imports point one way.
    """

    config: PopulationConfig
    behaviour: BehaviourConfig
    base_income_cents: np.ndarray
    willingness: np.ndarray
    debt_service_cents: np.ndarray
    cohort: np.ndarray
    shock_until_day: np.ndarray
    digital_affinity: np.ndarray
    is_fraud: np.ndarray

NEED_COLUMNS = ("consumer", "amount_cents", "term_days", "online", "scenario", "product")


def need_multiplier(population: ConsumerColumns, rows: np.ndarray, day: int, product: str
                    ) -> np.ndarray:
    """How much more often than the reference consumer each of ``rows`` needs credit.

    Low willingness to repay, high existing debt service, low income and an income shock
    all raise it (weighted by how adversely selected the product is); cohorts differ.
    Capped at ``max_multiplier`` (the bound of the thinning draw).
    """
    d = population.behaviour.demand
    log_terms, cohort_factor = _state_terms(population, rows)
    m = _unshocked(d, getattr(d.product_weight, product), log_terms, cohort_factor)
    m = np.where(population.shock_until_day.take(rows) > day, m * d.shock_multiplier, m)
    return np.minimum(m, d.max_multiplier)


def _state_terms(pop: ConsumerColumns, rows: np.ndarray) -> tuple[tuple, np.ndarray]:
    """The consumer-state terms of the need multiplier's logarithm (willingness, debt,
    income, each before its weight) and the cohort factor: every lookup it needs.
    """
    d = pop.behaviour.demand
    income = pop.base_income_cents.take(rows).astype(np.float64)
    gap = d.reference_willingness - pop.willingness.take(rows).astype(np.float64)
    debt = pop.debt_service_cents.take(rows) / np.maximum(income, 1.0)
    poorer = np.log(pop.config.income_median_cents / np.maximum(income, 1.0))
    return (gap, debt, poorer), np.asarray(d.cohort_multiplier).take(pop.cohort.take(rows))


def _unshocked(d: DemandBehaviour, weight: float, log_terms: tuple,
               cohort_factor: np.ndarray) -> np.ndarray:
    """The multiplier before the income shock and the final cap."""
    gap, debt, poorer = log_terms
    log_m = weight * (d.willingness_weight * gap + d.debt_weight * debt
                      + d.income_weight * poorer)
    m = np.exp(np.minimum(log_m, np.log(d.max_multiplier)))
    m *= cohort_factor
    return m


def need_ceiling(population: ConsumerColumns, rows: np.ndarray) -> np.ndarray:
    """An upper bound of each genuine consumer's need weight, (base + digital affinity) x
    :func:`need_multiplier`, for every product and every day until their state changes;
    0 for fraudsters (their needs are drawn apart).

    A scenario's thinning keeps a candidate need when its uniform draw is below the need
    weight; a draw at or above this ceiling is thinned out after one lookup, and only the
    few candidates below it have their state looked up (the same needs as without it).
    It assumes an income shock wherever one may still run (``shock_until_day > 0``); a
    small margin covers rounding, and it is kept in float32 rounded up.
    :class:`~simfin.agents.population.Population` keeps it current where inputs change.
    """
    pop, d = population, population.behaviour.demand
    log_terms, cohort_factor = _state_terms(pop, rows)
    may_be_shocked = pop.shock_until_day.take(rows) > 0
    best = np.zeros(len(rows))
    for weight in set(d.product_weight.model_dump().values()):
        m = _unshocked(d, weight, log_terms, cohort_factor)
        np.maximum(best, np.where(may_be_shocked, np.maximum(m, m * d.shock_multiplier), m),
                   out=best)
    best = np.minimum(best, d.max_multiplier)
    affinity = d.affinity_need_base + pop.digital_affinity.take(rows)
    ceiling = np.where(pop.is_fraud.take(rows), 0.0, affinity * best * (1.0 + 1e-9))
    # Kept in float32 (half the memory a day's random lookups sweep), rounded up.
    narrow = ceiling.astype(np.float32)
    return np.where(narrow < ceiling, np.nextafter(narrow, np.float32(np.inf)), narrow)


def ticket_cents(population: ConsumerColumns, rows: np.ndarray, median_cents: int, sigma: float,
                 online: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ticket sizes: log-normal around the scenario's median, larger for higher incomes,
    smaller online.
    """
    d = population.behaviour.demand
    income = population.base_income_cents.take(rows).astype(np.float64)
    scale = (income / population.config.income_median_cents) ** d.amount_income_elasticity
    scale = np.where(online, scale * d.online_ticket_factor, scale)
    amount = median_cents * scale * np.exp(sigma * rng.standard_normal(len(rows)))
    return np.maximum(amount, 100).astype(np.int64)


def terms(term_days: list[int], online: np.ndarray, tilt: float,
          rng: np.random.Generator) -> np.ndarray:
    """Terms drawn from the scenario's list: uniform offline, weighted term^-tilt online
    (online needs skew short).
    """
    options = np.asarray(term_days, dtype=np.int32)
    weights = options.astype(np.float64) ** -tilt
    cum_online = np.cumsum(weights / weights.sum())
    u = rng.random(len(online))
    pick_online = np.minimum(np.searchsorted(cum_online, u, side="right"), len(options) - 1)
    pick_offline = np.minimum((u * len(options)).astype(np.int64), len(options) - 1)
    return options[np.where(online, pick_online, pick_offline)]


class Reapplications:
    """Needs no lender approved, waiting to be tried again with lenders not yet tried.

    Args:
        n_lenders: Lenders in the market.
        behaviour: ``behaviour.demand`` (probability, delay, attempts).
    """

    def __init__(self, n_lenders: int, behaviour: DemandBehaviour) -> None:
        self.behaviour = behaviour
        self.n_lenders = n_lenders
        self._parts: list[dict[str, np.ndarray]] = []

    def __len__(self) -> int:
        return sum(len(p["consumer"]) for p in self._parts)

    def add(self, needs: dict[str, np.ndarray], tried: np.ndarray, day: int,
            rng: np.random.Generator) -> None:
        """Queue declined needs: each tries again with probability ``reapply_probability``,
        1 to ``reapply_max_days`` days later, if it has attempts left and lenders untried.

        Args:
            needs: Need columns (``NEED_COLUMNS``, ``attempt``) of the declined needs.
            tried: (n, n_lenders) lenders each need has applied to.
            day: Today.
            rng: The model's random stream.
        """
        d = self.behaviour
        n = len(needs["consumer"])
        if n == 0:
            return
        again = ((rng.random(n) < d.reapply_probability)
                 & (needs["attempt"] < d.max_reapplications) & ~tried.all(axis=1))
        rows = np.flatnonzero(again)
        if len(rows) == 0:
            return
        part = {k: needs[k][rows] for k in (*NEED_COLUMNS, "attempt")}
        part["attempt"] = part["attempt"] + 1
        part["tried"] = tried[rows]
        part["due_day"] = day + rng.integers(1, d.reapply_max_days + 1, len(rows))
        self._parts.append(part)

    def due(self, day: int) -> dict[str, np.ndarray] | None:
        """Remove and return the needs that try again today (None when there are none)."""
        if not self._parts:
            return None
        merged = {k: np.concatenate([p[k] for p in self._parts]) for k in self._parts[0]}
        now = merged["due_day"] <= day
        later = {k: v[~now] for k, v in merged.items()}
        self._parts = [later] if len(later["consumer"]) else []
        if not now.any():
            return None
        return {k: v[now] for k, v in merged.items() if k != "due_day"}
