"""How well each lender's model score separated good loans from bad, on its own book.

Two views of the PD a lender's model gave at decision:

- **discrimination**: AUC, KS and Brier score of the PD against the realised outcome of
  the lender's booked, seasoned loans (scikit-learn's ``roc_auc_score``, ``roc_curve`` and
  ``brier_score_loss``). The outcome is the model's own target, 30+ days past due
  (``ever_30dpd``), so that the Brier score measures the PD as a probability.
- **the approval/default frontier**: as the approval threshold is lowered from the one the
  lender used, the approval rate (approved applications scored at or under the threshold /
  decided applications while the model decided) against the default rate (share of the
  seasoned booked loans scored at or under it that reached ``run.default_dpd``), with its
  counts and a 95 % Wilson interval; the thresholds are binned so that each point adds at
  least ``FRONTIER_MIN_BADS`` bad loans. Only stricter thresholds can be read: declined
  applicants have no outcome (selection bias).

Both use only the lender's champion strategy, and only loans with a PD (decided while its
model was in use). Each gives ``None`` values and a ``reason`` when it cannot be measured.

A model scored on the book it selected ranks it worse than it ranks applicants: the
threshold removed the high scores, so the PD varies little among the loans that remain,
and each loan's PD comes from the fit in use when it was booked (early fits on a few dozen
bads among them). The **out-of-time validation** of each refit (:func:`validation`) is the
figure a model risk team monitors: the AUC of the model in use on the newest outcomes,
which no fit in use had seen.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simfin.lending.batch import APPROVED, DECLINED, REFERRED

# Fewest seasoned, scored loans, and fewest of each outcome, for a measure to be reported.
MIN_SCORED_LOANS = 50
MIN_EACH_OUTCOME = 5
FRONTIER_POINTS = 20  # at most this many thresholds before the one used
FRONTIER_MIN_BADS = 5  # fewest bad loans a frontier point adds to the point before
FRONTIER_CONFIDENCE = 0.95  # of the Wilson interval of each point's default rate


def _seasoned(loans: pd.DataFrame, default_dpd: int, horizon_days: int) -> pd.Series:
    """Loans whose first instalment fell due ``default_dpd``+ days before the end."""
    return (loans["origination_day"] + loans["period_days"] + default_dpd) <= horizon_days


def scored_book(loans: pd.DataFrame, lender: int, default_dpd: int, horizon_days: int
                ) -> pd.DataFrame:
    """The lender's champion loans that are seasoned and carry a PD from its model."""
    mine = ((loans["lender"] == lender) & ~loans["challenger"] & loans["pd"].notna()
            & _seasoned(loans, default_dpd, horizon_days))
    return loans[mine]


def _why_not(book: pd.DataFrame, outcome: str, has_model: bool, model_live: bool
             ) -> str | None:
    """Why a measure cannot be reported on ``book`` (None when it can)."""
    if not has_model:
        return "rules only: the lender has no model score"
    if not model_live:
        return "the model never decided (it stayed in cold start to the end)"
    bads = int(book[outcome].sum())
    if len(book) < MIN_SCORED_LOANS or min(bads, len(book) - bads) < MIN_EACH_OUTCOME:
        return (f"too few outcomes: {len(book)} seasoned scored loans, {bads} bad; at least "
                f"{MIN_SCORED_LOANS} loans and {MIN_EACH_OUTCOME} of each outcome needed")
    return None


