"""Figures of the book as a whole: vintage curves, the profit waterfall, and acquisition
cost against default by channel. Each lender has one panel (vintages, waterfall) or one
colour (channels), the same colour as in the daily series.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from simfin.lending.ledger import ALL_POSTINGS, CO_LENDING_KINDS, KINDS
from simfin.outputs.figure_style import CENTS_PER_YUAN, RunView, percent_axis, yuan_axis

PANELS_PER_ROW = 3
# Waterfall labels of the ledger's flows into and out of equity.
FLOW_LABELS = {
    "interest_paid": "interest", "fees_paid": "fees", "recoveries": "recoveries",
    "written_off": "write-offs", "funding_cost": "funding", "acquisition_cost": "acquisition",
    "data_cost": "data", "verification_cost": "verification", "review_cost": "manual review",
    "service_cost": "service", "collections_cost": "collections",
    "payment_fees": "payment fees", "infrastructure_cost": "platform",
    "service_fees": "service fees",
}
GAIN, LOSS = "#4a9a5b", "#c0504d"
CHANNEL_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")


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
    for kind in KINDS + tuple(k for k in CO_LENDING_KINDS if k in rows.columns):
        sign = ALL_POSTINGS[kind][2]
        if sign:
            flows.append((FLOW_LABELS.get(kind, kind),
                          sign * float(rows[kind].sum()) / CENTS_PER_YUAN))
    return flows


def _money_ticks(ax, lo: float, hi: float) -> None:
    """X limits on round yuan ticks that enclose ``lo``..``hi`` (and 0): a panel whose
    levels go below zero has a negative tick.
    """
    ticks = MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]).tick_values(min(lo, 0.0),
                                                                      max(hi, 0.0))
    ax.set_xticks(ticks)
    ax.set_xlim(ticks[0], ticks[-1])


def plot_waterfall(view: RunView, fig: Figure) -> None:
    """Profit waterfall per lender: income bars up, costs and losses down, profit last.
    Each lender has its own scale (a small lender's bars stay readable beside a large one).
    """
    names = list(view.colours)
    axes = _panels(fig, len(names))
    every = {name: waterfall_flows(view.steps, name) for name in names}
    # Flows that are zero for every lender (a cost the config does not use) are left out.
    used = {label for flows in every.values() for label, value in flows if value}
    for ax, name in zip(axes, names, strict=True):
        flows = [f for f in every[name] if f[0] in used]
        flows = [f for f in flows if f[1] > 0] + [f for f in flows if f[1] <= 0]
        level, labels = 0.0, []
        lo = hi = 0.0
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
        _money_ticks(ax, lo, hi)
        yuan_axis(ax, "x")
        ax.tick_params(axis="x", labelsize=7, labelrotation=30)
        ax.set_title(f"{name}\nprofit {level:,.0f} yuan", fontsize=9)
        ax.set_xlabel("yuan (own scale per lender)", fontsize=8)
        ax.grid(alpha=0.3, axis="x")
    fig.suptitle("Profit waterfall: income against losses and costs over the run")


def plot_cac_default(view: RunView, fig: Figure) -> None:
    """By channel and lender: acquisition cost per new customer against the defaulted
    share of the loans the channel brought (colour: lender, marker: channel, size: loans).

    Channels are told apart by marker in the legend beside the axes, not by labels at the
    points: labels of nearby points would overlap.
    """
    ax = fig.add_subplot()
    lenders = view.summary["lenders"]
    biggest = max((c["loans"] for ind in lenders.values()
                   for c in ind.get("by_channel", {}).values()), default=0) or 1
    channels = list(dict.fromkeys(c for ind in lenders.values()
                                  for c in ind.get("by_channel", {})))
    marker = {c: CHANNEL_MARKERS[i % len(CHANNEL_MARKERS)] for i, c in enumerate(channels)}
    shown_lenders, shown_channels = [], []
    for name, colour in view.colours.items():
        for channel, c in lenders[name].get("by_channel", {}).items():
            if c["cac"] is None or c["default_share"] is None:
                continue
            ax.scatter(c["cac"] / CENTS_PER_YUAN, c["default_share"], color=colour,
                       marker=marker[channel], s=20 + 300 * c["loans"] / biggest,
                       alpha=0.8, edgecolor="black", linewidths=0.5)
            shown_lenders += [name] if name not in shown_lenders else []
            shown_channels += [channel] if channel not in shown_channels else []
    yuan_axis(ax, "x")
    percent_axis(ax, decimals=1)
    ax.set(title="Acquisition cost against default, by channel (size: loans)",
           xlabel="CAC, yuan per new customer", ylabel="defaulted share of loans (so far)")
    ax.grid(alpha=0.3)
    if shown_lenders:
        # Legend-only handles: a lender's colour, a channel's marker.
        handles = [ax.scatter([], [], color=view.colours[n], marker="o", s=40, label=n)
                   for n in shown_lenders]
        handles += [ax.scatter([], [], color="#888888", marker=marker[c], s=40,
                               label=f"channel: {c}") for c in shown_channels]
        ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  borderaxespad=0.0)


def plot_frontier(view: RunView, fig: Figure) -> None:
    """Per lender with a model: approval rate against default rate as its approval
    threshold is made stricter, up to the threshold it used (the marked operating point),
    each point with its 95 % interval and its bad loans (binned: each point adds at least
    ``min_bad_loans`` to the one before).
    """
    ax = fig.add_subplot()
    fronts = [ind.get("frontier") or {} for ind in view.summary["lenders"].values()]
    default_dpd = next((f["default_dpd"] for f in fronts if "default_dpd" in f), 90)
    notes, bins = [], set()
    for name, colour in view.colours.items():
        front = view.summary["lenders"][name].get("frontier") or {}
        points = [p for p in front.get("points") or [] if p["default_rate"] is not None]
        if not points:
            notes.append(f"{name}: {front.get('reason') or 'no frontier'}")
            continue
        bins.add(front.get("min_bad_loans"))
        x = np.array([p["approval_rate"] for p in points])
        y = np.array([p["default_rate"] for p in points])
        below = y - np.array([p["default_rate_low"] for p in points])
        above = np.array([p["default_rate_high"] for p in points]) - y
        ax.errorbar(x, y, yerr=[below, above], color=colour, marker=".", capsize=2,
                    lw=1.2, elinewidth=0.8, label=f"{name} (bars: 95 % interval)")
        for p in points:
            ax.annotate(f"{p['bad_loans']}", (p["approval_rate"], p["default_rate"]),
                        xytext=(3, -9), textcoords="offset points", fontsize=6,
                        color=colour)
        used = points[-1]
        ax.scatter([x[-1]], [y[-1]], color=colour, s=90, marker="o", edgecolor="black",
                   zorder=3, label=f"{name}: threshold used ({used['threshold']:.1%}): "
                   f"{used['approved']:,} approved, {used['loans']:,} seasoned loans, "
                   f"{used['bad_loans']:,} bad")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    percent_axis(ax, "x")
    percent_axis(ax, decimals=1)
    binned = ", ".join(str(b) for b in sorted(b for b in bins if b is not None))
    ax.set(title="Approval/default frontier: stricter model thresholds"
           + (f" (each point: {binned}+ more bad loans, numbers: bad loans)" if binned
              else ""),
           xlabel="approval rate (approved / decided applications, model period)",
           ylabel=f"default rate (seasoned loans reaching {default_dpd}+ DPD)")
    ax.title.set_fontsize(9)
    ax.grid(alpha=0.3)
    if notes:  # below the axes (the layout makes room), clear of the points and the legend
        fig.supxlabel("\n".join(notes), fontsize=7, x=0.01, ha="left", color="#555555")
    if ax.lines:
        ax.legend(fontsize=7, loc="upper left")
