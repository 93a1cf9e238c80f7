"""What happened in each run, kept beside its outcomes, and the preconditions it met.

A run's events (``events.parquet``, one row per event) are:

- ``policy_scheduled``: a ``policy.schedule`` entry of the run's config (day, fields set);
- ``policy_applied``: an entry the regulator applied (``Regulator.changes_applied``);
- ``model_live``: per lender with a statistical model, the first day it decided (empty
  ``day`` when it never went live);
- ``loans_made``: per lender, the loans it booked (``count``);
- ``warning``: a run-health warning of the run (``code``, ``lender``, ``detail``: the
  message), as in a single run's ``summary.json``;
- ``strategy_decision`` and ``capital_event`` (in a market with strategies, entry days or a
  capital rule): each review of a lender's strategy and each entry, stop, restoration and
  exit (``day``, ``lender``, ``code``: the action, ``detail``: the reason), as in
  ``summary.json``'s ``strategy_decisions`` and ``capital_events``.

From them, three preconditions per run (``PRECONDITIONS``): every scheduled policy change
was applied, every lender with a model had it go live, every lender made loans. Each is
None (not applicable) when the run has nothing to check (no schedule, no model lender).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd

EVENT_COLUMNS = ("kind", "lender", "day", "code", "detail", "count")
PRECONDITIONS = {
    "policy_applied": "scheduled policy changes applied",
    "models_live": "every scored lender's model went live",
    "loans_made": "every lender made loans",
}
"""Precondition -> its heading in comparison.md."""


def describe(changes: dict[str, Any]) -> str:
    """A policy change's fields as text: ``apr_cap=0.24, consortium=True``."""
    return ", ".join(f"{name}={value}" for name, value in sorted(changes.items()))


def run_events(result: Any) -> list[dict[str, Any]]:
    """The events of a finished ``simfin.run`` (its ``RunResult``)."""
    config, summary = result.config, result.summary
    events: list[dict[str, Any]] = []

    def add(kind: str, lender: str | None = None, day: int | None = None,
            code: str | None = None, detail: str | None = None,
            count: int | None = None) -> None:
        events.append({"kind": kind, "lender": lender, "day": day, "code": code,
                       "detail": detail, "count": count})

    for entry in config.policy.schedule:
        add("policy_scheduled", day=entry.day, detail=describe(entry.changes()))
    for applied in result.model.regulator.changes_applied:
        add("policy_applied", day=applied["day"], detail=describe(applied["changes"]))
    for lender, lender_config in zip(summary["lenders"], config.lenders, strict=True):
        if lender_config.risk.model.kind != "none":
            add("model_live", lender, summary["lenders"][lender].get("model_since_day"))
    for lender, indicators in summary["lenders"].items():
        add("loans_made", lender, count=int(indicators["loans"]))
    for warning in summary.get("warnings") or []:
        add("warning", warning.get("lender"), code=warning["code"],
            detail=warning["message"])
    for kind, key in (("strategy_decision", "strategy_decisions"),
                      ("capital_event", "capital_events")):
        for event in summary.get(key, []):
            add(kind, event["lender"], event["day"], code=event["action"],
                detail=event["reason"])
    return events


def lacked(run: pd.DataFrame, name: str) -> list[str] | None:
    """What one run's events lacked for a precondition: ``[]`` when it was met, None when
    the run had nothing to check (no policy schedule, no lender with a model).
    """
    if name == "policy_applied":
        scheduled = run[run["kind"] == "policy_scheduled"]
        if not len(scheduled):
            return None
        applied = run[run["kind"] == "policy_applied"]
        got = Counter(zip(applied["day"], applied["detail"], strict=True))
        out = []
        for row in scheduled.itertuples():
            if got[(row.day, row.detail)]:
                got[(row.day, row.detail)] -= 1
            else:
                out.append(f"{row.detail} on day {row.day}")
        return out
    rows = run[run["kind"] == ("model_live" if name == "models_live" else "loans_made")]
    if not len(rows):
        return None
    if name == "models_live":
        return [f"{lender}'s model" for lender in rows.loc[rows["day"].isna(), "lender"]]
    return [str(lender) for lender in rows.loc[rows["count"] == 0, "lender"]]


def checks(events: pd.DataFrame) -> dict[str, bool | None]:
    """The preconditions one run met (True), missed (False) or had none of (None)."""
    out: dict[str, bool | None] = {}
    for name in PRECONDITIONS:
        missing = lacked(events, name)
        out[name] = None if missing is None else not missing
    return out


def precondition_table(events: pd.DataFrame, scenarios: list[str]) -> pd.DataFrame:
    """Per scenario and precondition: the runs that met it and the runs it applied to.

    Returns:
        Columns ``scenario, precondition, met, runs, applicable`` (``applicable`` 0: the
        scenario's runs have nothing to check, e.g. no policy schedule).
    """
    rows = []
    for scenario in scenarios:
        mine = events[events["scenario"] == scenario] if len(events) else events
        per_run = [checks(group) for _, group in mine.groupby("run", sort=False)] \
            if len(mine) else []
        for name in PRECONDITIONS:
            values = [c[name] for c in per_run if c[name] is not None]
            rows.append({"scenario": scenario, "precondition": name,
                         "met": sum(values), "runs": len(per_run),
                         "applicable": len(values)})
    return pd.DataFrame(rows, columns=["scenario", "precondition", "met", "runs",
                                       "applicable"])


def warning_counts(events: pd.DataFrame, scenario: str) -> dict[str, int]:
    """Run-health warning code -> runs of the scenario that had it."""
    if not len(events):
        return {}
    rows = events[(events["scenario"] == scenario) & (events["kind"] == "warning")]
    return {code: int(group["run"].nunique())
            for code, group in rows.groupby("code", sort=True)}


LACKED = {"policy_applied": "never applied", "models_live": "never live",
          "loans_made": "made no loans"}


def not_met(table: pd.DataFrame, events: pd.DataFrame) -> list[str]:
    """One sentence per scenario and precondition that some of its runs did not meet."""
    out = []
    for row in table.itertuples():
        if row.applicable and row.met < row.applicable:
            mine = events[events["scenario"] == row.scenario]
            items = dict.fromkeys(item for _, run in mine.groupby("run", sort=False)
                                  for item in lacked(run, row.precondition) or [])
            what = "; ".join(f"{item} {LACKED[row.precondition]}" for item in items)
            out.append(f"scenario {row.scenario}: {PRECONDITIONS[row.precondition]} in "
                       f"{row.met} of {row.applicable} runs (not met: {what}); its results "
                       "do not show what it was meant to compare")
    return out
