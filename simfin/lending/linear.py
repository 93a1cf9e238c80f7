"""A fitted linear scorer folded into one weight vector: the fast path of the scoring stage.

scikit-learn's logistic pipeline (``SimpleImputer`` -> ``StandardScaler`` ->
``LogisticRegression``, see :func:`simfin.lending.scoring.make_logistic`) is an affine map
of the inputs once fitted. Imputation, missing-value indicators and scaling fold into a
weight and a "missing" term per input:

    z = intercept + sum_j (missing_j ? nan_term_j : weight_j * x_j),    pd = 1 / (1 + e^-z)

which equals ``predict_proba(x)[:, 1]`` up to float rounding and is computed one feature
column at a time in float32, with no copy of the feature matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FoldedLinear:
    """``z = intercept + sum_j term_j(x_j)``; ``term_j`` is ``weight_j * x_j``, or
    ``nan_term_j`` where ``x_j`` is missing (NaN).

    Attributes:
        intercept: The constant, float32.
        weights: Per input column, float32.
        nan_terms: Per input column, the term of a missing value, float32.
    """

    intercept: np.float32
    weights: np.ndarray
    nan_terms: np.ndarray

    def decision(self, columns: Sequence[np.ndarray]) -> np.ndarray:
        """The linear score ``z`` (float32) of rows given as one array per input column."""
        n = len(columns[0])
        z = np.full(n, self.intercept, dtype=np.float32)
        term = np.empty(n, dtype=np.float32)
        for col, w, a in zip(columns, self.weights, self.nan_terms, strict=True):
            if w == 0 and a == 0:
                continue
            np.multiply(col, w, out=term)
            if np.isnan(a):  # no imputer: a missing input makes the score missing
                z += term
                continue
            missing = np.isnan(term)
            if missing.any():
                # Zero the missing terms through their bits (no branch per row), then
                # add the missing term where it applies.
                bits = term.view(np.int32)
                np.bitwise_and(bits, (~missing).view(np.int8) * np.int32(-1), out=bits)
                if a != 0:
                    term += missing * a
            z += term
        return z

    def predict_pd(self, columns: Sequence[np.ndarray]) -> np.ndarray:
        """Probability of the positive class (float32), ``1 / (1 + exp(-z))``."""
        z = self.decision(columns)
        with np.errstate(over="ignore"):
            np.negative(z, out=z)
            np.exp(z, out=z)
        z += np.float32(1.0)
        return np.reciprocal(z, out=z)


def fold_linear(estimator: object, n_features: int) -> FoldedLinear | None:
    """Fold a fitted binary ``LogisticRegression``, optionally behind a ``SimpleImputer``
    and a ``StandardScaler`` in a ``Pipeline``, into a :class:`FoldedLinear`.

    Returns None for any other estimator (it is then used through ``predict_proba``).
    """
    # scikit-learn is loaded by then (the estimator was fitted); imported here so that
    # importing simfin does not load it.
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    steps = [s for _, s in estimator.steps] if isinstance(estimator, Pipeline) else [estimator]
    model, pre = steps[-1], steps[:-1]
    if (type(model) is not LogisticRegression or model.coef_.shape[0] != 1
            or list(model.classes_) != [0, 1]):
        return None
    imputer = pre.pop(0) if pre and isinstance(pre[0], SimpleImputer) else None
    scaler = pre.pop(0) if pre and isinstance(pre[0], StandardScaler) else None
    if pre:
        return None
    # The columns the logistic regression sees, as (input column, is indicator).
    fill = np.full(n_features, np.nan)
    columns = [(j, False) for j in range(n_features)]
    if imputer is not None:
        if not _nan_imputer(imputer, n_features):
            return None
        fill = np.asarray(imputer.statistics_, dtype=np.float64)
        if imputer.add_indicator:
            columns += [(int(j), True) for j in imputer.indicator_.features_]
    coef = model.coef_[0].astype(np.float64)
    if len(coef) != len(columns):
        return None
    mean, scale = np.zeros(len(coef)), np.ones(len(coef))
    if scaler is not None:
        mean = scaler.mean_ if scaler.mean_ is not None else mean
        scale = scaler.scale_ if scaler.scale_ is not None else scale
    slope = coef / scale
    intercept = float(model.intercept_[0]) - float(slope @ mean)
    weights, nan_terms = np.zeros(n_features), np.zeros(n_features)
    for (j, indicator), s in zip(columns, slope, strict=True):
        if indicator:
            nan_terms[j] += s
        else:
            weights[j] = s
            nan_terms[j] += s * fill[j] if not np.isnan(fill[j]) else 0.0
    if imputer is None:
        nan_terms[:] = np.nan  # a missing input stays missing, as in predict_proba
    return FoldedLinear(np.float32(intercept), weights.astype(np.float32),
                        nan_terms.astype(np.float32))


def _nan_imputer(imputer: object, n_features: int) -> bool:
    """Whether the imputer fills NaNs and keeps every column (the case that folds)."""
    missing = imputer.missing_values
    stats = np.asarray(imputer.statistics_, dtype=np.float64)
    kept = imputer.keep_empty_features or not np.isnan(stats).any()
    return (isinstance(missing, float) and np.isnan(missing) and kept
            and len(stats) == n_features)
