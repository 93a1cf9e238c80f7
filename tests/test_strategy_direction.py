"""A lender's approval threshold moves approvals, defaults and profit the expected way.

At the default 30 % flat APR, lending to almost nobody cannot pay for the acquisition and
data spend, so loosening a very strict threshold raises approvals, defaults and profit.
"""

from pathlib import Path

import simfin

SEEDS = (1, 2, 3)
BASE = ["population.n_consumers=20000", "lenders.1.pricing.strategy=flat",
        "lenders.1.risk.model.min_outcomes=150"]


def scored_totals(threshold: float) -> dict[str, int]:
    totals = {"approvals": 0, "defaults": 0, "profit": 0}
    for seed in SEEDS:
        result = simfin.run("configs/baseline.yaml", seed=seed,
                            overrides=[*BASE, f"lenders.1.risk.approval_threshold={threshold}"])
        scored = result.summary["lenders"]["platform"]
        assert result.model.lenders[1].model_in_use
        totals["approvals"] += scored["approvals"]
        totals["defaults"] += int(result.steps.loc[result.steps["lender"] == "platform",
                                                   "new_defaults"].sum())
        totals["profit"] += scored["profit"]
    return totals


def test_loosening_a_strict_threshold_raises_approvals_defaults_and_profit(monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    strict, moderate = scored_totals(0.02), scored_totals(0.15)
    assert moderate["approvals"] > 1.5 * strict["approvals"]
    assert moderate["defaults"] > strict["defaults"]
    assert moderate["profit"] > strict["profit"]
