"""The folded logistic scorer equals scikit-learn's predict_proba."""

from __future__ import annotations

import numpy as np
import pytest

from simfin.lending.linear import fold_linear
from simfin.lending.registry import SCORERS
from simfin.lending.scoring import MODEL_FEATURES, ScoringStage


def training_data(seed: int, n: int = 4_000):
    rng = np.random.default_rng(seed)
    k = len(MODEL_FEATURES)
    x = (rng.standard_normal((n, k)) * rng.uniform(0.1, 50, k) + rng.uniform(-5, 5, k)
         ).astype(np.float32)
    x[rng.random((n, k)) < 0.25] = np.nan  # missing data everywhere...
    x[:, 3] = np.nan  # ...one feature never observed...
    x[:, 5] = 1.0  # ...and one constant
    z = 0.3 * np.nan_to_num(x[:, 0]) - 0.02 * np.nan_to_num(x[:, 1]) + np.isnan(x[:, 2])
    bad = rng.random(n) < 1 / (1 + np.exp(-(z - 1)))
    return x, bad


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fast_path_matches_predict_proba(seed):
    x, bad = training_data(seed)
    stage = ScoringStage(SCORERS.get("logistic"), 0.15, 10, 0)
    assert stage.fit(x, bad)
    assert stage.folded_ is not None
    test_x, _ = training_data(seed + 100, 2_000)
    fast = stage.predict_pd(test_x)
    filled = test_x.copy()
    filled[:, stage.unobserved_] = 0.0
    slow = stage.estimator_.predict_proba(filled)[:, 1]
    assert fast.dtype == np.float32
    np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-5)


def test_other_estimators_are_not_folded():
    x, bad = training_data(3)
    stage = ScoringStage(SCORERS.get("gbm"), 0.15, 10, 0)
    assert stage.fit(x, bad)
    assert stage.folded_ is None
    assert fold_linear(stage.estimator_, x.shape[1]) is None
    assert stage.predict_pd(x).shape == (len(x),)
