"""Behavioural coefficients: how consumers, fraudsters and service respond.

These are the numbers a calibration or sensitivity study varies. They were module constants;
here each has a default, a unit, a description and bounds, so that configs, overrides and
experiments reach them (``--set behaviour.repayment.willingness_weight=3``). The defaults
reproduce the market the constants described.
"""

from __future__ import annotations

from pydantic import field_validator

from simfin.config.base import PROBABILITY, Section, check_each, param
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
    base_cure_rate: float = param(0.2, "Daily probability that a delinquent borrower who can "
                                  "pay gets round to paying everything overdue, before "
                                  "collections, on the first day past due.", "rate/day",
                                  **PROBABILITY)
    cure_half_life_days: float = param(
        15.0, "Days past due over which the daily cure rate halves. Borrowers who can pay "
        "do so early and a debt long overdue is rarely paid, so most missed payments are "
        "collected within 30 days and most loans 30+ days past due go on to default.",
        "days", gt=0.0, le=10_000.0)


class ApplicationBehaviour(Section):
    """Finishing the form, and coming back to a lender."""

    patience_minutes: list[float] = param(
        [60.0, 40.0, 25.0, 15.0], "Minutes of application friction at which half of a "
        "cohort's applicants give up, by cohort (pre80, post80, post90, post00): "
        "born-digital cohorts expect speed.", "minutes", min_length=4, max_length=4)
    step_drop_off: float = param(0.02, "Share of applicants lost at each extra screen of the "
                                 "form.", "share/screen", **PROBABILITY)
    online_form_floor: float = param(0.4, "Completion factor of an online form for a consumer "
                                     "with no digital affinity (rises linearly to 1 at full "
                                     "affinity).", "share", **PROBABILITY)
    loyalty_weight: float = param(4.0, "How strongly a returning customer's satisfaction "
                                  "moves their choice of the lender: factor exp(weight * "
                                  "(satisfaction - neutral)).", "log factor/satisfaction",
                                  ge=0.0, le=50.0)
    loyalty_neutral: float = param(0.6, "Satisfaction at which a returning customer neither "
                                   "favours nor avoids the lender.", "satisfaction",
                                   **PROBABILITY)
    income_overstatement_sd: float = param(0.1, "Genuine applicants round their income up: "
                                           "they state their true income times 1 + |N(0, "
                                           "sd)| (fraudsters: behaviour.fraud.disguise).",
                                           "ratio", ge=0.0, le=10.0)

    @field_validator("patience_minutes")
    @classmethod
    def _positive(cls, minutes: list[float]) -> list[float]:
        for m in minutes:
            if not 0.0 < m <= 10_000.0:
                raise ValueError(f"patience must be in (0, 10000] minutes, got {m}")
        return minutes


class ProductWeights(Section):
    """A weight per product kind."""

    instalment: float = param(0.5, "Scenario instalment loans.", "ratio", ge=0.0, le=100.0)
    cash: float = param(1.0, "Instant cash loans.", "ratio", ge=0.0, le=100.0)
    revolving: float = param(0.8, "Revolving credit-line draws.", "ratio", ge=0.0, le=100.0)


