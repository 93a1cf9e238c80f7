"""The ``Lender`` agent: owns its day.

Each day the lender retrains on the outcomes it has observed (:meth:`Lender.retrain`),
makes offers on its batch of applications (:meth:`Lender.make_offers`, its quote: platform
capacity, then its pipeline of named steps, champion and challenger), and, once the
applicants have chosen among their offers, originates the accepted ones
(:meth:`Lender.originate`: disburse over its rail, book into the loan book, post to the
ledger). After the book has been serviced it reviews its credit lines, serves its borrowers
and pays for its funding. The pipeline is assembled from the lender's config
(``simfin.lending.assembly``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from simfin.agents.population import Population
from simfin.config import LenderConfig, MarketConfig, RiskConfig
from simfin.lending.assembly import StageBuild, assemble
from simfin.lending.batch import APPROVED, ApplicationBatch
from simfin.lending.co_lending import CoLending, post_origination
from simfin.lending.customer_service import ServiceChannel, ServiceDesk
from simfin.lending.data_sources import DataSource
from simfin.lending.infrastructure import CAPACITY_REASON, CapacityStage
from simfin.lending.ledger import Ledger
from simfin.lending.loan_book import LoanBook, monthly_service, schedule
from simfin.lending.payment import DisbursementStage, Rail
from simfin.lending.performance_inference import DeclinedArchive, RetroPull
from simfin.lending.pipeline import DecisionContext, Outcomes, Pipeline, Stage
from simfin.lending.pricing import PricingStage
from simfin.lending.product import PRODUCT_KINDS, REVOLVING
from simfin.lending.scoring import MODEL_FEATURES, feature_matrix

if TYPE_CHECKING:  # networkx is imported only by a lender that builds a ring graph
    from simfin.lending.ring_graph import RingGraphStage


@dataclass
class Quote:
    """A lender's quote: its decisions on its batch of the day; the approved rows are its
    offers (priced, for the applicants to take or leave).

    Attributes:
        lender: The lender that quoted.
        day: The day of the quote.
        batch: The decided batch (``decision``, ``reason``, ``grade``, ``all_in_apr`` ...).
        offers: Rows of ``batch`` that were approved (an offer the applicant may accept).
    """

    lender: Lender
    day: int
    batch: ApplicationBatch
    offers: np.ndarray


class Lender(mesa.Agent):
    """One lender: its strategy (config), its pipeline(s), and its learning state.

    Args:
        model: The market model.
        config: The market config (the lender reads its own entry and the market's data,
            payment, service and policy sections).
        index: The lender's position in ``config.lenders``.
        sources: The data sources of the market, by name.
        population, book, ledger: The market's consumers, loan book and ledger, which the
            lender updates when it books loans and pays its costs.

    State learned from the run ends in ``_`` (scikit-learn's convention), as in the stages;
    the regulator's caps reach the pricing stages through :meth:`apply_policy`.

    Attributes:
        sells: (n_product_kinds,) whether the lender sells each product kind
            (``PRODUCT_KINDS`` order); its offers are the approved rows of a :class:`Quote`.
        train_x_: The model inputs at application of the loans booked so far, in booking
            order (a list of blocks, joined at each retraining).
        train_rows_: Their loan-book rows, block by block.
        model_since_day_: The first day a statistical model decided (None: not yet).
    """

    def __init__(self, model: mesa.Model, config: MarketConfig, index: int,
                 sources: dict[str, DataSource], population: Population, book: LoanBook,
                 ledger: Ledger) -> None:
        super().__init__(model)
        self.population, self.book, self.ledger = population, book, ledger
        self.co_lending: CoLending | None = None  # its funding partners (set by the market)
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
        self._shared: dict[str, Stage] = {}  # stages the champion and challenger share
        self.pipeline = self._build_pipeline(config, cfg.risk, sources)
        # A draw on an open line meets only the product limits and the line's price.
        self.line_pipeline = Pipeline([(name, self.pipeline[name])
                                       for name in ("product", "pricing")])
        self.challenger: Pipeline | None = None
        if cfg.challenger is not None and cfg.challenger.share > 0:
            self.challenger = self._build_pipeline(config, cfg.challenger.risk, sources)
        # The lender's one ring graph (if either pipeline has the step): it learns from
        # every decision of the day.
        self.ring_graph: RingGraphStage | None = self._shared.get("ring_graph")
        rail = getattr(config.payments, cfg.payment.disbursement_rail)
        self.disbursement = DisbursementStage(Rail(cfg.payment.disbursement_rail,
                                                   rail.latency_minutes, rail.failure_rate,
                                                   rail.fee_cents))
        self.sells = np.array([config.product(index, k) is not None for k in PRODUCT_KINDS])
        self._revolving = config.product(index, "revolving")  # its limits and review terms
        self.train_x_: list[np.ndarray] = []
        self.train_rows_: list[np.ndarray] = []
        self.model_since_day_: int | None = None
        # Declined applications' model inputs, by day, for reject inference (none kept
        # when neither the champion's model nor the challenger's infers).
        self.model_configs = [cfg.risk.model] + ([cfg.challenger.risk.model]
                                                 if self.challenger else [])
        self.keeps_rejects = any(m.kind != "none" and m.reject_inference != "none"
                                 for m in self.model_configs)
        self.explores = any(m.kind != "none" and m.exploration_share > 0
                            for m in self.model_configs)
        self.rejects_ = DeclinedArchive(
            max(m.reject_window_days for m in self.model_configs), len(MODEL_FEATURES),
            RetroPull.of_lender(index, config, self.model_configs, sources, book))
        self.explored_loans_: list[np.ndarray] = []  # loan rows booked by exploration

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
        return assemble(StageBuild(market, self.config, risk, sources, self.reason_codes,
                                   self.flag_reasons, shared=self._shared,
                                   _flag_rules=self._flag_rules))

    @property
    def pipelines(self) -> list[Pipeline]:
        """The champion's pipeline and (if any) the challenger's."""
        return [self.pipeline] + ([self.challenger] if self.challenger else [])

    @property
    def learners(self) -> list[Stage]:
        """The stages of either pipeline that learn from outcomes (e.g. scoring)."""
        return [s for p in self.pipelines for s in p.learners]

    @property
    def pricers(self) -> list[PricingStage]:
        """The pricing stages of the champion and (if any) the challenger."""
        return [p["pricing"] for p in self.pipelines if "pricing" in p]

    def apply_policy(self, apr_cap: float | None, max_loan_to_income: float | None) -> None:
        """The regulator's caps in force from today."""
        for stage in self.pricers:
            stage.set_policy(apr_cap=apr_cap, max_loan_to_income=max_loan_to_income)

    def set_levers(self, *, approval_threshold: float | None = None,
                   price_markup: float | None = None,
                   limit_multiplier: float | None = None) -> None:
        """Set the champion's main levers from the next decision on (a learning agent's
        action, :mod:`simfin.env`); a lever left None keeps its value. The challenger, a
        test of another strategy, keeps its own.

        Args:
            approval_threshold: Highest predicted default probability approved once the
                model is in use (``ScoringStage.set_threshold``); a rules-only lender has
                no score to cut, and ignores it.
            price_markup: All-in APR added to the pricing policy's price, rate/year
                (``PricingStage.set_markup``).
            limit_multiplier: Factor on the largest loan and a new line's limit
                (``ProductStage.set_limit_multiplier``).

        Raises:
            ValueError: A lever outside its range, naming it.
        """
        if approval_threshold is not None and "scoring" in self.pipeline:
            self.pipeline["scoring"].set_threshold(approval_threshold)
        if price_markup is not None:
            self.pipeline["pricing"].set_markup(price_markup)
        if limit_multiplier is not None:
            self.pipeline["product"].set_limit_multiplier(limit_multiplier)

    def levers(self) -> dict[str, float | None]:
        """The champion's levers in force (``approval_threshold`` None: no model)."""
        scoring = self.pipeline.get("scoring")
        return {"approval_threshold": None if scoring is None else scoring.approval_threshold,
                "price_markup": self.pipeline["pricing"].markup,
                "limit_multiplier": self.pipeline["product"].limit_multiplier}

    def observe_costs(self, cost_cents: int, loans: int) -> None:
        """Today's view of what a booked loan costs to acquire and decide (for pricing)."""
        for stage in self.pricers:
            stage.observe_costs(cost_cents, loans)

    # -- the day -----------------------------------------------------------------------

    def retrain(self, day: int) -> None:
        """On the retraining schedule, label the loans whose performance window has passed
        and pass those outcomes to the stages that learn.

        One chain, three verbs, three owners: the lender *retrains* (it owns the schedule,
        the training data and the labels); each pipeline hands the ``Outcomes`` to its
        learning stages' :meth:`~simfin.lending.pipeline.Stage.observe` (the plug-in
        interface: a stage may do anything with them); the scoring stage *fits* a
        candidate estimator (:meth:`~simfin.lending.scoring.ScoringStage.fit`) and deploys
        it if it validates.
        """
        if not self.learners or day == 0 or not self.train_rows_:
            return
        if day % self.config.risk.model.retrain_every_days:
            return
        x = np.concatenate(self.train_x_)
        rows = np.concatenate(self.train_rows_)
        self.train_x_, self.train_rows_ = [x], [rows]
        window = self.config.risk.model.performance_window_days
        # Label only loans that have been on book for the whole window: labelling early
        # bads and early closures would teach the model that every loan is good.
        observed = day - self.book.column("origination_day").take(rows) >= window
        n_observed = int(np.count_nonzero(observed))
        if observed[:n_observed].all():
            # Loans are booked day after day, so the observed ones are the first rows:
            # their features are a view, not a copy of most of the training data.
            features, labelled = x[:n_observed], rows[:n_observed]
        else:
            features, labelled = x[observed], rows[observed]
        outcomes = Outcomes(day, features, self.book.column("ever_30dpd").take(labelled),
                            self._rejects(day), self.rejects_.records())
        for pipeline in self.pipelines:
            pipeline.observe(outcomes)
        if self.model_since_day_ is None and self.model_in_use:
            self.model_since_day_ = day

    def _rejects(self, day: int) -> np.ndarray | None:
        """The declined applications kept for reject inference (those of the last
        ``reject_window_days``), or None when the lender keeps none; records due are
        pulled (and paid for) first.
        """
        if not self.keeps_rejects:
            return None
        rejects = self.rejects_.rejects(day)
        if self.rejects_.paid_cents:
            self.ledger.post(self.index, "data_cost", self.rejects_.paid_cents)
            self.rejects_.paid_cents = 0
        return rejects

    def make_offers(self, batch: ApplicationBatch, day: int) -> Quote:
        """Decide the day's batch and pay for deciding it; the approved rows are offers."""
        batch = self.decide(batch, day)
        if self.keeps_rejects:
            self.rejects_.keep_declined(batch, day, self._redraws(batch), self.stream,
                                        max(m.max_rejects_per_day for m in self.model_configs))
        if day < self.config.entry_day:  # not in the market yet: no platform to pay for
            batch.costs_cents.clear()
        for item, cents in batch.costs_cents.items():
            self.ledger.post(self.index, item, cents)
        return Quote(self, day, batch, np.flatnonzero(batch["decision"] == APPROVED))

    def decide(self, batch: ApplicationBatch, day: int) -> ApplicationBatch:
        """Admit the batch on the platform, then run the champion (and challenger)."""
        ctx = DecisionContext(day=day, rng=self.stream)
        batch["pd"] = np.full(batch.n, np.nan, dtype=np.float32)
        batch["explored"] = np.zeros(batch.n, dtype=bool)  # approved by exploration
        batch = self.platform.run(batch, ctx)
        redraw = self._redraws(batch)
        if redraw.any():
            # A draw on an open line is no new application: an instant decision on the
            # existing limit (product limits and the line's price), with no rules or data.
            draws = batch.take(redraw)
            draws["challenger"] = np.zeros(draws.n, dtype=bool)
            parts = [self._decide_new(batch.take(~redraw), ctx),
                     self.line_pipeline.run(draws, ctx)]
            merged = ApplicationBatch.concat(parts)
            for item, cents in batch.costs_cents.items():
                merged.charge(item, cents)
            return merged
        return self._decide_new(batch, ctx)

    @staticmethod
    def _redraws(batch: ApplicationBatch) -> np.ndarray:
        """Rows that draw on a line the applicant already holds with this lender."""
        return (batch["product"] == REVOLVING) & (batch["line_limit_cents"] > 0)

    def _decide_new(self, batch: ApplicationBatch, ctx: DecisionContext) -> ApplicationBatch:
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
            self.ring_graph.observe_decisions(batch)
        return batch

    def originate(self, quote: Quote, accepted: np.ndarray) -> ApplicationBatch:
        """Disburse and book the offers the applicants accepted.

        Args:
            quote: Today's quote of this lender.
            accepted: Rows of ``quote.batch`` whose applicant took the offer up.

        Returns:
            The booked loans (rows of the batch, with disbursement columns).
        """
        for stage in self.pricers:  # what became of each offer (a pricing policy may learn)
            stage.observe_offers(quote.day, quote.batch, quote.offers, accepted)
        booked = self.disbursement.run(quote.batch.take(accepted),
                                       DecisionContext(day=quote.day, rng=self.stream))
        for item, cents in booked.costs_cents.items():
            self.ledger.post(self.index, item, cents)
        loan_rows = self._book(booked, quote.day)
        if self.learners and len(loan_rows):
            # The features of booked loans: the only training data the lender will have.
            self.train_x_.append(feature_matrix(booked))
            self.train_rows_.append(loan_rows)
        if "explored" in booked and len(loan_rows):
            self.explored_loans_.append(loan_rows[booked["explored"]])
        return booked

    def _book(self, booked: ApplicationBatch, day: int) -> np.ndarray:
        """Book the disbursed loans of a batch; returns their loan-book rows."""
        principal = booked["amount_cents"].astype(np.int64)
        period, n_inst, rate, instalment = schedule(principal, booked["apr"],
                                                    booked["term_days"])
        consumers = booked["consumer"]
        pop, i = self.population, self.index
        funded = {} if self.co_lending is None else self.co_lending.assign(i, principal)
        loan_rows = self.book.add(
            lender=np.full(booked.n, i), consumer=consumers,
            product=booked["product"], scenario=booked["scenario"],
            channel=booked["channel"], grade=booked["grade"],
            origination_day=np.full(booked.n, day), principal_cents=principal,
            outstanding_cents=principal, instalment_cents=instalment, rate_per_period=rate,
            apr=booked["all_in_apr"], pd=booked["pd"], period_days=period,
            n_instalments=n_inst, next_due_day=day + period,
            is_fraud=booked["truth_is_fraud"], challenger=booked["challenger"],
            repeat=pop.at_lender(pop.borrowed_at, consumers, i),
            term_days=booked["term_days"],
            other_loans=np.minimum(pop.loans_at.take(consumers, axis=0).sum(axis=1)
                                   - pop.at_lender(pop.loans_at, consumers, i)
                                   + pop.external_loans.take(consumers), 127),
            cohort=pop.cohort.take(consumers), region=pop.region.take(consumers),
            online=booked["online"] > 0, flags=booked["flags"], **funded)
        post_origination(self.ledger, self.co_lending, i, loan_rows, principal,
                         np.round(principal * booked["fee_rate"]).astype(np.int64))
        line = booked["product"] == REVOLVING
        pop.open_loans(consumers, i, monthly_service(instalment, period),
                       consumers[line], booked["line_limit_cents"][line])
        return loan_rows

    def review_lines(self, day: int) -> None:
        """On the review days: raise clean revolving lines, freeze delinquent ones."""
        product = self._revolving
        if product is None or day == 0 or day % product.limit_review_days:
            return
        pop, i = self.population, self.index
        lines = np.flatnonzero(pop.line_limit_cents[:, i] > 0)
        missed = pop.missed_since_review[lines, i]
        limits = pop.line_limit_cents[lines, i]
        raised = np.minimum(np.round(limits * (1 + product.limit_increase_rate)),
                            product.max_amount_cents).astype(np.int64)
        used = self.book.outstanding_of(lines, i, REVOLVING)
        # A frozen line keeps what is drawn and allows no new draws.
        pop.line_limit_cents[lines, i] = np.where(missed, np.maximum(used, 1), raised)
        pop.missed_since_review[lines, i] = False

    def serve(self, n_delinquent: int, rng: np.random.Generator,
              borrowers: np.ndarray | None = None) -> None:
        """Service contacts with active borrowers and collection calls on delinquent loans.

        ``borrowers``: the consumers with an active loan at the lender, in id order
        (``population.borrowers_by_lender()``, looked up when not given).
        """
        pop = self.population
        if borrowers is None:
            borrowers = pop.borrowers_by_lender()[self.index]
        cost = self.service.serve(borrowers, pop.satisfaction, pop.interactions, rng)
        self.ledger.post(self.index, "service_cost", cost)
        calls = self.service.collect(n_delinquent, rng)
        self.ledger.post(self.index, "collections_cost", calls)

    def fund(self) -> None:
        """Pay a day of interest on the balance the lender funds (at its cost of funds
        moved by the economy's ``funding_rate_shift``, never below 0).
        """
        outstanding = self.ledger.balance("loans")[self.index]
        yearly = self.config.cost_of_funds_rate
        shift = self.population.macro.funding_rate_shift
        if shift != 0.0:
            yearly = max(yearly + shift, 0.0)
        rate = yearly / 365.0
        self.ledger.post(self.index, "funding_cost", int(round(outstanding * rate)))

    def undrawn_cents(self) -> int:
        """The undrawn limits of the lender's revolving lines: the exposure its expected
        credit losses add at a credit conversion factor (0 without the product, and in the
        run-off, when no line can be drawn).
        """
        if self._revolving is None or self.model.day >= self.model.config.run.steps:
            return 0
        lines = np.flatnonzero(self.population.line_limit_cents[:, self.index] > 0)
        limits = self.population.line_limit_cents[lines, self.index].astype(np.int64)
        used = self.book.outstanding_of(lines, self.index, REVOLVING)
        return int(np.maximum(limits - used, 0).sum())

    @property
    def model_in_use(self) -> bool:
        """Whether a statistical model decides (False for rules-only or in cold start)."""
        return any(s.in_use for s in self.learners)
