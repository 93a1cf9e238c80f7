"""Model governance scored against the answer key: what a lender's model believes about
the applicants it declines, and how well it ranks everyone who came through the door,
measured on ``true_pd`` (:mod:`simfin.agents.answer_key`), which no real lender has.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simfin.lending.batch import APPROVED, DECLINED
from simfin.lending.loan_book import WRITTEN_OFF
from simfin.lending.scoring import MODEL_FEATURES, feature_values, source_column


def logged_features(apps: pd.DataFrame) -> np.ndarray:
    """The model inputs of logged applications (``ApplicationLog.frame`` or
    ``applications.parquet`` columns), as the lender computed them: float32, NaN unknown.
    """
    return np.column_stack([
        feature_values(name, apps[source_column(name)].to_numpy(np.float64))
        for name in MODEL_FEATURES]).astype(np.float32)


def truth_auc(score: np.ndarray, true_pd: np.ndarray) -> float | None:
    """The AUC of ``score`` against outcomes drawn from ``true_pd``, in expectation: each
    applicant counts as bad with weight ``true_pd`` and as good with ``1 - true_pd``.
    """
    from sklearn.metrics import roc_auc_score

    key = np.asarray(true_pd, dtype=np.float64)
    if len(key) == 0 or key.sum() <= 0 or (1 - key).sum() <= 0:
        return None
    labels = np.concatenate([np.ones(len(key)), np.zeros(len(key))])
    return float(roc_auc_score(labels, np.concatenate([score, score]),
                               sample_weight=np.concatenate([key, 1.0 - key])))


def model_against_truth(stage: object, apps: pd.DataFrame, lender: int,
                        since_day: int) -> dict[str, float | int | None]:
    """A scoring stage's models on a lender's decided applications from ``since_day``,
    each application scored by the model in use on its day (rules-declined ones too, from
    the fields the lender saw), against the answer key.

    Args:
        stage: The lender's scoring stage (its ``deployed_`` models score the applications;
            days before the first model are left out).
        apps: The application log (coded ``lender`` and ``decision``, ``true_pd``).
        lender: The lender's index.
        since_day: First day of the applications measured.

    Returns:
        ``declined`` and ``applications`` (counts); on the declined, the model's mean PD
        (``declined_predicted``), the answer key's (``declined_true``) and their ``gap``
        (predicted - true); the same means for the applications declined by the rules
        (``rules_n``, ``rules_predicted``, ``rules_true``), by the model (``score_...``)
        and approved (``approved_...``); ``auc_truth``: the model's AUC on every decided
        application measured on the answer key (:func:`truth_auc`). None without a model.
    """
    mine = apps[(apps["lender"] == lender) & (apps["day"] >= since_day)
                & apps["decision"].isin([APPROVED, DECLINED])]
    declined = (mine["decision"] == DECLINED).to_numpy()
    out: dict[str, float | int | None] = {"applications": len(mine),
                                          "declined": int(declined.sum()),
                                          "declined_predicted": None, "declined_true": None,
                                          "gap": None, "auc_truth": None}
    deployed = getattr(stage, "deployed_", [])
    if not deployed or len(mine) == 0:
        return out
    score = model_of_the_day(deployed, mine)
    kept = np.isfinite(score)
    mine, score, declined = mine[kept], score[kept], declined[kept]
    key = mine["true_pd"].to_numpy(np.float64)
    if declined.any():
        out["declined_predicted"] = float(score[declined].mean())
        out["declined_true"] = float(key[declined].mean())
        out["gap"] = out["declined_predicted"] - out["declined_true"]
    # Declined by the rules (never scored: no logged PD) and by the model.
    by_rules = declined & np.isnan(mine["pd"].to_numpy(np.float64))
    for name, rows in (("rules", by_rules), ("score", declined & ~by_rules),
                       ("approved", ~declined)):
        out[f"{name}_n"] = int(rows.sum())
        out[f"{name}_predicted"] = float(score[rows].mean()) if rows.any() else None
        out[f"{name}_true"] = float(key[rows].mean()) if rows.any() else None
    out["auc_truth"] = truth_auc(score, key)
    return out


def model_of_the_day(deployed: list, apps: pd.DataFrame) -> np.ndarray:
    """The PD each application got (or would have got) from the model deployed on its day
    (NaN before the first model); ``deployed``: a stage's ``deployed_`` list, in order.
    """
    days = apps["day"].to_numpy()
    version = np.searchsorted([m.day for m in deployed], days, side="right") - 1
    score = np.full(len(apps), np.nan)
    for v in np.unique(version[version >= 0]):
        rows = np.flatnonzero(version == v)
        score[rows] = deployed[v].predict_pd(logged_features(apps.iloc[rows]))
    return score


def exploration(loans: pd.DataFrame, rows: np.ndarray) -> dict[str, float | int | None]:
    """What a lender's exploration booked (``loans``: the loan book's frame, coded;
    ``rows``: the explored loans' rows): ``loans``, ``principal_yuan``, loans 30+ days
    past due (``bad``, ``bad_rate``), defaulted, ``written_off_yuan`` (principal of the
    written-off ones, before recoveries).
    """
    book = loans.iloc[np.asarray(rows, dtype=np.int64)]
    n = len(book)
    bad = int(book["ever_30dpd"].sum()) if n else 0
    written = (book["status"] == WRITTEN_OFF).to_numpy()  # the book's codes
    return {"loans": n, "principal_yuan": float(book["principal_cents"].sum()) / 100,
            "bad": bad, "bad_rate": bad / n if n else None,
            "defaulted": int(book["defaulted"].sum()) if n else 0,
            "written_off_yuan": float(book.loc[written, "principal_cents"].sum()) / 100}
