"""Pricing: risk grades from the predicted default probability, an APR per grade, and the
regulator's cap on the all-in APR (interest plus fees).
"""

from __future__ import annotations

import numpy as np

from simfin.lending.batch import ApplicationBatch
from simfin.lending.pipeline import DecisionContext, Stage
from simfin.lending.registry import PRICING, register_pricing

UNGRADED = -1
GRADE_LETTERS = "ABCDEFGHIJ"
CAP_REASON = "APR_CAP"
# Terms up to this many days are priced from a (grade, term) table.
MAX_TABLE_TERM = 4096


def grade_names(n_cutoffs: int) -> list[str]:
    """Grade letters for ``n_cutoffs`` cutoffs (one more grade than cutoffs)."""
    return list(GRADE_LETTERS[: n_cutoffs + 1])


def average_life_years(term_days: np.ndarray) -> np.ndarray:
    """Average life of a unit of principal: half the term when amortising, all of it for a
    bullet loan (short terms are bullets; see :mod:`simfin.lending.loan_book`).
    """
    term = np.maximum(np.asarray(term_days, dtype=np.float64), 30.0) / 365.0
    return np.where(np.asarray(term_days) < 60, term, term / 2.0)


@register_pricing("risk_based")
def risk_based_apr(pd_: np.ndarray, term_days: np.ndarray, *, flat_apr: float,
                   loss_given_bad: float, cost_rate: float) -> np.ndarray:
    """APR = expected loss per year of balance + cost of funds + operating cost + margin.

    The grade's PD (of going 30+ days past due) is a probability over the loan's life;
    times the loss on such a loan and spread over its average life it becomes a yearly
    loss rate. Unscored rows (NaN PD, cold start) get ``flat_apr``.
    """
    loss_rate = pd_ * loss_given_bad / average_life_years(term_days)
    return np.where(np.isnan(pd_), flat_apr, cost_rate + loss_rate)


@register_pricing("flat")
def flat_apr_policy(pd_: np.ndarray, term_days: np.ndarray, *, flat_apr: float,
                    loss_given_bad: float, cost_rate: float) -> np.ndarray:
    """One APR for everyone, whatever the risk."""
    return np.full(len(pd_), flat_apr)


def all_in_apr(apr: np.ndarray, fee_rate: np.ndarray, term_days: np.ndarray) -> np.ndarray:
    """Interest APR plus the upfront fee spread over the loan's average life."""
    return apr + fee_rate / average_life_years(term_days)


class PricingStage(Stage):
    """Pipeline stage: grade, price, and decline what cannot be priced under the cap.

    Args:
        strategy: Registered pricing policy name.
        grade_cutoffs: Upper PD of each grade but the last.
        flat_apr, loss_given_bad: See ``PricingConfig``.
        cost_rate: Cost of funds + operating cost + margin, per year.
        apr_cap: The regulator's cap on the all-in APR, or None.
        cap_reason: Index of ``APR_CAP`` in the lender's reason codes.

    A pricing policy is elementwise (each row's APR depends on its own priced PD and
    term), so the stage evaluates it once per (grade, term) cell and looks rows up.
    """

    row_wise = True

    def __init__(self, strategy: str, grade_cutoffs: list[float], flat_apr: float,
                 loss_given_bad: float, cost_rate: float, apr_cap: float | None,
                 cap_reason: int) -> None:
        self.policy = PRICING.get(strategy)
        # Grade by PD; the grade's APR uses its upper cutoff (the last grade its row's PD).
        self.grade_cutoffs = np.asarray(grade_cutoffs, dtype=np.float32)
        self.flat_apr = flat_apr
        self.loss_given_bad = loss_given_bad
        self.cost_rate = cost_rate
        self.apr_cap = apr_cap
        self.cap_reason = cap_reason
        self._tables: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def run(self, batch: ApplicationBatch, ctx: DecisionContext) -> ApplicationBatch:
        """Add ``grade``, ``apr`` and ``all_in_apr``; decline rows over the cap."""
        pd_, term = batch["pd"], batch["term_days"]
        grade = np.zeros(batch.n, dtype=np.int8)
        for cutoff in self.grade_cutoffs:  # = searchsorted(cutoffs, pd, side="left")
            grade += pd_ > cutoff
        grade -= np.isnan(pd_).view(np.int8)  # unscored rows are UNGRADED (-1)
        top = int(term.max()) + 1 if batch.n else 1
        if batch.n and term.min() >= 0 and top <= MAX_TABLE_TERM:
            apr, life = self._priced(grade, term, top)
            last = np.flatnonzero(grade == len(self.grade_cutoffs))
            if len(last):  # the last grade is priced at the row's own PD
                apr[last] = self._apr(pd_[last].astype(np.float64), term[last])
            total = apr + batch["fee_rate"] / life
        else:
            apr = self._apr(self._priced_pd(grade, pd_), term)
            total = all_in_apr(apr, batch["fee_rate"], term)
        batch["grade"] = grade
        batch["apr"] = apr.astype(np.float32)
        batch["all_in_apr"] = total.astype(np.float32)
        if self.apr_cap is not None:
            batch.decline(total > self.apr_cap + 1e-9, self.cap_reason)
        return batch

    def _apr(self, priced_pd: np.ndarray, term: np.ndarray) -> np.ndarray:
        return self.policy(priced_pd, term, flat_apr=self.flat_apr,
                           loss_given_bad=self.loss_given_bad, cost_rate=self.cost_rate)

    def _priced_pd(self, grade: np.ndarray, pd_: np.ndarray) -> np.ndarray:
        """The PD each row is priced at: its grade's upper cutoff (its own in the last)."""
        upper = np.append(self.grade_cutoffs, np.nan)
        priced_pd = np.where(grade >= 0, upper[np.maximum(grade, 0)], np.nan)
        last = grade == len(self.grade_cutoffs)
        priced_pd[last] = pd_[last]
        return priced_pd

    def _priced(self, grade: np.ndarray, term: np.ndarray, top: int
                ) -> tuple[np.ndarray, np.ndarray]:
        """APR and average life of each row from tables by (grade, term): the policy is
        evaluated once per table cell, not once per row.
        """
        if top not in self._tables:
            grades = np.arange(-1, len(self.grade_cutoffs) + 1, dtype=np.int8)
            cell_grade = np.repeat(grades, top)
            cell_term = np.tile(np.arange(top, dtype=np.int32), len(grades))
            apr = self._apr(self._priced_pd(cell_grade, np.full(len(cell_grade), np.nan)),
                            cell_term)
            self._tables[top] = (apr, average_life_years(np.arange(top)))
        apr, life = self._tables[top]
        cell = (grade.astype(np.int32) + 1) * top + term
        return apr.take(cell), life.take(term)
