"""IFRS 9 (China's CAS 22) expected credit losses per lender, once a day from aggregates.

**Stages.** At the end of a day a loan on book is in stage 3 (credit-impaired) when it is
90+ days past due, or has defaulted (``run.default_dpd``) and is still past due; in stage 2
(a significant increase in credit risk) when it is ``provisions.stage2_dpd``+ days past due
(30 by default: IFRS 9's rebuttable backstop); otherwise in stage 1. The trigger is days
past due only: a lender does not re-score a loan after booking, so it has no loan-level PD
to set against the PD at origination. A loan that cures is back in stage 1 (no probation).
Days past due count as in ``steps.parquet``'s DPD balances (1 on the day of the miss).

**PD.** Each lender estimates a monthly chain over the buckets current, 1-29, 30-59 and
60-89 days past due, with two absorbing states, default (stage 3, written off, or
defaulted during the month) and closed (repaid), from its own loans: every 30 days it
counts where each loan on book 30 days before has moved, over a trailing window of
``provisions.window_months`` such months, blended with a prior chain
(``prior_roll_rates``, ``prior_closure_rate``) weighted as ``prior_weight`` loans per
bucket. A delinquent bucket's 12-month PD is the chain's probability of reaching default
within 12 steps, its lifetime PD within ``lifetime_months`` steps; stage 3's PD is 1. A
*current* loan's PD is not the chain's current row (a pooled rate over a growing book's
young loans, and a closure rate in place of the loan's own schedule): the lender counts,
over the same window, the current loans by months on book (``seasoning_months``) and how
many were delinquent a month later, and runs each loan forward on its own schedule, each
coming month one instalment that it may miss at the rate of its age then, up to the 12
months of stage 1 and never past its last instalment
(:mod:`simfin.lending.provision_curves`).

**LGD.** (``prior_weight`` x ``prior_lgd`` + n x observed) / (``prior_weight`` + n): n the
loans the lender wrote off in the window, observed = (written off - recoveries) / written
off, in cents.

**EAD.** A delinquent loan's outstanding principal (it pays nothing until it cures, and is
written off at that balance); a current loan's exposure when it would default is its
scheduled balance after the instalments it pays before the miss (an annuity at the
lender's balance-weighted rate per period), not today's; with funding partners, the parts
whose loss the lender bears (:mod:`simfin.lending.co_lending`); for revolving lines also
``credit_conversion_factor`` x the undrawn limits, in stage 1 at a new loan's 12-month PD
(``pd_12m``).

**Forward-looking overlay.** A PD is taken to move with the economy's job-loss multiplier
x (1 in a steady market) as 1 + ``pd_sensitivity`` x (x - 1). The estimated roll rates
reflect x_window, the mean of x over the estimation window; the lender expects x_forward,
the scenario-weighted sum of max(x_s, x_today) (``scenario_weights``; x_s a shipped path's
mean over 12 months, :func:`simfin.config.provisions.path_job_loss`; each scenario no
better than today). Stage 1 and 2 PDs (a current loan's monthly roll rates) are multiplied
by (1 + k (x_forward - 1)) / (1 + k (x_window - 1)) and capped at 1.

**ECL.** Stage 1: EAD x 12-month PD x LGD (a current loan: the sum over its coming months
of the chance of a default from that month's miss x the exposure then x LGD); stage 2:
EAD x lifetime PD x LGD; stage 3: EAD x LGD (undiscounted: the loans are short). Each
lender's allowance is brought to their sum every day
(:meth:`~simfin.lending.ledger.Ledger.provide`).

**Cost.** A day reads the delinquent loans (kept by servicing) and recounts the current
loans' balances by origination day and instalments left only for the loans booked or
touched by servicing that day (:class:`~simfin.lending.provision_curves.CurrentBalances`);
every 30 days one pass over the loans on book moves the chain's counts and the stage
migration on.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from simfin.lending.co_lending import CoLending
from simfin.lending.ledger import Ledger
from simfin.lending.loan_book import CLOSED, WRITTEN_OFF, LoanBook
from simfin.lending.provision_curves import (
    HORIZON_MONTHS,
    CurrentBalances,
    current_loss_factors,
    delinquency_default,
)

STEP_DAYS = 30  # one step of the roll-rate chain, and the width of a DPD bucket
STAGE3_DPD = 90
N_BUCKETS = 4  # current, 1-29, 30-59, 60-89 days past due
DEFAULT, CLOSED_STATE = 4, 5  # the chain's absorbing states
N_STATES = 6
TWELVE_MONTHS = 12
# The day's balance cells of the delinquent loans: (bucket 1-3) x (stage 1, stage 2), then
# stage 3.
_CELLS = 2 * (N_BUCKETS - 1) + 1
MIGRATION_FROM = ("stage1", "stage2", "stage3", "originated")
MIGRATION_TO = ("stage1", "stage2", "stage3", "repaid", "written_off")
COLUMNS = ("stage1_balance", "stage2_balance", "stage3_balance",
           "stage1_allowance", "stage2_allowance", "stage3_allowance", "undrawn_limit",
           "ecl_overlay", "pd_12m", "lgd")
"""The per-lender measures of a day (:meth:`Provisions.close_day`), money in cents; the
allowance itself is the ledger's ``allowance`` account."""


