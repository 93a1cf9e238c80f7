"""Model monitoring: the population stability index (PSI) of a model's score and of each
of its characteristics, month by month, against the population the model was built on.

    PSI = sum over bins of (a - e) * ln(a / e)

with ``e`` a bin's share in the reference sample and ``a`` its share among the month's
scored applications. The reference is the applications that reached the model in the
``REFERENCE_DAYS`` before it was deployed: the through-the-door population it was built and
validated on. (The booked loans it was fitted on are not a fair reference: they differ
from the applicants by the lender's own selection, so their PSI is high on a market that
never changes, e.g. 0.29 on ``own_active_loans`` in the default market.) Bins are the
reference's deciles (fewer where values repeat:
a yes/no characteristic has two), plus one bin for a missing value; shares are floored at
``SHARE_FLOOR`` so that an empty bin does not make the index infinite. By the usual rule
of thumb, below 0.1 the population is stable, 0.1 to 0.25 it has moved, above
``DRIFT_PSI`` (0.25) the model is scoring a population it was not built on.

The monitor sees at most ``SAMPLE_ROWS`` rows of each day's batch that reach the model
(the first ones: no random draw), so that its cost does not grow with the market.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

N_BINS = 10
SHARE_FLOOR = 1e-4
DRIFT_PSI = 0.25
MONTH_DAYS = 30
SAMPLE_ROWS = 500
REFERENCE_DAYS = 90


def bin_edges(values: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """Inner edges of the deciles of the known (non-NaN) values, without repeats."""
    known = values[~np.isnan(values)]
    if len(known) == 0:
        return np.zeros(0)
    return np.unique(np.quantile(known, np.linspace(0, 1, n_bins + 1)[1:-1]))


def bin_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin: ``len(edges) + 1`` value bins, then the missing-value bin."""
    values = np.asarray(values, dtype=np.float64)
    missing = np.isnan(values)
    bins = np.searchsorted(edges, values[~missing], side="right")
    counts = np.bincount(bins, minlength=len(edges) + 2).astype(np.int64)
    counts[-1] = int(missing.sum())
    return counts


def psi(expected: np.ndarray, actual: np.ndarray) -> float | None:
    """The population stability index of two count vectors (None when either is empty)."""
    if expected.sum() == 0 or actual.sum() == 0:
        return None
    e = np.maximum(expected / expected.sum(), SHARE_FLOOR)
    a = np.maximum(actual / actual.sum(), SHARE_FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


class StabilityMonitor:
    """Monthly PSI of a model's score and characteristics against its reference sample.

    Args:
        names: The characteristics' names (the model's input columns, in order).
    """

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.versions_: list[dict] = []  # per deployed model: its edges and reference counts
        self.months_: dict[tuple[int, int], list[np.ndarray]] = {}  # (month, version) counts
        self.recent_: list[tuple[int, np.ndarray]] = []  # (day, rows): the reference days

    def remember(self, day: int, columns: list[np.ndarray]) -> None:
        """Keep the first ``SAMPLE_ROWS`` rows of a day's applications that reach the
        model (one array per characteristic) for the reference of the next model.
        """
        if len(columns[0]):
            rows = np.column_stack([c[:SAMPLE_ROWS] for c in columns]).astype(np.float32)
            self.recent_.append((day, rows))
        self.recent_ = [(d, r) for d, r in self.recent_ if d > day - REFERENCE_DAYS]

    def train(self, day: int, score: Callable[[np.ndarray], np.ndarray]) -> None:
        """A new model is deployed on ``day``: its reference (the remembered applications
        of the ``REFERENCE_DAYS`` before), scored by ``score``, gives its bins and its
        expected distribution.
        """
        kept = [r for d, r in self.recent_ if day - REFERENCE_DAYS <= d < day]
        if not kept:
            return
        x = np.concatenate(kept)
        columns = [np.asarray(score(x), dtype=np.float64)] + [x[:, j] for j in
                                                               range(x.shape[1])]
        edges = [bin_edges(c.astype(np.float64)) for c in columns]
        self.versions_.append({"day": day, "edges": edges, "expected": [
            bin_counts(c, e) for c, e in zip(columns, edges, strict=True)]})

    def observe(self, day: int, columns: list[np.ndarray], score: np.ndarray) -> None:
        """Count a day's scored applications (at most ``SAMPLE_ROWS``): ``columns`` one
        array per characteristic, ``score`` their PD.
        """
        if not self.versions_ or len(score) == 0:
            return
        version = self.versions_[-1]
        rows = slice(0, SAMPLE_ROWS)
        counts = [bin_counts(c[rows], e) for c, e in zip([score] + list(columns),
                                                         version["edges"], strict=True)]
        key = (day // MONTH_DAYS, len(self.versions_) - 1)
        if key in self.months_:
            for total, add in zip(self.months_[key], counts, strict=True):
                total += add
        else:
            self.months_[key] = counts

    def table(self) -> list[dict]:
        """Per month (of ``MONTH_DAYS`` days from day 0): ``month``, ``first_day``,
        ``applications`` (counted), ``score_psi``, ``characteristic_psi`` (by name) and the
        largest one (``max_characteristic``, ``max_characteristic_psi``); against the
        reference of the model that scored most of the month's applications.
        """
        out = []
        for month in sorted({m for m, _ in self.months_}):
            version = max((v for m, v in self.months_ if m == month),
                          key=lambda v: self.months_[(month, v)][0].sum())
            counts = self.months_[(month, version)]
            expected = self.versions_[version]["expected"]
            values = [psi(e, a) for e, a in zip(expected, counts, strict=True)]
            by_name = {n: v for n, v in zip(self.names, values[1:], strict=True)
                       if v is not None}
            top = max(by_name, key=by_name.get) if by_name else None
            out.append({"month": month, "first_day": month * MONTH_DAYS,
                        "applications": int(counts[0].sum()), "score_psi": values[0],
                        "max_characteristic": top,
                        "max_characteristic_psi": by_name.get(top) if top else None,
                        "characteristic_psi": by_name})
        return out
