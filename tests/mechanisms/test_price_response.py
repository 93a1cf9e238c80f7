"""Two lenders that answer their rivals' prices against the same two that do not
(``experiments/price_response.yaml``, smaller and shorter): with paired seeds the market's
mean APR falls and share moves to the lenders that cut."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simfin
from simfin.experiments.design import load_experiment

EXPERIMENT = Path(__file__).resolve().parents[2] / "experiments" / "price_response.yaml"
SEEDS = (1, 2, 3)
SMALL = {"population.n_consumers": 2_500, "run.steps": 180, "run.record_applications": False}
ANSWERING = ("answer_a", "answer_b")


@pytest.fixture(scope="module")
def paired() -> dict[str, list[simfin.RunResult]]:
    experiment, config = load_experiment(EXPERIMENT)
    return {name: [simfin.run(config, seed=seed,
                              overrides={**experiment.overrides, **scenario, **SMALL})
                   for seed in SEEDS]
            for name, scenario in experiment.scenarios.items()}


def share(result: simfin.RunResult, names: tuple[str, ...]) -> float:
    lenders = result.summary["lenders"]
    return sum(lenders[n]["loans"] for n in names) / result.summary["market"]["loans"]


def test_answering_lenders_cut_their_price_and_the_fixed_ones_do_not(paired):
    for fixed, answered in zip(paired["all_fixed"], paired["two_respond"], strict=True):
        assert "strategy_decisions" not in fixed.summary
        cuts = {e["lender"] for e in answered.summary["strategy_decisions"]
                if e["action"] == "cut_price"}
        assert cuts == set(ANSWERING)  # precondition: both answered a cheaper rival
        for name in ANSWERING:
            assert fixed.summary["lenders"][name]["mean_apr"] == pytest.approx(0.30)
            assert answered.summary["lenders"][name]["mean_apr"] < 0.29
        for name in ("low", "high"):  # the fixed lenders keep their price
            assert answered.summary["lenders"][name]["mean_apr"] == pytest.approx(
                fixed.summary["lenders"][name]["mean_apr"])


def test_the_markets_mean_apr_falls_and_share_moves_to_the_lenders_that_cut(paired):
    apr = {k: np.array([r.summary["market"]["mean_apr"] for r in v]) for k, v in paired.items()}
    shares = {k: np.array([share(r, ANSWERING) for r in v]) for k, v in paired.items()}
    apr_change = apr["two_respond"] - apr["all_fixed"]
    share_change = shares["two_respond"] - shares["all_fixed"]
    # every seed, and by more than the seed-to-seed spread of the level itself
    assert (apr_change < 0).all()
    assert -apr_change.mean() > 2 * apr["all_fixed"].std(ddof=1)
    assert (share_change > 0).all()
    assert share_change.mean() > 2 * share_change.std(ddof=1) / np.sqrt(len(SEEDS))
