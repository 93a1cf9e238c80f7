"""The dashboard's live plots, drawn from the model's DataCollector (one panel per figure).

Each figure shows every lender in its own colour (the same in every figure) and reads the
per-lender reporters of :mod:`simfin.indicators.reporters`. Flows are run-to-date totals there; the
daily series drawn here are their differences (7-day means, so weekends and festivals do not
hide the trend). Money is drawn in yuan.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from simfin.outputs.figure_style import DOWNTURN_COLOUR, DOWNTURN_LABEL

YUAN_PER_CENT = 0.01
SMOOTHING_DAYS = 7
LENDER_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple",
                  "tab:brown", "tab:pink", "tab:gray", "tab:olive", "tab:cyan")
THOUSANDS = FuncFormatter(lambda value, _: f"{value:,.0f}")


def colour(index: int) -> str:
    """The colour of the lender at a config index, in every figure."""
    return LENDER_COLOURS[index % len(LENDER_COLOURS)]


def _series(frame: pd.DataFrame, indicator: str, lender: str) -> pd.Series:
    return frame[f"{indicator}__{lender}"]


def _daily(frame: pd.DataFrame, indicator: str, lender: str) -> pd.Series:
    """A run-to-date total as a daily series, smoothed over a week."""
    daily = _series(frame, indicator, lender).diff().fillna(_series(frame, indicator, lender))
    return daily.rolling(SMOOTHING_DAYS, min_periods=1).mean()


def _days(frame: pd.DataFrame) -> range:
    return range(len(frame))


def _from_zero(ax: Axes) -> None:
    """A non-negative quantity: the axis starts at 0, with whole-number ticks, and stays
    readable while everything is still 0 (no defaults in the first months).
    """
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    top = ax.get_ylim()[1]
    ax.set_ylim(0, max(top, 1.0))


def draw_applications(axes: list[Axes], frame: pd.DataFrame, lenders: list[str]) -> None:
    """Applications (solid) and approvals (dashed) per day, 7-day mean."""
    ax = axes[0]
    for i, name in enumerate(lenders):
        ax.plot(_days(frame), _daily(frame, "applications", name), color=colour(i),
                label=f"{name} applications")
        ax.plot(_days(frame), _daily(frame, "approvals", name), color=colour(i),
                linestyle="--", label=f"{name} approvals")
    ax.set_ylabel("per day (7-day mean)")
    ax.yaxis.set_major_formatter(THOUSANDS)


def draw_balances(axes: list[Axes], frame: pd.DataFrame, lenders: list[str]) -> None:
    """Outstanding principal (left, yuan) and its 30+ DPD share (right, %)."""
    left, right = axes
    for i, name in enumerate(lenders):
        outstanding = _series(frame, "outstanding_cents", name)
        left.plot(_days(frame), outstanding * YUAN_PER_CENT, color=colour(i), label=name)
        share = _series(frame, "dpd30_cents", name) / outstanding.where(outstanding > 0)
        right.plot(_days(frame), share, color=colour(i), label=name)
    left.set_title("outstanding", fontsize="medium")
    left.set_ylabel("yuan")
    left.yaxis.set_major_formatter(THOUSANDS)
    right.set_title("30+ days past due", fontsize="medium")
    right.set_ylabel("share of outstanding")
    right.yaxis.set_major_formatter(PercentFormatter(1.0))
    right.set_ylim(bottom=0)


def draw_credit_losses(axes: list[Axes], frame: pd.DataFrame, lenders: list[str]) -> None:
    """Loans that reached default (left) and losses net of recoveries (right, yuan), to
    date.
    """
    left, right = axes
    for i, name in enumerate(lenders):
        left.plot(_days(frame), _series(frame, "defaults", name), color=colour(i), label=name)
        right.plot(_days(frame), _series(frame, "losses_cents", name) * YUAN_PER_CENT,
                   color=colour(i), label=name)
    left.set_title("defaults (90+ DPD), to date", fontsize="medium")
    left.set_ylabel("loans")
    left.yaxis.set_major_formatter(THOUSANDS)
    right.set_title("losses net of recoveries, to date", fontsize="medium")
    right.set_ylabel("yuan")
    right.yaxis.set_major_formatter(THOUSANDS)
    for ax in axes:
        _from_zero(ax)


def draw_profit(axes: list[Axes], frame: pd.DataFrame, lenders: list[str]) -> None:
    """Profit to date (before provisions: the change in equity plus the allowance), yuan."""
    ax = axes[0]
    for i, name in enumerate(lenders):
        ax.plot(_days(frame), _series(frame, "profit_cents", name) * YUAN_PER_CENT,
                color=colour(i), label=name)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_ylabel("yuan")
    ax.yaxis.set_major_formatter(THOUSANDS)


def draw_satisfaction(axes: list[Axes], frame: pd.DataFrame, lenders: list[str]) -> None:
    """Mean satisfaction of each lender's active borrowers (0 to 1)."""
    ax = axes[0]
    for i, name in enumerate(lenders):
        ax.plot(_days(frame), _series(frame, "satisfaction", name), color=colour(i),
                label=name)
    ax.set_ylabel("mean satisfaction (0-1)")


Drawer = Callable[[list[Axes], pd.DataFrame, list[str]], None]

PANELS: dict[str, tuple[str, int, Drawer]] = {
    "applications": ("Applications and approvals", 1, draw_applications),
    "balances": ("Outstanding and 30+ DPD", 2, draw_balances),
    "losses": ("Defaults and losses", 2, draw_credit_losses),
    "profit": ("Profit to date", 1, draw_profit),
    "satisfaction": ("Borrower satisfaction", 1, draw_satisfaction),
}
"""Panel key -> (title, number of axes, drawer)."""


def panel_figure(key: str, frame: pd.DataFrame, lenders: list[str],
                 days: int | None = None,
                 downturns: Sequence[tuple[int, int]] = ()) -> Figure:
    """One panel as a matplotlib Figure (not attached to pyplot: safe in a server).

    Args:
        key: A key of :data:`PANELS`.
        frame: The DataCollector's model variables, one row per day run.
        lenders: Lender names, in config order.
        days: The run's length (``run.total_days``): the x axis spans it from the first
            day, so that a panel keeps its shape as the run goes on; None fits the days run.
        downturns: Days of the macroeconomic path's downturns so far, as ``(first day,
            day after the last)``, shaded on every axis (none for a steady economy).
    """
    title, n_axes, draw = PANELS[key]
    # Fixed margins, not a layout engine: redrawn on every step, so it must be quick.
    fig = Figure(figsize=(7.0, 3.4))
    fig.subplots_adjust(left=0.14 if n_axes == 1 else 0.15, right=0.97, bottom=0.15,
                        top=0.84, wspace=0.6)
    axes = list(fig.subplots(1, n_axes, squeeze=False)[0])
    fig.suptitle(title)
    if frame.empty:
        for ax in axes:
            ax.text(0.5, 0.5, "press Step or play to run a day", ha="center", va="center",
                    transform=ax.transAxes, color="gray")
            ax.set_xticks([])
            ax.set_yticks([])
        return fig
    draw(axes, frame, lenders)
    for ax in axes:
        for k, (first, end) in enumerate(downturns):
            ax.axvspan(first - 0.5, end - 0.5, color=DOWNTURN_COLOUR, alpha=0.12, lw=0,
                       zorder=0, label=DOWNTURN_LABEL if k == 0 else None)
        ax.set_xlabel("day")
        ax.grid(alpha=0.3)
        if days is not None:
            ax.set_xlim(0, max(days - 1, 1))
    axes[0].legend(fontsize="small", loc="best")
    return fig
