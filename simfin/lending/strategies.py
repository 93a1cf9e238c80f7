"""Lenders that respond: strategies that review what a lender observes and move its levers.

A strategy is registered by name (:data:`simfin.lending.registry.STRATEGIES`) and chosen per
lender in config (``lenders.N.strategy.kind``). Every ``review_every_days`` it is shown a
:class:`StrategyView` (the lender's own funnel and book over the review window, and the
all-in APRs its rivals publicly offered: never another lender's books or a consumer's
hidden truth) and returns a :class:`Decision`: the levers from the next decision on
(approval threshold, credit-limit multiplier, price markup; see
``Lender.set_levers``) and the reason, which the run records as an event.

The built-ins:

- ``fixed``: never reviews (the factory returns None): the config's levers, bit for bit;
- ``risk_appetite``: steers its threshold and limits to a target 30+ DPD share or loss rate;
- ``growth``: loosens towards a volume target while a loss measure is under its limit;
- ``price_response``: discounts its price where a rival is cheaper and its offers are not
  taken, never below a loan's marginal cost (the pricing stage floors a discounted price
  there, ``simfin.lending.pricing.discount_floor``), and moves back towards its policy's
  price when it is the cheapest by a margin.

A strategy of your own::

    from simfin.lending import register_strategy
    from simfin.lending.strategies import Decision

    @register_strategy("cautious")
    def make_cautious(config):          # config: the lender's StrategyConfig
        step = config.settings.get("step", 0.1)

        class Cautious:
            def review(self, view):
                limit = max(view.levers["limit_multiplier"] - step, 0.5)
                return Decision("tighten", {"limit_multiplier": limit}, "always cautious")
        return Cautious()
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from simfin.lending.product import PRODUCT_KINDS
from simfin.lending.registry import register_strategy

DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class StrategyView:
    """What a lender observes at a review: its own books and funnel over the review window
    (the days since the last review), and its rivals' public prices.

    Attributes:
        day: The review day (before its applications).
        window_days: Days the window covers.
        levers: The levers in force (``Lender.levers()``; ``approval_threshold`` None: no
            model).
        active_loans: The lender's active loans at the end of the day before.
        outstanding_cents: Its outstanding principal then.
        dpd30_balance_cents: Its principal 30+ days past due then.
        average_outstanding_cents: Its mean outstanding over the window.
        net_loss_cents: Principal written off net of recoveries over the window.
        loans: Loans booked over the window.
        offers: (n_product_kinds,) offers it made (approved applications), by product kind.
        offers_taken: (n_product_kinds,) of those, the ones the applicant took.
        own_price: (n_product_kinds,) mean all-in APR of its offers (NaN: none).
        rival_names: The other lenders that were in the market.
        rival_offers: (n_rivals, n_product_kinds) offers each rival made.
        rival_prices: (n_rivals, n_product_kinds) mean all-in APR each rival offered (NaN:
            none): public, as lenders in China must state the annualised rate of every
            offer.
    """

    day: int
    window_days: int
    levers: dict[str, float | None]
    active_loans: int
    outstanding_cents: int
    dpd30_balance_cents: int
    average_outstanding_cents: float
    net_loss_cents: int
    loans: int
    offers: np.ndarray
    offers_taken: np.ndarray
    own_price: np.ndarray
    rival_names: list[str] = field(default_factory=list)
    rival_offers: np.ndarray = field(default_factory=lambda: np.zeros((0, len(PRODUCT_KINDS))))
    rival_prices: np.ndarray = field(default_factory=lambda: np.zeros((0, len(PRODUCT_KINDS))))

    def measure(self, name: str) -> float:
        """``dpd30_share`` (30+ DPD balance / outstanding; 0 with nothing outstanding) or
        ``loss_rate`` (net loss over the window / average outstanding, annualised).
        """
        if name == "dpd30_share":
            return self.dpd30_balance_cents / max(self.outstanding_cents, 1)
        if name == "loss_rate":
            return (self.net_loss_cents / max(self.average_outstanding_cents, 1.0)
                    * DAYS_PER_YEAR / max(self.window_days, 1))
        raise ValueError(f"unknown risk measure {name!r}")

    @property
    def take_up(self) -> float | None:
        """Share of its offers over the window that were taken (None: no offers)."""
        total = int(self.offers.sum())
        return None if total == 0 else float(self.offers_taken.sum()) / total


@dataclass(frozen=True)
class Decision:
    """A strategy's decision at a review.

    Attributes:
        action: One word: ``tighten``, ``loosen``, ``hold``, ``cut_price``,
            ``raise_price`` (or a custom strategy's own).
        levers: The levers to set (names of ``Lender.set_levers``); those left out keep
            their value.
        reason: Why, with the numbers the strategy read.
    """

    action: str
    levers: dict[str, float]
    reason: str


class Strategy(Protocol):
    """What the market asks of a strategy: a decision at each review."""

    def review(self, view: StrategyView) -> Decision:
        """The decision on what the lender observes."""


def _stepped(levers: dict[str, float | None], direction: int, cfg: Any) -> dict[str, float]:
    """Threshold (when the lender has one) and limit multiplier one step in ``direction``
    (+1 looser, -1 tighter), within their bounds.
    """
    def step(value: float, size: float, low: float, high: float) -> float:
        # rounded: ten steps of 0.1 are 1.0, not 0.9999999999999999
        return round(float(np.clip(value + direction * size, low, high)), 10)

    out = {"limit_multiplier": step(levers["limit_multiplier"], cfg.limit_step,
                                    cfg.min_limit_multiplier, cfg.max_limit_multiplier)}
    if levers.get("approval_threshold") is not None:
        out["approval_threshold"] = step(levers["approval_threshold"], cfg.threshold_step,
                                         cfg.min_threshold, cfg.max_threshold)
    return out


def _move(view: StrategyView, direction: int, cfg: Any, action: str, why: str) -> Decision:
    """A tighten/loosen decision, or a hold when every lever is at its bound already."""
    levers = _stepped(view.levers, direction, cfg)
    if all(abs(value - (view.levers.get(name) or 0.0)) < 1e-12
           for name, value in levers.items()):
        return Decision("hold", {}, f"{why}; levers at their bounds")
    return Decision(action, levers, why)


class RiskAppetite:
    """Steers a risk measure of its own book to a target (``RiskAppetiteConfig``)."""

    def __init__(self, cfg: Any) -> None:
        self.cfg = cfg

    def review(self, view: StrategyView) -> Decision:
        """Tighten above the band, loosen below it, hold inside it (or on a thin book)."""
        cfg = self.cfg
        if view.active_loans < cfg.min_active_loans:
            return Decision("hold", {}, f"{view.active_loans} active loans < "
                            f"{cfg.min_active_loans}: too few to read")
        value = view.measure(cfg.measure)
        high, low = cfg.target * (1 + cfg.tolerance), cfg.target * (1 - cfg.tolerance)
        text = f"{cfg.measure} {value:.4f}"
        if value > high:
            return _move(view, -1, cfg, "tighten", f"{text} > {high:.4f} (target "
                         f"{cfg.target:.4f} +{cfg.tolerance:.0%})")
        if value < low:
            return _move(view, +1, cfg, "loosen", f"{text} < {low:.4f} (target "
                         f"{cfg.target:.4f} -{cfg.tolerance:.0%})")
        return Decision("hold", {}, f"{text} within [{low:.4f}, {high:.4f}]")


class Growth:
    """A volume target under a loss limit (``GrowthConfig``)."""

    def __init__(self, cfg: Any) -> None:
        self.cfg = cfg

    def review(self, view: StrategyView) -> Decision:
        """Tighten over the loss limit; otherwise loosen below the volume target."""
        cfg = self.cfg
        per_day = view.loans / max(view.window_days, 1)
        if view.active_loans >= cfg.min_active_loans:
            value = view.measure(cfg.loss_measure)
            if value > cfg.loss_limit:
                return _move(view, -1, cfg, "tighten", f"{cfg.loss_measure} {value:.4f} > "
                             f"loss limit {cfg.loss_limit:.4f}; {per_day:.1f} loans/day "
                             f"{'<' if per_day < cfg.loans_per_day else '>='} target "
                             f"{cfg.loans_per_day:g}")
            risk = f"{cfg.loss_measure} {value:.4f} <= {cfg.loss_limit:.4f}"
        else:
            risk = f"{view.active_loans} active loans: loss limit not yet read"
        if per_day < cfg.loans_per_day:
            return _move(view, +1, cfg, "loosen", f"{per_day:.1f} loans/day < target "
                         f"{cfg.loans_per_day:g}; {risk}")
        return Decision("hold", {}, f"{per_day:.1f} loans/day >= target "
                        f"{cfg.loans_per_day:g}; {risk}")


class PriceResponse:
    """Answers cheaper rivals with a discount on its policy's price
    (``PriceResponseConfig``).
    """

    def __init__(self, cfg: Any) -> None:
        self.cfg = cfg

    def gaps(self, view: StrategyView) -> dict[str, tuple[float, str]]:
        """Per product kind on which the lender and some rival made ``min_offers`` offers
        or more in the window: the cheapest such rival's mean offered all-in APR minus the
        lender's own (negative: the rival is cheaper), and the rival's name.
        """
        cfg, out = self.cfg, {}
        for k, kind in enumerate(PRODUCT_KINDS):
            if view.offers[k] < cfg.min_offers or not len(view.rival_names):
                continue
            read = view.rival_offers[:, k] >= cfg.min_offers
            if read.any():
                prices = np.where(read, view.rival_prices[:, k], np.inf)
                r = int(np.argmin(prices))
                out[kind] = (float(prices[r] - view.own_price[k]), view.rival_names[r])
        return out

    def review(self, view: StrategyView) -> Decision:
        """Cut the markup one step when its take-up is below the target and a rival is
        cheaper (by ``min_gap``) on a product; raise it one step back (never above 0) when
        it is the cheaper by ``min_gap`` on every product it compares; hold otherwise.
        """
        cfg = self.cfg
        markup = float(view.levers["price_markup"])
        take_up = view.take_up
        if take_up is None:
            return Decision("hold", {}, "no offers in the window")
        gaps = self.gaps(view)
        read = "; ".join(f"{kind}: {rival} {gap:+.3f} vs own {view.own_price[k]:.3f}"
                         for k, kind in enumerate(PRODUCT_KINDS) if kind in gaps
                         for gap, rival in [gaps[kind]])
        seen = f"take-up {take_up:.3f}; " + (read or "no prices to compare")
        cheaper = [kind for kind, (gap, _) in gaps.items() if gap <= -cfg.min_gap]
        if cheaper and take_up < cfg.take_up_target:
            new = round(max(markup - cfg.price_step, -cfg.max_discount), 10)
            if new == markup:
                return Decision("hold", {}, f"{seen}; discount at its largest "
                                f"({cfg.max_discount:g})")
            return Decision("cut_price", {"price_markup": new},
                            f"{seen}; take-up < {cfg.take_up_target:g} and a rival cheaper "
                            f"on {', '.join(cheaper)}")
        if gaps and markup < 0.0 and all(gap >= cfg.min_gap for gap, _ in gaps.values()):
            return Decision("raise_price",
                            {"price_markup": round(min(markup + cfg.price_step, 0.0), 10)},
                            f"{seen}; the cheapest by {cfg.min_gap:g} or more everywhere")
        return Decision("hold", {}, seen)


@register_strategy("fixed")
def make_fixed(config: Any) -> None:
    """The config's levers for the whole run: no strategy to review."""
    return None


@register_strategy("risk_appetite")
def make_risk_appetite(config: Any) -> RiskAppetite:
    """The risk-appetite controller on ``config.risk_appetite``."""
    return RiskAppetite(config.risk_appetite)


@register_strategy("growth")
def make_growth(config: Any) -> Growth:
    """The growth strategy on ``config.growth``."""
    return Growth(config.growth)


@register_strategy("price_response")
def make_price_response(config: Any) -> PriceResponse:
    """The price response on ``config.price_response``."""
    return PriceResponse(config.price_response)
