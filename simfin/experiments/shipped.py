"""Run every shipped experiment (``experiments/*.yaml``) and print the lines the README quotes.

One command re-measures them all after the market changes::

    python -m simfin.experiments.shipped --executor processes --out runs/measured

Each experiment goes to its own folder under ``--out`` (resumable: a second call finishes
only missing runs). Use a new ``--out`` after changing simfin's code: a folder resumes the
same experiment file and config, and cannot tell that the code that made its parts changed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from simfin.experiments.analysis import cell, fmt, scenario_table
from simfin.experiments.design import load_experiment
from simfin.experiments.runner import ExperimentResult, run_experiment
from simfin.outputs.experiments import sensitivity_table, write_experiment

SHIPPED = ("c1_scenarios", "c2_products", "c3_channels", "c4_risk_control", "c5_payment",
           "c6_service", "c7_infrastructure", "apr_cap", "consortium", "sobol_profit")
FOLDER = Path(__file__).resolve().parents[2] / "experiments"


def headline(name: str, result: ExperimentResult, experiment) -> list[str]:
    """Markdown lines: the market's paired differences to the baseline, or the indices."""
    if experiment.sensitivity is not None:
        table = sensitivity_table(experiment, result)
        lines = []
        for outcome, group in table.groupby("outcome", sort=False):
            cells = [f"{r.parameter} S1 {fmt(r.S1)} ± {fmt(r.S1_conf)}, ST {fmt(r.ST)} ± "
                     f"{fmt(r.ST_conf)}" for r in group.itertuples()]
            lines.append(f"- `{name}` {outcome}: " + "; ".join(cells))
        return lines or [f"- `{name}`: indices not computed (missing outcomes)"]
    baseline = experiment.baseline_scenario
    table = scenario_table(result.results, experiment.outcomes, baseline,
                           experiment.interval, result.plan.analysis_seed)
    market = table[(table["lender"] == "market") & (table["scenario"] != baseline)]
    lines = []
    for scenario, group in market.groupby("scenario", sort=False):
        cells = []
        for row in group.itertuples():
            base = table[(table["lender"] == "market") & (table["scenario"] == baseline)
                         & (table["outcome"] == row.outcome)]["mean"].iloc[0]
            mark = "*" if row.diff_low > 0 or row.diff_high < 0 else ""
            cells.append(f"{row.outcome} {fmt(base)} → {fmt(row.mean)}, "
                         f"Δ {cell(row.diff, row.diff_low, row.diff_high)}{mark}"
                         if np.isfinite(row.diff) else f"{row.outcome} n/a")
        lines.append(f"- `{name}` {scenario} vs {baseline} (market, n={int(group["diff_n"].max())}"
                     f"): " + "; ".join(cells))
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the shipped experiments; print the README lines; exit 1 if any run failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executor", default="processes",
                        choices=["local", "processes", "dask"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("runs/measured"))
    parser.add_argument("names", nargs="*", default=list(SHIPPED))
    args = parser.parse_args(argv)
    failed = 0
    for name in args.names:
        experiment, config = load_experiment(FOLDER / f"{name}.yaml")
        start = time.perf_counter()
        result = run_experiment(experiment, config, args.out / name, args.executor,
                                args.workers)
        write_experiment(result, experiment, args.out / name)
        seconds = time.perf_counter() - start
        failed += len(result.failures)
        print(f"<!-- {name}: {len(result.plan.tasks)} runs, {seconds:.0f} s -->")
        print("\n".join(headline(name, result, experiment)), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
