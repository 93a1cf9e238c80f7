"""The dashboard switches the macroeconomic path: a select of ``macro.scenario`` whose
choices are the schema's, applied on Reset like every lever."""

from __future__ import annotations

import ipyvuetify as v
import solara

from simfin.config import load_config
from simfin.config.macro import SCENARIOS
from simfin.viz import page as dashboard_page
from simfin.viz.controls import moved, rebuild
from simfin.viz.page import model_params, status
from tests.conftest import TWO_LENDERS

SMALL = {"population.n_consumers": 1_000, "run.steps": 40}


def test_the_path_select_offers_the_schemas_paths_and_starts_at_the_configs():
    config = load_config(TWO_LENDERS, SMALL)
    select = model_params(config)["macro_scenario"]
    assert select["type"] == "Select" and select["value"] == "steady"
    # every path the schema knows, but 'custom' only where the config writes one
    assert select["values"] == [name for name in SCENARIOS if name != "custom"]
    custom = load_config(TWO_LENDERS, {**SMALL, "macro.scenario": "custom",
                                       "macro.custom.job_loss": [[0, 1.0], [10, 2.0]]})
    select = model_params(custom)["macro_scenario"]
    assert select["value"] == "custom" and select["values"] == list(SCENARIOS)


def test_a_path_chosen_and_reset_is_the_market_the_model_runs():
    config = load_config(TWO_LENDERS, SMALL)
    params = model_params(config)
    start = {name: p["value"] for name, p in params.items() if isinstance(p, dict)}
    steady, why = rebuild(config, moved(params, start))
    assert why is None and steady.economy.steady  # precondition: a steady market
    chosen = moved(params, {**start, "macro_scenario": "severe"})
    assert chosen == {"macro_scenario": "severe"}
    model, why = rebuild(config, chosen)
    assert why is None and model.config.macro.scenario == "severe"
    for _ in range(40):
        model.step()
    steps = model.recorder.steps_frame()
    assert steps["loans"].sum() > 0  # the market lent
    assert steps["macro_job_loss"].max() > 1.0  # and went through the path
    assert "macro path severe" in status(model)


def test_the_page_switches_the_path_on_reset(tmp_path, monkeypatch):
    from simfin.config import dump_config

    path = tmp_path / "market.yaml"
    path.write_text(dump_config(load_config(TWO_LENDERS, SMALL)), encoding="utf-8")
    monkeypatch.setenv(dashboard_page.CONFIG_ENV, str(path))
    _, rc = solara.render(solara.AppLayout(children=[dashboard_page.Page()]),
                          handle_error=False)
    try:
        def status_line() -> str:
            return rc.find(v.Html, class_="simfin-status").widget.children[0]

        assert "macro path steady" in status_line()
        select = rc.find(v.Select, label="macroeconomic path").widget
        assert select.items == [name for name in SCENARIOS if name != "custom"]
        select.v_model = "covid_2020"
        assert "macro path steady" in status_line()  # not before Reset
        rc.find(v.Btn, children=["Reset"]).widget.click()
        assert "macro path covid_2020" in status_line()
    finally:
        rc.close()


def test_the_plots_shade_the_downturn_days_only_when_the_path_moves():
    from simfin.outputs.figure_style import DOWNTURN_LABEL
    from simfin.viz.page import downturns_of
    from simfin.viz.plots import PANELS, panel_figure

    config = load_config(TWO_LENDERS, {**SMALL, "macro.start_day": 10})
    names = [lender.name for lender in config.lenders]
    for scenario, expected in (("steady", []), ("severe", [(11, 40)])):
        model, why = rebuild(config, {"macro_scenario": scenario})
        assert why is None
        for _ in range(40):
            model.step()
        assert model.recorder.steps_frame()["loans"].sum() > 0  # precondition: it lent
        assert downturns_of(model) == expected
        frame = model.datacollector.get_model_vars_dataframe()
        for key in PANELS:
            fig = panel_figure(key, frame, names, days=40, downturns=downturns_of(model))
            for ax in fig.axes:
                shaded = [p for p in ax.patches if p.get_label() == DOWNTURN_LABEL]
                assert len(shaded) == len(expected), (scenario, key)
