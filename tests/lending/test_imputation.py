"""MedianImputer fits exactly what scikit-learn's median SimpleImputer fits."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.impute import SimpleImputer

from simfin.lending.imputation import MedianImputer


@pytest.mark.parametrize("seed", range(8))
def test_same_medians_indicator_and_output(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 3_000))
    x = np.round(rng.standard_normal((n, 6)) * 100, int(rng.integers(0, 3))).astype(np.float32)
    x[rng.random(x.shape) < 0.4] = np.nan
    x[:, 2] = np.nan  # never observed
    x[:, 4] = 7.0  # never missing
    kwargs = {"strategy": "median", "add_indicator": True, "keep_empty_features": True}
    ours, theirs = MedianImputer(**kwargs).fit(x), SimpleImputer(**kwargs).fit(x)
    assert ours.statistics_.dtype == theirs.statistics_.dtype
    np.testing.assert_array_equal(ours.statistics_, theirs.statistics_)
    np.testing.assert_array_equal(ours.indicator_.features_, theirs.indicator_.features_)
    np.testing.assert_array_equal(ours.transform(x), theirs.transform(x))


def test_other_strategies_fall_back_to_the_parent():
    x = np.array([[1.0, np.nan], [3.0, 4.0], [np.nan, 8.0]])
    ours = MedianImputer(strategy="mean").fit(x)
    np.testing.assert_array_equal(ours.statistics_, [2.0, 6.0])


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("indicator", [True, False])
def test_fit_transform_is_the_parents(seed, dtype, indicator):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 2_000))
    x = np.round(rng.standard_normal((n, 5)) * 50, 1).astype(dtype)
    x[rng.random(x.shape) < 0.3] = np.nan
    x[:, 1] = np.nan  # never observed
    x[:, 3] = 2.0  # never missing
    kwargs = {"strategy": "median", "add_indicator": indicator, "keep_empty_features": True}
    ours = MedianImputer(**kwargs).fit_transform(x.copy())
    theirs = SimpleImputer(**kwargs).fit_transform(x.copy())
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


def test_fit_transform_rejects_infinity_like_the_parent():
    x = np.array([[1.0, np.nan], [np.inf, 4.0], [3.0, 8.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="infinity"):
        SimpleImputer(strategy="median").fit_transform(x)
    with pytest.raises(ValueError, match="infinity"):
        MedianImputer(strategy="median").fit_transform(x)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("indicator", [True, False])
def test_transform_of_new_rows_is_the_parents(seed, indicator):
    # As in validation: fitted on older rows, applied to newer ones, whose missing cells
    # may fall in columns that were complete at the fit.
    rng = np.random.default_rng(seed)
    old, new = (np.round(rng.standard_normal((n, 5)) * 50, 1).astype(np.float32)
                for n in (400, 150))
    old[rng.random(old.shape) < 0.3] = np.nan
    old[:, 3] = 2.0  # never missing at the fit
    new[rng.random(new.shape) < 0.3] = np.nan
    kwargs = {"strategy": "median", "add_indicator": indicator, "keep_empty_features": True}
    ours, theirs = MedianImputer(**kwargs).fit(old), SimpleImputer(**kwargs).fit(old)
    out = ours.transform(new)
    assert out.dtype == theirs.transform(new).dtype
    np.testing.assert_array_equal(out, theirs.transform(new))
    with pytest.raises(ValueError, match="features"):
        ours.transform(new[:, :4])