def prior_chain(roll_rates: list[float], closure_rate: float) -> np.ndarray:
    """The prior monthly chain (rows current, 1-29, 30-59, 60-89; columns the buckets,
    default and closed): a current loan rolls to 1-29 or closes, a delinquent one rolls to
    the next bucket (60-89: to default) or cures to current.
    """
    chain = np.zeros((N_BUCKETS, N_STATES))
    chain[0, 1], chain[0, CLOSED_STATE] = roll_rates[0], closure_rate
    chain[0, 0] = 1.0 - roll_rates[0] - closure_rate
    for bucket in range(1, N_BUCKETS):
        chain[bucket, bucket + 1] = roll_rates[bucket]  # 60-89 rolls to DEFAULT (4)
        chain[bucket, 0] = 1.0 - roll_rates[bucket]
    return chain


def default_probabilities(chain: np.ndarray, months: int) -> tuple[np.ndarray, np.ndarray]:
    """Per lender and bucket, the probability of default within 12 months and within
    ``months`` (>= 12) of monthly ``chain`` steps; ``chain`` is (lenders, 4, 6).
    """
    full = np.zeros((len(chain), N_STATES, N_STATES))
    full[:, :N_BUCKETS] = chain
    full[:, DEFAULT, DEFAULT] = full[:, CLOSED_STATE, CLOSED_STATE] = 1.0
    power = full.copy()
    pd12 = power[:, :N_BUCKETS, DEFAULT]
    for month in range(2, months + 1):
        power = power @ full
        if month == TWELVE_MONTHS:
            pd12 = power[:, :N_BUCKETS, DEFAULT]
    return pd12.copy(), power[:, :N_BUCKETS, DEFAULT].copy()


