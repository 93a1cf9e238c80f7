"""Recording the day's indicators per lender: the recorder is fed the day's results.

The model hands the recorder what happened (the needs and applications, each lender's
decided batch and booked loans, the servicing result) as the day goes; ``end_day`` is given
the ledger, the loan book and the borrowers' satisfaction, adds the balances and appends one
row per lender. The recorder never sees the model, nor imports it. Aggregation is over
columns, never over agents, so recording a day costs microseconds whatever the population.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np
import pandas as pd

from simfin.lending.batch import APPROVED, DECLINED, LOST, REFERRED, ApplicationBatch
from simfin.lending.ledger import AFTER_PROVISIONS, ALL_POSTINGS, CO_LENDING_KINDS, KINDS, Ledger
from simfin.lending.loan_book import LoanBook
from simfin.lending.provisions import COLUMNS as ECL_COLUMNS
from simfin.lending.repayments import ServicingDay

COUNTS = ("needs", "applications", "approvals", "declined", "referred", "lost", "loans",
          "due_payments", "missed_payments", "failed_debits", "retried_debits", "cures",
          "entered_30dpd", "new_defaults", "loans_written_off", "fraud_loans", "fraud_loss",
          "online_applications")
BALANCES = ("outstanding", "dpd1_balance", "dpd30_balance", "dpd90_balance", "cash",
            "equity", "active_loans", "satisfaction", "capacity_used", "allowance")
# profit: before provisions (write-offs net of recoveries as the loss); after provisions:
# the provision charge as the loss (the change in equity)
DERIVED = ("profit", "time_to_cash_minutes", "profit_after_provisions", "net_provision_charge")
DPD_BANDS = (1, 30, 90)  # days past due of the dpd1/dpd30/dpd90 balances
STEP_COLUMNS = ("day", "lender") + COUNTS + KINDS + BALANCES + DERIVED
"""The columns of every recorded day; with the model's provisions also :data:`ECL_COLUMNS`
(stage balances and allowances, undrawn limits, the overlay, PD and LGD)."""


class Recorder:
    """Collects one row per (day, lender).

    Args:
        lender_names: The lenders, in order.
        reason_codes: Each lender's reason-code table (a batch's ``reason`` indexes it).
        n_channels: Acquisition channels in the market.
        capacity_per_day: Each lender's platform capacity (applications per day).
        n_cohorts: Age cohorts of the population.

    Attributes:
        reasons: Per lender, a Counter of decisions by reason code over the run.
        parts: In a market with funding partners, each party's part of loans (rows ->
            row positions, parties, cents: ``CoLending.holdings``), so that a lender's DPD
            balances are of the parts it holds, like its ``outstanding``; None otherwise.
    """

    def __init__(self, lender_names: list[str], reason_codes: list[list[str]],
                 n_channels: int, capacity_per_day: list[int], n_cohorts: int) -> None:
        self.lender_names = list(lender_names)
        self.reason_codes = reason_codes
        self.n_lenders = len(self.lender_names)
        self.parts: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]] | None \
            = None
        self._rows: list[dict[str, np.ndarray]] = []
        # The economy's drivers by day (only when the macro path is not steady).
        self._macro: list[dict[str, float]] = []
        # Each lender's standing by day (only in a market with strategies, entries or a
        # capital rule: ``simfin.agents.conduct``).
        self._standing: list[dict[str, np.ndarray]] = []
        self._today: dict[str, np.ndarray] = {}
        self._ttc: list[list[np.ndarray]] = []
        self.reasons: list[Counter] = [Counter() for _ in range(self.n_lenders)]
        self.grade_approvals: list[Counter] = [Counter() for _ in range(self.n_lenders)]
        # The funnel by cohort: needs routed to the lender, applications completed.
        self.cohort_needs = np.zeros((self.n_lenders, n_cohorts), dtype=np.int64)
        self.cohort_applications = np.zeros((self.n_lenders, n_cohorts), dtype=np.int64)
        self.channel_applications = np.zeros((self.n_lenders, n_channels), dtype=np.int64)
        self.channel_acquisition_cents = np.zeros((self.n_lenders, n_channels), dtype=np.int64)
        self._capacity = np.asarray(capacity_per_day, dtype=np.float64)

    def start_day(self) -> None:
        """Zero the day's counters."""
        self._today = {k: np.zeros(self.n_lenders, dtype=np.int64) for k in COUNTS}
        self._ttc = [[] for _ in range(self.n_lenders)]

    def today(self, column: str) -> np.ndarray:
        """The last recorded day's values of a column, per lender."""
        return self._rows[-1][column] if self._rows else np.zeros(self.n_lenders)

    def recent(self, column: str, days: int) -> np.ndarray:
        """The last ``days`` recorded days of a column: (days, n_lenders), oldest first
        (fewer rows when fewer days were recorded).
        """
        rows = self._rows[-days:] if days > 0 else []
        if not rows:
            return np.zeros((0, self.n_lenders))
        return np.stack([r[column] for r in rows])

    def count_needs(self, lenders: np.ndarray, cohorts: np.ndarray,
                    completed: np.ndarray) -> None:
        """Needs routed to each lender (with the applicant's cohort), and which completed
        the application (the funnel).
        """
        self._today["needs"] += np.bincount(lenders, minlength=self.n_lenders)
        # Counts by (lender, cohort) cell: a bincount of the flat cell index.
        shape = self.cohort_needs.shape
        cell = lenders.astype(np.intp) * shape[1] + cohorts
        self.cohort_needs += np.bincount(cell, minlength=shape[0] * shape[1]).reshape(shape)
        self.cohort_applications += np.bincount(cell[completed], minlength=shape[0] * shape[1]
                                                ).reshape(shape)

    def count_acquisition(self, lender: int, channels: np.ndarray, cents: np.ndarray) -> None:
        """Applications and acquisition cost of one lender's batch, by channel."""
        # Integer counts and cents by channel: a bincount, and add.at on intp indexes with
        # int64 values (its fast path): the same sums as add.at with a cast, much faster.
        n = self.channel_applications.shape[1]
        self.channel_applications[lender] += np.bincount(channels, minlength=n)
        np.add.at(self.channel_acquisition_cents[lender], channels.astype(np.intp),
                  np.asarray(cents, dtype=np.int64))

    def count_decisions(self, lender: int, batch: ApplicationBatch,
                        booked: ApplicationBatch) -> None:
        """The lender's decisions, bookings and their time to cash."""
        t, decision = self._today, batch["decision"]
        t["applications"][lender] += batch.n
        t["online_applications"][lender] += int((batch["online"] > 0).sum())
        t["approvals"][lender] += int((decision == APPROVED).sum())
        t["declined"][lender] += int((decision == DECLINED).sum())
        t["referred"][lender] += int((decision == REFERRED).sum())
        t["lost"][lender] += int((decision == LOST).sum())
        t["loans"][lender] += booked.n
        t["fraud_loans"][lender] += int(booked["truth_is_fraud"].sum())
        codes = self.reason_codes[lender]
        reasons, counts = value_counts(batch["reason"][batch["reason"] >= 0])
        for r, c in zip(reasons, counts, strict=True):
            self.reasons[lender][codes[r]] += int(c)
        grades, counts = value_counts(batch["grade"][decision == APPROVED])
        for g, c in zip(grades, counts, strict=True):
            self.grade_approvals[lender][int(g)] += int(c)
        if booked.n:
            self._ttc[lender].append(booked["decision_minutes"]
                                     + booked["disbursement_minutes"])

    def count_servicing(self, result: ServicingDay, book: LoanBook) -> None:
        """Payments, cures, defaults and write-offs per lender (rows of ``book``)."""
        lenders = book.column("lender")
        t, n = self._today, self.n_lenders
        t["due_payments"] += np.bincount(lenders[result.due], minlength=n)
        t["missed_payments"] += np.bincount(lenders[result.missed], minlength=n)
        t["cures"] += np.bincount(lenders[result.cured], minlength=n)
        t["entered_30dpd"] += np.bincount(lenders[result.entered_30dpd], minlength=n)
        t["failed_debits"] += np.bincount(lenders[result.failed_debits], minlength=n)
        t["retried_debits"] += np.bincount(lenders[result.retried], minlength=n)
        t["new_defaults"] += np.bincount(lenders[result.new_defaults], minlength=n)
        t["loans_written_off"] += np.bincount(lenders[result.written_off], minlength=n)
        fraud = result.written_off[book.column("is_fraud")[result.written_off]]
        principal = book.column("principal_cents")
        t["fraud_loss"] += np.bincount(lenders[fraud], weights=principal[fraud],
                                       minlength=n).round().astype(np.int64)

    def end_day(self, day: int, ledger: Ledger, book: LoanBook, satisfaction: np.ndarray,
                delinquent: np.ndarray | None = None,
                ecl: dict[str, np.ndarray] | None = None) -> None:
        """Close the ledger's day and append one row per lender.

        Args:
            day: The day that ends.
            ledger: The market's ledger (its day is closed here).
            book: The loan book at the end of the day.
            satisfaction: Every consumer's satisfaction (indexed by consumer row).
            delinquent: The loans on book that are delinquent, in row order
                (``Servicer.delinquent_loans()``); None: found by a pass over the book.
            ecl: The day's expected credit losses per lender (``Provisions.close_day``:
                the :data:`ECL_COLUMNS`); None: not measured (a day recorded again).
        """
        flows = ledger.close_day()
        row: dict[str, np.ndarray] = {"day": np.full(self.n_lenders, day),
                                      "lender": np.arange(self.n_lenders)}
        row.update(self._today)
        for j, kind in enumerate(ledger.kinds):
            row[kind] = flows[:, j]
        row.update(self._balances(day, ledger, book, satisfaction, delinquent))
        sign = np.array([ALL_POSTINGS[k][2] for k in ledger.kinds])
        row["profit"] = flows @ sign
        row["profit_after_provisions"] = flows @ np.array([AFTER_PROVISIONS[k]
                                                           for k in ledger.kinds])
        row["net_provision_charge"] = (row["provision_charge"] - row["provision_release"])
        if ecl is not None:
            row.update(ecl)
        row["time_to_cash_minutes"] = np.array(
            [np.median(np.concatenate(m)) if m else np.nan for m in self._ttc])
        self._rows.append(row)

    def _balances(self, day: int, ledger: Ledger, book: LoanBook, satisfaction: np.ndarray,
                  late: np.ndarray | None) -> dict[str, np.ndarray]:
        n = self.n_lenders
        # Only delinquent loans carry a DPD balance: aggregate over them, in row order.
        if late is None:
            late = book.delinquent_rows()
        dpd = day - book.column("overdue_since_day").take(late) + 1
        if self.parts is None:
            holders, held = book.column("lender").take(late), book.column(
                "outstanding_cents").take(late)
        else:
            at, holders, held = self.parts(late)
            dpd = dpd.take(at)
        dpd1, dpd30, dpd90 = dpd_balances(holders, held, dpd, DPD_BANDS, n)
        count, satisfied = book.by_lender(n, satisfaction)
        mean_satisfaction = satisfied / np.maximum(count, 1)
        return {
            "satisfaction": np.where(count > 0, mean_satisfaction, np.nan),
            "capacity_used": (self._today["applications"] - self._today["lost"])
            / self._capacity,
            "outstanding": ledger.balance("loans"),
            "dpd1_balance": dpd1,
            "dpd30_balance": dpd30,
            "dpd90_balance": dpd90,
            "cash": ledger.balance("cash"),
            "equity": ledger.balance("equity"),
            "allowance": ledger.balance("allowance"),
            "active_loans": count,
        }

    def note_macro(self, drivers: dict[str, float]) -> None:
        """The economy's drivers in force today (``macro_*`` columns of every lender's row
        of the day); called each day of a run whose macro path is not steady, never in a
        steady one (its steps keep their columns).
        """
        self._macro.append(drivers)

    def note_lenders(self, columns: dict[str, np.ndarray]) -> None:
        """Today's per-lender standing columns (``capital_ratio``, ``lending_stopped``,
        ``in_market``, the levers); called each day of a run with a
        :class:`~simfin.agents.conduct.Conduct`, never otherwise (its steps keep their
        columns).
        """
        self._standing.append(columns)

    def steps_frame(self) -> pd.DataFrame:
        """All recorded rows as a DataFrame, one row per (day, lender), money in cents;
        with the :data:`ECL_COLUMNS` when every day was given them, the ``macro_*``
        columns when the economy moved (see :meth:`note_macro`), and the lenders' standing
        when noted (:meth:`note_lenders`).
        """
        if not self._rows:
            return pd.DataFrame(columns=list(STEP_COLUMNS))
        columns = STEP_COLUMNS + (ECL_COLUMNS if all(ECL_COLUMNS[0] in r for r in self._rows)
                                  else ())
        if all(CO_LENDING_KINDS[0] in r for r in self._rows):  # a market with partners
            columns += CO_LENDING_KINDS
        data = {k: np.concatenate([r[k] for r in self._rows]) for k in columns}
        if self._macro and len(self._macro) == len(self._rows):
            for name in self._macro[0]:
                data[name] = np.repeat([m[name] for m in self._macro], self.n_lenders)
        if self._standing and len(self._standing) == len(self._rows):
            for name in self._standing[0]:
                data[name] = np.concatenate([s[name] for s in self._standing])
        frame = pd.DataFrame(data)
        frame["lender"] = pd.Categorical.from_codes(frame["lender"],
                                                    categories=self.lender_names)
        return frame


