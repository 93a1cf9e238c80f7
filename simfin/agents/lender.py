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
from simfin.lending.assembly import StageBuild, assemble
from simfin.lending.batch import ApplicationBatch
from simfin.lending.data_sources import DataSource
from simfin.lending.infrastructure import CAPACITY_REASON, CapacityStage
from simfin.lending.payment import DisbursementStage, Rail
from simfin.lending.pipeline import DecisionContext, Outcomes, Pipeline, Stage
from simfin.lending.product import PRODUCT_KINDS
from simfin.lending.scoring import feature_matrix
from simfin.lending.service import ServiceChannel, ServiceDesk


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
        self.flag_reasons: list[str] = []  # bit i of a loan's ``flags``: rule flag_reasons[i]
        self._flag_rules: list[tuple] = []
        cfg = self.config
        infra = cfg.infrastructure
        self.platform = CapacityStage(infra.kind, infra.capacity_per_day,
                                      infra.base_latency_minutes, infra.cost_per_decision_cents,
                                      infra.elastic_premium, infra.fixed_cost_per_day_cents,
                                      self._reason(CAPACITY_REASON))
        self.service = self._build_service(config)
        self.pipeline = self._build_pipeline(config, cfg.risk, sources)
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
                           channel(svc.collection_channel), svc.collection_intensity)

    def _build_pipeline(self, market: MarketConfig, risk: RiskConfig,
                        sources: dict[str, DataSource]) -> Pipeline:
        return assemble(StageBuild(market, self.config, risk, sources, self.reason_codes,
                                   self.flag_reasons, _flag_rules=self._flag_rules))

    @property
    def pipelines(self) -> list[Pipeline]:
        """The champion's pipeline and (if any) the challenger's."""
        return [self.pipeline] + ([self.challenger] if self.challenger else [])

    @property
    def learners(self) -> list[Stage]:
        """The stages of either pipeline that learn from outcomes (e.g. scoring)."""
        return [s for p in self.pipelines for s in p.learners]

    # -- the day -----------------------------------------------------------------------

    def decide(self, batch: ApplicationBatch, day: int) -> ApplicationBatch:
        """Admit the batch on the platform, then run the champion (and challenger)."""
        ctx = DecisionContext(day=day, rng=self.stream)
        batch["pd"] = np.full(batch.n, np.nan, dtype=np.float32)
        batch = self.platform.run(batch, ctx)
        if self.challenger is None:
            batch["challenger"] = np.zeros(batch.n, dtype=bool)
            return self.pipeline.run(batch, ctx)
        to_challenger = self.stream.random(batch.n) < self.config.challenger.share
        parts = []
        for mask, pipeline in ((~to_challenger, self.pipeline), (to_challenger, self.challenger)):
            part = batch.take(mask)
            part["challenger"] = np.full(part.n, pipeline is self.challenger)
            parts.append(pipeline.run(part, ctx))
        merged = ApplicationBatch.concat(parts)
        for item, cents in batch.costs_cents.items():
            merged.charge(item, cents)
        return merged

    def disburse(self, batch: ApplicationBatch) -> ApplicationBatch:
        """Send the money of the loans in ``batch`` (those taken up) over the rail."""
        return self.disbursement.run(batch, DecisionContext(day=0, rng=self.stream))

    def remember(self, batch: ApplicationBatch, loan_rows: np.ndarray) -> None:
        """Keep the features of booked loans: the only training data the lender will have."""
        if self.learners and len(loan_rows):
            self._train_x.append(feature_matrix(batch))
            self._train_rows.append(loan_rows)

    def retrain(self, day: int, book) -> None:
        """Pass the outcomes observed so far to the stages that learn, on schedule."""
        if not self.learners or day == 0 or not self._train_rows:
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
        outcomes = Outcomes(day, x[observed], bad)
        for pipeline in self.pipelines:
            pipeline.observe(outcomes)
        if self.model_since_day is None and self.model_in_use:
            self.model_since_day = day

    @property
    def model_in_use(self) -> bool:
        """Whether a statistical model decides (False for rules-only or in cold start)."""
        return any(s.in_use for s in self.learners)
