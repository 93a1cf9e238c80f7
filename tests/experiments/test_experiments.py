"""Experiments: scenarios x design points x seeds, identical on every executor, safe files."""

import re
import subprocess
import time

import duckdb
import numpy as np
import pandas as pd
import psutil
import pytest

from simfin.config import ConfigError
from simfin.experiments import load_experiment, plan, run_experiment

from .files import BASELINE, SIMFIN, TINY, write


def children() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


@pytest.fixture(scope="module")
def by_executor(tmp_path_factory):
    """The tiny experiment on each executor (dask: a real LocalCluster of 2 processes)."""
    tmp = tmp_path_factory.mktemp("executors")
    experiment, config = load_experiment(write(tmp, TINY))
    runs = {name: run_experiment(experiment, config, tmp / name, name, workers=2)
            for name in ("local", "processes")}
    time.sleep(2)  # the process pool's workers exit
    before, during = children(), []
    runs["dask"] = run_experiment(experiment, config, tmp / "dask", "dask", workers=2,
                                  progress=lambda done, total: during.append(children()))
    deadline = time.monotonic() + 20
    while children() - before and time.monotonic() < deadline:
        time.sleep(0.2)
    runs["dask processes"] = (max(len(d - before) for d in during), children() - before)
    return runs


def test_every_scenario_runs_every_seed(by_executor):
    results = by_executor["local"].results
    assert set(results["scenario"]) == {"cap_36", "cap_24"}
    assert results["seed"].nunique() == 2
    assert len(results) == 2 * 2 * 4  # three lenders plus the market, per scenario and seed
    market = results[results["lender"] == "market"].groupby("scenario")["approval_rate"].mean()
    # a tighter cap never stops lending: cold-start lenders price at the cap
    assert market["cap_36"] > 0 and market["cap_24"] > 0.5 * market["cap_36"]


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_executors_give_bit_identical_results(by_executor, executor):
    local = by_executor["local"]
    assert not local.failures and not by_executor[executor].failures
    pd.testing.assert_frame_equal(local.results, by_executor[executor].results,
                                  check_exact=True)


def test_dask_cluster_is_shut_down(by_executor):
    started, leftovers = by_executor["dask processes"]
    assert started >= 2  # the LocalCluster ran worker processes (2 workers, their nannies)
    assert leftovers == set()  # and they are gone once the experiment returns


def test_seeds_come_from_the_root_seed(tmp_path):
    experiment, config = load_experiment(write(tmp_path, TINY))
    seeds = [t.seed for t in plan(experiment, config).tasks if t.scenario == "cap_36"]
    expected = [int(c.generate_state(1)[0]) % 1_000_000_000
                for c in np.random.SeedSequence(0).spawn(3)[0].spawn(2)]
    assert seeds == expected
    # scenarios share them (common random numbers)
    assert seeds == [t.seed for t in plan(experiment, config).tasks if t.scenario == "cap_24"]


DESIGN = f"""
name: sweep
config: {BASELINE}
overrides: {{{{population.n_consumers: 1000}}}}
steps: 30
replicates: 1
outcomes: [approval_rate, profit]
design:
  method: {{method}}
  samples: 4
  levels: 2
  parameters:
    policy.apr_cap: {{{{low: 0.30, high: 0.40}}}}
    lenders.0.risk.rules.3.action: {{{{levels: [reject, flag]}}}}
"""


@pytest.mark.parametrize(("method", "points"), [("factorial", 4), ("random", 4), ("lhs", 4),
                                                ("sobol", 4)])
def test_designs_give_their_points(tmp_path, method, points):
    experiment, config = load_experiment(write(tmp_path, DESIGN.format(method=method)))
    the_plan = plan(experiment, config)
    caps = the_plan.points["policy.apr_cap"]
    assert len(the_plan.points) == points and caps.between(0.30, 0.40).all()
    assert set(the_plan.points["lenders.0.risk.rules.3.action"]) <= {"reject", "flag"}
    if method == "factorial":
        assert sorted(set(caps.round(9))) == [0.3, 0.4]
    again = plan(*load_experiment(write(tmp_path, DESIGN.format(method=method))))
    pd.testing.assert_frame_equal(the_plan.points, again.points)  # reproducible


