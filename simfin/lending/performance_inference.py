"""Performance inference: what a lender can learn later about the applicants it declined.

One lender's rejects become another's customers. A declined applicant who borrows
elsewhere leaves that loan's repayment record where the declining lender can look it up
later (a *retro pull*):

- in the credit bureau, for the loans of the lenders that report to it
  (``reports_to_bureau``), of the consumers the bureau has a file on, when the lender buys
  the bureau (``risk.data_sources``);
- in the information-sharing consortium, for the loans of its other members, while it is
  open, when the lender queries it;
- in the lender's own book, when the applicant came back and was approved.

A declined application's outcome is that of the applicant's first such loan opened within
``retro_window_days`` of the decline (the decline day included): bad when it went 30+ days
past due, the model's own outcome. Each declined application kept for reject inference is
pulled once, ``retro_window_days + performance_window_days`` after the decline, when every
loan it could be labelled with has been on book for the whole performance window; each pull
costs one query of each external source pulled (``data.<source>.cost_cents``) per
applicant, posted as ``data_cost``.

Only what a lender could obtain is read: of each loan the record its lender reports
(:data:`REPORTED_COLUMNS` of the loan book), the bureau's coverage and the consortium's
membership and state. Never the consumers' hidden state, never the answer key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from simfin.lending.batch import DECLINED, ApplicationBatch
from simfin.lending.reject_inference import LaterRecords, reads_records
from simfin.lending.scoring import feature_matrix

REPORTED_COLUMNS = ("lender", "consumer", "origination_day", "ever_30dpd")
"""What a lender reports of each loan to the bureau or the consortium, and all a retro pull
reads of the loan book."""
_DAY_BITS = 24  # a (consumer, day) key: consumer << _DAY_BITS | day (days < 16.7 M)


def first_loan_outcomes(consumer: np.ndarray, origination_day: np.ndarray,
                        bad: np.ndarray, applicants: np.ndarray, decline_days: np.ndarray,
                        window_days: int) -> tuple[np.ndarray, np.ndarray]:
    """The outcome of each declined applicant's first visible loan opened within
    ``window_days`` of its decline.

    Args:
        consumer: The visible loans' borrowers (loans in any order).
        origination_day: The day each was booked.
        bad: Whether each went 30+ days past due.
        applicants: The declined applications' consumers.
        decline_days: The day each was declined.
        window_days: Days after the decline (the day itself included) in which a loan
            counts.

    Returns:
        ``(observed, bad)`` per declined application: whether such a loan exists, and
        whether the first one went bad (False where none).
    """
    n = len(applicants)
    if len(consumer) == 0 or n == 0:
        return np.zeros(n, bool), np.zeros(n, bool)
    key = (np.asarray(consumer, np.int64) << _DAY_BITS) | np.asarray(origination_day,
                                                                     np.int64)
    order = np.argsort(key, kind="stable")
    key = key[order]
    asked = (np.asarray(applicants, np.int64) << _DAY_BITS) | np.asarray(decline_days,
                                                                         np.int64)
    at = np.searchsorted(key, asked)
    found = at < len(key)
    at = np.minimum(at, len(key) - 1)
    observed = found & (key[at] >> _DAY_BITS == asked >> _DAY_BITS) & (
        key[at] - asked <= window_days)
    return observed, observed & np.asarray(bad, bool)[order][at]


class RetroPull:
    """One lender's retro pulls: the loans it can see later, and what a pull costs.

    Args:
        lender: The lender's index.
        book: The market's loan book (only :data:`REPORTED_COLUMNS` are read).
        window_days: ``retro_window_days``.
        performance_window_days: The model's performance window.
        bureau: The bureau source, or None when the lender does not buy it.
        reporting: Per lender, whether it reports its loans to the bureau.
        consortium: The consortium source (``members``, ``active``), or None when the
            lender does not query it.
    """

    def __init__(self, lender: int, book: Any, window_days: int,
                 performance_window_days: int, bureau: Any | None, reporting: np.ndarray,
                 consortium: Any | None) -> None:
        self.lender = lender
        self.book = book
        self.window_days = window_days
        self.horizon_days = window_days + performance_window_days
        self.bureau = bureau
        self.reporting = np.asarray(reporting, dtype=bool)
        self.consortium = consortium

    @classmethod
    def of_lender(cls, lender: int, market: Any, models: list, sources: dict[str, Any],
                  book: Any) -> RetroPull | None:
        """A lender's retro pulls, when one of its models (``models``: its champion's and
        challenger's ``risk.model``) infers from later records; None otherwise.

        Args:
            lender: The lender's index in ``market.lenders``.
            market: The market config (read by attribute).
            models: The lender's model configs.
            sources: The market's data sources by name.
            book: The market's loan book.
        """
        readers = [m for m in models if m.kind != "none" and reads_records(m.reject_inference)]
        if not readers:
            return None
        config = market.lenders[lender]
        listed = set(config.risk.data_sources) | set(
            config.challenger.risk.data_sources if config.challenger else ())
        return cls(lender, book, max(m.retro_window_days for m in readers),
                   max(m.performance_window_days for m in readers),
                   sources.get("bureau") if "bureau" in listed else None,
                   np.array([other.reports_to_bureau for other in market.lenders]),
                   sources.get("consortium") if "consortium" in listed else None)

    def _visible(self, lenders: np.ndarray, consumers: np.ndarray) -> np.ndarray:
        """Which loans the lender sees today: its own, the reporting lenders' of consumers
        the bureau covers, the other consortium members' while it is open.
        """
        by_lender = np.zeros(len(self.reporting), dtype=bool)
        by_lender[self.lender] = True
        visible = by_lender.take(lenders)
        if self.bureau is not None and self.bureau.active:
            visible |= self.reporting.take(lenders) & self.bureau.covered.take(consumers)
        if self.consortium is not None and self.consortium.active:
            others = np.asarray(self.consortium.members, dtype=bool).copy()
            others[self.lender] = False
            visible |= others.take(lenders)
        return visible

    def query_cost_cents(self) -> int:
        """What one applicant's pull costs today (one query of each external source)."""
        return sum(s.cost_cents for s in (self.bureau, self.consortium)
                   if s is not None and s.active)

    def pull(self, applicants: np.ndarray, decline_days: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, int]:
        """Pull the records of declined applications; returns ``(observed, bad,
        cost_cents)`` (one query per distinct applicant and source).
        """
        lenders, consumers, days, bad = (self.book.column(name) for name in REPORTED_COLUMNS)
        lenders, consumers = lenders.astype(np.intp), consumers.astype(np.intp)
        visible = np.flatnonzero(self._visible(lenders, consumers))
        observed, went_bad = first_loan_outcomes(
            consumers.take(visible), days.take(visible), bad.take(visible), applicants,
            decline_days, self.window_days)
        cost = len(np.unique(applicants)) * self.query_cost_cents()
        return observed, went_bad, cost


