"""The 12-month expected loss of a current loan from its own schedule (IFRS 9 stage 1).

A current instalment loan has one instalment due in each coming month until it matures. In
month j (1, 2, ...) it may become delinquent, with a monthly probability h that depends on
its months on book (the lender's roll rate of current loans by months on book: young loans
miss more often, first payments most); a delinquency reaches default (90+ days past due)
within the m months left in the horizon with probability D(m), from the lender's roll-rate
chain over the delinquent buckets (cures and closure end the path); a delinquency that
cures returns the loan to current. So the probability that a loan of age a defaults from a
delinquency that begins in month j is

    S(j-1) x h(a + j - 1) x D(12 - j),    S(j) = S(j-1) x (1 - h(a + j - 1) x D(inf)),

for j up to the 12 months of a stage 1 ECL and up to its maturity: a loan with k
instalments left cannot miss a (k+1)-th. A loan that defaults owes what it owed when it
missed (a delinquent loan pays nothing until it cures), so the exposure of month j is the
scheduled balance after j - 1 more instalments: for an annuity at rate r per period with k
instalments left, e(j) = ((1 + r)^k - (1 + r)^(j-1)) / ((1 + r)^k - 1) of today's balance
(one bullet payment: e(1) = 1). A loan's ECL is then LGD x balance x F(a, k), with

    F(a, k) = sum over j <= min(k, 12) of S(j-1) x h(a + j - 1) x D(12 - j) x e(j).

The factors are tabulated per lender, months on book and instalments left (the lender's
balance-weighted mean rate per period stands for each loan's own: the exposure profile
moves little between 10 % and 36 % a year), so a day's allowance on the current loans is
one look-up per loan.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simfin.lending.growable_column import GrowableColumn
from simfin.lending.loan_book import ACTIVE, LoanBook

HORIZON_MONTHS = 12
"""The months of a stage 1 (12-month) ECL: default events possible within them."""
STEP_DAYS = 30  # a month on book
Bearers = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]
"""rows, cents -> (index into rows, bearing party, cents) of each part of each row."""


def delinquency_default(chain: np.ndarray, months: int, default: int) -> np.ndarray:
    """Per lender, the probability that a loan in the 1-29 DPD bucket reaches default
    within m monthly steps, m = 0 .. ``months``; a cure to current or a closure ends the
    path without default.

    Args:
        chain: The monthly chain, (lenders, 4 buckets, states); column ``default`` is the
            default state, columns 1-3 the delinquent buckets.
        months: The longest horizon.
        default: The index of the default state.

    Returns:
        (lenders, months + 1) array; column 0 is 0.
    """
    within = chain[:, 1:4, 1:4]  # delinquent bucket -> delinquent bucket
    to_default = chain[:, 1:4, default]
    out = np.zeros((len(chain), months + 1))
    reach = np.zeros((len(chain), 3))
    for m in range(1, months + 1):
        reach = to_default + np.einsum("lij,lj->li", within, reach)
        out[:, m] = reach[:, 0]
    return out


def current_loss_factors(hazard: np.ndarray, default_within: np.ndarray, rate: np.ndarray,
                         max_instalments: int) -> tuple[np.ndarray, np.ndarray]:
    """The table F(a, k) of each lender (the module's formula) and the 12-month PD of a
    new loan of 12 or more instalments (age 0, full exposure).

    Args:
        hazard: (lenders, ages) monthly probability that a current loan of that many
            months on book becomes delinquent; the last age stands for every older loan.
        default_within: (lenders, >= 13) :func:`delinquency_default`; its last column is
            taken as D(inf) for the survival of cured loans.
        rate: (lenders,) interest rate per 30-day period of the exposure profile.
        max_instalments: The most instalments a loan on book has left (k = 1 .. this).

    Returns:
        ``(factors, pd_new)``: (lenders, ages, max_instalments) and (lenders,).
    """
    n, ages = hazard.shape
    k = np.arange(1, max_instalments + 1, dtype=np.float64)
    growth = (1.0 + rate)[:, None] ** k  # (1 + r)^k
    factors = np.zeros((n, ages, max_instalments))
    survival = np.ones((n, ages))
    pd_new = np.zeros(n)
    eventual = default_within[:, -1:]
    ramp = np.arange(ages)
    with np.errstate(divide="ignore", invalid="ignore"):  # no rate: straight-line below
        for j in range(1, HORIZON_MONTHS + 1):
            h = hazard[:, np.minimum(ramp + j - 1, ages - 1)]
            defaults = survival * h * default_within[:, HORIZON_MONTHS - j, None]
            annuity = (growth - (1.0 + rate)[:, None] ** (j - 1)) / (growth - 1.0)
            exposure = np.where(rate[:, None] > 0, annuity, (k - j + 1) / k)
            exposure = np.where(k >= j, exposure, 0.0)  # no (k+1)-th instalment to miss
            factors += defaults[:, :, None] * exposure[:, None, :]
            pd_new += defaults[:, 0]
            survival = survival * (1.0 - h * eventual)
    return factors, pd_new


class CurrentBalances:
    """Each lender's current loans' balances (cents) by origination day and instalments
    left, and the balance and balance x rate per period of its current instalment loans,
    kept from day to day: a day recounts only the loans booked since the last count and the
    rows it is told may have changed (servicing's loans falling due and cured ones), so
    the current loans' ECL costs a table, not a pass over the book.

    A loan counts while it is on book, current (not past due) and owes something; each
    loan's counted instalments left and balance are remembered, so a recount takes its old
    part out exactly (integer cents) before putting its present one in.

    Args:
        n_lenders: The lenders.
    """

    def __init__(self, n_lenders: int) -> None:
        self.n = n_lenders
        self.cells = np.zeros((n_lenders, 1, 1), dtype=np.int64)  # lender, origination, k-1
        self.spread = np.zeros(n_lenders, dtype=np.int64)
        self.spread_rate = np.zeros(n_lenders)
        self._left = GrowableColumn(np.int16)  # per loan: instalments left counted (0: none)
        self._balance = GrowableColumn(np.int64)  # per loan: the balance counted
        self._seen = 0

    def recount(self, book: LoanBook, changed: np.ndarray | None,
                bearers: Bearers | None = None) -> None:
        """Recount ``changed`` rows (distinct) and the loans booked since the last recount;
        None recounts every loan on book or counted (a pass over the book). ``bearers``
        splits each loan's balance among the parties that bear its loss (funding
        partners: ``CoLending.bearers``); None: all its lender's.
        """
        self._left.reserve(len(book))
        self._balance.reserve(len(book))
        if changed is None:
            rows = np.union1d(book.active_rows(), np.flatnonzero(self._left.array[:self._seen]))
        else:
            rows = np.asarray(changed)
        rows = np.concatenate([rows[rows < self._seen], np.arange(self._seen, len(book))])
        self._seen = len(book)
        self._count(book, rows, -1, self._left.array.take(rows),
                    self._balance.array.take(rows), bearers)
        current = ((book.column("status").take(rows) == ACTIVE)
                   & (book.column("overdue_since_day").take(rows) < 0))
        balance = np.where(current, book.column("outstanding_cents").take(rows), 0)
        left = np.where(balance > 0, np.maximum(book.column("n_instalments").take(rows)
                                                - book.column("paid_instalments").take(rows),
                                                1), 0).astype(np.int16)
        self._count(book, rows, 1, left, balance, bearers)
        self._left.array[rows] = left
        self._balance.array[rows] = balance

    def _count(self, book: LoanBook, rows: np.ndarray, sign: int, left: np.ndarray,
               balance: np.ndarray, bearers: Bearers | None) -> None:
        counted = np.flatnonzero(left > 0)
        rows, left, balance = rows.take(counted), left.take(counted), balance.take(counted)
        if not len(rows):
            return
        if bearers is None:
            lender = book.column("lender").take(rows).astype(np.intp)
        else:  # each part under the party that bears it (the same split in as out)
            at, lender, balance = bearers(rows, balance)
            rows, left, lender = rows.take(at), left.take(at), lender.astype(np.intp)
        origin = book.column("origination_day").take(rows).astype(np.intp)
        days, most = int(origin.max()) + 1, int(left.max())
        if days > self.cells.shape[1] or most > self.cells.shape[2]:
            grown = np.zeros((self.n, max(days, 2 * self.cells.shape[1]),
                              max(most, self.cells.shape[2])), dtype=np.int64)
            grown[:, :self.cells.shape[1], :self.cells.shape[2]] = self.cells
            self.cells = grown
        np.add.at(self.cells, (lender, origin, left.astype(np.intp) - 1), sign * balance)
        spread = np.where(book.column("n_instalments").take(rows) > 1, balance, 0)
        self.spread += sign * np.bincount(lender, weights=spread, minlength=self.n).astype(
            np.int64)
        self.spread_rate += sign * np.bincount(
            lender, weights=spread * book.column("rate_per_period").take(rows), minlength=self.n)

    def rate(self) -> np.ndarray:
        """Per lender, the balance-weighted rate per period of its current instalment
        loans (0 with none).
        """
        return np.maximum(self.spread_rate, 0.0) / np.maximum(self.spread, 1)

    def loss(self, factors: np.ndarray, day: int, seasoning: int) -> np.ndarray:
        """Per lender, the sum of balance x ``factors`` (lenders, ages, instalments left)
        over its current loans at the end of ``day``.
        """
        days, most = self.cells.shape[1], self.cells.shape[2]
        age = np.minimum(np.maximum(day - np.arange(days), 0) // STEP_DAYS, seasoning - 1)
        table = factors[:, age, :most]
        return np.einsum("lok,lok->l", self.cells, table)
