"""Pricing: grades from PD, APR per grade, all-in APR with fees, the regulator's cap."""

from __future__ import annotations

import numpy as np
import pytest

from simfin.lending.batch import DECLINED, PENDING, ApplicationBatch
from simfin.lending.pipeline import DecisionContext
from simfin.lending.pricing import (
    UNGRADED,
    PricingStage,
    all_in_apr,
    average_life_years,
    grade_names,
    lifetime_pd,
)
from simfin.lending.registry import PRICING

CUTOFFS = [0.02, 0.05, 0.10, 0.20]
COST_RATE = 0.15
CAP_REASON = 7


def price(pd_, term=None, fee=None, strategy="risk_based", apr_cap=None, flat_apr=0.3,
          lgd=0.8, amount=None, unit_cost=0.0, max_lti=None, income=None, marginal=None,
          booking=0.0, cold_start_pd=None, life_exponent=None, markup=0.0
          ) -> ApplicationBatch:
    pd_ = np.asarray(pd_, dtype=np.float32)
    n = len(pd_)
    batch = ApplicationBatch({
        "pd": pd_,
        "term_days": np.asarray(term if term is not None else [180] * n, dtype=np.int32),
        "fee_rate": np.asarray(fee if fee is not None else [0.0] * n, dtype=np.float32),
        "amount_cents": np.asarray(amount if amount is not None else [300_000] * n),
        "stated_income_cents": np.asarray(income if income is not None else [500_000] * n),
    })
    stage = PricingStage(strategy, CUTOFFS, flat_apr, lgd, COST_RATE, apr_cap, CAP_REASON,
                         unit_cost_cents=unit_cost, max_loan_to_income=max_lti, lti_reason=9,
                         marginal_cost_rate=marginal, booking_cost_cents=booking,
                         cold_start_pd=cold_start_pd, life_exponent=life_exponent,
                         window_days=90)
    if markup:
        stage.set_markup(markup)
    return stage.run(batch, DecisionContext(day=0, rng=np.random.default_rng(0)))


def test_grade_names():
    assert grade_names(4) == ["A", "B", "C", "D", "E"]
    assert grade_names(1) == ["A", "B"]


def test_average_life_is_the_real_life_bullet_vs_amortising():
    life = average_life_years(np.array([14, 30, 59, 60, 180, 360]))
    assert life[0] == pytest.approx(14 / 365)   # a 14-day bullet lives 14 days
    assert life[1] == pytest.approx(30 / 365)
    assert life[2] == pytest.approx(59 / 365)   # bullet: the whole term
    assert life[3] == pytest.approx(45 / 365)   # 2 instalments: (n + 1) / 2 periods
    assert life[4] == pytest.approx(105 / 365)
    assert life[5] == pytest.approx(195 / 365)


def test_grades_follow_the_cutoffs_inclusive_upper_bound():
    batch = price([0.001, 0.02, 0.0201, 0.05, 0.07, 0.10, 0.15, 0.20, 0.5, np.nan])
    assert batch["grade"].tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, UNGRADED]


def test_everyone_in_a_grade_pays_the_grades_apr():
    batch = price([0.001, 0.015, 0.019, 0.03, 0.049])
    apr = batch["apr"]
    assert apr[0] == apr[1] == apr[2]
    assert apr[3] == apr[4]
    assert apr[3] > apr[0]


def test_apr_rises_with_grade_and_covers_costs():
    batch = price([0.01, 0.04, 0.08, 0.15, 0.4])
    apr = batch["apr"]
    assert (np.diff(apr) > 0).all()
    assert (apr > COST_RATE).all()
    # grade A (PD 0-0.02) priced at its expected PD, the middle: cost + PD * LGD / life
    assert apr[0] == pytest.approx(COST_RATE + 0.01 * 0.8 / (105 / 365), rel=1e-5)
    # grade C (PD 0.05-0.10) at 0.075
    assert apr[2] == pytest.approx(COST_RATE + 0.075 * 0.8 / (105 / 365), rel=1e-5)
    # the last grade is priced at the row's own PD
    assert apr[4] == pytest.approx(COST_RATE + 0.4 * 0.8 / (105 / 365), rel=1e-5)


def test_unscored_rows_get_the_flat_apr():
    batch = price([np.nan, np.nan], flat_apr=0.27)
    assert batch["apr"].tolist() == pytest.approx([0.27, 0.27])
    assert batch["grade"].tolist() == [UNGRADED, UNGRADED]


def test_flat_policy_ignores_risk():
    batch = price([0.001, 0.3, np.nan], strategy="flat", flat_apr=0.24)
    assert batch["apr"].tolist() == pytest.approx([0.24] * 3)


