"""The ``Lender`` agent: runs its decision pipeline on the day's batch and books the loans.

The pipeline is assembled from the lender's config: product limits, rules on application
fields, data queries, rules on data fields, biometric verification, the statistical model,
pricing. Everything a strategy changes is a stage parameter.
"""

from __future__ import annotations

import mesa
import numpy as np

from simfin.config import LenderConfig, MarketConfig
from simfin.lending import scoring
from simfin.lending.batch import ApplicationBatch
from simfin.lending.data_sources import DataSource, DataSourceStage
from simfin.lending.fields import APPLICATION_FIELDS
from simfin.lending.pipeline import DecisionContext, Pipeline
from simfin.lending.pricing import CAP_REASON, PricingStage
from simfin.lending.product import AMOUNT_REASON, PRODUCT_KINDS, ProductStage
from simfin.lending.registry import SCORERS
from simfin.lending.rules import Rule, RuleEngine, compile_condition
from simfin.lending.scoring import SCORE_REASON, ScoringStage, feature_matrix
from simfin.lending.verification import VERIFY_REASON, VerificationStage

DATA_FIELDS = frozenset(f for f, (_, source) in APPLICATION_FIELDS.items()
                        if source not in ("", "channel"))


class Lender(mesa.Agent):
    """One lender: its strategy (config), its pipeline, and its learning state.

    Args:
        model: The market model.
        config: The market config (the lender reads its own entry and the policy).
        index: The lender's position in ``config.lenders``.
        sources: The data sources available to it, by name.
    """

    def __init__(self, model: mesa.Model, config: MarketConfig, index: int,
                 sources: dict[str, DataSource]) -> None:
        super().__init__(model)
        self.index = index
        self.config: LenderConfig = config.lenders[index]
        self.name = self.config.name
        self.stream = np.random.default_rng(model.rng.integers(2**63))
        self.reason_codes: list[str] = []
        self.pipeline = self._build_pipeline(config, sources)
        self.offers = np.array([config.product(index, k) is not None for k in PRODUCT_KINDS])
        self._train_x: list[np.ndarray] = []
        self._train_rows: list[np.ndarray] = []

    # -- assembly ----------------------------------------------------------------------

    def _reason(self, code: str) -> int:
        if code not in self.reason_codes:
            self.reason_codes.append(code)
        return self.reason_codes.index(code)

    def _build_pipeline(self, market: MarketConfig, sources: dict[str, DataSource]) -> Pipeline:
        cfg = self.config
        limits = np.zeros((len(PRODUCT_KINDS), 5))
        for p in cfg.products:
            limits[PRODUCT_KINDS.index(p.kind)] = (p.min_amount_cents, p.max_amount_cents,
                                                   p.min_term_days, p.max_term_days,
                                                   p.origination_fee_rate)
        stages: list = [ProductStage(limits, self._reason(AMOUNT_REASON))]

        rules = [Rule(r.name, compile_condition(r.when), r.action, r.reason)
                 for r in cfg.risk.rules]
        for r in rules:
            self._reason(r.reason)
        # Knock-out rules on what the applicant states run before paying for data.
        early = [r for r in rules if not r.condition.fields & DATA_FIELDS]
        late = [r for r in rules if r.condition.fields & DATA_FIELDS]
        review = cfg.risk.review_cost_cents
        stages.append(RuleEngine(early, self.reason_codes, review))
        queried = [sources[name] for name in cfg.risk.data_sources if name in sources]
        stages.append(DataSourceStage(queried))
        stages.append(RuleEngine(late, self.reason_codes, review))

        if cfg.risk.verification != "none":
            bio = getattr(market.data, cfg.risk.verification)
            stages.append(VerificationStage(
                cfg.risk.verification, bio.false_accept_rate, bio.false_reject_rate,
                bio.latency_minutes, bio.cost_cents, self._reason(VERIFY_REASON)))

        self.scoring: ScoringStage | None = None
        if cfg.risk.model.kind != "none":
            self.scoring = ScoringStage(SCORERS.create(cfg.risk.model.kind),
                                        cfg.risk.approval_threshold,
                                        cfg.risk.model.min_outcomes, self._reason(SCORE_REASON))
            stages.append(self.scoring)

        pricing = cfg.pricing
        stages.append(PricingStage(
            pricing.strategy, pricing.grade_cutoffs, pricing.flat_apr,
            pricing.loss_given_default,
            cfg.cost_of_funds_rate + pricing.operating_cost_rate + pricing.margin_rate,
            market.policy.apr_cap, self._reason(CAP_REASON)))
        return Pipeline(stages)

    # -- the day -----------------------------------------------------------------------

    def decide(self, batch: ApplicationBatch, day: int) -> ApplicationBatch:
        """Run the pipeline on the day's batch."""
        if "pd" not in batch:
            batch["pd"] = np.full(batch.n, np.nan, dtype=np.float32)
        return self.pipeline.run(batch, DecisionContext(day=day, rng=self.stream))

    def remember(self, batch: ApplicationBatch, booked: np.ndarray, loan_rows: np.ndarray
                 ) -> None:
        """Keep the features of booked loans: the only training data the lender will have."""
        if self.scoring is not None and len(loan_rows):
            self._train_x.append(feature_matrix(batch)[booked])
            self._train_rows.append(loan_rows)

    def retrain(self, day: int, book) -> None:
        """Refit the model on loans whose outcome is now observed, on its schedule."""
        if self.scoring is None or day == 0 or not self._train_rows:
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
        self.scoring.fit(x[observed], book.column("ever_30dpd")[rows][observed])

    @property
    def model_in_use(self) -> bool:
        """Whether the statistical model decides (False for rules-only or in cold start)."""
        return self.scoring is not None and self.scoring.in_use
