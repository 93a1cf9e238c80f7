"""Run figures: all produced, one colour per lender, event marks, honest axes."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from simfin.outputs.figure_style import RunView, events_of, yuan_axis
from simfin.outputs.figures import (
    FIGURES,
    plot_applications,
    plot_losses,
    plot_profit,
    plot_ratios,
    write_figures,
)
from simfin.outputs.figures_book import plot_cac_default, plot_waterfall, waterfall_flows
from tests.conftest import TWO_LENDERS

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def view(small_run) -> RunView:
    return RunView.of(small_run)


def _draw(plot, view) -> Figure:
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    plot(view, fig)
    fig.canvas.draw()  # tick labels and offsets exist only once drawn
    return fig


def test_every_figure_is_written(small_run, tmp_path: Path):
    paths = write_figures(small_run, tmp_path)
    assert [p.name for p in paths] == list(FIGURES)
    for name in ("ratios.png", "vintages.png", "waterfall.png", "cac_default.png"):
        assert name in FIGURES
    for path in paths:
        assert path.read_bytes()[:8] == PNG and path.stat().st_size > 10_000, path.name


def test_a_lender_has_one_colour_in_every_figure(view):
    for plot in (plot_applications, plot_ratios, plot_losses, plot_profit):
        fig = _draw(plot, view)
        for ax in fig.axes:
            for line in ax.get_lines():
                name = line.get_label().split(" ")[0]
                if name in view.colours and "model live" not in line.get_label():
                    assert to_rgba(line.get_color()) == to_rgba(view.colours[name]), \
                        (plot.__name__, line.get_label())
    fig = _draw(plot_cac_default, view)
    legend = {t.get_text(): h for t, h in zip(fig.axes[0].get_legend().get_texts(),
                                               fig.axes[0].get_legend().legend_handles,
                                               strict=True)}
    for name, colour in view.colours.items():
        assert to_rgba(legend[name].get_facecolor()[0])[:3] == pytest.approx(
            to_rgba(colour)[:3])


def test_no_figure_has_twin_axes(view):
    for plot in (plot_applications, plot_ratios, plot_losses, plot_profit):
        fig = _draw(plot, view)
        boxes = [tuple(ax.get_position().bounds) for ax in fig.axes]
        assert len(set(boxes)) == len(boxes), plot.__name__


def test_money_axes_are_yuan_with_separators_and_no_offset(view):
    fig = _draw(plot_profit, view)
    ax = fig.axes[0]
    assert ax.yaxis.get_offset_text().get_text() == ""
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert any("," in t for t in labels), labels  # thousands of yuan, separated
    fig = Figure()
    ax = fig.add_subplot()
    ax.plot([0, 1], [12_000_000, 12_000_100])  # would get a 1.2e7 offset by default
    yuan_axis(ax)
    fig.canvas.draw()
    assert ax.yaxis.get_offset_text().get_text() == ""


def test_model_go_live_is_marked(small_run, view):
    live = {n: v["model_since_day"] for n, v in small_run.summary["lenders"].items()
            if v["model_since_day"] is not None}
    assert live  # precondition: a model went live
    fig = _draw(plot_applications, view)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    for name in live:
        assert f"{name}: model live" in labels


def test_festivals_and_policy_changes_are_marked_and_optional(small_run):
    summary = small_run.summary
    plain = events_of(small_run.config, summary)
    assert plain.festivals == [] and plain.policy == []  # no schedule: nothing, no error
    config = SimpleNamespace(
        scenarios=[SimpleNamespace(festival_days=[10, 35])],
        run=SimpleNamespace(steps=400),
        policy=SimpleNamespace(schedule=[]))
    # the marks are the changes the regulator applied, each naming the fields it changed
    applied = [{"day": 50, "changes": {"apr_cap": 0.24}}]
    summary = {**summary, "policy": {**summary["policy"], "changes_applied": applied}}
    events = events_of(config, summary)
    assert events.festivals == [10, 35, 375]  # every year of the run
    assert events.policy == [(50, "apr_cap=24%")]
    view = RunView(small_run.steps, summary, RunView.of(small_run).colours, events)
    fig = _draw(plot_applications, view)
    labels = [h.get_label() for h in fig.axes[0].get_legend().legend_handles]
    assert "festival day" in labels and "policy change" in labels


def test_the_runoff_is_marked_from_its_first_day(small_run):
    summary = small_run.summary
    assert events_of(small_run.config, summary).runoff_from is None  # no run-off, no mark
    config = SimpleNamespace(scenarios=[], run=SimpleNamespace(steps=80, runoff_days=40),
                             policy=SimpleNamespace(schedule=[]))
    events = events_of(config, summary)
    assert events.runoff_from == 80
    view = RunView(small_run.steps, summary, RunView.of(small_run).colours, events)
    fig = _draw(plot_applications, view)
    ax = fig.axes[0]
    labels = [h.get_label() for h in ax.get_legend().legend_handles]
    assert "run-off: no new loans" in labels
    span = next(p for p in ax.patches if p.get_label() == "run-off: no new loans")
    assert span.get_x() == 79.5


def test_waterfall_adds_up_to_the_profit(small_run, view):
    for name, ind in small_run.summary["lenders"].items():
        total = sum(value for _, value in waterfall_flows(small_run.steps, name))
        assert total == pytest.approx(ind["profit"] / 100)
    fig = _draw(plot_waterfall, view)
    assert len([ax for ax in fig.axes if ax.get_visible()]) == len(view.colours)


def test_figures_of_a_run_without_loans(tmp_path: Path):
    import simfin

    rules = [{"name": "everyone", "when": "age_years >= 0", "action": "reject",
              "reason": "ALL_OUT"}]
    result = simfin.run(TWO_LENDERS, steps=20, overrides={
        "population.n_consumers": 1_000, "lenders.0.risk.rules": rules,
        "lenders.1.risk.rules": rules})
    assert result.summary["market"]["loans"] == 0  # precondition
    paths = write_figures(result, tmp_path)
    assert all(p.read_bytes()[:8] == PNG for p in paths)


def _levels(flows: list[tuple[str, float]]) -> list[float]:
    """Running levels of a waterfall (income first, then costs), as the figure draws it."""
    ordered = [f for f in flows if f[1] > 0] + [f for f in flows if f[1] <= 0]
    levels, level = [0.0], 0.0
    for _, value in ordered:
        level += value
        levels.append(level)
    return levels


def _tick_values(ax) -> list[float]:
    return [float(t.get_text().replace(",", "").replace("\u2212", "-"))
            for t in ax.get_xticklabels() if t.get_text()]


def _small_lender_view(view: RunView) -> RunView:
    """The run with its first lender's money flows cut twentyfold: a small lender beside a
    large one.
    """
    from simfin.lending.ledger import KINDS

    steps = view.steps.copy()
    small = steps["lender"].astype(str) == next(iter(view.colours))
    for kind in KINDS:
        steps.loc[small, kind] = (steps.loc[small, kind] // 20).astype(steps[kind].dtype)
    return RunView(steps, view.summary, view.colours, view.events)


def test_waterfall_gives_each_lender_its_own_scale_with_negative_ticks(view):
    view = _small_lender_view(view)
    fig = _draw(plot_waterfall, view)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    levels = {name: _levels(waterfall_flows(view.steps, name)) for name in view.colours}
    spans = [max(v) - min(v) for v in levels.values()]
    assert max(spans) > 10 * min(spans)  # precondition: a small lender beside a large one
    assert any(min(v) < 0 for v in levels.values())  # precondition: a loss to show
    limits = [ax.get_xlim() for ax in axes]
    assert len(set(limits)) == len(limits)  # not one shared scale
    for ax, name in zip(axes, view.colours, strict=True):
        lo, hi = ax.get_xlim()
        assert lo <= min(levels[name]) and hi >= max(levels[name]), name  # bars inside
        # The panel's scale fits its own bars: they span a good part of it.
        assert max(levels[name]) - min(levels[name]) >= 0.4 * (hi - lo), name
        ticks = _tick_values(ax)
        if min(levels[name]) < 0:
            assert any(t < 0 for t in ticks), (name, ticks)
        assert "yuan" in ax.get_xlabel()


def _channel_view(view: RunView) -> RunView:
    """Each channel at nearly the same CAC and default share for every lender: labels at
    the points would sit on top of each other.
    """
    lenders = {}
    for k, name in enumerate(view.colours):
        lenders[name] = {"by_channel": {
            channel: {"cac": 4_000 + 1_500 * j + 30 * k,
                      "default_share": 0.04 + 0.005 * j + 0.0003 * k, "loans": 100 + 50 * j}
            for j, channel in enumerate(("app_store", "social", "search"))}}
    return RunView(view.steps, {**view.summary, "lenders": lenders}, view.colours,
                   view.events)


def _overlaps(fig: Figure) -> list[tuple[str, str]]:
    """Pairs of visible texts whose boxes, as the Agg renderer draws them, overlap."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    texts = list(fig.texts)  # suptitle and supxlabel included
    for ax in fig.axes:  # tick labels in view only (others exist but are not drawn)
        (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
        texts += [t for t in ax.get_xticklabels() if x0 <= t.get_position()[0] <= x1]
        texts += [t for t in ax.get_yticklabels() if y0 <= t.get_position()[1] <= y1]
        texts += [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        if ax.get_legend() is not None:
            texts += ax.get_legend().get_texts()
    texts = [t for t in texts if t.get_visible() and t.get_text().strip()]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    return [(a, b) for i, (a, box_a) in enumerate(boxes) for b, box_b in boxes[i + 1:]
            if box_a.overlaps(box_b) and box_a.intersection(box_a, box_b).width > 1
            and box_a.intersection(box_a, box_b).height > 1]


def test_cac_default_text_never_overlaps_and_names_every_channel(view):
    crowded = _channel_view(view)
    fig = _draw(plot_cac_default, crowded)
    assert len(fig.axes[0].collections) >= 3 * len(view.colours)  # precondition: drawn
    assert _overlaps(fig) == []
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    for channel in ("app_store", "social", "search"):
        assert f"channel: {channel}" in legend
    fig = _draw(plot_cac_default, view)  # the run's own channels
    assert _overlaps(fig) == []


def test_frontier_points_carry_their_intervals_and_bad_counts(view):
    from matplotlib.container import ErrorbarContainer

    from simfin.indicators.score_performance import frontier
    from simfin.lending.batch import APPROVED
    from simfin.outputs.figures_book import plot_frontier

    # A measured frontier for the last lender: 3,000 seasoned scored loans, all approved.
    rng = np.random.default_rng(6)
    score = rng.beta(1, 12, 3_000)
    loans = pd.DataFrame({"lender": 0, "challenger": False, "pd": score.astype(np.float32),
                          "origination_day": 0, "period_days": 30,
                          "defaulted": rng.random(3_000) < score})
    apps = pd.DataFrame({"lender": 0, "challenger": False, "day": 0, "decision": APPROVED,
                         "pd": score})
    measured = frontier(apps, loans, 0, 90, 200, has_model=True, model_since_day=0)
    assert measured["reason"] is None  # precondition
    names = list(view.colours)
    lenders = {n: {**view.summary["lenders"][n], "frontier": {"points": None,
                                                             "reason": "rules only"}}
               for n in names}
    lenders[names[-1]]["frontier"] = measured
    view = RunView(view.steps, {**view.summary, "lenders": lenders}, view.colours,
                   view.events)
    fronts = {names[-1]: measured}
    fig = _draw(plot_frontier, view)
    assert _overlaps(fig) == []
    ax = fig.axes[0]
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == len(fronts)
    for container, front in zip(bars, fronts.values(), strict=True):
        segments = container.lines[2][0].get_segments()  # one vertical bar per point
        points = front["points"]
        assert len(segments) == len(points)
        for seg, p in zip(segments, points, strict=True):
            assert seg[0][1] == pytest.approx(p["default_rate_low"])
            assert seg[1][1] == pytest.approx(p["default_rate_high"])
    texts = [t.get_text() for t in ax.texts]
    for front in fronts.values():
        for p in front["points"]:
            assert str(p["bad_loans"]) in texts
    legend = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    used = next(iter(fronts.values()))["points"][-1]
    assert f"{used['loans']:,} seasoned loans, {used['bad_loans']:,} bad" in legend
