"""The statistical risk model: any scikit-learn-style classifier, trained on the lender's
own booked loans, used after rules.

The lender learns only from whom it approved (selection bias): training rows are the
features recorded when each loan was booked, labels are whether the loan went 30+ days past
due. Until ``min_outcomes`` outcomes have been observed the stage is in cold start and the
lender decides on rules alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from threadpoolctl import ThreadpoolController

from simfin.lending.batch import DECLINED, NO_REASON, PENDING, ApplicationBatch, nan_where
from simfin.lending.linear import FoldedLinear, fold_linear
from simfin.lending.monitoring import SAMPLE_ROWS, StabilityMonitor
from simfin.lending.pipeline import DecisionContext, Outcomes, Stage
from simfin.lending.registry import register_scorer
from simfin.lending.reject_inference import LaterRecords, fit_inferred

# The model's inputs, in column order. Incomes enter as logs, the partner's behaviour score
# on the log-odds scale (it is a probability of paying: a scorecard's bads sit in its
# low tail, which a linear term in the raw score cannot reach).
MODEL_FEATURES = (
    "age_years", "log_stated_income", "amount_to_income", "term_days", "online",
    "digital_affinity", "device_applications_24h", "behaviour_log_odds", "bureau_hit",
    "bureau_history_months", "bureau_delinquencies", "bureau_multi_lending",
    "consortium_loans", "consortium_defaults", "consortium_past_due", "id_match",
    "log_verified_income", "employed",
    "service_profile_score", "own_active_loans", "own_past_defaults", "new_device",
    "bureau_inquiries", "contact_mismatch", "ring_exposure", "linked_accounts",
)
SCORE_REASON = "SCORE"
INCOME_FEATURES = {"log_stated_income": "stated_income_cents",
            "log_verified_income": "verified_income_cents"}
LOG_ODDS_FEATURES = {"behaviour_log_odds": "behaviour_score"}
SCORE_CLIP = 1e-3  # a score of 0 or 1 enters as the log-odds of 0.001 or 0.999


def source_column(name: str) -> str:
    """The batch column a model feature is computed from."""
    return INCOME_FEATURES.get(name) or LOG_ODDS_FEATURES.get(name) or name


def feature_values(name: str, column: np.ndarray) -> np.ndarray:
    """A model feature from its source column (float32): incomes as ``log1p``, scores
    (probabilities) as log-odds, the rest as they are.
    """
    if name in INCOME_FEATURES:
        return np.asarray(np.log1p(column), dtype=np.float32)
    column = np.asarray(column, dtype=np.float32)
    if name in LOG_ODDS_FEATURES:
        p = np.clip(column, np.float32(SCORE_CLIP), np.float32(1.0 - SCORE_CLIP))
        return np.log(p / (np.float32(1.0) - p))
    return column
_threads: list[ThreadpoolController] = []


@register_scorer("logistic")
def make_logistic() -> object:
    """Logistic regression on standardised features; missing data imputed and flagged."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from simfin.lending.imputation import MedianImputer
    from simfin.lending.scaling import BlockScaler

    # The scaler works in place (copy=False) on the imputer's output, always a new array.
    return make_pipeline(MedianImputer(strategy="median", add_indicator=True,
                                       keep_empty_features=True),
                         BlockScaler(copy=False), LogisticRegression(C=1.0, max_iter=1000))