@dataclass
class PullCount:
    """What the retro pulls found so far (``summary.json``: ``lenders.<name>.retro_pulls``).

    Attributes:
        pulled: Declined applications pulled; ``observed``: those with a later loan found;
        ``bad``: those whose loan went 30+ days past due; ``cost_cents``: paid for them.
    """

    pulled: int = 0
    observed: int = 0
    bad: int = 0
    cost_cents: int = 0

    def add(self, observed: np.ndarray, bad: np.ndarray, cost_cents: int) -> None:
        """Count one pull: its applicants' ``observed`` and ``bad`` flags and its cost."""
        self.pulled += len(observed)
        self.observed += int(observed.sum())
        self.bad += int(bad.sum())
        self.cost_cents += cost_cents

    def as_dict(self) -> dict[str, float | int | None]:
        """The counts, the observed share and bad rate, the cost in yuan."""
        return {"pulled": self.pulled, "observed": self.observed, "bad": self.bad,
                "observed_share": self.observed / self.pulled if self.pulled else None,
                "bad_rate": self.bad / self.observed if self.observed else None,
                "cost_yuan": self.cost_cents / 100}


class DeclinedArchive:
    """A lender's kept declined applications, by day: their model inputs (for reject
    inference) and, when it pulls records, their consumers, and the records pulled.

    Args:
        window_days: ``reject_window_days``: the days of declines handed to reject
            inference.
        n_features: Columns of the model inputs.
        retro: The lender's retro pulls, or None when its method reads no records.
    """

    def __init__(self, window_days: int, n_features: int,
                 retro: RetroPull | None = None) -> None:
        self.window_days = window_days
        self.n_features = n_features
        self.retro = retro
        self.days: list[tuple[int, np.ndarray, np.ndarray | None]] = []
        self._records: list[LaterRecords] = []
        self.count = PullCount()
        self.paid_cents = 0  # cost of pulls not yet posted (the lender posts and resets it)

    def __len__(self) -> int:
        return sum(len(x) for _, x, _ in self.days)

    def keep_declined(self, batch: ApplicationBatch, day: int, redraws: np.ndarray,
                      rng: np.random.Generator, most: int) -> None:
        """Keep a random sample of the day's declined applications (at most ``most``;
        ``redraws``: the rows that draw on an open line, which are no applications), as
        the lender saw them.
        """
        declined = np.flatnonzero((batch["decision"] == DECLINED) & ~redraws)
        if len(declined) > most:
            declined = np.sort(rng.choice(declined, most, replace=False))
        if len(declined):
            kept = batch.take(declined)
            self.keep(day, feature_matrix(kept), kept["consumer"])

    def keep(self, day: int, features: np.ndarray, consumers: np.ndarray) -> None:
        """Keep a day's declined applications (their consumers only when pulling)."""
        self.days.append((day, features, None if self.retro is None
                          else np.asarray(consumers, dtype=np.int64)))

    def rejects(self, day: int) -> np.ndarray:
        """The model inputs of the declines of the last ``window_days`` (pulling first
        the records that are due; those are kept until pulled).
        """
        if self.retro is not None:
            self._pull_due(day)
        since = day - self.window_days
        due = day - (self.retro.horizon_days if self.retro is not None else -1)
        # a day's declines stay while in the window, or (pulling) until they are pulled
        self.days = [kept for kept in self.days if kept[0] >= since or kept[0] > due]
        inside = [x for d, x, _ in self.days if d >= since]
        if not inside:
            return np.zeros((0, self.n_features), dtype=np.float32)
        return np.concatenate(inside)

    def _pull_due(self, day: int) -> None:
        assert self.retro is not None
        due = [(d, x, c) for d, x, c in self.days
               if d + self.retro.horizon_days <= day and c is not None]
        if not due:
            return
        self.days = [(d, x, None) if d + self.retro.horizon_days <= day else (d, x, c)
                     for d, x, c in self.days]  # pulled once: consumers forgotten
        consumers = np.concatenate([c for _, _, c in due])
        decline_days = np.concatenate([np.full(len(c), d) for d, _, c in due])
        observed, bad, cost = self.retro.pull(consumers, decline_days)
        self._records.append(LaterRecords(np.concatenate([x for _, x, _ in due]), observed,
                                          bad))
        self.count.add(observed, bad, cost)
        self.paid_cents += cost

    def records(self) -> LaterRecords | None:
        """Every record pulled so far (None when the lender pulls none)."""
        if self.retro is None:
            return None
        if not self._records:
            return LaterRecords.empty(self.n_features)
        if len(self._records) > 1:
            self._records = [LaterRecords(*(np.concatenate(parts) for parts in zip(
                *((r.x, r.observed, r.bad) for r in self._records), strict=True)))]
        return self._records[0]
