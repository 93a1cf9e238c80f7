"""Stress tests: the same strategies through several macroeconomic paths, paired by seed.

A stress-test experiment names its scenarios ``<strategy>__<path>``, where ``<path>`` is the
scenario's ``macro.scenario`` and every strategy runs under every path, ``steady`` among
them (``experiments/stress_test.yaml``). Runs share their seeds across all scenarios, so
for a strategy, a path's change from ``steady`` is taken seed by seed: the same consumers,
the same draws, only the economy differs (a path draws no random numbers of its own).
Between strategies, the change of one minus the change of another is paired too: which
strategy loses least under a path is read from that difference and its 95 % interval.

``python -m simfin.experiments.stress`` runs such an experiment (resumable, any executor),
writes the usual experiment folder plus ``stress.csv`` and ``stress.md``, and with
``--readme`` rewrites the file's measured block (``<!-- measured:NAME -->``).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simfin.config import ConfigError
from simfin.experiments.analysis import cell, fmt, interval
from simfin.experiments.design import ExperimentConfig
from simfin.experiments.execution import ExperimentResult
from simfin.experiments.measured_command import Analysis, parser, run_analysis
from simfin.experiments.outcomes import parse

STEADY = "steady"
SEPARATOR = "__"
KEYS = ["point", "replicate"]


@dataclass(frozen=True)
class StressCells:
    """The strategies and paths of a stress test, and the scenario of each pair."""

    strategies: list[str]
    paths: list[str]
    scenario: dict[tuple[str, str], str]


def stress_cells(experiment: ExperimentConfig) -> StressCells:
    """Read the strategies and paths from the scenarios' names and overrides.

    Raises:
        ConfigError: A scenario not named ``<strategy>__<path>``, a path that is not the
            scenario's ``macro.scenario``, a strategy missing a path, or no ``steady``.
    """
    default = experiment.overrides.get("macro.scenario", STEADY)
    cells: dict[tuple[str, str], str] = {}
    for name, overrides in experiment.scenarios.items():
        strategy, sep, path = name.rpartition(SEPARATOR)
        if not sep or not strategy:
            raise ConfigError(f"scenarios.{name}: a stress test's scenarios are named "
                              f"<strategy>{SEPARATOR}<path> (e.g. rules_only{SEPARATOR}"
                              "severe)")
        applied = overrides.get("macro.scenario", default)
        if applied != path:
            raise ConfigError(f"scenarios.{name}: its name says path {path!r} but it sets "
                              f"macro.scenario {applied!r}")
        cells[(strategy, path)] = name
    strategies = list(dict.fromkeys(s for s, _ in cells))
    paths = list(dict.fromkeys(p for _, p in cells))
    if STEADY not in paths:
        raise ConfigError(f"scenarios: a stress test needs every strategy under "
                          f"{STEADY!r} (the paired reference)")
    for strategy in strategies:
        missing = [p for p in paths if (strategy, p) not in cells]
        if missing:
            raise ConfigError(f"scenarios: strategy {strategy!r} has no scenario for "
                              f"{', '.join(missing)}")
    return StressCells(strategies, [STEADY, *[p for p in paths if p != STEADY]], cells)


def _series(results: pd.DataFrame, scenario: str, lender: str, outcome: str) -> pd.Series:
    rows = results[(results["scenario"] == scenario) & (results["lender"] == lender)]
    return rows.set_index(KEYS)[outcome]


def stress_table(results: pd.DataFrame, cells: StressCells, outcomes: list[str],
                 lender: str, method: str = "auto", seed: int = 0) -> pd.DataFrame:
    """Per strategy, path and outcome: the mean with its 95 % interval and, for a path
    other than steady, the paired change from the same strategy under steady.

    Returns:
        Columns ``strategy, path, outcome, mean, low, high, n, change, change_low,
        change_high`` (the change columns NaN on steady rows).
    """
    rows = []
    for strategy in cells.strategies:
        for path in cells.paths:
            for outcome in outcomes:
                values = _series(results, cells.scenario[(strategy, path)], lender, outcome)
                level = interval(values.to_numpy(), method, seed)
                row = {"strategy": strategy, "path": path, "outcome": outcome,
                       "mean": level.mean, "low": level.low, "high": level.high,
                       "n": level.n, "change": np.nan, "change_low": np.nan,
                       "change_high": np.nan}
                if path != STEADY:
                    change = paired_change(results, cells, strategy, path, lender, outcome)
                    diff = interval(change.to_numpy(), method, seed)
                    row.update(change=diff.mean, change_low=diff.low, change_high=diff.high)
                rows.append(row)
    return pd.DataFrame(rows)


def paired_change(results: pd.DataFrame, cells: StressCells, strategy: str, path: str,
                  lender: str, outcome: str) -> pd.Series:
    """A strategy's outcome under ``path`` minus under steady, seed by seed."""
    stressed = _series(results, cells.scenario[(strategy, path)], lender, outcome)
    steady = _series(results, cells.scenario[(strategy, STEADY)], lender, outcome)
    return stressed.sub(steady).dropna()


