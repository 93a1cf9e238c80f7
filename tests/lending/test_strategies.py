"""Strategies on hand-made views: each decision, its bounds and its reason; and the pricing
floor under a discount (a price response never prices a loan below its marginal cost)."""

from __future__ import annotations

import numpy as np
import pytest

from simfin.config.conduct import StrategyConfig
from simfin.lending.pricing import PricingStage, capped_price, discount_floor
from simfin.lending.registry import STRATEGIES
from simfin.lending.strategies import StrategyView

INSTALMENT, CASH = 0, 1


def view(levers=None, *, active=500, outstanding=1_000_000, dpd30=0, loans=300, window=30,
         offers=(200, 0, 0), taken=(80, 0, 0), own=(0.30, np.nan, np.nan),
         rivals=(("low", (200, 0, 0), (0.20, np.nan, np.nan)),)) -> StrategyView:
    levers = levers or {"approval_threshold": 0.1, "price_markup": 0.0,
                        "limit_multiplier": 1.0}
    return StrategyView(
        day=60, window_days=window, levers=levers, active_loans=active,
        outstanding_cents=outstanding, dpd30_balance_cents=dpd30,
        average_outstanding_cents=float(outstanding), net_loss_cents=0, loans=loans,
        offers=np.array(offers, float), offers_taken=np.array(taken, float),
        own_price=np.array(own, float), rival_names=[r[0] for r in rivals],
        rival_offers=np.array([r[1] for r in rivals], float).reshape(len(rivals), 3),
        rival_prices=np.array([r[2] for r in rivals], float).reshape(len(rivals), 3))


def strategy(kind: str, **section):
    cfg = StrategyConfig(kind=kind, **({kind: section} if section else {}))
    return STRATEGIES.create(kind, cfg)


def test_fixed_has_no_strategy_to_review():
    assert strategy("fixed") is None


def test_risk_appetite_tightens_above_its_band_loosens_below_and_holds_inside():
    ra = strategy("risk_appetite", target=0.05, tolerance=0.2, threshold_step=0.01,
                  limit_step=0.1)
    high = ra.review(view(dpd30=80_000))  # 8 % > 6 %
    assert high.action == "tighten"
    assert high.levers == {"approval_threshold": pytest.approx(0.09),
                           "limit_multiplier": pytest.approx(0.9)}
    assert "dpd30_share 0.0800 > 0.0600" in high.reason
    low = ra.review(view(dpd30=10_000))  # 1 % < 4 %
    assert low.action == "loosen" and low.levers["approval_threshold"] == pytest.approx(0.11)
    inside = ra.review(view(dpd30=50_000))
    assert inside.action == "hold" and inside.levers == {}
    thin = ra.review(view(dpd30=80_000, active=10))
    assert thin.action == "hold" and "too few" in thin.reason


def test_risk_appetite_stays_within_its_bounds_and_moves_limits_alone_without_a_model():
    ra = strategy("risk_appetite", target=0.05, min_threshold=0.095, min_limit_multiplier=0.95)
    first = ra.review(view(dpd30=200_000))
    assert first.levers == {"approval_threshold": 0.095, "limit_multiplier": 0.95}
    at_bounds = ra.review(view({"approval_threshold": 0.095, "price_markup": 0.0,
                                "limit_multiplier": 0.95}, dpd30=200_000))
    assert at_bounds.action == "hold" and "bounds" in at_bounds.reason
    rules_only = ra.review(view({"approval_threshold": None, "price_markup": 0.0,
                                 "limit_multiplier": 1.0}, dpd30=200_000))
    assert rules_only.levers == {"limit_multiplier": 0.95}


def test_loss_rate_is_annualised_over_the_window():
    v = view(window=73)
    v = StrategyView(**{**v.__dict__, "net_loss_cents": 10_000,
                        "average_outstanding_cents": 1_000_000.0})
    assert v.measure("loss_rate") == pytest.approx(0.01 * 365 / 73)


def test_growth_loosens_below_its_volume_target_and_tightens_over_its_loss_limit():
    growth = strategy("growth", loans_per_day=20.0, loss_limit=0.08)
    slow = growth.review(view(loans=300, window=30))  # 10 a day
    assert slow.action == "loosen" and "10.0 loans/day < target 20" in slow.reason
    fast = growth.review(view(loans=900, window=30))
    assert fast.action == "hold"
    losing = growth.review(view(loans=300, dpd30=100_000))
    assert losing.action == "tighten" and "loss limit" in losing.reason


def test_price_response_cuts_on_a_cheaper_rival_with_low_take_up_down_to_its_largest_discount():
    pr = strategy("price_response", price_step=0.02, max_discount=0.03, take_up_target=0.6)
    cut = pr.review(view())  # take-up 0.4, a rival 10 points cheaper on instalment
    assert cut.action == "cut_price" and cut.levers == {"price_markup": -0.02}
    assert "low -0.100 vs own 0.300" in cut.reason
    deeper = pr.review(view({"approval_threshold": None, "price_markup": -0.02,
                             "limit_multiplier": 1.0}))
    assert deeper.levers == {"price_markup": -0.03}  # not -0.04: max_discount
    stuck = pr.review(view({"approval_threshold": None, "price_markup": -0.03,
                            "limit_multiplier": 1.0}))
    assert stuck.action == "hold" and "largest" in stuck.reason


