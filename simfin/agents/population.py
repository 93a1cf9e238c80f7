"""The columnar population: one row per consumer, one numpy array per attribute.

Every per-day consumer behaviour is vectorised over these columns; the ``Consumer`` Mesa
agent (see :mod:`simfin.agents.consumer`) is a view on one row.
"""

from __future__ import annotations

import numpy as np

import simfin.agents.fraud as fraud_kinds
from simfin.agents.borrowers import BorrowerLists
from simfin.agents.demand import need_ceiling
from simfin.agents.economy import STEADY, MacroState
from simfin.config import COHORTS, BehaviourConfig, PopulationConfig

# Age ranges of the cohorts in the simulated year (2026), inclusive.
COHORT_AGES = {"pre80": (46, 70), "post80": (36, 45), "post90": (26, 35), "post00": (18, 25)}
# Mean digital affinity by cohort: the seed text's "born digital" 80后/90后/00后.
COHORT_AFFINITY = {"pre80": 0.35, "post80": 0.6, "post90": 0.75, "post00": 0.85}


class Population:
    """Consumer state in columns.

    Attributes are numpy arrays of length ``n``. Static traits (age, cohort, income,
    willingness) are drawn at creation; dynamic state (income shocks, active loans, debt
    service, satisfaction) is updated by the model's vectorised steps.

    ``need_ceiling`` is derived from the columns (a bound the day's demand thinning trusts);
    the population's own steps and the ``Consumer`` view keep it current. Code that writes
    the columns directly calls :meth:`refresh` for the rows it wrote.
    """

    STATIC = ("age_years", "cohort", "region", "base_income_cents", "digital_affinity",
              "willingness", "is_fraud", "fraud_kind", "synthetic_id", "has_bureau_file",
              "bureau_history_months", "bureau_delinquencies", "external_loans",
              "income_overstatement", "id_mismatch", "contact_mismatch", "new_device_rate",
              "partner_history",               "trust_loans", "ring_of")
    PER_LENDER = ("loans_at", "defaults_at", "borrowed_at", "line_limit_cents",
                  "missed_since_review")
    DYNAMIC = ("shock_until_day", "debt_service_cents", "satisfaction",
               "interactions", "loans_booked", "inquiries", "device_id", "contact_id",
               "device_since_day")

    def __init__(self, config: PopulationConfig, rng: np.random.Generator,
                 behaviour: BehaviourConfig | None = None) -> None:
        n = config.n_consumers
        self.n = n
        self.config = config
        # How these consumers behave (repayment, applications, fraud): read by the
        # behaviour functions of :mod:`simfin.agents.consumer` and the scenarios.
        self.behaviour = behaviour if behaviour is not None else BehaviourConfig()
        cohort_p = np.array([getattr(config.cohorts, c) for c in COHORTS])
        self.cohort = rng.choice(len(COHORTS), size=n, p=cohort_p / cohort_p.sum()).astype(
            np.uint8)
        low = np.array([COHORT_AGES[c][0] for c in COHORTS])[self.cohort]
        high = np.array([COHORT_AGES[c][1] for c in COHORTS])[self.cohort]
        self.age_years = (low + rng.random(n) * (high - low + 1)).astype(np.uint8)
        region_p = np.array([config.regions.tier1, config.regions.tier2, config.regions.tier3])
        self.region = rng.choice(3, size=n, p=region_p / region_p.sum()).astype(np.uint8)

        income_mult = np.array([config.tier1_income_multiplier, 1.0,
                                1.0 / config.tier1_income_multiplier])[self.region]
        # Income peaks in mid-career: younger cohorts earn less.
        age_mult = np.asarray(config.income_by_cohort)[self.cohort]
        log_income = (np.log(config.income_median_cents)
                      + config.income_sigma * rng.standard_normal(n))
        income = (np.exp(log_income) * income_mult * age_mult).astype(np.int64)
        del log_income, income_mult, age_mult
        # Kept in 32 bits when every income fits (the same values; read as int64).
        self.base_income_cents = (income.astype(np.int32)
                                  if income.max(initial=0) <= np.iinfo(np.int32).max
                                  else income)
        del income

        affinity_mean = np.array([COHORT_AFFINITY[c] for c in COHORTS])[self.cohort]
        k = config.affinity_concentration
        self.digital_affinity = rng.beta(k * affinity_mean, k * (1 - affinity_mean)).astype(
            np.float32)
        m, k = config.willingness_mean, config.willingness_concentration
        self.willingness = rng.beta(m * k, (1 - m) * k, size=n).astype(np.float32)

        self.is_fraud = rng.random(n) < config.fraud_share
        # The young have had the least time to build a bureau file.
        self.has_bureau_file = rng.random(n) >= config.thin_file_share * np.asarray(
            config.thin_file_by_cohort)[self.cohort]
        years_adult = np.maximum(self.age_years.astype(np.int16) - 18, 0)
        self.bureau_history_months = np.where(
            self.has_bureau_file, (rng.random(n) * years_adult * 12).astype(np.int16), 0
        ).astype(np.int16)
        # Past delinquencies reveal (noisily) the latent willingness to repay.
        self.bureau_delinquencies = self.past_delinquencies(np.arange(n), rng)

        # Loans at banks and card issuers outside the simulated market (reported to the bureau).
        records = self.behaviour.records
        odds = (1.0 - self.willingness) / np.maximum(self.willingness, 1e-4)
        self.external_loans = np.minimum(rng.poisson(
            records.external_loans_base + records.external_loans_per_odds * odds),
            records.max_external_loans).astype(np.int8)
        self.external_loans[~self.has_bureau_file] = 0
        # Applicants round their income up; fraudsters invent one.
        sd = self.behaviour.application.income_overstatement_sd
        self.income_overstatement = (1.0 + np.abs(rng.normal(0.0, sd, n))).astype(np.float32)
        # Fraudsters' kinds, files, identity checks, devices, contacts and rings.
        fraud_kinds.disguise(self, rng)
        fraud_rows = np.flatnonzero(self.is_fraud)
        self.fraud_rows = fraud_rows.astype(np.int32)
        self.shock_until_day = np.full(n, -1, dtype=np.int32)
        self.debt_service_cents = np.zeros(n, dtype=np.int64)
        self.satisfaction = np.full(n, self.behaviour.service.initial_satisfaction,
                                    dtype=np.float32)
        self.interactions = np.zeros(n, dtype=np.int16)
        self.loans_booked = np.zeros(n, dtype=np.int16)  # at any lender, ever
        # Recent credit applications on the identity (decayed count): the bureau's inquiries.
        self.inquiries = np.zeros(n, dtype=np.float32)
        self.ring_applications = 0  # applications by ring identities so far
        # The macroeconomic drivers in force today (set by the model each morning).
        self.macro: MacroState = STEADY
        half_life = self.behaviour.fraud.signals.inquiry_half_life_days
        self._inquiry_decay = np.float32(0.5 ** (1.0 / half_life))
        # Derived from the columns above, kept current where they change (see refresh).
        # In blocks of consumers: the same values (row by row) without a dozen float64
        # temporaries the size of the population at once (1 GB at 10M consumers).
        self.need_ceiling = np.empty(n, dtype=np.float32)
        for start in range(0, n, 1 << 20):
            rows = np.arange(start, min(n, start + (1 << 20)))
            self.need_ceiling[rows] = need_ceiling(self, rows)

    def refresh(self, rows: np.ndarray | int) -> None:
        """Recompute what is derived from the columns of ``rows`` (the need ceiling of
        :func:`~simfin.agents.demand.need_ceiling`).

        The population's own steps and the ``Consumer`` view call it when they change a
        column; code that writes the columns directly must call it for the rows written
        (``population.refresh(np.arange(population.n))`` after a change to everyone).
        """
        rows = np.atleast_1d(np.asarray(rows, dtype=np.intp))
        self.need_ceiling[rows] = need_ceiling(self, rows)

    def attach_lenders(self, n_lenders: int) -> None:
        """Allocate per-lender columns: active loans and defaults at each lender."""
        self.loans_at = np.zeros((self.n, n_lenders), dtype=np.int8)
        self.defaults_at = np.zeros((self.n, n_lenders), dtype=np.int8)
        self.borrowed_at = np.zeros((self.n, n_lenders), dtype=bool)
        # Revolving lines: limit per lender, and whether the consumer missed a payment to
        # that lender since the line's last review. A limit is at most the product's
        # ``max_amount_cents``, which validation keeps within int32 (read as int64).
        self.line_limit_cents = np.zeros((self.n, n_lenders), dtype=np.int32)
        self.missed_since_review = np.zeros((self.n, n_lenders), dtype=bool)
        self._borrowers = BorrowerLists()

    # -- borrowing ---------------------------------------------------------------------

    def open_loans(self, consumers: np.ndarray, lender: int, monthly_service_cents: np.ndarray,
                   line_consumers: np.ndarray, line_limits_cents: np.ndarray) -> None:
        """Borrowers took loans from ``lender``: count them, add their debt service, and
        set the limits of the revolving lines among them.
        """
        _count(self.loans_at, consumers, lender, 1)
        self._borrowers.changed(consumers, self.n)
        np.add.at(self.loans_booked, consumers, np.int16(1))  # no cast: add.at's fast path
        self.borrowed_at[consumers, lender] = True
        self.line_limit_cents[line_consumers, lender] = line_limits_cents
        np.add.at(self.debt_service_cents, consumers, monthly_service_cents)
        self.refresh(consumers)

    def end_loans(self, consumers: np.ndarray, lenders: np.ndarray,
                  monthly_service_cents: np.ndarray) -> None:
        """Loans closed or were written off: their borrowers no longer service them."""
        _count(self.loans_at, consumers, lenders, -1)
        self._borrowers.changed(consumers, self.n)
        np.subtract.at(self.debt_service_cents, consumers, monthly_service_cents)
        self.refresh(consumers)

    def borrowers_by_lender(self) -> list[np.ndarray]:
        """Per lender, the consumers with an active loan there, in id order (the same as
        ``np.flatnonzero(loans_at[:, lender] > 0)``, kept from day to day: see
        :mod:`simfin.agents.borrowers`). Treat the arrays as read-only.
        """
        return self._borrowers.current(self.loans_at)

    def at_lender(self, column: np.ndarray, rows: np.ndarray,
                  lenders: np.ndarray | int) -> np.ndarray:
        """``column[rows, lenders]`` of a per-lender column (``loans_at``, ...), by one
        flat ``take``: numpy's two-array fancy index costs several times more per row.
        """
        if not column.flags.c_contiguous:
            return column[rows, lenders]
        flat = np.asarray(rows, dtype=np.intp) * column.shape[1] + lenders
        return column.reshape(-1).take(flat)

    def count_defaults(self, consumers: np.ndarray, lenders: np.ndarray) -> None:
        """New defaults: one more on each consumer's record at the lender."""
        _count(self.defaults_at, consumers, lenders, 1)

    def past_delinquencies(self, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Delinquencies on the bureau files of ``rows`` (0 without a file), drawn from past
        behaviour: each reported month's instalments were missed with the probability the
        repayment logit gives at the row's willingness and ``behaviour.records``' past
        capacity, plus records unrelated to willingness. Poisson counts, at most 50.
        """
        rec, rep = self.behaviour.records, self.behaviour.repayment
        w = np.clip(self.willingness[rows].astype(np.float64), 1e-4, 1 - 1e-4)
        logit = (rep.willingness_weight * np.log(w / (1 - w))
                 + rep.capacity_weight * np.log(np.clip(rec.past_capacity_ratio,
                                                        rep.min_capacity_ratio,
                                                        rep.max_capacity_ratio))
                 + rep.intercept)
        months = np.minimum(self.bureau_history_months[rows], rec.window_months)
        lam = months * (rec.instalments_per_month * rec.reported_share / (1 + np.exp(logit))
                        + rec.unrelated_per_year / 12)
        count = np.minimum(rng.poisson(lam), 50).astype(np.int8)
        return np.where(self.has_bureau_file[rows], count, 0).astype(np.int8)

    # -- derived state -------------------------------------------------------------------

    def income_cents(self, rows: np.ndarray, day: int) -> np.ndarray:
        """Current monthly income of ``rows``: reduced while an income shock lasts, and
        moved by the economy (``macro.income``, ``macro.shock_income``).
        """
        income = self.base_income_cents.take(rows).astype(np.int64)
        macro = self.macro
        if macro.income != 1.0:
            income = (income * macro.income).astype(np.int64)
        shocked = np.flatnonzero(self.shock_until_day.take(rows) > day)  # a few
        kept = self.config.shock_income_share
        if macro.shock_income != 1.0:
            kept = min(kept * macro.shock_income, 1.0)
        income[shocked] = (income[shocked] * kept).astype(np.int64)
        return income

    def disposable_cents(self, rows: np.ndarray, day: int) -> np.ndarray:
        """Monthly income left after living costs and existing debt service."""
        income = self.income_cents(rows, day)
        return (income * (1.0 - self.config.living_cost_share)).astype(np.int64) - \
            self.debt_service_cents.take(rows)

    # -- daily dynamics ------------------------------------------------------------------

    def step_shocks(self, day: int, rng: np.random.Generator) -> None:
        """Start new income shocks (as many more as the economy's ``job_loss`` factor
        says). O(shocks), not O(n): draw how many, then who.
        """
        cfg = self.config
        rate = cfg.job_loss_rate
        if self.macro.job_loss != 1.0:
            rate = rate * self.macro.job_loss
        k = rng.poisson(self.n * rate / 365.0)
        if k == 0:
            return
        rows = rng.integers(0, self.n, k)
        duration = rng.exponential(cfg.shock_duration_days, k).astype(np.int32) + 1
        self.shock_until_day[rows] = np.maximum(self.shock_until_day[rows], day + duration)
        self.refresh(rows)

    def count_inquiries(self, consumers: np.ndarray) -> None:
        """Age yesterday's application counts by a day and add today's applications."""
        self.inquiries *= self._inquiry_decay
        np.add.at(self.inquiries, consumers, np.float32(1.0))
        self.ring_applications += int(np.count_nonzero(self.ring_of.take(consumers) >= 0))

    def nbytes(self) -> int:
        """Bytes held by all columns."""
        per_lender = sum(getattr(self, name).nbytes for name in self.PER_LENDER
                         if hasattr(self, name))
        return per_lender + self.need_ceiling.nbytes + sum(getattr(self, name).nbytes
                                                           for name in self.STATIC + self.DYNAMIC)


def _count(counters: np.ndarray, consumers: np.ndarray, lenders: np.ndarray | int,
           step: int) -> None:
    """Add ``step`` to the (consumer, lender) cells of per-lender counters, repeated cells
    adding up: ``np.add.at`` on flat indexes with a scalar of the column's type, its fast
    path (a tuple index or a cast costs ~50x more per row).
    """
    if not counters.flags.c_contiguous:  # reshape would copy: the counts would be lost
        raise ValueError("per-lender counters must be C-contiguous")
    flat = np.asarray(consumers, dtype=np.intp) * counters.shape[1] + lenders
    np.add.at(counters.reshape(-1), flat, counters.dtype.type(step))
