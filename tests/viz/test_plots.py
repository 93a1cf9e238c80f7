"""The dashboard's panels: every lender drawn, in its colour, from the DataCollector."""

from __future__ import annotations

import pytest

from simfin import MarketModel
from simfin.viz.plots import PANELS, colour, panel_figure
from tests.conftest import TWO_LENDERS


@pytest.fixture(scope="module")
def stepped():
    model = MarketModel(TWO_LENDERS, n_consumers=2_000, steps=40)
    while model.running:
        model.step()
    names = [lender.name for lender in model.config.lenders]
    return model.datacollector.get_model_vars_dataframe(), names


@pytest.mark.parametrize("key", list(PANELS))
def test_each_panel_draws_every_lender_over_every_day(stepped, key):
    frame, names = stepped
    title, n_axes, _ = PANELS[key]
    fig = panel_figure(key, frame, names)
    assert fig.get_suptitle() == title
    assert len(fig.axes) == n_axes
    for ax in fig.axes:
        assert ax.get_xlabel() == "day" and ax.get_ylabel()
        lines = [line for line in ax.get_lines() if len(line.get_xdata()) == len(frame)]
        assert {line.get_color() for line in lines} == {colour(i) for i in range(len(names))}


def test_applications_panel_is_the_weekly_mean_of_daily_counts(stepped):
    frame, names = stepped
    ax = panel_figure("applications", frame, names).axes[0]
    applications = {line.get_label(): line.get_ydata() for line in ax.get_lines()}
    daily = frame["applications__scored"].diff().fillna(frame["applications__scored"])
    expected = daily.rolling(7, min_periods=1).mean().to_numpy()
    assert applications["scored applications"].tolist() == pytest.approx(expected.tolist())
    assert expected.sum() > 0


def test_money_is_drawn_in_yuan(stepped):
    frame, names = stepped
    ax = panel_figure("profit", frame, names).axes[0]
    line = next(line for line in ax.get_lines() if line.get_label() == "scored")
    assert line.get_ydata()[-1] == pytest.approx(frame["profit_cents__scored"].iloc[-1] / 100)


def test_an_empty_history_says_what_to_do():
    model = MarketModel(TWO_LENDERS, n_consumers=200)
    fig = panel_figure("profit", model.datacollector.get_model_vars_dataframe(), ["a", "b"])
    assert "press Step" in fig.axes[0].texts[0].get_text()


@pytest.mark.parametrize("key", list(PANELS))
def test_a_panel_spans_the_whole_run_whatever_the_days_run(stepped, key):
    frame, names = stepped
    early, late = (panel_figure(key, rows, names, days=60) for rows in (frame[:5], frame))
    assert len(frame) == 40  # precondition: more days than the early frame
    for ax_early, ax_late in zip(early.axes, late.axes, strict=True):
        assert ax_early.get_xlim() == ax_late.get_xlim() == (0, 59)
