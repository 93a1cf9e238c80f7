"""A lender's strategy: products, risk control, pricing (deepened stage by stage)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, field_validator, model_validator

from simfin.config.base import PROBABILITY, Section, name_param, param
from simfin.config.conduct import StrategyConfig
from simfin.config.data import check_bought_source, check_listed_once
from simfin.config.funding import FundingConfig
from simfin.config.market import ProductKind
from simfin.config.operations import InfrastructureConfig, LenderPaymentConfig, ServiceConfig
from simfin.config.plugins import registered
from simfin.config.pricing import PricingConfig
from simfin.lending.rules import MAX_DISTINCT_RULES, compile_condition


class ProductConfig(Section):
    """One product of the lender's catalogue (seed characteristic 2)."""

    kind: ProductKind = param("instalment", "Which needs the product finances.")
    min_amount_cents: int = param(10_000, "Smallest loan.", "cents", gt=0)
    max_amount_cents: int = param(5_000_000, "Largest loan (and revolving line); larger "
                                  "needs are offered this. At most 2,147,483,647 (line "
                                  "limits are kept in 32 bits).", "cents", gt=0,
                                  le=2**31 - 1)
    min_term_days: int = param(7, "Shortest term offered.", "days", ge=1)
    max_term_days: int = param(720, "Longest term offered; longer asks are cut to it.", "days",
                               ge=1)
    origination_fee_rate: float = param(0.0, "Fee charged at disbursement, as a share of "
                                        "principal; counts in the all-in APR.", "share",
                                        ge=0.0, le=0.5)
    late_fee_cents: int = param(5_000, "Fee charged per missed instalment when it is paid.",
                                "cents", ge=0)
    friction_steps: int = param(5, "Screens an applicant must complete.", "steps", ge=1,
                                le=100)
    friction_minutes: float = param(5.0, "Minutes an application takes the applicant.",
                                    "minutes", gt=0.0)
    limit_income_multiple: float = param(2.0, "Revolving: credit limit at approval, in "
                                         "months of stated income.", "months", gt=0.0)
    limit_review_days: int = param(90, "Revolving: days between limit reviews; a line "
                                   "without delinquency since the last review is raised, a "
                                   "delinquent one is frozen.", "days", ge=1)
    limit_increase_rate: float = param(0.2, "Revolving: relative limit increase at a good "
                                       "review.", "share", ge=0.0, le=5.0)

    @model_validator(mode="after")
    def _ranges(self) -> ProductConfig:
        if self.max_amount_cents < self.min_amount_cents:
            raise ValueError("max_amount_cents must be >= min_amount_cents")
        if self.max_term_days < self.min_term_days:
            raise ValueError("max_term_days must be >= min_term_days")
        return self


class RuleConfig(Section):
    """One rule of the strategy table, evaluated on every application in order."""

    name: str = param("underage", "Rule name.", min_length=1)
    when: str = param("age_years < 18", "Condition over application fields (see the field "
                      "list in configs/README.md): comparisons, arithmetic, and/or/not.",
                      min_length=1)
    action: Literal["reject", "refer", "flag"] = param("reject", "What a match does: 'reject' "
                                                       "declines, 'refer' sends to manual "
                                                       "review (declined here, costed), 'flag' "
                                                       "only records the reason code.")
    reason: str = param("R01", "Reason code recorded for matching applications.", min_length=1)

    @field_validator("when")
    @classmethod
    def _parses(cls, text: str) -> str:
        # Compiling here makes a bad rule a config error at load time, not mid-run.
        compile_condition(text)
        return text


