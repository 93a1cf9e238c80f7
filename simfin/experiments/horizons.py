"""Does a short run rank strategies as their whole lives do? Paired rankings by horizon.

A run that stops while loans are still open counts a loosely lent loan as earned until it
is written off; profit after IFRS 9 provisions charges its expected loss when the risk is
taken. This module ranks an experiment's scenarios (strategies of one lender, common
seeds) by several outcomes, e.g. one-year profit before provisions
(``profit[0:365]``), one-year profit after them (``profit_after_provisions[0:365]``) and
lifetime profit (``profit`` of a run with ``run.runoff_days``), with every pair's paired
difference and its 95 % interval, and says for each short outcome whether its order is
the lifetime order (``experiments/lender_strategies_lifetime.yaml``).

``python -m simfin.experiments.horizons`` runs such an experiment (resumable, any
executor) and with ``--readme`` rewrites its measured block (``<!-- measured:NAME -->``).
"""

from __future__ import annotations

import argparse
import itertools
import sys

import pandas as pd

from simfin.config import ConfigError
from simfin.experiments.analysis import cell, fmt, interval
from simfin.experiments.design import ExperimentConfig
from simfin.experiments.execution import ExperimentResult
from simfin.experiments.measured_command import Analysis, parser, run_analysis

KEYS = ["point", "replicate"]


def _series(results: pd.DataFrame, scenario: str, lender: str, outcome: str) -> pd.Series:
    rows = results[(results["scenario"] == scenario) & (results["lender"] == lender)]
    return rows.set_index(KEYS)[outcome].astype(float)


def order_by(results: pd.DataFrame, scenarios: list[str], lender: str,
             outcome: str) -> list[str]:
    """The scenarios from the highest mean ``outcome`` of ``lender`` to the lowest."""
    means = {s: _series(results, s, lender, outcome).mean() for s in scenarios}
    return sorted(scenarios, key=lambda s: -means[s])


def pairwise(results: pd.DataFrame, scenarios: list[str], lender: str, outcomes: list[str],
             method: str = "auto", seed: int = 0) -> pd.DataFrame:
    """Every pair of scenarios (in file order, ``a`` before ``b``) and outcome: the paired
    difference a - b seed by seed, its 95 % interval and the seeds on which a was ahead.

    Returns:
        Columns ``a, b, outcome, diff, low, high, a_ahead, seeds``.
    """
    rows = []
    for a, b in itertools.combinations(scenarios, 2):
        for outcome in outcomes:
            gap = _series(results, a, lender, outcome).sub(
                _series(results, b, lender, outcome)).dropna()
            iv = interval(gap.to_numpy(), method, seed)
            rows.append({"a": a, "b": b, "outcome": outcome, "diff": iv.mean, "low": iv.low,
                         "high": iv.high, "a_ahead": int((gap > 0).sum()),
                         "seeds": len(gap)})
    return pd.DataFrame(rows)


def disagreements(pairs: pd.DataFrame, short: str, lifetime: str) -> list[tuple[str, str]]:
    """The pairs whose mean difference has a different sign by ``short`` than by
    ``lifetime`` (the pairs the short horizon orders the other way round).
    """
    by = pairs.set_index(["a", "b", "outcome"])["diff"]
    return [(a, b) for a, b in dict.fromkeys(zip(pairs["a"], pairs["b"], strict=True))
            if (by[(a, b, short)] > 0) != (by[(a, b, lifetime)] > 0)]


def _bold(text: str, low: float, high: float) -> str:
    return f"**{text}**" if low > 0 or high < 0 else text


