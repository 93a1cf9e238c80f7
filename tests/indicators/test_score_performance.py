"""Discrimination (AUC, KS, Brier) of each lender's model on its own book, and the
approval/default frontier.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simfin
from simfin.indicators.score_performance import (
    FRONTIER_MIN_BADS,
    FRONTIER_POINTS,
    MIN_SCORED_LOANS,
    discrimination,
    frontier,
    scored_book,
)
from simfin.lending.batch import APPROVED, DECLINED, REFERRED
from tests.conftest import TWO_LENDERS


@pytest.fixture(scope="module")
def live_run():
    """A small market whose scored lender's model decides long enough to be measured."""
    from conftest import EARLY_MODEL, FAST_EVENTS, SMALL

    return simfin.run(TWO_LENDERS, overrides={**SMALL, **FAST_EVENTS, **EARLY_MODEL,
                                              "population.fraud_share": 0.05, "run.steps": 160,
                                              "population.n_consumers": 6_000})


def _book(pd_: np.ndarray, bad: np.ndarray, lender: int = 0) -> pd.DataFrame:
    """A seasoned loan table: every loan booked on day 0, 30-day bullet, 200-day run."""
    n = len(pd_)
    return pd.DataFrame({"lender": np.full(n, lender), "challenger": np.zeros(n, bool),
                         "pd": pd_.astype(np.float32), "origination_day": np.zeros(n, int),
                         "period_days": np.full(n, 30), "ever_30dpd": bad,
                         "defaulted": bad})


def _measure(loans: pd.DataFrame) -> dict:
    return discrimination(loans, 0, default_dpd=90, horizon_days=200, has_model=True,
                          model_live=True)


def test_an_informative_score_discriminates_and_a_random_one_does_not():
    rng = np.random.default_rng(0)
    true_pd = rng.beta(1, 9, 5_000)
    bad = rng.random(5_000) < true_pd
    informed = _measure(_book(true_pd, bad))
    blind = _measure(_book(rng.permutation(true_pd), bad))
    assert informed["reason"] is None and informed["loans"] == 5_000
    assert informed["auc"] > 0.65 > 0.55 > blind["auc"] > 0.45
    assert informed["ks"] > 2 * blind["ks"]
    # A calibrated PD scores a lower Brier than the same PDs given to the wrong loans.
    assert informed["brier"] < blind["brier"]


def test_measures_match_their_definitions():
    rng = np.random.default_rng(1)
    score = rng.random(400)
    bad = rng.random(400) < score * 0.5
    got = _measure(_book(score, bad))
    s = score.astype(np.float32).astype(np.float64)
    # AUC: the chance that a bad loan outscores a good one (ties count half).
    diff = s[bad][:, None] - s[~bad][None, :]
    assert got["auc"] == pytest.approx((diff > 0).mean() + 0.5 * (diff == 0).mean())
    # KS: the largest gap between the score CDFs of bad and good loans.
    grid = np.sort(s)
    cdf = lambda v: np.searchsorted(np.sort(v), grid, side="right") / len(v)  # noqa: E731
    assert got["ks"] == pytest.approx(np.max(np.abs(cdf(s[~bad]) - cdf(s[bad]))))
    assert got["brier"] == pytest.approx(np.mean((s - bad) ** 2))


def test_null_with_a_reason_when_not_measurable():
    rng = np.random.default_rng(2)
    few = _book(rng.random(MIN_SCORED_LOANS - 1), rng.random(MIN_SCORED_LOANS - 1) < 0.5)
    out = _measure(few)
    assert out["auc"] is out["ks"] is out["brier"] is None
    assert out["reason"].startswith("too few outcomes")
    all_good = _measure(_book(rng.random(500), np.zeros(500, bool)))
    assert all_good["auc"] is None and "too few outcomes" in all_good["reason"]
    rules = discrimination(few, 0, 90, 200, has_model=False, model_live=False)
    assert rules["auc"] is None and rules["reason"].startswith("rules only")
    cold = discrimination(few, 0, 90, 200, has_model=True, model_live=False)
    assert "never decided" in cold["reason"]


def test_unseasoned_and_challenger_loans_are_left_out():
    rng = np.random.default_rng(3)
    loans = _book(rng.random(300), rng.random(300) < 0.3)
    loans.loc[:99, "origination_day"] = 150  # first due day 180: not 90 days before 200
    loans.loc[100:149, "challenger"] = True
    assert len(scored_book(loans, 0, 90, 200)) == 150


def test_run_where_the_model_went_live(live_run):
    scored = live_run.config.lenders[1].name
    ind = live_run.summary["lenders"][scored]
    assert ind["model_since_day"] is not None  # precondition: the model decided
    d = ind["discrimination"]
    assert d["reason"] is None, d
    assert 0 <= d["auc"] <= 1 and 0 <= d["ks"] <= 1 and 0 <= d["brier"] <= 1
    assert d["loans"] >= MIN_SCORED_LOANS
    # The same numbers from the loan table the run wrote.
    book = scored_book(live_run.loans, 1, live_run.config.run.default_dpd,
                       live_run.config.run.steps)
    assert d["loans"] == len(book) and d["bad_loans"] == book["ever_30dpd"].sum()
    rules_only = live_run.summary["lenders"][live_run.config.lenders[0].name]
    assert rules_only["discrimination"]["auc"] is None
    assert rules_only["discrimination"]["reason"].startswith("rules only")