class ModelConfig(Section):
    """The statistical risk model, trained on the lender's own booked loans."""

    kind: str = param("none", "Registered scoring model: 'none' (rules only), 'logistic', "
                      "'gbm', or a name registered with simfin.lending.register_scorer.")
    retrain_every_days: int = param(30, "Days between retrainings.", "days", ge=1)
    min_outcomes: int = param(300, "Observed outcomes needed before the model is used; until "
                              "then the lender decides on rules only (cold start).", "loans",
                              ge=10)
    min_bad_outcomes: int = param(50, "Bad loans (30+ days past due) among the observed "
                                  "outcomes needed before a fit is tried: a scorecard is "
                                  "estimated from its bads, and a few dozen only teach it "
                                  "noise.", "loans", ge=1)
    validation_share: float = param(0.25, "Share of the most recent observed outcomes held "
                                    "out to validate each fit out of time; the fit is "
                                    "deployed only if it ranks them well enough (0: deploy "
                                    "every fit unvalidated).", "share", ge=0.0, lt=1.0)
    min_validation_auc: float = param(0.6, "AUC a fit must reach on the held-out outcomes to "
                                      "decide, and it must not rank them worse than the "
                                      "model in use; otherwise the lender keeps what it has "
                                      "(the model in use, or rules only).", "AUC", ge=0.0,
                                      le=1.0)

    @field_validator("kind")
    @classmethod
    def _known_scorer(cls, kind: str) -> str:
        return kind if kind == "none" else registered("SCORERS", kind)

    performance_window_days: int = param(90, "A loan's outcome (bad = ever 30+ days past "
                                         "due) is used for training once the loan has been "
                                         "on book this long.", "days", ge=31)
    reject_inference: str = param(
        "none", "Reject inference at each fit (simfin.lending.reject_inference): 'none' "
        "(booked loans only), 'augmentation' (booked loans re-weighted by 1 / their "
        "approval probability), 'fuzzy' (each declined applicant added as bad and as good, "
        "weighted by the booked-only model's PD), 'parcelling' (declined applicants "
        "labelled at random with the bad rate of booked loans in their score band), "
        "'bureau_performance' (performance inference: declined applicants whose later loan "
        "the lender finds by a retro pull of the bureau, the consortium or its own book "
        "enter labelled with that loan's outcome (30+ days past due), the others are left "
        "out; each pull costs the sources' query price), 'bureau_performance_fuzzy' (the "
        "same, and every other declined applicant kept fuzzy-labelled by a model fitted on "
        "the booked and the labelled), or a name registered with "
        "simfin.lending.register_reject_inference. The declined applicants are those of "
        "the lender's own batches, as it saw them.")
    reject_weight: float = param(1.0, "Weight of one declined applicant relative to one "
                                 "booked loan in 'fuzzy', 'parcelling' and the performance "
                                 "methods.", "ratio", gt=0.0, le=100.0)
    reject_window_days: int = param(180, "Days of declined applications kept for reject "
                                    "inference.", "days", ge=1, le=3650)
    retro_window_days: int = param(30, "Performance inference ('bureau_performance'): a "
                                   "declined applicant's first loan found by a retro pull "
                                   "(bureau, consortium, own book) opened within this many "
                                   "days of the decline is its outcome; each declined "
                                   "application is pulled once, retro_window_days + "
                                   "performance_window_days after the decline.", "days",
                                   ge=0, le=3650)
    max_rejects_per_day: int = param(200, "Declined applications kept per day for reject "
                                     "inference (a random sample of the day's declines).",
                                     "applications/day", ge=1, le=1_000_000)
    exploration_share: float = param(
        0.0, "Share of the applications the model would decline (PD above the approval "
        "threshold) approved anyway, at random, to learn how they repay; priced as an "
        "applicant at the threshold, tagged 'explored' in applications.parquet and counted "
        "in summary.json (lenders.<name>.exploration).", "share", **PROBABILITY)
    exploration_reasons: list[str] = param(
        ["SCORE"], "Declines exploration may overturn, by reason code: 'SCORE' (the "
        "model's), and the reasons of reject rules of the same risk section (e.g. "
        "BUREAU_DLQ: applicants the rules decline are those the model knows least). Each "
        "is approved with probability exploration_share.", min_length=1)

    @field_validator("reject_inference")
    @classmethod
    def _known_reject_inference(cls, name: str) -> str:
        return registered("REJECT_INFERENCE", name)


# Know-your-customer knock-outs every lender runs unless its config says otherwise.
BASIC_RULES = [
    RuleConfig(name="underage", when="age_years < 18", action="reject", reason="AGE"),
    RuleConfig(name="device_burst", when="device_applications_24h > 2", action="reject",
               reason="DEVICE"),
    RuleConfig(name="identity_mismatch", when="id_match == 0", action="reject", reason="ID"),
]


