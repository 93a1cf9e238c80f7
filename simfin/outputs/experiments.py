"""Files of an experiment: results.parquet, events.parquet, comparison.md (with the
preconditions each scenario's runs met), sensitivity tables and figures.

Written after the runs, from the parts, into the experiment folder (each file atomically):
re-running a finished experiment rewrites the same reports from the same parts.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from simfin.experiments.analysis import comparison_markdown, fmt, scenario_table
from simfin.experiments.design import ExperimentConfig
from simfin.experiments.events import (
    PRECONDITIONS,
    not_met,
    precondition_table,
    warning_counts,
)
from simfin.experiments.execution import ExperimentResult
from simfin.experiments.outcomes import parse
from simfin.experiments.sensitivity import indices
from simfin.outputs.experiment_figures import forest, sensitivity_bars, sweep
from simfin.outputs.experiment_swaps import swap_section


def sensitivity_table(experiment: ExperimentConfig, result: ExperimentResult) -> pd.DataFrame:
    """SALib's indices per scenario and outcome, from the mean over replicates per point.

    Points with a missing outcome (failed runs, undefined indicator) make the analysis of
    that outcome impossible: it is left out and reported.
    """
    spec = experiment.sensitivity
    names = list(experiment.design.parameters)
    rows = result.results[result.results["lender"] == spec.lender]
    n_points = len(result.plan.points)
    tables = []
    for scenario in experiment.scenarios:
        sub = rows[rows["scenario"] == scenario]
        for outcome in experiment.sensitivity_outcomes:
            y = sub.groupby("point")[outcome].mean().reindex(range(n_points)).to_numpy()
            if np.isnan(y).any():
                continue
            table = indices(spec, result.plan.unit, y, names, result.plan.analysis_seed)
            tables.append(table.assign(scenario=scenario, outcome=outcome))
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def write_experiment(result: ExperimentResult, experiment: ExperimentConfig, out: Path
                     ) -> str:
    """Write the combined results, the reports and the figures into ``out``.

    Returns:
        The comparison report (Markdown), also written as ``comparison.md``.
    """
    results = result.results
    staging = Path(tempfile.mkdtemp(prefix=".reports-", dir=out))
    try:
        figures = staging / "figures"
        figures.mkdir()
        results.to_parquet(staging / "results.parquet", index=False)
        baseline = experiment.baseline_scenario
        lines = [f"# simfin experiment: {experiment.name}", "",
                 f"Model `{experiment.model}`"
                 + (f", config `{experiment.config}`" if experiment.model == "simfin" else "")
                 + f"; {len(result.plan.tasks)} runs ({len(experiment.scenarios)} scenarios x "
                 f"{len(result.plan.points)} points x {len(result.plan.seeds)} replicates), "
                 f"seeds {result.plan.seeds}; money in yuan.", ""]
        if experiment.model == "simfin":
            lines += _preconditions(result, experiment, staging)
        if result.failures:
            lines += [f"**{len(result.failures)} runs failed** (left out below):", ""]
            lines += [f"- `{key}`: {error}" for key, error in result.failures.items()]
            lines.append("")
        if results.empty:
            lines.append("No run finished.")
        else:
            outcomes = experiment.outcomes
            table = scenario_table(results, outcomes, baseline, experiment.interval,
                                   result.plan.analysis_seed)
            table["unit"] = table["outcome"].map(lambda name: parse(name).unit)
            table.to_csv(staging / "comparison.csv", index=False)
            lines += ["## Scenarios", "", comparison_markdown(table, outcomes, baseline)]
            if "diff" in table and table["diff"].notna().any():
                for lender in dict.fromkeys(table["lender"]):
                    _save(forest(table, outcomes, baseline, lender),
                          figures / f"forest_{lender}.png")
                lines += ["## Forest plot", "", "![market](figures/forest_market.png)", ""]
            if len(experiment.scenarios) > 1:
                lines += swap_section(out, result.plan.tasks, baseline)
            if experiment.design is not None:
                lines += _sweeps(results, experiment, figures)
            if experiment.sensitivity is not None:
                lines += _sensitivity(experiment, result, staging)
        report = "\n".join(lines)
        (staging / "comparison.md").write_text(report, encoding="utf-8")
        for path in sorted(p for p in staging.rglob("*") if p.is_file()):
            target = out / path.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report


def _sweeps(results: pd.DataFrame, experiment: ExperimentConfig, figures: Path) -> list[str]:
    parameters = list(experiment.design.parameters)
    lines = ["## Sweeps", ""]
    for name in experiment.outcomes:
        outcome = parse(name)
        _save(sweep(results, name, parameters, "market"),
              figures / f"sweep_{outcome.slug}.png")
        lines.append(f"![{name}](figures/sweep_{outcome.slug}.png)\n")
    return lines


def _sensitivity(experiment: ExperimentConfig, result: ExperimentResult, staging: Path
                 ) -> list[str]:
    table = sensitivity_table(experiment, result)
    spec = experiment.sensitivity
    lines = [f"## Sensitivity ({spec.method}, {spec.lender})", ""]
    if table.empty:
        return [*lines, "Not computed: some design points have no value (failed runs or an "
                "undefined indicator).", ""]
    table.to_csv(staging / "sensitivity.csv", index=False)
    stats = ["S1", "ST"] if spec.method == "sobol" else ["mu_star", "sigma"]
    for (scenario, outcome), group in table.groupby(["scenario", "outcome"], sort=False):
        lines += [f"### {outcome} ({scenario})", "",
                  "| parameter | " + " | ".join(stats) + " |", "|---" * (len(stats) + 1) + "|"]
        for _, row in group.iterrows():
            cells = [f"{fmt(row[s])} ± {fmt(row[s + '_conf'])}" if s + "_conf" in row
                     else fmt(row[s]) for s in stats]
            lines.append(f"| {row['parameter']} | " + " | ".join(cells) + " |")
        slug = parse(outcome).slug
        name = f"sensitivity_{slug}.png" if len(experiment.scenarios) == 1 \
            else f"sensitivity_{scenario}_{slug}.png"
        _save(sensitivity_bars(group, outcome), staging / "figures" / name)
        lines += ["", f"![{outcome}](figures/{name})", ""]
    return lines


def precondition_warnings(result: ExperimentResult, experiment: ExperimentConfig
                          ) -> list[str]:
    """One sentence per scenario and precondition its runs did not all meet."""
    if experiment.model != "simfin" or result.events is None:
        return []
    return not_met(precondition_table(result.events, list(experiment.scenarios)),
                   result.events)


def _preconditions(result: ExperimentResult, experiment: ExperimentConfig, staging: Path
                   ) -> list[str]:
    """``events.parquet``, ``preconditions.csv`` and the Markdown section on them."""
    events = result.events
    if events is None:
        return []
    events.to_parquet(staging / "events.parquet", index=False)
    scenarios = list(experiment.scenarios)
    table = precondition_table(events, scenarios)
    table.to_csv(staging / "preconditions.csv", index=False)
    lines = ["## Preconditions", "",
             "Runs of each scenario that met each precondition (n/a: nothing to check), and "
             "the run-health warnings its runs had (runs with each); every run's events are "
             "in `events.parquet`.", "",
             "| scenario | runs | " + " | ".join(PRECONDITIONS.values())
             + " | run-health warnings |", "|---" * (len(PRECONDITIONS) + 3) + "|"]
    by = table.set_index(["scenario", "precondition"])
    for scenario in scenarios:
        cells = []
        for name in PRECONDITIONS:
            row = by.loc[(scenario, name)]
            if not row["applicable"]:
                cells.append("n/a")
                continue
            text = f"{row['met']} of {row['applicable']}"
            cells.append(text if row["met"] == row["applicable"] else f"**{text}** ⚠")
        warned = ", ".join(f"{code} ({n})" for code, n in
                           warning_counts(events, scenario).items()) or "none"
        runs = int(by.loc[(scenario, next(iter(PRECONDITIONS))), "runs"])
        lines.append(f"| {scenario} | {runs} | " + " | ".join(cells) + f" | {warned} |")
    flagged = not_met(table, events)
    if flagged:
        lines += ["", "**Preconditions not met:**", ""] + [f"- ⚠ {line}" for line in flagged]
    return [*lines, ""]


def _save(fig, path: Path) -> None:
    fig.savefig(path, dpi=90)
