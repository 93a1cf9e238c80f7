"""PNG figures of a run: the daily series per lender, and (in ``figures_book``) the
vintages, the profit waterfall and acquisition cost against default by channel.

Every figure function takes a :class:`RunView` and a bare matplotlib ``Figure`` and draws
into it; counts and yuan never share an axis (a figure that shows both has two panels).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from simfin.outputs.figure_style import (
    CENTS_PER_YUAN,
    DPI,
    FIGSIZE,
    RunView,
    mark_events,
    percent_axis,
    yuan_axis,
)
from simfin.outputs.figures_book import (
    plot_cac_default,
    plot_frontier,
    plot_vintages,
    plot_waterfall,
)
from simfin.outputs.figures_provisions import plot_provisions, plot_stage_migration

ROLLING_DAYS = 7  # daily counts are shown as this many days' mean
MACRO_FIGURE = "macro.png"
STANDING_FIGURE = "standing.png"  # in a market with strategies, entry days or a capital rule
"""Written beside :data:`FIGURES` only when the run's macroeconomic path moved."""
MULTIPLIERS = (("macro_job_loss", "income-shock incidence (job_loss)"),
               ("macro_shock_income", "income kept in a shock (shock_income)"),
               ("macro_income", "income"), ("macro_collections", "collections (cure rate)"))


def _finish(ax, view: RunView, title: str, ylabel: str, marks: bool = True) -> None:
    if marks:
        mark_events(ax, view.events, view.colours)
    ax.set(title=title, ylabel=ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncols=2, loc="best")


def plot_applications(view: RunView, fig: Figure) -> None:
    """Applications (solid) and approvals (dashed) per day, 7-day mean, per lender."""
    ax = fig.add_subplot()
    for name, colour, g in view.lenders():
        ax.plot(g.index, g["applications"].rolling(ROLLING_DAYS, min_periods=1).mean(),
                color=colour, label=f"{name} applications")
        ax.plot(g.index, g["approvals"].rolling(ROLLING_DAYS, min_periods=1).mean(),
                color=colour, ls="--", label=f"{name} approvals")
    ax.set_xlabel("day")
    _finish(ax, view, "Applications and approvals (7-day mean)", "per day")


def _rolling_ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    num = num.rolling(ROLLING_DAYS, min_periods=1).sum()
    den = den.rolling(ROLLING_DAYS, min_periods=1).sum()
    return (num / den.where(den > 0)).astype(float)


def plot_ratios(view: RunView, fig: Figure) -> None:
    """Approval rate (7-day) and the 30+ DPD share of the outstanding, each on its axis."""
    top, bottom = fig.subplots(2, 1, sharex=True)
    for name, colour, g in view.lenders():
        decided = g["approvals"] + g["declined"] + g["referred"]
        top.plot(g.index, _rolling_ratio(g["approvals"], decided), color=colour, label=name)
        dpd30 = (g["dpd30_balance"] / g["outstanding"].where(g["outstanding"] > 0)).astype(
            float)
        bottom.plot(g.index, dpd30, color=colour, label=name)
    for ax in (top, bottom):
        percent_axis(ax)
    _finish(top, view, "Approval rate (approvals / decided, 7 days)", "approval rate")
    _finish(bottom, view, "30+ DPD ratio (30+ DPD balance / outstanding)", "30+ DPD")
    bottom.set_xlabel("day")


def plot_outstanding(view: RunView, fig: Figure) -> None:
    """Outstanding principal per lender, in yuan."""
    ax = fig.add_subplot()
    for name, colour, g in view.lenders():
        ax.plot(g.index, g["outstanding"] / CENTS_PER_YUAN, color=colour, label=name)
    yuan_axis(ax)
    ax.set_xlabel("day")
    _finish(ax, view, "Outstanding balance", "yuan")


def plot_losses(view: RunView, fig: Figure) -> None:
    """Cumulative defaults (loans) and cumulative net write-offs (yuan): two panels."""
    count, money = fig.subplots(1, 2)
    for name, colour, g in view.lenders():
        count.plot(g.index, g["new_defaults"].cumsum(), color=colour, label=name)
        net = (g["written_off"] - g["recoveries"]).cumsum() / CENTS_PER_YUAN
        money.plot(g.index, net, color=colour, label=name)
    yuan_axis(money)
    _finish(count, view, "Cumulative defaults (90+ DPD)", "loans", marks=False)
    _finish(money, view, "Cumulative net write-offs", "yuan", marks=False)
    for ax in (count, money):
        ax.set_xlabel("day")


def plot_profit(view: RunView, fig: Figure) -> None:
    """Cumulative profit per lender, in yuan."""
    ax = fig.add_subplot()
    for name, colour, g in view.lenders():
        ax.plot(g.index, g["profit"].cumsum() / CENTS_PER_YUAN, color=colour, label=name)
    ax.axhline(0, color="grey", lw=0.8)
    yuan_axis(ax)
    ax.set_xlabel("day")
    _finish(ax, view, "Cumulative profit", "yuan")


