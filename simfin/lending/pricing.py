"""Pricing: risk grades from the predicted default probability, the price a finance team
would sign for each loan, and the regulator's caps.

The price of a loan is the all-in yield (interest plus fees, per year of average balance)
that covers what the loan costs over its real life:

    funding + operating cost + margin                          (per year of balance)
    + expected loss = PD x loss given bad / average life        (a lifetime loss, per year)
    + unit cost = (acquisition, data, verification, platform cost per booked loan)
                  / principal / average life

A 14-day bullet loan lives 14 days, so its lifetime costs are spread over 14 days, not a
month: small, short loans are dear per year, and a cap binds them and the risky grades
first. The upfront fee is part of that price (the interest rate is what the fee leaves to
charge), and the cap applies to the all-in APR.

The price covers the full cost, but the decision to lend is taken on marginal economics:
when a loan is decided, its acquisition, data and verification have already been paid for
the application (sunk), so a loan whose price, lowered to the cap, still covers what
booking it adds (funding, operating cost, the lifetime expected loss and the booking cost
per loan: disbursement, servicing, collections) is worth making at the cap. Only a loan
whose marginal cost is above the cap is declined (``APR_CAP``): the cap binds the risky
tail, as in reality. A row whose price is not risk-based (cold start: no PD yet; or a flat
policy) is priced at the cap if its price is above it and is never declined for it: the
lender lends at the cap to learn, rather than turning the cap into zero lending. A
risk-based lender that launches with a prior PD (``pricing.cold_start_pd``: its business
plan's bad rate for the applicants its rules approve) prices and declines unscored rows as
scored ones of that PD instead, so that the loans it books before and after its model goes
live obey the same economics (without it, a capped lender books short, small loans at a
loss until its model decides and then stops: its mix jumps at go-live).

The model predicts a 30+ DPD outcome within its performance window (90 days on book by
default): the whole life of a 30-day loan, two of the twelve due dates of a 360-day one.
Priced as it is, that PD makes long loans look safer than short ones to the same borrower,
and a capped lender's book drifts from short to long loans once its model decides;
``pricing.window_to_life_exponent`` carries the PD over the loan's life
(:func:`lifetime_pd`).

A cost-plus price is what a finance team signs, not what maximises profit once acquisition
is sunk and applicants compare offers: the ``optimised`` policy
(:mod:`simfin.lending.demand_pricing`) starts from the same cost-plus price and, once it has
learned how take-up falls with the price, charges the profit-maximising price between the
marginal cost and the cap (same decline rule).

One function, :func:`capped_price`, prices every row; the pipeline stage and the one-application
reference lender both call it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np

from simfin.lending.batch import ApplicationBatch
from simfin.lending.pipeline import DecisionContext, Stage
from simfin.lending.registry import PRICING, register_pricing

UNGRADED = -1
GRADE_LETTERS = "ABCDEFGHIJ"
CAP_REASON = "APR_CAP"
LTI_REASON = "LOAN_TO_INCOME"
AMORTISING_FROM_DAYS = 60  # shorter terms are one bullet payment (see lending.loan_book)
PERIOD_DAYS = 30
MONTHS_PER_YEAR = 12


def grade_names(n_cutoffs: int) -> list[str]:
    """Grade letters for ``n_cutoffs`` cutoffs (one more grade than cutoffs)."""
    return list(GRADE_LETTERS[: n_cutoffs + 1])


def average_life_years(term_days: np.ndarray) -> np.ndarray:
    """Average life of a unit of principal, in years: the whole term for a bullet loan;
    for a loan repaid in ``n`` equal 30-day instalments about ``(n + 1) / 2`` periods.
    """
    term = np.maximum(np.asarray(term_days, dtype=np.float64), 1.0)
    amortising = (term + PERIOD_DAYS) / 2.0
    return np.where(term < AMORTISING_FROM_DAYS, term, amortising) / 365.0


@register_pricing("risk_based")
def risk_based_apr(pd_: np.ndarray, term_days: np.ndarray, *, flat_apr: float,
                   loss_given_bad: float, cost_rate: np.ndarray | float) -> np.ndarray:
    """All-in APR = cost rate (funding, operating cost, margin and the unit cost per booked
    loan, per year) + the lifetime expected loss per year of average life.

    The PD (of going 30+ days past due) is a probability over the loan's life; times the
    loss on such a loan and spread over its average life it becomes a yearly loss rate.
    Unscored rows (NaN PD, cold start) get ``flat_apr``.
    """
    loss_rate = pd_ * loss_given_bad / average_life_years(term_days)
    return np.where(np.isnan(pd_), flat_apr, cost_rate + loss_rate)


risk_based_apr.prices_risk = True  # an ask over the cap is a loan that cannot pay its way


@register_pricing("flat")
def flat_apr_policy(pd_: np.ndarray, term_days: np.ndarray, *, flat_apr: float,
                    loss_given_bad: float, cost_rate: np.ndarray | float) -> np.ndarray:
    """One all-in APR for everyone, whatever the risk (lowered to the cap where one binds)."""
    return np.full(len(pd_), flat_apr)


def all_in_apr(apr: np.ndarray, fee_rate: np.ndarray, term_days: np.ndarray) -> np.ndarray:
    """Interest APR plus the upfront fee spread over the loan's average life."""
    return apr + fee_rate / average_life_years(term_days)


