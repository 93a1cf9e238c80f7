"""Stress tests: strategies x macroeconomic paths, each path's change from steady paired by
seed, the strategies ranked by what they lose, and the README's measured block."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simfin.config import ConfigError
from simfin.experiments.design import ExperimentConfig, load_experiment
from simfin.experiments.measured import blocks_in
from simfin.experiments.stress import main, ranking, stress_cells, stress_table

from .files import BASELINE, write

ROOT = Path(__file__).resolve().parents[2]
RULES = "{lenders.1.risk.model.kind: none, lenders.1.pricing.strategy: flat"
TINY_STRESS = f"""
name: tiny_stress
config: {BASELINE}
overrides: {{population.n_consumers: 1500, run.record_applications: false,
             macro.start_day: 20}}
steps: 60
seeds: [1, 2]
scenarios:
  rules_only__steady: {RULES}}}
  rules_only__severe: {RULES}, macro.scenario: severe}}
  model__steady: {{}}
  model__severe: {{macro.scenario: severe}}
outcomes: ["profit[20:60]", "loans[20:60]", "dpd1_ratio_peak[20:60]"]
"""
README = "# prose above\n<!-- measured:tiny_stress -->\nstale\n<!-- /measured:tiny_stress -->\n" \
         "prose below\n"


def experiment(scenarios: dict) -> ExperimentConfig:
    return ExperimentConfig.model_validate({"name": "s", "scenarios": scenarios})


def test_strategies_and_paths_are_read_from_the_names_steady_first():
    cells = stress_cells(experiment({
        "a__severe": {"macro.scenario": "severe"}, "a__steady": {},
        "b__steady": {"x": 1}, "b__severe": {"x": 1, "macro.scenario": "severe"}}))
    assert cells.strategies == ["a", "b"] and cells.paths == ["steady", "severe"]
    assert cells.scenario[("b", "severe")] == "b__severe"


@pytest.mark.parametrize(("scenarios", "message"), [
    ({"a_steady": {}}, r"scenarios\.a_steady: .* named <strategy>__<path>"),
    ({"a__steady": {}, "a__severe": {}}, r"a__severe: its name says path 'severe' but it "
     r"sets macro.scenario 'steady'"),
    ({"a__steady": {}, "a__severe": {"macro.scenario": "severe"}, "b__steady": {}},
     r"strategy 'b' has no scenario for severe"),
    ({"a__severe": {"macro.scenario": "severe"}}, r"needs every strategy under 'steady'"),
])
def test_a_design_that_is_not_a_stress_test_is_one_line(scenarios, message):
    with pytest.raises(ConfigError, match=message):
        stress_cells(experiment(scenarios))


def _results() -> pd.DataFrame:
    """Two strategies, four seeds whose levels differ far more than the paths do."""
    level = np.array([100.0, 500.0, 900.0, 1_300.0])
    change = {"a": np.array([-50.0, -50.0, -50.0, -50.0]),
              "b": np.array([-78.0, -82.0, -79.0, -81.0])}
    rows = []
    for strategy in ("a", "b"):
        for path, values in (("steady", level), ("severe", level + change[strategy])):
            for replicate, value in enumerate(values):
                rows.append({"scenario": f"{strategy}__{path}", "point": 0,
                             "replicate": replicate, "lender": "platform", "profit": value})
    return pd.DataFrame(rows)


def test_changes_are_paired_by_seed_and_the_ranking_reads_them():
    results = _results()
    cells = stress_cells(experiment({
        "a__steady": {}, "a__severe": {"macro.scenario": "severe"},
        "b__steady": {"x": 1}, "b__severe": {"x": 1, "macro.scenario": "severe"}}))
    table = stress_table(results, cells, ["profit"], "platform").set_index(
        ["strategy", "path"])
    # the levels' intervals span hundreds (seed to seed); the paired changes do not
    assert table.loc[("a", "steady"), "high"] - table.loc[("a", "steady"), "low"] > 500
    assert table.loc[("a", "severe"), ["change", "change_low", "change_high"]].tolist() \
        == [-50.0, -50.0, -50.0]
    b = table.loc[("b", "severe")]
    assert b["change"] == pytest.approx(-80.0) and -83 < b["change_low"] < b["change_high"] < -77
    assert np.isnan(table.loc[("b", "steady"), "change"])
    order = ranking(results, cells, "profit", "platform")
    assert order["strategy"].tolist() == ["a", "b"]  # a loses least
    second = order.iloc[1]
    assert second["behind"] == pytest.approx(-30.0) and second["behind_high"] < 0
    assert (second["leader_wins"], second["seeds"]) == (4, 4)


def test_the_command_runs_reports_and_rewrites_only_its_block(tmp_path: Path, capsys):
    file = write(tmp_path, TINY_STRESS)
    readme = tmp_path / "README.md"
    readme.write_text(README)
    out = tmp_path / "out"
    assert main([str(file), "--out", str(out), "--executor", "local", "--rank-by",
                 "profit[20:60]", "--readme", str(readme)]) == 0
    results = pd.read_parquet(out / "results.parquet")
    platform = results[results["lender"] == "platform"]
    assert len(platform) == 8 and (platform["loans[20:60]"] > 0).all()  # loans were made
    printed = capsys.readouterr()
    report = printed.out
    assert "8/8 runs" in printed.err  # progress, run by run
    # the path applied: every severe run differs from its steady pair
    assert "the path applied (the stressed run differs from its steady pair) in 4 of 4 " \
        "runs" in report
    assert "the model was live before day 20 in 0 of 4 runs with a model" in report
    table = pd.read_csv(out / "stress.csv")
    assert set(table["strategy"]) == {"rules_only", "model"}
    assert set(table["path"]) == {"steady", "severe"}
    text = readme.read_text()
    assert text.startswith("# prose above\n") and text.endswith("prose below\n")
    assert "stale" not in text
    block = text[slice(*blocks_in(text)["tiny_stress"])]
    assert "8 runs" in block and "`severe` minus `steady`, paired by seed" in block
    assert "| severe | 1 |" in block and "Under `severe`, " in block
    assert (out / "stress.md").read_text().startswith("# Stress test: tiny_stress")


def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path: Path, capsys):
    not_stress = write(tmp_path, TINY_STRESS.replace("model__steady", "model_steady"))
    out = tmp_path / "out"
    assert main([str(not_stress), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: scenarios.model_steady: ") and err.count("\n") == 1
    stress = write(tmp_path, TINY_STRESS, "stress.yaml")
    assert main([str(stress), "--out", str(out), "--rank-by", "profitt"]) == 2
    assert capsys.readouterr().err.startswith("error: --rank-by: 'profitt' is not an outcome")
    assert not out.exists()


def test_the_shipped_stress_test_and_its_readme_block_agree():
    """An edited stress_test.yaml (strategies, paths, outcomes) without a re-measured block
    fails here."""
    experiment_, _ = load_experiment(ROOT / "experiments" / "stress_test.yaml")
    cells = stress_cells(experiment_)
    assert cells.paths == ["steady", "adverse", "severe"]
    assert len(cells.strategies) == 4
    text = (ROOT / "experiments" / "README.md").read_text(encoding="utf-8")
    block = text[slice(*blocks_in(text)["stress_test"])]
    assert f"({len(cells.strategies)} strategies x {len(cells.paths)} paths x seeds" in block
    for strategy in cells.strategies:
        assert f"| {strategy} |" in block
    for path in cells.paths[1:]:
        assert f"`{path}` minus `steady`, paired by seed" in block
    for outcome in experiment_.outcomes:
        assert outcome in block
    start = experiment_.overrides["macro.start_day"]
    assert f"the path starts on day {start}" in block


def test_every_figure_the_stress_verdict_quotes_is_in_its_measured_block():
    """The verdict under the block quotes measured numbers: each must be in the block, so a
    re-measured block with other numbers fails here until the verdict is read again."""
    text = (ROOT / "experiments" / "README.md").read_text(encoding="utf-8")
    start, end = blocks_in(text)["stress_test"]
    block = text[start:end]
    verdict = text[end:].split("*Verdict on this market (three seeds):*", 1)[1]
    verdict = verdict.split("\n## ", 1)[0]
    quoted = re.findall(r"-?\d[\d,]*\.\d+|-?\d{1,3}(?:,\d{3})+", verdict)
    assert len(quoted) > 20  # precondition: the verdict quotes the measurement
    for number in quoted:
        assert number in block, number
