"""The regulator's levers and the run's own settings."""

from __future__ import annotations

from pydantic import model_validator

from simfin.config.base import PROBABILITY, Section, name_param, param


class PolicyChange(Section):
    """A change of policy on a given day; the fields it sets replace the policy in force
    (a field left out keeps its value; ``apr_cap: null`` lifts the cap).
    """

    day: int = param(0, "Day the change takes effect (before that day's applications).",
                     "day", ge=0)
    apr_cap: float | None = param(None, "New cap on the all-in APR (null: no cap).",
                                  "rate/year", ge=0.0, le=10.0)
    consortium: bool | None = param(None, "Data-sharing mandate: true makes the consortium "
                                    "exist and every lender share its loans with it; false "
                                    "closes it.")
    max_loan_to_income: float | None = param(None, "New cap on principal / yearly stated "
                                             "income (null: no cap).", "ratio", gt=0.0,
                                             le=100.0)


class PolicyConfig(Section):
    """Regulator policy levers that bind every lender."""

    apr_cap: float | None = param(0.36, "Highest all-in APR (interest plus fees) a loan may "
                                  "carry; applications that cannot be priced under it are "
                                  "declined. null for no cap.", "rate/year", ge=0.0, le=10.0)
    consortium: bool = param(False, "Whether the lenders' information-sharing consortium "
                             "exists; members then see each other's active loans.")
    max_loan_to_income: float | None = param(None, "Highest principal / yearly stated income "
                                             "of a loan; larger asks are declined "
                                             "(LOAN_TO_INCOME). null for no cap.", "ratio",
                                             gt=0.0, le=100.0)
    schedule: list[PolicyChange] = param([], "Policy changes by day (the regulator's "
                                         "calendar), applied in day order.")

    @model_validator(mode="after")
    def _days_in_order(self) -> PolicyConfig:
        days = [change.day for change in self.schedule]
        if days != sorted(days):
            raise ValueError(f"schedule: days must be in increasing order, got {days}")
        return self


class RunConfig(Section):
    """How long to run and with which seed."""

    name: str = name_param("market", "Run name, used in output folder names.")
    steps: int = param(365, "Days to simulate.", "days", ge=1, le=36_500)
    runoff_days: int = param(0, "Days of run-off after run.steps: no loan is made, and the "
                             "open book is collected, funded, serviced and written off as on "
                             "any day, so profit and losses count every loan of the run to its "
                             "end (its lifetime value). Long enough when it covers the longest "
                             "term plus run.writeoff_dpd (the health check says when it does "
                             "not). 0: the run stops after run.steps. At most 36,500.", "days",
                             ge=0, le=36_500)
    seed: int = param(42, "Seed of the model's random number generator; the same config and "
                      "seed give bit-identical results.", "", ge=0)
    default_dpd: int = param(90, "Days past due at which a loan counts as defaulted.", "days",
                             ge=1)
    writeoff_dpd: int = param(180, "Days past due at which a defaulted loan's principal is "
                              "written off.", "days", ge=1)
    recovery_rate: float = param(0.1, "Share of written-off principal recovered later (posted "
                                 "on the write-off day).", "share", **PROBABILITY)
    record_applications: bool = param(True, "Keep a row per application (features, data "
                                      "queried, rules hit, score, decision, outcome) and write "
                                      "applications.parquet; about 0.2 kB per application.")

    @property
    def total_days(self) -> int:
        """Days the model runs: ``steps`` days of lending, then ``runoff_days`` of run-off."""
        return self.steps + self.runoff_days
