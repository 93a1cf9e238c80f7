"""``simfin.run``: build a market, run it, and return its recorded history and summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simfin.config import COHORTS, REGIONS, MarketConfig
from simfin.config.loading import resolve
from simfin.indicators.application_log import ApplicationLog
from simfin.indicators.governance import exploration
from simfin.indicators.health import run_health
from simfin.indicators.provisions import stage_migration
from simfin.indicators.score_performance import (
    FRONTIER_COLUMNS,
    discrimination,
    frontier,
    monitoring,
    validation,
)
from simfin.indicators.summary import (
    channel_mix,
    cohort_funnel,
    flagged,
    grade_label,
    region_mix,
    scenario_mix,
    summarize,
)
from simfin.memory import check_fits
from simfin.model import MarketModel

Progress = Callable[[int, int], None]  # (days done, days in all)
# Loan-table columns read by :func:`add_breakdowns`.
BREAKDOWN_COLUMNS = ("lender", "scenario", "channel", "cohort", "region", "principal_cents",
                     "term_days", "online", "repeat", "defaulted", "flags")


@dataclass
class RunResult:
    """What a run produced.

    Attributes:
        config: The fully resolved config (seed and steps included).
        steps: One row per (day, lender); see the README's indicator table.
        loans: One row per loan booked.
        summary: Run-level indicators per lender and for the market.
        model: The model at the end of the run, for inspection.
        application_log: The run's application log (kept in a temporary spill file until
            the result is closed or collected), or None when ``run.record_applications``
            is off; :attr:`applications` is its table.
    """

    config: MarketConfig
    steps: pd.DataFrame
    loans: pd.DataFrame
    summary: dict
    model: MarketModel
    application_log: ApplicationLog | None = field(default=None, repr=False)
    _applications: pd.DataFrame | None = field(default=None, init=False, repr=False)

    @property
    def applications(self) -> pd.DataFrame | None:
        """One row per application (``simfin.indicators.application_log``), coded like ``loans``;
        None when ``run.record_applications`` is off. Read from the log on first access
        (a run that only writes its outputs streams the log and never holds the table).
        """
        if self._applications is None and self.application_log is not None:
            pop = self.model.population
            self._applications = self.application_log.frame(self.model.book, pop.cohort,
                                                             pop.region)
        return self._applications

    def close(self) -> None:
        """Remove the application log's spill file: :attr:`applications` stays as read
        before, or None if it was not.
        """
        if self.application_log is not None:
            self.application_log.close()
            self.application_log = None


def add_breakdowns(summary: dict, model: MarketModel, loans: pd.DataFrame) -> None:
    """Per lender and for the market: shares by scenario, channel, cohort and region;
    declines by reason code; approvals by grade.
    """
    recorder, config = model.recorder, model.config
    # The columns the breakdowns read: the lenders' and groups' rows are copied from
    # these, not from every column of the table.
    loans = loans[list(BREAKDOWN_COLUMNS)]
    scenarios = [s.name for s in config.scenarios]
    channels = [c.name for c in config.channels]
    for i, lender in enumerate(model.lenders):
        out = summary["lenders"][lender.name]
        lo = loans[loans["lender"] == i]
        out["declines_by_reason"] = dict(recorder.reasons[i])
        out["approvals_by_grade"] = {grade_label(g): c for g, c in
                                     sorted(recorder.grade_approvals[i].items())}
        out["by_scenario"] = scenario_mix(lo, scenarios)
        out["by_channel"] = channel_mix(lo, recorder.channel_applications[i],
                                        recorder.channel_acquisition_cents[i], channels)
        out["by_cohort"] = cohort_funnel(lo, recorder.cohort_needs[i],
                                         recorder.cohort_applications[i], list(COHORTS))
        out["by_region"] = region_mix(lo, list(REGIONS))
        out["defaults_by_flag"] = flagged(lo, lender.flag_reasons)
        out["model_since_day"] = lender.model_since_day_
    market = summary["market"]
    market["by_scenario"] = scenario_mix(loans, scenarios)
    market["by_channel"] = channel_mix(loans, recorder.channel_applications.sum(axis=0),
                                       recorder.channel_acquisition_cents.sum(axis=0), channels)
    market["by_cohort"] = cohort_funnel(loans, recorder.cohort_needs.sum(axis=0),
                                        recorder.cohort_applications.sum(axis=0), list(COHORTS))
    market["by_region"] = region_mix(loans, list(REGIONS))


def add_score_performance(summary: dict, model: MarketModel, loans: pd.DataFrame,
                          applications: pd.DataFrame | None) -> None:
    """Per lender: the model's AUC, KS and Brier on its own book (``discrimination``) and
    the approval/default frontier (``frontier``); see :mod:`simfin.indicators.score_performance`.
    """
    run_cfg = model.config.run
    horizon = model.day  # days run
    for lender in model.lenders:
        has_model = lender.config.risk.model.kind != "none"
        out = summary["lenders"][lender.name]
        out["discrimination"] = discrimination(loans, lender.index, run_cfg.default_dpd,
                                               horizon, has_model,
                                               lender.model_since_day_ is not None)
        out["frontier"] = frontier(applications, loans, lender.index, run_cfg.default_dpd,
                                   horizon, has_model, lender.model_since_day_)
        out["validation"] = validation(lender.pipeline.get("scoring"))
        out["monitoring"] = monitoring(lender.pipeline.get("scoring"))
        if lender.explores:
            rows = (np.concatenate(lender.explored_loans_) if lender.explored_loans_
                    else np.zeros(0, dtype=np.int64))
            out["exploration"] = exploration(loans, rows)
        if lender.rejects_.retro is not None:
            out["retro_pulls"] = lender.rejects_.count.as_dict()


def run(config: MarketConfig | str | Path | dict | None = None, steps: int | None = None,
        seed: int | None = None, overrides: list[str] | dict[str, Any] | None = None,
        progress: Progress | None = None) -> RunResult:
    """Run a market.

    Args:
        config: A config object, a YAML path, a dict, or None for the default market
            (``configs/baseline.yaml``).
        steps: Days to run (overrides ``run.steps``).
        seed: Seed (overrides ``run.seed``).
        overrides: ``["dotted.path=value", ...]`` applied to the config.
        progress: Called after every day with (days done, days in all).

    Returns:
        The run's steps, loans, summary and final model.

    Raises:
        ConfigError: A bad config or override, or a market whose estimated peak memory
            exceeds the memory available (:mod:`simfin.memory`; ``SIMFIN_MEMORY_CHECK=off``
            runs it anyway).
    """
    resolved = resolve(config, steps, seed, overrides)
    check_fits(resolved)  # a market that cannot fit the machine: ConfigError, before it starts
    model = MarketModel(resolved)
    total = resolved.run.total_days
    for day in range(total):
        model.step()
        if progress is not None:
            progress(day + 1, total)
    steps_frame = model.recorder.steps_frame()
    loans = model.book.frame()
    names = [lender.name for lender in model.lenders]
    summary = summarize(steps_frame, loans, names, resolved.run.default_dpd, total,
                        [lender.name for lender in model.lenders
                         if lender.challenger is not None])
    add_breakdowns(summary, model, loans)
    log = model.application_log
    add_score_performance(summary, model, loans,
                          None if log is None else log.columns(list(FRONTIER_COLUMNS)))
    migration = model.provisions.stage_migration(model.day - 1)
    for i, name in enumerate(names):
        summary["lenders"][name]["stage_migration"] = stage_migration(migration[i])
    summary["market"]["stage_migration"] = stage_migration(migration.sum(axis=0))
    summary["policy"] = model.regulator.record()
    if model.conduct is not None:  # strategy decisions and capital events, with reasons
        summary.update(model.conduct.record())
    if model.co_lending is not None:  # funded for others, service fees, guarantees
        flows = np.sum(model.ledger.history, axis=0)
        for name, totals in zip(names, model.co_lending.record(flows), strict=True):
            summary["lenders"][name]["co_lending"] = totals
    summary["warnings"] = run_health(resolved, summary, loans)
    return RunResult(resolved, steps_frame, loans, summary, model, log)
