"""Run-health warnings: for each, a config that triggers it and one that does not."""

from __future__ import annotations

import pytest

import simfin
from simfin.indicators.health import _decline_advice, run_health
from tests.conftest import EARLY_MODEL, FAST_EVENTS, SMALL, TWO_LENDERS

REJECT_ALL = [{"name": "everyone", "when": "age_years >= 0", "action": "reject",
               "reason": "ALL_OUT"}]
SHORT = {**SMALL, "population.n_consumers": 1_500, "run.steps": 40}


def _codes(result, code):
    return [w for w in result.summary["warnings"] if w["code"] == code]


@pytest.fixture(scope="module")
def short_run():
    """40 days, default thresholds: the model cannot go live, losses cannot emerge."""
    return simfin.run(TWO_LENDERS, overrides=SHORT)


@pytest.fixture(scope="module")
def fit_run():
    """Long enough with fast credit events and an early model; a small fixed platform."""
    return simfin.run(TWO_LENDERS, overrides={
        **SMALL, **FAST_EVENTS, **EARLY_MODEL, "run.steps": 150,
        "lenders.0.infrastructure.capacity_per_day": 10,
        "lenders.1.infrastructure.capacity_per_day": 10})


def test_zero_loans_names_the_top_decline_reason():
    result = simfin.run(TWO_LENDERS, overrides={**SHORT, "lenders.0.risk.rules": REJECT_ALL})
    name = result.config.lenders[0].name
    assert result.summary["lenders"][name]["loans"] == 0  # precondition
    (warning,) = _codes(result, "zero_loans")
    assert warning["lender"] == name
    assert "ALL_OUT" in warning["message"] and "lenders.0.risk.rules" in warning["message"]


def test_no_zero_loans_warning_when_every_lender_lends(short_run):
    assert all(v["loans"] > 0 for v in short_run.summary["lenders"].values())
    assert _codes(short_run, "zero_loans") == []


def test_apr_cap_advice_names_the_cap_and_the_price(small_cfg):
    advice = _decline_advice("APR_CAP", small_cfg, 1, {})
    assert "policy.apr_cap = 36%" in advice and "lenders.1.pricing.flat_apr = 30%" in advice


def test_apr_cap_advice_names_the_caps_the_schedule_put_in_force(small_cfg):
    spans = [{"from_day": 0, "apr_cap": 0.36, "consortium": False},
             {"from_day": 40, "apr_cap": 0.36, "consortium": True},
             {"from_day": 100, "apr_cap": 0.24, "consortium": True}]
    advice = _decline_advice("APR_CAP", small_cfg, 1, {"policy": {"in_force": spans}})
    assert "policy.apr_cap = 36%, then by policy.schedule 24% from day 100" in advice


def test_model_never_live_warns(short_run):
    scored = short_run.config.lenders[1]
    assert scored.risk.model.kind != "none"  # precondition: a lender with a model
    assert short_run.summary["lenders"][scored.name]["model_since_day"] is None
    (warning,) = _codes(short_run, "model_not_live")
    assert warning["lender"] == scored.name and "min_outcomes" in warning["message"]


def test_a_model_whose_fits_never_validate_warns_with_the_gate():
    result = simfin.run(TWO_LENDERS, overrides={
        **SMALL, **FAST_EVENTS, **EARLY_MODEL, "run.steps": 120,
        "lenders.1.risk.model.validation_share": 0.25,
        "lenders.1.risk.model.min_validation_auc": 1.0})  # no fit can rank perfectly
    name = result.config.lenders[1].name
    validation = result.summary["lenders"][name]["validation"]
    assert validation["fits"] > 0 and validation["deployed"] == 0  # precondition: fits tried
    (warning,) = _codes(result, "model_not_live")
    assert "min_validation_auc = 1.0" in warning["message"] and "validated" in warning["message"]


def test_no_model_warning_once_the_model_is_live(fit_run):
    assert fit_run.summary["lenders"][fit_run.config.lenders[1].name]["model_since_day"] \
        is not None
    assert _codes(fit_run, "model_not_live") == []


def test_short_horizon_warns_that_losses_have_not_emerged(short_run):
    assert short_run.summary["market"]["written_off"] == 0
    (warning,) = _codes(short_run, "losses_not_emerged")
    assert "run.writeoff_dpd (180)" in warning["message"]
    assert "read profit_after_provisions" in warning["message"]  # the honest profit


def test_no_loss_warning_when_most_loans_can_be_written_off(fit_run):
    assert fit_run.summary["market"]["written_off"] > 0  # losses did emerge
    assert _codes(fit_run, "losses_not_emerged") == []


def test_capacity_that_cannot_bind_warns(short_run):
    assert max(v["capacity_used_peak"] for v in short_run.summary["lenders"].values()) < 0.5
    (warning,) = _codes(short_run, "capacity_slack")
    assert "1,500 consumers" in warning["message"]


def test_no_capacity_warning_when_capacity_binds(fit_run):
    assert min(v["capacity_used_peak"] for v in fit_run.summary["lenders"].values()) >= 1
    assert _codes(fit_run, "capacity_slack") == []


def test_run_health_is_empty_for_a_fit_run(fit_run):
    assert run_health(fit_run.config, fit_run.summary, fit_run.loans) == []
