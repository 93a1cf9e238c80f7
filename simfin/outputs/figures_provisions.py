"""Figures of the IFRS 9 provisions: the allowance and profit after provisions by day, and
the stage migration of each lender's book (one panel per lender, in its colour).
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from simfin.outputs.figure_style import CENTS_PER_YUAN, RunView, mark_events, yuan_axis
from simfin.outputs.figures_book import _panels


def plot_provisions(view: RunView, fig: Figure) -> None:
    """The allowance per lender (top) and cumulative profit after provisions (solid)
    against profit before them (dashed), in yuan.
    """
    top, bottom = fig.subplots(2, 1, sharex=True)
    for name, colour, g in view.lenders():
        top.plot(g.index, g["allowance"] / CENTS_PER_YUAN, color=colour, label=name)
        bottom.plot(g.index, g["profit_after_provisions"].cumsum() / CENTS_PER_YUAN,
                    color=colour, label=f"{name} after provisions")
        bottom.plot(g.index, g["profit"].cumsum() / CENTS_PER_YUAN, color=colour, ls="--",
                    label=f"{name} before provisions")
    bottom.axhline(0, color="grey", lw=0.8)
    for ax, title in ((top, "Allowance for expected credit losses"),
                      (bottom, "Cumulative profit after and before provisions")):
        mark_events(ax, view.events, view.colours)
        yuan_axis(ax)
        ax.set(title=title, ylabel="yuan")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncols=2, loc="best")
    bottom.set_xlabel("day")


def plot_stage_migration(view: RunView, fig: Figure) -> None:
    """Where each stage's balance went, per lender: for the balance in a stage at the start
    of each 30-day period (or originated in it), the share that was in each stage, repaid
    or written off at the period's end, summed over the run; each row's total in yuan.
    """
    names = list(view.colours)
    axes = _panels(fig, len(names))
    for ax, name in zip(axes, names, strict=True):
        matrix = view.summary["lenders"][name].get("stage_migration") or {}
        origins = list(matrix)
        targets = list(next(iter(matrix.values()))) if matrix else []
        cents = np.array([[matrix[o][t] for t in targets] for o in origins], dtype=float)
        totals = cents.sum(axis=1) if len(cents) else np.zeros(0)
        shares = cents / np.where(totals > 0, totals, 1.0)[:, None] if len(cents) else cents
        cmap = LinearSegmentedColormap.from_list(name, ["white", view.colours[name]])
        if len(cents):
            ax.imshow(shares, cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto")
        for i in range(shares.shape[0] if len(cents) else 0):
            for j in range(shares.shape[1]):
                if cents[i, j] > 0:
                    ax.text(j, i, f"{shares[i, j]:.0%}" if shares[i, j] >= 0.005 else "<1%",
                            ha="center", va="center", fontsize=7,
                            color="white" if shares[i, j] > 0.6 else "black")
        ax.set_xticks(range(len(targets)), [t.replace("_", " ") for t in targets],
                      fontsize=7, rotation=30)
        ax.set_yticks(range(len(origins)),
                      [f"{o}\n{t / CENTS_PER_YUAN:,.0f}" for o, t in zip(origins, totals,
                                                                         strict=True)],
                      fontsize=7)
        if not totals.any():
            ax.text(0.5, 0.5, "no loans", ha="center", va="center", transform=ax.transAxes,
                    fontsize=8)
        ax.set(title=name, xlabel="at the end of the period")
    axes[0].set_ylabel("at the start (yuan)")
    fig.suptitle("Stage migration: where each stage's balance was 30 days later")
