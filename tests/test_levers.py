"""Levers: MarketModel(**levers), mesa.batch_run over levers, a SolaraViz slider on one."""

from __future__ import annotations

from pathlib import Path

import mesa
import pandas as pd
import pytest

import simfin
from simfin import ConfigError, MarketModel
from simfin.levers import LENDER_LEVERS, MARKET_LEVERS, describe_levers
from tests.conftest import TWO_LENDERS

TINY = {"n_consumers": 1_000, "steps": 30}


def test_market_and_lender_levers_set_their_config_fields():
    model = MarketModel(TWO_LENDERS, apr_cap=0.3, consortium=True, n_consumers=1_234, steps=12,
                               seed=9, approval_threshold=0.2, approval_threshold__scored=0.4,
                               risk_model__rules_only="logistic", pricing="flat",
                               verification__scored="face", data_sources="bureau+consortium",
                               payment_rail="bank_transfer", auto_debit=False,
                               service_mode="unified")
    cfg = model.config
    assert (cfg.policy.apr_cap, cfg.policy.consortium) == (0.3, True)
    assert (cfg.population.n_consumers, cfg.run.steps, cfg.run.seed) == (1_234, 12, 9)
    rules_only, scored = cfg.lenders
    # The lender-specific lever wins over the lever for every lender.
    assert rules_only.risk.approval_threshold == 0.2
    assert scored.risk.approval_threshold == 0.4
    assert (rules_only.risk.model.kind, scored.risk.model.kind) == ("logistic", "logistic")
    assert (rules_only.risk.verification, scored.risk.verification) == ("none", "face")
    for lender in cfg.lenders:
        assert lender.pricing.strategy == "flat"
        assert lender.risk.data_sources == ["bureau", "consortium"]
        assert lender.payment.disbursement_rail == lender.payment.repayment_rail == \
            "bank_transfer"
        assert lender.payment.auto_debit is False
        assert lender.service.mode == "unified"
    assert model.population.n == 1_234


def test_levers_on_a_config_file_override_it(tmp_path):
    path = tmp_path / "market.yaml"
    path.write_text("policy:\n  apr_cap: 0.24\npopulation:\n  n_consumers: 800\n")
    assert MarketModel(str(path)).config.policy.apr_cap == 0.24
    model = MarketModel(str(path), apr_cap=None)
    assert model.config.policy.apr_cap is None
    assert model.config.population.n_consumers == 800


def test_a_lever_changes_outcomes():
    def approvals(**levers):
        model = MarketModel(TWO_LENDERS, **TINY, **levers)
        while model.running:
            model.step()
        return model.datacollector.get_model_vars_dataframe()["approvals__scored"].iloc[-1]

    base = approvals()
    assert base > 0
    assert approvals(data_sources__scored="none", verification__scored="none") != base


@pytest.mark.parametrize(("levers", "message"), [
    ({"apr_cp": 0.3}, "apr_cp: unknown lever (did you mean 'apr_cap'? levers: n_consumers"),
    ({"xyzzy": 0.3}, "xyzzy: unknown lever (levers: n_consumers"),
    ({"approval_threshold__nobody": 0.3},
     "approval_threshold__nobody: no lender named 'nobody' (lenders: rules_only, scored)"),
    ({"approval_threshold__scored": 1.7},
     "approval_threshold__scored (lenders.1.risk.approval_threshold): must be <= 1, got 1.7"),
    ({"n_consumers": "many"}, "n_consumers (population.n_consumers): input should be"),
    ({"payment_rail": "carrier_pigeon"}, "payment_rail (lenders.0.payment.disbursement_rail)"),
    ({"data_sources": "bureau+tea_leaves"}, "data_sources (lenders.0.risk.data_sources.1)"),
])
def test_a_bad_lever_is_a_one_line_config_error(levers, message):
    with pytest.raises(ConfigError) as caught:
        MarketModel(TWO_LENDERS, **levers)
    text = str(caught.value)
    assert text.startswith(message)
    assert "\n" not in text


