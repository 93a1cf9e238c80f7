"""The ``Lender`` agent: runs its decision pipeline on the day's batch, disburses, serves.

The pipeline is assembled from the lender's config: platform capacity, product limits,
rules on application fields, data queries, rules on data fields, biometric verification,
the statistical model, pricing. A champion/challenger test runs a second risk strategy on a
share of the traffic. Everything a strategy changes is a stage parameter.
"""

from __future__ import annotations

import mesa
import numpy as np

from simfin.config import LenderConfig, MarketConfig, RiskConfig
from simfin.lending.batch import ApplicationBatch
from simfin.lending.data_sources import DataSource, DataSourceStage
from simfin.lending.fields import APPLICATION_FIELDS
from simfin.lending.infrastructure import CAPACITY_REASON, CapacityStage
from simfin.lending.payment import DisbursementStage, Rail
from simfin.lending.pipeline import DecisionContext, Pipeline
from simfin.lending.pricing import CAP_REASON, LTI_REASON, PricingStage
from simfin.lending.product import AMOUNT_REASON, PRODUCT_KINDS, REVOLVING, ProductStage
from simfin.lending.registry import SCORERS
from simfin.lending.ring_graph import RingGraphStage
from simfin.lending.rules import Rule, RuleEngine, compile_condition
from simfin.lending.scoring import SCORE_REASON, ScoringStage, feature_matrix
from simfin.lending.service import ServiceChannel, ServiceDesk
from simfin.lending.verification import VERIFY_REASON, VerificationStage

DATA_FIELDS = frozenset(f for f, (_, source) in APPLICATION_FIELDS.items()
                        if source not in ("", "channel"))


