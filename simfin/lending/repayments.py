"""Servicing the book each day: instalments come due and are paid or missed, delinquent
loans cure or roll on to default and write-off. Every cent moved is posted to the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simfin.lending.co_lending import CoLending
from simfin.lending.ledger import Ledger
from simfin.lending.loan_book import ACTIVE, CLOSED, WRITTEN_OFF, LoanBook
from simfin.lending.product import per_product

# loan rows -> probability that each borrower pays what is due today
PayProbability = Callable[[np.ndarray], np.ndarray]
# loan rows -> an upper bound of each row's cure probability, known without looking up the
# borrower (e.g. the lender's daily cure rate)
CureCeiling = Callable[[np.ndarray], np.ndarray]


@dataclass
class ServicingDay:
    """What happened to the book today, for recording and for the consumers' state."""

    due: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    missed: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    cured: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    entered_30dpd: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    new_defaults: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    closed: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    written_off: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    retried: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    failed_debits: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # The loans on book that are delinquent when servicing ends, in row order: the rows of
    # ``active_rows()`` with ``overdue_since_day >= 0``, known here without a pass over the
    # book (the delinquent loans that stay so, and today's new misses).
    delinquent: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


class Servicer:
    """Runs one day of the loan book's life.

    Args:
        book: The market's loan book.
        ledger: The ledger every movement is posted to.
        late_fee_cents: Late fee per missed instalment, indexed by [lender, product].
        default_dpd: Days past due at which a loan defaults.
        writeoff_dpd: Days past due at which its principal is written off.
        recovery_rate: Share of written-off principal recovered.
        debit_failure_rate: Per lender: failure rate of its repayment rail.
        debit_fee_cents: Per lender: fee per collection attempt on its repayment rail.
        retry_days: Per lender: days a failed debit is retried before the instalment is
            missed.
    """

    def __init__(self, book: LoanBook, ledger: Ledger, late_fee_cents: np.ndarray,
                 default_dpd: int, writeoff_dpd: int, recovery_rate: float,
                 debit_failure_rate: np.ndarray, debit_fee_cents: np.ndarray,
                 retry_days: np.ndarray) -> None:
        self.book = book
        self.ledger = ledger
        self.late_fee_cents = late_fee_cents
        self.default_dpd = default_dpd
        self.writeoff_dpd = writeoff_dpd
        self.recovery_rate = recovery_rate
        self.debit_failure_rate = np.asarray(debit_failure_rate, dtype=np.float64)
        self.debit_fee_cents = np.asarray(debit_fee_cents, dtype=np.int64)
        self.retry_days = np.asarray(retry_days, dtype=np.int16)
        self._delinquent: np.ndarray | None = None  # as the last run left them
        # Funding partners' parts of each movement (a market with partners), else None.
        self.co_lending: CoLending | None = None

    @classmethod
    def for_market(cls, config: Any, book: LoanBook, ledger: Ledger) -> Servicer:
        """The servicer of a market config (read by attribute): each lender's late fees by
        product, its repayment rail's failure rate and fee, and its debit retries.
        """
        rails = [getattr(config.payments, lc.payment.repayment_rail) for lc in config.lenders]
        return cls(book, ledger, per_product(config.lenders, "late_fee_cents"),
                   config.run.default_dpd, config.run.writeoff_dpd, config.run.recovery_rate,
                   debit_failure_rate=[r.failure_rate for r in rails],
                   debit_fee_cents=[r.fee_cents for r in rails],
                   retry_days=[lc.payment.retry_days for lc in config.lenders])

    def delinquent_loans(self) -> np.ndarray:
        """The loans on book that are delinquent (``overdue_since_day >= 0``), in row
        order: those the last run left delinquent that are still on book (only servicing
        makes a loan delinquent or current; loans booked since are current), or, before
        the first run, found by a pass over the book. A ``overdue_since_day`` written by
        hand after a run is seen from the next run on (each run starts from the column).
        """
        if self._delinquent is None:
            return self.book.delinquent_rows()
        rows = self._delinquent
        return rows[self.book.column("status").take(rows) == ACTIVE]

    def run(self, day: int, rng: np.random.Generator, pay_probability: PayProbability,
            cure_probability: PayProbability, cure_ceiling: CureCeiling | None = None
            ) -> ServicingDay:
        """Collect today's instalments, cure or age delinquent loans, default, write off.

        The day, in order (each step a method below, the random draws in this order):

        1. find the loans falling due today and the delinquent ones (:meth:`_books_today`);
        2. a delinquent loan falling due misses one more instalment (:meth:`_roll_on`);
        3. a current loan falling due is debited: the borrower pays or not, the rail
           delivers or fails (:meth:`_attempt_debits`); the outcome is paid, retried
           tomorrow or missed (:meth:`_settle_debits`);
        4. loans delinquent before today may cure, paying everything overdue
           (:meth:`_cures`); the rest age a day, pass 30 days past due, default and are
           written off (:meth:`_age`);
        5. loans paid off close, and the loans left delinquent are kept for tomorrow
           (:meth:`_delinquent_tonight`).

        ``cure_ceiling``, when given, bounds ``cure_probability`` from above row by row:
        a delinquent loan whose uniform draw is at or above its ceiling cannot cure today,
        so its borrower's state is not looked up. The draws and the outcomes are the same
        as without it (most delinquent loans are decided by the ceiling alone: the daily
        cure rate is at most ``base_cure_rate`` and halves with every half-life past due).
        """
        out = ServicingDay()
        kept = self.book.rows_kept()  # the active loans and some that ended
        self._delinquent = out.delinquent
        if len(kept) == 0:
            return out
        falling_due, delinquent = self._books_today(kept, day)
        current = self.book.column("overdue_since_day").take(falling_due) < 0
        self._roll_on(falling_due[~current])
        out.due = falling_due[current]
        if len(out.due):
            willing, delivered = self._attempt_debits(out.due, rng, pay_probability)
            self._settle_debits(out.due, willing, delivered, day, out)
        still_delinquent = delinquent[:0]
        if len(delinquent):
            still = self._cures(delinquent, day, rng, cure_probability, cure_ceiling, out)
            still_delinquent = self._age(still, day, out)
        out.closed = self._close_paid(np.concatenate([out.due, out.cured]), day)
        out.delinquent = self._delinquent_tonight(still_delinquent, out.missed)
        self._delinquent = out.delinquent
        return out

    # -- the steps of a day, in order ------------------------------------------------------

    def _books_today(self, kept: np.ndarray, day: int) -> tuple[np.ndarray, np.ndarray]:
        """The loans falling due today (a few in a hundred) and the delinquent ones, in row
        order, each found by one pass over the kept loans and kept if still on book: the
        same rows as from ``active_rows()``, without building it.
        """
        status = self.book.column("status")
        next_due = self.book.column("next_due_day")
        falling_due = kept.take(np.flatnonzero(next_due.take(kept) == day))
        falling_due = falling_due[status.take(falling_due) == ACTIVE]
        delinquent = kept[self.book.column("overdue_since_day").take(kept) >= 0]
        delinquent = delinquent[status.take(delinquent) == ACTIVE]
        return falling_due, delinquent

    def _roll_on(self, rows: np.ndarray) -> None:
        """Delinquent loans whose next instalment falls due miss one more: nothing is
        debited (a delinquent borrower pays only by curing everything overdue), and the
        schedule moves on a period, so what a cure owes grows with each missed period.
        """
        b = self.book
        b.column("missed_instalments")[rows] += 1
        b.column("next_due_day")[rows] += b.column("period_days")[rows]

    def _attempt_debits(self, due: np.ndarray, rng: np.random.Generator,
                        pay_probability: PayProbability) -> tuple[np.ndarray, np.ndarray]:
        """Current loans with an instalment due (or a failed debit to retry) today: each
        borrower pays or not (one draw per loan), and the rail delivers or fails each
        willing borrower's debit (one draw per debit, which costs the rail's fee either
        way). Returns whether each borrower was willing, and whether each willing one's
        debit was delivered (aligned with the willing ones).
        """
        willing = rng.random(len(due)) < pay_probability(due)
        return willing, self._debit(due[willing], rng)

    def _settle_debits(self, due: np.ndarray, willing: np.ndarray, delivered: np.ndarray,
                       day: int, out: ServicingDay) -> None:
        """The outcome of each debit: delivered is paid; failed with retries left is tried
        again tomorrow (the rail failed, not the borrower); unwilling, or failed with no
        retry left, is missed and the loan turns delinquent from its original due day.
        """
        ok = np.zeros(len(due), dtype=bool)
        ok[np.flatnonzero(willing)[delivered]] = True
        retries = self.book.column("retries")
        lenders = self.book.column("lender")[due]
        retry = willing & ~ok & (retries[due] < self.retry_days[lenders])
        done = ~retry
        paid = due[ok]
        out.missed = due[done & ~ok]
        out.retried = due[retry]
        out.failed_debits = due[willing & ~ok]
        self._pay(paid, np.ones(len(paid), dtype=np.int16), late=False)
        self._keep_schedule(due[done], ok[done], out.missed, day)
        self._retry_tomorrow(out.retried, day)

    def _keep_schedule(self, settled: np.ndarray, paid: np.ndarray, missed: np.ndarray,
                       day: int) -> None:
        """Instalments settled today (``paid`` or not, aligned with ``settled``) keep the
        schedule's dates: a debit retried for a few days does not move the next due day,
        and a miss is overdue from the day the instalment was due, not from the last retry.
        """
        b = self.book
        retries = b.column("retries")
        original_due = day - retries[settled].astype(np.int32)
        b.column("overdue_since_day")[missed] = original_due[~paid]
        b.column("missed_instalments")[missed] = 1
        b.column("next_due_day")[settled] = original_due + b.column("period_days")[settled]
        retries[settled] = 0

    def _retry_tomorrow(self, rows: np.ndarray, day: int) -> None:
        """A failed debit with retries left is due again tomorrow, one retry more."""
        self.book.column("next_due_day")[rows] = day + 1
        self.book.column("retries")[rows] += 1

    def _cures(self, delinquent: np.ndarray, day: int, rng: np.random.Generator,
               cure_probability: PayProbability, cure_ceiling: CureCeiling | None,
               out: ServicingDay) -> np.ndarray:
        """Loans delinquent before today may cure: the borrower gets round to paying every
        missed instalment plus the late fees (one draw per loan, the ceiling deciding most
        without a look at the borrower), if the rail delivers (one draw per debit).
        Records the cured in ``out`` and returns those that stay delinquent.
        """
        u = rng.random(len(delinquent))
        if cure_ceiling is None:
            willing = np.flatnonzero(u < cure_probability(delinquent))
        else:
            maybe = np.flatnonzero(u < cure_ceiling(delinquent))
            willing = maybe[u.take(maybe) < cure_probability(delinquent.take(maybe))]
        cures = np.zeros(len(delinquent), dtype=bool)
        cures[willing[self._debit(delinquent[willing], rng)]] = True
        out.cured = delinquent[cures]
        self._cure(out.cured, day)
        return delinquent[~cures]

    def _age(self, still: np.ndarray, day: int, out: ServicingDay) -> np.ndarray:
        """Loans that stay delinquent age a day: past 30 days past due they count for the
        30+ indicators, at ``default_dpd`` they default (once), at ``writeoff_dpd`` their
        principal is written off. Returns those still delinquent on book.
        """
        b = self.book
        dpd = day - b.column("overdue_since_day")[still]
        b.column("ever_30dpd")[still[dpd >= 30]] = True
        # A delinquency reaches 30 days past due once (a loan is visited every day while it
        # is delinquent): the count behind the 30-day collection rate.
        out.entered_30dpd = still[dpd == 30]
        defaulted = b.column("defaulted")
        out.new_defaults = still[(dpd >= self.default_dpd) & ~defaulted[still]]
        defaulted[out.new_defaults] = True
        b.column("default_day")[out.new_defaults] = day
        out.written_off = still[dpd >= self.writeoff_dpd]
        self._write_off(out.written_off, day)
        return still[dpd < self.writeoff_dpd]

    def _delinquent_tonight(self, still_delinquent: np.ndarray, missed: np.ndarray
                            ) -> np.ndarray:
        """The loans delinquent when servicing ends, in row order, for tomorrow's run and
        the recorder: those that stay delinquent, and today's misses still on book (one
        whose balance was already nil has closed); the two are disjoint.
        """
        missed = missed[self.book.column("status").take(missed) == ACTIVE]
        return np.insert(still_delinquent, np.searchsorted(still_delinquent, missed), missed)

    # -- money movements -------------------------------------------------------------------

    def _debit(self, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Attempt a collection on each row's repayment rail: pay the fee, return success."""
        lenders = self.book.column("lender")[rows]
        self.ledger.post_by_lender("payment_fees", lenders, self.debit_fee_cents[lenders])
        return rng.random(len(rows)) >= self.debit_failure_rate[lenders]

    def _cure(self, rows: np.ndarray, day: int) -> None:
        b = self.book
        missed = b.column("missed_instalments")
        if len(rows):
            self._pay(rows, missed.take(rows), late=True)
        missed[rows] = 0
        b.column("overdue_since_day")[rows] = -1
        b.column("cured")[rows] += 1

    def _pay(self, rows: np.ndarray, instalments: np.ndarray, late: bool) -> None:
        """Pay ``instalments`` instalments on each row, one round at a time: interest first
        on what is still outstanding, the rest to principal, the last instalment clears the
        loan; a late fee for each instalment paid late. Works on the rows' own copies of
        the columns (a round costs a few operations on the rows still paying), and the
        ledger gets one posting per lender and kind.
        """
        b = self.book
        outstanding = b.column("outstanding_cents").take(rows)
        before = outstanding.copy() if self.co_lending is not None else None
        paid = b.column("paid_instalments").take(rows)
        n_instalments = b.column("n_instalments").take(rows)
        rate = b.column("rate_per_period").take(rows)
        instalment = b.column("instalment_cents").take(rows)
        lenders = b.column("lender").take(rows)
        paying: list[np.ndarray] = []
        principals: list[np.ndarray] = []
        interests: list[np.ndarray] = []
        for k in range(int(instalments.max()) if len(rows) else 0):
            now = np.flatnonzero((instalments > k) & (paid < n_instalments))
            owed = outstanding.take(now)
            interest = np.round(owed * rate.take(now)).astype(np.int64)
            last = paid.take(now) + 1 >= n_instalments.take(now)
            principal = np.where(last, owed, np.clip(instalment.take(now) - interest, 0, owed))
            outstanding[now] = owed - principal
            paid[now] += 1
            paying.append(now)
            principals.append(principal)
            interests.append(interest)
        b.column("outstanding_cents")[rows] = outstanding
        b.column("paid_instalments")[rows] = paid
        if paying and self.co_lending is not None:
            self._pay_parts(rows, before, outstanding, np.concatenate(paying),
                            np.concatenate(interests), late)
        elif paying:
            now = np.concatenate(paying)
            by = lenders.take(now)
            self.ledger.post_by_lender("principal_repaid", by, np.concatenate(principals))
            self.ledger.post_by_lender("interest_paid", by, np.concatenate(interests))
            if late:
                fees = self.late_fee_cents[by, b.column("product").take(rows.take(now))]
                self.ledger.post_by_lender("fees_paid", by, fees)

    def _pay_parts(self, rows: np.ndarray, before: np.ndarray, after: np.ndarray,
                   now: np.ndarray, interests: np.ndarray, late: bool) -> None:
        """:meth:`_pay`'s postings in a market with funding partners: per row, the
        principal, interest and late fees of its rounds (``now``: row positions), each
        party its part (:meth:`CoLending.repay`).
        """
        interest = np.bincount(now, weights=interests, minlength=len(rows))
        fees = np.zeros(len(rows), dtype=np.int64)
        if late:
            b = self.book
            lenders = b.column("lender").take(rows)
            per_round = self.late_fee_cents[lenders, b.column("product").take(rows)]
            fees = per_round * np.bincount(now, minlength=len(rows))
        self.co_lending.repay(rows, before, after, interest.round().astype(np.int64), fees)

    def _write_off(self, rows: np.ndarray, day: int) -> None:
        if len(rows) == 0:
            return
        b = self.book
        lenders = b.column("lender")[rows]
        principal = b.column("outstanding_cents")[rows].copy()
        recovered = np.round(principal * self.recovery_rate).astype(np.int64)
        if self.co_lending is not None:  # each party its part, or the bearer the whole
            self.co_lending.write_off(rows, principal, recovered)
        else:
            self.ledger.write_off_by_lender(lenders, principal, recovered)  # the allowance
        b.column("outstanding_cents")[rows] = 0
        b.set_status(rows, WRITTEN_OFF)
        b.column("closed_day")[rows] = day

    def _close_paid(self, rows: np.ndarray, day: int) -> np.ndarray:
        b = self.book
        done = rows[(b.column("outstanding_cents")[rows] == 0)
                    & (b.column("status")[rows] == ACTIVE)]
        b.set_status(done, CLOSED)
        b.column("closed_day")[done] = day
        return done
