"""The record of every application: what the lender saw, what it decided, what followed.

The model feeds the log each lender's decided batch of the day and the rows whose
applicant took the offer up (with the loan ids they were booked under). The log keeps the
batch's columns (one array per column per batch, no loop over rows) in a compact form
(:class:`Compact`): a column that holds one value in the batch is kept as that value,
integers in the narrowest type that holds them, the lender and day once per batch, the
loan ids only for the rows booked. At the
end of the run each column is assembled once, in its full type, and the batch's compact
copy of it freed, so the table is never held twice; the booked loans' outcomes are joined
from the loan book. ``simfin.outputs.application_table`` gives the coded columns their
names for ``applications.parquet``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simfin.lending.batch import NO_REASON, ApplicationBatch
from simfin.lending.fields import APPLICATION_FIELDS
from simfin.lending.loan_book import LoanBook
from simfin.lending.pricing import UNGRADED

# Decision columns copied from the batch, with the value of a row a batch does not have
# (a lender whose pipeline has no pricing step has no grade or APR).
DECISION_COLUMNS: dict[str, tuple[type, float | int]] = {
    "data_queried": (np.int64, 0), "flags": (np.int64, 0), "pd": (np.float32, np.nan),
    "grade": (np.int8, UNGRADED), "apr": (np.float32, np.nan),
    "all_in_apr": (np.float32, np.nan), "decision": (np.int8, 0),
    "reason": (np.int16, NO_REASON), "challenger": (np.bool_, False),
    "decision_minutes": (np.float32, np.nan),
}
APPLICANT_COLUMNS: dict[str, type] = {
    "consumer": np.int32, "product": np.int8, "scenario": np.int8, "channel": np.int8,
}
# Loan-book columns joined onto the applications of booked loans.
OUTCOME_COLUMNS = ("ever_30dpd", "defaulted", "default_day", "status")


class Compact:
    """One batch's copy of a column, exactly, in less memory: the value when every row
    holds the same one (bit for bit), else the values, integers in the narrowest type that
    holds them (``int64`` cents in ``int32``, flag bits in ``int8``...); ``dtype`` is the
    column's own type.
    """

    __slots__ = ("dtype", "n", "values", "value")

    def __init__(self, dtype: np.dtype, n: int, values: np.ndarray | None,
                 value: object = None) -> None:
        self.dtype, self.n, self.values, self.value = np.dtype(dtype), n, values, value

    @classmethod
    def constant(cls, value: object, dtype: type, n: int) -> Compact:
        """``n`` rows of ``value`` in type ``dtype``."""
        return cls(np.dtype(dtype), n, None, np.dtype(dtype).type(value))

    @property
    def nbytes(self) -> int:
        """Bytes of the kept values."""
        return 0 if self.values is None else self.values.nbytes


def _bits(values: np.ndarray) -> np.ndarray:
    """The values' bit patterns (a view), so that NaN equals NaN and -0.0 is not 0.0."""
    return values.view(f"u{values.dtype.itemsize}") if values.dtype.kind == "f" else values


# Narrower integer types, with the range each holds, narrowest first.
_NARROW_INTS = [(np.dtype(t), int(np.iinfo(t).min), int(np.iinfo(t).max))
                for t in (np.int8, np.int16, np.int32)]


def _narrowest(values: np.ndarray) -> np.ndarray:
    """A copy of ``values``; integers in the narrowest type that holds them (floats are
    kept as they are: a float16 trial costs more per batch than it saves at the peak,
    which comes at the end of the run, when the table is built in its own types).
    """
    size = values.dtype.itemsize
    if values.dtype.kind in "iu" and size > 1 and len(values):
        low, high = int(values.min()), int(values.max())
        for narrow, lowest, highest in _NARROW_INTS:
            if narrow.itemsize < size and lowest <= low and high <= highest:
                return values.astype(narrow)
    return values.copy()


def compact(values: np.ndarray) -> Compact:
    """A batch's column, kept exactly in the least memory :class:`Compact` knows."""
    values = np.asarray(values)
    if len(values) and (_bits(values) == _bits(values[:1])).all():
        return Compact(values.dtype, len(values), None, values[0])
    return Compact(values.dtype, len(values), _narrowest(values))


def assemble(parts: list[Compact]) -> np.ndarray:
    """The column over all batches in order, in the type ``np.concatenate`` of the
    batches' own arrays would give.
    """
    out = np.empty(sum(p.n for p in parts), dtype=np.result_type(*[p.dtype for p in parts]))
    start = 0
    for part in parts:
        end = start + part.n
        out[start:end] = part.value if part.values is None else part.values
        start = end
    return out


