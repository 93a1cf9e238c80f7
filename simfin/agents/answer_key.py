"""The answer key: each applicant's true probability of going bad, from hidden state.

A lender's model predicts the probability that a loan goes 30+ days past due (its bad
outcome, ``ever_30dpd``). The simulation knows what the lender cannot: the applicant's
willingness to repay, income, income shock, service satisfaction and, for a fraudster,
whether this loan is the bust-out one. :func:`true_pd` turns that state, at the moment
of the decision, into the probability that the loan the applicant asked for (its amount
and term, at the price quoted or the lender's flat price) would reach 30+ days past due at
some point in its life, following the repayment mechanics of
:mod:`simfin.lending.repayments` and :func:`simfin.agents.consumer.pay_probability`:

1. **A fraudster who busts out** (its trust loans used up with this one; a stolen
   identity at once) never pays: 1.
2. **Each instalment** ``k`` (due ``k`` periods after booking) is paid on its day with
   probability ``p`` = the repayment logistic of willingness, capacity (disposable income
   after this loan's own debt service over the instalment) and the service boost
   (satisfaction; without auto-debit the manual-payment penalty). The debit fails with the
   repayment rail's failure rate and is retried ``retry_days`` times (a new draw each
   day); the miss probability is ``m = (1 - p) * sum_{j<=R} (p f)^j + (p f)^(R+1)``.
3. **A missed instalment reaches 30 days past due** unless the borrower cures on one of
   days 1..30: daily cure rate ``base_cure_rate * collections * 2^(-d / half_life)`` times
   the probability of paying (taken at the instalment missed: the later instalments that
   roll on while it is overdue are left out). ``r = prod_d (1 - cure_d)``, tabled once per
   cure rate on a grid of paying probabilities and interpolated.
4. **Income shocks**: an applicant in a shock stays in it until its known end; after that
   (and for everyone else) the probability of being in a shock at a due date follows the
   two-state process of the population (incidence ``job_loss_rate``/year times the
   economy's factor, mean duration ``shock_duration_days``) from its state today. Each
   instalment mixes the shocked and the unshocked ``m * r``.
5. The loan is bad unless no instalment goes bad: ``1 - prod_k (1 - bad_k)`` (for the
   applicants not in a shock today, whose chance of one at a due date is small, in closed
   form to first order in that chance).

It is an approximation that leaves out what happens after the decision beyond the shock
process (satisfaction moving, other loans taken, the economy changing, a fraudster busting
out on a later loan, delinquent instalments rolling on without a draw); the tests check
that it ranks and calibrates the realised outcomes of booked loans. It is recorded as
``true_pd`` in ``applications.parquet`` and never enters the lender's batch: rules and
models cannot read it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from simfin.agents.population import Population
from simfin.lending.loan_book import monthly_service, schedule

CURE_DAYS = 30  # a missed instalment is 30+ days past due after 30 days without a cure
CURE_GRID = np.linspace(0.0, 1.0, 513)  # probabilities of paying the cure is tabled on


def _pay(logit_base: np.ndarray, capacity: np.ndarray, b) -> np.ndarray:
    """Repayment probability from the logit's willingness part and a capacity ratio."""
    z = logit_base + b.capacity_weight * np.log(np.clip(capacity, b.min_capacity_ratio,
                                                        b.max_capacity_ratio))
    return 1.0 / (1.0 + np.exp(-z))


@lru_cache(maxsize=64)
def _uncured_table(cure_rate: float, half_life: float) -> np.ndarray:
    """P(no cure on days 1..30 | probability of paying p), on ``CURE_GRID`` values of p."""
    daily = cure_rate * np.exp2(-np.arange(1, CURE_DAYS + 1) / half_life)
    return np.prod(1.0 - np.outer(CURE_GRID, np.minimum(daily, 1.0)), axis=1)


