"""``MarketModel``: builds the market and orders the day; the agents do the work.

One step is one day:

0. the regulator applies the policy changes dated today; lenders enter, stop or resume on
   their capital ratio or borrowed funding and review their strategies
   (:mod:`simfin.agents.conduct`); funding partners take the own share in force
   (:mod:`simfin.lending.co_lending`);
1. merchant scenarios create financing needs (purchases, cash needs), riskier consumers
   more often; needs declined earlier try again with other lenders;
2. channels bring each need to one or more lenders as applications (acquisition costs are
   paid); a lender's own channel brings some of its customers' needs to it alone
   (:mod:`simfin.agents.owned_channels`);
3. each lender retrains on the outcomes it has observed (``Lender.retrain``) and makes
   offers on its batch (``Lender.make_offers``: its quote); each consumer takes the offer
   best for them, or none (:mod:`simfin.agents.shopping`); each lender originates the
   accepted offers (``Lender.originate``: disburse, book, post);
4. the loan book comes due: borrowers pay or miss; delinquent loans cure, default or are
   written off; each lender reviews its credit lines, serves its borrowers, pays for
   its funding and provides for its expected credit losses;
5. the day's indicators are recorded.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

import simfin.agents.fraud as fraud_kinds
from simfin.agents import shopping
from simfin.agents.answer_key import AnswerKey
from simfin.agents.channel import Channel, choose_channels
from simfin.agents.conduct import Conduct, has_conduct
from simfin.agents.consumer import Consumer, completion_probability, loyalty
from simfin.agents.demand import NEED_COLUMNS, Reapplications
from simfin.agents.economy import Economy
from simfin.agents.lender import Lender, Quote
from simfin.agents.observations import application_batch
from simfin.agents.owned_channels import OwnedChannels
from simfin.agents.population import Population
from simfin.agents.regulator import Regulator
from simfin.agents.repayment_behaviour import RepaymentBehaviour
from simfin.agents.scenario import MerchantScenario
from simfin.config import COHORTS, ConfigError, MarketConfig, load_config
from simfin.indicators.application_log import ApplicationLog
from simfin.indicators.recording import Recorder
from simfin.indicators.reporters import model_reporters
from simfin.lending.batch import DECLINED, ApplicationBatch
from simfin.lending.co_lending import FUNDER_COLUMNS, CoLending, has_partners
from simfin.lending.data_sources import build_sources, market_fields
from simfin.lending.ledger import Ledger
from simfin.lending.loan_book import LoanBook, monthly_service
from simfin.lending.product import REVOLVING, per_product
from simfin.lending.provisions import Provisions
from simfin.lending.repayments import Servicer
from simfin.levers import apply_levers


class MarketModel(mesa.Model):
    """An internet consumer-finance market.

    Args:
        config: A ``MarketConfig``, a path to a YAML file, a dict, or None for the default
            market (``configs/baseline.yaml``).
        rng: Seed or generator; defaults to ``config.run.seed`` (an int is recorded there).
            Every random draw of the run flows from it.
        **levers: Main levers by name (``apr_cap=0.24``, ``approval_threshold__platform=0.3``;
            see :mod:`simfin.levers`), applied to the config and validated like ``--set``,
            so that ``mesa.batch_run`` and SolaraViz sliders can drive them.
        scenario: A Mesa ``Scenario``: its parameters are levers, its ``rng`` the seed.

    Attributes:
        population: The consumers, in columns.
        book: Every loan of every lender, in columns.
        ledger: Every movement of money.
        co_lending: The split of co-funded loans between their originator and funding
            partner (:mod:`simfin.lending.co_lending`); None in a market without partners.
        provisions: The lenders' IFRS 9 expected credit losses.
        lenders, scenarios, channels: The agents, in config order.
        owned_channels: The lenders' own channels and their customers
            (:class:`~simfin.agents.owned_channels.OwnedChannels`), or None without any.
        recorder: The daily indicators (``recorder.steps_frame()``).
        application_log: The record of every application
            (:class:`~simfin.indicators.application_log.ApplicationLog`; its table is
            ``RunResult.applications``), or None when ``run.record_applications`` is off.
        datacollector: Mesa ``DataCollector``: run-to-date totals and end-of-day balances
            for the market and per lender (:mod:`simfin.indicators.reporters`).
        running: False once ``config.run.steps`` days and the ``run.runoff_days`` of
            run-off have run (Mesa's stop signal).
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
        self.population = Population(config.population, self.rng, config.behaviour)
        # Consumers' unique_id is their population row; the other agents' ids follow.
        self.agent_id_counter = self.population.n
        self.population.attach_lenders(len(config.lenders))
        self.scenarios = [MerchantScenario(self, s, i) for i, s in enumerate(config.scenarios)]
        # The macroeconomic path (config.macro); steady: nothing moves, nothing recorded.
        self.economy = Economy(config.macro, [(s.name, s.product) for s in config.scenarios])
        self.channels = [Channel(self, c, i) for i, c in enumerate(config.channels)]
        co_funded = has_partners(config)  # funding partners: each party's part of a loan
        self.book = LoanBook(extra_columns=FUNDER_COLUMNS if co_funded else None)
        # The owned channels' stream is spawned before any plug-in data source spawns its
        # own, so that adding a source leaves the customers drawn unchanged.
        owned_rng = (self.rng.spawn(1)[0] if any(c.owner for c in config.channels)
                     else None)
        self.sources = build_sources(config, self.population, lambda: self.day, self.rng,
                                     self._delinquent_borrowers)
        self.ledger = Ledger(len(config.lenders), [lc.capital_cents for lc in config.lenders],
                             co_lending=co_funded)
        self.lenders = [Lender(self, config, i, self.sources, self.population, self.book,
                               self.ledger) for i in range(len(config.lenders))]
        self.regulator = Regulator(self, config.policy, self.sources.get("consortium"),
                                   co_funded)
        self.reapplications = Reapplications(len(self.lenders), config.behaviour.demand)
        # What each lender has spent to acquire and decide applicants, and loans booked:
        # the unit cost per booked loan its prices must cover.
        self._unit_costs = np.zeros(len(self.lenders), dtype=np.int64)
        self._loans_booked = np.zeros(len(self.lenders), dtype=np.int64)
        self.servicer = Servicer.for_market(config, self.book, self.ledger)
        self._serviced = np.zeros(0, dtype=np.int64)  # loans servicing touched today
        self.provisions = Provisions.for_market(config, self.book, self.ledger)  # IFRS 9
        self.co_lending = CoLending.for_market(config, self.book, self.ledger)
        penalty = config.behaviour.repayment.manual_payment_penalty
        self._manual_penalty = np.array([0.0 if lc.payment.auto_debit else penalty
                                         for lc in config.lenders])
        self._cure_multiplier = np.array([lender.service.cure_multiplier
                                          for lender in self.lenders])
        self.repayers = RepaymentBehaviour(config, self.book, self.population,
                                           self._manual_penalty, self._cure_multiplier)
        self.recorder = Recorder([lender.name for lender in self.lenders],
                                 [lender.reason_codes for lender in self.lenders],
                                 len(config.channels),
                                 [lc.infrastructure.capacity_per_day for lc in config.lenders],
                                 len(COHORTS))
        # Entries, capital and strategies; None without any (the run is as before).
        self.conduct = (Conduct(config, self.lenders, self.ledger, self.recorder,
                                self.co_lending) if has_conduct(config) else None)
        if self.co_lending is not None:  # every party's part, posted to its own books
            for part in (*self.lenders, self.servicer, self.provisions):
                part.co_lending = self.co_lending
            self.recorder.parts = self.co_lending.holdings
        self.datacollector = mesa.DataCollector(model_reporters=model_reporters(self))
        # One row per application (run.record_applications); None when not recorded.
        self._fields = market_fields(config)  # the sources' fields are NaN until queried
        self.application_log = ApplicationLog() if config.run.record_applications else None
        self._true_pd: dict[int, np.ndarray] = {}  # the answer key of today's quotes
        self._answer_key = AnswerKey(config, self._manual_penalty, self._cure_multiplier,
                                     self.servicer)
        self._consumers: dict[int, Consumer] = {}
        self._sells = np.array([lender.sells for lender in self.lenders])
        self._brand = np.array([lc.brand_weight for lc in config.lenders])
        self._shares_data = np.array([c.shares_data for c in config.channels])
        self._cost_per_app = np.array([c.cost_per_application_cents for c in config.channels])
        self._conversion = np.array([c.conversion_rate for c in config.channels])
        self._min_amount = per_product(config.lenders, "min_amount_cents")
        self._friction = np.stack([per_product(config.lenders, "friction_minutes", np.float64),
                                   per_product(config.lenders, "friction_steps", np.float64)],
                                  axis=-1)
        # Lenders' own channels to their customers, on a stream of their own (None: none).
        self.owned_channels = (OwnedChannels(config, self.population, owned_rng)
                               if owned_rng is not None else None)

    # -- the day -----------------------------------------------------------------------

    def _delinquent_borrowers(self) -> tuple[np.ndarray, np.ndarray]:
        """Borrower and lender of each loan past due today (what the consortium shares)."""
        rows = self.servicer.delinquent_loans()  # kept by servicing: no pass over the book
        return self.book.column("consumer").take(rows), self.book.column("lender").take(rows)

    def step(self) -> None:
        """One day: lending (none in the run-off after ``run.steps`` days), then the book."""
        self.recorder.start_day()
        if not self.economy.steady:
            macro = self.population.macro = self.economy.state(self.day, self.rng)
            self.recorder.note_macro(self.economy.record(macro))
        self.population.step_shocks(self.day, self.rng)
        if self.day < self.config.run.steps:
            self.lend()
        self.service_loans()
        for lender in self.lenders:
            lender.review_lines(self.day)
        delinquent = self.servicer.delinquent_loans()
        self.serve_customers(delinquent)
        for lender in self.lenders:
            lender.fund()
        ecl = self.provisions.close_day(self.day, delinquent, self.population.macro.job_loss,
                                        [lender.undrawn_cents() for lender in self.lenders],
                                        changed=self._serviced)
        if self.conduct is not None:  # standing on the day's books, provisions included
            self.conduct.end_day(self.day)
        self.recorder.end_day(self.day, self.ledger, self.book, self.population.satisfaction,
                              delinquent, ecl)
        self.datacollector.collect(self)
        self.day += 1
        self.running = self.day < self.config.run.total_days

    def lend(self) -> None:
        """The day's lending: needs arise, applications are decided, offers are taken."""
        self.regulator.step_day(self.day, self.lenders)
        if self.conduct is not None:
            self.conduct.start_day(self.day, self.regulator.min_capital_ratio,
                                   self.regulator.max_funding_multiple)
        if self.co_lending is not None:  # the own share in force, the lenders funding today
            self.co_lending.set_policy(self.regulator.min_own_share,
                                       None if self.conduct is None else self.conduct.open)
        needs = self.arise_needs()
        requests = self.bring_requests(needs)
        for lender in self.lenders:
            lender.retrain(self.day)
        quotes = [self.offers_from(lender, requests) for lender in self.lenders]
        taken = self.choose_offers(needs, quotes)
        for quote, rows in zip(quotes, taken, strict=True):
            self.originate(quote, rows)
        self.queue_reapplications(needs, requests, quotes)
        fraud_kinds.adapt(self.population, self.day, self.rng)

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

    def bring_requests(self, needs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Route each need through a channel to one or more lenders; the day's requests are
        the applications whose form is completed, as columns (one row per need and lender;
        ``need`` indexes the need of each).
        """
        pop = self.population
        consumer = needs["consumer"].astype(np.intp)  # for lookups: no index conversions
        channel = choose_channels(self.channels, consumer, needs["online"], pop, self.rng)
        lending = None if self.conduct is None else self.conduct.open  # lenders open today
        sells = self._sells if lending is None else self._sells & lending[:, None]
        need, lender = shopping.route(needs["product"], needs["online"], needs["tried"],
                                      self._brand, sells, loyalty(pop, consumer),
                                      self.config.behaviour.choice, self.rng,
                                      needs["amount_cents"], self._min_amount)
        # A draw on an open credit line goes to the line's lender alone, in its app: no
        # channel to convert through, no form to finish (frictionless, see
        # ``Lender.decide``).
        line_lender = shopping.line_lender(pop.line_limit_cents, consumer, needs["product"],
                                           self._sells[:, REVOLVING].any())
        on_line = line_lender >= 0
        if self.owned_channels is not None:  # customers who look in their lender's app first
            channel, need, lender = self.owned_channels.redirect(
                needs, consumer, channel, need, lender, sells, self._min_amount, ~on_line)
        keep, draws = ~on_line[need], np.flatnonzero(on_line)
        need = np.concatenate([need[keep], draws])
        lender = np.concatenate([lender[keep], line_lender[draws].astype(lender.dtype)])
        reached = channel[need] >= 0  # a need with no channel of its kind goes nowhere
        if lending is not None:  # no draw on the line of a lender that is not lending
            reached &= lending[lender]
        need, lender = need[reached], lender[reached]
        started = {k: needs[k][need] for k in NEED_COLUMNS}
        started["need"], started["channel"] = need, channel[need]
        started["lender"] = lender.astype(np.int16)
        f = self._friction[started["lender"], started["product"]]
        who = consumer.take(need)
        cohort = pop.cohort.take(who)
        p = np.where(on_line[need], 1.0, self._conversion[started["channel"]]
                     * completion_probability(pop, who, started["online"], f[:, 0], f[:, 1],
                                              cohort))
        completed = self.rng.random(len(p)) < p
        self.recorder.count_needs(started["lender"], cohort, completed)
        done = np.flatnonzero(completed)
        requests = {k: v.take(done) for k, v in started.items()}
        pop.count_inquiries(requests["consumer"])
        return requests

    def batch_for(self, lender: Lender, requests: dict[str, np.ndarray]) -> ApplicationBatch:
        """The lender's applications of the day, with what it can observe of each applicant;
        channels are paid for the applicants new to the lender.
        """
        mine = np.flatnonzero(requests["lender"] == lender.index)
        own = {k: v.take(mine) for k, v in requests.items() if k != "lender"}
        used = (self.book.outstanding_of(own["consumer"], lender.index, REVOLVING)
                if lender.sells[REVOLVING] else np.zeros(len(own["consumer"]), np.int64))
        known = (None if self.owned_channels is None
                 else self.owned_channels.income_known(own["consumer"], lender.index))
        batch = application_batch(self.population, own, lender.index, self.day, self.rng,
                                  self._shares_data, used, self._fields, known)
        # Channels are paid for new customers; returning ones come back through the app.
        new = ~self.population.at_lender(self.population.borrowed_at, batch["consumer"],
                                         lender.index)
        acquisition = np.where(new, self._cost_per_app[batch["channel"]], 0)
        self.ledger.post(lender.index, "acquisition_cost", int(acquisition.sum()))
        self.recorder.count_acquisition(lender.index, batch["channel"], acquisition)
        self._unit_costs[lender.index] += int(acquisition.sum())
        batch["asked_cents"] = batch["amount_cents"].copy()  # the offer may cut the amount
        return batch

    def offers_from(self, lender: Lender, requests: dict[str, np.ndarray]) -> Quote:
        """One lender's quote on its applications of the day: it decides them and makes
        offers; the market notes whom it declined and what deciding cost it.
        """
        quote = lender.make_offers(self.batch_for(lender, requests), self.day)
        batch = quote.batch
        if self.application_log is not None:
            self._true_pd[lender.index] = self._answer_key(self.population, lender.index,
                                                           batch, self.day)
        fraud_kinds.record_declines(self.population,
                                    batch["consumer"][batch["decision"] == DECLINED])
        self._unit_costs[lender.index] += sum(quote.batch.costs_cents.values())
        return quote

    def choose_offers(self, needs: dict[str, np.ndarray], quotes: list[Quote]
                      ) -> list[np.ndarray]:
        """Each consumer compares the approved offers of their need and takes the best for
        them, or none; returns, per lender, the batch rows taken.
        """
        pop, choice = self.population, self.config.behaviour.choice
        rows = [q.offers for q in quotes]
        lender = np.concatenate([np.full(len(r), i) for i, r in enumerate(rows)])
        col = {name: np.concatenate([q.batch[name][r] for q, r in zip(quotes, rows, strict=True)])
               for name in ("need", "consumer", "all_in_apr", "amount_cents", "asked_cents",
                            "decision_minutes", "product")}
        consumer = col["consumer"].astype(np.intp)
        borrowed = pop.at_lender(pop.borrowed_at, consumer, lender)
        gap = np.where(borrowed, pop.satisfaction.take(consumer)
                       - self.config.behaviour.repayment.neutral_satisfaction, 0.0)
        value = shopping.utility(
            col["all_in_apr"], col["amount_cents"], col["asked_cents"],
            col["decision_minutes"], self._friction[lender, col["product"], 0], gap,
            np.log(self._brand[lender]),
            shopping.price_sensitivity(pop.cohort.take(consumer), pop.region.take(consumer),
                                     choice),
            choice)
        taken = shopping.choose(col["need"], value, len(needs["consumer"]),
                              choice.outside_utility, self.rng)
        start = np.cumsum([0] + [len(r) for r in rows])
        return [rows[i][taken[(taken >= start[i]) & (taken < start[i + 1])] - start[i]]
                for i in range(len(rows))]

    def originate(self, quote: Quote, taken: np.ndarray) -> None:
        """The lender originates the offers taken; its day is counted; its view of the cost
        per booked loan is updated.
        """
        lender = quote.lender
        first_loan = len(self.book)
        booked = lender.originate(quote, taken)
        if self.conduct is not None:  # its funnel and the prices it offered
            self.conduct.note_offers(quote, taken)
        if self.application_log is not None:
            self.application_log.record(lender.index, self.day, quote.batch, taken,
                                        np.arange(first_loan, len(self.book)),
                                        true_pd=self._true_pd.pop(lender.index, None))
        self.recorder.count_decisions(lender.index, quote.batch, booked)
        self._loans_booked[lender.index] += booked.n
        lender.observe_costs(int(self._unit_costs[lender.index]),
                             int(self._loans_booked[lender.index]))

    def queue_reapplications(self, needs: dict[str, np.ndarray],
                             requests: dict[str, np.ndarray],
                             quotes: list[Quote]) -> None:
        """Needs that applied and that no lender approved try again elsewhere, later."""
        tried = needs["tried"].copy()
        tried[requests["need"], requests["lender"]] = True
        applied = np.zeros(len(needs["consumer"]), dtype=bool)
        applied[requests["need"]] = True
        for quote in quotes:
            applied[quote.batch["need"][quote.offers]] = False
        declined = np.flatnonzero(applied)
        self.reapplications.add({k: needs[k][declined] for k in (*NEED_COLUMNS, "attempt")},
                                tried[declined], self.day, self.rng)

    def service_loans(self) -> None:
        """Collect what is due; cure, default and write off; update the borrowers."""
        book, pop, day = self.book, self.population, self.day
        consumers, lenders = book.column("consumer"), book.column("lender")
        due = book.column("instalment_cents")
        pays, cures, cure_rate = self.repayers.for_day(day)
        result = self.servicer.run(day, self.rng, pays, cures, cure_rate)
        # the loans whose balance, instalments or delinquency may have changed today (the
        # provisions recount these, and the loans booked since they last counted)
        self._serviced = np.concatenate([result.due, result.cured])
        pop.missed_since_review[consumers[result.missed], lenders[result.missed]] = True
        pop.count_defaults(consumers[result.new_defaults], lenders[result.new_defaults])
        ended = np.concatenate([result.closed, result.written_off])
        pop.end_loans(consumers[ended], lenders[ended],
                      monthly_service(due[ended], book.column("period_days")[ended]))
        self.recorder.count_servicing(result, book)

    def serve_customers(self, delinquent: np.ndarray) -> None:
        """Each lender serves its borrowers and calls on its ``delinquent`` loans."""
        n_delinquent = np.bincount(self.book.column("lender").take(delinquent),
                                   minlength=len(self.lenders))
        borrowers = self.population.borrowers_by_lender()
        for lender in self.lenders:
            lender.serve(int(n_delinquent[lender.index]), self.rng, borrowers[lender.index])

    # -- looking at one consumer -------------------------------------------------------

    def consumer(self, row: int) -> Consumer:
        """The Mesa agent of the consumer in population row ``row`` (created on first use)."""
        if not 0 <= row < self.population.n:
            raise IndexError(f"consumer row {row} out of range 0..{self.population.n - 1}")
        if row not in self._consumers:
            self._consumers[row] = Consumer(self, self.population, row)
        return self._consumers[row]

