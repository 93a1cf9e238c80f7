"""The loans on book, kept from call to call by the loan book (:class:`ActiveLoans`).

Every day some thousands of loans are booked and some thousands close, among a few hundred
thousand on book at 1M consumers. Rather than scan the whole book for ``status == ACTIVE``
on every call, :class:`~simfin.lending.loan_book.LoanBook` keeps the rows on book here,
with copies of the fixed columns the day reads over them (lender, consumer, ...), each a
:class:`~simfin.lending.growable_column.GrowableColumn`. This docstring is the one
statement of the cache's invariant; the loan book refers to it.

**Which rows are kept.** The kept rows are, in row (booking) order, every loan whose status
was ``ACTIVE`` when the cache was built or when it last caught up with the book, and every
loan booked since whose status was ``ACTIVE`` when it was appended. The loan book catches
up on every read (:meth:`LoanBook._kept`): the loans booked since its last read are
appended (they all come after the kept rows, so row order holds); the room of each column
takes them without copying what is kept.

**What a hole is.** A loan taken off the book (closed, written off) through
:meth:`LoanBook.set_status` is not removed at once: its position among the kept rows is
recorded in :attr:`ActiveLoans.holes` (sorted, distinct) and its row and column values stay
where they are. A loan set back to ``ACTIVE`` cannot be inserted in order, so the loan
book discards the cache and the next read scans the book again.

**When compaction happens.** :meth:`ActiveLoans.drop` removes every hole in one pass over
each kept array (new arrays: room for some days of new loans). :meth:`ActiveLoans.settle`
calls it when an exact read asks (``LoanBook.active_rows``, ``LoanBook.active``), and
otherwise only once the holes exceed one in :data:`MAX_HOLE_SHARE` of the kept rows, so
the day's servicing (``LoanBook.rows_kept``) drops the ended loans every few days instead
of every day.

**What readers may assume.** After an exact read the kept rows are exactly
``np.flatnonzero(status == ACTIVE)``, and the kept columns are the book's fixed columns
at them. After a read through ``rows_kept`` they are those rows and the holes (at most one
in ``MAX_HOLE_SHARE`` more), in row order: a reader must check the status of the rows it
uses, or give each hole a term that changes nothing. The arrays handed out are views of
the kept ones, to treat as read-only; a view keeps its values when loans are appended (they
go past its end, or into a new array) and when holes are dropped (that makes new arrays),
so it is the rows on book as of the read that returned it.

**The zero-term sums.** A sum over the loans on book may run over the kept rows with a
zero term at each hole instead of compacting first (``LoanBook.by_lender``): adding +0.0
to a sum that starts at +0.0 never changes it, and a running sum in row order meets the
other terms in the same order, so the result is the same bit for bit; counts subtract the
holes' counts.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simfin.lending.growable_column import GrowableColumn

MAX_HOLE_SHARE = 16  # holes kept while at most one in this many kept rows
_ROWS = ""  # the key of the rows among the kept arrays (no column has this name)


def _room(size: int, capacity: int = 0) -> int:
    """The capacity of an array kept for ``size`` loans: room for some days of new loans."""
    return size + max(size // 8, 4_096)


def _kept(values: np.ndarray) -> GrowableColumn:
    return GrowableColumn(values, fill=None, room=_room)


class ActiveLoans:
    """Row ids of the loans on book, in row order, and columns over them (the invariant:
    the module's docstring).

    Args:
        rows: The rows on book (sorted).
    """

    def __init__(self, rows: np.ndarray) -> None:
        self.n = len(rows)
        self._arrays = {_ROWS: _kept(rows)}
        self.holes = np.zeros(0, dtype=np.intp)  # positions of kept rows that ended, sorted

    @property
    def rows(self) -> np.ndarray:
        """The rows kept (a view: treat as read-only)."""
        return self._arrays[_ROWS].array[: self.n]

    def column(self, name: str, values_of: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """A column over the rows (a view), kept from its first use: ``values_of(rows)``
        gives its values at ``rows``.
        """
        if name not in self._arrays:
            self._arrays[name] = _kept(values_of(self.rows))
        return self._arrays[name].array[: self.n]

    def end(self, rows: np.ndarray) -> None:
        """Loans ``rows`` ended (any order; rows not kept are ignored): they become holes,
        kept until :meth:`drop`.
        """
        if self.n == 0 or len(rows) == 0:
            return
        rows = np.sort(rows)  # sorted keys: a faster binary search
        at = np.minimum(np.searchsorted(self.rows, rows), self.n - 1)
        at = np.concatenate([self.holes, at[self.rows.take(at) == rows]])
        at.sort()
        self.holes = at[np.concatenate(([True], at[1:] != at[:-1]))] if len(at) else at

    def settle(self, exact: bool) -> None:
        """Drop the holes if ``exact`` is asked for or they exceed one in
        :data:`MAX_HOLE_SHARE` of the kept rows.
        """
        holes = len(self.holes)
        if holes and (exact or MAX_HOLE_SHARE * holes > self.n):
            self.drop()

    def drop(self) -> None:
        """Drop the holes: the arrays over the loans still on book."""
        at, self.holes = self.holes, np.zeros(0, dtype=np.intp)
        if len(at) == 0:
            return
        keep = np.ones(self.n, dtype=bool)
        keep[at] = False
        kept = np.flatnonzero(keep)
        for column in self._arrays.values():
            column.keep(kept)
        self.n = len(kept)

    def append(self, new: np.ndarray, values_of: Callable[[str, np.ndarray], np.ndarray]
               ) -> None:
        """Append rows ``new`` (all after the kept ones, sorted); ``values_of(name, new)``
        gives the kept columns' values at them.
        """
        end = self.n + len(new)
        for name, column in self._arrays.items():
            values = column.reserve(end, used=self.n)
            values[self.n:end] = new if name == _ROWS else values_of(name, new)
        self.n = end
