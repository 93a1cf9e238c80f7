"""CLI surface: --version, bare ``simfin``, enumerated options and their choices."""

from __future__ import annotations

import sys
import typing

import pytest

import simfin
from simfin import cli
from simfin.bench.suite import SIZES
from simfin.experiments import EXECUTORS


def run_main(argv: list[str], monkeypatch, capsys) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["simfin", *argv])
    with pytest.raises(SystemExit) as info:
        cli.main()
    captured = capsys.readouterr()
    return (0 if info.value.code is None else int(info.value.code)), captured.out, captured.err


def test_version(monkeypatch, capsys):
    code, out, err = run_main(["--version"], monkeypatch, capsys)
    assert (code, out.strip(), err) == (0, f"simfin {simfin.__version__}", "")


def test_bare_simfin_prints_help_and_no_error(monkeypatch, capsys):
    code, out, err = run_main([], monkeypatch, capsys)
    assert code == 0
    assert "Usage" in out and "run" in out and "--version" in out
    assert "error" not in err


@pytest.mark.parametrize(("command", "option", "choices"), [
    (["experiment"], "--executor", EXECUTORS.names()),
    (["bench"], "--size", list(SIZES)),
])
def test_enumerated_options_list_their_choices(command, option, choices, monkeypatch,
                                               capsys):
    code, out, _ = run_main([*command, "--help"], monkeypatch, capsys)
    assert code == 0 and option in out
    assert "|".join(choices) in out


@pytest.mark.parametrize("argv", [
    ["experiment", "whatever.yaml", "--executor", "dask-of-nowhere"],
    ["bench", "--size", "huge"],
])
def test_an_invalid_choice_is_one_line_and_exit_2(argv, monkeypatch, capsys):
    code, out, err = run_main(argv, monkeypatch, capsys)
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Invalid value for"), err
    assert argv[-1] in lines[0] and "Value error" not in lines[0]


def test_the_choices_are_the_registered_ones():
    assert list(typing.get_args(cli.BenchSize)) == list(SIZES)
    assert list(typing.get_args(cli.Executor)) == EXECUTORS.names()