def test_seed_and_rng_together_are_refused():
    with pytest.raises(ConfigError, match="seed: give either seed= or rng="):
        MarketModel(TWO_LENDERS, seed=1, rng=2)


def test_an_integer_rng_is_recorded_as_the_config_seed():
    assert MarketModel(TWO_LENDERS, n_consumers=100, rng=77).config.run.seed == 77


def test_model_stops_running_after_the_configured_days():
    model = MarketModel(TWO_LENDERS, n_consumers=300, steps=3)
    for _ in range(3):
        assert model.running
        model.step()
    assert not model.running


def test_the_readme_documents_every_lever():
    readme = (Path(simfin.__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert describe_levers() in readme
    assert set(MARKET_LEVERS) | set(LENDER_LEVERS) <= {
        line.split("`")[1] for line in describe_levers().splitlines()[2:]}


def test_batch_run_over_two_levers_and_two_seeds_gives_one_row_per_run():
    parameters = {"config": str(TWO_LENDERS), "apr_cap": [0.3, None],
                  "verification__scored": ["none", "face"], **TINY}
    rows = mesa.batch_run(MarketModel, parameters=parameters, rng=[1, 2],
                          max_steps=1_000, display_progress=False)
    frame = pd.DataFrame(rows)
    assert len(frame) == 8
    assert frame["RunId"].nunique() == 8
    assert sorted(frame.groupby(["apr_cap", "verification__scored", "rng"],
                                dropna=False).size().tolist()) == [1] * 8
    # Each row holds its run's indicators: the run stopped after `steps` days and its
    # run-to-date totals equal the recorded history of the same run rebuilt directly.
    assert (frame["Step"] == TINY["steps"]).all()
    assert (frame["loans"] > 0).all()
    for _, row in frame.iloc[[0, 5]].iterrows():
        model = MarketModel(TWO_LENDERS, rng=int(row["rng"]), apr_cap=row["apr_cap"],
                                   verification__scored=row["verification__scored"], **TINY)
        while model.running:
            model.step()
        steps = model.recorder.steps_frame()
        scored = steps[steps["lender"] == "scored"]
        assert row["applications__scored"] == scored["applications"].sum()
        assert row["profit_cents__scored"] == scored["profit"].sum()
        assert row["outstanding_cents__scored"] == scored["outstanding"].iloc[-1]
        assert row["loans"] == steps["loans"].sum()
    # Seeds and levers matter.
    by_seed = frame.groupby("rng")["applications"].first()
    assert by_seed[1] != by_seed[2]
    face = frame[frame["verification__scored"] == "face"]["profit_cents__scored"]
    none = frame[frame["verification__scored"] == "none"]["profit_cents__scored"]
    assert sorted(face) != sorted(none)


def test_a_solaraviz_page_with_a_slider_on_a_lever_rebuilds_the_model():
    import ipyvuetify as v
    import solara
    from mesa.visualization import Slider, SolaraViz

    model = solara.reactive(MarketModel(TWO_LENDERS, **TINY))

    @solara.component
    def page():
        SolaraViz(model, components=[], model_params={
            "config": str(TWO_LENDERS), **TINY,
            "apr_cap": Slider("APR cap", 0.36, 0.10, 1.00, 0.02)})

    _, rc = solara.render(solara.AppLayout(children=[page()]), handle_error=False)
    try:
        slider = rc.find(v.Slider, label="APR cap")
        assert slider.widget.v_model == 0.36
        slider.widget.v_model = 0.5
        rc.find(v.Btn, children=["Reset"]).widget.click()
        assert model.value.config.policy.apr_cap == 0.5
        assert model.value.config.population.n_consumers == TINY["n_consumers"]
        rc.find(v.Btn, children=["Step"]).widget.click()
        assert model.value.day == 1
    finally:
        rc.close()
