"""One column of values in an array with spare room at its end (:class:`GrowableColumn`).

The loan book, its active rows and a lender's ring graph all keep arrays that gain values
every day. Each keeps its values in a longer array and writes new values into the spare
room through a slice, so a day's additions copy nothing already kept; only when the room
runs out is a longer array made (the kept values copied once). Growth makes a *new*
array: a view handed out before it keeps pointing at the old one, whose values do not
change, so a reader's view stays as it was (it does not see later writes).

:class:`GrowableColumn` holds such an array with its fill and growth rule; :func:`grown`
is its one growth step, for state that is an array itself (a stage's learned arrays).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def doubling(size: int, capacity: int) -> int:
    """The default growth: at least ``size``, and at least twice the current capacity."""
    return max(size, 2 * capacity)


def powers_of_two(size: int, capacity: int) -> int:
    """Growth to the power of two at or above ``size`` (at least 16), whatever the current
    capacity: for arrays grown to one another's lengths, whose lengths then settle
    (under :func:`doubling` each growth to the other's length would double it again).
    """
    return 1 << max(int(size - 1).bit_length(), 4)


def _new(capacity: int, dtype: np.dtype, fill: object) -> np.ndarray:
    if fill is None:
        return np.empty(capacity, dtype=dtype)
    return np.full(capacity, fill, dtype=dtype)


def grown(array: np.ndarray, size: int, fill: object = 0,
          room: Callable[[int, int], int] = doubling, used: int | None = None) -> np.ndarray:
    """``array`` if it holds ``size`` values, else a longer copy (``array`` unchanged).

    Args:
        array: The storage.
        size: The number of positions needed.
        fill: The value of the new room; None leaves it unset.
        room: The capacity of the longer array, from ``size`` and ``len(array)``.
        used: How many leading values to copy (default: all of ``array``).
    """
    if size <= len(array):
        return array
    out = _new(room(size, len(array)), array.dtype, fill)
    kept = len(array) if used is None else used
    out[:kept] = array[:kept]
    return out


class GrowableColumn:
    """A one-dimensional array of one dtype, grown (never shrunk in place) as needed.

    Args:
        values: The initial storage: an array (copied into a column of capacity
            ``room(len(values), 0)``) or a dtype (an empty column of capacity ``capacity``).
        capacity: The initial capacity when ``values`` is a dtype.
        fill: The value of the room (positions past what was written); None leaves the
            room unset (``np.empty``), for columns whose room is always written before read.
        room: The capacity of a grown column, from the size needed and the current capacity
            (default :func:`doubling`).

    Attributes:
        array: The whole storage, room included; index or slice it to read and write.
    """

    def __init__(self, values: np.ndarray | type | np.dtype, capacity: int = 0,
                 fill: object = 0, room: Callable[[int, int], int] = doubling) -> None:
        self.fill, self.room = fill, room
        if isinstance(values, np.ndarray):
            self.array = _new(room(len(values), 0), values.dtype, fill)
            self.array[: len(values)] = values
        else:
            self.array = _new(capacity, np.dtype(values), fill)

    def __len__(self) -> int:
        return len(self.array)

    @property
    def dtype(self) -> np.dtype:
        """The column's dtype (kept through growth)."""
        return self.array.dtype

    @property
    def nbytes(self) -> int:
        """Bytes held, room included."""
        return self.array.nbytes

    def reserve(self, size: int, used: int | None = None) -> np.ndarray:
        """Make room for ``size`` values; returns the storage (a new array if it grew).

        Args:
            size: The number of positions needed.
            used: How many leading values to keep if it grows (default: all the storage).
        """
        self.array = grown(self.array, size, self.fill, self.room, used)
        return self.array

    def keep(self, positions: np.ndarray) -> np.ndarray:
        """Keep only the values at ``positions`` (in range, in the order given), at the
        start of a new array of capacity ``room(len(positions), 0)``; returns the storage.
        """
        n = len(positions)
        kept = _new(self.room(n, 0), self.array.dtype, self.fill)
        # mode "clip": no buffered copy for index checks (the positions are in range)
        self.array.take(positions, out=kept[:n], mode="clip")
        self.array = kept
        return kept
