"""The dashboard page rendered in-process (no browser): controls for every main lever, a
moved control rebuilds the model on Reset, Step redraws the plots.
"""

from __future__ import annotations

import ipyvuetify as v
import ipywidgets
import solara

from simfin.config import load_config
from simfin.viz import page as dashboard_page
from simfin.viz.page import model_params
from tests.conftest import TWO_LENDERS

SMALL = {"population.n_consumers": 1_000, "run.steps": 30}


def test_there_is_a_control_for_every_main_lever_starting_at_the_config_value():
    config = load_config(TWO_LENDERS, {**SMALL, "policy.apr_cap": 0.3,
                                       "lenders.1.risk.approval_threshold": 0.2})
    params = model_params(config)
    assert params["config"] is config
    assert params["apr_cap"]["value"] == 0.3
    assert params["n_consumers"]["value"] == 1_000
    assert params["seed"]["value"] == config.run.seed
    assert params["consortium"]["value"] is False
    for lender in ("rules_only", "scored"):
        for lever in ("approval_threshold", "risk_model", "data_sources", "verification",
                      "payment_rail", "service_mode"):
            assert f"{lever}__{lender}" in params
    assert params["approval_threshold__scored"]["value"] == 0.2
    assert params["risk_model__scored"]["value"] == "logistic"
    assert params["data_sources__scored"]["value"] == "bureau+id_registry"


def test_a_config_value_outside_the_choices_is_offered_too():
    config = load_config(TWO_LENDERS, {**SMALL, "lenders.0.risk.data_sources": ["social_security"]})
    select = model_params(config)["data_sources__rules_only"]
    assert select["value"] == "social_security"
    assert "social_security" in select["values"]


def test_every_choice_offered_is_one_the_config_accepts_and_registered_models_too(
        monkeypatch):
    from simfin.lending.registry import SCORERS
    from simfin.levers import apply_levers

    monkeypatch.setitem(SCORERS._factories, "lab_model", SCORERS.get("logistic"))
    config = load_config(TWO_LENDERS, SMALL)
    params = model_params(config)
    assert "lab_model" in params["risk_model__scored"]["values"]
    selects = {name: p for name, p in params.items()
               if isinstance(p, dict) and p.get("type") == "Select"}
    assert len(selects) == 5 * len(config.lenders) + 1  # precondition: lenders, macro path
    for name, select in selects.items():
        for value in select["values"]:
            apply_levers(config, {name: value})  # a stale choice: ConfigError on Reset


def test_reset_with_no_control_moved_rebuilds_the_market_as_configured():
    from simfin.levers import apply_levers
    from simfin.viz.controls import moved, rebuild

    config = load_config(TWO_LENDERS, {**SMALL, "policy.apr_cap": None,
                                       "lenders.0.payment.disbursement_rail": "bank_transfer",
                                       "lenders.0.payment.repayment_rail": "mobile_wallet"})
    params = model_params(config)
    start = {name: p["value"] for name, p in params.items() if isinstance(p, dict)}
    # Precondition: the controls cannot show this market (no cap; two rails, one select).
    assert apply_levers(config, start) != config
    model, why = rebuild(config, moved(params, start))
    assert why is None and model.config == config
    cap = moved(params, {**start, "apr_cap": 0.24})
    assert cap == {"apr_cap": 0.24}
    assert rebuild(config, cap)[0].config.policy.apr_cap == 0.24


def test_page_moves_a_lever_resets_steps_and_redraws(tmp_path, monkeypatch):
    from simfin.config import dump_config

    path = tmp_path / "market.yaml"
    path.write_text(dump_config(load_config(TWO_LENDERS, SMALL)), encoding="utf-8")
    monkeypatch.setenv(dashboard_page.CONFIG_ENV, str(path))
    _, rc = solara.render(solara.AppLayout(children=[dashboard_page.Page()]),
                          handle_error=False)
    try:
        def status() -> str:
            return rc.find(v.Html, class_="simfin-status").widget.children[0]

        def images() -> list:
            return [w.value for w in rc.find(ipywidgets.Image).widgets]

        assert "day 0 of 30" in status() and "1,000 consumers" in status()
        threshold = rc.find(v.Slider, label="scored: approval threshold")
        threshold.widget.v_model = 0.4
        rc.find(v.Slider, label="consumers").widget.v_model = 2_000
        rc.find(v.Btn, children=["Reset"]).widget.click()
        assert "2,000 consumers" in status()
        before = images()
        assert len(before) == 5
        rc.find(v.Btn, children=["Step"]).widget.click()
        assert "day 1 of 30" in status()
        after = images()
        assert all(a != b for a, b in zip(after, before, strict=True))
    finally:
        rc.close()