class _Batch:
    """One lender's decided batch of one day, its columns compact."""

    __slots__ = ("lender", "day", "n", "columns", "booked", "loan_ids")

    def __init__(self, lender: int, day: int, n: int, columns: dict[str, Compact],
                 booked: np.ndarray, loan_ids: np.ndarray) -> None:
        self.lender, self.day, self.n, self.columns = lender, day, n, columns
        self.booked, self.loan_ids = booked, loan_ids


class ApplicationLog:
    """Keeps each lender's decided batch of the day; a frame of them all at the end."""

    def __init__(self) -> None:
        self._parts: list[_Batch] = []

    def __len__(self) -> int:
        return sum(part.n for part in self._parts)

    def nbytes(self) -> int:
        """Bytes held by the kept batches' arrays."""
        return sum(c.nbytes for p in self._parts for c in p.columns.values()) + sum(
            p.booked.nbytes + p.loan_ids.nbytes for p in self._parts)

    def record(self, lender: int, day: int, batch: ApplicationBatch, accepted: np.ndarray,
               loan_ids: np.ndarray) -> None:
        """Keep a lender's decided batch.

        Args:
            lender: The lender's index.
            day: The day of the decisions.
            batch: The decided batch (every application the lender received that day).
            accepted: Rows of ``batch`` whose applicant took the offer up.
            loan_ids: The loan-book rows those offers were booked under (same order).
        """
        n, cols = batch.n, batch.columns
        part = {"is_fraud": compact(cols["truth_is_fraud"].astype(bool))}
        for name, dtype in APPLICANT_COLUMNS.items():
            part[name] = compact(cols[name].astype(dtype, copy=False))
        for name in APPLICATION_FIELDS:
            part[name] = compact(cols[name])
        part["online"] = compact(cols["online"] > 0)
        for name, (dtype, missing) in DECISION_COLUMNS.items():
            part[name] = (compact(cols[name].astype(dtype, copy=False)) if name in cols
                          else Compact.constant(missing, dtype, n))
        accepted = np.asarray(accepted)
        self._parts.append(_Batch(lender, day, n, part,
                                  accepted.astype(np.min_scalar_type(max(n - 1, 0))),
                                  np.asarray(loan_ids, dtype=np.int64)))

    def _column(self, name: str) -> np.ndarray:
        """One column over every batch, in its full type; the batches' copies freed."""
        return assemble([part.columns.pop(name) for part in self._parts])

    def frame(self, book: LoanBook, cohort: np.ndarray, region: np.ndarray) -> pd.DataFrame:
        """Every application in the order decided, with the outcome of booked loans.

        The log is emptied: each column's kept copies are freed as the column is built.

        Args:
            book: The loan book at the end of the run (outcomes of booked loans).
            cohort: The population's cohort codes, by consumer row.
            region: The population's region codes, by consumer row.

        Returns:
            One row per application: coded columns (``lender``, ``reason`` as an index
            into the lender's reason codes, ``flags`` and ``data_queried`` as bits), the
            fields as the lender saw them, ``taken_up`` and ``loan_id`` (-1: no loan), and
            for booked loans ``ever_30dpd``, ``defaulted``, ``default_day`` and ``status``
            (missing for applications without a loan).
        """
        parts = self._parts
        if not parts:
            return pd.DataFrame()
        sizes = np.array([p.n for p in parts], dtype=np.int64)
        columns = {"lender": np.repeat(np.array([p.lender for p in parts], np.int16), sizes),
                   "day": np.repeat(np.array([p.day for p in parts], np.int32), sizes)}
        for name in list(parts[0].columns):
            columns[name] = self._column(name)
        loan = np.full(int(sizes.sum()), -1, dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        for start, part in zip(starts, parts, strict=True):
            loan[start + part.booked.astype(np.int64)] = part.loan_ids
        columns["loan_id"] = loan
        self._parts = []
        consumers = columns["consumer"]
        columns["cohort"], columns["region"] = cohort[consumers], region[consumers]
        booked = loan >= 0
        columns["taken_up"] = booked
        for name in OUTCOME_COLUMNS:
            values = book.column(name)
            full = np.zeros(len(loan), dtype=np.int64 if values.dtype != np.bool_ else bool)
            full[booked] = values[loan[booked]]
            # Nullable columns: missing (not False or 0) for applications without a loan.
            columns[name] = (pd.arrays.BooleanArray(full, ~booked) if full.dtype == np.bool_
                             else pd.arrays.IntegerArray(full, ~booked))
        return pd.DataFrame(columns, copy=False)
