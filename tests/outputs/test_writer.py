"""Writing a run's files: complete or not at all, and never touching a user's files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

import simfin
from simfin.outputs import writer
from simfin.outputs.figures import FIGURES
from simfin.outputs.loan_table import named_loans
from simfin.outputs.run_folder import (
    OUTPUT_FILES,
    OutputExistsError,
    check_out_dir,
    default_out_dir,
)
from simfin.outputs.writer import write_run
from tests.conftest import TWO_LENDERS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def result() -> simfin.RunResult:
    return simfin.run(TWO_LENDERS, steps=20, seed=5, overrides={"population.n_consumers": 2_000})


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_writes_every_output(result, tmp_path: Path):
    out = tmp_path / "run"
    assert write_run(result, out) == out
    for name in OUTPUT_FILES:
        assert (out / name).is_file(), name
        assert (out / name).stat().st_size > 0, name
    pngs = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert pngs == sorted(FIGURES)
    for png in pngs:
        assert (out / "figures" / png).read_bytes()[:8] == PNG_SIGNATURE
    # nothing else next to the output (no staging folder left behind)
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_tables_read_back_equal_the_result(result, tmp_path: Path):
    write_run(result, tmp_path / "run")
    steps = pd.read_parquet(tmp_path / "run" / "steps.parquet")
    expected = result.steps.copy()
    expected["lender"] = expected["lender"].astype(str)
    pd.testing.assert_frame_equal(steps, expected, check_dtype=False)
    assert steps["lender"].tolist() == result.steps["lender"].astype(str).tolist()
    loans = pd.read_parquet(tmp_path / "run" / "loans.parquet")
    pd.testing.assert_frame_equal(loans, named_loans(result.loans, result.config))


def test_summary_and_config_read_back(result, tmp_path: Path):
    write_run(result, tmp_path / "run")
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    assert summary["market"]["applications"] == result.summary["market"]["applications"]
    assert summary["market"]["profit"] == result.summary["market"]["profit"]
    assert set(summary["lenders"]) == set(result.summary["lenders"])
    text = (tmp_path / "run" / "config.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(text)["run"]["seed"] == 5
    assert simfin.load_config(tmp_path / "run" / "config.yaml") == result.config


def test_report_shows_the_summary_and_links_the_figures(result, tmp_path: Path):
    write_run(result, tmp_path / "run")
    report = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# simfin run")
    for name in result.summary["lenders"]:
        assert name in report
    assert "Approval rate" in report
    for fig in FIGURES:
        assert f"(figures/{fig})" in report
        assert (tmp_path / "run" / "figures" / fig).exists()


def test_check_out_dir(tmp_path: Path):
    check_out_dir(tmp_path / "new", force=False)  # does not exist: fine
    (tmp_path / "empty").mkdir()
    check_out_dir(tmp_path / "empty", force=False)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="not empty"):
        check_out_dir(tmp_path / "full", force=False)
    check_out_dir(tmp_path / "full", force=True)
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputExistsError, match="not a folder"):
        check_out_dir(tmp_path / "file", force=True)


def test_refuses_a_folder_holding_a_users_file(result, tmp_path: Path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("my notes", encoding="utf-8")
    with pytest.raises(OutputExistsError):
        write_run(result, out)
    assert snapshot(out) == {"notes.txt": b"my notes"}
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_force_replaces_simfins_outputs_and_leaves_the_users_files(result, tmp_path: Path):
    out = tmp_path / "run"
    (out / "figures").mkdir(parents=True)
    (out / "notes.txt").write_text("my notes", encoding="utf-8")
    (out / "figures" / "my_plot.png").write_bytes(b"not simfin's")
    (out / "steps.parquet").write_bytes(b"an old, broken output")
    write_run(result, out, force=True)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "my notes"
    assert (out / "figures" / "my_plot.png").read_bytes() == b"not simfin's"
    assert len(pd.read_parquet(out / "steps.parquet")) == len(result.steps)
    for fig in FIGURES:
        assert (out / "figures" / fig).read_bytes()[:8] == PNG_SIGNATURE


def test_a_failure_while_writing_leaves_nothing_behind(result, tmp_path: Path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(writer, "write_figures", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        write_run(result, tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


def test_a_failure_while_writing_keeps_earlier_outputs_intact(result, tmp_path: Path,
                                                              monkeypatch):
    out = tmp_path / "run"
    write_run(result, out)
    (out / "notes.txt").write_text("my notes", encoding="utf-8")
    before = snapshot(out)
    other = simfin.run(TWO_LENDERS, steps=10, seed=6, overrides={"population.n_consumers": 2_000})

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(writer, "render_report", broken)
    with pytest.raises(RuntimeError):
        write_run(other, out, force=True)
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_default_out_dir_is_new_every_time(tmp_path: Path):
    first = default_out_dir("baseline", 42, root=tmp_path)
    second = default_out_dir("baseline", 42, root=tmp_path)
    assert first != second
    assert first.parent == tmp_path
    assert first.name.startswith("baseline-seed42-")
    assert default_out_dir("x", 1).parts[0] == "runs"
