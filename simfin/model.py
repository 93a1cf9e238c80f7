"""``MarketModel``: builds the market and tells the story of a day.

One step is one day:

0. the regulator applies the policy changes dated today;
1. merchant scenarios create financing needs (purchases, cash needs), riskier consumers
   more often; needs declined earlier try again with other lenders;
2. channels bring each need to one or more lenders as applications (acquisition costs are
   paid);
3. each lender decides its day's applications as one batch and quotes; each consumer
   takes the best offer for them, or none; lenders book the loans taken (disbursement);
4. the loan book comes due: borrowers pay or miss; delinquent loans cure, default or are
   written off; the cost of funding the book is paid;
5. the day's indicators are recorded.
"""

from __future__ import annotations

import mesa
import numpy as np

from simfin.agents import fraud as fraud_kinds
from simfin.agents import offers
from simfin.agents.channel import Channel, choose_channels
from simfin.agents.consumer import (
    Consumer,
    completion_probability,
    cure_probability,
    loyalty,
    pay_probability,
    service_boost,
)
from simfin.agents.demand import NEED_COLUMNS, Reapplications
from simfin.agents.lender import Lender
from simfin.agents.population import Population
from simfin.agents.records import application_batch, build_sources
from simfin.agents.regulator import Regulator
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
        self.regulator = Regulator(self, config.policy, self.sources.get("consortium"))
        self.reapplications = Reapplications(len(self.lenders), config.behaviour.demand)
        # What each lender has spent to acquire and decide applicants, and loans booked:
        # the unit cost per booked loan its prices must cover.
        self._unit_costs = np.zeros(len(self.lenders), dtype=np.int64)
        self._loans_booked = np.zeros(len(self.lenders), dtype=np.int64)
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
        self.regulator.step_day(self.day, self.lenders)
        self.population.step_shocks(self.day, self.rng)
        needs = self.arise_needs()
        applications = self.bring_applications(needs)
        quotes = []
        for lender in self.lenders:
            lender.retrain(self.day, self.book)
            quotes.append(self.decide(lender, applications))
        taken = self.choose_offers(needs, quotes)
        for lender, batch, rows in zip(self.lenders, quotes, taken, strict=True):
            self.originate(lender, batch, rows)
        self.queue_reapplications(needs, applications, quotes)
        fraud_kinds.adapt(self.population, self.day, self.rng)
        self.service_loans()
        self.review_credit_lines()
        self.serve_customers()
        self.pay_funding_costs()
        self.recorder.end_day()
        self.datacollector.collect(self)
        self.day += 1

    def arise_needs(self) -> dict[str, np.ndarray]:
        """Every scenario's financing needs of the day and the re-applications due today,
        as one set of columns (``tried``: lenders each need already applied to).
        """
        parts = [s.generate_needs(self.population, self.day, self.rng) for s in self.scenarios]
        needs = {k: np.concatenate([p[k] for p in parts]) for k in NEED_COLUMNS}
        n, n_lenders = len(needs["consumer"]), len(self.lenders)
        needs["attempt"] = np.zeros(n, dtype=np.int8)
        needs["tried"] = np.zeros((n, n_lenders), dtype=bool)
        again = self.reapplications.due(self.day)
        if again is not None:
            needs = {k: np.concatenate([needs[k], again[k].astype(needs[k].dtype)])
                     for k in needs}
        return needs

    def bring_applications(self, needs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Route each need through a channel to one or more lenders; keep the applications
        whose form is completed. ``need`` indexes the need of each application.
        """
        pop = self.population
        channel = choose_channels(self.channels, needs["consumer"], needs["online"], pop,
                                  self.rng)
        need, lender = offers.route(needs["product"], needs["online"], needs["tried"],
                                    self._brand, self._offers,
                                    loyalty(pop, needs["consumer"]),
                                    self.config.behaviour.choice, self.rng)
        # A draw on an open credit line goes to the line's lender alone, in its app: no
        # channel to convert through, no form to finish (frictionless, see
        # ``Lender.decide``).
        line_lender = self._line_lender(needs["consumer"], needs["product"])
        on_line = line_lender >= 0
        keep, draws = ~on_line[need], np.flatnonzero(on_line)
        need = np.concatenate([need[keep], draws])
        lender = np.concatenate([lender[keep], line_lender[draws].astype(lender.dtype)])
        reached = channel[need] >= 0  # a need with no channel of its kind goes nowhere
        need, lender = need[reached], lender[reached]
        apps = {k: needs[k][need] for k in NEED_COLUMNS}
        apps["need"], apps["channel"] = need, channel[need]
        apps["lender"] = lender.astype(np.int16)
        f = self._friction[apps["lender"], apps["product"]]
        p = np.where(on_line[need], 1.0, self._conversion[apps["channel"]]
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

    def decide(self, lender: Lender, applications: dict[str, np.ndarray]) -> ApplicationBatch:
        """One lender decides its batch and quotes; it pays the channels and the decision."""
        mine = applications["lender"] == lender.index
        apps = {k: v[mine] for k, v in applications.items() if k != "lender"}
        used = (self.book.outstanding_of(apps["consumer"], lender.index, REVOLVING)
                if lender.offers[REVOLVING] else np.zeros(len(apps["consumer"]), np.int64))
        batch = application_batch(self.population, apps, lender.index, self.day, self.rng,
                                  self._shares_data, used)
        # Channels are paid for new customers; returning ones come back through the app.
        new = ~self.population.borrowed_at[batch["consumer"], lender.index]
        acquisition = np.where(new, self._cost_per_app[batch["channel"]], 0)
        self.ledger.post(lender.index, "acquisition_cost", int(acquisition.sum()))
        self.recorder.count_acquisition(lender.index, batch["channel"], acquisition)
        batch["asked_cents"] = batch["amount_cents"].copy()  # the offer may cut the amount
        batch = lender.decide(batch, self.day)
        fraud_kinds.record_declines(self.population,
                                    batch["consumer"][batch["decision"] == DECLINED])
        for item, cents in batch.costs_cents.items():
            self.ledger.post(lender.index, item, cents)
        self._unit_costs[lender.index] += int(acquisition.sum()) + sum(
            batch.costs_cents.values())
        return batch

    def choose_offers(self, needs: dict[str, np.ndarray], quotes: list[ApplicationBatch]
                      ) -> list[np.ndarray]:
        """Each consumer compares the approved offers of their need and takes the best for
        them, or none; returns, per lender, the batch rows taken.
        """
        pop, choice = self.population, self.config.behaviour.choice
        rows = [np.flatnonzero(b["decision"] == APPROVED) for b in quotes]
        lender = np.concatenate([np.full(len(r), i) for i, r in enumerate(rows)])
        col = {name: np.concatenate([b[name][r] for b, r in zip(quotes, rows, strict=True)])
               for name in ("need", "consumer", "all_in_apr", "amount_cents", "asked_cents",
                            "decision_minutes", "product")}
        consumer = col["consumer"]
        borrowed = pop.borrowed_at[consumer, lender]
        gap = np.where(borrowed, pop.satisfaction[consumer]
                       - self.config.behaviour.repayment.neutral_satisfaction, 0.0)
        value = offers.utility(
            col["all_in_apr"], col["amount_cents"], col["asked_cents"],
            col["decision_minutes"], self._friction[lender, col["product"], 0], gap,
            np.log(self._brand[lender]),
            offers.price_sensitivity(pop.cohort[consumer], pop.region[consumer], choice),
            choice)
        taken = offers.choose(col["need"], value, len(needs["consumer"]),
                              choice.outside_utility, self.rng)
        start = np.cumsum([0] + [len(r) for r in rows])
        return [rows[i][taken[(taken >= start[i]) & (taken < start[i + 1])] - start[i]]
                for i in range(len(rows))]

    def originate(self, lender: Lender, batch: ApplicationBatch, taken: np.ndarray) -> None:
        """Disburse and book the offers taken; count the lender's day."""
        booked = lender.disburse(batch.take(taken))
        for item, cents in booked.costs_cents.items():
            self.ledger.post(lender.index, item, cents)
        loan_rows = self.book_loans(lender, booked)
        lender.remember(booked, loan_rows)
        self.recorder.count_decisions(lender.index, batch, booked)
        self._loans_booked[lender.index] += booked.n
        lender.observe_costs(int(self._unit_costs[lender.index]),
                             int(self._loans_booked[lender.index]))

    def queue_reapplications(self, needs: dict[str, np.ndarray],
                             applications: dict[str, np.ndarray],
                             quotes: list[ApplicationBatch]) -> None:
        """Needs that applied and that no lender approved try again elsewhere, later."""
        tried = needs["tried"].copy()
        tried[applications["need"], applications["lender"]] = True
        applied = np.zeros(len(needs["consumer"]), dtype=bool)
        applied[applications["need"]] = True
        for batch in quotes:
            applied[batch["need"][batch["decision"] == APPROVED]] = False
        declined = np.flatnonzero(applied)
        self.reapplications.add({k: needs[k][declined] for k in (*NEED_COLUMNS, "attempt")},
                                tried[declined], self.day, self.rng)

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