class RingGraphConfig(Section):
    """The lender's graph of applicants linked by shared devices and contacts."""

    enabled: bool = param(False, "Build the graph (networkx) and add the fields "
                          "linked_accounts and ring_exposure for rules and the model.")
    bad_reasons: list[str] = param(["ID", "DEVICE", "VERIFY_FAIL", "RING"], "Reason codes "
                                   "whose declines mark an account as bad (besides a past "
                                   "default with the lender); codes the lender never uses "
                                   "are ignored.", min_length=1)


class StageConfig(Section):
    """An extra step in the lender's pipeline: a stage registered with
    ``simfin.lending.register_stage`` (see docs/adding_a_stage.md).
    """

    name: str = param("extra", "Step name, unique in the pipeline.", min_length=1)
    kind: str = param("", "Registered stage that builds the step; empty: the stage "
                      "registered under the step's name.")
    before: str = param("pricing", "The step this one runs before: product, "
                        "rules_on_application, data, ring_graph (when enabled), "
                        "rules_on_data, verification, scoring, pricing, or an extra step "
                        "listed earlier.")
    settings: dict[str, Any] = param({}, "The stage's own parameters (given to its factory "
                                     "as build.settings).")

    @model_validator(mode="after")
    def _known_stage(self) -> StageConfig:
        registered("STAGES", self.kind or self.name)
        return self


class RiskConfig(Section):
    """Risk control: rules and data models together (seed characteristic 4).

    Order of the pipeline: product limits, rules on application fields, data queries,
    the ring graph (if enabled), rules on data fields, biometric verification, the model's
    score, pricing.
    """

    data_sources: Annotated[list[Annotated[str, AfterValidator(check_bought_source)]],
                            AfterValidator(check_listed_once)] = param(
        ["bureau", "id_registry"], "Data sources the lender queries for every application "
        "that passes the first rules: bureau, id_registry, social_security, consortium "
        "(needs policy.consortium on) or a plug-in's (data.sources).")
    verification: Literal["none", "face", "voice", "iris"] = param(
        "none", "Biometric identity check on every application still pending after the data "
        "rules.")
    review_cost_cents: int = param(2_000, "Cost of one manual review ('refer' rules).",
                                   "cents", ge=0)

    rules: list[RuleConfig] = param(BASIC_RULES, "Ordered rules; the first rejecting rule's "
                                    "reason is recorded. Default: the KYC knock-outs "
                                    "underage, device_burst, identity_mismatch.")
    model: ModelConfig = param(ModelConfig(), "The statistical model.")
    ring_graph: RingGraphConfig = param(RingGraphConfig(), "Graph of linked applicants "
                                        "(fraud rings); runs right after the data sources.")
    approval_threshold: float = param(0.15, "Highest predicted default probability approved "
                                      "once the model is in use.", "probability",
                                      **PROBABILITY)
    stages: list[StageConfig] = param([], "Extra pipeline steps (registered stages), each "
                                      "inserted before a named step.")

    @model_validator(mode="after")
    def _explorable_reasons(self) -> RiskConfig:
        reasons = {"SCORE"} | {r.reason for r in self.rules if r.action == "reject"}
        for code in self.model.exploration_reasons:
            if code not in reasons:
                raise ValueError(f"model.exploration_reasons: {code!r} is not SCORE or the "
                                 f"reason of a reject rule ({', '.join(sorted(reasons))})")
        return self

    @model_validator(mode="after")
    def _unique_steps(self) -> RiskConfig:
        from simfin.lending.assembly import STANDARD_STEPS

        names = list(STANDARD_STEPS)
        for stage in self.stages:
            if stage.name in names:
                raise ValueError(f"stages: step name {stage.name!r} is already taken")
            if stage.before not in names:
                raise ValueError(f"stages: {stage.name}.before: {stage.before!r} is not a "
                                 f"step before it (steps: {', '.join(names)})")
            names.append(stage.name)
        return self


