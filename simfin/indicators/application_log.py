"""The record of every application: what the lender saw, what it decided, what followed.

The model feeds the log each lender's decided batch of the day and the rows whose
applicant took the offer up (with the loan ids they were booked under). The log copies the
batch's columns (one array per column, no loop over rows) into a small buffer and, every
``SPILL_ROWS`` applications, appends the buffer as a row group to a Parquet spill file in a
private temporary folder (``tempfile``; removed by :meth:`ApplicationLog.close` or when the
log is garbage-collected), so that the run holds a bounded part of the log whatever its
length. The folder's lock is held while it is in use, so that the folder of a process
killed before it could remove it (SIGKILL, the OOM killer) is removed by the next log
made on the machine. After the run, :meth:`ApplicationLog.columns` reads only the columns asked for
(the score-performance frontier needs five) and :meth:`ApplicationLog.frame` the whole
table, one column at a time, with the booked loans' outcomes joined from the loan book.
``simfin.outputs.application_table`` gives the coded columns their names for
``applications.parquet``, row group by row group (:meth:`ApplicationLog.groups`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from simfin.lending.batch import NO_REASON, ApplicationBatch
from simfin.lending.loan_book import LoanBook
from simfin.lending.pricing import UNGRADED
from simfin.lending.registry import SOURCES

try:
    import fcntl
except ImportError:  # no flock (Windows): a spill folder is removed by its own log only
    fcntl = None

# Decision columns copied from the batch, with the value of a row a batch does not have
# (a lender whose pipeline has no pricing step has no grade or APR).
DECISION_COLUMNS: dict[str, tuple[type, float | int]] = {
    "data_queried": (np.int64, 0), "flags": (np.int64, 0), "pd": (np.float32, np.nan),
    "grade": (np.int8, UNGRADED), "apr": (np.float32, np.nan),
    "all_in_apr": (np.float32, np.nan), "decision": (np.int8, 0),
    "reason": (np.int16, NO_REASON), "challenger": (np.bool_, False),
    "decision_minutes": (np.float32, np.nan), "explored": (np.bool_, False),
}
APPLICANT_COLUMNS: dict[str, type] = {
    "consumer": np.int32, "product": np.int8, "scenario": np.int8, "channel": np.int8,
}
# Loan-book columns joined onto the applications of booked loans.
OUTCOME_COLUMNS = ("ever_30dpd", "defaulted", "default_day", "status")
# Applications buffered in memory before they are appended to the spill file as a row
# group (about 100 bytes each: a few MB held; a short run never touches the disk twice).
SPILL_ROWS = 1 << 16
SPILL_PREFIX = "simfin-applications-"  # spill folders in the temporary directory
SPILL_LOCK = ".lock"  # locked (flock) by the process whose log uses the folder


def _remove_if_abandoned(folder: Path) -> None:
    """Remove a spill folder whose lock no process holds (its process died)."""
    try:
        fd = os.open(folder / SPILL_LOCK, os.O_RDWR)
    except OSError:
        return  # no lock (yet), or another user's folder: left alone
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return  # in use
    shutil.rmtree(folder, ignore_errors=True)
    os.close(fd)


def spill_folder() -> tuple[Path, int | None]:
    """A new private spill folder and the descriptor of the lock held on it (None without
    flock); first, the abandoned spill folders of dead processes are removed.
    """
    folder = Path(tempfile.mkdtemp(prefix=SPILL_PREFIX))
    if fcntl is None:
        return folder, None
    for old in Path(tempfile.gettempdir()).glob(f"{SPILL_PREFIX}*"):
        if old != folder:
            _remove_if_abandoned(old)
    # Locked under a temporary name, then renamed: a folder's lock is never seen unheld.
    fd, name = tempfile.mkstemp(dir=folder)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.rename(name, folder / SPILL_LOCK)
    return folder, fd


def _remove_spill(folder: Path, fd: int | None) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    if fd is not None:
        os.close(fd)  # releases the lock


class ApplicationLog:
    """Keeps each lender's decided batch of the day in a Parquet spill file; a frame of
    them all (or of a few columns) after the run.
    """

    def __init__(self) -> None:
        self._buffer: list[dict[str, np.ndarray]] = []
        self._buffered = 0
        self._n = 0
        self._folder: Path | None = None
        self._remove: weakref.finalize | None = None  # removes the folder when collected
        self._files: list[Path] = []  # one per column schema (a new one if types change)
        self._writer = None
        self._schema = None

    def __len__(self) -> int:
        return self._n

    def record(self, lender: int, day: int, batch: ApplicationBatch, accepted: np.ndarray,
               loan_ids: np.ndarray, true_pd: np.ndarray | None = None) -> None:
        """Keep a lender's decided batch.

        Args:
            lender: The lender's index.
            day: The day of the decisions.
            batch: The decided batch (every application the lender received that day).
            accepted: Rows of ``batch`` whose applicant took the offer up.
            loan_ids: The loan-book rows those offers were booked under (same order).
            true_pd: The answer key of each row (:mod:`simfin.agents.answer_key`), kept
                as ``true_pd``; None: missing (NaN).
        """
        n, cols = batch.n, batch.columns
        part = {"lender": np.full(n, lender, np.int16), "day": np.full(n, day, np.int32),
                "is_fraud": cols["truth_is_fraud"].astype(bool)}
        for name, dtype in APPLICANT_COLUMNS.items():
            part[name] = cols[name].astype(dtype)
        for name in SOURCES.catalogue():  # those of the market's sources are the batch's
            if name in cols:
                part[name] = np.array(cols[name])
        part["online"] = cols["online"] > 0
        for name, (dtype, missing) in DECISION_COLUMNS.items():
            part[name] = (cols[name].astype(dtype) if name in cols
                          else np.full(n, missing, dtype=dtype))
        loan = np.full(n, -1, dtype=np.int64)
        loan[np.asarray(accepted, dtype=np.int64)] = np.asarray(loan_ids, dtype=np.int64)
        part["loan_id"] = loan
        part["true_pd"] = (np.full(n, np.nan, dtype=np.float32) if true_pd is None
                           else np.asarray(true_pd, dtype=np.float32))
        self._buffer.append(part)
        self._buffered += n
        self._n += n
        if self._buffered >= SPILL_ROWS:
            self._spill()

    def _spill(self) -> None:
        """Append the buffered batches to the spill file as one row group."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self._buffered:  # nothing, or only empty batches (no row group of 0 rows)
            self._buffer = []
            return
        names = list(self._buffer[0])
        table = pa.table({name: np.concatenate([part.pop(name) for part in self._buffer])
                          for name in names})
        self._buffer, self._buffered = [], 0
        if self._writer is None or not table.schema.equals(self._schema):
            if self._writer is not None:
                self._writer.close()
            if self._folder is None:
                self._folder, lock = spill_folder()
                self._remove = weakref.finalize(self, _remove_spill, self._folder, lock)
            path = self._folder / f"log{len(self._files)}.parquet"
            self._files.append(path)
            self._schema = table.schema
            self._writer = pq.ParquetWriter(path, table.schema, compression="none")
        self._writer.write_table(table, row_group_size=len(table))
        del table
        pa.default_memory_pool().release_unused()  # Arrow's pool keeps freed memory

    def _finish(self) -> None:
        """Spill what is buffered and close the spill file (reading needs it closed)."""
        self._spill()
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def close(self) -> None:
        """Forget the log and remove its spill file."""
        if self._writer is not None:
            self._writer.close()
        self._writer, self._buffer, self._buffered, self._n, self._files = None, [], 0, 0, []
        if self._remove is not None:
            self._remove()  # removes the folder (once)
        self._folder = self._remove = None

    def _read(self, name: str, groups: list[tuple[int, int]] | None = None) -> np.ndarray:
        """One recorded column over every spill file in order (or over the row groups
        ``(file, group)``), in the type ``np.concatenate`` of the batches' arrays gives.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        files = [pq.ParquetFile(path) for path in self._files]
        where = groups if groups is not None else [
            (f, g) for f, file in enumerate(files) for g in range(file.num_row_groups)]
        sizes = [files[f].metadata.row_group(g).num_rows for f, g in where]
        # The type over every file, so that a row group reads as the whole column does.
        dtype = np.result_type(*[file.schema_arrow.field(name).type.to_pandas_dtype()
                                 for file in files])
        out = np.empty(sum(sizes), dtype=dtype)
        start = 0
        for (f, g), size in zip(where, sizes, strict=True):
            out[start:start + size] = files[f].read_row_group(g, columns=[name]).column(
                0).to_numpy()
            start += size
        pa.default_memory_pool().release_unused()  # Arrow's pool keeps freed memory
        return out

    def columns(self, names: list[str]) -> pd.DataFrame:
        """Some recorded columns (not the joined outcomes) of every application, in order."""
        self._finish()
        if not self._files:
            return pd.DataFrame()
        return pd.DataFrame({name: self._read(name) for name in names}, copy=False)

    def column_groups(self, names: list[str]) -> Iterator[pd.DataFrame]:
        """:meth:`columns` one spill row group at a time."""
        for group in self.row_groups():
            yield pd.DataFrame({name: self._read(name, [group]) for name in names},
                               copy=False)

    def row_groups(self) -> list[tuple[int, int]]:
        """The spill file's row groups, ``(file, group)``, in order."""
        import pyarrow.parquet as pq

        self._finish()
        return [(f, g) for f, path in enumerate(self._files)
                for g in range(pq.ParquetFile(path).num_row_groups)]

    def frame(self, book: LoanBook, cohort: np.ndarray, region: np.ndarray,
              groups: list[tuple[int, int]] | None = None) -> pd.DataFrame:
        """Every application in the order decided (or those of the row groups ``groups``),
        with the outcome of booked loans.

        Args:
            book: The loan book at the end of the run (outcomes of booked loans).
            cohort: The population's cohort codes, by consumer row.
            region: The population's region codes, by consumer row.
            groups: Row groups of the spill file (:meth:`row_groups`); None: all.

        Returns:
            One row per application: coded columns (``lender``, ``reason`` as an index
            into the lender's reason codes, ``flags`` and ``data_queried`` as bits), the
            fields as the lender saw them, ``taken_up`` and ``loan_id`` (-1: no loan), and
            for booked loans ``ever_30dpd``, ``defaulted``, ``default_day`` and ``status``
            (missing for applications without a loan).
        """
        import pyarrow.parquet as pq

        self._finish()
        if not self._files:
            return pd.DataFrame()
        columns = {name: self._read(name, groups)
                   for name in pq.ParquetFile(self._files[0]).schema_arrow.names}
        loan = columns["loan_id"]
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

    def groups(self, book: LoanBook, cohort: np.ndarray, region: np.ndarray
               ) -> Iterator[pd.DataFrame]:
        """:meth:`frame` one spill row group at a time."""
        for group in self.row_groups():
            yield self.frame(book, cohort, region, [group])