def ranking(results: pd.DataFrame, cells: StressCells, outcome: str, lender: str,
            method: str = "auto", seed: int = 0) -> pd.DataFrame:
    """Per path other than steady: the strategies from the one whose ``outcome`` falls
    least (loses least) to the one it falls most, each with the paired difference of its
    change to the leader's change (95 % interval) and the seeds on which the leader's
    change was the larger.

    Returns:
        Columns ``path, rank, strategy, change, behind, behind_low, behind_high,
        leader_wins, seeds``.
    """
    rows = []
    for path in cells.paths[1:]:
        changes = {s: paired_change(results, cells, s, path, lender, outcome)
                   for s in cells.strategies}
        order = sorted(changes, key=lambda s: -changes[s].mean())
        leader = changes[order[0]]
        for rank, strategy in enumerate(order, start=1):
            gap = changes[strategy].sub(leader).dropna()
            behind = interval(gap.to_numpy(), method, seed)
            rows.append({"path": path, "rank": rank, "strategy": strategy,
                         "change": float(changes[strategy].mean()), "behind": behind.mean,
                         "behind_low": behind.low, "behind_high": behind.high,
                         "leader_wins": int((gap < 0).sum()), "seeds": len(gap)})
    return pd.DataFrame(rows)


def models_live_before(events: pd.DataFrame | None, cells: StressCells, lender: str,
                       day: int) -> tuple[int, int]:
    """Runs in which ``lender``'s model decided before ``day`` (the path's start), and
    runs in which it has a model: a model strategy is only stress-tested as a model
    lender if its model was live when the downturn came.
    """
    if events is None or not len(events):
        return 0, 0
    rows = events[(events["kind"] == "model_live") & (events["lender"] == lender)]
    live = rows["day"].notna() & (rows["day"].fillna(day) < day)
    return int(live.sum()), len(rows)


def path_applied(results: pd.DataFrame, cells: StressCells, lender: str,
                 outcomes: list[str]) -> tuple[int, int]:
    """Stressed runs that differ from their steady pair in some outcome, and stressed runs
    with a pair: a path that did not apply would leave every outcome as under steady.
    """
    differ = total = 0
    for strategy in cells.strategies:
        steady = results[(results["scenario"] == cells.scenario[(strategy, STEADY)])
                         & (results["lender"] == lender)].set_index(KEYS)[outcomes]
        for path in cells.paths[1:]:
            name = cells.scenario[(strategy, path)]
            stressed = results[(results["scenario"] == name)
                               & (results["lender"] == lender)].set_index(KEYS)[outcomes]
            both = stressed.index.intersection(steady.index)
            same = (stressed.loc[both] == steady.loc[both]).all(axis=1)
            differ += int((~same).sum())
            total += len(both)
    return differ, total