def true_pd(population: Population, consumers: np.ndarray, amount_cents: np.ndarray,
            term_days: np.ndarray, apr: np.ndarray, day: int, *, boost: float = 0.0,
            cure_multiplier: float = 1.0, debit_failure_rate: float = 0.0,
            retry_days: int = 0) -> np.ndarray:
    """The probability that each applicant's loan would go 30+ days past due.

    Args:
        population: The market's consumers (hidden state, read at decision time).
        consumers: The applicants' population rows.
        amount_cents: The amounts asked for.
        term_days: The terms asked for.
        apr: The all-in APR of each loan (the quote, or the lender's flat price).
        day: The day of the decision.
        boost: The lender's logit boost on paying (minus the manual-payment penalty).
        cure_multiplier: The lender's collections factor on the daily cure rate.
        debit_failure_rate: Failure rate of the lender's repayment rail.
        retry_days: Days a failed debit is retried.

    Returns:
        float32 probabilities, one per applicant (see the module docstring).
    """
    pop, rows = population, np.asarray(consumers, dtype=np.intp)
    n = len(rows)
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    b = pop.behaviour.repayment
    cfg, macro = pop.config, pop.macro
    period, n_inst, _, instalment = schedule(np.asarray(amount_cents, dtype=np.int64),
                                             apr, term_days)
    instalment = np.maximum(instalment, 1).astype(np.float64)
    period = period.astype(np.int64)
    own = monthly_service(instalment.astype(np.int64), period)
    w = np.clip(pop.willingness.take(rows).astype(np.float64), 1e-4, 1 - 1e-4)
    satisfaction = pop.satisfaction.take(rows).astype(np.float64)
    logit_base = (b.willingness_weight * np.log(w / (1 - w)) + b.intercept + boost
                  + b.satisfaction_weight * (satisfaction - b.neutral_satisfaction))
    base_income = pop.base_income_cents.take(rows).astype(np.float64) * macro.income
    kept = min(cfg.shock_income_share * macro.shock_income, 1.0)
    debt = pop.debt_service_cents.take(rows).astype(np.float64) + own
    living = 1.0 - cfg.living_cost_share
    disposable = {False: base_income * living - debt, True: base_income * kept * living - debt}
    cure_rate = b.base_cure_rate * cure_multiplier * macro.collections
    f, retries = float(debit_failure_rate), int(retry_days)
    uncured = _uncured_table(float(cure_rate), float(b.cure_half_life_days))
    per_state = {}
    for shocked, disp in disposable.items():
        p = _pay(logit_base, disp / instalment, b)
        pf = p * f
        miss = (1.0 - p) * sum(pf ** j for j in range(retries + 1)) + pf ** (retries + 1)
        per_state[shocked] = miss * np.interp(p, CURE_GRID, uncured)
    # The two-state shock process: onset rate lam, recovery rate mu (per day).
    lam = cfg.job_loss_rate * macro.job_loss / 365.0
    mu = 1.0 / cfg.shock_duration_days
    steady = lam / (lam + mu)
    shock_left = np.maximum(pop.shock_until_day.take(rows).astype(np.int64) - day, 0)
    bad_n = np.minimum(per_state[False], 1.0 - 1e-12)
    bad_s = per_state[True]
    # Unshocked today: a due date k periods on is in a shock with the probability
    # s_k = steady * (1 - q^k), q = exp(-(lam + mu) * period), small (a few %), so
    # log(1 - bad_n - s_k (bad_s - bad_n)) is taken to first order in s_k and summed over
    # the instalments in closed form.
    q = np.exp(-(lam + mu) * period)
    n_k = n_inst.astype(np.float64)
    shares = steady * (n_k - q * -np.expm1(n_k * np.log(q)) / -np.expm1(np.log(q)))
    log_survive = n_k * np.log1p(-bad_n) - (bad_s - bad_n) / (1.0 - bad_n) * shares
    survive = np.exp(log_survive)
    # In a shock today (a few): instalment by instalment, shocked until its known end.
    idx = np.flatnonzero(shock_left > 0)
    if len(idx):
        survive[idx] = 1.0
    for k in range(1, int(n_inst.take(idx).max(initial=0)) + 1):
        idx = idx[n_inst.take(idx) >= k]
        due, left = k * period.take(idx), shock_left.take(idx)
        share = np.where(due < left, 1.0, steady * -np.expm1(
            -(lam + mu) * np.maximum(due - left, 0)))
        b_n, b_s = bad_n.take(idx), bad_s.take(idx)
        survive[idx] *= 1.0 - (b_n + share * (b_s - b_n))
    out = 1.0 - survive
    bust = pop.is_fraud.take(rows) & (pop.loans_booked.take(rows).astype(np.int64) + 1
                                      > pop.trust_loans.take(rows))
    out[bust] = 1.0
    return out.astype(np.float32)


class AnswerKey:
    """The answer key of a market's lenders: :func:`true_pd` of a decided batch with the
    lender's repayment terms (auto-debit penalty, collections, rail, retries).

    Args:
        config: The market config (each lender's flat price).
        manual_penalty: Per lender: logit lost without auto-debit.
        cure_multiplier: Per lender: collections factor on the daily cure rate.
        servicer: The market's servicer (each lender's rail failure rate and retries).
    """

    def __init__(self, config, manual_penalty: np.ndarray, cure_multiplier: np.ndarray,
                 servicer) -> None:
        self.flat_apr = [lc.pricing.flat_apr for lc in config.lenders]
        self.manual_penalty = np.asarray(manual_penalty, dtype=np.float64)
        self.cure_multiplier = np.asarray(cure_multiplier, dtype=np.float64)
        self.failure_rate = np.asarray(servicer.debit_failure_rate, dtype=np.float64)
        self.retry_days = np.asarray(servicer.retry_days, dtype=np.int64)

    def __call__(self, population: Population, lender: int, batch, day: int) -> np.ndarray:
        """The true PD of each application of ``batch`` (decided by ``lender`` on ``day``),
        as asked (``asked_cents``, ``term_days``), at the quoted all-in APR or, where there
        is no quote, the lender's flat price.
        """
        flat = self.flat_apr[lender]
        if "all_in_apr" in batch:
            apr = batch["all_in_apr"].astype(np.float64)
            apr = np.where(np.isfinite(apr), apr, flat)
        else:
            apr = np.full(batch.n, flat)
        asked = batch["asked_cents"] if "asked_cents" in batch else batch["amount_cents"]
        return true_pd(population, batch["consumer"], asked, batch["term_days"], apr, day,
                       boost=-float(self.manual_penalty[lender]),
                       cure_multiplier=float(self.cure_multiplier[lender]),
                       debit_failure_rate=float(self.failure_rate[lender]),
                       retry_days=int(self.retry_days[lender]))
