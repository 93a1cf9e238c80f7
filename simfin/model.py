"""``MarketModel``: builds the market and tells the story of a day.

One step is one day:

1. merchant scenarios create financing needs (purchases, cash needs);
2. channels bring them to lenders as applications (acquisition costs are paid);
3. each lender decides its day's applications as one batch and books the loans it approves
   and the applicant takes up (disbursement);
4. the loan book comes due: borrowers pay or miss; delinquent loans cure, default or are
   written off; the cost of funding the book is paid;
5. the day's indicators are recorded.
"""

from __future__ import annotations

import mesa
import numpy as np

from simfin.agents import fraud as fraud_kinds
from simfin.agents.channel import Channel, choose_channels, choose_lenders
from simfin.agents.consumer import (
    Consumer,
    completion_probability,
    cure_probability,
    loyalty,
    pay_probability,
    service_boost,
    take_up_probability,
)
from simfin.agents.lender import Lender
from simfin.agents.population import Population
from simfin.agents.records import application_batch, build_sources
from simfin.agents.scenario import MerchantScenario
from simfin.config import MarketConfig, load_config
from simfin.lending.batch import APPROVED, DECLINED, ApplicationBatch
from simfin.lending.ledger import Ledger
from simfin.lending.loan_book import LoanBook, schedule
from simfin.lending.product import PRODUCT_KINDS, REVOLVING
from simfin.lending.servicing import Servicer
from simfin.recording import Recorder


