"""What one run evaluates, by name: the simfin market, or SALib's Ishigami function.

``evaluate`` never raises for a failing model: the error is returned with the run, so that
one bad run is recorded and the others finish on every executor.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simfin.lending.registry import Registry

if TYPE_CHECKING:  # the plan imports SciPy and pandas; a run needs neither here
    from simfin.experiments.plan import RunTask

MODELS = Registry("experiment model")


@dataclass(frozen=True)
class RunOutcome:
    """A finished run: its rows (one per lender and the market) and events, or its error."""

    task: RunTask
    rows: list[dict[str, Any]] | None
    error: str | None = None
    detail: str | None = None
    events: list[dict[str, Any]] | None = None
    applications: Any = None
    """The run's decided applications, keyed for swap sets
    (:func:`simfin.indicators.swap_sets.keyed`; a DataFrame), or None."""


Rows = list[dict[str, Any]]


@MODELS.register("simfin")
def simfin_rows(task: RunTask) -> tuple:
    """Run the market; one row per lender plus ``market`` with the outcomes (money in
    yuan, windows from the daily rows), the run's events (``events.run_events``) and,
    when it recorded them, its applications keyed for swap sets.
    """
    import simfin
    from simfin.experiments.events import run_events
    from simfin.experiments.outcomes import parse, to_yuan
    from simfin.indicators.summary import flow_indicators

    result = simfin.run(task.config, steps=task.steps, seed=task.seed,
                        overrides=task.overrides)
    parts = {**result.summary["lenders"], "market": result.summary["market"]}
    steps = result.steps
    outcomes = [parse(name) for name in task.outcomes]
    windows = {o.window for o in outcomes if o.window is not None}
    rows = []
    for lender, summary in parts.items():
        mine = steps if lender == "market" else steps[steps["lender"] == lender]
        # Each window's flow indicators once, whatever the outcomes over it.
        flows = {(start, end): flow_indicators(
                     mine[(mine["day"] >= start) & (mine["day"] < end)], end - start)
                 for start, end in windows}
        row: dict[str, Any] = {"lender": lender}
        for outcome in outcomes:
            value = lookup(summary if outcome.window is None else flows[outcome.window],
                           outcome.indicator)
            row[outcome.name] = to_yuan(value) if outcome.money else value
        rows.append(row)
    if result.applications is not None and not result.applications.empty:
        from simfin.indicators.swap_sets import keyed

        return rows, run_events(result), keyed(result.applications)
    return rows, run_events(result)


@MODELS.register("ishigami")
def ishigami_rows(task: RunTask) -> tuple[Rows, Rows]:
    """SALib's Ishigami function of ``x1, x2, x3`` (a = 7, b = 0.1), as outcome ``y``."""
    import numpy as np
    from SALib.test_functions import Ishigami

    x = np.array([[task.overrides[f"x{j}"] for j in (1, 2, 3)]], dtype=float)
    return [{"lender": "market", "y": float(Ishigami.evaluate(x)[0])}], []


def lookup(summary: dict, dotted: str) -> float | None:
    """An outcome from a summary; dotted names reach breakdowns (``by_channel.social.cac``)."""
    value: Any = summary
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return None if value is None or isinstance(value, dict | list) else float(value)


def evaluate(task: RunTask) -> RunOutcome:
    """Run one task; an exception becomes the outcome's error instead of propagating."""
    try:
        rows, events, *applications = MODELS.get(task.model)(task)
        return RunOutcome(task, rows, events=events,
                          applications=applications[0] if applications else None)
    except Exception as exc:  # noqa: BLE001 - recorded per run, reported by the execution
        message = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return RunOutcome(task, None, message, traceback.format_exc())
