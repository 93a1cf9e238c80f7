"""weighted_pick: one uniform per row, a column in proportion to its weight."""

from __future__ import annotations

import numpy as np
import pytest

from simfin.agents.channel import weighted_pick


def _reference_pick(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The inverse CDF written plainly: row totals by ``sum``, cumulative shares by
    ``cumsum``, the first column whose share reaches the draw."""
    total = weights.sum(axis=1)
    u = rng.random(len(weights))
    share = np.cumsum(weights, axis=1) / np.where(total > 0, total, 1.0)[:, None]
    pick = np.minimum((u[:, None] > share).sum(axis=1), weights.shape[1] - 1)
    return np.where(total > 0, pick, -1)


@pytest.mark.parametrize("k", [1, 2, 3, 5, 7, 8, 11])
@pytest.mark.parametrize("layout", ["rows", "transposed"])
def test_same_picks_as_the_plain_inverse_cdf(k, layout):
    rng = np.random.default_rng(k)
    n = 5_000
    weights = rng.random((n, k)) * rng.uniform(0.01, 100, k)
    weights[rng.random((n, k)) < 0.4] = 0.0  # many rows with some, a few with no weight
    if layout == "transposed":
        weights = np.ascontiguousarray(weights.T).T  # columns contiguous
    picks = weighted_pick(weights, np.random.default_rng(7))
    np.testing.assert_array_equal(picks, _reference_pick(weights, np.random.default_rng(7)))
    assert (picks == -1).any() == (weights.sum(axis=1) == 0).any()


def test_picks_follow_the_weights():
    weights = np.tile([1.0, 0.0, 3.0], (40_000, 1))
    picks = weighted_pick(weights, np.random.default_rng(0))
    assert set(np.unique(picks)) == {0, 2}
    assert abs((picks == 2).mean() - 0.75) < 0.01