class DemandBehaviour(Section):
    """Who needs credit, how often and for how much: adverse selection into applying.

    A consumer's need rate is the scenario's ``need_rate`` times a multiplier from their
    state: exp(product weight x (willingness, debt and income terms)) x the shock factor x
    the cohort factor, capped at ``max_multiplier``. Riskier people need credit more often,
    so applicants are riskier than the population.
    """

    willingness_weight: float = param(4.0, "Log need rate per unit of willingness below the "
                                      "reference: the less willing to repay, the more often "
                                      "in need of credit.", "log rate/probability", ge=0.0,
                                      le=50.0)
    reference_willingness: float = param(0.85, "Willingness at which the willingness term is "
                                         "zero.", "probability", **PROBABILITY)
    debt_weight: float = param(3.0, "Log need rate per unit of existing debt service / "
                                "monthly income.", "log rate/ratio", ge=0.0, le=50.0)
    income_weight: float = param(0.3, "Log need rate per unit of log(median income / "
                                 "income): lower incomes need credit more often.",
                                 "log rate/log ratio", ge=0.0, le=10.0)
    shock_multiplier: float = param(2.5, "Need rate during an income shock relative to "
                                    "normal.", "ratio", ge=0.0, le=100.0)
    cohort_multiplier: list[float] = param(
        [0.45, 0.9, 1.3, 1.25], "Need rate by cohort (pre80, post80, post90, post00): "
        "online credit is used mostly by people in their twenties and thirties.", "ratio",
        min_length=4, max_length=4)
    product_weight: ProductWeights = param(ProductWeights(), "How strongly the risk terms "
                                           "act on each product's needs (cash needs are the "
                                           "most adversely selected).")
    max_multiplier: float = param(6.0, "Highest state multiplier of a consumer's need rate.",
                                  "ratio", ge=1.0, le=100.0)
    amount_income_elasticity: float = param(0.3, "Elasticity of the ticket size to the "
                                            "consumer's income.", "log/log", ge=0.0, le=3.0)
    online_ticket_factor: float = param(0.7, "Ticket size of an online need relative to an "
                                        "offline one: online needs are smaller.", "ratio",
                                        gt=0.0, le=10.0)
    affinity_need_base: float = param(0.5, "A consumer's need rate carries the factor base + "
                                      "digital affinity (0 to 1): this base is the factor "
                                      "of a consumer with no affinity, and the online-minded "
                                      "meet credit offers more often.", "ratio", ge=0.0,
                                      le=100.0)
    online_short_term_tilt: float = param(1.5, "Online needs favour short terms: a term's "
                                          "weight is term^-tilt (offline: uniform).", "",
                                          ge=0.0, le=10.0)
    reapply_probability: float = param(0.5, "Probability that an applicant no lender "
                                       "approved applies again, to lenders not yet tried.",
                                       "probability", **PROBABILITY)
    reapply_max_days: int = param(3, "A re-application comes 1 to this many days later.",
                                  "days", ge=1, le=365)
    max_reapplications: int = param(2, "Re-applications of one need at most.", "count",
                                    ge=0, le=20)

    @field_validator("cohort_multiplier")
    @classmethod
    def _non_negative(cls, values: list[float]) -> list[float]:
        return check_each(values, 0.0, 100.0, "multipliers")


class ChoiceBehaviour(Section):
    """How a consumer chooses among the offers that reach them: a multinomial logit with an
    outside option (not borrowing). Utility of an offer = brand - price sensitivity x
    all-in APR + limit weight x log(offered / asked) - speed weight x log(1 + hours to
    decision) - friction weight x form minutes / 10 + service weight x (satisfaction -
    neutral) for a lender the consumer has borrowed from.
    """

    shop_around_online: float = param(0.35, "Probability that an online need also applies to "
                                      "each other lender offering the product.",
                                      "probability", **PROBABILITY)
    shop_around_offline: float = param(0.05, "The same for an offline need (a store has its "
                                       "partner lender).", "probability", **PROBABILITY)
    price_sensitivity: float = param(6.0, "Utility lost per unit of all-in APR.",
                                     "utility/(rate/year)", ge=0.0, le=100.0)
    price_by_cohort: list[float] = param([1.3, 1.1, 0.9, 0.75], "Factor on price sensitivity "
                                         "by cohort (pre80, post80, post90, post00).",
                                         "ratio", min_length=4, max_length=4)
    price_by_region: list[float] = param([1.2, 1.0, 0.8], "Factor on price sensitivity by "
                                         "city tier (tier1, tier2, tier3): fewer "
                                         "alternatives, less sensitivity.", "ratio",
                                         min_length=3, max_length=3)
    limit_weight: float = param(1.0, "Utility per unit of log(offered amount / asked).",
                                "utility/log ratio", ge=0.0, le=50.0)
    speed_weight: float = param(0.3, "Utility lost per unit of log(1 + hours to decision).",
                                "utility/log hours", ge=0.0, le=50.0)
    friction_weight: float = param(0.1, "Utility lost per 10 minutes of application form.",
                                   "utility/10 minutes", ge=0.0, le=50.0)
    service_weight: float = param(2.0, "Utility per unit of satisfaction above neutral with a "
                                  "lender the consumer borrowed from.", "utility/satisfaction",
                                  ge=0.0, le=50.0)
    outside_utility: float = param(-1.4, "Utility of not borrowing (or borrowing outside the "
                                   "market): sets the share of approved who draw.", "utility",
                                   ge=-50.0, le=50.0)

    @field_validator("price_by_cohort", "price_by_region")
    @classmethod
    def _non_negative(cls, values: list[float]) -> list[float]:
        return check_each(values, 0.0, 100.0)


