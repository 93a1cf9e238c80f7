"""The loans on book, kept from call to call by the loan book (:class:`ActiveLoans`).

Every day some thousands of loans are booked and some thousands close, among a few hundred
thousand on book at 1M consumers. The rows on book, and the copies of the fixed columns
the day reads over them (lender, consumer, ...), are kept in arrays with room to grow: the
loans booked are written into the room (no copy of what is kept); the loans that ended are
holes, whose positions are kept, until one compression of each array drops them. The
arrays handed out are views of the kept ones; a view stays valid when loans are appended
(they go past its end) and when holes are dropped (that makes new arrays).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

_ROWS = ""  # the key of the rows among the kept arrays (no column has this name)


def _room(n: int) -> int:
    """The length of an array kept for ``n`` loans: room for some days of new loans."""
    return n + max(n // 8, 4_096)


def _kept(values: np.ndarray) -> np.ndarray:
    out = np.empty(_room(len(values)), dtype=values.dtype)
    out[: len(values)] = values
    return out


class ActiveLoans:
    """Row ids of the loans on book, in row order, and columns over them.

    Args:
        rows: The rows on book (sorted).
    """

    def __init__(self, rows: np.ndarray) -> None:
        self.n = len(rows)
        self._arrays = {_ROWS: _kept(rows)}
        self.holes = np.zeros(0, dtype=np.intp)  # positions of kept rows that ended, sorted

    @property
    def rows(self) -> np.ndarray:
        """The rows on book (a view: treat as read-only)."""
        return self._arrays[_ROWS][: self.n]

    def column(self, name: str, values_of: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """A column over the rows (a view), kept from its first use: ``values_of(rows)``
        gives its values at ``rows``.
        """
        if name not in self._arrays:
            self._arrays[name] = _kept(values_of(self.rows))
        return self._arrays[name][: self.n]

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

    def drop(self) -> None:
        """Drop the holes: the arrays over the loans still on book."""
        at, self.holes = self.holes, np.zeros(0, dtype=np.intp)
        if len(at) == 0:
            return
        keep = np.ones(self.n, dtype=bool)
        keep[at] = False
        kept = np.flatnonzero(keep)
        n = len(kept)
        arrays = {}
        for name, values in self._arrays.items():
            # take into the new array (mode "clip": no buffered copy for index checks;
            # the positions are in range)
            arrays[name] = np.empty(_room(n), dtype=values.dtype)
            values.take(kept, out=arrays[name][:n], mode="clip")
        self._arrays, self.n = arrays, n

    def append(self, new: np.ndarray, values_of: Callable[[str, np.ndarray], np.ndarray]
               ) -> None:
        """Append rows ``new`` (all after the kept ones, sorted); ``values_of(name, new)``
        gives the kept columns' values at them.
        """
        end = self.n + len(new)
        for name, values in self._arrays.items():
            if end > len(values):  # out of room: a longer array
                grown = np.empty(_room(end), dtype=values.dtype)
                grown[: self.n] = values[: self.n]
                values = self._arrays[name] = grown
            values[self.n:end] = new if name == _ROWS else values_of(name, new)
        self.n = end
