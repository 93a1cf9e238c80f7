"""How borrowers answer their instalments: each day's pay and cure probabilities.

The servicer (:class:`simfin.lending.repayments.Servicer`) knows the loans and the ledger;
it asks the borrowers, through the three functions of :meth:`RepaymentBehaviour.for_day`,
how likely each loan due today is paid, how likely each delinquent loan is cured, and at
what daily rate the lender's collections cure them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simfin.agents.consumer import cure_probability, pay_probability, service_boost
from simfin.agents.population import Population
from simfin.config import MarketConfig
from simfin.lending.loan_book import LoanBook

RowProbability = Callable[[np.ndarray], np.ndarray]


class RepaymentBehaviour:
    """The borrowers' side of servicing, per loan row.

    Args:
        config: The market config (``behaviour.repayment``).
        book: The loan book.
        population: The consumers (their budgets, willingness, satisfaction, the economy).
        manual_penalty: Per lender, what paying by hand (no auto-debit) takes from the
            probability of paying.
        cure_multiplier: Per lender, how its collections multiply the daily cure rate.
    """

    def __init__(self, config: MarketConfig, book: LoanBook, population: Population,
                 manual_penalty: np.ndarray, cure_multiplier: np.ndarray) -> None:
        self.repayment = config.behaviour.repayment
        self.book = book
        self.population = population
        self.manual_penalty = manual_penalty
        self.cure_multiplier = cure_multiplier

    def for_day(self, day: int) -> tuple[RowProbability, RowProbability, RowProbability]:
        """``(pays, cures, cure_rate)`` of the loan rows given, on ``day``."""
        book, pop, repayment = self.book, self.population, self.repayment
        consumers, lenders = book.column("consumer"), book.column("lender")
        due = book.column("instalment_cents")
        overdue_since = book.column("overdue_since_day")

        def borrowers(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            # Each loan's borrower gathered once (as intp: no index conversion in the many
            # population lookups that follow), and the service boost.
            who, by = consumers.take(rows).astype(np.intp), lenders.take(rows)
            return who, service_boost(pop, who) - self.manual_penalty[by]

        def pays(rows: np.ndarray) -> np.ndarray:
            who, boost = borrowers(rows)
            return pay_probability(pop, who, due.take(rows), day, boost)

        def cure_rate(rows: np.ndarray) -> np.ndarray:
            # The daily cure rate with the lender's collections, halving every
            # cure_half_life_days past due: a cure probability is this rate times a
            # probability of paying, so it is also the ceiling.
            days_past_due = day - overdue_since.take(rows)
            rate = (repayment.base_cure_rate * self.cure_multiplier[lenders.take(rows)]
                    * np.exp2(days_past_due / -repayment.cure_half_life_days))
            if pop.macro.collections != 1.0:  # collections disrupted (or helped) by the economy
                rate *= pop.macro.collections
            return rate

        def cures(rows: np.ndarray) -> np.ndarray:
            owed = due.take(rows) * book.column("missed_instalments").take(rows)
            who, boost = borrowers(rows)
            return cure_probability(pop, who, owed, day, cure_rate(rows), boost)

        return pays, cures, cure_rate
