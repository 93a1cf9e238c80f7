"""The ``Consumer`` Mesa agent (a view on one population row) and consumer behaviour.

Behaviour functions are vectorised over rows of the :class:`Population`; the agent class
exists so that a user can look at (and change) one consumer the Mesa way.
"""

from __future__ import annotations

import mesa
import numpy as np

from simfin.agents.population import Population

# Minutes of application friction at which half of a cohort's applicants give up
# (pre80, post80, post90, post00): born-digital cohorts expect speed.
PATIENCE_MINUTES = np.array([60.0, 40.0, 25.0, 15.0])
STEP_DROP_OFF = 0.02  # share lost at each extra screen
# Logit of paying rises with satisfaction (relative to a neutral 0.7): well-served
# borrowers keep paying, badly served ones deprioritise the lender.
SATISFACTION_WEIGHT = 2.0
NEUTRAL_SATISFACTION = 0.7
# Without auto-debit borrowers must remember to pay: the logit drops by this much.
MANUAL_PAYMENT_PENALTY = 0.7


def loyalty(population: Population, rows: np.ndarray) -> np.ndarray:
    """(len(rows), n_lenders) factor on choosing each lender again: returning customers
    favour a lender when satisfied and avoid it when not.
    """
    factor = np.exp(4.0 * (population.satisfaction[rows] - 0.6))[:, None]
    return np.where(population.borrowed_at[rows], factor, 1.0)


def service_boost(population: Population, rows: np.ndarray) -> np.ndarray:
    """Logit boost of repayment from satisfaction."""
    return SATISFACTION_WEIGHT * (population.satisfaction[rows] - NEUTRAL_SATISFACTION)


def completion_probability(population: Population, rows: np.ndarray, online: np.ndarray,
                           friction_minutes: np.ndarray, friction_steps: np.ndarray
                           ) -> np.ndarray:
    """Probability that an applicant finishes the application form.

    Falls with the product's minutes and steps, faster for younger cohorts, and online forms
    are harder for consumers with low digital affinity.
    """
    patience = PATIENCE_MINUTES[population.cohort[rows]]
    p = np.exp2(-friction_minutes / patience) * (1.0 - STEP_DROP_OFF) ** friction_steps
    affinity = population.digital_affinity[rows]
    return np.where(online, p * (0.4 + 0.6 * affinity), p)


def take_up_probability(all_in_apr: np.ndarray) -> np.ndarray:
    """Probability that an approved applicant draws the loan: falls as the price rises."""
    return np.clip(0.95 - 0.8 * np.maximum(all_in_apr - 0.15, 0.0), 0.3, 0.95)


def _repayment_logit(population: Population, rows: np.ndarray, due_cents: np.ndarray,
                     day: int) -> np.ndarray:
    w = np.clip(population.willingness[rows].astype(np.float64), 1e-4, 1 - 1e-4)
    capacity = population.disposable_cents(rows, day) / np.maximum(due_cents, 1)
    return 2.5 * np.log(w / (1 - w)) + 1.2 * np.log(np.clip(capacity, 0.05, 50.0)) - 0.5


def pay_probability(population: Population, rows: np.ndarray, due_cents: np.ndarray,
                    day: int, boost: np.ndarray | float = 0.0) -> np.ndarray:
    """Probability of paying an instalment of ``due_cents`` today.

    Follows from the consumer's state: willingness to repay and capacity (disposable income
    over the amount due, lower during an income shock). Fraudsters never pay. ``boost``
    adds to the logit (reminders, good service).
    """
    z = _repayment_logit(population, rows, due_cents, day) + boost
    p = 1.0 / (1.0 + np.exp(-z))
    return np.where(population.is_fraud[rows], 0.0, p)


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
        else:
            object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return (f"Consumer(row={self.row}, age={self.age_years}, income_cents="
                f"{self.base_income_cents}, willingness={self.willingness:.2f})")
