"""Reject inference: what a lender's model learns about the applicants it declined.

A lender observes outcomes only for the loans it booked, so its model is trained on the
approved and extrapolates to the declined. Reject inference adds the declined applicants
(their features as the lender saw them in its application batches) to the training data
with an inferred outcome, or re-weights the booked loans. A method is a function
registered in ``REJECT_INFERENCE`` and chosen by name in ``risk.model.reject_inference``::

    from simfin.lending import register_reject_inference
    from simfin.lending.reject_inference import TrainingSet

    @register_reject_inference("hard_cutoff")
    def hard_cutoff(accepted, rejects, fit, rng, weight):
        # every declined applicant labelled bad (a naive classic)
        n = len(rejects)
        return accepted.extended(rejects, np.ones(n, bool), np.full(n, weight))

Arguments: ``accepted`` (a :class:`TrainingSet` of the booked loans with their labels),
``rejects`` (float32 feature matrix of declined applications, columns as
``MODEL_FEATURES``), ``fit`` (fits a fresh copy of the lender's estimator on ``(x, bad,
sample_weight)`` and returns it, with ``predict_proba``), ``rng`` (the lender's random
stream) and ``weight`` (``risk.model.reject_weight``: the weight of one declined
applicant relative to one booked loan). Returns the training set the model is fitted on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simfin.lending.registry import register_reject_inference

Fitter = Callable[[np.ndarray, np.ndarray, np.ndarray | None], object]
MAX_AUGMENTATION_WEIGHT = 20.0  # inverse approval probabilities are capped here
PARCEL_BANDS = 10  # score bands of parcelling (deciles of the booked loans' scores)


@dataclass
class TrainingSet:
    """Rows to fit on: features, labels (bad = 30+ DPD) and sample weights (None: 1)."""

    x: np.ndarray
    bad: np.ndarray
    weight: np.ndarray | None = None

    def weights(self) -> np.ndarray:
        """The sample weights (ones when None)."""
        return np.ones(len(self.bad)) if self.weight is None else self.weight

    def extended(self, x: np.ndarray, bad: np.ndarray, weight: np.ndarray) -> TrainingSet:
        """These rows followed by ``x`` with labels ``bad`` and weights ``weight``."""
        return TrainingSet(np.concatenate([self.x, x]), np.concatenate([self.bad, bad]),
                           np.concatenate([self.weights(), weight]))


def fit_weighted(estimator: object, x: np.ndarray, bad: np.ndarray,
                 weight: np.ndarray | None) -> object:
    """``estimator.fit`` with sample weights (to a pipeline's last step); without weights
    exactly ``estimator.fit(x, bad)``.
    """
    if weight is None:
        return estimator.fit(x, bad)
    steps = getattr(estimator, "steps", None)
    key = f"{steps[-1][0]}__sample_weight" if steps else "sample_weight"
    return estimator.fit(x, bad, **{key: weight})


def _scores(model: object, x: np.ndarray) -> np.ndarray:
    return model.predict_proba(x)[:, 1].astype(np.float64)


@register_reject_inference("none")
def no_inference(accepted: TrainingSet, rejects: np.ndarray, fit: Fitter,
                 rng: np.random.Generator, weight: float) -> TrainingSet:
    """The booked loans alone (selection bias left as it is)."""
    return accepted


@register_reject_inference("augmentation")
def augmentation(accepted: TrainingSet, rejects: np.ndarray, fit: Fitter,
                 rng: np.random.Generator, weight: float) -> TrainingSet:
    """Re-weighting: each booked loan weighs 1 / P(approved | features), the approval
    probability from a logistic regression of booked vs declined applications, capped at
    ``MAX_AUGMENTATION_WEIGHT`` and scaled to a mean of 1. Booked loans that look like the
    declined ones stand in for them; the declined get no label.
    """
    from simfin.lending.registry import SCORERS

    if len(rejects) == 0:
        return accepted
    x = np.concatenate([accepted.x, rejects])
    approved = np.concatenate([np.ones(len(accepted.bad), bool),
                               np.zeros(len(rejects), bool)])
    p = _scores(SCORERS.create("logistic").fit(x, approved), accepted.x)
    w = np.minimum(1.0 / np.maximum(p, 1e-6), MAX_AUGMENTATION_WEIGHT) * accepted.weights()
    return TrainingSet(accepted.x, accepted.bad, w / w.mean())


@register_reject_inference("fuzzy")
def fuzzy_augmentation(accepted: TrainingSet, rejects: np.ndarray, fit: Fitter,
                       rng: np.random.Generator, weight: float) -> TrainingSet:
    """Fuzzy augmentation: a model fitted on the booked loans scores each declined
    applicant (PD ``p``); it enters twice, as bad with weight ``weight * p`` and as good
    with weight ``weight * (1 - p)``.
    """
    if len(rejects) == 0:
        return accepted
    p = _scores(fit(accepted.x, accepted.bad, accepted.weight), rejects)
    n = len(rejects)
    return accepted.extended(np.concatenate([rejects, rejects]),
                             np.concatenate([np.ones(n, bool), np.zeros(n, bool)]),
                             weight * np.concatenate([p, 1.0 - p]))


@register_reject_inference("parcelling")
def parcelling(accepted: TrainingSet, rejects: np.ndarray, fit: Fitter,
               rng: np.random.Generator, weight: float) -> TrainingSet:
    """Parcelling: a model fitted on the booked loans scores everyone; in each score band
    (deciles of the booked loans' scores) the declined are labelled bad at random with the
    band's observed bad rate among booked loans (the declined above the top band take the
    top band's rate). Each declined applicant weighs ``weight``.
    """
    if len(rejects) == 0:
        return accepted
    model = fit(accepted.x, accepted.bad, accepted.weight)
    booked_score, reject_score = _scores(model, accepted.x), _scores(model, rejects)
    edges = np.unique(np.quantile(booked_score, np.linspace(0, 1, PARCEL_BANDS + 1)[1:-1]))
    band_of_booked = np.searchsorted(edges, booked_score)
    w = accepted.weights()
    bads = np.bincount(band_of_booked, w * accepted.bad, minlength=len(edges) + 1)
    loans = np.bincount(band_of_booked, w, minlength=len(edges) + 1)
    rate = (bads + 0.5) / (loans + 1.0)  # a band's bad rate, shrunk a little towards 1/2
    drawn = rng.random(len(rejects)) < rate[np.searchsorted(edges, reject_score)]
    return accepted.extended(rejects, drawn, np.full(len(rejects), float(weight)))


def fit_inferred(estimator: object, method: str, x: np.ndarray, bad: np.ndarray,
                 rejects: np.ndarray, rng: np.random.Generator, weight: float) -> object:
    """A fresh copy of ``estimator`` fitted on the booked loans (``x``, ``bad``) and the
    declined applications (``rejects``) by the reject-inference ``method`` registered in
    ``REJECT_INFERENCE``.
    """
    from sklearn.base import clone

    from simfin.lending.registry import REJECT_INFERENCE

    def fit(x_: np.ndarray, bad_: np.ndarray, w: np.ndarray | None) -> object:
        return fit_weighted(clone(estimator), x_, np.asarray(bad_).astype(np.int8), w)

    data = REJECT_INFERENCE.create(method, TrainingSet(x, bad), rejects, fit, rng, weight)
    return fit(data.x, data.bad, data.weight)
