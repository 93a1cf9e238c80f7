"""Monitoring: the population stability of a lender's model, and the drift warning."""

from __future__ import annotations

import numpy as np
import pytest

import simfin
from simfin.lending.monitoring import DRIFT_PSI, bin_counts, bin_edges, psi

# A small default market whose platform model goes live early (as in notebook 03).
FAST = {"population.n_consumers": 4000,
        "lenders.platform.risk.model.min_outcomes": 100,
        "lenders.platform.risk.model.min_bad_outcomes": 25,
        "lenders.platform.risk.model.performance_window_days": 60,
        "lenders.platform.risk.model.retrain_every_days": 15}
STEPS, SHIFT_DAY = 250, 180
# On SHIFT_DAY every scenario moves 60 points online: the applicants change at once.
ONLINE_SHIFT = {"macro.scenario": "custom", "macro.custom.time_unit": "day",
                "macro.custom.online_shift": [[0, 0.0], [SHIFT_DAY, 0.0],
                                              [SHIFT_DAY + 1, 0.6]]}


def test_psi_is_zero_for_the_same_population_and_grows_with_a_shift():
    rng = np.random.default_rng(0)
    reference = rng.normal(size=20_000)
    edges = bin_edges(reference)
    expected = bin_counts(reference, edges)
    assert psi(expected, expected) == 0.0
    same = psi(expected, bin_counts(rng.normal(size=5_000), edges))
    moved = psi(expected, bin_counts(rng.normal(0.5, size=5_000), edges))
    assert same < 0.02 < 0.1 < moved
    with_missing = np.where(rng.random(5_000) < 0.5, np.nan, rng.normal(size=5_000))
    assert psi(expected, bin_counts(with_missing, edges)) > DRIFT_PSI  # half now unknown


def _platform(seed: int, overrides: dict) -> dict:
    run = simfin.run("configs/baseline.yaml", steps=STEPS, seed=seed,
                     overrides={**FAST, **overrides})
    lender = run.summary["lenders"]["platform"]
    drift = [w for w in run.summary["warnings"] if w["code"] == "model_drift"]
    return {"monitoring": lender["monitoring"], "drift": drift,
            "live": lender["model_since_day"]}


@pytest.fixture(scope="module")
def shifted():
    return _platform(1, ONLINE_SHIFT)


def test_a_population_shift_raises_the_psi_and_fires_the_warning(shifted):
    assert shifted["live"] is not None and shifted["live"] < SHIFT_DAY  # precondition
    months = shifted["monitoring"]["months"]
    before = [m for m in months if m["first_day"] + 30 <= SHIFT_DAY]
    after = [m for m in months if m["first_day"] >= SHIFT_DAY]
    assert before and after
    assert max(m["max_characteristic_psi"] for m in before) < DRIFT_PSI
    assert after[0]["max_characteristic_psi"] > DRIFT_PSI
    assert after[0]["max_characteristic"] == "online"
    assert len(shifted["drift"]) == 1 and "online" in shifted["drift"][0]["message"]


@pytest.mark.parametrize("seed", [1, 2])
def test_an_unchanged_market_does_not_fire(seed):
    steady = _platform(seed, {})
    assert steady["live"] is not None and steady["monitoring"]["months"]  # monitored
    assert steady["drift"] == []
