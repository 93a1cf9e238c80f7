"""The dashboard's run controls: a step of several days never runs past the run's end,
every button has a word, every slider shows its value.
"""

from __future__ import annotations

import io

import ipyvuetify as v
import ipywidgets
import pytest
import solara
from PIL import Image

from simfin.config import load_config
from simfin.model import MarketModel
from simfin.viz.controls import advance, days_left, rebuild
from simfin.viz.page import Dashboard

SMALL = {"population.n_consumers": 1_000, "run.steps": 30}


def test_a_step_of_many_days_stops_at_the_last_day():
    model = MarketModel(load_config(None, SMALL))
    assert advance(model, 21) == 21 and model.running
    assert days_left(model) == 9
    assert advance(model, 21) == 9  # cut to the days left
    assert model.day == 30 and not model.running
    assert advance(model, 21) == 0 and model.day == 30  # nothing past the end
    assert len(model.datacollector.get_model_vars_dataframe()) == 30


def test_the_run_off_counts_as_part_of_the_run():
    model = MarketModel(load_config(None, {**SMALL, "run.steps": 10, "run.runoff_days": 5}))
    assert model.config.run.total_days == 15  # precondition
    assert advance(model, 100) == 15 and not model.running


def test_a_bad_lever_is_one_line_and_no_model():
    model, why = rebuild(load_config(None, SMALL), {"apr_cap": -1.0})
    assert model is None and "apr_cap" in why and "\n" not in why


@pytest.fixture
def page():
    config = load_config(None, SMALL)
    _, rc = solara.render(Dashboard(config), handle_error=False)
    try:
        yield rc
    finally:
        rc.close()


def _status(rc) -> str:
    return rc.find(v.Html, class_="simfin-status").widget.children[0]


def _button(rc, word: str):
    return rc.find(v.Btn, children=[word]).widget


def test_every_button_has_a_word_and_every_slider_shows_its_value(page):
    buttons = page.find(v.Btn).widgets
    assert len(buttons) >= 3  # precondition: the controls are drawn
    for button in buttons:
        words = [c for c in button.children if isinstance(c, str) and c.strip()]
        assert words, button
    assert {c for b in buttons for c in b.children} >= {"Reset", "Play", "Step"}
    sliders = page.find(v.Slider).widgets
    assert len(sliders) >= 5  # days per step, consumers, seed, APR cap, a threshold
    for slider in sliders:
        assert slider.thumb_label == "always", slider.label


def _image_sizes(rc) -> list[tuple[int, int]]:
    return [Image.open(io.BytesIO(w.value)).size for w in rc.find(ipywidgets.Image).widgets]


def test_stepping_many_days_at_a_time_stops_at_the_end_and_keeps_the_plots(page):
    page.find(v.Slider, label="days per step").widget.v_model = 21
    _button(page, "Step").click()
    assert "day 21 of 30" in _status(page)
    sizes = _image_sizes(page)
    assert len(sizes) == 5
    _button(page, "Step").click()
    assert "day 30 of 30 (end of the run)" in _status(page)
    assert _button(page, "Step").disabled and _button(page, "Play").disabled
    assert _image_sizes(page) == sizes  # every plot keeps its shape
    _button(page, "Reset").click()
    assert "day 0 of 30" in _status(page) and not _button(page, "Step").disabled


def test_play_stops_by_itself_at_the_end(page):
    import time

    page.find(v.Slider, label="days per step").widget.v_model = 21
    _button(page, "Play").click()
    deadline = time.monotonic() + 60
    while "end of the run" not in _status(page) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "day 30 of 30 (end of the run)" in _status(page)
    while page.find(v.Btn, children=["Pause"]).widgets and time.monotonic() < deadline:
        time.sleep(0.2)  # the play loop sees the end and stops
    assert _button(page, "Play").disabled and _button(page, "Step").disabled
