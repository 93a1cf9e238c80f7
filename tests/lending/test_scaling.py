"""BlockScaler fits exactly what scikit-learn's StandardScaler fits, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

from simfin.lending import scaling
from simfin.lending.scaling import BlockScaler

FITTED = ("mean_", "var_", "scale_", "n_samples_seen_", "n_features_in_")


def _assert_same_fit(ours: StandardScaler, theirs: StandardScaler) -> None:
    for name in FITTED:
        a, b = getattr(ours, name), getattr(theirs, name)
        assert type(a) is type(b), name
        assert np.asarray(a).dtype == np.asarray(b).dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)


@pytest.mark.parametrize("n", [2, 3, 1023, 1024, 1025, 2049, 7_001])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_statistics_and_output(n, dtype):
    rng = np.random.default_rng(n)
    x = (rng.standard_normal((n, 7)) * rng.uniform(0.01, 1e4, 7)
         + rng.uniform(-1e5, 1e5, 7)).astype(dtype)
    x[:, 3] = 2.5  # constant: its scale is 1
    x[:, 5] = (rng.random(n) < 0.1)  # an indicator column
    ours, theirs = BlockScaler().fit(x), StandardScaler().fit(x)
    _assert_same_fit(ours, theirs)
    assert ours.scale_[3] == 1.0
    np.testing.assert_array_equal(ours.transform(x), theirs.transform(x))


def test_blocks_smaller_than_the_data_give_the_same_sums(monkeypatch):
    # Many blocks, each carrying the running sums into the next.
    monkeypatch.setattr(scaling, "BLOCK_ROWS", 7)
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((1_000, 4)) * 1e3 + 1e6).astype(np.float32)
    _assert_same_fit(BlockScaler().fit(x), StandardScaler().fit(x))


def test_in_place_transform_and_fit_transform():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((500, 3)).astype(np.float32) * 9 + 4
    expected = StandardScaler().fit_transform(x)
    work = x.copy()
    out = BlockScaler(copy=False).fit_transform(work)
    np.testing.assert_array_equal(out, expected)
    assert np.shares_memory(out, work)


def test_infinite_data_is_refused_as_by_the_parent():
    x = np.ones((20, 2))
    x[4, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        StandardScaler().fit(x)
    with pytest.raises(ValueError, match="infinity"):
        BlockScaler().fit(x)


@pytest.mark.parametrize("case", ["nan", "weights", "no_mean", "one_row"])
def test_other_inputs_fall_back_to_the_parent(case):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((50, 3))
    kwargs, fit_kwargs = {}, {}
    if case == "nan":
        x[::7, 1] = np.nan
    elif case == "weights":
        fit_kwargs["sample_weight"] = rng.random(50)
    elif case == "no_mean":
        kwargs["with_mean"] = False
    else:
        x = x[:1]
    ours = BlockScaler(**kwargs).fit(x, **fit_kwargs)
    theirs = StandardScaler(**kwargs).fit(x, **fit_kwargs)
    for name in ("mean_", "var_", "scale_", "n_samples_seen_"):
        np.testing.assert_array_equal(getattr(ours, name), getattr(theirs, name))
