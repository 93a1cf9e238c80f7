"""The ``simfin`` command line: exit codes, one-line errors, outputs, reproducibility.

The real console script runs in subprocesses (started together, to share the start-up
cost) for a good run, its reproduction and a few bad inputs; every bad input, and the
output-folder rules, also run in-process through ``simfin.cli.main``, the same entry point.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from simfin.cli import main
from simfin.outputs.figures import FIGURES

OUTPUTS = ("steps.parquet", "loans.parquet", "summary.json", "config.yaml", "report.md")
# Bad inputs also run through the real console script (the rest run in-process only).
SUBPROCESS_CASES = ("probability_above_1", "yaml_python_tag", "rule_does_not_parse")


def set_args(overrides: list[str]) -> list[str]:
    return [arg for item in overrides for arg in ("--set", item)]


def run_main(argv: list[str], monkeypatch, capsys) -> tuple[int, str, str]:
    """Run ``simfin <argv>`` in-process; returns (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["simfin", *argv])
    with pytest.raises(SystemExit) as info:
        main()
    captured = capsys.readouterr()
    code = info.value.code
    return (0 if code is None else int(code)), captured.out, captured.err


def assert_one_line_error(err: str) -> str:
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    return lines[0].removeprefix("error: ")


def assert_outputs(out: Path) -> None:
    for name in OUTPUTS:
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    for fig in FIGURES:
        assert (out / "figures" / fig).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", fig


# -- the real console script ---------------------------------------------------------------

class Proc:
    def __init__(self, argv: list[str], cwd: Path) -> None:
        self.argv, self.cwd = argv, cwd
        self.popen = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
        self._done: tuple[int, str, str] | None = None

    def wait(self) -> tuple[int, str, str]:
        if self._done is None:
            out, err = self.popen.communicate(timeout=300)
            self._done = (self.popen.returncode, out, err)
        return self._done


@pytest.fixture(scope="module", autouse=True)
def cli(tmp_path_factory, simfin_exe, bad_input_case):
    """Start every subprocess of this module at once, before the in-process tests run; the
    console-script tests at the end of the module wait for the ones they need."""
    root = tmp_path_factory.mktemp("cli")
    procs: dict[str, tuple[Proc, object]] = {}

    config = root / "tiny.yaml"
    config.write_text("run:\n  name: tiny\n  steps: 365\n  seed: 3\n"
                      "population:\n  n_consumers: 2000\n", encoding="utf-8")
    procs["good"] = (Proc([*simfin_exe, "run", str(config), "--steps", "30",
                           "--out", str(root / "good")], root), root / "good")

    for case in SUBPROCESS_CASES:
        folder = root / case
        folder.mkdir()
        bad = bad_input_case(case, folder)
        procs[case] = (Proc([*simfin_exe, "run", str(bad.path), "--out", str(folder / "out"),
                             *set_args(bad.overrides)], folder), bad)
    yield procs
    for proc, _ in procs.values():
        if proc.popen.poll() is None:
            proc.popen.kill()
            proc.popen.wait()


# -- in-process, through the same entry point ----------------------------------------------

def test_every_bad_input_exits_2_with_one_line(bad_input, monkeypatch, capsys):
    out = bad_input.folder / "out"
    before = sorted(p.name for p in bad_input.folder.iterdir())
    code, _, err = run_main(["run", str(bad_input.path), "--out", str(out),
                             *set_args(bad_input.overrides)], monkeypatch, capsys)
    assert code == 2
    bad_input.check_message(assert_one_line_error(err))
    assert not out.exists()
    assert sorted(p.name for p in bad_input.folder.iterdir()) == before


