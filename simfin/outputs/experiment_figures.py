"""Figures of an experiment: forest plot of paired differences, sweeps, sensitivity bars.

Every axis of an outcome carries its unit (money in yuan) and plain tick labels: no
``1e6`` offset or scientific notation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from simfin.experiments.outcomes import parse


def plain_axis(ax: Axes, axis: str = "x") -> None:
    """Tick labels as plain numbers: thousands separators from 1,000, no offset."""
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(MaxNLocator(nbins=4))  # room for "-25,000"-wide labels
    target.set_major_formatter(FuncFormatter(
        lambda v, _: f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"))


def _label(outcome: str, text: str) -> str:
    unit = parse(outcome).unit
    return f"{text} ({unit})" if unit else text


def forest(table: pd.DataFrame, outcomes: list[str], baseline: str, lender: str) -> Figure:
    """One panel per outcome: each scenario's paired difference to the baseline with its
    95 % interval; the dashed line is no difference.
    """
    rows = table[(table["lender"] == lender) & (table["scenario"] != baseline)]
    scenarios = list(dict.fromkeys(rows["scenario"]))
    fig = Figure(figsize=(4 * len(outcomes), 0.6 * len(scenarios) + 1.6))
    axes = fig.subplots(1, len(outcomes), squeeze=False)[0]
    for ax, outcome in zip(axes, outcomes, strict=True):
        sub = rows[rows["outcome"] == outcome].set_index("scenario").reindex(scenarios)
        y = np.arange(len(scenarios))
        err = np.vstack([sub["diff"] - sub["diff_low"], sub["diff_high"] - sub["diff"]])
        ax.errorbar(sub["diff"], y, xerr=np.nan_to_num(err), fmt="o", capsize=4)
        ax.axvline(0, color="grey", linestyle="--", linewidth=1)
        ax.set_yticks(y, scenarios)
        ax.invert_yaxis()
        plain_axis(ax, "x")
        ax.set(title=_label(outcome, outcome), xlabel=_label(outcome, f"difference to {baseline}"))
    fig.suptitle(f"{lender}: paired difference to {baseline} (95 % interval)")
    fig.tight_layout()
    return fig


def sweep(results: pd.DataFrame, outcome: str, parameters: list[str], lender: str) -> Figure:
    """One panel per swept parameter: the outcome of every run (dots) and the mean over
    replicates at each design point (line through the sorted points), per scenario.
    """
    rows = results[results["lender"] == lender]
    fig = Figure(figsize=(4 * len(parameters), 3.4))
    axes = fig.subplots(1, len(parameters), squeeze=False)[0]
    for ax, name in zip(axes, parameters, strict=True):
        for scenario, group in rows.groupby("scenario", sort=False):
            ax.scatter(group[name].astype(str) if group[name].dtype == object else group[name],
                       group[outcome], s=10, alpha=0.4)
            means = group.groupby(name, sort=True)[outcome].mean()
            ax.plot(means.index.astype(str) if means.index.dtype == object else means.index,
                    means.to_numpy(), marker=".", label=scenario)
        plain_axis(ax, "y")
        ax.set(xlabel=name, ylabel=_label(outcome, outcome))
    if rows["scenario"].nunique() > 1:
        axes[0].legend(fontsize=8)
    fig.suptitle(f"{lender}: {outcome} against each swept parameter")
    fig.tight_layout()
    return fig


def sensitivity_bars(table: pd.DataFrame, outcome: str) -> Figure:
    """Bars of each parameter's indices with their confidence intervals."""
    sub = table[table["outcome"] == outcome]
    names = list(sub["parameter"])
    x = np.arange(len(names))
    fig = Figure(figsize=(max(5, 1.2 * len(names) + 2), 3.8))
    ax = fig.add_subplot()
    if "S1" in sub:
        ax.bar(x - 0.2, sub["S1"], 0.4, yerr=sub["S1_conf"], capsize=3, label="first order S1")
        ax.bar(x + 0.2, sub["ST"], 0.4, yerr=sub["ST_conf"], capsize=3, label="total ST")
        ax.set_ylabel("Sobol' index")
    else:
        ax.bar(x, sub["mu_star"], 0.6, yerr=sub["mu_star_conf"], capsize=3, label="mu*")
        ax.set_ylabel("Morris mu* (outcome per unit of the normalised parameter)")
    ax.set_xticks(x, names, rotation=20, ha="right", fontsize=8)
    ax.legend(fontsize=8)
    ax.set_title(f"sensitivity of {outcome} (95 % intervals)")
    fig.tight_layout()
    return fig
