"""Figures of the book as a whole: vintage curves, the profit waterfall, and acquisition
cost against default by channel. Each lender has one panel (vintages, waterfall) or one
colour (channels), the same colour as in the daily series.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from simfin.lending.ledger import KINDS, POSTINGS
from simfin.outputs.figure_style import CENTS_PER_YUAN, RunView, percent_axis, yuan_axis

PANELS_PER_ROW = 3
# Waterfall labels of the ledger's flows into and out of equity.
FLOW_LABELS = {
    "interest_paid": "interest", "fees_paid": "fees", "recoveries": "recoveries",
    "written_off": "write-offs", "funding_cost": "funding", "acquisition_cost": "acquisition",
    "data_cost": "data", "verification_cost": "verification", "review_cost": "manual review",
    "service_cost": "service", "collections_cost": "collections",
    "payment_fees": "payment fees", "infrastructure_cost": "platform",
}
GAIN, LOSS = "#4a9a5b", "#c0504d"


def _panels(fig: Figure, n: int, **kwargs) -> list:
    cols = min(n, PANELS_PER_ROW)
    rows = math.ceil(n / cols)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False, **kwargs)).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return list(axes[:n])


def _shade(colour: tuple, t: float) -> tuple:
    """The lender's colour, lightened towards white by ``1 - t`` (t=1: the colour)."""
    r, g, b = colour[:3]
    w = 0.25 + 0.75 * t
    return (1 - w + w * r, 1 - w + w * g, 1 - w + w * b)


def plot_vintages(view: RunView, fig: Figure) -> None:
    """Cumulative 90+ DPD share by month on book, one line per origination month (darker
    = older), one panel per lender.
    """
    names = list(view.colours)
    axes = _panels(fig, len(names), sharey=True)
    for ax, name in zip(axes, names, strict=True):
        vintages = [v for v in view.summary["lenders"][name].get("vintages", [])
                    if v["cumulative_default"]]
        last = max((v["origination_month"] for v in vintages), default=0)
        for v in vintages:
            curve = v["cumulative_default"]
            t = 1 - v["origination_month"] / last if last else 1.0
            ax.plot(range(1, len(curve) + 1), curve, color=_shade(view.colours[name], t),
                    marker="." if len(curve) < 4 else None,
                    label=f"month {v['origination_month']}" if v is vintages[0]
                    or v is vintages[-1] else None)
        if not vintages:
            booked = view.summary["lenders"][name].get("loans", 0)
            ax.text(0.5, 0.5, "no vintage a month old yet" if booked else "no loans",
                    ha="center", va="center",
                    transform=ax.transAxes, fontsize=8)
        percent_axis(ax)
        ax.set(title=name, xlabel="months on book")
        ax.grid(alpha=0.3)
        if vintages:
            ax.legend(fontsize=7, title="originated", title_fontsize=7)
    axes[0].set_ylabel("cumulative share at 90+ DPD")
    fig.suptitle("Vintage curves: loans reaching default by months on book")


def waterfall_flows(steps, name: str) -> list[tuple[str, float]]:
    """(label, signed yuan) of every flow into or out of equity, for one lender."""
    rows = steps[steps["lender"].astype(str) == name]
    flows = []
    for kind in KINDS:
        sign = POSTINGS[kind][2]
        if sign:
            flows.append((FLOW_LABELS.get(kind, kind),
                          sign * float(rows[kind].sum()) / CENTS_PER_YUAN))
    return flows


def plot_waterfall(view: RunView, fig: Figure) -> None:
    """Profit waterfall per lender: income bars up, costs and losses down, profit last."""
    names = list(view.colours)
    axes = _panels(fig, len(names), sharex=True)
    lo = hi = 0.0
    every = {name: waterfall_flows(view.steps, name) for name in names}
    # Flows that are zero for every lender (a cost the config does not use) are left out.
    used = {label for flows in every.values() for label, value in flows if value}
    for ax, name in zip(axes, names, strict=True):
        flows = [f for f in every[name] if f[0] in used]
        flows = [f for f in flows if f[1] > 0] + [f for f in flows if f[1] <= 0]
        level, labels = 0.0, []
        for y, (label, value) in enumerate(flows):
            ax.barh(y, value, left=level, color=GAIN if value > 0 else LOSS)
            level += value
            lo, hi = min(lo, level), max(hi, level)
            labels.append(label)
        ax.barh(len(flows), level, color=view.colours[name])
        labels.append("profit")
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.axvline(0, color="grey", lw=0.8)
        yuan_axis(ax, "x")
        ax.tick_params(axis="x", labelsize=7, labelrotation=30)
        ax.set_title(f"{name}\nprofit {level:,.0f} yuan", fontsize=9)
        ax.set_xlabel("yuan")
        ax.grid(alpha=0.3, axis="x")
    pad = 0.05 * (hi - lo or 1.0)
    axes[0].set_xlim(lo - pad, hi + pad)  # shared: every panel on one scale
    fig.suptitle("Profit waterfall: income against losses and costs over the run")


def plot_cac_default(view: RunView, fig: Figure) -> None:
    """By channel and lender: acquisition cost per new customer against the defaulted
    share of the loans the channel brought (size: loans).
    """
    ax = fig.add_subplot()
    biggest = max((c["loans"] for ind in view.summary["lenders"].values()
                   for c in ind.get("by_channel", {}).values()), default=0) or 1
    for name, colour in view.colours.items():
        channels = view.summary["lenders"][name].get("by_channel", {})
        shown = False
        for channel, c in channels.items():
            if c["cac"] is None or c["default_share"] is None:
                continue
            ax.scatter(c["cac"] / CENTS_PER_YUAN, c["default_share"], color=colour,
                       s=20 + 300 * c["loans"] / biggest, alpha=0.8,
                       label=None if shown else name, edgecolor="white")
            ax.annotate(channel, (c["cac"] / CENTS_PER_YUAN, c["default_share"]),
                        fontsize=7, xytext=(4, 3), textcoords="offset points")
            shown = True
    yuan_axis(ax, "x")
    percent_axis(ax, decimals=1)
    ax.set(title="Acquisition cost against default, by channel (size: loans)",
           xlabel="CAC, yuan per new customer", ylabel="defaulted share of loans (so far)")
    ax.grid(alpha=0.3)
    if ax.collections:
        ax.legend(fontsize=8, markerscale=0.6)
