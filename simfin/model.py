"""``MarketModel``: builds the market and orders the day; the agents do the work.

One step is one day:

1. merchant scenarios create financing needs (purchases, cash needs);
2. channels bring them to lenders as applications (acquisition costs are paid);
3. each lender learns from the outcomes it has observed, quotes offers on its batch
   (``Lender.quote``), the applicants accept or decline their offers (today: each takes its
   own offer up or not, by its price), and the lender originates the accepted ones
   (``Lender.originate``: disburse, book, post);
4. the loan book comes due: borrowers pay or miss; delinquent loans cure, default or are
   written off; each lender reviews its credit lines, serves its borrowers and pays for
   its funding;
5. the day's indicators are recorded.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from simfin.agents.channel import Channel, choose_channels, choose_lenders
from simfin.agents.consumer import (
    MANUAL_PAYMENT_PENALTY,
    Consumer,
    completion_probability,
    cure_probability,
    loyalty,
    pay_probability,
    service_boost,
    take_up_probability,
)
from simfin.agents.lender import Lender, Quote
from simfin.agents.observations import application_batch, build_sources
from simfin.agents.population import Population
from simfin.agents.scenario import MerchantScenario
from simfin.application_log import ApplicationLog
from simfin.config import COHORTS, ConfigError, MarketConfig, load_config
from simfin.lending.batch import ApplicationBatch
from simfin.lending.ledger import Ledger
from simfin.lending.loan_book import LoanBook, monthly_service
from simfin.lending.product import PRODUCT_KINDS, REVOLVING
from simfin.lending.repayments import Servicer
from simfin.levers import apply_levers
from simfin.recording import Recorder
from simfin.reporters import model_reporters

# Daily probability that a delinquent borrower who can pay gets round to paying.
BASE_CURE_RATE = 0.05


class MarketModel(mesa.Model):
    """An internet consumer-finance market.

    Args:
        config: A ``MarketConfig``, a path to a YAML file, a dict, or None for the defaults.
        rng: Seed or generator; defaults to ``config.run.seed`` (an int is recorded there).
            Every random draw of the run flows from it.
        **levers: Main levers by name (``apr_cap=0.24``, ``approval_threshold__scored=0.3``;
            see :mod:`simfin.levers`), applied to the config and validated like ``--set``,
            so that ``mesa.batch_run`` and SolaraViz sliders can drive them.
        scenario: A Mesa ``Scenario``: its parameters are levers, its ``rng`` the seed.

    Attributes:
        population: The consumers, in columns.
        book: Every loan of every lender, in columns.
        ledger: Every movement of money.
        lenders, scenarios, channels: The agents, in config order.
        recorder: The daily indicators (``recorder.steps_frame()``).
        applications: The record of every application (``simfin.application_log``), or
            None when ``run.record_applications`` is off.
        datacollector: Mesa ``DataCollector``: run-to-date totals and end-of-day balances
            for the market and per lender (:mod:`simfin.reporters`).
        running: False once ``config.run.steps`` days have run (Mesa's stop signal).
    """

    def __init__(self, config: MarketConfig | str | dict | None = None, *,
                 rng: int | np.random.Generator | None = None,
                 scenario: mesa.experimental.scenarios.Scenario | None = None,
                 **levers: Any) -> None:
        config = config if isinstance(config, MarketConfig) else load_config(config)
        if scenario is not None:  # Mesa's Scenario (SolaraViz passes one on reset)
            params = scenario.to_dict()
            rng = params["rng"] if rng is None else rng
            levers = {**{k: v for k, v in params.items()
                         if k not in ("rng", "model", "_scenario_id")}, **levers}
        if rng is not None and levers.get("seed") is not None:
            raise ConfigError("seed: give either seed= or rng=, not both")
        if isinstance(rng, int | np.integer):
            levers = {**levers, "seed": int(rng)}  # the config records the run's seed
        config = apply_levers(config, levers)
        super().__init__(rng=config.run.seed if rng is None else rng)
        self.config = config
        self.day = 0
        self.population = Population(config.population, self.rng)
        # Consumers' unique_id is their population row; the other agents' ids follow.
        self.agent_id_counter = self.population.n
        self.population.attach_lenders(len(config.lenders))
        self.scenarios = [MerchantScenario(self, s, i) for i, s in enumerate(config.scenarios)]
        self.channels = [Channel(self, c, i) for i, c in enumerate(config.channels)]
        self.sources = build_sources(config, self.population, lambda: self.day, self.rng)
        self.book = LoanBook()
        self.ledger = Ledger(len(config.lenders), [lc.capital_cents for lc in config.lenders])
        self.lenders = [Lender(self, config, i, self.sources, self.population, self.book,
                               self.ledger) for i in range(len(config.lenders))]
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
        self._manual_penalty = np.array([0.0 if lc.payment.auto_debit else
                                         MANUAL_PAYMENT_PENALTY for lc in config.lenders])
        self._cure_multiplier = np.array([lender.service.cure_multiplier
                                          for lender in self.lenders])
        self.recorder = Recorder([lender.name for lender in self.lenders],
                                 [lender.reason_codes for lender in self.lenders],
                                 len(config.channels),
                                 [lc.infrastructure.capacity_per_day for lc in config.lenders],
                                 len(COHORTS))
        self.datacollector = mesa.DataCollector(model_reporters=model_reporters(self))
        # One row per application (run.record_applications); None when not recorded.
        self.applications = ApplicationLog() if config.run.record_applications else None
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
            lender.learn(self.day)
        for lender in self.lenders:
            quote = lender.quote(self.applications_to(lender, applications), self.day)
            accepted = self.take_up(quote)
            first_loan = len(self.book)
            booked = lender.originate(quote, accepted)
            if self.applications is not None:
                self.applications.record(lender.index, self.day, quote.batch, accepted,
                                         np.arange(first_loan, len(self.book)))
            self.recorder.count_decisions(lender.index, quote.batch, booked)
        self.service_loans()
        for lender in self.lenders:
            lender.review_lines(self.day)
        self.serve_customers()
        for lender in self.lenders:
            lender.fund()
        self.recorder.end_day(self.day, self.ledger, self.book, self.population.satisfaction)
        self.datacollector.collect(self)
        self.day += 1
        self.running = self.day < self.config.run.steps

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
        routed = (channel >= 0) & (lender >= 0)
        apps = {k: v[routed] for k, v in needs.items()}
        apps["channel"], apps["lender"] = channel[routed], lender[routed]
        f = self._friction[apps["lender"], apps["product"]]
        p = self._conversion[apps["channel"]] * completion_probability(
            pop, apps["consumer"], apps["online"], f[:, 0], f[:, 1])
        completed = self.rng.random(len(p)) < p
        self.recorder.count_needs(apps["lender"], pop.cohort[apps["consumer"]], completed)
        return {k: v[completed] for k, v in apps.items()}

    def applications_to(self, lender: Lender, applications: dict[str, np.ndarray]
                        ) -> ApplicationBatch:
        """The lender's applications of the day, with what it can observe of each applicant;
        channels are paid for the applicants new to the lender.
        """
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
        return batch

    def take_up(self, quote: Quote) -> np.ndarray:
        """The offers the applicants accept: each takes its offer up or not, by its price."""
        offers = quote.offers
        return offers[self.rng.random(len(offers)) < take_up_probability(
            quote.batch["all_in_apr"][offers])]

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
            rate = BASE_CURE_RATE * self._cure_multiplier[lenders[rows]]
            return cure_probability(pop, consumers[rows], owed, day, rate, boost(rows))

        result = self.servicer.run(day, self.rng, pays, cures)
        pop.missed_since_review[consumers[result.missed], lenders[result.missed]] = True
        np.add.at(pop.defaults_at, (consumers[result.new_defaults],
                                    lenders[result.new_defaults]), 1)
        ended = np.concatenate([result.closed, result.written_off])
        pop.end_loans(consumers[ended], lenders[ended],
                      monthly_service(due[ended], book.column("period_days")[ended]))
        self.recorder.count_servicing(result, book)

    def serve_customers(self) -> None:
        """Each lender serves its borrowers and calls on its delinquent loans."""
        book = self.book
        delinquent = book.column("overdue_since_day").take(book.active_rows()) >= 0
        n_delinquent = np.bincount(book.active("lender")[delinquent],
                                   minlength=len(self.lenders))
        for lender in self.lenders:
            lender.serve(int(n_delinquent[lender.index]), self.rng)

    # -- looking at one consumer -------------------------------------------------------

    def consumer(self, row: int) -> Consumer:
        """The Mesa agent of the consumer in population row ``row`` (created on first use)."""
        if not 0 <= row < self.population.n:
            raise IndexError(f"consumer row {row} out of range 0..{self.population.n - 1}")
        if row not in self._consumers:
            self._consumers[row] = Consumer(self, self.population, row)
        return self._consumers[row]

