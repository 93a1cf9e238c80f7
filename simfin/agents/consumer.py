"""The ``Consumer`` Mesa agent (a view on one population row) and consumer behaviour.

Behaviour functions are vectorised over rows of the :class:`Population`; the agent class
exists so that a user can look at (and change) one consumer the Mesa way.
"""

from __future__ import annotations

import mesa
import numpy as np

import simfin.agents.fraud as fraud_kinds
from simfin.agents.population import Population


def loyalty(population: Population, rows: np.ndarray) -> np.ndarray:
    """(len(rows), n_lenders) factor on choosing each lender again: returning customers
    favour a lender when satisfied and avoid it when not.
    """
    b = population.behaviour.application
    factor = np.exp(b.loyalty_weight * (population.satisfaction.take(rows) - b.loyalty_neutral)
                    )[:, None]
    return np.where(population.borrowed_at.take(rows, axis=0), factor, 1.0)


def service_boost(population: Population, rows: np.ndarray) -> np.ndarray:
    """Logit boost of repayment from satisfaction."""
    b = population.behaviour.repayment
    return b.satisfaction_weight * (population.satisfaction.take(rows) - b.neutral_satisfaction)


def completion_probability(population: Population, rows: np.ndarray, online: np.ndarray,
                           friction_minutes: np.ndarray, friction_steps: np.ndarray,
                           cohort: np.ndarray | None = None) -> np.ndarray:
    """Probability that an applicant finishes the application form.

    Falls with the product's minutes and steps, faster for younger cohorts, and online forms
    are harder for consumers with low digital affinity. ``cohort``: the rows' cohorts, when
    the caller has looked them up already.
    """
    b = population.behaviour.application
    cohort = population.cohort.take(rows) if cohort is None else cohort
    patience = np.asarray(b.patience_minutes, dtype=np.float64)[cohort]
    p = np.exp2(-friction_minutes / patience) * (1.0 - b.step_drop_off) ** friction_steps
    affinity = population.digital_affinity.take(rows)
    floor = b.online_form_floor
    return np.where(online, p * (floor + (1.0 - floor) * affinity), p)


def _repayment_logit(population: Population, rows: np.ndarray, due_cents: np.ndarray,
                     day: int) -> np.ndarray:
    b = population.behaviour.repayment
    w = np.clip(population.willingness.take(rows).astype(np.float64), 1e-4, 1 - 1e-4)
    capacity = population.disposable_cents(rows, day) / np.maximum(due_cents, 1)
    return (b.willingness_weight * np.log(w / (1 - w))
            + b.capacity_weight * np.log(np.clip(capacity, b.min_capacity_ratio,
                                                 b.max_capacity_ratio))
            + b.intercept)


def pay_probability(population: Population, rows: np.ndarray, due_cents: np.ndarray,
                    day: int, boost: np.ndarray | float = 0.0) -> np.ndarray:
    """Probability of paying an instalment of ``due_cents`` today.

    Follows from the consumer's state: willingness to repay and capacity (disposable income
    over the amount due, lower during an income shock). Fraudsters who have busted out
    (stolen identities at once; first-party and synthetic ones after the loans they repay
    to build trust) never pay. ``boost`` adds to the logit (reminders, good service).
    """
    paying = fraud_kinds.paying(population, rows)
    if paying.all():
        return 1.0 / (1.0 + np.exp(-(_repayment_logit(population, rows, due_cents, day)
                                     + boost)))
    # Only the rows that still pay need their state looked up (busted-out fraudsters pile
    # up among delinquent loans).
    some = np.flatnonzero(paying)
    z = (_repayment_logit(population, rows[some],
                          due_cents[some] if np.ndim(due_cents) else due_cents, day)
         + (boost[some] if np.ndim(boost) else boost))
    p = np.zeros(len(rows))
    p[some] = 1.0 / (1.0 + np.exp(-z))
    return p


def cure_probability(population: Population, rows: np.ndarray, due_cents: np.ndarray,
                     day: int, daily_rate: np.ndarray | float, boost: np.ndarray | float = 0.0
                     ) -> np.ndarray:
    """Daily probability that a delinquent borrower pays all that is overdue."""
    return daily_rate * pay_probability(population, rows, due_cents, day, boost)


class Consumer(mesa.Agent):
    """One consumer, as a Mesa agent whose attributes read and write the population columns.

    Created on demand by ``MarketModel.consumer(row)``; ``model.agents_by_type[Consumer]``
    holds the ones created so far. ``consumer.willingness = 0.2`` changes the column.
    ``unique_id == row``: the agent's id is its row in the population (and the ``consumer``
    column of ``loans.parquet``); the market's other agents have ids from ``n_consumers``
    up.
    """

    def __init__(self, model: mesa.Model, population: Population, row: int) -> None:
        super().__init__(model)
        object.__setattr__(self, "_population", population)
        object.__setattr__(self, "row", int(row))
        # The id a reader can map back: a consumer's unique_id is its population row.
        object.__setattr__(self, "unique_id", int(row))

    def __getattr__(self, name: str):
        population = self.__dict__.get("_population")
        if population is not None and name in population.STATIC + population.DYNAMIC:
            return getattr(population, name)[self.__dict__["row"]].item()
        raise AttributeError(name)

    def __setattr__(self, name: str, value) -> None:
        population = self.__dict__.get("_population")
        if population is not None and name in population.STATIC + population.DYNAMIC:
            getattr(population, name)[self.row] = value
            population.refresh(self.row)  # what the market derives from the row follows
        else:
            object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return (f"Consumer(row={self.row}, age={self.age_years}, income_cents="
                f"{self.base_income_cents}, willingness={self.willingness:.2f})")