class MarketModel(mesa.Model):
    """An internet consumer-finance market.

    Args:
        config: A ``MarketConfig``, a path to a YAML file, a dict, or None for the defaults.
        rng: Seed or generator; defaults to ``config.run.seed``. Every random draw of the
            run flows from it.

    Attributes:
        population: The consumers, in columns.
        book: Every loan of every lender, in columns.
        ledger: Every movement of money.
        lenders, scenarios, channels: The agents, in config order.
        recorder: The daily indicators (``recorder.steps_frame()``).
        datacollector: Mesa ``DataCollector`` with market-level reporters.
    """

    def __init__(self, config: MarketConfig | str | dict | None = None, *,
                 rng: int | np.random.Generator | None = None) -> None:
        config = config if isinstance(config, MarketConfig) else load_config(config)
        super().__init__(rng=config.run.seed if rng is None else rng)
        self.config = config
        self.day = 0
        self.population = Population(config.population, self.rng, config.behaviour)
        self.population.attach_lenders(len(config.lenders))
        self.scenarios = [MerchantScenario(self, s, i) for i, s in enumerate(config.scenarios)]
        self.channels = [Channel(self, c, i) for i, c in enumerate(config.channels)]
        self.sources = build_sources(config, self.population, lambda: self.day, self.rng)
        self.lenders = [Lender(self, config, i, self.sources)
                        for i in range(len(config.lenders))]
        self.book = LoanBook()
        self.ledger = Ledger(len(self.lenders), [lc.capital_cents for lc in config.lenders])
        late_fees = np.zeros((len(self.lenders), len(PRODUCT_KINDS)), dtype=np.int64)
        for i, lc in enumerate(config.lenders):
            for p in lc.products:
                late_fees[i, PRODUCT_KINDS.index(p.kind)] = p.late_fee_cents
        rails = [getattr(config.payments, lc.payment.repayment_rail) for lc in config.lenders]
        self.servicer = Servicer(
            self.book, self.ledger, late_fees, config.run.default_dpd, config.run.writeoff_dpd,
            config.run.recovery_rate, debit_failure_rate=[r.failure_rate for r in rails],
            debit_fee_cents=[r.fee_cents for r in rails],
            retry_days=[lc.payment.retry_days for lc in config.lenders])
        penalty = config.behaviour.repayment.manual_payment_penalty
        self._manual_penalty = np.array([0.0 if lc.payment.auto_debit else penalty
                                         for lc in config.lenders])
        self._cure_multiplier = np.array([lender.service.cure_multiplier
                                          for lender in self.lenders])
        self.recorder = Recorder(self)
        self.datacollector = mesa.DataCollector(model_reporters={
            "applications": lambda m: m.recorder.today("applications").sum(),
            "approvals": lambda m: m.recorder.today("approvals").sum(),
            "outstanding": lambda m: m.recorder.today("outstanding").sum(),
            "new_defaults": lambda m: m.recorder.today("new_defaults").sum(),
            "profit": lambda m: m.recorder.today("profit").sum(),
        })
        self._consumers: dict[int, Consumer] = {}
        self._offers = np.array([lender.offers for lender in self.lenders])
        self._brand = np.array([lc.brand_weight for lc in config.lenders])
        self._shares_data = np.array([c.shares_data for c in config.channels])
        self._cost_per_app = np.array([c.cost_per_application_cents for c in config.channels])
        self._conversion = np.array([c.conversion_rate for c in config.channels])
        self._friction = np.zeros((len(self.lenders), len(PRODUCT_KINDS), 2))
        for i, lc in enumerate(config.lenders):
            for p in lc.products:
                self._friction[i, PRODUCT_KINDS.index(p.kind)] = (p.friction_minutes,
                                                                   p.friction_steps)

    # -- the day -----------------------------------------------------------------------

    def step(self) -> None:
        """One day in the market."""
        self.recorder.start_day()
        self.population.step_shocks(self.day, self.rng)
        needs = self.arise_needs()
        applications = self.bring_applications(needs)
        for lender in self.lenders:
            lender.retrain(self.day, self.book)
            self.decide_and_book(lender, applications)
        fraud_kinds.adapt(self.population, self.day, self.rng)
        self.service_loans()
        self.review_credit_lines()
        self.serve_customers()
        self.pay_funding_costs()
        self.recorder.end_day()
        self.datacollector.collect(self)
        self.day += 1

    def arise_needs(self) -> dict[str, np.ndarray]:
        """Every scenario's financing needs of the day, as one set of columns."""
        parts = [s.generate_needs(self.population, self.day, self.rng) for s in self.scenarios]
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    def bring_applications(self, needs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Route needs through channels to lenders; keep those that complete the form."""
        pop = self.population
        channel = choose_channels(self.channels, needs["consumer"], needs["online"], pop,
                                  self.rng)
        lender = choose_lenders(self._brand, self._offers, needs["product"], self.rng,
                                loyalty(pop, needs["consumer"]))
        # A draw on an open credit line goes to the line's lender in its app: no channel
        # to convert through, no form to finish (frictionless, see ``Lender.decide``).
        line_lender = self._line_lender(needs["consumer"], needs["product"])
        on_line = line_lender >= 0
        lender = np.where(on_line, line_lender, lender).astype(lender.dtype)
        routed = (channel >= 0) & (lender >= 0)
        apps = {k: v[routed] for k, v in needs.items()}
        apps["channel"], apps["lender"] = channel[routed], lender[routed]
        f = self._friction[apps["lender"], apps["product"]]
        p = np.where(on_line[routed], 1.0, self._conversion[apps["channel"]]
                     * completion_probability(pop, apps["consumer"], apps["online"],
                                              f[:, 0], f[:, 1]))
        completed = self.rng.random(len(p)) < p
        self.recorder.count_needs(apps, completed)
        applications = {k: v[completed] for k, v in apps.items()}
        pop.count_inquiries(applications["consumer"])
        return applications

    def _line_lender(self, consumers: np.ndarray, products: np.ndarray) -> np.ndarray:
        """For each revolving need, the lender where the consumer holds a line (the largest
        limit), or -1 (no line, or not a revolving need).
        """
        out = np.full(len(consumers), -1, dtype=np.int16)
        rows = np.flatnonzero(products == REVOLVING)
        if len(rows) == 0 or not self._offers[:, REVOLVING].any():
            return out
        limits = self.population.line_limit_cents[consumers[rows]]
        out[rows] = np.where(limits.max(axis=1) > 0, limits.argmax(axis=1), -1)
        return out

    def decide_and_book(self, lender: Lender, applications: dict[str, np.ndarray]) -> None:
        """One lender decides its batch, pays for it, and books what is taken up."""
        mine = applications["lender"] == lender.index
        apps = {k: v[mine] for k, v in applications.items()}
        used = (self.book.outstanding_of(apps["consumer"], lender.index, REVOLVING)
                if lender.offers[REVOLVING] else np.zeros(len(apps["consumer"]), np.int64))
        batch = application_batch(self.population, apps, lender.index, self.day, self.rng,
                                  self._shares_data, used)
        # Channels are paid for new customers; returning ones come back through the app.
        new = ~self.population.borrowed_at[batch["consumer"], lender.index]
        acquisition = np.where(new, self._cost_per_app[batch["channel"]], 0)
        self.ledger.post(lender.index, "acquisition_cost", int(acquisition.sum()))
        self.recorder.count_acquisition(lender.index, batch["channel"], acquisition)
        batch = lender.decide(batch, self.day)
        fraud_kinds.record_declines(self.population,
                                    batch["consumer"][batch["decision"] == DECLINED])
        approved = np.flatnonzero(batch["decision"] == APPROVED)
        # Fraudsters take whatever they are offered: they do not mean to pay the price.
        take_up = np.where(batch["truth_is_fraud"][approved], 1.0, take_up_probability(
            batch["all_in_apr"][approved], self.config.behaviour))
        taken = approved[self.rng.random(len(approved)) < take_up]
        booked = lender.disburse(batch.take(taken))
        for costs in (batch.costs_cents, booked.costs_cents):
            for item, cents in costs.items():
                self.ledger.post(lender.index, item, cents)
        loan_rows = self.book_loans(lender, booked)
        lender.remember(booked, loan_rows)
        self.recorder.count_decisions(lender.index, batch, booked)

    def book_loans(self, lender: Lender, booked: ApplicationBatch) -> np.ndarray:
        """Book the disbursed loans of a batch; returns their loan-book rows."""
        principal = booked["amount_cents"].astype(np.int64)
        period, n_inst, rate, instalment = schedule(principal, booked["apr"],
                                                    booked["term_days"])
        consumers = booked["consumer"]
        pop = self.population
        loan_rows = self.book.add(
            lender=np.full(booked.n, lender.index), consumer=consumers,
            product=booked["product"], scenario=booked["scenario"],
            channel=booked["channel"], grade=booked["grade"],
            origination_day=np.full(booked.n, self.day), principal_cents=principal,
            outstanding_cents=principal, instalment_cents=instalment, rate_per_period=rate,
            apr=booked["all_in_apr"], pd=booked["pd"], period_days=period,
            n_instalments=n_inst, next_due_day=self.day + period,
            is_fraud=booked["truth_is_fraud"], challenger=booked["challenger"],
            repeat=pop.borrowed_at[consumers, lender.index], term_days=booked["term_days"],
            other_loans=np.minimum(pop.loans_at[consumers].sum(axis=1)
                                   - pop.loans_at[consumers, lender.index]
                                   + pop.external_loans[consumers], 127),
            cohort=pop.cohort[consumers], region=pop.region[consumers],
            online=booked["online"] > 0, flags=booked["flags"])
        self.ledger.post(lender.index, "disbursed", int(principal.sum()))
        fees = np.round(principal * booked["fee_rate"]).astype(np.int64)
        self.ledger.post(lender.index, "fees_paid", int(fees.sum()))
        np.add.at(pop.loans_at, (consumers, lender.index), 1)
        np.add.at(pop.loans_booked, consumers, 1)
        pop.borrowed_at[consumers, lender.index] = True
        line = booked["product"] == REVOLVING
        pop.line_limit_cents[consumers[line], lender.index] = booked["line_limit_cents"][line]
        np.add.at(pop.debt_service_cents, consumers, monthly_service(instalment, period))
        return loan_rows

    def service_loans(self) -> None:
        """Collect what is due; cure, default and write off; update the borrowers."""
        book, pop, day = self.book, self.population, self.day
        consumers = book.column("consumer")
        due = book.column("instalment_cents")

        lenders = book.column("lender")

        def boost(rows: np.ndarray) -> np.ndarray:
            return service_boost(pop, consumers[rows]) - self._manual_penalty[lenders[rows]]

        def pays(rows: np.ndarray) -> np.ndarray:
            return pay_probability(pop, consumers[rows], due[rows], day, boost(rows))

        def cures(rows: np.ndarray) -> np.ndarray:
            owed = due[rows] * book.column("missed_instalments")[rows]
            rate = (self.config.behaviour.repayment.base_cure_rate
                    * self._cure_multiplier[lenders[rows]])
            return cure_probability(pop, consumers[rows], owed, day, rate, boost(rows))

        result = self.servicer.run(day, self.rng, pays, cures)
        pop.missed_since_review[consumers[result.missed], lenders[result.missed]] = True
        np.add.at(pop.defaults_at, (consumers[result.new_defaults],
                                    lenders[result.new_defaults]), 1)
        ended = np.concatenate([result.closed, result.written_off])
        np.add.at(pop.loans_at, (consumers[ended], lenders[ended]), -1)
        np.subtract.at(pop.debt_service_cents, consumers[ended],
                       monthly_service(due[ended], book.column("period_days")[ended]))
        self.recorder.count_servicing(result)

    def review_credit_lines(self) -> None:
        """On each lender's review days: raise clean revolving lines, freeze delinquent ones."""
        pop = self.population
        for lender in self.lenders:
            product = self.config.product(lender.index, "revolving")
            if product is None or self.day == 0 or self.day % product.limit_review_days:
                continue
            i = lender.index
            lines = np.flatnonzero(pop.line_limit_cents[:, i] > 0)
            missed = pop.missed_since_review[lines, i]
            limits = pop.line_limit_cents[lines, i]
            raised = np.minimum(np.round(limits * (1 + product.limit_increase_rate)),
                                product.max_amount_cents).astype(np.int64)
            used = self.book.outstanding_of(lines, i, REVOLVING)
            # A frozen line keeps what is drawn and allows no new draws.
            pop.line_limit_cents[lines, i] = np.where(missed, np.maximum(used, 1), raised)
            pop.missed_since_review[lines, i] = False

    def serve_customers(self) -> None:
        """Service contacts with active borrowers and collection calls on delinquent loans."""
        book, pop = self.book, self.population
        active = book.active_rows()
        delinquent = book.column("overdue_since_day").take(active) >= 0
        n_delinquent = np.bincount(book.active("lender")[delinquent],
                                   minlength=len(self.lenders))
        for lender in self.lenders:
            # Consumers with an active loan at the lender, in id order: the active-loan
            # counter, not a sort of the book.
            borrowers = np.flatnonzero(pop.loans_at[:, lender.index] > 0)
            cost = lender.service.serve(borrowers, pop.satisfaction, pop.interactions,
                                        self.rng)
            self.ledger.post(lender.index, "service_cost", cost)
            calls = lender.service.collect(int(n_delinquent[lender.index]), self.rng)
            self.ledger.post(lender.index, "collections_cost", calls)

    def pay_funding_costs(self) -> None:
        """Each lender pays a day of interest on the balance it funds."""
        outstanding = self.ledger.balance("loans")
        for lender in self.lenders:
            rate = lender.config.cost_of_funds_rate / 365.0
            self.ledger.post(lender.index, "funding_cost",
                             int(round(outstanding[lender.index] * rate)))

    # -- looking at one consumer -------------------------------------------------------

    def consumer(self, row: int) -> Consumer:
        """The Mesa agent of the consumer in population row ``row`` (created on first use)."""
        if not 0 <= row < self.population.n:
            raise IndexError(f"consumer row {row} out of range 0..{self.population.n - 1}")
        if row not in self._consumers:
            self._consumers[row] = Consumer(self, self.population, row)
        return self._consumers[row]


def monthly_service(instalment_cents: np.ndarray, period_days: np.ndarray) -> np.ndarray:
    """A loan's debt service per 30 days, for the borrower's budget."""
    return (instalment_cents * 30 // np.maximum(period_days, 1)).astype(np.int64)
