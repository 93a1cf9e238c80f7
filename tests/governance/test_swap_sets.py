"""Swap sets between two runs (same seed) and in an experiment's report."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

import simfin
from simfin.indicators.swap_sets import keyed, swap_sets
from simfin.outputs.writer import write_application_record

SMALL = {"population.n_consumers": 2500, "run.default_dpd": 15, "run.writeoff_dpd": 30}
STEPS = 60


@pytest.fixture(scope="module")
def two_runs():
    a = simfin.run("configs/baseline.yaml", steps=STEPS, seed=4, overrides=SMALL)
    b = simfin.run("configs/baseline.yaml", steps=STEPS, seed=4,
                   overrides={**SMALL, "policy.apr_cap": 0.24})
    return a, b


def test_counts_add_up_to_each_runs_approvals(two_runs):
    a, b = two_runs
    table = swap_sets(keyed(a.applications), keyed(b.applications)).set_index("lender")
    names = [lender.name for lender in a.model.lenders]
    for i, name in enumerate(names):
        row = table.loc[str(i)]
        approvals_a = a.summary["lenders"][name]["approvals"]
        approvals_b = b.summary["lenders"][name]["approvals"]
        assert approvals_a > 0 and approvals_b > 0  # precondition: both runs approve
        assert row["in_both"] + row["swap_out"] == approvals_a
        assert row["in_both"] + row["swap_in"] == approvals_b
    # The cap changed decisions: some swaps, and some decisions on the same application.
    assert table["swap_out"].sum() > 0 and table["swap_in"].sum() > 0
    assert table["in_both"].sum() > 0


def test_identical_runs_swap_nothing(two_runs):
    a, _ = two_runs
    table = swap_sets(keyed(a.applications), keyed(a.applications))
    assert (table["swap_in"] == 0).all() and (table["swap_out"] == 0).all()
    assert (table["matched"] == 1.0).all()


def test_cli_swap_prints_the_table_and_refuses_a_folder_without_applications(two_runs,
                                                                              tmp_path):
    for name, result in zip("ab", two_runs, strict=True):
        (tmp_path / name).mkdir()
        write_application_record(result, tmp_path / name / "applications.parquet")
    swap = [sys.executable, "-m", "simfin.cli", "swap", str(tmp_path / "a"),
            str(tmp_path / "b"), "--csv", str(tmp_path / "swap.csv")]
    done = subprocess.run(swap, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "| platform |" in done.stdout and "swap-in" in done.stdout
    table = pd.read_csv(tmp_path / "swap.csv").set_index("lender")
    assert table.loc["platform", "approvals_a"] == \
        two_runs[0].summary["lenders"]["platform"]["approvals"]
    missing = subprocess.run([*swap[:4], str(tmp_path), str(tmp_path / "b")],
                             capture_output=True, text=True)
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: ") and "applications.parquet" in missing.stderr
