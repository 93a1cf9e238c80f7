"""Behavioural coefficients: how consumers, fraudsters and service respond.

These are the numbers a calibration or sensitivity study varies. They were module constants;
here each has a default, a unit, a description and bounds, so that configs, overrides and
experiments reach them (``--set behaviour.repayment.willingness_weight=3``). The defaults
reproduce the market the constants described.
"""

from __future__ import annotations

from pydantic import field_validator

from simfin.config.base import PROBABILITY, Section, param
from simfin.config.fraud import FraudBehaviour


class RepaymentBehaviour(Section):
    """The logit of paying an instalment, and of curing a delinquency."""

    willingness_weight: float = param(2.5, "Weight of the log-odds of the latent willingness "
                                      "to repay in the repayment logit.", "logit/log-odds",
                                      ge=0.0, le=20.0)
    capacity_weight: float = param(1.2, "Weight of log(disposable income / amount due) in the "
                                   "repayment logit: capacity to pay.", "logit/log ratio",
                                   ge=0.0, le=20.0)
    intercept: float = param(-0.5, "Constant of the repayment logit.", "logit", ge=-20.0,
                             le=20.0)
    min_capacity_ratio: float = param(0.05, "Floor of disposable income / amount due before "
                                      "the log (a borrower with nothing left still pays "
                                      "sometimes).", "ratio", gt=0.0, le=1.0)
    max_capacity_ratio: float = param(50.0, "Ceiling of disposable income / amount due before "
                                      "the log (capacity beyond this adds nothing).", "ratio",
                                      ge=1.0, le=10_000.0)
    satisfaction_weight: float = param(2.0, "Logit of paying gained per unit of satisfaction "
                                       "above the neutral level: well-served borrowers keep "
                                       "paying, badly served ones deprioritise the lender.",
                                       "logit/satisfaction", ge=0.0, le=20.0)
    neutral_satisfaction: float = param(0.7, "Satisfaction at which service neither helps nor "
                                        "hurts repayment.", "satisfaction", **PROBABILITY)
    manual_payment_penalty: float = param(0.7, "Logit of paying lost without auto-debit: "
                                          "borrowers must remember to pay.", "logit", ge=0.0,
                                          le=20.0)
    base_cure_rate: float = param(0.05, "Daily probability that a delinquent borrower who can "
                                  "pay gets round to paying everything overdue, before "
                                  "collections.", "rate/day", **PROBABILITY)


class ApplicationBehaviour(Section):
    """Finishing the form, drawing an approved offer, and coming back to a lender."""

    patience_minutes: list[float] = param(
        [60.0, 40.0, 25.0, 15.0], "Minutes of application friction at which half of a "
        "cohort's applicants give up, by cohort (pre80, post80, post90, post00): "
        "born-digital cohorts expect speed.", "minutes", min_length=4, max_length=4)
    step_drop_off: float = param(0.02, "Share of applicants lost at each extra screen of the "
                                 "form.", "share/screen", **PROBABILITY)
    online_form_floor: float = param(0.4, "Completion factor of an online form for a consumer "
                                     "with no digital affinity (rises linearly to 1 at full "
                                     "affinity).", "share", **PROBABILITY)
    take_up_max: float = param(0.95, "Probability of drawing an approved offer at a low "
                               "price.", "probability", **PROBABILITY)
    take_up_min: float = param(0.3, "Floor of the probability of drawing an approved offer, "
                               "however expensive.", "probability", **PROBABILITY)
    take_up_free_apr: float = param(0.15, "All-in APR below which the price does not reduce "
                                    "take-up.", "rate/year", ge=0.0, le=10.0)
    take_up_price_slope: float = param(0.8, "Take-up lost per unit of all-in APR above the "
                                       "free level.", "probability/(rate/year)", ge=0.0,
                                       le=100.0)
    loyalty_weight: float = param(4.0, "How strongly a returning customer's satisfaction "
                                  "moves their choice of the lender: factor exp(weight * "
                                  "(satisfaction - neutral)).", "log factor/satisfaction",
                                  ge=0.0, le=50.0)
    loyalty_neutral: float = param(0.6, "Satisfaction at which a returning customer neither "
                                   "favours nor avoids the lender.", "satisfaction",
                                   **PROBABILITY)

    @field_validator("patience_minutes")
    @classmethod
    def _positive(cls, minutes: list[float]) -> list[float]:
        for m in minutes:
            if not 0.0 < m <= 10_000.0:
                raise ValueError(f"patience must be in (0, 10000] minutes, got {m}")
        return minutes


class ChannelBehaviour(Section):
    """How channels sort consumers by risk."""

    risk_tilt_scale: float = param(2.0, "Log weight of a channel per unit of risk_tilt and of "
                                   "willingness gap: weight = reach * exp(scale * risk_tilt "
                                   "* (reference - willingness)).", "log weight", ge=0.0,
                                   le=50.0)
    tilt_reference_willingness: float = param(0.85, "Willingness at which a channel's risk "
                                              "tilt neither draws nor repels a consumer.",
                                              "probability", **PROBABILITY)
    behaviour_score_noise: float = param(0.15, "Standard deviation of a data-sharing "
                                         "channel's behaviour score around the true "
                                         "willingness to repay.", "probability", ge=0.0,
                                         le=10.0)


class ServiceBehaviour(Section):
    """How service contacts move satisfaction and how a unified platform helps."""

    satisfaction_step: float = param(0.3, "How far one resolved (unresolved) contact moves "
                                     "satisfaction towards 1 (0).", "share", **PROBABILITY)
    unified_quality_bonus: float = param(0.1, "Resolution probability a unified platform adds "
                                         "(one profile, no repeated questions).",
                                         "probability", **PROBABILITY)
    silo_quality_penalty: float = param(0.05, "Resolution probability lost per extra siloed "
                                        "channel (hand-offs, repeated questions).",
                                        "probability/channel", **PROBABILITY)
    unified_collection_bonus: float = param(1.5, "Factor on the collection effect of a "
                                            "unified platform (it knows each borrower's "
                                            "channel and time).", "ratio", ge=0.0, le=100.0)


class BehaviourConfig(Section):
    """Behavioural coefficients of consumers, fraudsters and service, by concern."""

    repayment: RepaymentBehaviour = param(RepaymentBehaviour(), "Paying, missing and curing.")
    application: ApplicationBehaviour = param(ApplicationBehaviour(), "Finishing the form, "
                                              "drawing the offer, coming back.")
    channels: ChannelBehaviour = param(ChannelBehaviour(), "Channels' risk sorting and data.")
    fraud: FraudBehaviour = param(FraudBehaviour(), "Fraudsters: first-party, synthetic "
                                  "and stolen identities, rings (simfin/config/fraud.py).")
    service: ServiceBehaviour = param(ServiceBehaviour(), "Service and collections.")
