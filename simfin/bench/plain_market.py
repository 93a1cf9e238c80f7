"""The plain-Mesa reference market: the same consumer behaviour as ``MarketModel``, written
the way a plain Mesa model is written, as a ``step()`` method per consumer agent run with
``model.agents.shuffle_do("step")``.

It exists to measure what simfin's columnar design buys (``simfin bench``): each consumer
draws its own income shock and needs, applies through a channel, is decided one
application at a time by :class:`~simfin.bench.reference_lender.ReferenceLender`, takes the loan
up, and pays, misses, cures or defaults on each of its loans. It uses the market's
parameters and formulas but its own stream of random draws, so its outcomes match
simfin's in distribution, not draw for draw; it keeps no ledger or indicators.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mesa
import numpy as np

from simfin.bench.reference_lender import ReferenceLender
from simfin.lending.batch import APPROVED
from simfin.lending.loan_book import schedule
from simfin.lending.product import PRODUCT_KINDS
from simfin.lending.registry import BUILT_IN_SOURCES, SOURCES
from simfin.model import MarketModel

FIELDS = tuple(SOURCES.catalogue(BUILT_IN_SOURCES))  # the application fields of a batch


@dataclass
class Loan:
    """One loan, as a Python object held by its borrower."""

    lender: int
    outstanding: int
    instalment: int
    rate: float
    period: int
    left: int
    next_due: int
    overdue_since: int = -1
    missed: int = 0


class PlainConsumer(mesa.Agent):
    """A consumer whose day is a Python method; its state is Python attributes."""

    def __init__(self, model: PlainMarket, row: int) -> None:
        super().__init__(model)
        pop = model.market.population
        self.row = row
        self.cohort = int(pop.cohort[row])
        self.income = int(pop.base_income_cents[row])
        self.affinity = float(pop.digital_affinity[row])
        self.willingness = min(max(float(pop.willingness[row]), 1e-4), 1 - 1e-4)
        self.is_fraud = bool(pop.is_fraud[row])
        self.satisfaction = float(pop.satisfaction[row])
        self.shock_until = -1
        self.debt_service = 0
        self.loans: list[Loan] = []

    def step(self) -> None:
        """One day: maybe an income shock, maybe needs and applications, then the loans."""
        m = self.model
        rng, day = m.rng, m.day
        if rng.random() < m.shock_rate:
            self.shock_until = max(self.shock_until, day + int(rng.exponential(m.shock_days)) + 1)
            m.market.population.shock_until_day[self.row] = self.shock_until
        for scenario in m.scenarios:
            rate = scenario["rate"] * ((m.need_base + self.affinity)
                                       * self.need_multiplier(scenario)
                                       + (scenario["fraud"] if self.is_fraud else 0.0))
            if rng.random() < rate:
                self.apply(scenario)
        for loan in list(self.loans):
            self.service_loan(loan)
        if self.loans and rng.random() < m.contact_rate:
            resolved = rng.random() < m.quality
            step = m.behaviour.service.satisfaction_step
            self.satisfaction += step * (resolved - self.satisfaction)

    def need_multiplier(self, scenario: dict) -> float:
        """State-dependent need rate, as :func:`simfin.agents.demand.need_multiplier`."""
        m = self.model
        d, pop = m.behaviour.demand, m.market.population
        income = max(self.income, 1)
        log_m = scenario["risk_weight"] * (
            d.willingness_weight * (d.reference_willingness - float(pop.willingness[self.row]))
            + d.debt_weight * self.debt_service / income
            + d.income_weight * math.log(pop.config.income_median_cents / income))
        mult = math.exp(min(log_m, math.log(d.max_multiplier)))
        mult *= d.cohort_multiplier[self.cohort]
        if self.shock_until > m.day:
            mult *= d.shock_multiplier
        return min(mult, d.max_multiplier)

    def disposable(self) -> float:
        """Monthly income after living costs and debt service."""
        m = self.model
        income = self.income * (m.shock_keep if self.shock_until > m.day else 1.0)
        return int(income * (1 - m.living_share)) - self.debt_service

    def apply(self, scenario: dict) -> None:
        """A need: choose a channel and a lender, fill the form, get a decision, borrow."""
        m, rng = self.model, self.model.rng
        online = rng.random() < scenario["online"]
        b = m.behaviour
        gap = b.channels.tilt_reference_willingness - self.willingness
        scale = b.channels.risk_tilt_scale
        weights = [c.reach * math.exp(scale * c.risk_tilt * gap) * (c.fraud_multiplier if
                   self.is_fraud else 1.0) if c.online == online else 0.0 for c in m.channels]
        channel = _pick(weights, rng)
        brands = [b * sells[scenario["product"]] for b, sells in m.brands]
        lender = _pick(brands, rng)
        if channel < 0 or lender < 0:
            return
        minutes, steps = m.friction[lender][scenario["product"]]
        a = b.application
        p = math.exp2(-minutes / a.patience_minutes[self.cohort]) * (1 - a.step_drop_off) ** steps
        floor = a.online_form_floor
        p *= m.channels[channel].conversion_rate * ((floor + (1 - floor) * self.affinity)
                                                    if online else 1.0)
        if rng.random() >= p:
            return
        app = self.application(scenario, online, channel, lender)
        decision = m.lenders[lender].decide(app)
        if decision.decision != APPROVED:
            return
        # One offer against not borrowing: the logit of simfin.agents.shopping.
        c = b.choice
        sensitivity = (c.price_sensitivity * c.price_by_cohort[self.cohort]
                       * c.price_by_region[int(m.market.population.region[self.row])])
        value = (math.log(m.brands[lender][0]) - sensitivity * float(decision.all_in_apr)
                 - c.friction_weight * minutes / 10.0)
        if rng.random() >= 1.0 / (1.0 + math.exp(c.outside_utility - value)):
            return
        period, n, rate, instalment = (v[0] for v in schedule(
            np.array([app["amount_cents"]]), np.array([decision.all_in_apr]),
            np.array([app["term_days"]])))
        self.loans.append(Loan(lender, int(app["amount_cents"]), int(instalment),
                               float(rate), int(period), int(n), m.day + int(period)))
        self.debt_service += int(instalment) * 30 // max(int(period), 1)
        m.market.population.loans_at[self.row, lender] += 1

    def application(self, scenario: dict, online: bool, channel: int, lender: int) -> dict:
        """The application's fields, as ``application_batch`` builds them for one row."""
        m, rng = self.model, self.model.rng
        pop, row = m.market.population, self.row
        amount = max(math.exp(scenario["log_ticket"] + scenario["sigma"]
                              * rng.standard_normal()), 100)
        app = {name: np.float32(np.nan) for name in FIELDS}
        b = m.behaviour
        score = b.fraud.signals.farmed_score_mean if self.is_fraud else min(max(
            self.willingness + b.channels.behaviour_score_noise * rng.standard_normal(), 0.0),
            1.0)
        app.update(
            consumer=row, product=scenario["product"], scenario=scenario["index"],
            channel=channel, amount_cents=int(amount),
            term_days=scenario["terms"][int(rng.integers(len(scenario["terms"])))],
            age_years=np.float32(pop.age_years[row]), online=np.float32(online),
            stated_income_cents=int(self.income * float(pop.income_overstatement[row])),
            digital_affinity=np.float32(self.affinity), device_applications_24h=1.0,
            behaviour_score=np.float32(score) if m.shares_data[channel] else np.nan,
            own_active_loans=np.float32(sum(1 for loan in self.loans if loan.lender == lender)),
            own_past_defaults=np.float32(pop.defaults_at[row, lender]),
            line_limit_cents=int(pop.line_limit_cents[row, lender]), line_used_cents=0,
            truth_is_fraud=self.is_fraud, flags=0)
        return app

    def service_loan(self, loan: Loan) -> None:
        """Pay or miss what is due; cure, default or write off a delinquent loan."""
        m, rng, day = self.model, self.model.rng, self.model.day
        r = m.behaviour.repayment
        boost = r.satisfaction_weight * (self.satisfaction - r.neutral_satisfaction) - \
            m.manual_penalty[loan.lender]
        if loan.overdue_since < 0:
            if loan.next_due != day:
                return
            if rng.random() < self.pay_probability(loan.instalment, boost):
                interest = round(loan.outstanding * loan.rate)
                principal = (loan.outstanding if loan.left <= 1 else
                             min(max(loan.instalment - interest, 0), loan.outstanding))
                loan.outstanding -= principal
                loan.left -= 1
                loan.next_due += loan.period
                if loan.outstanding == 0:
                    self.end(loan)
            else:
                loan.overdue_since, loan.missed = day, 1
            return
        rate = (r.base_cure_rate * m.cure_multiplier[loan.lender]
                * 2.0 ** ((loan.overdue_since - day) / r.cure_half_life_days))
        if rng.random() < rate * self.pay_probability(loan.instalment * loan.missed, boost):
            loan.overdue_since, loan.missed = -1, 0
        elif day - loan.overdue_since >= m.writeoff_dpd:
            self.end(loan)

    def pay_probability(self, due: int, boost: float) -> float:
        """Willingness and capacity, as :func:`simfin.agents.consumer.pay_probability`."""
        if self.is_fraud:
            return 0.0
        w, r = self.willingness, self.model.behaviour.repayment
        capacity = min(max(self.disposable() / max(due, 1), r.min_capacity_ratio),
                       r.max_capacity_ratio)
        z = (r.willingness_weight * math.log(w / (1 - w)) + r.capacity_weight * math.log(capacity)
             + r.intercept + boost)
        return 1.0 / (1.0 + math.exp(-z))

    def end(self, loan: Loan) -> None:
        """Close or write off a loan."""
        self.loans.remove(loan)
        self.debt_service -= loan.instalment * 30 // max(loan.period, 1)
        self.model.market.population.loans_at[self.row, loan.lender] -= 1


