"""Run figures: all produced, one colour per lender, event marks, honest axes."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

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
