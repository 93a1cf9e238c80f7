"""Ranking strategies by horizon (one-year profit before and after provisions, lifetime
profit): paired differences by seed, the orders compared, and the README's measured blocks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from simfin.experiments.design import load_experiment
from simfin.experiments.horizons import disagreements, main, order_by, pairwise
from simfin.experiments.measured import blocks_in
from simfin.experiments.plan import plan

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ["lender_strategies_lifetime", "lender_strategies_first_year_lifetime"]


def results() -> pd.DataFrame:
    """Three seeds of two strategies: ``loose`` ahead in the short profit on every seed,
    behind after provisions and over its lifetime on every seed."""
    rows = []
    for replicate, noise in enumerate([0.0, 5.0, -3.0]):
        rows.append({"scenario": "loose", "replicate": replicate, "short": 100 + noise,
                     "after": -50 + noise, "life": 10 + noise})
        rows.append({"scenario": "tight", "replicate": replicate, "short": 40 + noise,
                     "after": 20 + noise, "life": 30 + 2 * noise})
    frame = pd.DataFrame(rows)
    return frame.assign(point=0, lender="platform")


def test_pairs_are_differenced_seed_by_seed_and_the_orders_compared():
    frame = results()
    pairs = pairwise(frame, ["loose", "tight"], "platform", ["short", "after", "life"])
    by = pairs.set_index("outcome")
    assert by.loc["short", "diff"] == pytest.approx(60)
    # paired: the shared noise cancels, so the interval is exact (60 on every seed)
    assert by.loc["short", "low"] == by.loc["short", "high"] == pytest.approx(60)
    assert by.loc["after", "a_ahead"] == 0 and by.loc["short", "a_ahead"] == 3
    assert by.loc["life", "diff"] == pytest.approx(-20 - (0 + 5 - 3) / 3)
    assert order_by(frame, ["loose", "tight"], "platform", "short") == ["loose", "tight"]
    assert order_by(frame, ["loose", "tight"], "platform", "life") == ["tight", "loose"]
    assert disagreements(pairs, "short", "life") == [("loose", "tight")]
    assert disagreements(pairs, "after", "life") == []


def test_bad_input_is_one_line_and_runs_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    shipped = str(ROOT / "experiments" / "lender_strategies_lifetime.yaml")
    assert main([shipped, "--out", str(out), "--lifetime", "proft"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: outcome 'proft' is not an outcome") and err.count("\n") == 1
    assert main([shipped, "--out", str(out), "--readme", str(tmp_path / "no.md")]) == 2
    assert capsys.readouterr().err.startswith("error: readme: ")
    assert not out.exists()


@pytest.mark.parametrize("name", SHIPPED)
def test_the_readme_block_is_the_shipped_file_as_it_now_is(name):
    """An edited lifetime experiment (sizes, strategies, outcomes) without a re-measured
    block fails here."""
    experiment, config = load_experiment(ROOT / "experiments" / f"{name}.yaml")
    text = (ROOT / "experiments" / "README.md").read_text(encoding="utf-8")
    block = text[slice(*blocks_in(text)[name])]
    assert f": {len(plan(experiment, config).tasks)} runs" in block
    assert f"strategies x seeds {list(experiment.seeds)})" in block
    for strategy in experiment.scenarios:
        assert f"| {strategy} |" in block
    for outcome in ["profit[0:365]", "profit_after_provisions[0:365]", "profit"]:
        assert f"Order by `{outcome}`" in block
