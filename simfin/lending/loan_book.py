"""The market's loans in columns: one row per loan, every lender's loans in one book.

Loans repay in equal instalments (an annuity) every ``period_days``; a loan shorter than
60 days is one bullet payment. A missed instalment makes the loan delinquent from that day
(``overdue_since_day``); days past due (DPD) are ``day - overdue_since_day``.
"""

from __future__ import annotations

import numpy as np

from simfin.lending.active_loans import ActiveLoans
from simfin.lending.growable_column import GrowableColumn

ACTIVE, CLOSED, WRITTEN_OFF = 0, 1, 2
INSTALMENT_PERIOD_DAYS = 30
MIN_INSTALMENT_TERM_DAYS = 60

_COLUMNS: dict[str, type] = {
    "lender": np.int16, "consumer": np.int32, "product": np.int8, "scenario": np.int8,
    "channel": np.int8, "grade": np.int8, "origination_day": np.int32,
    "principal_cents": np.int64, "outstanding_cents": np.int64, "instalment_cents": np.int64,
    "rate_per_period": np.float64, "apr": np.float32, "pd": np.float32,
    "period_days": np.int16, "n_instalments": np.int16, "paid_instalments": np.int16,
    "next_due_day": np.int32, "overdue_since_day": np.int32, "missed_instalments": np.int16,
    "status": np.int8, "defaulted": np.bool_, "ever_30dpd": np.bool_, "cured": np.int16,
    "is_fraud": np.bool_, "closed_day": np.int32, "challenger": np.bool_,
    "retries": np.int8, "repeat": np.bool_, "term_days": np.int16, "other_loans": np.int8,
    "cohort": np.int8, "region": np.int8, "online": np.bool_, "flags": np.int64,
    "default_day": np.int32,
}


# Columns set once, when the loan is booked.
FIXED = frozenset(("lender", "consumer", "product", "scenario", "channel", "grade",
                   "origination_day", "principal_cents", "instalment_cents", "period_days",
                   "n_instalments", "is_fraud", "challenger", "term_days"))