def plot_standing(view: RunView, fig: Figure) -> None:
    """In a market with strategies, entries or a capital rule: each lender's capital ratio
    (the minimum in force dashed; days it could not lend shaded) and its levers.
    """
    ratio, levers = fig.subplots(2, 1, sharex=True)
    minimum = [(span["from_day"], span.get("min_capital_ratio"))
               for span in view.summary.get("policy", {}).get("in_force", [])]
    for name, colour, g in view.lenders():
        ratio.plot(g.index, g["capital_ratio"], color=colour, label=name)
        shut = g["lending_stopped"] | ~g["in_market"]
        ratio.fill_between(g.index, 0, 1, where=shut.to_numpy(), color=colour, alpha=0.12,
                           transform=ratio.get_xaxis_transform(), lw=0)
        levers.plot(g.index, g["limit_multiplier"], color=colour, label=f"{name} limits x")
        levers.plot(g.index, 1 + g["price_markup"], color=colour, ls=":",
                    label=f"{name} 1 + markup")
        if g["approval_threshold"].notna().any():
            levers.plot(g.index, 10 * g["approval_threshold"], color=colour, ls="--",
                        label=f"{name} 10 x threshold")
    if any(level is not None for _, level in minimum):
        days = [day for day, _ in minimum] + [view.steps["day"].max()]
        levels = [level for _, level in minimum] + [minimum[-1][1]]
        ratio.step(days, [float("nan") if v is None else v for v in levels], where="post",
                   color="k", ls="--", lw=1, label="minimum")
    ratio.set_yscale("symlog", linthresh=1.0)
    _finish(ratio, view, "Capital ratio (equity / risk-weighted loans; shaded: not lending)",
            "ratio")
    _finish(levers, view, "Levers (limit multiplier, 1 + price markup, 10 x threshold)",
            "level")
    levers.set_xlabel("day")


def has_macro_path(steps: pd.DataFrame) -> bool:
    """Whether the run recorded a macroeconomic path (``macro_*`` columns: not steady)."""
    return any(str(c).startswith("macro_") for c in steps.columns)


def plot_macro(view: RunView, fig: Figure) -> None:
    """The macroeconomic path the run went through, day by day: the drivers consumers and
    collections feel (factors, 1 = the steady market), the demand factor by scenario, and
    the shifts of the funding rate and the online share; downturn days shaded.
    """
    daily = view.steps.groupby("day").first()
    drivers, demand, shifts = fig.subplots(3, 1, sharex=True)
    for column, label in MULTIPLIERS:
        if column in daily:
            drivers.plot(daily.index, daily[column], label=label)
    for column in [c for c in daily.columns if str(c).startswith("macro_demand_")]:
        demand.plot(daily.index, daily[column], lw=1.2,
                    label=str(column).removeprefix("macro_demand_"))
    for column, label in (("macro_funding_rate_shift", "funding rate (added, per year)"),
                          ("macro_online_shift", "online share (added)")):
        if column in daily:
            shifts.plot(daily.index, daily[column], label=label)
    for ax in (drivers, demand):
        ax.axhline(1.0, color="grey", lw=0.8)
    shifts.axhline(0.0, color="grey", lw=0.8)
    percent_axis(shifts)
    _finish(drivers, view, "Macroeconomic path: drivers (1 = steady market)", "factor")
    _finish(demand, view, "Demand factor by scenario", "factor")
    _finish(shifts, view, "Shifts", "added")
    shifts.set_xlabel("day")


def _registry() -> dict[str, tuple[Callable[[RunView, Figure], None], tuple[float, float]]]:
    tall = (FIGSIZE[0], FIGSIZE[1] * 1.5)
    return {
        "applications.png": (plot_applications, FIGSIZE),
        "ratios.png": (plot_ratios, tall),
        "outstanding.png": (plot_outstanding, FIGSIZE),
        "losses.png": (plot_losses, FIGSIZE),
        "profit.png": (plot_profit, FIGSIZE),
        "provisions.png": (plot_provisions, tall),
        "stage_migration.png": (plot_stage_migration, tall),
        "vintages.png": (plot_vintages, tall),
        "waterfall.png": (plot_waterfall, tall),
        "cac_default.png": (plot_cac_default, FIGSIZE),
        "frontier.png": (plot_frontier, FIGSIZE),
    }


FIGURES = tuple(_registry())  # file names, in report order


def write_figures(result, folder: Path) -> list[Path]:
    """Write every figure of :data:`FIGURES` into ``folder``, :data:`MACRO_FIGURE` when the
    run's macroeconomic path moved and :data:`STANDING_FIGURE` when the run recorded the
    lenders' standing; returns the paths.
    """
    folder.mkdir(parents=True, exist_ok=True)
    view = RunView.of(result)
    paths = []
    figures = _registry()
    if has_macro_path(view.steps):
        figures[MACRO_FIGURE] = (plot_macro, (FIGSIZE[0], FIGSIZE[1] * 2))
    if "capital_ratio" in view.steps.columns:  # a market with conduct: its standing
        figures[STANDING_FIGURE] = (plot_standing, (FIGSIZE[0], FIGSIZE[1] * 1.5))
    for filename, (plot, size) in figures.items():
        # A bare Figure (not pyplot) draws to a file without touching the user's backend
        # or pyplot's list of open figures.
        fig = Figure(figsize=size, layout="constrained")
        plot(view, fig)
        path = folder / filename
        fig.savefig(path, dpi=DPI)
        paths.append(path)
    return paths