def discrimination(loans: pd.DataFrame, lender: int, default_dpd: int, horizon_days: int,
                   has_model: bool, model_live: bool) -> dict:
    """AUC, KS and Brier score of one lender's PD against 30+ DPD on its seasoned loans.

    Args:
        loans: The run's loan table (coded, as ``RunResult.loans``).
        lender: The lender's index.
        default_dpd: ``run.default_dpd`` (which loans are seasoned).
        horizon_days: Days the run lasted.
        has_model: Whether the lender's strategy has a model at all.
        model_live: Whether the model ever decided.

    Returns:
        ``auc``, ``ks``, ``brier`` (None when not measurable), ``loans`` and ``bad_loans``
        (the seasoned scored loans and how many went 30+ DPD), ``outcome`` and ``reason``
        (None when measured).
    """
    book = scored_book(loans, lender, default_dpd, horizon_days)
    bad = book["ever_30dpd"].to_numpy(dtype=bool)
    out = {"auc": None, "ks": None, "brier": None, "loans": int(len(book)),
           "bad_loans": int(bad.sum()), "outcome": "ever_30dpd",
           "reason": _why_not(book, "ever_30dpd", has_model, model_live)}
    if out["reason"] is not None:
        return out
    from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve

    pd_ = book["pd"].to_numpy(dtype=np.float64)
    fpr, tpr, _ = roc_curve(bad, pd_)
    out.update(auc=float(roc_auc_score(bad, pd_)), ks=float(np.max(tpr - fpr)),
               brier=float(brier_score_loss(bad, pd_)))
    return out


def wilson_interval(bads: int, loans: int, confidence: float = FRONTIER_CONFIDENCE
                    ) -> tuple[float, float]:
    """Wilson score interval of a default rate ``bads / loans`` (scipy's ``binomtest``)."""
    from scipy.stats import binomtest

    ci = binomtest(int(bads), int(loans)).proportion_ci(confidence_level=confidence,
                                                        method="wilson")
    return float(ci.low), float(ci.high)


def _frontier_cuts(book_pd: np.ndarray, cum_bads: np.ndarray, min_bads: int) -> np.ndarray:
    """Thresholds (PDs, ascending) such that the sorted book's loans at or under each one
    count at least ``min_bads`` more bad loans than at the threshold before.
    """
    cuts, have = [], 0
    while have + min_bads <= cum_bads[-1]:
        threshold = book_pd[np.searchsorted(cum_bads, have + min_bads, side="left")]
        have = int(cum_bads[np.searchsorted(book_pd, threshold, side="right") - 1])
        cuts.append(threshold)
    return np.asarray(cuts, dtype=np.float64)


# The application-log columns the frontier reads.
FRONTIER_COLUMNS = ("lender", "challenger", "day", "decision", "pd")


