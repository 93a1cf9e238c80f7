"""Vintage curves and the life-of-loan default rate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simfin
from simfin.indicators.summary import lifetime_default, vintage_curves
from tests.conftest import FAST_EVENTS, SMALL, TWO_LENDERS


def _loans(origination, term, default_day, status):
    n = len(origination)
    terms = np.full(n, term) if np.isscalar(term) else np.asarray(term)
    return pd.DataFrame({"origination_day": np.asarray(origination),
                         "term_days": terms,
                         "period_days": np.where(terms < 60, terms, 30),
                         "default_day": np.asarray(default_day),
                         "defaulted": np.asarray(default_day) >= 0,
                         "status": np.asarray(status)})


def test_lifetime_default_counts_repaid_loans_as_survivors_and_censors_open_ones():
    # 100 loans booked on day 0: 10 default on day 50, 40 repaid, 50 still open at day 99.
    status = [2] * 10 + [1] * 40 + [0] * 50
    loans = _loans([0] * 100, 90, [50] * 10 + [-1] * 90, status)
    out = lifetime_default(loans, default_dpd=15, horizon_days=100)
    assert out["lifetime_default_rate"] == pytest.approx(0.10)
    assert out["lifetime_default_days"] == 99  # shorter than 90 + 15: read where data ends


def test_lifetime_default_corrects_for_loans_too_young_to_have_defaulted():
    # Old loans (day 0): 20 % default on day 40 of their life. Young loans (day 80) are
    # still open at the end, 19 days old: counting them as good would halve the rate.
    old = _loans([0] * 50, 30, [40] * 10 + [-1] * 40, [2] * 10 + [1] * 40)
    young = _loans([80] * 50, 30, [-1] * 50, [0] * 50)
    out = lifetime_default(pd.concat([old, young]), default_dpd=10, horizon_days=100)
    assert out["lifetime_default_rate"] == pytest.approx(0.20)
    assert out["complete_default_rate"] == pytest.approx(0.20)
    assert out["complete_loans"] == 50
    naive = pd.concat([old, young])["defaulted"].mean()
    assert naive == pytest.approx(0.10)


def test_no_lifetime_rate_before_any_loan_can_have_defaulted():
    # First instalment on day 30, default at 90 days past due: none possible by day 99.
    loans = _loans([0] * 10, 90, [-1] * 10, [0] * 10)
    out = lifetime_default(loans, default_dpd=90, horizon_days=100)
    assert out["lifetime_default_rate"] is None
    assert lifetime_default(loans, default_dpd=60, horizon_days=100)[
        "lifetime_default_rate"] == 0.0


def test_vintage_curve_is_cumulative_by_month_on_book():
    # Month 0: 4 loans, one defaults 10 days after booking, one 40 days after.
    loans = _loans([0, 5, 10, 20], 90, [10, 45, -1, -1], [2, 2, 0, 1])
    curves = vintage_curves(loans, horizon_days=100)
    assert curves[0]["loans"] == 4
    # Observed for the months every loan of the vintage has lived: (100 - 30) // 30 = 2.
    assert curves[0]["cumulative_default"] == [0.25, 0.5]


def test_vintage_curves_and_lifetime_rate_do_not_move_when_the_run_is_longer():
    cfg = {**SMALL, **FAST_EVENTS, "population.n_consumers": 2_000}
    short = simfin.run(TWO_LENDERS, steps=100, overrides=cfg).summary["market"]
    long = simfin.run(TWO_LENDERS, steps=160, overrides=cfg).summary["market"]
    assert short["loans"] > 100 and long["loans"] > short["loans"]  # precondition
    first = short["vintages"][0]["cumulative_default"]
    assert first and max(first) > 0  # defaults have happened in the first vintage
    assert long["vintages"][0]["cumulative_default"][:len(first)] == first
    assert len(long["vintages"][0]["cumulative_default"]) > len(first)
