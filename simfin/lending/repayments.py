"""Servicing the book each day: instalments come due and are paid or missed, delinquent
loans cure or roll on to default and write-off. Every cent moved is posted to the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from simfin.lending.ledger import Ledger
from simfin.lending.loan_book import ACTIVE, CLOSED, WRITTEN_OFF, LoanBook

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

        ``cure_ceiling``, when given, bounds ``cure_probability`` from above row by row:
        a delinquent loan whose uniform draw is at or above its ceiling cannot cure today,
        so its borrower's state is not looked up. The draws and the outcomes are the same
        as without it (most delinquent loans are decided by the ceiling alone: the daily
        cure rate is at most ``base_cure_rate`` and halves with every half-life past due).
        """
        b = self.book
        out = ServicingDay()
        kept = b.rows_kept()  # the active loans and some that ended
        self._delinquent = out.delinquent
        if len(kept) == 0:
            return out
        overdue_since = b.column("overdue_since_day")
        next_due = b.column("next_due_day")
        status = b.column("status")
        # The loans due today (a few in a hundred) and the delinquent ones, each found by
        # one pass over the kept loans and kept if still on book; the due split into
        # current and delinquent. (The same rows, in the same order, as from active_rows.)
        falling_due = kept.take(np.flatnonzero(next_due.take(kept) == day))
        falling_due = falling_due[status.take(falling_due) == ACTIVE]
        delinquent = kept[overdue_since.take(kept) >= 0]
        delinquent = delinquent[status.take(delinquent) == ACTIVE]
        current = overdue_since.take(falling_due) < 0

        # 1. Delinquent loans whose next instalment falls due now add one more missed one.
        rolling = falling_due[~current]
        b.column("missed_instalments")[rolling] += 1
        next_due[rolling] += b.column("period_days")[rolling]

        # 2. Current loans with an instalment due (or a debit to retry) today: the borrower
        #    pays or not, and the rail delivers or fails (then it is retried tomorrow).
        due = falling_due[current]
        out.due = due
        if len(due):
            lenders = b.column("lender")[due]
            retries = b.column("retries")
            willing = rng.random(len(due)) < pay_probability(due)
            delivered = self._debit(due[willing], rng)
            ok = np.zeros(len(due), dtype=bool)
            ok[np.flatnonzero(willing)[delivered]] = True
            can_retry = retries[due] < self.retry_days[lenders]
            retry = willing & ~ok & can_retry
            done = ~retry
            paid, missed = due[ok], due[done & ~ok]
            out.retried = due[retry]
            out.failed_debits = due[willing & ~ok]
            self._pay(paid, np.ones(len(paid), dtype=np.int16), late=False)
            # The schedule keeps its dates: a retried debit does not move the next due day.
            settled = due[done]
            original_due = day - retries[settled].astype(np.int32)
            overdue_since[missed] = original_due[~ok[done]]
            b.column("missed_instalments")[missed] = 1
            next_due[settled] = original_due + b.column("period_days")[settled]
            retries[settled] = 0
            next_due[out.retried] = day + 1
            retries[out.retried] += 1
            out.missed = missed

        # 3. Delinquent loans (before today) may cure: pay every missed instalment plus fees.
        still_delinquent = delinquent[:0]
        if len(delinquent):
            u = rng.random(len(delinquent))
            if cure_ceiling is None:
                willing = np.flatnonzero(u < cure_probability(delinquent))
            else:
                maybe = np.flatnonzero(u < cure_ceiling(delinquent))
                willing = maybe[u.take(maybe) < cure_probability(delinquent.take(maybe))]
            cures = np.zeros(len(delinquent), dtype=bool)
            cures[willing[self._debit(delinquent[willing], rng)]] = True
            cured = delinquent[cures]
            out.cured = cured
            self._cure(cured, day)
            still = delinquent[~cures]
            dpd = day - overdue_since[still]
            b.column("ever_30dpd")[still[dpd >= 30]] = True
            # A delinquency reaches 30 days past due once (a loan is visited every day
            # while it is delinquent): the count behind the 30-day collection rate.
            out.entered_30dpd = still[dpd == 30]
            defaulted = b.column("defaulted")
            new_default = still[(dpd >= self.default_dpd) & ~defaulted[still]]
            defaulted[new_default] = True
            b.column("default_day")[new_default] = day
            out.new_defaults = new_default
            out.written_off = still[dpd >= self.writeoff_dpd]
            self._write_off(out.written_off, day)
            still_delinquent = still[dpd < self.writeoff_dpd]

        out.closed = self._close_paid(np.concatenate([due, out.cured]), day)
        # Today's misses still on book (one whose balance was already nil closes) join the
        # loans that stay delinquent; both are in row order and disjoint.
        missed = out.missed[b.column("status").take(out.missed) == ACTIVE]
        out.delinquent = np.insert(still_delinquent,
                                   np.searchsorted(still_delinquent, missed), missed)
        self._delinquent = out.delinquent
        return out

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
        if paying:
            now = np.concatenate(paying)
            by = lenders.take(now)
            self.ledger.post_by_lender("principal_repaid", by, np.concatenate(principals))
            self.ledger.post_by_lender("interest_paid", by, np.concatenate(interests))
            if late:
                fees = self.late_fee_cents[by, b.column("product").take(rows.take(now))]
                self.ledger.post_by_lender("fees_paid", by, fees)

    def _write_off(self, rows: np.ndarray, day: int) -> None:
        if len(rows) == 0:
            return
        b = self.book
        lenders = b.column("lender")[rows]
        principal = b.column("outstanding_cents")[rows].copy()
        self.ledger.post_by_lender("written_off", lenders, principal)
        recovered = np.round(principal * self.recovery_rate).astype(np.int64)
        self.ledger.post_by_lender("recoveries", lenders, recovered)
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
