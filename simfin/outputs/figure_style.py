"""What every run figure shares: one colour per lender, money and ratio axes, event marks.

A lender keeps its colour in every figure (its position in the config picks it), money is
shown in yuan with thousands separators and never with an axis offset, and the days that
explain a bend in a series are marked: a lender's model going live, festival days, the
regulator's policy changes, the run-off (``run.runoff_days``: no new loans), when the
run's macroeconomic path moves (``macro.scenario`` not steady) its downturn days, and, in a
market with them, each lender's strategy decisions and capital events
(``simfin.agents.conduct``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import matplotlib as mpl
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, PercentFormatter

from simfin.config.policy import describe_levers
from simfin.outputs.report import policy_record

CENTS_PER_YUAN = 100.0
FIGSIZE = (8.0, 4.5)  # inches at 100 dpi: readable at report width
DPI = 100
FESTIVAL_COLOUR = "#bbbbbb"
POLICY_COLOUR = "#444444"
DOWNTURN_COLOUR = "#d62728"
DOWNTURN_LABEL = "downturn (macro path)"
DOWNTURN = (("macro_job_loss", ">", 1.0), ("macro_shock_income", "<", 1.0),
            ("macro_income", "<", 1.0), ("macro_collections", "<", 1.0))
"""A day is in a downturn when any of these drivers is on its adverse side of neutral:
more income shocks than the steady market, deeper ones, lower incomes, or disrupted
collections (``steps.parquet``'s ``macro_*`` columns)."""


def lender_colours(names: list[str]) -> dict[str, tuple]:
    """A fixed colour per lender, by its position in the config (tab10, then tab20)."""
    cmap = mpl.colormaps["tab10" if len(names) <= 10 else "tab20"]
    return {name: cmap(i % cmap.N) for i, name in enumerate(names)}


def yuan_axis(ax: Axes, axis: str = "y") -> None:
    """Tick labels in whole yuan with thousands separators (no ``1e7`` offset)."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def percent_axis(ax: Axes, axis: str = "y", decimals: int | None = None) -> None:
    """Tick labels of a ratio (0..1) as percentages."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(PercentFormatter(1.0, decimals=decimals))


@dataclass
class Events:
    """Days to mark on time-series figures."""

    model_live: dict[str, int] = field(default_factory=dict)  # lender -> first model day
    festivals: list[int] = field(default_factory=list)  # run days that are festival days
    policy: list[tuple[int, str]] = field(default_factory=list)  # (day, fields it changed)
    runoff_from: int | None = None  # first day of the run-off (no new loans), if any
    downturns: list[tuple[int, int]] = field(default_factory=list)  # [first, end) days
    # (day, lender, action) of each strategy decision that moved a lever and each capital
    # event (lending_stopped, lending_restored, left_market, entered_market)
    conduct: list[tuple[int, str, str]] = field(default_factory=list)


CONDUCT_MARKERS = {"tighten": "v", "loosen": "^", "cut_price": "<", "raise_price": ">",
                   "lending_stopped": "x", "lending_restored": "o", "left_market": "X",
                   "entered_market": "P"}
"""Marker of each decision on the figures (any other action of a custom strategy: *)."""


def _conduct(summary: dict) -> list[tuple[int, str, str]]:
    """The run's strategy decisions that moved a lever, and its capital events."""
    moved = [(e["day"], e["lender"], e["action"]) for e in summary.get("strategy_decisions", [])
             if e.get("before") != e.get("after")]
    capital = [(e["day"], e["lender"], e["action"]) for e in summary.get("capital_events", [])]
    return sorted(moved + capital)


def downturn_spans(steps: pd.DataFrame) -> list[tuple[int, int]]:
    """The runs of consecutive days in a downturn (:data:`DOWNTURN`), as ``(first day,
    day after the last)``; none for a run without ``macro_*`` columns (a steady economy).
    """
    present = [(c, op, v) for c, op, v in DOWNTURN if c in steps]
    if not present or not len(steps):
        return []
    daily = steps.groupby("day")[[c for c, _, _ in present]].first()
    down = pd.Series(False, index=daily.index)
    for column, op, neutral in present:
        down |= daily[column] > neutral if op == ">" else daily[column] < neutral
    spans, start = [], None
    for day, flag in down.items():
        if flag and start is None:
            start = day
        elif not flag and start is not None:
            spans.append((int(start), int(day)))
            start = None
    if start is not None:
        spans.append((int(start), int(down.index[-1]) + 1))
    return spans


def _policy_changes(config, summary: dict) -> list[tuple[int, str]]:
    """The schedule entries the run applied (:func:`simfin.outputs.report.policy_record`):
    (day, "apr_cap=24%, consortium=on"), naming exactly the fields each entry changed.
    """
    return [(int(entry["day"]), describe_levers(entry["changes"]))
            for entry in policy_record(config, summary)["changes_applied"]]


def events_of(config, summary: dict, steps: pd.DataFrame | None = None) -> Events:
    """The marks of a run: model go-live per lender, festivals, policy changes, the
    run-off and (from ``steps``' macro columns) the downturn days.
    """
    festival_days = {d for s in config.scenarios for d in s.festival_days}
    return Events(
        model_live={name: ind["model_since_day"] for name, ind in summary["lenders"].items()
                    if ind.get("model_since_day") is not None},
        festivals=[d for d in range(config.run.steps) if d % 365 in festival_days],
        policy=_policy_changes(config, summary),
        runoff_from=config.run.steps if getattr(config.run, "runoff_days", 0) else None,
        downturns=downturn_spans(steps) if steps is not None else [],
        conduct=_conduct(summary),
    )


def mark_events(ax: Axes, events: Events, colours: dict[str, tuple]) -> None:
    """Vertical marks: festivals (grey band), model go-live (dotted, lender colour),
    policy changes (dash-dot, labelled at the top), the run-off (hatched, to the end),
    the macro path's downturn days (light red bands).
    """
    for k, (first, end) in enumerate(events.downturns):
        ax.axvspan(first - 0.5, end - 0.5, color=DOWNTURN_COLOUR, alpha=0.12, lw=0,
                   zorder=0, label=DOWNTURN_LABEL if k == 0 else None)
    if events.runoff_from is not None:
        ax.axvspan(events.runoff_from - 0.5, ax.get_xlim()[1], facecolor="none",
                   edgecolor=FESTIVAL_COLOUR, hatch="//", lw=0, zorder=0,
                   label="run-off: no new loans")
    for k, day in enumerate(events.festivals):
        ax.axvspan(day - 0.5, day + 0.5, color=FESTIVAL_COLOUR, alpha=0.6, lw=0, zorder=0,
                   label="festival day" if k == 0 else None)
    for name, day in events.model_live.items():
        ax.axvline(day, color=colours.get(name, "k"), lw=1.8, ls=":", zorder=1,
                   label=f"{name}: model live")
    for k, (day, what) in enumerate(events.policy):
        ax.axvline(day, color=POLICY_COLOUR, lw=1.0, ls="-.", zorder=1,
                   label="policy change" if k == 0 else None)
        ax.annotate(what, (day, 1.0), xycoords=("data", "axes fraction"), fontsize=7,
                    rotation=90, va="top", ha="right", color=POLICY_COLOUR)
    labelled: set[str] = set()
    for day, lender, action in events.conduct:  # at the top edge, in the lender's colour
        ax.plot([day], [0.97], marker=CONDUCT_MARKERS.get(action, "*"), ls="none",
                color=colours.get(lender, "k"), ms=6, transform=ax.get_xaxis_transform(),
                label=None if action in labelled else action.replace("_", " "), zorder=3)
        labelled.add(action)


@dataclass
class RunView:
    """What the figures read from a run."""

    steps: pd.DataFrame
    summary: dict
    colours: dict[str, tuple]
    events: Events

    @classmethod
    def of(cls, result) -> RunView:
        """From a :class:`simfin.RunResult` (or anything with steps, summary, config)."""
        names = list(result.summary["lenders"])
        return cls(result.steps, result.summary, lender_colours(names),
                   events_of(result.config, result.summary, result.steps))

    def lenders(self):
        """(name, colour, that lender's rows indexed by day), in config order."""
        for name, colour in self.colours.items():
            rows = self.steps[self.steps["lender"].astype(str) == name]
            yield name, colour, rows.set_index("day")