def grade_of(pd_: np.ndarray, cutoffs: np.ndarray) -> np.ndarray:
    """Grade index by PD (upper cutoffs inclusive), ``UNGRADED`` where PD is NaN."""
    grade = np.zeros(len(pd_), dtype=np.int8)
    for cutoff in cutoffs:  # = searchsorted(cutoffs, pd, side="left")
        grade += pd_ > cutoff
    grade -= np.isnan(pd_).view(np.int8)
    return grade


def lifetime_pd(pd_: np.ndarray, term_days: np.ndarray, window_days: float,
                exponent: float) -> np.ndarray:
    """A window PD carried over the loan's life: ``1 - (1 - PD) ** (r ** exponent)``, where
    ``r = term_days / (window_days - 30)`` (at least 1) is how many times the loan's due
    dates outrun those whose 30+ DPD the model's performance window can see.

    Exponent 1 assumes the same hazard at every due date; below 1, a hazard that falls with
    time on book (the unwilling miss early).
    """
    seen = max(float(window_days) - 30.0, 1.0)
    ratio = np.maximum(np.asarray(term_days, dtype=np.float64) / seen, 1.0) ** exponent
    return 1.0 - (1.0 - pd_) ** ratio


def priced_pd(grade: np.ndarray, pd_: np.ndarray, cutoffs: np.ndarray) -> np.ndarray:
    """The PD each row is priced at: the middle of its grade's PD range, the grade's
    expected PD (its own PD in the last grade, which has no upper bound). Pricing a grade at
    its upper cutoff would charge every borrower in it the risk of its worst.
    """
    bounds = cutoffs.astype(np.float64)
    middle = np.append((np.append(0.0, bounds[:-1]) + bounds) / 2.0, np.nan)
    out = np.where(grade >= 0, middle[np.maximum(grade, 0)], np.nan)
    last = grade == len(cutoffs)
    out[last] = pd_[last]
    return out


class DemandLearner(Protocol):
    """What the pricing stage needs of a demand-based policy's learner (implemented by
    :class:`simfin.lending.demand_pricing.DemandPricer`).
    """

    max_apr: float

    @property
    def draws(self) -> bool:
        """Whether it draws price tests from the decision context's generator."""

    def price(self, ask: np.ndarray, marginal: np.ndarray, lower: np.ndarray,
              upper: np.ndarray | float, pd_: np.ndarray, term_days: np.ndarray,
              amount_cents: np.ndarray, segment: Mapping[str, np.ndarray] | None,
              tests: np.ndarray | None) -> np.ndarray:
        """The all-in APR of each row."""

    def observe(self, day: int, batch: ApplicationBatch, offers: np.ndarray,
                accepted: np.ndarray) -> None:
        """Learn from the day's offers and which were taken."""