def stress_markdown(table: pd.DataFrame, order: pd.DataFrame, cells: StressCells,
                    outcomes: list[str], units: dict[str, str | None]) -> str:
    """Markdown: per path, each strategy's means [95 % interval]; per stressed path, the
    paired change from steady (bold when its interval excludes 0); then the ranking of
    the strategies by the change of the ranked outcome.
    """
    header = "| strategy | " + " | ".join(
        f"{o} ({units[o]})" if units.get(o) else o for o in outcomes) + " |"
    rule = "|---" * (len(outcomes) + 1) + "|"
    by = table.set_index(["strategy", "path", "outcome"])
    lines = []
    for path in cells.paths:
        lines += [f"`{path}`: mean [95 % interval] over seeds:", "", header, rule]
        for s in cells.strategies:
            lines.append(f"| {s} | " + " | ".join(
                cell(*by.loc[(s, path, o), ["mean", "low", "high"]]) for o in outcomes) + " |")
        lines.append("")
        if path == STEADY:
            continue
        lines += [f"`{path}` minus `{STEADY}`, paired by seed [95 % interval]:", "", header,
                  rule]
        for s in cells.strategies:
            cells_ = []
            for o in outcomes:
                d, lo, hi = by.loc[(s, path, o), ["change", "change_low", "change_high"]]
                text = cell(d, lo, hi)
                cells_.append(f"**{text}**" if lo > 0 or hi < 0 else text)
            lines.append(f"| {s} | " + " | ".join(cells_) + " |")
        lines.append("")
    if len(order):
        ranked = order.attrs.get("outcome", "the ranked outcome")
        lines += [f"Strategies by their change in `{ranked}` (first: loses least), and "
                  "each one's change minus the first's, paired by seed [95 % interval]:",
                  "", "| path | rank | strategy | change | behind the first | seeds the "
                  "first did better |", "|---|---|---|---|---|---|"]
        for row in order.itertuples():
            behind = "" if row.rank == 1 else cell(row.behind, row.behind_low,
                                                   row.behind_high)
            if row.rank > 1 and row.behind_high < 0:
                behind = f"**{behind}**"
            wins = "" if row.rank == 1 else f"{row.leader_wins} of {row.seeds}"
            lines.append(f"| {row.path} | {row.rank} | {row.strategy} | {fmt(row.change)} "
                         f"| {behind} | {wins} |")
        lines.append("")
    return "\n".join(lines)


def reading(table: pd.DataFrame, order: pd.DataFrame, cells: StressCells,
            outcomes: list[str]) -> list[str]:
    """One generated sentence per stressed path: which strategy loses least and most, and
    what their change is made of (each outcome the experiment has among write-offs,
    interest income, the 1+ DPD peak; and the change per loan booked under steady).
    """
    by = table.set_index(["strategy", "path", "outcome"])
    ranked = order.attrs.get("outcome")
    named = {parse(o).indicator: o for o in outcomes}
    lines = []
    for path in cells.paths[1:]:
        rows = order[order["path"] == path].sort_values("rank")
        first, last = rows.iloc[0]["strategy"], rows.iloc[-1]["strategy"]
        parts = [f"Under `{path}`, `{first}` loses least (`{ranked}` {fmt(rows.iloc[0].change)} "
                 f"against steady) and `{last}` most ({fmt(rows.iloc[-1].change)})."]
        for label, indicator in (("write-offs", "written_off"),
                                 ("interest income", "interest_income"),
                                 ("the 1+ DPD peak", "dpd1_ratio_peak")):
            if indicator in named:
                changes = ", ".join(f"{s} {fmt(by.loc[(s, path, named[indicator]), 'change'])}"
                                    for s in rows["strategy"])
                parts.append(f"Change in {label}: {changes}.")
        if "loans" in named and ranked is not None:
            loans = named["loans"]

            def per(s: str, path: str = path, loans: str = loans) -> str:
                change = by.loc[(s, path, ranked), "change"]
                return fmt(change / by.loc[(s, STEADY, loans), "mean"])

            per_loan = ", ".join(f"{s} {per(s)}" for s in rows["strategy"])
            parts.append(f"Change in `{ranked}` per loan booked under steady: {per_loan}.")
        lines += [" ".join(parts), ""]
    return lines


