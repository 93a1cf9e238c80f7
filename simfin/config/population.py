"""Who lives in the market: income, age cohorts, regions, repayment traits, fraud."""

from __future__ import annotations

from pydantic import field_validator, model_validator

from simfin.config.base import PROBABILITY, Section, check_each, param

COHORTS = ("pre80", "post80", "post90", "post00")
REGIONS = ("tier1", "tier2", "tier3")


class CohortShares(Section):
    """Population shares of the birth cohorts the seed text names (80后, 90后, 00后)."""

    pre80: float = param(0.25, "Born before 1980 (46+ years old in the simulated year).", "share",
                         **PROBABILITY)
    post80: float = param(0.25, "Born 1980-1989.", "share", **PROBABILITY)
    post90: float = param(0.30, "Born 1990-1999.", "share", **PROBABILITY)
    post00: float = param(0.20, "Born 2000 or later, at least 18.", "share", **PROBABILITY)

    @model_validator(mode="after")
    def _sum_to_one(self) -> CohortShares:
        total = self.pre80 + self.post80 + self.post90 + self.post00
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"shares must sum to 1, got {total:.4f}")
        return self


class RegionShares(Section):
    """Population shares by city tier; used for group outcomes (financial inclusion)."""

    tier1: float = param(0.2, "First-tier cities.", "share", **PROBABILITY)
    tier2: float = param(0.4, "Second-tier cities.", "share", **PROBABILITY)
    tier3: float = param(0.4, "Third-tier cities, towns and rural areas.", "share", **PROBABILITY)

    @model_validator(mode="after")
    def _sum_to_one(self) -> RegionShares:
        total = self.tier1 + self.tier2 + self.tier3
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"shares must sum to 1, got {total:.4f}")
        return self


class PopulationConfig(Section):
    """The consumers: one row each in the columnar population."""

    n_consumers: int = param(20_000, "Number of consumers in the market.", "consumers", ge=10,
                             le=50_000_000)
    # Upper bounds keep every income (log-normal, times the city and age factors) inside
    # int64 cents: a larger median or multiplier would overflow into negative incomes.
    income_median_cents: int = param(600_000, "Median monthly income. At most "
                                     "1,000,000,000 (incomes are int64 cents).",
                                     "cents/month", gt=0, le=1_000_000_000)
    income_sigma: float = param(0.6, "Sigma of the log-normal income distribution.", "log cents",
                                ge=0.0, le=3.0)
    tier1_income_multiplier: float = param(1.5, "Income multiplier in tier-1 cities; tier-3 "
                                           "gets its inverse. From 0.1 to 10.", "ratio", ge=0.1,
                                           le=10.0)
    living_cost_share: float = param(0.6, "Share of income spent on living costs, not "
                                     "available for debt service.", "share", **PROBABILITY)
    willingness_mean: float = param(0.85, "Mean latent willingness to repay (Beta "
                                    "distributed).", "probability", gt=0.0, lt=1.0)
    willingness_concentration: float = param(8.0, "Concentration (alpha+beta) of the Beta "
                                             "distribution of willingness.", "", gt=0.0)
    job_loss_rate: float = param(0.08, "Yearly probability of an income shock (job loss, "
                                 "illness).", "rate/year", **PROBABILITY)
    shock_duration_days: float = param(90.0, "Mean duration of an income shock.", "days", gt=0.0)
    shock_income_share: float = param(0.3, "Share of income kept during a shock.", "share",
                                      **PROBABILITY)
    fraud_share: float = param(0.01, "Share of applicants that are identity fraudsters "
                               "(stolen or synthetic identities; they never repay).", "share",
                               **PROBABILITY)
    thin_file_share: float = param(0.35, "Share of consumers with no credit-bureau record.",
                                   "share", **PROBABILITY)
    income_by_cohort: list[float] = param(
        [1.0, 1.15, 1.0, 0.7], "Factor on income by cohort (pre80, post80, post90, post00): "
        "income peaks in mid-career, the youngest earn least. From 0.01 to 3.", "ratio",
        min_length=4, max_length=4)
    thin_file_by_cohort: list[float] = param(
        [1.0, 1.0, 1.0, 1.6], "Factor on thin_file_share by cohort (pre80, post80, post90, "
        "post00): the youngest have had the least time to build a bureau file. From 0 to "
        "10.", "ratio", min_length=4, max_length=4)
    affinity_concentration: float = param(6.0, "Concentration (alpha+beta) of the Beta "
                                          "distribution of digital affinity around its "
                                          "cohort's mean.", "", gt=0.0)
    cohorts: CohortShares = param(CohortShares(), "Birth cohort shares.")
    regions: RegionShares = param(RegionShares(), "City-tier shares.")

    @field_validator("income_by_cohort")
    @classmethod
    def _income_factors(cls, values: list[float]) -> list[float]:
        # With the tier multiplier and a 3-sigma log-normal, incomes stay inside int64.
        return check_each(values, 0.01, 3.0)

    @field_validator("thin_file_by_cohort")
    @classmethod
    def _thin_file_factors(cls, values: list[float]) -> list[float]:
        return check_each(values, 0.0, 10.0)