def schedule(principal_cents: np.ndarray, apr: np.ndarray, term_days: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Instalment schedule of new loans.

    Returns:
        ``(period_days, n_instalments, rate_per_period, instalment_cents)``.
    """
    term = np.asarray(term_days, dtype=np.int64)
    bullet = term < MIN_INSTALMENT_TERM_DAYS
    period = np.where(bullet, term, INSTALMENT_PERIOD_DAYS)
    n = np.where(bullet, 1, np.maximum(term // INSTALMENT_PERIOD_DAYS, 1))
    rate = np.asarray(apr, dtype=np.float64) * period / 365.0
    principal = np.asarray(principal_cents, dtype=np.float64)
    # 1 - (1 + r)^-n written with expm1/log1p: exact for tiny rates, where the plain
    # formula rounds to 1 - 1 = 0 and divides by zero.
    with np.errstate(divide="ignore", invalid="ignore"):
        annuity = principal * rate / -np.expm1(-n * np.log1p(rate))
    annuity = np.where(rate > 0, annuity, principal / n)
    return (period.astype(np.int16), n.astype(np.int16), rate,
            np.ceil(annuity).astype(np.int64))


def monthly_service(instalment_cents: np.ndarray, period_days: np.ndarray) -> np.ndarray:
    """A loan's debt service per 30 days, for the borrower's budget."""
    return (instalment_cents * 30 // np.maximum(period_days, 1)).astype(np.int64)


class LoanBook:
    """Growable columnar storage of loans; rows are never reordered (row = loan id).

    Args:
        capacity: Loans the columns hold before they first grow.
        extra_columns: Columns beyond the standard ones, by name and dtype (a market with
            funding partners: ``funder``, ``funder_share``), in :meth:`frame` after them; a
            new loan that does not name one reads ``-1`` there.
    """

    def __init__(self, capacity: int = 1024,
                 extra_columns: dict[str, type] | None = None) -> None:
        self.n = 0
        self._extra = dict(extra_columns or {})
        self._names = list(_COLUMNS) + list(self._extra)
        # unnamed columns of a new loan read 0 from the room (fill 0)
        self._cols = {name: GrowableColumn(dtype, capacity)
                      for name, dtype in {**_COLUMNS, **self._extra}.items()}
        # The rows on book, kept from call to call: the invariant is stated once, in
        # simfin.lending.active_loans.
        self._active: ActiveLoans | None = None
        self._active_upto = 0  # loans booked when the active rows were last brought up to date
        self._by_consumer = GrowableColumn(np.int64)  # all zero between uses

    def __len__(self) -> int:
        return self.n

    def column(self, name: str) -> np.ndarray:
        """A writable view of one column over the loans booked so far; ``status`` is
        read-only (set it with :meth:`set_status`, which keeps the active rows exact).
        """
        view = self._cols[name].array[: self.n]
        if name == "status":
            view.flags.writeable = False
        return view

    def set_status(self, rows: np.ndarray, status: int) -> None:
        """Set the status of loans ``rows`` (closed, written off, or back to active)."""
        rows = np.asarray(rows, dtype=np.intp)
        if len(rows) == 0:
            return
        self._cols["status"].array[rows] = status
        if status == ACTIVE:  # back on book: rare, found by a scan
            self._active = None
        elif self._active is not None:
            self._active.end(rows)

    def add(self, **columns: np.ndarray) -> np.ndarray:
        """Book new loans; returns their row ids. Unnamed columns take their defaults."""
        k = len(columns["principal_cents"])
        if k == 0:
            return np.zeros(0, dtype=np.int64)
        self._reserve(self.n + k)
        rows = slice(self.n, self.n + k)  # a slice: cheaper to write than an index array
        for name, values in columns.items():
            self._cols[name].array[rows] = values
        self._cols["overdue_since_day"].array[rows] = columns.get("overdue_since_day", -1)
        self._cols["closed_day"].array[rows] = -1
        self._cols["default_day"].array[rows] = -1
        for name in self._extra:
            if name not in columns:
                self._cols[name].array[rows] = -1
        self.n += k
        return np.arange(rows.start, rows.stop)

    def _reserve(self, size: int) -> None:
        for column in self._cols.values():  # one capacity: all grow together
            column.reserve(size)

    def active_rows(self) -> np.ndarray:
        """Row ids of loans still on book, in row order.

        Kept from call to call instead of a scan of the whole book (the invariant:
        :mod:`simfin.lending.active_loans`); statuses change only through
        :meth:`set_status` (the ``status`` column is read-only) and :meth:`add`, so the
        rows are always ``np.flatnonzero(status == ACTIVE)``.
        """
        return self._kept(drop=True).rows

    def rows_kept(self) -> np.ndarray:
        """The rows of :meth:`active_rows` and the holes (loans that ended since the kept
        rows were last compacted), in row order, without a pass over the kept rows: for
        the day's servicing, which looks at few of them and checks those few's status
        (what a reader may assume: :mod:`simfin.lending.active_loans`).
        """
        return self._kept(drop=False).rows

    def _kept(self, drop: bool) -> ActiveLoans:
        if self._active is None:
            status = self._cols["status"].array[: self.n]
            self._active = ActiveLoans(np.flatnonzero(status == ACTIVE))
            self._active_upto = self.n
            return self._active
        self._active.settle(exact=drop)
        if self._active_upto < self.n:
            new = np.arange(self._active_upto, self.n)
            new = new[self._cols["status"].array[self._active_upto:self.n] == ACTIVE]
            if len(new):
                self._active.append(new, lambda name, rows: self._fixed(name, rows))
            self._active_upto = self.n
        return self._active

    def _kept_column(self, name: str) -> np.ndarray:
        """A fixed column over :meth:`rows_kept`."""
        return self._kept(drop=False).column(name, lambda rows: self._fixed(name, rows))

    def active(self, name: str) -> np.ndarray:
        """A column that never changes after booking (``lender``, ``consumer``, ...) over
        :meth:`active_rows`; cached with them. Treat as read-only. ``consumer`` comes as
        ``intp``: it indexes lookups into the population's columns, and ``take`` with
        other integer ids converts them on every call.
        """
        if name not in FIXED:
            raise ValueError(f"{name!r} changes after booking; use column()[active_rows()]")
        return self._kept(drop=True).column(name, lambda rows: self._fixed(name, rows))

    def delinquent_rows(self) -> np.ndarray:
        """Row ids of the loans on book that are delinquent (``overdue_since_day >= 0``), in
        row order, by a pass over the active loans (servicing keeps them from day to day:
        ``Servicer.delinquent_loans``).
        """
        active = self.active_rows()
        return active[self.column("overdue_since_day").take(active) >= 0]

    def by_lender(self, n_lenders: int, per_consumer: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Per lender, the loans on book and the sum over them of their borrower's value in
        ``per_consumer`` (say satisfaction): ``np.bincount(active("lender"))`` and
        ``np.bincount(active("lender"), weights=per_consumer[active("consumer")])``.

        The sums run over :meth:`rows_kept` with a zero term at each hole, without
        dropping the holes first (why that is exact: the zero-term sums of
        :mod:`simfin.lending.active_loans`).
        """
        lenders, consumers = self._kept_column("lender"), self._kept_column("consumer")
        values = per_consumer.take(consumers)
        ended = self._active.holes
        values[ended] = 0
        count = np.bincount(lenders, minlength=n_lenders) - np.bincount(
            lenders.take(ended), minlength=n_lenders)
        return count, np.bincount(lenders, weights=values, minlength=n_lenders)

    def _fixed(self, name: str, rows: np.ndarray) -> np.ndarray:
        values = self._cols[name].array.take(rows)
        return values.astype(np.intp) if name == "consumer" else values

    def outstanding_by_lender(self, n_lenders: int) -> np.ndarray:
        """Outstanding principal per lender, from the loan rows (for reconciliation)."""
        rows = self.active_rows()
        return np.bincount(self.active("lender"),
                           weights=self.column("outstanding_cents")[rows],
                           minlength=n_lenders).round().astype(np.int64)

    def outstanding_of(self, consumers: np.ndarray, lender: int, product: int) -> np.ndarray:
        """Outstanding principal of each consumer's active loans of one lender and product
        (e.g. the used part of a credit line).
        """
        if len(consumers) == 0:
            return np.zeros(0, dtype=np.int64)
        mine = self.rows_kept()[(self._kept_column("lender") == lender)
                                & (self._kept_column("product") == product)]
        mine = mine[self._cols["status"].array.take(mine) == ACTIVE]  # rows_kept: some ended
        if len(mine) == 0:
            return np.zeros(len(consumers), dtype=np.int64)
        # Integer totals by consumer id in a kept all-zero buffer, cleared after use: no
        # pass over every consumer id (a bincount's float sums of these integers are the
        # same).
        owners = self._cols["consumer"].array.take(mine).astype(np.intp)
        size = max(int(owners.max()), int(consumers.max())) + 1
        totals = self._by_consumer.reserve(size)
        np.add.at(totals, owners, self._cols["outstanding_cents"].array.take(mine))
        out = totals.take(np.asarray(consumers, dtype=np.intp))
        totals[owners] = 0
        return out

    def frame(self):
        """Every loan booked so far as a pandas DataFrame (one row per loan)."""
        import pandas as pd

        # The columns are copied once, here (a DataFrame of a dict copies them again).
        return pd.DataFrame({name: self.column(name).copy() for name in self._names},
                            copy=False)

    def nbytes(self) -> int:
        """Bytes held by the book's storage (including spare capacity)."""
        return (sum(column.nbytes for column in self._cols.values())
                + self._by_consumer.nbytes)