def test_loss_given_bad_scales_the_risk_premium():
    low = price([0.3], term=[30], lgd=0.2)["apr"][0]
    high = price([0.3], term=[30], lgd=0.4)["apr"][0]
    assert high - COST_RATE == pytest.approx(2 * (low - COST_RATE), rel=1e-5)
    assert low == pytest.approx(COST_RATE + 0.3 * 0.2 / (30 / 365), rel=1e-5)


def test_all_in_apr_adds_the_fee_over_the_average_life():
    total = all_in_apr(np.array([0.2, 0.2]), np.array([0.0, 0.02]), np.array([180, 180]))
    assert total[0] == pytest.approx(0.2)
    assert total[1] == pytest.approx(0.2 + 0.02 / (105 / 365))


def test_the_fee_is_part_of_the_price_not_added_on_top():
    # the price asked is all-in: the fee counts towards it and interest is what is left
    batch = price([np.nan, np.nan], fee=[0.005, 0.03], term=[30, 30], flat_apr=0.2)
    assert batch["all_in_apr"][0] == pytest.approx(0.2, rel=1e-6)
    assert batch["apr"][0] == pytest.approx(0.2 - 0.005 / (30 / 365), rel=1e-5)
    # a fee worth more than the price: no interest, the all-in APR is the fee's
    assert batch["apr"][1] == 0.0
    assert batch["all_in_apr"][1] == pytest.approx(0.03 / (30 / 365), rel=1e-6)


def test_unit_costs_are_spread_over_principal_and_life():
    base = price([0.01], term=[180], amount=[300_000])["all_in_apr"][0]
    costly = price([0.01], term=[180], amount=[300_000], unit_cost=6_000)["all_in_apr"][0]
    assert costly - base == pytest.approx(6_000 / 300_000 / (105 / 365), rel=1e-5)
    small = price([0.01], term=[180], amount=[30_000], unit_cost=6_000)["all_in_apr"][0]
    short = price([0.01], term=[14], amount=[300_000], unit_cost=6_000)["all_in_apr"][0]
    assert small > costly and short > costly  # small and short loans are dear per year


def test_a_short_loan_is_priced_by_its_real_life():
    fourteen = price([0.01], term=[14])["all_in_apr"][0]
    assert fourteen == pytest.approx(COST_RATE + 0.01 * 0.8 / (14 / 365), rel=1e-5)


def test_cap_declines_risk_based_prices_over_it():
    batch = price([0.01, 0.15, 0.4, np.nan], apr_cap=0.5, flat_apr=0.3)
    assert batch["decision"].tolist() == [PENDING, DECLINED, DECLINED, PENDING]
    assert batch["reason"].tolist() == [-1, CAP_REASON, CAP_REASON, -1]


def test_a_cap_under_the_cold_start_price_lowers_it_and_declines_no_one():
    # before the model is in use the lender lends at the cap rather than not at all
    batch = price([np.nan, np.nan], apr_cap=0.18, flat_apr=0.3)
    assert (batch["decision"] == PENDING).all()
    assert batch["all_in_apr"].tolist() == pytest.approx([0.18, 0.18])
    flat = price([0.01, 0.4], strategy="flat", apr_cap=0.18, flat_apr=0.3)
    assert (flat["decision"] == PENDING).all()
    assert flat["all_in_apr"].tolist() == pytest.approx([0.18, 0.18])


def test_fees_count_against_the_cap():
    batch = price([np.nan, np.nan], fee=[0.0, 0.05], term=[30, 30], flat_apr=0.3,
                  apr_cap=0.36)
    # 5 % over 30 days is 61 % a year: more than the cap even with no interest
    assert batch["decision"].tolist() == [PENDING, DECLINED]


def test_loan_to_income_cap_declines_large_asks():
    batch = price([0.01, 0.01], amount=[1_000_000, 3_000_000], income=[500_000, 500_000],
                  max_lti=1 / 3)
    assert batch["decision"].tolist() == [PENDING, DECLINED]
    assert batch["reason"].tolist() == [-1, 9]


def test_no_cap_declines_nothing():
    batch = price([0.9, 0.99], apr_cap=None)
    assert (batch["decision"] == PENDING).all()


def test_unknown_pricing_policy_names_the_choices():
    with pytest.raises(ValueError, match="flat"):
        PRICING.get("does_not_exist")