class ChallengerConfig(Section):
    """A challenger strategy tested on a share of the lender's traffic."""

    share: float = param(0.2, "Share of applications routed to the challenger.", "share",
                         **PROBABILITY)
    risk: RiskConfig = param(RiskConfig(model=ModelConfig(kind="gbm")), "The challenger's "
                             "risk control (rules, data, verification, model, threshold).")


class LenderConfig(Section):
    """One lender and its strategy; everything that differs between strategies lives here."""

    name: str = name_param("lender", "Lender name, used in outputs and in override paths "
                           "(lenders.<name>.risk...); not all digits.")
    capital_cents: int = param(500_000_000, "Equity at day 0.", "cents", ge=0)
    cost_of_funds_rate: float = param(0.06, "Yearly cost of funding the outstanding balance.",
                                      "rate/year", ge=0.0, le=1.0)
    brand_weight: float = param(1.0, "Relative weight with which applicants choose this "
                                "lender among those offering the product.", "weight", ge=0.0)
    reports_to_bureau: bool = param(False, "Whether the lender reports its loans to the "
                                    "credit bureau (other lenders then see them as "
                                    "bureau_multi_lending).")
    consortium_member: bool = param(True, "Whether the lender shares its loans with, and "
                                    "can query, the consortium when policy.consortium is on.")
    products: list[ProductConfig] = param([ProductConfig(kind="instalment"),
                                           ProductConfig(kind="cash")],
                                          "Product catalogue.", min_length=1)
    risk: RiskConfig = param(RiskConfig(), "Risk control.")
    challenger: ChallengerConfig | None = param(None, "Champion/challenger test: null for "
                                                "none.")
    pricing: PricingConfig = param(PricingConfig(), "Pricing.")
    payment: LenderPaymentConfig = param(LenderPaymentConfig(), "Payment rails and "
                                         "auto-debit.")
    service: ServiceConfig = param(ServiceConfig(), "Service and collections.")
    infrastructure: InfrastructureConfig = param(InfrastructureConfig(), "Decision "
                                                 "platform.")
    strategy: StrategyConfig = param(StrategyConfig(), "Its strategy and review cadence.")
    entry_day: int = param(0, "Day it enters the market (before: no applicant reaches it, "
                           "no platform cost).", "day", ge=0, le=36_500)
    funding: FundingConfig = param(FundingConfig(), "Funding partners: other lenders that "
                                   "fund a share of its loans (co-lending, facilitation).")

    @model_validator(mode="after")
    def _demand_pricing_needs_a_model(self) -> LenderConfig:
        # A demand-based policy prices scored offers only: without a model it would never
        # leave cost-plus, a setting with no effect.
        from simfin.lending.registry import PRICING

        learns = getattr(PRICING.get(self.pricing.strategy), "learner", None) is not None
        if learns and self.risk.model.kind == "none":
            raise ValueError(f"pricing.strategy {self.pricing.strategy!r} prices by the "
                             "model's PD: set risk.model.kind (not 'none')")
        return self

    @model_validator(mode="after")
    def _rules_fit_the_flag_bits(self) -> LenderConfig:
        # The limit assembly enforces, checked here so that it is a config error.
        tables = [self.risk.rules]
        if self.challenger is not None and self.challenger.share > 0:
            tables.append(self.challenger.risk.rules)
        distinct = {(r.name, r.when, r.action, r.reason) for rules in tables for r in rules}
        if len(distinct) > MAX_DISTINCT_RULES:
            where = "risk.rules" + (" and challenger.risk.rules" if len(tables) > 1 else "")
            raise ValueError(f"{where}: at most {MAX_DISTINCT_RULES} distinct rules per "
                             "lender, champion and challenger together (each has a bit in "
                             f"the 64-bit flags column), lender {self.name!r} has "
                             f"{len(distinct)}")
        return self

    @model_validator(mode="after")
    def _one_product_per_kind(self) -> LenderConfig:
        kinds = [p.kind for p in self.products]
        if len(set(kinds)) != len(kinds):
            raise ValueError(f"at most one product per kind, got {kinds}")
        return self
