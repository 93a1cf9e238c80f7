"""Each lender's borrowers, in consumer-id order, kept from day to day.

Service contacts pick their borrowers at random positions of this list every day. Finding
them afresh (``np.flatnonzero(loans_at[:, lender] > 0)``) scans the whole population, a
millisecond or two per lender at 1M consumers; the lists change by a few thousand
consumers a day. So the lists are kept and updated with the consumers whose loans opened
or ended, and checked against the counters before each use: every listed consumer must
still borrow from the lender, and the lists together must be as long as the non-zero
counters are many. A list that fails (a counter written directly) is rebuilt by the scan.
The lists are therefore always exactly the scan's.
"""

from __future__ import annotations

import numpy as np


class BorrowerLists:
    """Consumers with an active loan at each lender (``loans_at[:, lender] > 0``).

    The population reports the consumers whose counters it changes
    (:meth:`changed`); :meth:`current` returns the lists for today's counters.

    Attributes:
        scans: How many times the lists were built by scanning the counters.
    """

    def __init__(self) -> None:
        self.scans = 0
        self._lists: list[np.ndarray] | None = None
        self._changed: list[np.ndarray] = []
        self._n_changed = 0

    def changed(self, consumers: np.ndarray, n_consumers: int) -> None:
        """Consumers whose loan counters changed since the lists were last updated."""
        if self._lists is None:
            return
        self._changed.append(np.asarray(consumers, dtype=np.intp))
        self._n_changed += len(consumers)
        if self._n_changed > n_consumers // 8:  # cheaper to scan again: forget the lists
            self._lists, self._changed, self._n_changed = None, [], 0

    def current(self, loans_at: np.ndarray) -> list[np.ndarray]:
        """Per lender, the consumers with ``loans_at[:, lender] > 0``, in id order.

        Treat the arrays as read-only.
        """
        lists = self._lists
        if lists is not None and self._changed:
            changed = _distinct(np.concatenate(self._changed))
            lists = [_merge(rows, changed, _cells(loans_at, changed, j) > 0)
                     for j, rows in enumerate(lists)]
        if lists is None or not _hold(lists, loans_at):
            lists = [np.flatnonzero(loans_at[:, j] > 0) for j in range(loans_at.shape[1])]
            self.scans += 1
        self._lists, self._changed, self._n_changed = lists, [], 0
        return lists


def _cells(loans_at: np.ndarray, rows: np.ndarray, lender: int) -> np.ndarray:
    """``loans_at[rows, lender]`` by one flat take (rows sorted: a forward sweep)."""
    if not loans_at.flags.c_contiguous:
        return loans_at[rows, lender]
    return loans_at.reshape(-1).take(rows * loans_at.shape[1] + lender)


def _merge(rows: np.ndarray, changed: np.ndarray, borrowing: np.ndarray) -> np.ndarray:
    """The sorted ``rows`` without the ``changed`` consumers, plus those of them still
    ``borrowing`` (both sorted): the list after the day's openings and closings. Only the
    consumers that left or joined move the list (most changed consumers borrow elsewhere).
    """
    at = np.searchsorted(rows, changed)
    if len(rows):
        listed = rows.take(np.minimum(at, len(rows) - 1)) == changed
    else:
        listed = np.zeros(len(changed), dtype=bool)
    gone = at[listed & ~borrowing]  # sorted, as ``changed`` is
    joined = np.flatnonzero(~listed & borrowing)
    if len(gone):
        rows = np.delete(rows, gone)
    if len(joined) == 0:
        return rows
    # Where each joining consumer goes once the leavers before it are gone.
    to = at.take(joined)
    return np.insert(rows, to - np.searchsorted(gone, to), changed.take(joined))


def _distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` by a sort (a few times faster for a day's consumer ids)."""
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if len(values) \
        else values


def _hold(lists: list[np.ndarray], loans_at: np.ndarray) -> bool:
    """Whether the lists are exactly the consumers with a positive counter: every one
    listed has one, and there are as many listed as non-zero counters.
    """
    if sum(len(rows) for rows in lists) != np.count_nonzero(loans_at):
        return False
    return all(bool((_cells(loans_at, rows, j) > 0).all()) for j, rows in enumerate(lists))
