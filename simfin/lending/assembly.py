"""How a lender's config becomes its pipeline: the built-in steps, registered by name.

Every step of a pipeline is built by a factory registered in :data:`STAGES` (like scoring
models in ``SCORERS`` and pricing policies in ``PRICING``). A factory receives a
:class:`StageBuild` (the lender's config, the market's data sources, the reason-code and
flag-bit tables, the step's own settings) and returns a :class:`Stage`, or None when the
config switches the step off. :func:`assemble` builds the standard steps in
:data:`STANDARD_STEPS` order and inserts the extra steps a lender's ``risk.stages`` config
names; the result is checked like scikit-learn's ``Pipeline`` (unique names, real stages).

The config objects are read by attribute only, so this package stays free of the model,
the agents and the config package.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from simfin.lending.data_sources import DataSource, DataSourceStage
from simfin.lending.fields import LENDER_FIELDS
from simfin.lending.pipeline import Pipeline, Stage
from simfin.lending.pricing import CAP_REASON, LTI_REASON, PricingStage
from simfin.lending.product import AMOUNT_REASON, PRODUCT_KINDS, ProductStage
from simfin.lending.registry import PRICING, SCORERS, SOURCES, STAGES, register_stage
from simfin.lending.rules import MAX_DISTINCT_RULES, Rule, RuleEngine, compile_condition
from simfin.lending.verification import VERIFY_REASON, VerificationStage

# The built-in steps, in the order a day's applications meet them.
STANDARD_STEPS = ("product", "rules_on_application", "data", "ring_graph", "rules_on_data",
                  "verification", "scoring", "pricing")


def data_fields() -> frozenset[str]:
    """Application fields known only after the ``data`` step: every registered source's,
    and the ring graph's (a rule reading one runs after the queries).
    """
    return SOURCES.source_fields() | {f for f, (_, by) in LENDER_FIELDS.items()
                                      if by == "graph"}


@dataclass
class StageBuild:
    """What a stage factory builds its stage from.

    Attributes:
        market: The market config (``simfin.config.MarketConfig``).
        lender: The lender's config (``LenderConfig``).
        risk: The risk config of this pipeline: the champion's or the challenger's.
        sources: The market's data sources, by name.
        reason_codes: The lender's reason-code table (a batch's ``reason`` indexes it).
        flag_reasons: The lender's flag-bit table: bit ``i`` of ``flags`` is rule
            ``flag_reasons[i]`` (champion and challenger share it).
        settings: The step's own config section (``risk.stages.N.settings``); empty for the
            built-in steps, which read their sections of the lender's config.
        shared: Stages the lender's champion and challenger share, by step name (one ring
            graph per lender, whichever pipeline saw the applicant).
    """

    market: Any
    lender: Any
    risk: Any
    sources: dict[str, DataSource]
    reason_codes: list[str]
    flag_reasons: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    shared: dict[str, Stage] = field(default_factory=dict)
    _flag_rules: list[tuple] = field(default_factory=list)

    def reason(self, code: str) -> int:
        """The index of ``code`` in the lender's reason-code table (added if new)."""
        if code not in self.reason_codes:
            self.reason_codes.append(code)
        return self.reason_codes.index(code)

    def flag_bit(self, rule: Any) -> int:
        """The flag bit of a rule config: the same rule (name, condition, action, reason)
        keeps one bit across the champion's and the challenger's pipelines.
        """
        key = (rule.name, rule.when, rule.action, rule.reason)
        if key not in self._flag_rules:
            if len(self._flag_rules) >= MAX_DISTINCT_RULES:
                raise ValueError(f"at most {MAX_DISTINCT_RULES} distinct rules per lender "
                                 "(flag bits)")
            self._flag_rules.append(key)
            self.flag_reasons.append(rule.reason)
        return self._flag_rules.index(key)


StageFactory = Callable[[StageBuild], Stage | None]


def assemble(build: StageBuild) -> Pipeline:
    """The pipeline of ``build.risk``: the standard steps, with ``risk.stages`` inserted.

    Raises:
        ValueError: An extra step names an unknown stage or position, or repeats a name.
    """
    steps: list[tuple[str, Stage | None]] = [(name, STAGES.create(name, build))
                                            for name in STANDARD_STEPS]
    for extra in build.risk.stages:
        names = [name for name, _ in steps]
        if extra.before not in names:
            raise ValueError(f"stage {extra.name!r}: before={extra.before!r} is not a step "
                             f"(steps: {', '.join(names)})")
        stage = STAGES.create(extra.kind or extra.name,
                              replace(build, settings=dict(extra.settings)))
        steps.insert(names.index(extra.before), (extra.name, stage))
    return Pipeline([(name, stage) for name, stage in steps if stage is not None])


# -- the built-in steps --------------------------------------------------------------------