def stress_report(result: ExperimentResult, experiment: ExperimentConfig, lender: str,
                  rank_by: str) -> tuple[str, pd.DataFrame]:
    """The stress test's Markdown (preconditions, tables, ranking) and its table.

    Raises:
        ConfigError: The results have no rows for ``lender``, or ``rank_by`` is not an
            outcome of the experiment.
    """
    cells = stress_cells(experiment)
    results, outcomes = result.results, experiment.outcomes
    if rank_by not in outcomes:
        raise ConfigError(f"--rank-by: {rank_by!r} is not an outcome of {experiment.name} "
                          f"({', '.join(outcomes)})")
    if results.empty or lender not in set(results["lender"]):
        raise ConfigError(f"--lender: no results for lender {lender!r}")
    method, seed = experiment.interval, result.plan.analysis_seed
    table = stress_table(results, cells, outcomes, lender, method, seed)
    order = ranking(results, cells, rank_by, lender, method, seed)
    order.attrs["outcome"] = rank_by
    start = int(experiment.overrides.get("macro.start_day", 0))
    live, scored = models_live_before(result.events, cells, lender, start)
    differ, stressed = path_applied(results, cells, lender, outcomes)
    runs = results[results["lender"] == lender]
    loans = [o for o in outcomes if parse(o).indicator == "loans"]
    lines = [f"Lender `{lender}`; {len(runs)} runs ({len(cells.strategies)} strategies x "
             f"{len(cells.paths)} paths x seeds {result.plan.seeds}); the path starts on day "
             f"{start}. Preconditions: the path applied (the stressed run differs from its "
             f"steady pair) in {differ} of {stressed} runs; the model was live before day "
             f"{start} in {live} of {scored} runs with a model"
             + (f"; fewest `{loans[0]}` in a run: {fmt(runs[loans[0]].min())}" if loans
                else "") + ".", ""]
    if result.failures:
        lines += [f"**{len(result.failures)} runs failed** and are left out.", ""]
    units = {o: parse(o).unit for o in outcomes}
    lines.append(stress_markdown(table, order, cells, outcomes, units))
    lines += reading(table, order, cells, outcomes)
    return "\n".join(lines), table


def _progress(done: int, total: int) -> None:
    """Runs finished so far, on stderr (one line, rewritten in a terminal)."""
    end = "\n" if done == total or not sys.stderr.isatty() else ""
    print(f"\r{done}/{total} runs", end=end, file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    out = parser(__doc__.splitlines()[0], "A stress-test experiment file.")
    out.add_argument("--rank-by", default=None, help="Outcome the strategies are ranked "
                     "by (default: the file's first outcome).")
    return out


def main(argv: list[str] | None = None) -> int:
    """Run a stress test, write its reports, print its tables, rewrite the README block.

    Returns:
        0, 1 if any run failed, 2 on bad input (one ``error:`` line, nothing rewritten).
    """
    args = _parser().parse_args(argv)

    def check(experiment: ExperimentConfig, _config: object) -> str:
        stress_cells(experiment)
        rank_by = args.rank_by or experiment.outcomes[0]
        if rank_by not in experiment.outcomes:  # before the runs, not after
            raise ConfigError(f"--rank-by: {rank_by!r} is not an outcome of "
                              f"{experiment.name} ({', '.join(experiment.outcomes)})")
        return rank_by

    def report(result: ExperimentResult, experiment: ExperimentConfig, rank_by: str
               ) -> tuple[str, pd.DataFrame]:
        return stress_report(result, experiment, args.lender, rank_by)

    return run_analysis(args, argv, "simfin.experiments.stress",
                        Analysis("stress", "Stress test", check, report, write_parts=True,
                                 progress=_progress))


if __name__ == "__main__":
    sys.exit(main())