def horizons_report(result: ExperimentResult, experiment: ExperimentConfig, lender: str,
                    short: list[str], lifetime: str) -> str:
    """The Markdown of the comparison: preconditions, each scenario's means and rank per
    outcome, every pair's paired difference, and whether each short order is the lifetime's.

    Raises:
        ConfigError: No results for ``lender``, or an outcome the experiment does not have.
    """
    results, outcomes = result.results, [*short, lifetime]
    for name in outcomes:
        if name not in experiment.outcomes:
            raise ConfigError(f"outcome {name!r} is not an outcome of {experiment.name} "
                              f"({', '.join(experiment.outcomes)})")
    if results.empty or lender not in set(results["lender"]):
        raise ConfigError(f"--lender: no results for lender {lender!r}")
    scenarios = list(experiment.scenarios)
    method, seed = experiment.interval, result.plan.analysis_seed
    runs = results[results["lender"] == lender]
    events = result.events if result.events is not None else pd.DataFrame()
    live = (events[(events["kind"] == "model_live") & (events["lender"] == lender)]
            if len(events) else events)
    charged = [(o, "profit" + o[len("profit_after_provisions"):]) for o in short
               if o.startswith("profit_after_provisions") and
               "profit" + o[len("profit_after_provisions"):] in runs]
    provisioned = (int(sum((runs[a] != runs[b]).to_numpy() for a, b in charged).astype(bool)
                       .sum()) if charged else "n/a")
    lines = [f"Lender `{lender}`; {len(runs)} runs ({len(scenarios)} strategies x seeds "
             f"{result.plan.seeds}). Preconditions: fewest loans in a run "
             f"{fmt(runs['loans'].min()) if 'loans' in runs else 'n/a'}; "
             f"a model live in {live['run'].nunique() if len(live) else 0} runs; provisions "
             f"changed the short profit in {provisioned} of "
             f"{len(runs)} runs.", ""]
    if result.failures:
        lines += [f"**{len(result.failures)} runs failed** and are left out.", ""]
    header = "| strategy | " + " | ".join(f"{o} (yuan)" for o in outcomes) + " |"
    lines += ["Mean [95 % interval] over seeds, (rank):", "", header,
              "|---" * (len(outcomes) + 1) + "|"]
    orders = {o: order_by(results, scenarios, lender, o) for o in outcomes}
    for s in scenarios:
        cells = []
        for o in outcomes:
            iv = interval(_series(results, s, lender, o).to_numpy(), method, seed)
            cells.append(f"{cell(iv.mean, iv.low, iv.high)} ({orders[o].index(s) + 1})")
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    pairs = pairwise(results, scenarios, lender, outcomes, method, seed)
    lines += ["", "Paired difference a - b [95 % interval] (seeds on which a was ahead):", "",
              "| a - b | " + " | ".join(f"{o} (yuan)" for o in outcomes) + " |",
              "|---" * (len(outcomes) + 1) + "|"]
    for (a, b), rows in pairs.groupby(["a", "b"], sort=False):
        cells = [_bold(f"{cell(r.diff, r.low, r.high)} ({r.a_ahead}/{r.seeds})", r.low,
                       r.high) for r in rows.itertuples()]
        lines.append(f"| {a} - {b} | " + " | ".join(cells) + " |")
    lines += ["", f"Order by `{lifetime}`: {' > '.join(orders[lifetime])}."]
    for o in short:
        wrong = disagreements(pairs, o, lifetime)
        verdict = "the same order" if not wrong else "a different order: " + ", ".join(
            f"{a} vs {b}" for a, b in wrong) + " the other way round"
        lines.append(f"Order by `{o}`: {' > '.join(orders[o])}: {verdict}.")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    out = parser(__doc__.splitlines()[0], "An experiment file with a run-off.")
    out.add_argument("--short", nargs="+", default=["profit[0:365]",
                                                    "profit_after_provisions[0:365]"],
                     help="Outcomes of the short horizon.")
    out.add_argument("--lifetime", default="profit", help="The lifetime outcome.")
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the experiment, print the ranking by horizon, rewrite the README block.

    Returns:
        0, 1 if any run failed, 2 on bad input (one ``error:`` line, nothing rewritten).
    """
    args = _parser().parse_args(argv)

    def check(experiment: ExperimentConfig, _config: object) -> None:
        for name in [*args.short, args.lifetime]:  # before the runs, not after
            if name not in experiment.outcomes:
                raise ConfigError(f"outcome {name!r} is not an outcome of {experiment.name}"
                                  f" ({', '.join(experiment.outcomes)})")

    def report(result: ExperimentResult, experiment: ExperimentConfig, _: None
               ) -> tuple[str, None]:
        return horizons_report(result, experiment, args.lender, args.short,
                               args.lifetime), None

    return run_analysis(args, argv, "simfin.experiments.horizons",
                        Analysis("horizons", "Ranking by horizon", check, report))


if __name__ == "__main__":
    sys.exit(main())