def capped_price(stage: PricingStage, pd_: np.ndarray, term_days: np.ndarray,
                 fee_rate: np.ndarray, amount_cents: np.ndarray,
                 segment: Mapping[str, np.ndarray] | None = None,
                 tests: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Grade, interest APR, all-in APR and whether each row is over the cap.

    Args:
        stage: The pricing parameters (policy, cutoffs, costs, the cap in force).
        pd_: Predicted default probability (NaN: unscored).
        term_days: The loan's term.
        fee_rate: The upfront fee, a share of principal.
        amount_cents: The principal.
        segment: The application's columns a demand-based policy reads
            (:data:`simfin.lending.demand_pricing.SEGMENT_COLUMNS`).
        tests: (n, 2) uniforms of a demand-based policy's price tests.

    Returns:
        ``(grade, apr, all_in_apr, over_cap)``: every price is lowered to the cap;
        ``over_cap`` rows cost more to book than the cap allows (their marginal cost, or
        the upfront fee alone, is above it) and are to be declined.
    """
    pd_ = np.asarray(pd_, dtype=np.float32)
    grade = grade_of(pd_, stage.grade_cutoffs)
    life = average_life_years(term_days)
    principal = np.maximum(np.asarray(amount_cents, np.float64), 1.0)
    unit_rate = stage.unit_cost_cents_ / principal
    cost_rate = stage.cost_rate + unit_rate / life
    priced = priced_pd(grade, pd_.astype(np.float64), stage.grade_cutoffs)
    if stage.life_exponent is not None:
        priced = lifetime_pd(priced, term_days, stage.window_days, stage.life_exponent)
    unscored = np.isnan(pd_)
    cold_start = stage.cold_start_pd is not None and bool(unscored.any())
    if cold_start:  # the lender's prior PD prices (and may decline) what it cannot score
        priced = np.where(unscored, stage.cold_start_pd, priced)
    ask = np.asarray(stage.policy(priced,
                                  np.asarray(term_days), flat_apr=stage.flat_apr,
                                  loss_given_bad=stage.loss_given_bad, cost_rate=cost_rate),
                     dtype=np.float64)
    fee = np.asarray(fee_rate, dtype=np.float64) / life
    over = np.zeros(len(pd_), dtype=bool)
    floor = marginal = fee
    if getattr(stage.policy, "prices_risk", False) and (stage.apr_cap is not None
                                                         or stage.demand is not None):
        # the marginal cost of booking: the same price without margin and without the
        # costs already paid for the application (acquisition, data, verification)
        booking = stage.booking_cost_cents / principal / life
        marginal = np.asarray(stage.policy(
            priced, np.asarray(term_days), flat_apr=stage.flat_apr,
            loss_given_bad=stage.loss_given_bad,
            cost_rate=stage.marginal_cost_rate + booking), dtype=np.float64)
        floor = np.maximum(fee, marginal if cold_start else np.where(unscored, 0.0, marginal))
    if stage.apr_cap is not None:
        ask = np.minimum(ask, stage.apr_cap)
        over = floor > stage.apr_cap + 1e-9
    if stage.demand is not None:
        upper = stage.demand.max_apr if stage.apr_cap is None else stage.apr_cap
        ask = stage.demand.price(ask, marginal, floor, upper, pd_, term_days, amount_cents,
                                 segment, tests)
    if stage.markup != 0.0:  # the lender's price lever, on top of what its policy asks
        moved = np.maximum(ask + stage.markup, 0.0)
        if stage.markup < 0.0 and stage.discount_floored:  # a discount stops at a loan's
            # marginal cost (and a price already below it is not raised)
            floor = fee + discount_floor(stage, priced, term_days, principal, life)
            moved = np.maximum(moved, np.minimum(ask, floor))
        ask = moved
        if stage.apr_cap is not None:
            ask = np.minimum(ask, stage.apr_cap)
    apr = np.maximum(ask - fee, 0.0)
    return grade, apr, apr + fee, over


def discount_floor(stage: PricingStage, priced: np.ndarray, term_days: np.ndarray,
                   principal: np.ndarray, life: np.ndarray) -> np.ndarray:
    """The marginal cost of booking each row, per year, besides its upfront fee: funding
    and operating cost, the booking cost per loan over its principal and life, and the
    lifetime expected loss at the PD it is priced at (a row without one: the lender's
    ``cold_start_pd``, else none), whatever the policy. With the floor on
    (:meth:`PricingStage.set_discount_floor`, as for every lender that has a strategy, e.g.
    ``simfin.lending.strategies.PriceResponse``) a negative markup (a discount) never prices
    a row below it (a row the policy already prices below it keeps the policy's price).
    """
    pd_ = np.nan_to_num(np.asarray(priced, dtype=np.float64),
                        nan=stage.cold_start_pd or 0.0)
    return (stage.marginal_cost_rate + stage.booking_cost_cents / principal / life
            + pd_ * stage.loss_given_bad / average_life_years(term_days))


class PricingStage(Stage):
    """Pipeline stage: grade, price, and decline what cannot be priced under the caps.

    Args:
        strategy: Registered pricing policy name.
        grade_cutoffs: Upper PD of each grade but the last.
        flat_apr, loss_given_bad: See ``PricingConfig``.
        cost_rate: Cost of funds + operating cost + margin, per year.
        marginal_cost_rate: Cost of funds + operating cost, per year: the part of the
            price a loan must cover to be worth booking (no margin); None: ``cost_rate``.
        booking_cost_cents: What booking a loan adds at decision time (disbursement,
            servicing, collections), per loan.
        apr_cap: The regulator's cap on the all-in APR, or None.
        cap_reason: Index of ``APR_CAP`` in the lender's reason codes.
        unit_cost_cents: Acquisition, data, verification and platform cost per booked loan
            expected before the lender has books of its own (the prior of
            :meth:`observe_costs`).
        unit_cost_weight: Loans the starting ``unit_cost_cents`` counts for when blended
            with the lender's own history.
        max_loan_to_income: The regulator's cap on principal / yearly stated income, or
            None.
        lti_reason: Index of ``LOAN_TO_INCOME`` in the lender's reason codes.
        demand: The learner of a demand-based policy (``optimised``): its take-up model
            and price tests (it draws from ``ctx.rng`` when the tests are on); None for a
            policy that prices from costs alone.
        cold_start_pd: The PD a risk-based policy assumes for a row it cannot score yet
            (cold start): priced, and declined over the cap, as a scored row of that PD
            (a lifetime PD: not extrapolated). None: such rows get ``flat_apr`` and are
            never declined for the cap.
        life_exponent: Extrapolates the model's window PD over the loan's life
            (:func:`lifetime_pd`); None: the window PD is priced as a lifetime one.
        window_days: The model's performance window (``risk.model.performance_window_days``).
        markup: All-in APR added to what the policy asks (rate/year; negative: a discount,
            with ``discount_floored`` never below the row's marginal cost,
            :func:`discount_floor`), lowered to the cap where one binds; the rows declined
            for the cap are the same (they cannot cover their marginal cost, whatever the
            markup). 0: the policy's price.

    The caps are the regulator's: a policy change reaches the stage through
    :meth:`set_policy`, never by writing its attributes; the markup is the lender's lever,
    set through :meth:`set_markup`.

    Attributes:
        unit_cost_cents_: The unit cost in use, learned from the lender's books
            (:meth:`observe_costs`); ``unit_cost_cents`` until then.
    """

    row_wise = True

    def __init__(self, strategy: str, grade_cutoffs: list[float], flat_apr: float,
                 loss_given_bad: float, cost_rate: float, apr_cap: float | None,
                 cap_reason: int, unit_cost_cents: float = 0.0, unit_cost_weight: float = 1.0,
                 max_loan_to_income: float | None = None, lti_reason: int = -1,
                 marginal_cost_rate: float | None = None,
                 booking_cost_cents: float = 0.0,
                 demand: DemandLearner | None = None,
                 cold_start_pd: float | None = None, life_exponent: float | None = None,
                 window_days: float = 90.0, markup: float = 0.0) -> None:
        self.policy = PRICING.get(strategy)
        self.markup = float(markup)
        self.discount_floored = False
        self.demand = demand
        self.marginal_cost_rate = cost_rate if marginal_cost_rate is None else marginal_cost_rate
        self.booking_cost_cents = float(booking_cost_cents)
        self.cold_start_pd = cold_start_pd
        self.life_exponent = life_exponent
        self.window_days = window_days
        self.grade_cutoffs = np.asarray(grade_cutoffs, dtype=np.float32)
        self.flat_apr = flat_apr
        self.loss_given_bad = loss_given_bad
        self.cost_rate = cost_rate
        self.apr_cap = apr_cap
        self.cap_reason = cap_reason
        self.unit_cost_cents = float(unit_cost_cents)
        self.unit_cost_weight = float(unit_cost_weight)
        self.unit_cost_cents_ = self.unit_cost_cents
        self.max_loan_to_income = max_loan_to_income
        self.lti_reason = lti_reason

    @property
    def draws(self) -> bool:  # type: ignore[override]  # a property of the demand learner
        """Whether the stage draws price tests from ``ctx.rng`` (its demand learner's)."""
        return self.demand is not None and self.demand.draws

    def set_policy(self, *, apr_cap: float | None, max_loan_to_income: float | None) -> None:
        """Put the regulator's caps in force (from the next decision on).

        Args:
            apr_cap: The cap on the all-in APR, or None.
            max_loan_to_income: The cap on principal / yearly stated income, or None.
        """
        self.apr_cap = apr_cap
        self.max_loan_to_income = max_loan_to_income

    def set_markup(self, markup: float) -> None:
        """Add ``markup`` (rate/year) to the all-in APR the policy asks, from the next
        decision on (a lender's lever, :meth:`simfin.agents.lender.Lender.set_levers`).

        Raises:
            ValueError: A markup that is not finite or beyond +/-10 (1,000 % a year).
        """
        if not (np.isfinite(markup) and abs(markup) <= 10.0):
            raise ValueError(f"price_markup: must be finite and within +/-10, got {markup}")
        self.markup = float(markup)

    def set_discount_floor(self, on: bool) -> None:
        """Whether a discount (a negative markup) stops at each row's marginal cost
        (:func:`discount_floor`); off, it moves every price (a learning agent's lever).
        """
        self.discount_floored = bool(on)

    def observe_costs(self, cost_cents: int, loans: int) -> None:
        """Re-estimate the unit cost from the lender's costs and loans booked so far, shrunk
        towards the starting estimate (``unit_cost_cents``) while there are few loans.
        """
        w = self.unit_cost_weight
        self.unit_cost_cents_ = (self.unit_cost_cents * w + cost_cents) / (w + loans)

    def observe_offers(self, day: int, batch: ApplicationBatch, offers: np.ndarray,
                       accepted: np.ndarray) -> None:
        """What became of the day's offers (a demand-based policy learns its take-up)."""
        if self.demand is not None:
            self.demand.observe(day, batch, offers, accepted)

    def run(self, batch: ApplicationBatch, ctx: DecisionContext) -> ApplicationBatch:
        """Add ``grade``, ``apr`` and ``all_in_apr``; decline rows over the caps."""
        tests = ctx.rng.random((batch.n, 2)) if self.draws else None
        grade, apr, total, over = capped_price(self, batch["pd"], batch["term_days"],
                                               batch["fee_rate"], batch["amount_cents"],
                                               batch.columns, tests)
        batch["grade"] = grade
        batch["apr"] = apr.astype(np.float32)
        batch["all_in_apr"] = total.astype(np.float32)
        if self.max_loan_to_income is not None:
            income = np.maximum(batch["stated_income_cents"], 1) * MONTHS_PER_YEAR
            batch.decline(batch["amount_cents"] > self.max_loan_to_income * income,
                          self.lti_reason)
        batch.decline(over, self.cap_reason)
        return batch