class PlainMarket(mesa.Model):
    """The market as plain Mesa: one agent per consumer, stepped one by one.

    Args:
        config: A market config (as for :class:`~simfin.model.MarketModel`, which is built
            for the population, the lenders' pipelines and the data sources).
        rng: Seed.
    """

    def __init__(self, config, rng: int = 0) -> None:
        super().__init__(rng=rng)
        self.market = market = MarketModel(config, rng=rng)
        cfg = market.config
        self.day = 0
        pop = cfg.population
        self.shock_rate, self.shock_days = pop.job_loss_rate / 365.0, pop.shock_duration_days
        self.shock_keep, self.living_share = pop.shock_income_share, pop.living_cost_share
        self.channels = cfg.channels
        self.shares_data = [c.shares_data for c in cfg.channels]
        self.brands = [(lc.brand_weight, lender.sells.tolist())
                       for lc, lender in zip(cfg.lenders, market.lenders, strict=True)]
        self.friction = market._friction.tolist()
        self.lenders = [ReferenceLender(lender.pipeline, lender.stream)
                        for lender in market.lenders]
        self.behaviour = cfg.behaviour
        penalty = cfg.behaviour.repayment.manual_payment_penalty
        self.manual_penalty = [0.0 if lc.payment.auto_debit else penalty for lc in cfg.lenders]
        self.cure_multiplier = [lender.service.cure_multiplier for lender in market.lenders]
        self.writeoff_dpd = cfg.run.writeoff_dpd
        desks = [lender.service for lender in market.lenders]
        self.contact_rate = (float(np.mean([d.contact_rate for d in desks]))
                             / cfg.behaviour.service.contact_period_days)
        self.quality = float(np.mean([d.quality for d in desks]))
        self.need_base = cfg.behaviour.demand.affinity_need_base
        self._scenarios = market.scenarios
        self.scenarios: list[dict] = []
        for row in range(market.population.n):
            PlainConsumer(self, row)

    def step(self) -> None:
        """One day: every consumer's ``step()`` in random order."""
        self.scenarios = [{
            "rate": s.config.need_rate / 365.0 * s.seasonality(self.day),
            "fraud": getattr(self.behaviour.fraud.need_multiplier, s.config.product),
            "risk_weight": getattr(self.behaviour.demand.product_weight, s.config.product),
            "product": PRODUCT_KINDS.index(s.config.product), "index": s.index,
            "online": s.online_share(self.day), "terms": list(s.config.term_days),
            "log_ticket": math.log(s.config.ticket_median_cents),
            "sigma": s.config.ticket_sigma} for s in self._scenarios]
        for lender in self.lenders:
            lender._asked = {}
        self.agents.shuffle_do("step")
        self.day += 1


def _pick(weights: list[float], rng: np.random.Generator) -> int:
    total = sum(weights)
    if total <= 0:
        return -1
    u, acc = rng.random() * total, 0.0
    for i, w in enumerate(weights):
        acc += w
        if u < acc:
            return i
    return len(weights) - 1
