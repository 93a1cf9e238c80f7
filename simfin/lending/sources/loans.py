"""A consumer's loans at a set of lenders, from the population's (consumer, lender)
counters: the bureau's multi-lending and the consortium's records read them.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def loans_at(population: Any, rows: np.ndarray, lenders: np.ndarray,
             start: np.ndarray | int = 0, counts: np.ndarray | None = None) -> np.ndarray:
    """``start`` plus each row's count at the lenders where ``lenders`` is True.

    Args:
        population: The consumers (``loans_at``: active loans per consumer and lender).
        rows: Consumer ids.
        lenders: Boolean per lender: whose loans count.
        start: Count to add to (loans outside the market).
        counts: The (consumer, lender) counters to read; None: ``population.loans_at``.
    """
    total = np.asarray(start, dtype=np.int16) + np.zeros(len(rows), dtype=np.int16)
    if lenders.any():
        # Flat indexes into the (consumer, lender) counters: take() on a column view
        # would copy the whole column first, and take() of whole rows is slow.
        counts = population.loans_at if counts is None else counts
        flat, first = counts.reshape(-1), np.asarray(rows) * len(lenders)
        for j in np.flatnonzero(lenders):
            total += flat.take(first + j)
    return total