class ChannelBehaviour(Section):
    """How channels sort consumers by risk."""

    risk_tilt_scale: float = param(2.0, "Log weight of a channel per unit of risk_tilt and of "
                                   "willingness gap: weight = reach * exp(scale * risk_tilt "
                                   "* (reference - willingness)).", "log weight", ge=0.0,
                                   le=50.0)
    tilt_reference_willingness: float = param(0.85, "Willingness at which a channel's risk "
                                              "tilt neither draws nor repels a consumer.",
                                              "probability", **PROBABILITY)
    behaviour_score_noise: float = param(1.0, "Standard deviation of the noise a "
                                         "data-sharing partner's behaviour score adds to "
                                         "the log-odds of the applicant's willingness to "
                                         "repay (score = logistic(logit(willingness) + "
                                         "noise)): 0 reveals willingness exactly, 3 leaves "
                                         "little of it.", "log-odds", ge=0.0, le=10.0)


class RecordsBehaviour(Section):
    """What a consumer's past behaviour left in the bureau file: past delinquencies are
    drawn from the same repayment logit as today's instalments (willingness and capacity),
    over the instalments of the years the bureau reports, plus records unrelated to
    willingness (a past income shock, a dispute, a reporting error). The file therefore
    reveals willingness, imperfectly: a short file says little, and clean payers carry
    some delinquencies too.
    """

    window_months: int = param(60, "Months of repayment history the bureau reports (the "
                               "PBoC report shows five years).", "months", ge=1, le=600)
    instalments_per_month: float = param(1.0, "Instalments (cards, loans) a consumer with a "
                                         "bureau file had due each month in the past.",
                                         "instalments/month", ge=0.0, le=100.0)
    past_capacity_ratio: float = param(4.0, "Disposable income / amount due of those past "
                                       "instalments, in the repayment logit (lower: past "
                                       "misses more frequent at every willingness).", "ratio",
                                       gt=0.0, le=10_000.0)
    reported_share: float = param(1.0, "Share of past missed instalments the bureau "
                                  "recorded.", "share", **PROBABILITY)
    unrelated_per_year: float = param(0.05, "Delinquencies recorded per year of history "
                                      "whatever the willingness (past shocks, disputes, "
                                      "reporting errors): noise that clean payers carry.",
                                      "delinquencies/year", ge=0.0, le=100.0)
    external_loans_base: float = param(0.2, "Mean loans at banks and card issuers outside the "
                                       "market (reported to the bureau) whatever the "
                                       "willingness (Poisson).", "loans", ge=0.0, le=20.0)
    external_loans_per_odds: float = param(3.0, "Extra outside loans per unit of the odds of "
                                           "not repaying, (1 - willingness) / willingness: "
                                           "the less willing borrow more widely "
                                           "(multi-lending).", "loans/odds", ge=0.0, le=20.0)
    max_external_loans: int = param(20, "Most outside loans a bureau file shows (genuine "
                                    "and first-party fraudsters loading up alike).", "loans",
                                    ge=0, le=127)


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
    max_unified_quality: float = param(0.99, "Highest resolution probability a unified "
                                       "platform reaches with its bonus.", "probability",
                                       **PROBABILITY)
    initial_satisfaction: float = param(0.7, "Satisfaction of every consumer before any "
                                        "service contact.", "satisfaction", **PROBABILITY)
    contact_period_days: float = param(30.0, "Days a lender's service.contact_rate counts "
                                       "contacts over (contacts per active borrower per "
                                       "this many days; a month by default).", "days",
                                       gt=0.0, le=3650.0)
    collection_period_days: float = param(7.0, "Days a lender's "
                                          "service.collection_intensity counts contacts over "
                                          "(per delinquent loan per this many days; a week "
                                          "by default).", "days", gt=0.0, le=3650.0)


class BehaviourConfig(Section):
    """Behavioural coefficients of consumers, fraudsters and service, by concern."""

    demand: DemandBehaviour = param(DemandBehaviour(), "Who needs credit, how often, how "
                                    "much; re-applying after a decline.")
    choice: ChoiceBehaviour = param(ChoiceBehaviour(), "Choosing among offers.")
    repayment: RepaymentBehaviour = param(RepaymentBehaviour(), "Paying, missing and curing.")
    application: ApplicationBehaviour = param(ApplicationBehaviour(), "Finishing the form, "
                                              "coming back.")
    channels: ChannelBehaviour = param(ChannelBehaviour(), "Channels' risk sorting and data.")
    records: RecordsBehaviour = param(RecordsBehaviour(), "What past behaviour left in "
                                      "the bureau file (delinquency history).")
    fraud: FraudBehaviour = param(FraudBehaviour(), "Fraudsters: first-party, synthetic "
                                  "and stolen identities, rings (simfin/config/fraud.py).")
    service: ServiceBehaviour = param(ServiceBehaviour(), "Service and collections.")