class Provisions:
    """Every lender's expected credit losses, and their allowance in the ledger.

    Args:
        book: The market's loan book.
        ledger: The ledger the provision charges are posted to.
        stage2_dpd: Days past due from which a loan is in stage 2.
        lifetime_months: Months of a lifetime PD.
        window_months: Months of the trailing estimation window.
        prior: The prior chain (:func:`prior_chain`).
        prior_lgd: The prior LGD.
        prior_weight: Weight of the priors, in loans.
        ccf: Credit conversion factor of undrawn limits.
        seasoning_months: Months on book by which current loans' roll rate is estimated.
        sensitivity: k of a PD's level 1 + k (x - 1) at a job-loss multiplier x.
        scenarios: ``(weight, job-loss multiplier)`` of each overlay scenario.

    Attributes:
        migration: Per lender, balances (cents) by stage at the start of each 30-day
            period (rows :data:`MIGRATION_FROM`; originated: principal of the loans booked
            in it) and where they were at its end (columns :data:`MIGRATION_TO`), summed
            over the periods closed so far.
    """

    def __init__(self, book: LoanBook, ledger: Ledger, *, stage2_dpd: int,
                 lifetime_months: int, window_months: int, prior: np.ndarray,
                 prior_lgd: float, prior_weight: float, ccf: float, sensitivity: float,
                 scenarios: list[tuple[float, float]], seasoning_months: int = 1) -> None:
        self.book, self.ledger, self.n = book, ledger, ledger.n_lenders
        self.stage2_dpd, self.lifetime_months = stage2_dpd, lifetime_months
        self.window = window_months
        self.prior, self.prior_lgd, self.prior_weight = prior, prior_lgd, prior_weight
        self.ccf, self.sensitivity, self.scenarios = ccf, sensitivity, scenarios
        self.seasoning = seasoning_months
        n = self.n
        self.current = CurrentBalances(n)  # the current loans, kept from day to day
        # Trailing window, one slot per 30-day period (ring buffers).
        self._moves = np.zeros((window_months, n, N_BUCKETS, N_STATES), dtype=np.int64)
        self._written = np.zeros((window_months, n), dtype=np.int64)
        self._recovered = np.zeros((window_months, n), dtype=np.int64)
        self._write_offs = np.zeros((window_months, n), dtype=np.int64)
        # current loans at a period's start by months on book: [seen, delinquent at its end]
        self._seasoned = np.zeros((window_months, n, seasoning_months, 2), dtype=np.int64)
        self._period = 0
        self._job_loss: deque[float] = deque(maxlen=window_months * STEP_DAYS)
        self.migration = np.zeros((n, len(MIGRATION_FROM), len(MIGRATION_TO)), dtype=np.int64)
        # The loans on book at the last period's end: rows, lender, state, stage, balance.
        self._snap_rows = np.zeros(0, dtype=np.intp)
        self._snap_lender = np.zeros(0, dtype=np.intp)
        self._snap_state = np.zeros(0, dtype=np.int8)
        self._snap_stage = np.zeros(0, dtype=np.int8)
        self._snap_balance = np.zeros(0, dtype=np.int64)
        self._snap_age = np.zeros(0, dtype=np.intp)
        self._snap_n, self._snap_day = 0, -1
        # A market with funding partners: each party provides for the parts whose loss it
        # bears (CoLending.bearers, .exposure); None: every loan is its lender's.
        self.co_lending: CoLending | None = None
        self._estimate()

    @classmethod
    def for_market(cls, config: Any, book: LoanBook, ledger: Ledger) -> Provisions:
        """The provisions of a market config (read by attribute): its ``provisions``."""
        p = config.provisions
        levels = p.scenario_job_loss()
        return cls(book, ledger, stage2_dpd=p.stage2_dpd, lifetime_months=p.lifetime_months,
                   window_months=p.window_months,
                   prior=prior_chain(p.prior_roll_rates, p.prior_closure_rate),
                   prior_lgd=p.prior_lgd, prior_weight=p.prior_weight,
                   ccf=p.credit_conversion_factor, sensitivity=p.pd_sensitivity,
                   scenarios=[(w, levels[name]) for name, w in p.scenario_weights.items()],
                   seasoning_months=p.seasoning_months)

    # -- the day ---------------------------------------------------------------------------

    def close_day(self, day: int, delinquent: np.ndarray, job_loss: float,
                  undrawn_cents: np.ndarray | list[int], changed: np.ndarray | None = None
                  ) -> dict[str, np.ndarray]:
        """Measure every lender's ECL at the end of ``day`` and post the allowance to it.

        Args:
            day: The day that ends.
            delinquent: The loans on book that are past due, in row order
                (``Servicer.delinquent_loans()``).
            job_loss: The economy's job-loss multiplier today (1: steady).
            undrawn_cents: Per lender, the undrawn limits of its revolving lines.
            changed: The loans (distinct rows) booked before today whose balance, instalments or
                delinquency may have changed today (servicing's loans falling due and
                cured ones); None: every loan is recounted (a pass over the book).

        Returns:
            The day's :data:`COLUMNS`, per lender.
        """
        slot = self._period % self.window
        self._written[slot] += self.ledger.flow("written_off")
        self._recovered[slot] += self.ledger.flow("recoveries")
        self._job_loss.append(float(job_loss))
        if (day + 1) % STEP_DAYS == 0:
            self._close_period(day)
        cells = self._delinquent_cells(day, delinquent)
        exposure = (self.ledger.balance("loans") if self.co_lending is None
                    else self.co_lending.exposure())
        current = exposure - cells.sum(axis=1)
        overlay = self.overlay(job_loss)
        pd12 = np.minimum(self.pd12 * overlay, 1.0)
        lifetime = np.minimum(self.pd_lifetime * overlay, 1.0)
        self.current.recount(self.book, changed,
                             None if self.co_lending is None else self.co_lending.bearers)
        on_schedule, pd_new = self._current_loss(day, overlay)
        stage1 = np.column_stack([current, cells[:, 0:6:2]])  # by bucket
        stage2 = cells[:, 1:6:2]  # buckets 1-29, 30-59, 60-89
        undrawn = np.asarray(undrawn_cents, dtype=np.int64)
        ecl = np.column_stack([
            self.lgd * (on_schedule + (stage1[:, 1:] * pd12[:, 1:]).sum(axis=1)
                        + self.ccf * undrawn * pd_new),
            self.lgd * (stage2 * lifetime[:, 1:]).sum(axis=1),
            self.lgd * cells[:, 6]]).round().astype(np.int64)
        for lender in range(self.n):
            self.ledger.provide(lender, int(ecl[lender].sum()))
        return {"stage1_balance": stage1.sum(axis=1), "stage2_balance": stage2.sum(axis=1),
                "stage3_balance": cells[:, 6].copy(), "stage1_allowance": ecl[:, 0],
                "stage2_allowance": ecl[:, 1], "stage3_allowance": ecl[:, 2],
                "undrawn_limit": undrawn, "ecl_overlay": np.full(self.n, overlay),
                "pd_12m": pd_new, "lgd": self.lgd.copy()}

    def overlay(self, job_loss: float) -> float:
        """The forward-looking factor on stage 1 and 2 PDs given today's job-loss
        multiplier (the window's mean includes today's once :meth:`close_day` ran).
        """
        window = sum(self._job_loss) / len(self._job_loss) if self._job_loss else 1.0
        forward = sum(w * max(level, job_loss) for w, level in self.scenarios)
        k = self.sensitivity
        return max(1.0 + k * (forward - 1.0), 0.0) / max(1.0 + k * (window - 1.0), 1e-9)

    def _current_loss(self, day: int, overlay: float) -> tuple[np.ndarray, np.ndarray]:
        """Per lender, the sum over its current loans of balance x F(months on book,
        instalments left) (:mod:`simfin.lending.provision_curves`; the 12-month ECL before
        LGD), and the 12-month PD of a new loan, with the overlay on the roll rates.
        """
        counted = self.current
        factors, pd_new = current_loss_factors(np.minimum(self.hazard * overlay, 1.0),
                                               self.default_within, counted.rate(),
                                               counted.cells.shape[2])
        loss = counted.loss(factors, day, self.seasoning)
        return loss, pd_new

    def _delinquent_cells(self, day: int, rows: np.ndarray) -> np.ndarray:
        """Per lender, the balance (cents) of its past-due loans by (bucket 1-29, 30-59,
        60-89) x (stage 1, stage 2), then stage 3: a (lenders, 7) int64 array.
        """
        b = self.book
        dpd = day - b.column("overdue_since_day").take(rows).astype(np.int64) + 1
        impaired = (dpd >= STAGE3_DPD) | b.column("defaulted").take(rows)
        bucket = np.minimum(dpd // STEP_DAYS + 1, N_BUCKETS - 1)
        cell = np.where(impaired, _CELLS - 1, (bucket - 1) * 2 + (dpd >= self.stage2_dpd))
        if self.co_lending is None:
            bearer, cents = b.column("lender").take(rows), b.column("outstanding_cents").take(rows)
        else:  # each part in its bearer's cells
            at, bearer, cents = self.co_lending.bearers(rows)
            cell = cell.take(at)
        index = bearer.astype(np.intp) * _CELLS + cell
        sums = np.bincount(index, weights=cents,
                           minlength=self.n * _CELLS)  # exact: integer cents below 2**53
        return sums.round().astype(np.int64).reshape(self.n, _CELLS)

    # -- every 30 days: the chain, the LGD and the stage migration --------------------------

    def _states(self, day: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each row's chain state (bucket 0-3, DEFAULT when impaired or written off,
        CLOSED_STATE when repaid) and stage or exit (0-2: stage 1-3; 3: repaid; 4: written
        off) at the end of ``day``.
        """
        b = self.book
        status = b.column("status").take(rows)
        overdue = b.column("overdue_since_day").take(rows).astype(np.int64)
        dpd = np.where(overdue >= 0, day - overdue + 1, 0)
        impaired = (overdue >= 0) & ((dpd >= STAGE3_DPD) | b.column("defaulted").take(rows))
        bucket = np.where(dpd > 0, np.minimum(dpd // STEP_DAYS + 1, N_BUCKETS - 1), 0)
        state = np.where(impaired | (status == WRITTEN_OFF), DEFAULT,
                         np.where(status == CLOSED, CLOSED_STATE, bucket))
        stage = np.where(impaired, 2, (dpd >= self.stage2_dpd).astype(np.int64))
        stage = np.select([status == WRITTEN_OFF, status == CLOSED], [4, 3], stage)
        return state.astype(np.int8), stage.astype(np.int8)

    def _since_snapshot(self, day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The chain's moves, the stage migration, the loans written off per lender, and
        the current loans by months on book and whether they became delinquent (or
        defaulted), from the last period's end to the end of ``day`` (nothing is changed).
        """
        b, n = self.book, self.n
        new = np.arange(self._snap_n, len(b))
        rows = np.concatenate([self._snap_rows, new])
        lenders = np.concatenate([self._snap_lender, b.column("lender").take(new)])
        state, stage = self._states(day, rows)
        # A loan that defaulted during the period moved to default, even if it cured since.
        state[b.column("default_day").take(rows) > self._snap_day] = DEFAULT
        live = np.flatnonzero(self._snap_state < DEFAULT)
        moves = np.bincount((lenders[live] * N_BUCKETS + self._snap_state[live]) * N_STATES
                            + state[live], minlength=n * N_BUCKETS * N_STATES)
        origin = np.concatenate([self._snap_stage, np.full(len(new), 3, dtype=np.int8)])
        weight = np.concatenate([self._snap_balance, b.column("principal_cents").take(new)])
        shape = (n, len(MIGRATION_FROM), len(MIGRATION_TO))
        migration = np.bincount((lenders * shape[1] + origin) * shape[2] + stage,
                                weights=weight, minlength=int(np.prod(shape)))
        written_off = np.bincount(lenders[stage == 4], minlength=n)
        was_current = np.flatnonzero(self._snap_state == 0)
        cell = lenders[was_current] * self.seasoning + self._snap_age[was_current]
        rolled = (state[was_current] >= 1) & (state[was_current] <= DEFAULT)
        seasoned = np.stack([np.bincount(cell, minlength=n * self.seasoning),
                             np.bincount(cell[rolled], minlength=n * self.seasoning)], axis=-1)
        return (moves.reshape(n, N_BUCKETS, N_STATES),
                migration.round().astype(np.int64).reshape(shape), written_off,
                seasoned.reshape(n, self.seasoning, 2))

    def _close_period(self, day: int) -> None:
        """The end of a 30-day period: count its moves and write-offs into the window,
        re-estimate PD and LGD, add its stage migration, and remember the book.
        """
        moves, migration, written_off, seasoned = self._since_snapshot(day)
        slot = self._period % self.window
        self._moves[slot] += moves
        self._write_offs[slot] += written_off
        self._seasoned[slot] += seasoned
        self.migration += migration
        self._estimate()
        self._period += 1
        slot = self._period % self.window
        for ring in (self._moves, self._written, self._recovered, self._write_offs,
                     self._seasoned):
            ring[slot] = 0
        b = self.book
        rows = b.active_rows()
        self._snap_state, self._snap_stage = self._states(day, rows)
        self._snap_rows = rows.copy()
        self._snap_lender = b.active("lender").astype(np.intp)
        self._snap_balance = b.column("outstanding_cents").take(rows)
        self._snap_age = np.minimum((day - b.active("origination_day")) // STEP_DAYS,
                                    self.seasoning - 1).astype(np.intp)
        self._snap_n, self._snap_day = len(b), day

    def _estimate(self) -> None:
        """PDs by bucket and the LGD of every lender from the window and the priors."""
        moves = self._moves.sum(axis=0).astype(np.float64)
        seen = moves.sum(axis=2, keepdims=True)
        w = self.prior_weight
        with np.errstate(invalid="ignore", divide="ignore"):
            chain = (moves + w * self.prior) / (seen + w)
        chain = np.where(seen + w > 0, chain, self.prior)
        self.pd12, self.pd_lifetime = default_probabilities(chain, self.lifetime_months)
        # Current loans' monthly roll rate by months on book, towards the prior chain's.
        seasoned = self._seasoned.sum(axis=0).astype(np.float64)
        prior = 1.0 - self.prior[0, 0] - self.prior[0, CLOSED_STATE]
        self.hazard = (seasoned[..., 1] + w * prior) / np.maximum(seasoned[..., 0] + w, 1e-300)
        self.hazard[seasoned[..., 0] + w <= 0] = prior
        self.default_within = delinquency_default(
            chain, max(self.lifetime_months, HORIZON_MONTHS), DEFAULT)
        written = self._written.sum(axis=0)
        lost = (written - self._recovered.sum(axis=0)) / np.maximum(written, 1)
        count = self._write_offs.sum(axis=0)
        observed = np.where(written > 0, lost, self.prior_lgd)
        total = w + count
        self.lgd = np.where(total > 0, (w * self.prior_lgd + count * observed)
                            / np.maximum(total, 1e-300), self.prior_lgd)

    def stage_migration(self, day: int) -> np.ndarray:
        """:attr:`migration` with the period still open at the end of ``day`` (the last
        day run) added: the run's whole stage migration.
        """
        if day <= self._snap_day:
            return self.migration.copy()
        return self.migration + self._since_snapshot(day)[1]