@register_scorer("gbm")
def make_gbm() -> object:
    """Histogram gradient boosting: handles missing values natively, fast to predict."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, max_leaf_nodes=15,
                                          min_samples_leaf=40, random_state=0)


def feature_columns(batch: ApplicationBatch, rows: np.ndarray | None = None
                    ) -> list[np.ndarray]:
    """The model inputs as one float32 array per feature, of ``rows`` (or of every row):
    the same values as the columns of :func:`feature_matrix`.
    """
    cols = batch.columns

    def values(name: str) -> np.ndarray:
        column = cols[source_column(name)]
        return feature_values(name, column if rows is None else column[rows])

    return [values(name) for name in MODEL_FEATURES]


def one_thread():
    """Context that limits BLAS and OpenMP to one thread (the controller is built once:
    ``threadpool_limits`` rescans the loaded libraries on every call).
    """
    if not _threads:
        _threads.append(ThreadpoolController())
    return _threads[0].limit(limits=1)


def feature_matrix(batch: ApplicationBatch) -> np.ndarray:
    """The batch's model inputs as a float32 matrix (n, len(MODEL_FEATURES)), NaN = unknown:
    the columns of :func:`feature_columns` side by side.
    """
    x = np.empty((batch.n, len(MODEL_FEATURES)), dtype=np.float32)
    for j, column in enumerate(feature_columns(batch)):
        x[:, j] = column
    return x


@dataclass(frozen=True)
class DeployedModel:
    """A model as deployed on ``day`` (it decides from that day until the next one)."""

    day: int
    estimator: object
    folded: FoldedLinear | None
    unobserved: np.ndarray

    def predict_pd(self, x: np.ndarray) -> np.ndarray:
        """Predicted probability of going 30+ days past due (float32), as it scored."""
        if self.folded is not None:
            return self.folded.predict_pd([x[:, j] for j in range(x.shape[1])])
        with one_thread():
            proba = self.estimator.predict_proba(_zero_filled(x, self.unobserved))
        return proba[:, 1].astype(np.float32)


class ScoringStage(Stage):
    """Pipeline stage: predicted default probability, and decline above the threshold.

    Estimators run on one thread: simfin parallelises across runs (replicates, sweeps),
    and OpenMP threads competing with other runs for the same cores slow everything down.

    Args:
        make_estimator: Returns an unfitted classifier with ``fit`` and ``predict_proba``
            (a factory registered in ``SCORERS``); called at the first fit, so that
            scikit-learn is loaded only when a model is fitted.
        approval_threshold: Highest predicted default probability approved.
        min_outcomes: Observed outcomes needed before the model is used.
        reason_code: Index of ``SCORE`` in the lender's reason-code table.
        min_bad_outcomes: Bad outcomes needed before a fit is tried.
        validation_share: Share of the most recent outcomes held out to validate a fit
            out of time (0: every fit is deployed, trained on all outcomes).
        min_validation_auc: AUC a fit needs on the held-out outcomes to be deployed.
        reject_inference: Name of a method registered in ``REJECT_INFERENCE``
            (:mod:`simfin.lending.reject_inference`); ``none`` trains on booked loans only.
        reject_weight: Weight of one declined applicant relative to one booked loan.
        exploration_share: Share of the applications the model would decline (PD above
            the threshold) that are approved at random to learn from (tagged
            ``explored``, their PD set to the threshold so that they are priced as the
            marginal approved applicant).
        exploration_reasons: Reason-code indices of rule declines that exploration may
            also reopen (the same share, approved whatever their score).
        explore_score: Whether exploration overturns the model's own declines.

    Validation is the gate a model risk team keeps: a fit on a few months of loans with a
    few dozen bads can rank the next applicants worse than chance, and a lender that
    deploys it declines good customers at random. A fit is deployed only when it ranks the
    newest outcomes (which it did not see) with an AUC of at least ``min_validation_auc``
    and no worse than the model in use; the deployed fit is the validated one (trained on
    the older outcomes), so validation costs no second fit.

    A fitted logistic pipeline is folded into one weight vector
    (:mod:`simfin.lending.linear`) and scored from the batch's columns, with no feature
    matrix; other estimators go through ``predict_proba``.

    Attributes:
        estimator: The unfitted estimator (made on first use).
        estimator_: The fitted estimator, or None during cold start.
        folded_: The folded linear scorer, or None (not linear, or not fitted).
        n_trained_on_: Outcomes the current fit used.
        validation_auc_: Held-out AUC of the model in use when it was deployed (None: not
            validated).
        history_: One record per refit tried: ``day``, ``outcomes``, ``bads``, the
            candidate's held-out AUC (``candidate_auc``), the AUC of the model in use on the
            same newest outcomes (``in_use_auc``: the monitoring figure), ``deployed``.
        monitor_: The population stability of the score and of each characteristic,
            month by month, against each deployed model's training sample
            (:class:`simfin.lending.monitoring.StabilityMonitor`: against the applications
            that reached the model in the 90 days before it was deployed).
        fits_: Fits tried so far; ``rejected_fits_``: those that failed validation.
        deployed_: Every model deployed, in order (:class:`DeployedModel`: the inventory a
            model-risk team keeps, for scoring past applications with the model of the day).
        unobserved_: Mask of the MODEL_FEATURES never observed in training (zero-filled).
    """

    row_wise = True
    learns = True

    def __init__(self, make_estimator: Callable[[], object], approval_threshold: float,
                 min_outcomes: int, reason_code: int, min_bad_outcomes: int = 1,
                 validation_share: float = 0.0, min_validation_auc: float = 0.0,
                 reject_inference: str = "none", reject_weight: float = 1.0,
                 exploration_share: float = 0.0,
                 exploration_reasons: tuple[int, ...] = (),
                 explore_score: bool = True) -> None:
        self.make_estimator = make_estimator
        self._estimator: object | None = None
        self.approval_threshold = approval_threshold
        self.min_outcomes = min_outcomes
        self.reason_code = reason_code
        self.min_bad_outcomes = min_bad_outcomes
        self.validation_share = validation_share
        self.min_validation_auc = min_validation_auc
        self.estimator_: object | None = None
        self.folded_: FoldedLinear | None = None
        self.n_trained_on_ = 0
        self.validation_auc_: float | None = None
        self.history_: list[dict] = []
        self.deployed_: list[DeployedModel] = []
        self.monitor_ = StabilityMonitor(MODEL_FEATURES)
        self.reject_inference = reject_inference
        self.reject_weight = reject_weight
        self.exploration_share = exploration_share
        self.exploration_reasons = np.asarray(exploration_reasons, dtype=np.int16)
        self.explore_score = explore_score
        # The lender's stream, seen in run (a stage fitted before it ever ran: a fixed seed).
        self.rng_: np.random.Generator | None = None

    @property
    def estimator(self) -> object:
        """The unfitted estimator (made by ``make_estimator`` on first use)."""
        if self._estimator is None:
            self._estimator = self.make_estimator()
        return self._estimator

    def set_threshold(self, approval_threshold: float) -> None:
        """Approve, from the next decision on, predicted default probabilities up to
        ``approval_threshold`` (a lender's lever, :meth:`simfin.agents.lender.Lender.set_levers`).

        Raises:
            ValueError: A threshold outside [0, 1].
        """
        if not 0.0 <= approval_threshold <= 1.0:
            raise ValueError(f"approval_threshold: must be in [0, 1], got {approval_threshold}")
        self.approval_threshold = float(approval_threshold)

    @property
    def fits_(self) -> int:
        """Fits tried so far."""
        return len(self.history_)

    @property
    def rejected_fits_(self) -> int:
        """Fits that failed validation."""
        return sum(not record["deployed"] for record in self.history_)

    @property
    def in_use(self) -> bool:
        """Whether the model has been trained and now decides."""
        return self.estimator_ is not None

    def fit(self, x: np.ndarray, bad: np.ndarray, day: int = -1,
            rejects: np.ndarray | None = None, records: LaterRecords | None = None) -> bool:
        """Train on observed outcomes (rows in booking order, oldest first) and deploy the
        fit if it validates; returns whether a model is in use. ``rejects``: features of
        declined applications for reject inference (ignored with ``none``); ``records``:
        their later records, for a method that reads them.
        """
        train = len(bad) - int(round(len(bad) * self.validation_share))
        if (len(bad) < self.min_outcomes or bad.sum() < self.min_bad_outcomes
                or bad[:train].all() or not bad[:train].any()):
            return self.in_use
        from sklearn.base import clone

        # Features the lender never observed (data it does not buy) carry no information;
        # they are zero-filled, keeping every estimator away from all-missing columns while
        # column j stays MODEL_FEATURES[j] for estimators that look features up by name.
        unobserved = np.isnan(x[:train]).all(axis=0)
        with one_thread():
            if self.reject_inference == "none" or rejects is None:
                fitted = clone(self.estimator).fit(_zero_filled(x[:train], unobserved),
                                                   bad[:train].astype(np.int8))
            else:
                fitted = fit_inferred(self.estimator, self.reject_inference,
                                      _zero_filled(x[:train], unobserved), bad[:train],
                                      _zero_filled(rejects, unobserved),
                                      self.rng_ or np.random.default_rng(0),
                                      self.reject_weight,
                                      records and records.zero_filled(unobserved))
        record = {"day": day, "outcomes": len(bad), "bads": int(bad.sum()),
                  "candidate_auc": None, "in_use_auc": None, "deployed": True}
        self.history_.append(record)
        if train < len(bad):
            record.update(self._validate(fitted, unobserved, x[train:], bad[train:]))
            if not record["deployed"]:
                return self.in_use
        self.estimator_, self.unobserved_ = fitted, unobserved
        self.validation_auc_ = record["candidate_auc"]
        self.folded_ = fold_linear(self.estimator_, x.shape[1])
        if self.folded_ is not None:  # unobserved features are zero-filled: no term
            self.folded_.weights[self.unobserved_] = 0.0
            self.folded_.nan_terms[self.unobserved_] = 0.0
        self.n_trained_on_ = train
        self.deployed_.append(DeployedModel(day, self.estimator_, self.folded_,
                                            self.unobserved_))
        self.monitor_.train(day, self.predict_pd)
        return True

    def _reopen(self, batch: ApplicationBatch, explore: np.ndarray) -> np.ndarray:
        """Rule declines with an explorable reason drawn for exploration become pending
        again (to be approved); returns them.
        """
        if not len(self.exploration_reasons):
            return np.zeros(batch.n, dtype=bool)
        reopen = (explore & (batch["decision"] == DECLINED)
                  & np.isin(batch["reason"], self.exploration_reasons))
        batch["decision"][reopen] = PENDING
        batch["reason"][reopen] = NO_REASON
        return reopen

    def _monitor(self, batch: ApplicationBatch, day: int, pending: np.ndarray,
                 pd_: np.ndarray) -> None:
        """The stability monitor remembers (and, with a model, counts) the first rows of
        the day that reach the model.
        """
        rows = np.flatnonzero(pending)[:SAMPLE_ROWS]
        columns = feature_columns(batch, rows)
        self.monitor_.remember(day, columns)
        if self.in_use and len(rows):
            self.monitor_.observe(day, columns, pd_[rows])

    def _validate(self, fitted: object, unobserved: np.ndarray, x: np.ndarray,
                  bad: np.ndarray) -> dict:
        """The candidate's and the model in use's AUC on the held-out (newest) outcomes,
        and whether the candidate is deployed: it needs both outcome classes held out, an
        AUC of at least ``min_validation_auc``, and no worse than the model in use.
        """
        if bad.all() or not bad.any():
            return {"deployed": False}
        with one_thread():
            auc = binary_auc(bad, fitted.predict_proba(_zero_filled(x, unobserved))[:, 1])
        in_use = binary_auc(bad, self.predict_pd(x)) if self.in_use else None
        deployed = auc >= self.min_validation_auc and (in_use is None or auc >= in_use)
        return {"candidate_auc": auc, "in_use_auc": in_use, "deployed": deployed}

    def observe(self, outcomes: Outcomes) -> None:
        """Refit on the observed outcomes (the learning hook of the pipeline)."""
        self.fit(outcomes.features, outcomes.bad, outcomes.day, outcomes.rejects,
                 outcomes.records)

    def predict_pd(self, x: np.ndarray) -> np.ndarray:
        """Predicted probability of going 30+ days past due (float32)."""
        if self.folded_ is not None:
            return self.folded_.predict_pd([x[:, j] for j in range(x.shape[1])])
        with one_thread():
            proba = self.estimator_.predict_proba(_zero_filled(x, self.unobserved_))
        return proba[:, 1].astype(np.float32)

    def run(self, batch: ApplicationBatch, ctx: DecisionContext) -> ApplicationBatch:
        """Score the pending rows; decline those above the threshold (but the explored)."""
        self.rng_ = ctx.rng  # the lender's stream, for reject inference at the next fit
        pd_ = np.full(batch.n, np.nan, dtype=np.float32)
        explore = None
        if self.exploration_share > 0 and self.in_use:
            explore = ctx.rng.random(batch.n) < self.exploration_share
            reopened = self._reopen(batch, explore)
        pending = batch.pending
        if not self.in_use:
            self._monitor(batch, ctx.day, pending, pd_)
        else:
            if self.folded_ is not None and pending.sum() * 2 >= batch.n:
                # Mostly pending: score every row from the columns, blank the decided ones.
                pd_ = nan_where(~pending, self.folded_.predict_pd(feature_columns(batch)))
            elif self.folded_ is not None:
                rows = np.flatnonzero(pending)
                pd_[rows] = self.folded_.predict_pd(feature_columns(batch, rows))
            else:
                rows = np.flatnonzero(pending)
                if len(rows):
                    pd_[rows] = self.predict_pd(feature_matrix(batch)[rows])
            self._monitor(batch, ctx.day, pending, pd_)
            above = pd_ > self.approval_threshold
            if explore is not None:
                explored = (above & explore & self.explore_score) | reopened
                above &= ~explored
                pd_[explored] = self.approval_threshold  # priced as the marginal approval
                batch["explored"] = explored
            batch.decline(above, self.reason_code)
        if self.exploration_share > 0 and "explored" not in batch:
            batch["explored"] = np.zeros(batch.n, dtype=bool)
        batch["pd"] = pd_
        return batch


def binary_auc(bad: np.ndarray, score: np.ndarray) -> float:
    """``roc_auc_score(bad, score)`` of a 1-D boolean label with both classes present.

    Calls scikit-learn's binary case directly: ``roc_auc_score`` first checks and
    binarises the labels (finds the classes, twice), which costs as much as the AUC
    itself on a validation set; the value is the same. Falls back to ``roc_auc_score``
    if the binary case moves (it is private).
    """
    from sklearn.metrics import _ranking, roc_auc_score

    binary = getattr(_ranking, "_binary_roc_auc_score", None)
    return float(roc_auc_score(bad, score) if binary is None else binary(bad, score))


def _zero_filled(x: np.ndarray, unobserved: np.ndarray) -> np.ndarray:
    """``x`` with the never-observed feature columns set to 0 (a copy only if needed)."""
    if not unobserved.any():
        return x
    x = x.copy()
    x[:, unobserved] = 0.0
    return x
