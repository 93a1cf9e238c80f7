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

A method marked with :func:`reads_later_records` is also given ``records=``, the
:class:`LaterRecords` of the declined applicants whose later repayment record the lender
pulled (performance inference, :mod:`simfin.lending.performance_inference`); the lender
pulls (and pays for) them only for such a method.
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


@dataclass
class LaterRecords:
    """Declined applications whose later record the lender pulled (a retro pull), as it
    saw them when it declined them.

    Attributes:
        x: Their model inputs (float32, columns as ``MODEL_FEATURES``).
        observed: Whether the pull found a loan the applicant took elsewhere (or back at
            this lender) soon after the decline, with a whole performance window behind it.
        bad: Whether that loan went 30+ days past due (False where not observed).
    """

    x: np.ndarray
    observed: np.ndarray
    bad: np.ndarray

    def zero_filled(self, columns: np.ndarray) -> LaterRecords:
        """These records with the feature ``columns`` (a boolean mask) set to 0."""
        if not columns.any():
            return self
        x = self.x.copy()
        x[:, columns] = 0.0
        return LaterRecords(x, self.observed, self.bad)

    @classmethod
    def empty(cls, n_features: int) -> LaterRecords:
        """No records."""
        return cls(np.zeros((0, n_features), np.float32), np.zeros(0, bool), np.zeros(0, bool))


def reads_later_records(method: Callable) -> Callable:
    """Mark a reject-inference method as one that reads :class:`LaterRecords` (it is
    called with ``records=``); use it under ``register_reject_inference``.
    """
    method.reads_later_records = True
    return method


def reads_records(name: str) -> bool:
    """Whether the reject-inference method registered as ``name`` reads later records."""
    from simfin.lending.registry import REJECT_INFERENCE

    return bool(getattr(REJECT_INFERENCE.get(name), "reads_later_records", False))


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


@register_reject_inference("bureau_performance")
@reads_later_records
def bureau_performance(accepted: TrainingSet, rejects: np.ndarray, fit: Fitter,
                       rng: np.random.Generator, weight: float,
                       records: LaterRecords) -> TrainingSet:
    """Performance inference: each declined applicant whose later loan the lender found
    (in the bureau, the consortium or its own book) enters with that loan's outcome, with
    weight ``weight``; the unobserved are left out.

    Weighting them up by 1 / their chance of being found, so that they stand for every
    declined applicant like them, lets a few dozen labelled rule declines with a handful
    of bads swing the model: on the default market it ranked everyone worse (AUC 0.58
    against 0.66).
    """
    seen = records.observed
    return accepted.extended(records.x[seen], records.bad[seen],
                             np.full(int(seen.sum()), float(weight)))


@register_reject_inference("bureau_performance_fuzzy")
@reads_later_records
def bureau_performance_fuzzy(accepted: TrainingSet, rejects: np.ndarray, fit: Fitter,
                             rng: np.random.Generator, weight: float,
                             records: LaterRecords) -> TrainingSet:
    """Performance inference, then fuzzy augmentation of the rest: the declined applicants
    whose later loan was found enter with its outcome (weight ``weight`` each); a model
    fitted on the booked loans and them scores every other declined applicant kept (the
    pulled but unobserved, and those of the reject window), each added as bad and as good
    weighted by that PD, as in ``fuzzy``.
    """
    seen = records.observed
    labelled = accepted.extended(records.x[seen], records.bad[seen],
                                 np.full(int(seen.sum()), float(weight)))
    return fuzzy_augmentation(labelled, np.concatenate([records.x[~seen], rejects]), fit,
                              rng, weight)


def fit_inferred(estimator: object, method: str, x: np.ndarray, bad: np.ndarray,
                 rejects: np.ndarray, rng: np.random.Generator, weight: float,
                 records: LaterRecords | None = None) -> object:
    """A fresh copy of ``estimator`` fitted on the booked loans (``x``, ``bad``) and the
    declined applications (``rejects``; ``records``, for a method that reads them) by the
    reject-inference ``method`` registered in ``REJECT_INFERENCE``.
    """
    from sklearn.base import clone

    from simfin.lending.registry import REJECT_INFERENCE

    def fit(x_: np.ndarray, bad_: np.ndarray, w: np.ndarray | None) -> object:
        return fit_weighted(clone(estimator), x_, np.asarray(bad_).astype(np.int8), w)

    extra = {}
    if reads_records(method):
        extra["records"] = records if records is not None else LaterRecords.empty(x.shape[1])
    data = REJECT_INFERENCE.create(method, TrainingSet(x, bad), rejects, fit, rng, weight,
                                   **extra)
    return fit(data.x, data.bad, data.weight)