class Lender(mesa.Agent):
    """One lender: its strategy (config), its pipeline(s), and its learning state.

    Args:
        model: The market model.
        config: The market config (the lender reads its own entry and the market's data,
            payment, service and policy sections).
        index: The lender's position in ``config.lenders``.
        sources: The data sources of the market, by name.
    """

    def __init__(self, model: mesa.Model, config: MarketConfig, index: int,
                 sources: dict[str, DataSource]) -> None:
        super().__init__(model)
        self.index = index
        self.config: LenderConfig = config.lenders[index]
        self.name = self.config.name
        self.stream = np.random.default_rng(model.rng.integers(2**63))
        self.reason_codes: list[str] = []
        cfg = self.config
        infra = cfg.infrastructure
        self.platform = CapacityStage(infra.kind, infra.capacity_per_day,
                                      infra.base_latency_minutes, infra.cost_per_decision_cents,
                                      infra.elastic_premium, infra.fixed_cost_per_day_cents,
                                      self._reason(CAPACITY_REASON))
        self.service = self._build_service(config)
        self.ring_graph: RingGraphStage | None = None
        self.pipeline = self._build_pipeline(config, cfg.risk, sources)
        self.line_pipeline = Pipeline([self.pipeline.stages[0], self.pipeline.stages[-1]])
        self.challenger: Pipeline | None = None
        if cfg.challenger is not None and cfg.challenger.share > 0:
            self.challenger = self._build_pipeline(config, cfg.challenger.risk, sources)
        rail = getattr(config.payments, cfg.payment.disbursement_rail)
        self.disbursement = DisbursementStage(Rail(cfg.payment.disbursement_rail,
                                                   rail.latency_minutes, rail.failure_rate,
                                                   rail.fee_cents))
        self.offers = np.array([config.product(index, k) is not None for k in PRODUCT_KINDS])
        self._train_x: list[np.ndarray] = []
        self._train_rows: list[np.ndarray] = []
        self.model_since_day: int | None = None  # first day a statistical model decided

    # -- assembly ----------------------------------------------------------------------

    def _reason(self, code: str) -> int:
        if code not in self.reason_codes:
            self.reason_codes.append(code)
        return self.reason_codes.index(code)

    def _build_service(self, market: MarketConfig) -> ServiceDesk:
        svc = self.config.service

        def channel(name: str) -> ServiceChannel:
            c = getattr(market.service_channels, name)
            return ServiceChannel(name, c.cost_per_contact_cents, c.quality, c.collection_effect)

        return ServiceDesk(svc.mode, [channel(n) for n in svc.channels], svc.contact_rate,
                           channel(svc.collection_channel), svc.collection_intensity,
                           market.behaviour.service)

    def _build_pipeline(self, market: MarketConfig, risk: RiskConfig,
                        sources: dict[str, DataSource]) -> Pipeline:
        cfg = self.config
        limits = np.zeros((len(PRODUCT_KINDS), 6))
        for p in cfg.products:
            limits[PRODUCT_KINDS.index(p.kind)] = (p.min_amount_cents, p.max_amount_cents,
                                                   p.min_term_days, p.max_term_days,
                                                   p.origination_fee_rate,
                                                   p.limit_income_multiple)
        stages: list = [ProductStage(limits, self._reason(AMOUNT_REASON))]

        rules = [Rule(r.name, compile_condition(r.when), r.action, r.reason)
                 for r in risk.rules]
        for r in rules:
            self._reason(r.reason)
        # Knock-out rules on what the applicant states run before paying for data.
        uses_data = [bool(r.condition.fields & DATA_FIELDS) for r in rules]
        early = [i for i, late in enumerate(uses_data) if not late]
        late = [i for i, late in enumerate(uses_data) if late]
        self.flag_reasons = [r.reason for r in rules]  # bit i of ``flags`` is rule i
        stages.append(RuleEngine([rules[i] for i in early], self.reason_codes,
                                 risk.review_cost_cents, bits=early))
        names = list(risk.data_sources)
        if self.service.unified:
            names.append("service_profile")  # the unified platform's own customer profile
        stages.append(DataSourceStage([sources[n] for n in names if n in sources]))
        if risk.ring_graph.enabled:
            stages.append(self._ring_graph(risk))
        stages.append(RuleEngine([rules[i] for i in late], self.reason_codes,
                                 risk.review_cost_cents, bits=late))

        if risk.verification != "none":
            bio = getattr(market.data, risk.verification)
            stages.append(VerificationStage(
                risk.verification, bio.false_accept_rate, bio.false_reject_rate,
                bio.latency_minutes, bio.cost_cents, self._reason(VERIFY_REASON)))

        if risk.model.kind != "none":
            stages.append(ScoringStage(SCORERS.create(risk.model.kind),
                                       risk.approval_threshold, risk.model.min_outcomes,
                                       self._reason(SCORE_REASON)))

        pricing = cfg.pricing
        stages.append(PricingStage(
            pricing.strategy, pricing.grade_cutoffs, pricing.flat_apr,
            pricing.loss_given_bad,
            cfg.cost_of_funds_rate + pricing.operating_cost_rate + pricing.margin_rate,
            market.policy.apr_cap, self._reason(CAP_REASON),
            unit_cost_cents=pricing.unit_cost_prior_cents,
            unit_cost_weight=pricing.unit_cost_prior_loans,
            max_loan_to_income=market.policy.max_loan_to_income,
            lti_reason=self._reason(LTI_REASON)))
        return Pipeline(stages)

    def _ring_graph(self, risk: RiskConfig) -> RingGraphStage:
        """The lender's one ring graph, shared by its champion and challenger."""
        if self.ring_graph is None:
            reasons = [self._reason(code) for code in risk.ring_graph.bad_reasons]
            self.ring_graph = RingGraphStage(reasons)
        return self.ring_graph

    @property
    def pricers(self) -> list[PricingStage]:
        """The pricing stages of the champion and (if any) the challenger."""
        pipelines = [self.pipeline] + ([self.challenger] if self.challenger else [])
        return [s for p in pipelines if (s := p.stage(PricingStage)) is not None]

    def apply_policy(self, apr_cap: float | None, max_loan_to_income: float | None) -> None:
        """The regulator's caps in force from today."""
        for stage in self.pricers:
            stage.apr_cap = apr_cap
            stage.max_loan_to_income = max_loan_to_income

    def observe_costs(self, cost_cents: int, loans: int) -> None:
        """Today's view of what a booked loan costs to acquire and decide (for pricing)."""
        for stage in self.pricers:
            stage.observe_costs(cost_cents, loans)

    @property
    def scorers(self) -> list[ScoringStage]:
        """The scoring stages of the champion and (if any) the challenger."""
        pipelines = [self.pipeline] + ([self.challenger] if self.challenger else [])
        return [s for p in pipelines if (s := p.stage(ScoringStage)) is not None]

    # -- the day -----------------------------------------------------------------------

    def decide(self, batch: ApplicationBatch, day: int) -> ApplicationBatch:
        """Admit the batch on the platform, then run the champion (and challenger)."""
        ctx = DecisionContext(day=day, rng=self.stream)
        batch["pd"] = np.full(batch.n, np.nan, dtype=np.float32)
        batch = self.platform.run(batch, ctx)
        redraw = self._redraws(batch)
        if redraw.any():
            # A draw on an open line is no new application: an instant decision on the
            # existing limit (product limits and the line's price), with no rules or data.
            draws = batch.take(redraw)
            draws["challenger"] = np.zeros(draws.n, dtype=bool)
            parts = [self._applications(batch.take(~redraw), ctx),
                     self.line_pipeline.run(draws, ctx)]
            merged = ApplicationBatch.concat(parts)
            for item, cents in batch.costs_cents.items():
                merged.charge(item, cents)
            return merged
        return self._applications(batch, ctx)

    @staticmethod
    def _redraws(batch: ApplicationBatch) -> np.ndarray:
        """Rows that draw on a line the applicant already holds with this lender."""
        return (batch["product"] == REVOLVING) & (batch["line_limit_cents"] > 0)

    def _applications(self, batch: ApplicationBatch, ctx: DecisionContext
                      ) -> ApplicationBatch:
        """Run the champion (and challenger) on new applications."""
        if self.challenger is None:
            batch["challenger"] = np.zeros(batch.n, dtype=bool)
            return self._observed(self.pipeline.run(batch, ctx))
        to_challenger = self.stream.random(batch.n) < self.config.challenger.share
        parts = []
        for mask, pipeline in ((~to_challenger, self.pipeline), (to_challenger, self.challenger)):
            part = batch.take(mask)
            part["challenger"] = np.full(part.n, pipeline is self.challenger)
            parts.append(pipeline.run(part, ctx))
        merged = ApplicationBatch.concat(parts)
        for item, cents in batch.costs_cents.items():
            merged.charge(item, cents)
        return self._observed(merged)

    def _observed(self, batch: ApplicationBatch) -> ApplicationBatch:
        """Let the ring graph learn from the day's decisions."""
        if self.ring_graph is not None:
            self.ring_graph.observe(batch)
        return batch

    def disburse(self, batch: ApplicationBatch) -> ApplicationBatch:
        """Send the money of the loans in ``batch`` (those taken up) over the rail."""
        return self.disbursement.run(batch, DecisionContext(day=0, rng=self.stream))

    def remember(self, batch: ApplicationBatch, loan_rows: np.ndarray) -> None:
        """Keep the features of booked loans: the only training data the lender will have."""
        if self.scorers and len(loan_rows):
            self._train_x.append(feature_matrix(batch))
            self._train_rows.append(loan_rows)

    def retrain(self, day: int, book) -> None:
        """Refit the model(s) on loans whose outcome is now observed, on schedule."""
        scorers = self.scorers
        if not scorers or day == 0 or not self._train_rows:
            return
        if day % self.config.risk.model.retrain_every_days:
            return
        x = np.concatenate(self._train_x)
        rows = np.concatenate(self._train_rows)
        self._train_x, self._train_rows = [x], [rows]
        window = self.config.risk.model.performance_window_days
        # Label only loans that have been on book for the whole window: labelling early
        # bads and early closures would teach the model that every loan is good.
        observed = day - book.column("origination_day")[rows] >= window
        bad = book.column("ever_30dpd")[rows][observed]
        for scorer in scorers:
            scorer.fit(x[observed], bad)
        if self.model_since_day is None and self.model_in_use:
            self.model_since_day = day

    @property
    def model_in_use(self) -> bool:
        """Whether a statistical model decides (False for rules-only or in cold start)."""
        return any(s.in_use for s in self.scorers)