@register_stage("product")
def product_stage(build: StageBuild) -> Stage:
    """Product limits, terms and fees of the lender's catalogue."""
    limits = np.zeros((len(PRODUCT_KINDS), 6))
    for p in build.lender.products:
        limits[PRODUCT_KINDS.index(p.kind)] = (p.min_amount_cents, p.max_amount_cents,
                                               p.min_term_days, p.max_term_days,
                                               p.origination_fee_rate, p.limit_income_multiple)
    return ProductStage(limits, build.reason(AMOUNT_REASON))


def _rule_engine(build: StageBuild, on_data: bool) -> Stage:
    rules = build.risk.rules
    bits = [build.flag_bit(r) for r in rules]
    for r in rules:
        build.reason(r.reason)  # the whole table's codes, in table order
    compiled = [Rule(r.name, compile_condition(r.when), r.action, r.reason) for r in rules]
    after_data = data_fields()
    mine = [i for i, rule in enumerate(compiled)
            if bool(rule.condition.fields & after_data) == on_data]
    return RuleEngine([compiled[i] for i in mine], build.reason_codes,
                      build.risk.review_cost_cents, bits=[bits[i] for i in mine])


@register_stage("rules_on_application")
def rules_on_application_stage(build: StageBuild) -> Stage:
    """Knock-out rules on what the applicant states: they run before paying for data."""
    return _rule_engine(build, on_data=False)


@register_stage("rules_on_data")
def rules_on_data_stage(build: StageBuild) -> Stage:
    """Rules that read bought data: they run after the queries."""
    return _rule_engine(build, on_data=True)


@register_stage("data")
def data_stage(build: StageBuild) -> Stage:
    """The external data the lender queries (and its own service profile, if unified)."""
    names = list(build.risk.data_sources)
    if build.lender.service.mode == "unified":
        names.append("service_profile")  # the unified platform's own customer profile
    lender = [lender.name for lender in build.market.lenders].index(build.lender.name)
    return DataSourceStage([build.sources[n].for_lender(lender) for n in names
                            if n in build.sources])


@register_stage("ring_graph")
def ring_graph_stage(build: StageBuild) -> Stage | None:
    """The lender's graph of applicants linked by shared devices and contacts (disabled: no
    step). Champion and challenger share one graph, so it sees all the lender's applicants.
    """
    ring = build.risk.ring_graph
    if not ring.enabled:
        return None
    if "ring_graph" not in build.shared:
        from simfin.lending.ring_graph import RingGraphStage  # networkx only when used

        build.shared["ring_graph"] = RingGraphStage([build.reason(code)
                                                     for code in ring.bad_reasons])
    return build.shared["ring_graph"]


@register_stage("verification")
def verification_stage(build: StageBuild) -> Stage | None:
    """Biometric identity check (none: no step)."""
    method = build.risk.verification
    if method == "none":
        return None
    bio = getattr(build.market.data, method)
    return VerificationStage(method, bio.false_accept_rate, bio.false_reject_rate,
                             bio.latency_minutes, bio.cost_cents, build.reason(VERIFY_REASON))


@register_stage("scoring")
def scoring_stage(build: StageBuild) -> Stage | None:
    """The statistical model (kind none: no step)."""
    from simfin.lending.scoring import SCORE_REASON, ScoringStage

    model = build.risk.model
    if model.kind == "none":
        return None
    return ScoringStage(SCORERS.get(model.kind), build.risk.approval_threshold,
                        model.min_outcomes, build.reason(SCORE_REASON),
                        min_bad_outcomes=model.min_bad_outcomes,
                        validation_share=model.validation_share,
                        min_validation_auc=model.min_validation_auc,
                        reject_inference=model.reject_inference,
                        reject_weight=model.reject_weight,
                        exploration_share=model.exploration_share,
                        exploration_reasons=tuple(build.reason(code) for code in
                                                  model.exploration_reasons
                                                  if code != SCORE_REASON),
                        explore_score=SCORE_REASON in model.exploration_reasons)


@register_stage("pricing")
def pricing_stage(build: StageBuild) -> Stage:
    """Grades and the all-in price by the lender's pricing policy, under the regulator's
    caps (APR, loan-to-income).
    """
    pricing, lender = build.lender.pricing, build.lender
    learner = getattr(PRICING.get(pricing.strategy), "learner", None)  # demand-based policy
    return PricingStage(
        pricing.strategy, pricing.grade_cutoffs, pricing.flat_apr, pricing.loss_given_bad,
        lender.cost_of_funds_rate + pricing.operating_cost_rate + pricing.margin_rate,
        build.market.policy.apr_cap, build.reason(CAP_REASON),
        unit_cost_cents=pricing.unit_cost_prior_cents,
        unit_cost_weight=pricing.unit_cost_prior_loans,
        max_loan_to_income=build.market.policy.max_loan_to_income,
        lti_reason=build.reason(LTI_REASON),
        marginal_cost_rate=lender.cost_of_funds_rate + pricing.operating_cost_rate,
        booking_cost_cents=pricing.booking_cost_cents,
        cold_start_pd=pricing.cold_start_pd, life_exponent=pricing.window_to_life_exponent,
        window_days=build.risk.model.performance_window_days,
        demand=learner(pricing.optimised, build.risk.model.retrain_every_days)
        if learner else None)
