"""The record of every application: what the lender saw, what it decided, what followed.

The model feeds the log each lender's decided batch of the day and the rows whose
applicant took the offer up (with the loan ids they were booked under). The log appends
the batch's columns as they are (one array per column per batch, no loop over rows) and
concatenates them once, at the end of the run, where the booked loans' outcomes are
joined from the loan book. ``simfin.outputs.application_table`` gives the coded columns
their names for ``applications.parquet``.
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


class ApplicationLog:
    """Appends each lender's decided batch of the day; a frame of them all at the end."""

    def __init__(self) -> None:
        self._parts: list[dict[str, np.ndarray]] = []

    def __len__(self) -> int:
        return sum(len(part["day"]) for part in self._parts)

    def record(self, lender: int, day: int, batch: ApplicationBatch, accepted: np.ndarray,
               loan_ids: np.ndarray) -> None:
        """Append a lender's decided batch.

        Args:
            lender: The lender's index.
            day: The day of the decisions.
            batch: The decided batch (every application the lender received that day).
            accepted: Rows of ``batch`` whose applicant took the offer up.
            loan_ids: The loan-book rows those offers were booked under (same order).
        """
        n, cols = batch.n, batch.columns
        part = {"lender": np.full(n, lender, dtype=np.int16),
                "day": np.full(n, day, dtype=np.int32),
                "is_fraud": cols["truth_is_fraud"].astype(bool)}
        for name, dtype in APPLICANT_COLUMNS.items():
            part[name] = cols[name].astype(dtype)
        for name in APPLICATION_FIELDS:
            part[name] = cols[name].copy()
        part["online"] = cols["online"] > 0
        for name, (dtype, missing) in DECISION_COLUMNS.items():
            part[name] = (cols[name].astype(dtype) if name in cols
                          else np.full(n, missing, dtype=dtype))
        part["loan_id"] = np.full(n, -1, dtype=np.int64)
        part["loan_id"][accepted] = loan_ids
        self._parts.append(part)

    def frame(self, book: LoanBook, cohort: np.ndarray, region: np.ndarray) -> pd.DataFrame:
        """Every application in the order decided, with the outcome of booked loans.

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
        names = list(self._parts[0]) if self._parts else []
        if not names:
            return pd.DataFrame()
        columns = {name: np.concatenate([p[name] for p in self._parts]) for name in names}
        consumers = columns["consumer"]
        columns["cohort"], columns["region"] = cohort[consumers], region[consumers]
        loan = columns["loan_id"]
        booked = loan >= 0
        columns["taken_up"] = booked
        frame = pd.DataFrame(columns)
        for name in OUTCOME_COLUMNS:
            values = book.column(name)
            full = np.zeros(len(loan), dtype=np.int64 if values.dtype != np.bool_ else bool)
            full[booked] = values[loan[booked]]
            # Nullable columns: missing (not False or 0) for applications without a loan.
            frame[name] = (pd.arrays.BooleanArray(full, ~booked) if full.dtype == np.bool_
                           else pd.arrays.IntegerArray(full, ~booked))
        return frame
