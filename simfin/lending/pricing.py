"""Pricing: risk grades from the predicted default probability, an APR per grade, and the
regulator's cap on the all-in APR (interest plus fees).
"""

from __future__ import annotations

import numpy as np

from simfin.lending.batch import ApplicationBatch
from simfin.lending.registry import PRICING, register_pricing

UNGRADED = -1
GRADE_LETTERS = "ABCDEFGHIJ"
CAP_REASON = "APR_CAP"


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


class PricingStage:
    """Pipeline stage: grade, price, and decline what cannot be priced under the cap.

    Args:
        strategy: Registered pricing policy name.
        grade_cutoffs: Upper PD of each grade but the last.
        flat_apr, loss_given_bad: See ``PricingConfig``.
        cost_rate: Cost of funds + operating cost + margin, per year.
        apr_cap: The regulator's cap on the all-in APR, or None.
        cap_reason: Index of ``APR_CAP`` in the lender's reason codes.
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

    def run(self, batch: ApplicationBatch, ctx: object = None) -> ApplicationBatch:
        """Add ``grade``, ``apr`` and ``all_in_apr``; decline rows over the cap."""
        pd_ = batch["pd"]
        grade = np.searchsorted(self.grade_cutoffs, pd_, side="left").astype(np.int8)
        grade[np.isnan(pd_)] = UNGRADED
        # Price at the grade's upper cutoff: everyone in a grade pays the same APR.
        upper = np.append(self.grade_cutoffs, np.nan)
        priced_pd = np.where(grade >= 0, upper[np.maximum(grade, 0)], np.nan)
        last = grade == len(self.grade_cutoffs)
        priced_pd[last] = pd_[last]
        apr = self.policy(priced_pd, batch["term_days"], flat_apr=self.flat_apr,
                          loss_given_bad=self.loss_given_bad, cost_rate=self.cost_rate)
        total = all_in_apr(apr, batch["fee_rate"], batch["term_days"])
        batch["grade"] = grade
        batch["apr"] = apr.astype(np.float32)
        batch["all_in_apr"] = total.astype(np.float32)
        if self.apr_cap is not None:
            batch.decline(total > self.apr_cap + 1e-9, self.cap_reason)
        return batch