def dpd_balances(lenders: np.ndarray, balance_cents: np.ndarray, dpd: np.ndarray,
                 thresholds: tuple[int, ...], n_lenders: int) -> list[np.ndarray]:
    """Per threshold (ascending), the balance of the loans at least that many days past
    due, per lender.

    One weighted bincount of (lender, band) cells, the bands from each threshold up then
    added: the same as one bincount per threshold's loans (:func:`dpd_balances_plain`),
    for bincount's float sums of integer cents are exact below 2**53 in all. Beyond, where
    the order of the additions could round differently, the plain route is taken.
    """
    balance_cents = np.asarray(balance_cents, dtype=np.int64)
    if int(np.abs(balance_cents).sum()) >= 2**53:
        return dpd_balances_plain(lenders, balance_cents, dpd, thresholds, n_lenders)
    bands = len(thresholds) + 1
    band = np.zeros(len(dpd), dtype=np.intp)
    for threshold in thresholds:
        band += dpd >= threshold
    cells = lenders.astype(np.intp) * bands + band
    sums = np.bincount(cells, weights=balance_cents, minlength=n_lenders * bands
                       ).reshape(n_lenders, bands)
    above = np.cumsum(sums[:, ::-1], axis=1)[:, ::-1]  # band k and every band above it
    return [above[:, k].round().astype(np.int64) for k in range(1, bands)]


def dpd_balances_plain(lenders: np.ndarray, balance_cents: np.ndarray, dpd: np.ndarray,
                       thresholds: tuple[int, ...], n_lenders: int) -> list[np.ndarray]:
    """:func:`dpd_balances` by one bincount per threshold (its reference)."""
    return [np.bincount(lenders[dpd >= t], weights=balance_cents[dpd >= t],
                        minlength=n_lenders).round().astype(np.int64) for t in thresholds]


def value_counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values, ascending, and how often each occurs: ``np.unique(values,
    return_counts=True)``, by a bincount when the values are small non-negative integers
    (reason codes, grades; several times faster than ``np.unique``'s sort).
    """
    values = np.asarray(values)
    if len(values) == 0 or values.dtype.kind not in "iu" or values.min() < 0 \
            or values.max() >= 4_096:
        return np.unique(values, return_counts=True)
    counts = np.bincount(values)
    present = np.flatnonzero(counts)
    return present.astype(values.dtype), counts.take(present)