def test_cli_writes_results_reports_and_figures_inside_its_folder(tmp_path):
    text = DESIGN.format(method="factorial") + "scenarios: {a: {}, b: {run.default_dpd: 20}}\n"
    path = write(tmp_path, text)
    out = tmp_path / "out"
    done = subprocess.run([*SIMFIN, "experiment", str(path), "--out", str(out)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    # Every file the experiment writes resolves inside its output folder.
    files = [p for p in out.rglob("*") if p.is_file()]
    assert all(p.resolve().is_relative_to(out.resolve()) for p in files)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["experiment.yaml", "out"]
    names = {str(p.relative_to(out)) for p in files}
    assert {"manifest.json", "results.parquet", "comparison.md", "comparison.csv",
            "figures/forest_market.png", "figures/sweep_profit.png"} <= names
    assert len([n for n in names if n.startswith("parts/")]) == 2 * 4
    results = pd.read_parquet(out / "results.parquet")
    assert {"run", "scenario", "point", "replicate", "seed", "lender", "policy.apr_cap",
            "profit"} <= set(results.columns)
    # DuckDB reads the same table.
    count = duckdb.sql(f"select count(*) from '{out / 'results.parquet'}' "
                       "where lender = 'market'").fetchall()[0][0]
    assert count == 2 * 4
    assert "Paired difference to `a`" in (out / "comparison.md").read_text()
    # Swap sets of scenario b against a, from the runs' kept applications.
    assert "## Swap sets" in (out / "comparison.md").read_text()
    assert len(list((out / "swaps").glob("*.parquet"))) == 2 * 4


@pytest.mark.parametrize(("text", "message"), [
    ("scenarios: {'../evil': {}}\n", r"scenario name: '../evil' is not a safe name"),
    ("name: ../evil\n", r"^name: must be a safe name"),
    ("outcomes: [profit, 'a/b']\n", r"outcome: 'a/b' is not a safe name"),
    ("seeds: [1, 1]\n", "seeds"),
    ("baseline: nope\n", r"baseline: no scenario named 'nope'"),
    ("design: {method: sobol, samples: 5, parameters: {policy.apr_cap: {low: 0.2, high: 0.3}}}\n",
     "power of two"),
    ("design: {parameters: {policy.apr_cap: {low: 0.4, high: 0.3}}}\n", "low must be below"),
    ("design: {parameters: {population.fraud_share: {low: 0.0, high: 3.0}}}\n",
     r"^design.parameters.population.fraud_share: population.fraud_share: must be <= 1"),
    ("design: {parameters: {policy.nope: {low: 0.2, high: 0.3}}}\n",
     r"^design.parameters.policy.nope: "),
    ("sensitivity: {method: sobol}\n", "sensitivity: needs a design"),
    ("scenarios:\n  broken: {policy.apr_cap: -1}\n",
     r"^scenarios.broken: policy.apr_cap: must be >= 0"),
])
def test_bad_experiment_files_fail_in_one_line(tmp_path, text, message):
    path = write(tmp_path, f"config: {BASELINE}\n" + text)
    with pytest.raises(ConfigError, match=message) as info:
        load_experiment(path)
    assert "\n" not in str(info.value)


def test_cli_refuses_bad_input_in_one_line(tmp_path):
    for args in (["experiment", str(tmp_path / "nope.yaml")],
                 ["experiment", str(write(tmp_path, TINY)), "--executor", "cloud"],
                 ["experiment", str(write(tmp_path, "scenarios: {'../x': {}}\n", "b.yaml"))]):
        done = subprocess.run([*SIMFIN, *args], capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert re.fullmatch(r"error: [^\n]+\n", done.stderr), done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.yaml", "experiment.yaml"]
