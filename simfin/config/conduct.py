"""How a lender responds to what it sees: its strategy and its review cadence (issue 24).

A lender's ``strategy`` is a registered strategy (``simfin.lending.register_strategy``) that
reviews, every ``review_every_days``, what the lender itself can observe (its own funnel,
its own book, the prices its rivals publicly offer) and moves its levers (approval
threshold, credit-limit multiplier, price markup) in bounded steps. ``fixed`` (the
default) never reviews: the lender keeps its config's levers for the whole run.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import field_validator, model_validator

from simfin.config.base import PROBABILITY, Section, param

BUILT_IN_STRATEGIES = ("fixed", "risk_appetite", "growth", "price_response")
RiskMeasure = Literal["dpd30_share", "loss_rate"]
MEASURE_TEXT = ("'dpd30_share': the lender's 30+ DPD balance / its outstanding balance on "
                "the day before the review; 'loss_rate': principal written off net of "
                "recoveries over the review window / average outstanding, annualised (x 365 "
                "/ window days)")


class LeverSteps(Section):
    """Steps and bounds of the approval threshold and the credit-limit multiplier."""

    threshold_step: float = param(0.005, "Change of the approval threshold (highest "
                                  "predicted default probability approved) per review; a "
                                  "rules-only lender has no threshold and moves its limits "
                                  "only.", "probability", gt=0.0, le=1.0)
    min_threshold: float = param(0.005, "Lowest approval threshold the strategy sets.",
                                 "probability", **PROBABILITY)
    max_threshold: float = param(0.3, "Highest approval threshold the strategy sets.",
                                 "probability", **PROBABILITY)
    limit_step: float = param(0.1, "Change of the credit-limit multiplier (factor on the "
                              "largest loan and a new line's limit; 1 = the config's "
                              "limits) per review.", "factor", gt=0.0, le=10.0)
    min_limit_multiplier: float = param(0.5, "Lowest credit-limit multiplier.", "factor",
                                        gt=0.0, le=10.0)
    max_limit_multiplier: float = param(1.5, "Highest credit-limit multiplier.", "factor",
                                        gt=0.0, le=10.0)
    min_active_loans: int = param(200, "Active loans the lender needs on book before a "
                                  "review acts (fewer: the measure is noise, the lever "
                                  "holds).", "loans", ge=0)

    @model_validator(mode="after")
    def _bounds_in_order(self) -> LeverSteps:
        if self.min_threshold > self.max_threshold:
            raise ValueError("min_threshold must be <= max_threshold")
        if self.min_limit_multiplier > self.max_limit_multiplier:
            raise ValueError("min_limit_multiplier must be <= max_limit_multiplier")
        return self


class RiskAppetiteConfig(LeverSteps):
    """The risk-appetite controller: steers its approval threshold and credit limits so
    that a risk measure of its own book stays near a target. Above the band it tightens
    (threshold and limit multiplier one step down), below it loosens (one step up), inside
    it holds; each within its bounds.
    """

    measure: RiskMeasure = param("dpd30_share", f"What is steered: {MEASURE_TEXT}.")
    target: float = param(0.05, "Target of the measure.", "share or rate/year", ge=0.0,
                          le=10.0)
    tolerance: float = param(0.2, "Half-width of the band around the target in which the "
                             "controller holds, relative to the target (0.2: within "
                             "+/-20 % of it).", "share", ge=0.0, le=1.0)


class GrowthConfig(LeverSteps):
    """The growth strategy: a volume target under a loss limit. Over the limit it tightens
    one step; under it, below the volume target it loosens one step (threshold and limit
    multiplier up), at or above the target it holds.
    """

    loans_per_day: float = param(20.0, "Volume target: loans booked per day, averaged over "
                                 "the review window.", "loans/day", gt=0.0)
    loss_measure: RiskMeasure = param("dpd30_share", f"The loss limit's measure: "
                                      f"{MEASURE_TEXT}.")
    loss_limit: float = param(0.08, "Highest value of the measure at which the strategy "
                              "still grows; above it, it tightens.", "share or rate/year",
                              ge=0.0, le=10.0)


class PriceResponseConfig(Section):
    """The price response to rivals: it reads, over the review window, the all-in APR each
    rival publicly offers on each product (the mean of its offers) and its own take-up. When
    its take-up is below the target and a rival offers a product it sells cheaper, it lowers
    its price one step (a negative markup on what its pricing policy asks, never below a
    loan's marginal cost: the pricing stage floors every discounted price there, at funding,
    operating and booking cost plus the expected loss at the loan's PD where it has one);
    when it is the cheapest by ``min_gap`` on every product it compares, it raises the price
    one step back towards its policy's price (never above it).
    """

    price_step: float = param(0.01, "Change of the markup per review.", "rate/year", gt=0.0,
                              le=1.0)
    max_discount: float = param(0.15, "Largest discount on the policy's price (the markup "
                                "stays >= -max_discount).", "rate/year", ge=0.0, le=1.0)
    min_gap: float = param(0.005, "A rival is cheaper on a product when its mean offered "
                           "all-in APR there is at least this below the lender's own (and "
                           "the lender the cheapest when at least this below every "
                           "rival's).",
                           "rate/year", ge=0.0, le=1.0)
    take_up_target: float = param(0.6, "Share of its offers taken below which the lender "
                                  "reads its funnel as losing applicants.", "share",
                                  **PROBABILITY)
    min_offers: int = param(30, "Offers in the window on a product (the lender's own, and "
                            "each rival's) before that product's prices are compared.",
                            "offers", ge=1)


class StrategyConfig(Section):
    """The lender's strategy and its review cadence."""

    kind: str = param("fixed", "Registered strategy: 'fixed' (never reviews: the config's "
                      "levers all run, bit for bit as before strategies existed), "
                      "'risk_appetite', 'growth', 'price_response', or a name registered "
                      "with simfin.lending.register_strategy.")
    review_every_days: int = param(30, "Days between reviews (the first on this day after "
                                   "the lender enters the market).", "days", ge=1,
                                   le=36_500)
    risk_appetite: RiskAppetiteConfig = param(RiskAppetiteConfig(), "Settings of "
                                              "'risk_appetite' (used by that kind only).")
    growth: GrowthConfig = param(GrowthConfig(), "Settings of 'growth' (used by that kind "
                                 "only).")
    price_response: PriceResponseConfig = param(PriceResponseConfig(), "Settings of "
                                                "'price_response' (used by that kind "
                                                "only).")
    settings: dict[str, Any] = param({}, "Settings of a registered strategy of your own "
                                     "(given to its factory); must be empty for the "
                                     "built-in kinds.")

    @field_validator("kind")
    @classmethod
    def _known_strategy(cls, kind: str) -> str:
        from simfin.lending import strategies  # noqa: F401  (registers the built-ins)
        from simfin.lending.registry import STRATEGIES

        if kind not in STRATEGIES:
            raise ValueError(f"unknown {STRATEGIES.kind} {kind!r}; registered: "
                             f"{', '.join(STRATEGIES.names())}")
        return kind

    @model_validator(mode="after")
    def _settings_for_own_strategies(self) -> StrategyConfig:
        if self.kind in BUILT_IN_STRATEGIES and self.settings:
            raise ValueError(f"settings: the built-in {self.kind!r} strategy takes its "
                             f"settings from its own section, not from settings")
        return self
