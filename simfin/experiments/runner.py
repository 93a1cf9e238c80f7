"""Running an experiment and comparing its scenarios."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from simfin.experiments.design import ExperimentConfig
from simfin.experiments.executors import EXECUTORS, RunSpec


def specs(experiment: ExperimentConfig, config_path: Path) -> list[RunSpec]:
    """Every (scenario, seed) run of the experiment, scenario by scenario."""
    return [RunSpec(name, seed, config_path, {**experiment.overrides, **overrides},
                    experiment.steps)
            for name, overrides in experiment.scenarios.items() for seed in experiment.seeds]


def run_experiment(experiment: ExperimentConfig, config_path: Path, executor: str = "local",
                   workers: int = 2, progress: Callable[[int, int], None] | None = None
                   ) -> pd.DataFrame:
    """Run all scenarios and seeds; one row per (scenario, seed, lender) plus the market.

    Returns:
        Long table with columns ``scenario, seed, lender`` and one column per outcome.
    """
    todo = specs(experiment, config_path)
    rows = []
    for done, (spec, summary) in enumerate(EXECUTORS.get(executor)(todo, workers), 1):
        parts = {**summary["lenders"], "market": summary["market"]}
        for lender, indicators in parts.items():
            row = {"scenario": spec.scenario, "seed": spec.seed, "lender": lender}
            row.update({k: indicators.get(k) for k in experiment.outcomes})
            rows.append(row)
        if progress is not None:
            progress(done, len(todo))
    return pd.DataFrame(rows)


def compare(results: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """Mean and standard deviation over seeds of every outcome, per scenario and lender."""
    numeric = results.astype({k: float for k in outcomes})
    grouped = numeric.groupby(["lender", "scenario"], sort=False)[outcomes]
    table = grouped.agg(["mean", "std"])
    table.columns = [f"{k}_{stat}" for k, stat in table.columns]
    return table.reset_index()


def comparison_markdown(results: pd.DataFrame, outcomes: list[str]) -> str:
    """The comparison as Markdown: ``mean ± sd`` per scenario, one table per lender."""
    table = compare(results, outcomes)
    parts = []
    for lender, group in table.groupby("lender", sort=False):
        parts += [f"### {lender}", "", "| scenario | " + " | ".join(outcomes) + " |",
                  "|---" * (len(outcomes) + 1) + "|"]
        for _, row in group.iterrows():
            cells = [_cell(row[f"{k}_mean"], row[f"{k}_std"]) for k in outcomes]
            parts.append(f"| {row['scenario']} | " + " | ".join(cells) + " |")
        parts.append("")
    return "\n".join(parts)


def _cell(mean: float, sd: float) -> str:
    if np.isnan(mean):
        return "n/a"
    scale = max(abs(mean), 1e-12)
    digits = 4 if scale < 1 else 0
    sd_text = "" if np.isnan(sd) else f" ± {sd:,.{digits}f}"
    return f"{mean:,.{digits}f}{sd_text}"
