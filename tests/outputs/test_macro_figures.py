"""The macroeconomic path on the run figures: downturn days shaded on the daily series and
the path drawn in its own figure, only when the path moves (steady figures unchanged)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

import simfin
from simfin.config.macro import shipped_paths
from simfin.outputs import figures
from simfin.outputs.figure_style import DOWNTURN_LABEL, RunView, downturn_spans
from simfin.outputs.figures import (
    MACRO_FIGURE,
    plot_applications,
    plot_macro,
    plot_profit,
    plot_ratios,
    write_figures,
)
from simfin.outputs.report import render_report
from tests.conftest import TWO_LENDERS

START = 40
DAYS = 120


@pytest.fixture(scope="module")
def severe_run():
    return simfin.run(TWO_LENDERS, overrides={
        "population.n_consumers": 1_500, "run.steps": DAYS, "run.seed": 3,
        "run.record_applications": False, "macro.scenario": "severe",
        "macro.start_day": START})


def _draw(plot, view) -> Figure:
    fig = Figure(figsize=(8, 6), layout="constrained")
    plot(view, fig)
    fig.canvas.draw()
    return fig


def _downturn_patches(ax) -> list:
    return [p for p in ax.patches if p.get_label() == DOWNTURN_LABEL]


@pytest.fixture
def only_macro(monkeypatch):
    """write_figures without the figures every run has (drawn by tests/outputs/
    test_figures.py): what it writes is then the macro figure or nothing."""
    monkeypatch.setattr(figures, "_registry", dict)


def test_a_steady_run_has_no_downturn_marks_and_no_macro_figure(small_run, tmp_path: Path,
                                                                 only_macro):
    assert small_run.steps["loans"].sum() > 0  # precondition: a market that lent
    assert not any(c.startswith("macro_") for c in small_run.steps.columns)
    view = RunView.of(small_run)
    assert view.events.downturns == []
    for plot in (plot_applications, plot_ratios, plot_profit):
        for ax in _draw(plot, view).axes:
            assert _downturn_patches(ax) == []
    assert write_figures(small_run, tmp_path) == []


def test_the_downturn_of_a_severe_path_is_shaded_on_the_daily_series(severe_run):
    steps = severe_run.steps
    # preconditions: the market lent, and the path applied from its start day on
    assert steps["loans"].sum() > 0
    daily = steps.groupby("day")["macro_job_loss"].first()
    assert (daily[:START + 1] == 1.0).all() and daily[START + 30] == pytest.approx(4.0)
    # severe: every driver at neutral on day START (time 0), worse from the day after
    assert downturn_spans(steps) == [(START + 1, DAYS)]
    view = RunView.of(severe_run)
    for plot in (plot_applications, plot_ratios, plot_profit):
        fig = _draw(plot, view)
        for ax in fig.axes:
            (patch,) = _downturn_patches(ax)
            assert patch.get_x() == pytest.approx(START + 0.5)
            assert patch.get_x() + patch.get_width() == pytest.approx(DAYS - 0.5)
            labels = [h.get_label() for h in ax.get_legend().legend_handles]
            assert DOWNTURN_LABEL in labels


def test_the_macro_figure_draws_the_path_beside_the_series(severe_run, tmp_path: Path,
                                                          only_macro):
    fig = _draw(plot_macro, RunView.of(severe_run))
    drivers, demand, shifts = fig.axes
    lines = {line.get_label(): line for line in drivers.get_lines()}
    job_loss = lines["income-shock incidence (job_loss)"]
    assert max(job_loss.get_ydata()) == pytest.approx(4.0)  # the path's peak, drawn
    assert list(job_loss.get_xdata()) == list(range(DAYS))
    scenarios = {line.get_label() for line in demand.get_lines()}
    assert {s.name for s in severe_run.config.scenarios} <= scenarios
    funding = next(line for line in shifts.get_lines() if "funding" in line.get_label())
    assert max(funding.get_ydata()) == pytest.approx(0.02)
    for ax in fig.axes:
        assert len(_downturn_patches(ax)) == 1
    paths = write_figures(severe_run, tmp_path)
    assert [p.name for p in paths] == [MACRO_FIGURE]
    assert (tmp_path / MACRO_FIGURE).read_bytes()[:4] == b"\x89PNG"


def test_downturn_spans_split_where_every_driver_is_back_to_neutral():
    days = range(10)
    steps = pd.DataFrame({
        "day": list(days),
        "macro_job_loss": [1, 1.5, 2, 1, 1, 0.9, 1, 1, 1, 1],
        "macro_shock_income": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
        "macro_income": [1, 1, 1, 1, 1, 1, 1, 1, 0.95, 0.95],
        "macro_collections": [1, 1, 1, 0.8, 1, 1, 1, 1, 1, 1]})
    # job_loss below 1 (day 5) is no downturn; collections disrupted on day 3 is
    assert downturn_spans(steps) == [(1, 4), (8, 10)]
    assert downturn_spans(steps.drop(columns=[c for c in steps if c != "day"])) == []


def test_the_report_names_the_path_and_its_worst_days_only_when_it_moves(severe_run,
                                                                         small_run):
    assert "## Macroeconomic path" not in render_report(small_run.config, small_run.summary,
                                                        [])
    report = render_report(severe_run.config, severe_run.summary, ["figures/macro.png"])
    section = report.split("## Macroeconomic path", 1)[1].split("\n## ", 1)[0]
    assert f"`macro.scenario: severe` from day {START}" in section
    assert shipped_paths()["severe"]["source"] in section
    market = severe_run.summary["market"]
    assert market["dpd1_ratio_peak"] > 0  # precondition: some loan went past due
    assert f"| market | {market['dpd1_ratio_peak']:.2%} |" in section
    for name in severe_run.summary["lenders"]:
        assert f"| {name} | " in section
