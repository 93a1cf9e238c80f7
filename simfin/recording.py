"""Recording the day's indicators per lender, from the ledger, the book and the batches.

Counters are filled as the day goes; ``end_day`` adds the balances and appends one row per
lender. Aggregation is over columns, never over agents, so recording a day costs
microseconds whatever the population.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simfin.lending.batch import APPROVED, DECLINED, LOST, REFERRED, ApplicationBatch
from simfin.lending.ledger import KINDS, POSTINGS
from simfin.lending.servicing import ServicingDay

if TYPE_CHECKING:
    from simfin.model import MarketModel

COUNTS = ("needs", "applications", "approvals", "declined", "referred", "lost", "loans",
          "due_payments", "missed_payments", "failed_debits", "retried_debits", "cures",
          "new_defaults", "loans_written_off", "fraud_loans", "fraud_loss",
          "online_applications")
BALANCES = ("outstanding", "dpd1_balance", "dpd30_balance", "dpd90_balance", "cash",
            "equity", "active_loans", "satisfaction", "capacity_used")
DERIVED = ("profit", "time_to_cash_minutes")
STEP_COLUMNS = ("day", "lender") + COUNTS + KINDS + BALANCES + DERIVED


class Recorder:
    """Collects one row per (day, lender).

    Attributes:
        reasons: Per lender, a Counter of decisions by reason code over the run.
    """

    def __init__(self, model: MarketModel) -> None:
        self.model = model
        self.n_lenders = len(model.config.lenders)
        self._rows: list[dict[str, np.ndarray]] = []
        self._today: dict[str, np.ndarray] = {}
        self._ttc: list[list[np.ndarray]] = []
        self.reasons: list[Counter] = [Counter() for _ in range(self.n_lenders)]
        self.grade_approvals: list[Counter] = [Counter() for _ in range(self.n_lenders)]
        # The funnel by cohort: needs routed to the lender, applications completed.
        n_cohorts = 4
        self.cohort_needs = np.zeros((self.n_lenders, n_cohorts), dtype=np.int64)
        self.cohort_applications = np.zeros((self.n_lenders, n_cohorts), dtype=np.int64)
        n_channels = len(model.config.channels)
        self.channel_applications = np.zeros((self.n_lenders, n_channels), dtype=np.int64)
        self.channel_acquisition_cents = np.zeros((self.n_lenders, n_channels), dtype=np.int64)
        self._capacity = np.array([lc.infrastructure.capacity_per_day
                                   for lc in model.config.lenders], dtype=np.float64)

    def start_day(self) -> None:
        """Zero the day's counters."""
        self._today = {k: np.zeros(self.n_lenders, dtype=np.int64) for k in COUNTS}
        self._ttc = [[] for _ in range(self.n_lenders)]

    def today(self, column: str) -> np.ndarray:
        """The last recorded day's values of a column, per lender."""
        return self._rows[-1][column] if self._rows else np.zeros(self.n_lenders)

    def count_needs(self, apps: dict, completed: np.ndarray) -> None:
        """Needs routed to each lender, and which completed the application (the funnel)."""
        self._today["needs"] += np.bincount(apps["lender"], minlength=self.n_lenders)
        cohort = self.model.population.cohort[apps["consumer"]]
        np.add.at(self.cohort_needs, (apps["lender"], cohort), 1)
        np.add.at(self.cohort_applications, (apps["lender"][completed], cohort[completed]), 1)

    def count_acquisition(self, lender: int, channels: np.ndarray, cents: np.ndarray) -> None:
        """Applications and acquisition cost of one lender's batch, by channel."""
        np.add.at(self.channel_applications[lender], channels, 1)
        np.add.at(self.channel_acquisition_cents[lender], channels, cents)

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
        codes = self.model.lenders[lender].reason_codes
        reasons, counts = np.unique(batch["reason"][batch["reason"] >= 0], return_counts=True)
        for r, c in zip(reasons, counts, strict=True):
            self.reasons[lender][codes[r]] += int(c)
        grades, counts = np.unique(batch["grade"][decision == APPROVED], return_counts=True)
        for g, c in zip(grades, counts, strict=True):
            self.grade_approvals[lender][int(g)] += int(c)
        if booked.n:
            self._ttc[lender].append(booked["decision_minutes"]
                                     + booked["disbursement_minutes"])

    def count_servicing(self, result: ServicingDay) -> None:
        """Payments, cures, defaults and write-offs per lender."""
        lenders = self.model.book.column("lender")
        t, n = self._today, self.n_lenders
        t["due_payments"] += np.bincount(lenders[result.due], minlength=n)
        t["missed_payments"] += np.bincount(lenders[result.missed], minlength=n)
        t["cures"] += np.bincount(lenders[result.cured], minlength=n)
        t["failed_debits"] += np.bincount(lenders[result.failed_debits], minlength=n)
        t["retried_debits"] += np.bincount(lenders[result.retried], minlength=n)
        t["new_defaults"] += np.bincount(lenders[result.new_defaults], minlength=n)
        t["loans_written_off"] += np.bincount(lenders[result.written_off], minlength=n)
        fraud = result.written_off[self.model.book.column("is_fraud")[result.written_off]]
        principal = self.model.book.column("principal_cents")
        t["fraud_loss"] += np.bincount(lenders[fraud], weights=principal[fraud],
                                       minlength=n).round().astype(np.int64)

    def end_day(self) -> None:
        """Close the ledger's day and append one row per lender."""
        model = self.model
        flows = model.ledger.close_day()
        row: dict[str, np.ndarray] = {"day": np.full(self.n_lenders, model.day),
                                      "lender": np.arange(self.n_lenders)}
        row.update(self._today)
        for j, kind in enumerate(KINDS):
            row[kind] = flows[:, j]
        row.update(self._balances())
        sign = np.array([POSTINGS[k][2] for k in KINDS])
        row["profit"] = flows @ sign
        row["time_to_cash_minutes"] = np.array(
            [np.median(np.concatenate(m)) if m else np.nan for m in self._ttc])
        self._rows.append(row)

    def _balances(self) -> dict[str, np.ndarray]:
        model, n = self.model, self.n_lenders
        book = model.book
        active = book.active_rows()
        lenders = book.active("lender")
        # Only delinquent loans carry a DPD balance: aggregate over them (same row order).
        since = book.column("overdue_since_day").take(active)
        late = np.flatnonzero(since >= 0)
        late_lenders = lenders.take(late)
        late_balance = book.column("outstanding_cents").take(active.take(late))
        dpd = model.day - since.take(late) + 1

        def balance(mask: np.ndarray) -> np.ndarray:
            return np.bincount(late_lenders[mask], weights=late_balance[mask],
                               minlength=n).round().astype(np.int64)

        count = np.bincount(lenders, minlength=n)
        satisfaction = model.population.satisfaction.take(book.active("consumer"))
        mean_satisfaction = np.bincount(lenders, weights=satisfaction, minlength=n) / \
            np.maximum(count, 1)
        return {
            "satisfaction": np.where(count > 0, mean_satisfaction, np.nan),
            "capacity_used": (self._today["applications"] - self._today["lost"])
            / self._capacity,
            "outstanding": model.ledger.balance("loans"),
            "dpd1_balance": balance(dpd >= 1),
            "dpd30_balance": balance(dpd >= 30),
            "dpd90_balance": balance(dpd >= 90),
            "cash": model.ledger.balance("cash"),
            "equity": model.ledger.balance("equity"),
            "active_loans": count,
        }

    def steps_frame(self) -> pd.DataFrame:
        """All recorded rows as a DataFrame, one row per (day, lender), money in cents."""
        if not self._rows:
            return pd.DataFrame(columns=list(STEP_COLUMNS))
        data = {k: np.concatenate([r[k] for r in self._rows]) for k in STEP_COLUMNS}
        frame = pd.DataFrame(data)
        names = [lender.name for lender in self.model.lenders]
        frame["lender"] = pd.Categorical.from_codes(frame["lender"], categories=names)
        return frame
