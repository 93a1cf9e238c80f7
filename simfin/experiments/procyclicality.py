"""Pro-cyclicality: lenders that tighten in a downturn, and the lender that does not.

A pro-cyclicality experiment is a 2 x 2 of stress-test scenarios named
``<rivals>__<path>`` (:mod:`simfin.experiments.stress`): one lender stays ``fixed`` in every
scenario, its rivals are ``fixed`` in one arm and take a responding strategy
(``risk_appetite``) in the other, each arm under ``steady`` and a stressed path
(``experiments/procyclicality.yaml``). Every scenario shares the seeds, and a path draws no
random numbers, so the two runs of an arm are the same market until the path starts.

From each run's events and its decided applications (the experiment folder's ``swaps/``,
kept when ``run.record_applications`` is on), over the booking window of the file's first
windowed outcome (``loans[240:480]``: days 240 to 479):

- each rival's approvals (all, and of the products the fixed lender sells too), and its
  ``tighten`` and ``loosen`` decisions from the path's start (strategy decisions are events
  with their reasons);
- what became of the needs the rivals declined: those that then applied to the fixed lender
  (the same need, by consumer, scenario, product and term, the same day or 1 to
  ``behaviour.demand.reapply_max_days`` days after a rival's decline), the ones it approved,
  the loans it booked on them and how many of those went 30+ days past due;
- the fixed lender's loans, the share of them that went 30+ days past due by the run's end
  and their mean true default probability (the answer key, which no lender sees).

Each measure's change from ``steady`` is paired by seed within an arm, and the
difference-in-differences (the responding arm's change minus the fixed arm's) by seed
across arms, with 95 % intervals (BCa bootstrap below ten seeds).

``python -m simfin.experiments.procyclicality`` runs such an experiment (resumable, any
executor), writes ``procyclicality.csv`` and ``procyclicality.md`` beside its folder's
tables, and with ``--readme`` rewrites its measured block (``<!-- measured:NAME -->``).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simfin.config import ConfigError
from simfin.config.loading import resolve
from simfin.experiments.analysis import cell, fmt, interval
from simfin.experiments.design import ExperimentConfig
from simfin.experiments.execution import ExperimentResult
from simfin.experiments.measured_command import Analysis, parser, run_analysis
from simfin.experiments.outcomes import parse
from simfin.experiments.plan import Plan, plan
from simfin.experiments.store import ExperimentFolder
from simfin.experiments.stress import (
    KEYS,
    STEADY,
    StressCells,
    path_applied,
    stress_cells,
    stress_markdown,
    stress_table,
)
from simfin.lending.product import PRODUCT_KINDS

NEED = ["consumer", "scenario", "product", "term_days"]
"""What identifies a need across its applications (a re-application keeps them all)."""


@dataclass(frozen=True)
class Design:
    """The 2 x 2 of a pro-cyclicality experiment.

    Attributes:
        cells: The arms (``strategies``) and paths, and the scenario of each pair.
        fixed: The lender that is ``fixed`` in every scenario.
        rivals: The lenders whose strategy differs between the arms.
        baseline: The arm in which every lender is ``fixed``.
        window: Booking window ``(start, end)`` days, end excluded.
        start: The day the stressed path starts (``macro.start_day``).
        reapply_days: ``behaviour.demand.reapply_max_days``: how late a re-application comes.
        lenders: Every lender's name, in config order (a run's application log codes
            lenders by this index).
        products: The product kinds the fixed lender sells (only needs of these kinds
            can move to it).
    """

    cells: StressCells
    fixed: str
    rivals: list[str]
    baseline: str
    window: tuple[int, int]
    start: int
    reapply_days: int
    lenders: list[str]
    products: list[str]


def design(experiment: ExperimentConfig, the_plan: Plan, lender: str | None) -> Design:
    """Read the 2 x 2 from the scenarios' names and their configs.

    Args:
        experiment: The experiment file.
        the_plan: Its runs (each scenario's config is read from its first run).
        lender: The fixed lender, or None to take the one lender fixed in every scenario.

    Raises:
        ConfigError: Scenarios that are not a stress test's, no windowed outcome, no arm in
            which every lender is fixed, or no (or an ambiguous) fixed lender.
    """
    cells = stress_cells(experiment)
    windows = [parse(o).window for o in experiment.outcomes if parse(o).window is not None]
    if not windows:
        raise ConfigError(f"outcomes: {experiment.name} needs a windowed outcome "
                          "(loans[240:480]): its window is the booking window")
    first = {}
    for task in the_plan.tasks:
        first.setdefault(task.scenario, task)
    configs = {s: resolve(t.config, t.steps, t.seed, t.overrides) for s, t in first.items()}
    kinds = {s: {lc.name: lc.strategy.kind for lc in c.lenders} for s, c in configs.items()}
    names = list(next(iter(kinds.values())))
    rivals = [n for n in names if len({k[n] for k in kinds.values()}) > 1]
    fixed_everywhere = [n for n in names if all(k[n] == "fixed" for k in kinds.values())]
    if lender is None:
        if len(fixed_everywhere) != 1:
            raise ConfigError(f"--lender: lenders fixed in every scenario: "
                              f"{', '.join(fixed_everywhere) or 'none'}; name the one "
                              "compared")
        lender = fixed_everywhere[0]
    elif lender not in fixed_everywhere:
        raise ConfigError(f"--lender: {lender!r} is not fixed in every scenario (fixed "
                          f"everywhere: {', '.join(fixed_everywhere) or 'none'})")
    baselines = [a for a in cells.strategies
                 if all(kinds[cells.scenario[(a, p)]][n] == "fixed"
                        for p in cells.paths for n in names)]
    if not rivals or not baselines:
        raise ConfigError("scenarios: a pro-cyclicality experiment needs an arm in which "
                          "every lender is fixed and one in which the rivals respond")
    config = configs[cells.scenario[(baselines[0], STEADY)]]
    sells = next(lc for lc in config.lenders if lc.name == lender).products
    return Design(cells, lender, rivals, baselines[0], windows[0], config.macro.start_day,
                  config.behaviour.demand.reapply_max_days, names,
                  [p.kind for p in sells])


def run_measures(apps: pd.DataFrame, events: pd.DataFrame, d: Design) -> dict[str, float]:
    """One run's measures (:mod:`simfin.experiments.procyclicality`).

    Args:
        apps: The run's decided applications, keyed (``simfin.indicators.swap_sets.keyed``),
            lenders by name.
        events: The run's events.
        d: The experiment's design.
    """
    start, end = d.window
    inside = (apps["day"] >= start) & (apps["day"] < end)
    out: dict[str, float] = {}
    decisions = events[events["kind"] == "strategy_decision"]
    after = decisions["day"].fillna(-1) >= d.start
    for rival in d.rivals:
        mine = apps[inside & (apps["lender"] == rival)]
        out[f"{rival}.approvals"] = int(mine["approved"].sum())
        shared = mine["product"].isin(d.products)
        out[f"{rival}.approvals_shared"] = int((mine["approved"] & shared).sum())
        own = decisions[(decisions["lender"] == rival) & after]
        out[f"{rival}.tightenings"] = int((own["code"] == "tighten").sum())
        out[f"{rival}.loosenings"] = int((own["code"] == "loosen").sum())
        before = decisions[(decisions["lender"] == rival) & ~after]
        out[f"{rival}.net_loosening_before"] = int((before["code"] == "loosen").sum()
                                                - (before["code"] == "tighten").sum())
    booked = apps[inside & (apps["lender"] == d.fixed) & apps["taken_up"]]
    out[f"{d.fixed}.loans"] = len(booked)
    out[f"{d.fixed}.dpd30_rate"] = float(booked["bad"].mean()) if len(booked) else np.nan
    out[f"{d.fixed}.true_pd"] = float(booked["true_pd"].mean()) if len(booked) else np.nan
    followed = rivals_declined_then(apps, d)
    out[f"{d.fixed}.applied"] = len(followed)
    out[f"{d.fixed}.approved"] = int(followed["approved"].sum())
    out[f"{d.fixed}.from_rivals"] = int(followed["taken_up"].sum())
    out[f"{d.fixed}.from_rivals_dpd30"] = int((followed["taken_up"] & followed["bad"]).sum())
    return out


def rivals_declined_then(apps: pd.DataFrame, d: Design) -> pd.DataFrame:
    """The fixed lender's applications on needs a rival declined in the booking window,
    made the same day (the applicant had applied to both) or 1 to ``reapply_days`` days
    later (a re-application); each application once, however many rivals declined it.
    """
    start, end = d.window
    declined = apps[apps["lender"].isin(d.rivals) & ~apps["approved"]
                    & (apps["day"] >= start) & (apps["day"] < end)]
    fixed = apps[apps["lender"] == d.fixed]
    pairs = declined[[*NEED, "day"]].merge(
        fixed[[*NEED, "day", "nth", "approved", "taken_up", "bad"]], on=NEED,
        suffixes=("_declined", ""))
    later = pairs["day"] - pairs["day_declined"]
    pairs = pairs[(later >= 0) & (later <= d.reapply_days)]
    return pairs.drop_duplicates([*NEED, "day", "nth"])


def measures_frame(result: ExperimentResult, folder: ExperimentFolder,
                   d: Design) -> pd.DataFrame:
    """One row per finished run: its scenario, point, replicate, the fixed lender's name
    (``lender``) and its measures.

    Raises:
        ConfigError: A finished run kept no applications (``run.record_applications`` off).
    """
    done = set(result.results["scenario"] + "/" + result.results["point"].astype(str) + "/"
               + result.results["replicate"].astype(str))
    events = result.events if result.events is not None else pd.DataFrame()
    coded = {str(i): name for i, name in enumerate(d.lenders)}  # the log's codes
    kinds = {str(i): kind for i, kind in enumerate(PRODUCT_KINDS)}
    rows = []
    for task in result.plan.tasks:
        if f"{task.scenario}/{task.point}/{task.replicate}" not in done:
            continue
        apps = folder.applications(task)
        if apps is None:
            raise ConfigError(f"run {task.key} kept no applications: a pro-cyclicality "
                              "experiment needs run.record_applications on")
        apps = apps.assign(lender=apps["lender"].replace(coded),
                           product=apps["product"].replace(kinds))
        mine = events[events["run"] == task.key] if len(events) else events
        rows.append({"scenario": task.scenario, "point": task.point,
                     "replicate": task.replicate, "lender": d.fixed,
                     **run_measures(apps, mine, d)})
    return pd.DataFrame(rows)


def did(frame: pd.DataFrame, d: Design, measures: list[str], method: str = "auto",
        seed: int = 0) -> pd.DataFrame:
    """Per responding arm, stressed path and measure: the arm's change from steady minus
    the baseline arm's, paired by seed, with its 95 % interval and the seeds on which it
    was above 0.

    Returns:
        Columns ``arm, path, measure, did, low, high, above, seeds``.
    """
    def change(arm: str, path: str, measure: str) -> pd.Series:
        def series(p: str) -> pd.Series:
            rows = frame[frame["scenario"] == d.cells.scenario[(arm, p)]]
            return rows.set_index(KEYS)[measure].astype(float)
        return series(path).sub(series(STEADY))

    rows = []
    for arm in [a for a in d.cells.strategies if a != d.baseline]:
        for path in d.cells.paths[1:]:
            for measure in measures:
                gap = change(arm, path, measure).sub(
                    change(d.baseline, path, measure)).dropna()
                iv = interval(gap.to_numpy(), method, seed)
                rows.append({"arm": arm, "path": path, "measure": measure, "did": iv.mean,
                             "low": iv.low, "high": iv.high, "above": int((gap > 0).sum()),
                             "seeds": len(gap)})
    return pd.DataFrame(rows)


def did_markdown(table: pd.DataFrame, d: Design, measures: list[str]) -> str:
    """Markdown: each responding arm's difference-in-differences (bold when its interval
    excludes 0) and the seeds on which it was above 0.
    """
    lines = [f"Difference-in-differences: (stressed minus `{STEADY}`) with responding rivals "
             f"minus the same with `{d.baseline}`, paired by seed [95 % interval] (seeds "
             "above 0):", "", "| arm | path | " + " | ".join(measures) + " |",
             "|---" * (len(measures) + 2) + "|"]
    by = table.set_index(["arm", "path", "measure"])
    for arm, path in dict.fromkeys(zip(table["arm"], table["path"], strict=True)):
        cells = []
        for m in measures:
            row = by.loc[(arm, path, m)]
            text = (f"{cell(row['did'], row['low'], row['high'])} "
                    f"({int(row['above'])}/{int(row['seeds'])})")
            cells.append(f"**{text}**" if row["low"] > 0 or row["high"] < 0 else text)
        lines.append(f"| {arm} | {path} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def tightened(frame: pd.DataFrame, d: Design) -> tuple[int, int]:
    """Seeds on which the responding rivals took more net tightening steps (tighten minus
    loosen, all rivals) from the path's start under each stressed path than under steady,
    and the seeds compared (over every responding arm and stressed path).
    """
    net = sum(frame[f"{r}.tightenings"] - frame[f"{r}.loosenings"] for r in d.rivals)
    steps = frame.assign(net=net)
    more = total = 0
    for arm in [a for a in d.cells.strategies if a != d.baseline]:
        steady = steps[steps["scenario"] == d.cells.scenario[(arm, STEADY)]].set_index(KEYS)
        for path in d.cells.paths[1:]:
            stressed = steps[steps["scenario"] == d.cells.scenario[(arm, path)]]
            gap = stressed.set_index(KEYS)["net"].sub(steady["net"]).dropna()
            more += int((gap > 0).sum())
            total += len(gap)
    return more, total


def loosened_before(frame: pd.DataFrame, d: Design) -> str:
    """Each arm's mean net loosening steps before the path started (all rivals), as text:
    a controller that loosens on a young book enters the downturn looser than ``fixed``.
    """
    parts = []
    for arm in d.cells.strategies:
        rows = frame[frame["scenario"] == d.cells.scenario[(arm, STEADY)]]
        each = ", ".join(f"{r} {fmt(rows[f'{r}.net_loosening_before'].mean())}"
                         for r in d.rivals)
        parts.append(f"`{arm}` {each}")
    return "; ".join(parts)


def procyclicality_report(result: ExperimentResult, experiment: ExperimentConfig,
                          folder: ExperimentFolder, d: Design) -> tuple[str, pd.DataFrame]:
    """The Markdown (preconditions, each arm's means and changes, the
    difference-in-differences) and the table of measures per run.

    Raises:
        ConfigError: As :func:`measures_frame`; no finished run.
    """
    frame = measures_frame(result, folder, d)
    if frame.empty:
        raise ConfigError(f"{experiment.name}: no finished run to analyse")
    method, seed = experiment.interval, result.plan.analysis_seed
    rival_measures = [f"{r}.{m}" for r in d.rivals
                      for m in ("approvals", "approvals_shared", "tightenings",
                                "loosenings")]
    fixed_measures = [f"{d.fixed}.{m}" for m in ("applied", "approved", "from_rivals",
                                                 "from_rivals_dpd30", "loans", "dpd30_rate",
                                                 "true_pd")]
    measures = rival_measures + fixed_measures
    table = stress_table(frame, d.cells, measures, d.fixed, method, seed)
    empty = pd.DataFrame()
    differ, stressed = path_applied(result.results, d.cells, "market", experiment.outcomes)
    more, compared = tightened(frame, d)
    start, end = d.window
    lines = [f"Fixed lender `{d.fixed}`; rivals {', '.join(f'`{r}`' for r in d.rivals)}; "
             f"{len(frame)} runs ({len(d.cells.strategies)} arms x {len(d.cells.paths)} paths "
             f"x seeds {result.plan.seeds}); the path starts on day {d.start}; loans booked "
             f"on days {start}-{end - 1}. Preconditions: the path applied (the stressed "
             f"run differs from its steady pair) in {differ} of {stressed} runs; fewest "
             f"`{d.fixed}` loans in a run: {fmt(frame[f'{d.fixed}.loans'].min())}; the "
             f"responding rivals took more net tightening steps under the stressed path "
             f"than under `{STEADY}` on {more} of {compared} seeds. Before the path "
             f"started (the same in both paths), each arm's net loosening steps "
             f"(loosen minus tighten), mean per run: {loosened_before(frame, d)}.", ""]
    if result.failures:
        lines += [f"**{len(result.failures)} runs failed** and are left out.", ""]
    units: dict[str, str | None] = dict.fromkeys(measures)
    lines += ["Rivals: approvals in the booking window, of them those of the products "
              f"`{d.fixed}` sells too ({', '.join(d.products)}; `approvals_shared`: only "
              "such needs can move to it), and `tighten` and `loosen` decisions from the "
              "path's start:", "",
              stress_markdown(table, empty, d.cells, rival_measures, units),
              f"`{d.fixed}`: applications on needs a rival declined (the same day or "
              f"1-{d.reapply_days} days later; `applied`), the ones it approved, the loans it "
              f"booked on them (`from_rivals`) and how many of those went 30+ DPD; all its "
              f"loans booked in the window, the share of them 30+ DPD by the run's end "
              f"(`dpd30_rate`) and their mean true default probability (`true_pd`, the "
              f"answer key):", "",
              stress_markdown(table, empty, d.cells, fixed_measures, units)]
    changes = did(frame, d, measures, method, seed)
    lines += [did_markdown(changes, d, rival_measures), "",
              did_markdown(changes, d, fixed_measures), ""]
    return "\n".join(lines), frame


def main(argv: list[str] | None = None) -> int:
    """Run a pro-cyclicality experiment, write its reports, rewrite the README block.

    Returns:
        0, 1 if any run failed, 2 on bad input (one ``error:`` line, nothing rewritten).
    """
    args = _parser().parse_args(argv)

    def check(experiment: ExperimentConfig, config: object) -> Design:
        return design(experiment, plan(experiment, config), args.lender)  # before any run

    def report(result: ExperimentResult, experiment: ExperimentConfig, d: Design
               ) -> tuple[str, pd.DataFrame]:
        return procyclicality_report(result, experiment, ExperimentFolder(args.out), d)

    return run_analysis(args, argv, "simfin.experiments.procyclicality",
                        Analysis("procyclicality", "Pro-cyclicality", check, report,
                                 write_parts=True))


def _parser() -> argparse.ArgumentParser:
    return parser(__doc__.splitlines()[0], "A pro-cyclicality experiment file.",
                  lender=None, lender_help="The lender fixed in every scenario (default: "
                  "the one lender that is).")


if __name__ == "__main__":
    sys.exit(main())