def test_bad_input_leaves_an_existing_out_folder_empty(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    code, _, err = run_main(["run", "missing.yaml", "--out", str(out)], monkeypatch, capsys)
    assert code == 2
    assert "missing.yaml" in assert_one_line_error(err)
    assert list(out.iterdir()) == []


def test_bad_set_syntax_exits_2(small_yaml, tmp_path, monkeypatch, capsys):
    code, _, err = run_main(["run", str(small_yaml), "--set", "no_equals_sign",
                             "--out", str(tmp_path / "out")], monkeypatch, capsys)
    assert code == 2
    assert "no_equals_sign" in assert_one_line_error(err)
    assert not (tmp_path / "out").exists()


def test_refuses_a_folder_holding_a_users_file(small_yaml, tmp_path, monkeypatch, capsys):
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("my notes", encoding="utf-8")
    code, _, err = run_main(["run", str(small_yaml), "--out", str(occupied)], monkeypatch,
                            capsys)
    assert code == 2
    message = assert_one_line_error(err)
    assert str(occupied) in message and "--force" in message
    assert sorted(p.name for p in occupied.iterdir()) == ["notes.txt"]
    assert (occupied / "notes.txt").read_text(encoding="utf-8") == "my notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["occupied", "tiny.yaml"]


def test_force_writes_outputs_and_keeps_the_users_files(small_yaml, tmp_path, monkeypatch,
                                                         capsys):
    forced = tmp_path / "forced"
    (forced / "figures").mkdir(parents=True)
    (forced / "notes.txt").write_text("my notes", encoding="utf-8")
    (forced / "figures" / "my_plot.png").write_bytes(b"mine")
    code, _, err = run_main(["run", str(small_yaml), "--steps", "10", "--force",
                             "--out", str(forced)], monkeypatch, capsys)
    assert code == 0, err
    assert (forced / "notes.txt").read_text(encoding="utf-8") == "my notes"
    assert (forced / "figures" / "my_plot.png").read_bytes() == b"mine"
    assert_outputs(forced)
    assert sorted(pd.read_parquet(forced / "steps.parquet")["day"].unique()) == list(range(10))


def test_out_that_is_a_file_is_refused_even_with_force(small_yaml, tmp_path, monkeypatch,
                                                       capsys):
    target = tmp_path / "results"
    target.write_text("a user's file", encoding="utf-8")
    code, _, err = run_main(["run", str(small_yaml), "--force", "--out", str(target)],
                            monkeypatch, capsys)
    assert code == 2
    assert "not a folder" in assert_one_line_error(err)
    assert target.read_text(encoding="utf-8") == "a user's file"


def test_two_runs_without_out_make_two_folders_under_runs(small_yaml, tmp_path, monkeypatch,
                                                          capsys):
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        code, stdout, err = run_main(["run", str(small_yaml), "--steps", "8"], monkeypatch,
                                     capsys)
        assert code == 0, err
        assert "outputs written to runs" in stdout
    folders = sorted((tmp_path / "runs").iterdir())
    assert len(folders) == 2
    for folder in folders:
        assert folder.name.startswith("tiny-seed42-")
        assert_outputs(folder)
    pd.testing.assert_frame_equal(pd.read_parquet(folders[0] / "steps.parquet"),
                                  pd.read_parquet(folders[1] / "steps.parquet"))


def test_steps_seed_and_set_reach_the_run(small_yaml, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    code, _, err = run_main(["run", str(small_yaml), "--steps", "6", "--seed", "9",
                             "--set", "lenders.0.name=alpha", "--out", str(out)],
                            monkeypatch, capsys)
    assert code == 0, err
    written = (out / "config.yaml").read_text(encoding="utf-8")
    import yaml

    cfg = yaml.safe_load(written)
    assert cfg["run"]["steps"] == 6 and cfg["run"]["seed"] == 9
    assert cfg["lenders"][0]["name"] == "alpha"
    steps = pd.read_parquet(out / "steps.parquet")
    assert "alpha" in set(steps["lender"])
    assert steps["day"].max() == 5


@pytest.mark.parametrize("option", [["--steps", "0"], ["--seed", "-1"]])
def test_bad_steps_or_seed_option_is_one_line(option, small_yaml, tmp_path, monkeypatch,
                                               capsys):
    code, _, err = run_main(["run", str(small_yaml), *option, "--out", str(tmp_path / "o")],
                            monkeypatch, capsys)
    assert code == 2
    assert not (tmp_path / "o").exists()
    assert option[0].removeprefix("--") in assert_one_line_error(err)


def test_config_doc_lists_every_section(monkeypatch, capsys):
    code, stdout, _ = run_main(["config-doc"], monkeypatch, capsys)
    assert code == 0
    assert stdout.startswith("| field | default | unit | description |")
    for path in ("`population.n_consumers`", "`lenders`", "`lenders.N.risk.approval_threshold`",
                 "`policy.apr_cap`", "`run.seed`"):
        assert path in stdout, path


# -- the real console script (started by the autouse fixture above) ---------------------

@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_console_script_bad_input_exits_2_with_one_line(cli, case: str):
    proc, bad = cli[case]
    code, _, err = proc.wait()
    assert code == 2, err
    bad.check_message(assert_one_line_error(err))
    assert not (bad.folder / "out").exists()


def test_console_script_good_run_writes_everything(cli):
    proc, out = cli["good"]
    code, stdout, err = proc.wait()
    assert code == 0, err
    assert "Traceback" not in err
    assert_outputs(out)
    assert f"outputs written to {out}" in stdout
    steps = pd.read_parquet(out / "steps.parquet")
    assert sorted(steps["day"].unique()) == list(range(30))
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["horizon_days"] == 30
    assert "market" in summary
    # only the output folder and the inputs next to it: no staging folders left
    assert not list(out.parent.glob(".*staging*"))


def test_console_script_reproduces_a_run_from_its_config(cli, simfin_exe, tmp_path):
    proc, first = cli["good"]
    assert proc.wait()[0] == 0
    second = tmp_path / "again"
    again = Proc([*simfin_exe, "run", str(first / "config.yaml"), "--out", str(second)],
                 tmp_path)
    code, _, err = again.wait()
    assert code == 0, err
    pd.testing.assert_frame_equal(pd.read_parquet(first / "steps.parquet"),
                                  pd.read_parquet(second / "steps.parquet"))
    pd.testing.assert_frame_equal(pd.read_parquet(first / "loans.parquet"),
                                  pd.read_parquet(second / "loans.parquet"))
    assert (json.loads((first / "summary.json").read_text(encoding="utf-8"))
            == json.loads((second / "summary.json").read_text(encoding="utf-8")))
