"""Expected credit losses (``provisions:``): how every lender measures its IFRS 9 (China's
CAS 22) allowance from its own book. The engine is :mod:`simfin.lending.provisions`.

Each lender estimates a monthly roll-rate chain over days-past-due buckets (current, 1-29,
30-59, 60-89, then default or closed) from its own loans over a trailing window, starting
from a prior chain given here while its book is young; its LGD from its own write-offs and
recoveries, starting from a prior; and scales the PDs by a forward-looking overlay weighted
over macroeconomic scenarios (the shipped paths of ``macro:``).
"""

from __future__ import annotations

from functools import cache

import numpy as np
from pydantic import field_validator, model_validator

from simfin.config.base import PROBABILITY, Section, check_each, did_you_mean, param
from simfin.config.macro import DAYS_PER_MONTH, NAMED_PATHS, shipped_path

ROLL_BUCKETS = ("current", "1-29", "30-59", "60-89")
"""The days-past-due buckets the roll-rate chain moves between (30 days each: one step of
the chain is 30 days), before default (90+ DPD or defaulted) or closure."""
HORIZON_DAYS = 12 * DAYS_PER_MONTH
"""The 12 months of a stage 1 ECL, and of each overlay scenario's mean job-loss multiplier."""


class ProvisionsConfig(Section):
    """IFRS 9 expected credit losses, measured by each lender on its own book."""

    stage2_dpd: int = param(30, "Days past due from which a loan is in stage 2 (a "
                            "significant increase in credit risk: lifetime ECL); IFRS 9's "
                            "rebuttable backstop is 30. Stage 3 (credit-impaired) is 90+ "
                            "days past due or defaulted (run.default_dpd). From 1 to 89.",
                            "days", ge=1, le=89)
    lifetime_months: int = param(36, "Horizon of a lifetime ECL (stage 2): the months the "
                                 "roll-rate chain is run for a loan's lifetime default "
                                 "probability. From 12 to 120.", "months", ge=12, le=120)
    window_months: int = param(6, "Trailing window of the lender's own roll rates and "
                               "write-offs from which its PD and LGD are estimated (months "
                               "of 30 days). From 1 to 60.", "months", ge=1, le=60)
    seasoning_months: int = param(12, "Months on book by which the lender estimates the "
                                  "monthly roll rate of its current loans into delinquency "
                                  "(0, 1, ..., the last pooling every older loan): young "
                                  "loans miss more often, so a growing book's pooled rate "
                                  "overstates what its loans will do as they season. 1: one "
                                  "pooled rate. From 1 to 60 (configs/calibration.md).",
                                  "months", ge=1, le=60)
    prior_roll_rates: list[float] = param(
        [0.015, 0.35, 0.85, 0.95], "Prior monthly roll rates of the buckets current, 1-29, "
        "30-59 and 60-89 days past due to the next bucket (60-89: to default); a delinquent "
        "loan that does not roll cures to current. Used while the lender's book is young, "
        "weighted as provisions.prior_weight loans per bucket. Each from 0 to 1.", "share",
        min_length=4, max_length=4)
    prior_closure_rate: float = param(0.2, "Prior monthly share of current loans that are "
                                      "repaid and close (with prior_roll_rates: the prior "
                                      "chain). From 0 to 0.95.", "share/month", ge=0.0,
                                      le=0.95)
    prior_lgd: float = param(0.9, "Prior loss given default: share of a defaulted balance "
                             "lost after recoveries, used while the lender has written few "
                             "loans off (weighted as provisions.prior_weight write-offs).",
                             "share", **PROBABILITY)
    prior_weight: float = param(100.0, "Weight of the priors, in loans: a bucket's roll "
                                "rates are (observed moves + prior_weight x prior rates) / "
                                "(loans observed + prior_weight), and each months-on-book "
                                "roll rate of current loans likewise towards the current "
                                "bucket's prior; the LGD likewise with loans written off. "
                                "From 0 to 100,000.", "loans", ge=0.0,
                                le=100_000.0)
    credit_conversion_factor: float = param(0.5, "Share of a revolving line's undrawn limit "
                                            "expected to be drawn by default (CCF): the "
                                            "exposure of undrawn limits, provided for at "
                                            "a new loan's 12-month PD (stage 1).",
                                            "share", **PROBABILITY)
    pd_sensitivity: float = param(0.4, "Forward-looking overlay: a PD moves with the "
                                  "job-loss multiplier x (macro job_loss, 1 = steady) as 1 + "
                                  "pd_sensitivity x (x - 1); stage 1 and 2 PDs are scaled "
                                  "from the x of the estimation window to the x expected "
                                  "over the next 12 months. 0: no overlay. From 0 to 10 "
                                  "(configs/calibration.md).", "per unit of job_loss",
                                  ge=0.0, le=10.0)
    scenario_weights: dict[str, float] = param(
        {"steady": 0.7, "adverse": 0.2, "severe": 0.1}, "Weights of the macroeconomic "
        "scenarios the overlay averages over, by shipped path (steady, adverse, severe, "
        "covid_2020); each scenario's job-loss multiplier is its path's mean over 12 months, "
        "and never below today's. Weights from 0 to 1, summing to 1.", "share")

    @field_validator("prior_roll_rates")
    @classmethod
    def _rates(cls, rates: list[float]) -> list[float]:
        return check_each(rates, 0.0, 1.0, "roll rates")

    @field_validator("scenario_weights")
    @classmethod
    def _weights(cls, weights: dict[str, float]) -> dict[str, float]:
        for name, weight in weights.items():
            if name not in NAMED_PATHS:
                raise ValueError(f"unknown scenario {name!r}{did_you_mean(name, NAMED_PATHS)}; "
                                 f"one of {', '.join(NAMED_PATHS)}")
            if not 0.0 <= weight <= 1.0:
                raise ValueError(f"{name}: a weight must be in [0, 1], got {weight}")
        if weights and abs(sum(weights.values()) - 1.0) > 1e-9:
            raise ValueError(f"weights must sum to 1, got {sum(weights.values()):g}")
        if not weights:
            raise ValueError("give at least one scenario (e.g. {steady: 1.0})")
        return weights

    @model_validator(mode="after")
    def _current_row(self) -> ProvisionsConfig:
        if self.prior_roll_rates[0] + self.prior_closure_rate > 1.0:
            raise ValueError("prior_roll_rates: the current bucket's roll rate plus "
                             "prior_closure_rate must be at most 1, got "
                             f"{self.prior_roll_rates[0] + self.prior_closure_rate:g}")
        return self

    def scenario_job_loss(self) -> dict[str, float]:
        """Each weighted scenario's job-loss multiplier: :func:`path_job_loss` of its path."""
        return {name: path_job_loss(name) for name in self.scenario_weights}


@cache
def path_job_loss(name: str) -> float:
    """A shipped path's mean job-loss multiplier over the 12 months from its start (daily
    values interpolated as :class:`simfin.agents.economy.Economy` does; 1 with no points).
    """
    paths = shipped_path(name)
    if not paths.job_loss:
        return 1.0
    unit = DAYS_PER_MONTH if paths.time_unit == "month" else 1
    times = np.array([p[0] for p in paths.job_loss], dtype=np.float64) * unit
    values = np.array([p[1] for p in paths.job_loss], dtype=np.float64)
    return float(np.interp(np.arange(HORIZON_DAYS), times, values).mean())