def frontier(applications: pd.DataFrame | None, loans: pd.DataFrame, lender: int,
             default_dpd: int, horizon_days: int, has_model: bool,
             model_since_day: int | None) -> dict:
    """Approval rate against default rate as the lender's threshold is made stricter.

    The thresholds are binned on the bad loans: a point where the seasoned loans scored at
    or under the threshold count ``min_bad_loans`` more defaults than at the point before
    (``FRONTIER_MIN_BADS``, or more when there are over ``FRONTIER_POINTS`` such bins),
    and the last point is the threshold the lender used. Each point carries its counts and
    a 95 % Wilson interval of its default rate, so that a bend can be read against noise.

    Args:
        applications: The run's application log (coded; ``FRONTIER_COLUMNS`` at least),
            or None when not recorded.
        loans: The run's loan table (coded).
        lender: The lender's index.
        default_dpd: ``run.default_dpd``.
        horizon_days: Days the run lasted.
        has_model: Whether the lender's strategy has a model at all.
        model_since_day: The first day the model decided, or None.

    Returns:
        ``points``: a list of ``{"threshold", "approval_rate", "approved", "loans",
        "bad_loans", "default_rate", "default_rate_low", "default_rate_high"}`` from the
        strictest threshold to the one the lender used (the last point), or None;
        ``decided`` (applications decided while the model decided), ``min_bad_loans``,
        ``confidence``, ``default_dpd`` (what counts as a default) and ``reason`` (None
        when drawn).
    """
    book = scored_book(loans, lender, default_dpd, horizon_days)
    reason = _why_not(book, "defaulted", has_model, model_since_day is not None)
    if reason is None and applications is None:
        reason = "applications were not recorded (run.record_applications is off)"
    if reason is not None:
        return {"points": None, "default_dpd": default_dpd, "reason": reason}
    apps = applications[(applications["lender"] == lender) & ~applications["challenger"]
                        & (applications["day"] >= model_since_day)]
    decided = int(apps["decision"].isin([APPROVED, DECLINED, REFERRED]).sum())
    approved_pd = np.sort(apps.loc[apps["decision"] == APPROVED, "pd"].dropna().to_numpy())
    order = np.argsort(book["pd"].to_numpy(), kind="stable")
    book_pd = book["pd"].to_numpy()[order]
    cum_bads = np.cumsum(book["defaulted"].to_numpy(dtype=np.int64)[order])
    min_bads = max(FRONTIER_MIN_BADS, -(-int(cum_bads[-1]) // FRONTIER_POINTS))
    thresholds = _frontier_cuts(book_pd, cum_bads, min_bads)
    used = max(float(book_pd[-1]), float(approved_pd[-1]) if len(approved_pd) else 0.0)
    n_loans = np.searchsorted(book_pd, thresholds, side="right")
    if len(thresholds) and cum_bads[-1] - cum_bads[n_loans[-1] - 1] < min_bads:
        thresholds = thresholds[:-1]  # too few bads between it and the threshold used
    thresholds = np.append(thresholds, used)
    n_loans = np.searchsorted(book_pd, thresholds, side="right")
    n_approved = np.searchsorted(approved_pd, thresholds, side="right")
    points = []
    for t, a, k in zip(thresholds, n_approved, n_loans, strict=True):
        bads = int(cum_bads[k - 1])
        low, high = wilson_interval(bads, int(k))
        points.append({"threshold": float(t), "approval_rate": float(a / max(decided, 1)),
                       "approved": int(a), "loans": int(k), "bad_loans": bads,
                       "default_rate": bads / int(k), "default_rate_low": low,
                       "default_rate_high": high})
    return {"points": points, "decided": decided, "min_bad_loans": int(min_bads),
            "confidence": FRONTIER_CONFIDENCE, "default_dpd": default_dpd, "reason": None}


def validation(stage: object | None) -> dict | None:
    """The champion's refits and their out-of-time validation (None: no model).

    Args:
        stage: The champion pipeline's scoring stage (``ScoringStage.history_``: one record
            per refit tried), or None.

    Returns:
        ``fits`` and ``deployed`` (refits tried and deployed); ``deployed_auc`` (held-out
        AUC of the model in use when it was deployed); ``monitoring_auc`` (the AUC of the
        model in use on the newest held-out outcomes at the last refit: how it ranks loans
        it has not seen); ``history`` (the records).
    """
    history = getattr(stage, "history_", None)
    if history is None:
        return None
    monitored = [h["in_use_auc"] for h in history if h["in_use_auc"] is not None]
    return {"fits": stage.fits_, "deployed": stage.fits_ - stage.rejected_fits_,
            "deployed_auc": getattr(stage, "validation_auc_", None),
            "monitoring_auc": monitored[-1] if monitored else None,
            "history": [dict(h) for h in history]}


def monitoring(stage: object | None) -> dict | None:
    """The champion model's population stability, month by month (None: no model).

    Returns:
        ``drift_psi`` (the warning level), ``max_score_psi`` and
        ``max_characteristic_psi`` over the months, and ``months``: per month its
        ``score_psi``, ``characteristic_psi`` by characteristic and the largest
        (:meth:`simfin.lending.monitoring.StabilityMonitor.table`); empty before the first
        model.
    """
    from simfin.lending.monitoring import DRIFT_PSI

    monitor = getattr(stage, "monitor_", None)
    if monitor is None:
        return None
    months = monitor.table()

    def most(key: str) -> float | None:
        values = [m[key] for m in months if m[key] is not None]
        return max(values) if values else None

    return {"drift_psi": DRIFT_PSI, "max_score_psi": most("score_psi"),
            "max_characteristic_psi": most("max_characteristic_psi"), "months": months}