def test_price_response_holds_when_it_sells_well_or_cannot_compare_and_raises_when_cheapest():
    pr = strategy("price_response")
    assert pr.review(view(taken=(150, 0, 0))).action == "hold"  # take-up 0.75
    few = view(rivals=(("low", (5, 0, 0), (0.20, np.nan, np.nan)),))
    assert pr.review(few).action == "hold"  # the rival's 5 offers are not a price to read
    other_product = view(rivals=(("low", (0, 200, 0), (np.nan, 0.20, np.nan)),))
    assert pr.review(other_product).action == "hold"
    discounted = {"approval_threshold": None, "price_markup": -0.05, "limit_multiplier": 1.0}
    cheapest = pr.review(view(discounted, own=(0.15, np.nan, np.nan)))
    assert cheapest.action == "raise_price" and cheapest.levers == {"price_markup": -0.04}
    tied = pr.review(view(discounted, own=(0.20, np.nan, np.nan)))
    assert tied.action == "hold"  # neither cheaper nor the cheapest by the gap


def test_a_discount_never_prices_a_loan_below_its_marginal_cost():
    stage = PricingStage("flat", [0.05, 0.1], flat_apr=0.30, loss_given_bad=0.5,
                         cost_rate=0.12, apr_cap=0.36, cap_reason=0, marginal_cost_rate=0.08,
                         booking_cost_cents=1_000.0)
    pd_ = np.array([np.nan, 0.02, 0.2], dtype=np.float32)
    term = np.array([180, 30, 360])
    amount = np.array([500_000, 100_000, 1_000_000])
    fee = np.zeros(3)
    _, _, plain, _ = capped_price(stage, pd_, term, fee, amount)
    assert np.allclose(plain, 0.30)  # precondition: the flat policy's price
    stage.set_markup(-0.25)
    _, _, free, _ = capped_price(stage, pd_, term, fee, amount)
    assert np.allclose(free, 0.05)  # precondition: without the floor it moves every price
    stage.set_discount_floor(True)  # as for a lender with a strategy
    _, _, discounted, _ = capped_price(stage, pd_, term, fee, amount)
    from simfin.lending.pricing import average_life_years, grade_of, priced_pd
    life = average_life_years(term)
    priced = priced_pd(grade_of(pd_, stage.grade_cutoffs), pd_.astype(float),
                       stage.grade_cutoffs)
    floor = discount_floor(stage, priced, term, amount.astype(float), life)
    below = floor < plain  # precondition: rows whose marginal cost is below the price
    assert below.any() and not below.all()
    assert (discounted[below] < plain[below]).all()  # the discount applies ...
    assert np.all(discounted[below] >= floor[below] - 1e-9)  # ... down to the marginal cost
    assert np.allclose(discounted, np.where(below, np.maximum(0.05, floor), plain))
    # a row the policy prices below its marginal cost keeps the policy's price
    stage.set_markup(-0.01)  # a small discount: the floor binds only where it did
    _, _, small, _ = capped_price(stage, pd_, term, fee, amount)
    assert np.allclose(small, np.where(below, np.maximum(0.29, floor), plain))
    assert small[0] == pytest.approx(0.29)  # the unscored row's floor is far below


def test_an_unknown_strategy_or_settings_on_a_built_in_one_is_a_config_error():
    import simfin
    from simfin.config import ConfigError

    with pytest.raises(ConfigError, match="unknown lender strategy 'grwoth'"):
        simfin.load_config(None, {"lenders.0.strategy.kind": "grwoth"})
    with pytest.raises(ConfigError, match="settings"):
        simfin.load_config(None, {"lenders.0.strategy.settings": {"x": 1}})
    with pytest.raises(ConfigError, match="min_threshold must be <= max_threshold"):
        simfin.load_config(None, {"lenders.0.strategy.risk_appetite.min_threshold": 0.5,
                                  "lenders.0.strategy.risk_appetite.max_threshold": 0.1})


def test_capital_rules_that_could_never_apply_are_config_errors():
    import simfin
    from simfin.config import ConfigError

    with pytest.raises(ConfigError, match="exit_after_days needs a floor"):
        simfin.load_config(None, {"policy.capital.exit_after_days": 30})
    with pytest.raises(ConfigError, match="floor_ratio: only counts towards leaving"):
        simfin.load_config(None, {"policy.capital.floor_ratio": 0.05})
    with pytest.raises(ConfigError, match="min_capital_ratio"):
        simfin.load_config(None, {"policy.min_capital_ratio": -0.1})
    scheduled = simfin.load_config(None, {
        "policy.capital.exit_after_days": 30,
        "policy.schedule": [{"day": 10, "min_capital_ratio": 0.1}]})
    assert scheduled.policy.schedule[0].changes() == {"min_capital_ratio": 0.1}