def test_a_loan_that_covers_its_marginal_cost_is_booked_at_the_cap():
    # a small short loan: the cost per booked loan (RMB 60 on RMB 2,000 over 30 days) puts
    # its full price far above the cap, but acquisition and data are sunk at decision time
    # and its marginal cost (funding, opex, expected loss, RMB 10 booking cost) is under it
    stage_args = dict(pd_=[0.01, 0.01], term=[30, 30], amount=[200_000, 200_000],
                      unit_cost=6_000, apr_cap=0.36, lgd=0.5)
    full = price(**stage_args, marginal=0.09, booking=1_000)
    assert full["decision"].tolist() == [PENDING, PENDING]
    assert full["all_in_apr"].tolist() == pytest.approx([0.36, 0.36])
    assert price(**{**stage_args, "apr_cap": None})["all_in_apr"][0] > 0.36  # full price
    # the same loan with a marginal cost above the cap (a booking cost of RMB 50) is declined
    dear = price(**stage_args, marginal=0.09, booking=5_000)
    assert dear["decision"].tolist() == [DECLINED, DECLINED]
    assert dear["reason"].tolist() == [CAP_REASON, CAP_REASON]


def test_the_cap_declines_the_risky_tail_not_the_safe_loans():
    batch = price([0.01, 0.04, 0.08, 0.3], term=[90] * 4, apr_cap=0.36, marginal=0.09,
                  lgd=0.8, unit_cost=6_000)
    assert batch["decision"].tolist() == [PENDING, PENDING, DECLINED, DECLINED]
    assert (batch["all_in_apr"] <= 0.36 + 1e-6).all()


def test_a_cold_start_prior_prices_and_declines_unscored_rows_like_scored_ones():
    # A 14-day RMB 700 loan: its booking cost alone is about 37 %/yr, over a 36 % cap.
    short = dict(term=[14, 360], amount=[70_000, 300_000])
    without = price([np.nan, np.nan], apr_cap=0.36, booking=1_000, marginal=0.1, **short)
    assert (without["decision"] == PENDING).all()  # lends at the cap to learn
    prior = price([np.nan, np.nan], apr_cap=0.36, booking=1_000, marginal=0.1,
                  cold_start_pd=0.04, **short)
    scored = price([0.04, 0.04], apr_cap=0.36, booking=1_000, marginal=0.1, **short)
    assert prior["decision"].tolist() == [DECLINED, PENDING]
    assert scored["decision"].tolist() == prior["decision"].tolist()
    assert prior["grade"].tolist() == [UNGRADED, UNGRADED]  # still unscored


def test_a_window_pd_is_carried_over_the_loans_life():
    pd_ = np.array([0.02, 0.02, 0.02])
    life = lifetime_pd(pd_, np.array([30, 60, 360]), window_days=90, exponent=1.0)
    assert life[0] == pytest.approx(0.02) and life[1] == pytest.approx(0.02)
    assert life[2] == pytest.approx(1 - 0.98 ** 6)
    damped = lifetime_pd(pd_, np.array([360]), window_days=90, exponent=0.75)
    assert 0.02 < damped[0] < life[2]
    # priced: a long loan costs more than with the window PD, a short one the same
    plain = price([0.03, 0.03], term=[30, 360])
    carried = price([0.03, 0.03], term=[30, 360], life_exponent=0.75)
    assert carried["apr"][0] == plain["apr"][0]
    assert carried["apr"][1] > plain["apr"][1]


def test_a_markup_moves_every_price_up_to_the_cap_and_declines_nothing_more():
    pds, terms = [0.01, 0.15, np.nan, 0.6], [180, 180, 180, 30]
    base = price(pds, term=terms, apr_cap=0.36, flat_apr=0.24)
    up = price(pds, term=terms, apr_cap=0.36, flat_apr=0.24, markup=0.05)
    down = price(pds, term=terms, apr_cap=0.36, flat_apr=0.24, markup=-0.05)
    expected = np.minimum(base["all_in_apr"] + 0.05, 0.36)
    assert up["all_in_apr"].tolist() == pytest.approx(expected.tolist(), abs=1e-6)
    assert down["all_in_apr"].tolist() == pytest.approx((base["all_in_apr"] - 0.05).tolist(),
                                                         abs=1e-6)
    # the rows declined for the cap are those whose cost the cap cannot cover, whatever
    # the markup (precondition: one is)
    assert (base["decision"] == DECLINED).any()
    assert up["decision"].tolist() == base["decision"].tolist() == down["decision"].tolist()
    with pytest.raises(ValueError, match="price_markup"):
        PricingStage("flat", CUTOFFS, 0.3, 0.5, COST_RATE, None, 0).set_markup(float("nan"))
