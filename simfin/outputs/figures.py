"""PNG figures of a run's main series, per lender."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

YUAN = 100.0  # cents per yuan


def _per_lender(ax, steps: pd.DataFrame, column: str, scale: float = 1.0,
                cumulative: bool = False, label_suffix: str = "") -> None:
    for name, group in steps.groupby("lender", observed=True):
        series = group.set_index("day")[column] / scale
        if cumulative:
            series = series.cumsum()
        ax.plot(series.index, series.to_numpy(), label=f"{name}{label_suffix}")


def plot_applications(steps: pd.DataFrame, ax=None):
    """Applications and approvals per day (7-day mean), per lender."""
    ax = ax or plt.gca()
    for name, group in steps.groupby("lender", observed=True):
        g = group.set_index("day")
        line, = ax.plot(g.index, g["applications"].rolling(7, min_periods=1).mean(),
                        label=f"{name} applications")
        ax.plot(g.index, g["approvals"].rolling(7, min_periods=1).mean(), ls="--",
                color=line.get_color(), label=f"{name} approvals")
    ax.set(title="Applications and approvals (7-day mean)", xlabel="day", ylabel="per day")
    ax.legend(fontsize=8)
    return ax


def plot_outstanding(steps: pd.DataFrame, ax=None):
    """Outstanding principal and its 30+ DPD part, per lender."""
    ax = ax or plt.gca()
    _per_lender(ax, steps, "outstanding", YUAN)
    _per_lender(ax, steps, "dpd30_balance", YUAN, label_suffix=" 30+ DPD")
    ax.set(title="Outstanding balance", xlabel="day", ylabel="yuan")
    ax.legend(fontsize=8)
    return ax


def plot_losses(steps: pd.DataFrame, ax=None):
    """Cumulative defaults (count) and net write-offs (yuan), per lender."""
    ax = ax or plt.gca()
    _per_lender(ax, steps, "new_defaults", cumulative=True, label_suffix=" defaults")
    ax.set(title="Cumulative defaults (90+ DPD)", xlabel="day", ylabel="loans")
    ax2 = ax.twinx()
    net = steps.assign(net_loss=steps["written_off"] - steps["recoveries"])
    for name, group in net.groupby("lender", observed=True):
        g = group.set_index("day")
        ax2.plot(g.index, g["net_loss"].cumsum() / YUAN, ls=":", label=f"{name} net loss")
    ax2.set_ylabel("net write-offs, yuan")
    ax.legend(fontsize=8, loc="upper left")
    ax2.legend(fontsize=8, loc="lower right")
    return ax


def plot_profit(steps: pd.DataFrame, ax=None):
    """Cumulative profit, per lender."""
    ax = ax or plt.gca()
    _per_lender(ax, steps, "profit", YUAN, cumulative=True)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set(title="Cumulative profit", xlabel="day", ylabel="yuan")
    ax.legend(fontsize=8)
    return ax


FIGURES = {
    "applications.png": plot_applications,
    "outstanding.png": plot_outstanding,
    "losses.png": plot_losses,
    "profit.png": plot_profit,
}


def write_figures(steps: pd.DataFrame, folder: Path) -> list[Path]:
    """Write every figure of :data:`FIGURES` into ``folder``; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for filename, plot in FIGURES.items():
        # A bare Figure (not pyplot) draws to a file without touching the user's backend
        # or pyplot's list of open figures.
        fig = Figure(figsize=(8, 4.5))
        plot(steps, fig.add_subplot())
        fig.tight_layout()
        path = folder / filename
        fig.savefig(path, dpi=100)
        paths.append(path)
    return paths
