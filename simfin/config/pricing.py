"""A lender's pricing: the registered policy, its grades and cost-plus terms, and the
demand-based ('optimised') policy's learner.
"""

from __future__ import annotations

from pydantic import field_validator, model_validator

from simfin.config.base import PROBABILITY, Section, param
from simfin.config.plugins import registered
from simfin.lending.pricing import GRADE_LETTERS

MAX_GRADE_CUTOFFS = len(GRADE_LETTERS) - 1
"""Most grade cutoffs: grades are lettered A to J in the loan table and the summary."""


class OptimisedPricingConfig(Section):
    """The 'optimised' (demand-based) policy: per offer, the all-in APR that maximises the
    expected profit P(take-up | APR, segment) x (APR - marginal cost rate), between the
    marginal cost and the cap; P is a logistic regression of the lender's own offers (taken
    or not) on APR, PD, term, amount, share of the ask offered, online, age and product,
    refitted on the lender's retraining schedule (risk.model.retrain_every_days).
    """

    min_offers: int = param(1_000, "Scored offers (with a PD) observed in the window before "
                            "the take-up model prices; until then the lender prices as "
                            "'risk_based' does (cold start).", "offers", ge=10)
    window_days: int = param(365, "Offers older than this are left out of the take-up fit "
                             "(competitors and the applicant mix move).", "days", ge=1)
    price_test_share: float = param(0.1, "Share of scored offers whose price is moved at "
                                    "random (price tests: without them the take-up model "
                                    "cannot tell the price's effect from the segment's).",
                                    "share", **PROBABILITY)
    price_test_width: float = param(0.06, "Largest move of a price test, up or down "
                                    "(uniform), kept between the marginal cost and the cap.",
                                    "rate/year", ge=0.0, le=1.0)
    max_apr: float = param(0.48, "Highest all-in APR the policy chooses where no APR cap is "
                           "in force (with a cap: the cap).", "rate/year", gt=0.0, le=10.0)
    regularisation: float = param(1.0, "Inverse L2 strength of the take-up fit "
                                  "(scikit-learn's C) on standardised features.", "1/penalty",
                                  gt=0.0)


class PricingConfig(Section):
    """Risk-grade pricing."""

    strategy: str = param("risk_based", "Registered pricing policy: 'risk_based' (cost-plus "
                          "APR per grade: funding, operating cost, margin, lifetime expected "
                          "loss and cost per booked loan, lowered to the APR cap; declined "
                          "only where the marginal cost is above the cap), 'flat', or "
                          "'optimised' (the profit-maximising APR against the lender's "
                          "estimate of take-up, see 'optimised'; risk_based until it has "
                          "learned; needs a risk model for the PD).")
    flat_apr: float = param(0.30, "All-in APR of the 'flat' policy, and of every loan before "
                            "the model is in use; lowered to the APR cap where one binds.",
                            "rate/year", ge=0.0, le=10.0)
    grade_cutoffs: list[float] = param([0.02, 0.05, 0.10, 0.20], "Upper predicted default "
                                       "probability of grades A, B, C, ...; the last grade "
                                       "takes the rest.", "probability", min_length=1)
    loss_given_bad: float = param(0.55, "Expected share of principal lost on a loan that goes "
                                  "30+ days past due (the event the model predicts): on the "
                                  "default market about 70 % of such loans roll on to "
                                  "default, with about 85 % of the principal outstanding "
                                  "and 10 % recovered.",
                                      "share", **PROBABILITY)
    operating_cost_rate: float = param(0.04, "Operating cost per unit of balance per year.",
                                       "rate/year", ge=0.0, le=1.0)
    margin_rate: float = param(0.05, "Target margin per unit of balance per year.",
                               "rate/year", ge=0.0, le=1.0)
    unit_cost_prior_cents: int = param(6_000, "Starting estimate of the acquisition, data, "
                                       "verification, review and platform cost per booked "
                                       "loan; the lender re-estimates it from its own books.",
                                       "cents/loan", ge=0)
    booking_cost_cents: int = param(1_000, "The lender's estimate of what booking one more "
                                    "loan adds once it is decided (disbursement, servicing, "
                                    "collections); with "
                                    "funding, operating cost and expected loss it is the "
                                    "marginal cost a risk-based lender must cover under the "
                                    "APR cap to lend (acquisition, data and verification are "
                                    "sunk by then).", "cents/loan", ge=0)
    cold_start_pd: float | None = param(None, "The PD a risk-based lender assumes for an "
                                        "applicant its model cannot score yet (cold start: "
                                        "its business plan's bad rate for what its rules "
                                        "approve): such a loan is priced, and declined over "
                                        "the APR cap, as a scored loan of this PD. null: "
                                        "priced at flat_apr and never declined for the cap "
                                        "(the lender lends at the cap to learn).",
                                        "probability", **PROBABILITY)
    window_to_life_exponent: float | None = param(
        None, "Carries the model's PD (of 30+ DPD within risk.model.performance_window_days, "
        "W) over the loan's life for pricing: PD_life = 1 - (1 - PD) ** (r ** exponent), r = "
        "term_days / (W - 30) when above 1 (how many times the loan's due dates outrun those "
        "the window sees). 1: the same hazard at every due date; below 1: a hazard that falls "
        "with time on book (0.75 matches the simulated consumers' loans, whose bad rates grow "
        "about 1.4x from 60- to 90-day and 2.2x from 60- to 180-day terms); null: the window "
        "PD is priced as a lifetime PD, so long loans look safer than short ones to the same "
        "borrower.", "exponent", ge=0.0, le=2.0)
    unit_cost_prior_loans: int = param(500, "Loans the starting estimate counts for when "
                                       "blended with the lender's own cost per loan.", "loans",
                                       ge=1)
    optimised: OptimisedPricingConfig = param(OptimisedPricingConfig(), "The 'optimised' "
                                              "policy's take-up model and price tests (used "
                                              "by that strategy only).")

    @field_validator("strategy")
    @classmethod
    def _known_policy(cls, strategy: str) -> str:
        return registered("PRICING", strategy)

    @field_validator("grade_cutoffs")
    @classmethod
    def _lettered(cls, cutoffs: list[float]) -> list[float]:
        if len(cutoffs) > MAX_GRADE_CUTOFFS:
            raise ValueError(f"at most {MAX_GRADE_CUTOFFS} cutoffs (grades are lettered "
                             f"{GRADE_LETTERS[0]} to {GRADE_LETTERS[-1]}), got {len(cutoffs)}")
        return cutoffs

    @model_validator(mode="after")
    def _cold_start_pd_prices_risk(self) -> PricingConfig:
        from simfin.lending.registry import PRICING

        for name in ("cold_start_pd", "window_to_life_exponent"):
            if getattr(self, name) is not None and not getattr(PRICING.get(self.strategy),
                                                              "prices_risk", False):
                raise ValueError(f"{name}: the {self.strategy!r} policy does not price by "
                                 "PD; set it to null or use 'risk_based' or 'optimised'")
        return self

    @model_validator(mode="after")
    def _increasing(self) -> PricingConfig:
        cutoffs = self.grade_cutoffs
        if any(not 0.0 < c <= 1.0 for c in cutoffs) or cutoffs != sorted(cutoffs):
            raise ValueError("grade_cutoffs must be increasing probabilities in (0, 1]")
        return self