def test_frontier_of_a_live_model(live_run):
    scored = live_run.config.lenders[1].name
    ind = live_run.summary["lenders"][scored]
    assert ind["model_since_day"] is not None  # precondition
    front = ind["frontier"]
    assert front["reason"] is None
    points = front["points"]
    assert len(points) >= 2
    for key in ("threshold", "approval_rate", "approved", "loans", "bad_loans"):
        values = [p[key] for p in points]
        assert values == sorted(values), key
    _check_frontier_points(front)
    # The last point is the threshold used: the approval rate the lender actually had on
    # the days its model decided (champion).
    apps = live_run.applications
    mine = apps[(apps["lender"] == 1) & ~apps["challenger"]
                & (apps["day"] >= ind["model_since_day"])]
    decided = mine["decision"].isin([APPROVED, DECLINED, REFERRED]).sum()
    assert points[-1]["approval_rate"] == pytest.approx(
        (mine["decision"] == APPROVED).sum() / decided)
    assert points[-1]["threshold"] <= live_run.config.lenders[1].risk.approval_threshold
    book = scored_book(live_run.loans, 1, live_run.config.run.default_dpd,
                       live_run.config.run.steps)
    assert points[-1]["loans"] == len(book)
    assert points[-1]["default_rate"] == pytest.approx(book["defaulted"].mean())


def _check_frontier_points(front: dict) -> None:
    """Counts, rates and 95 % Wilson intervals of each point, and the binning on bads."""
    points = front["points"]
    assert front["min_bad_loans"] >= FRONTIER_MIN_BADS and front["confidence"] == 0.95
    z = 1.959963984540054
    for p in points:
        n, k = p["loans"], p["bad_loans"]
        assert p["default_rate"] == pytest.approx(k / n)
        assert p["approval_rate"] == pytest.approx(p["approved"] / front["decided"])
        assert p["default_rate_low"] <= p["default_rate"] <= p["default_rate_high"]
        # Wilson's interval, written out: centre and half-width.
        centre = (k + z * z / 2) / (n + z * z)
        half = z * np.sqrt(k * (n - k) / n + z * z / 4) / (n + z * z)
        assert p["default_rate_low"] == pytest.approx(centre - half, abs=1e-9)
        assert p["default_rate_high"] == pytest.approx(centre + half, abs=1e-9)
    # Every point but the last (the threshold used) adds at least min_bad_loans bads, and
    # the first has that many.
    bads = [p["bad_loans"] for p in points[:-1]]
    assert bads and bads[0] >= front["min_bad_loans"]
    assert all(b - a >= front["min_bad_loans"] for a, b in zip(bads[:-1], bads[1:], strict=True))


def test_frontier_points_are_binned_on_bad_loans_with_intervals():
    rng = np.random.default_rng(5)
    score = rng.beta(1, 12, 4_000)
    bad = rng.random(4_000) < score
    loans = _book(score, bad)
    n = len(loans)
    decisions = np.where(np.arange(n + 1_000) < n, APPROVED, DECLINED)
    apps = pd.DataFrame({"lender": 0, "challenger": False, "day": 0, "decision": decisions,
                         "pd": np.concatenate([score, np.full(1_000, 0.9)])})
    front = frontier(apps, loans, 0, 90, 200, has_model=True, model_since_day=0)
    assert front["reason"] is None and bad.sum() > 20 * FRONTIER_MIN_BADS  # precondition
    points = front["points"]
    assert len(points) <= FRONTIER_POINTS + 1
    assert front["min_bad_loans"] == -(-int(bad.sum()) // FRONTIER_POINTS)
    _check_frontier_points(front)
    assert points[-1]["loans"] == n and points[-1]["bad_loans"] == bad.sum()
    assert points[-1]["approval_rate"] == pytest.approx(n / (n + 1_000))


def test_frontier_needs_recorded_applications(make_config):
    rng = np.random.default_rng(4)
    loans = _book(rng.random(300), rng.random(300) < 0.3)
    out = frontier(None, loans, 0, 90, 200, has_model=True, model_since_day=0)
    assert out["points"] is None and "record_applications" in out["reason"]
    result = simfin.run(make_config(**{"run.steps": 10, "run.record_applications": False}))
    assert all(ind["frontier"]["points"] is None
               for ind in result.summary["lenders"].values())


def test_report_shows_discrimination_and_the_frontier(live_run, tmp_path):
    from simfin.outputs.writer import write_run

    write_run(live_run, tmp_path / "run")
    report = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    d = live_run.summary["lenders"][live_run.config.lenders[1].name]["discrimination"]
    assert "## Model discrimination" in report
    assert f"| {d['auc']:.3f} | {d['ks']:.3f} | {d['brier']:.3f} |" in report
    assert "![figures/frontier.png](figures/frontier.png)" in report
    assert (tmp_path / "run" / "figures" / "frontier.png").stat().st_size > 10_000
