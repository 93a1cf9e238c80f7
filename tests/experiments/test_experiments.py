"""Experiments: scenarios of overrides x replicate seeds, identical on every executor."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from simfin.config import ConfigError
from simfin.experiments import compare, load_experiment, run_experiment

ROOT = Path(__file__).resolve().parents[2]
SIMFIN = [sys.executable, "-m", "simfin.cli"]

SMALL = """
name: small
config: {config}
overrides: {{population.n_consumers: 3000}}
steps: 60
seeds: [1, 2]
scenarios:
  cap_36: {{policy.apr_cap: 0.36}}
  cap_24: {{policy.apr_cap: 0.24}}
outcomes: [approval_rate, default_rate, profit]
"""


@pytest.fixture
def small_experiment(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL.format(config=ROOT / "configs" / "baseline.yaml"))
    return path


def test_every_scenario_runs_every_seed(small_experiment):
    experiment, config = load_experiment(small_experiment)
    results = run_experiment(experiment, config)
    assert set(results["scenario"]) == {"cap_36", "cap_24"}
    assert set(results["seed"]) == {1, 2}
    assert len(results) == 2 * 2 * 4  # scenarios x seeds x (3 lenders + market)
    table = compare(results, experiment.outcomes)
    market = table[table["lender"] == "market"].set_index("scenario")
    # a tighter cap never stops lending: cold-start lenders price at the cap
    assert market.loc["cap_24", "approval_rate_mean"] > \
        0.5 * market.loc["cap_36", "approval_rate_mean"] > 0


def test_executors_give_identical_results(small_experiment):
    experiment, config = load_experiment(small_experiment)
    local = run_experiment(experiment, config, executor="local")
    pooled = run_experiment(experiment, config, executor="processes", workers=2)
    pd.testing.assert_frame_equal(local, pooled)


def test_a_bad_scenario_override_names_the_scenario(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(f"config: {ROOT / 'configs' / 'baseline.yaml'}\n"
                    "scenarios:\n  broken: {policy.apr_cap: -1}\n")
    with pytest.raises(ConfigError, match=r"^scenarios.broken: policy.apr_cap: must be >= 0"):
        load_experiment(path)


def test_duplicate_seeds_are_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("seeds: [1, 1]\n")
    with pytest.raises(ConfigError, match="seeds"):
        load_experiment(path)


def test_cli_writes_results_report_and_figures(small_experiment, tmp_path):
    out = tmp_path / "out"
    done = subprocess.run([*SIMFIN, "experiment", str(small_experiment), "--out", str(out)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    results = pd.read_parquet(out / "results.parquet")
    assert {"scenario", "seed", "lender", "profit"} <= set(results.columns)
    assert "cap_24" in (out / "comparison.md").read_text()
    assert (out / "figures" / "approval_rate.png").stat().st_size > 0


def test_cli_refuses_a_missing_experiment_file(tmp_path):
    done = subprocess.run([*SIMFIN, "experiment", str(tmp_path / "nope.yaml")],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "not found" in done.stderr
