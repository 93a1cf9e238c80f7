"""``policy.schedule``: an entry changes exactly the fields it names, and which fields it
names survives every way a config is dumped and validated again (the written config.yaml,
``simfin.run`` with steps or seed, levers, ``--set``, experiments' overrides, pickling).

A field an entry does not name is "unchanged"; a field named with null (or ``none``) lifts
that cap. The runs themselves are tested in ``tests/agents/test_regulator.py``.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simfin import ConfigError, load_config
from simfin.config import dump_config, validate
from simfin.config.policy import UNCHANGED, describe_levers
from simfin.config.reference import field_reference
from simfin.levers import apply_levers

ENTRY = st.fixed_dictionaries({}, optional={
    "apr_cap": st.sampled_from([None, 0.0, 0.154, 0.24, 2]),
    "consortium": st.booleans(),
    "max_loan_to_income": st.sampled_from([None, 0.5, 3.0]),
}).filter(bool)
SCHEDULE = st.lists(st.tuples(st.integers(0, 400), ENTRY), max_size=5).map(
    lambda items: [{"day": day, **entry} for day, entry in sorted(items, key=lambda i: i[0])])
POLICY = st.fixed_dictionaries({}, optional={
    "apr_cap": st.sampled_from([None, 0.3, 0.36]), "consortium": st.booleans(),
    "max_loan_to_income": st.sampled_from([None, 2.0])})


def named(config) -> list[dict]:
    """The schedule as the entries name it: day and the fields each entry changes."""
    return [{"day": e.day, **e.changes()} for e in config.policy.schedule]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy=POLICY, schedule=SCHEDULE)
def test_every_path_keeps_exactly_the_fields_each_entry_names(policy, schedule):
    as_written = [{k: (float(v) if k == "apr_cap" and v is not None else v)
                   for k, v in entry.items()} for entry in schedule]
    data = {"policy": {**policy, "schedule": schedule}}
    cfg = load_config(data)
    assert named(cfg) == as_written
    # what config.yaml is written from (dump_config is this dump as YAML): day and the
    # named fields only, and it validates to the same config
    dumped = cfg.model_dump(mode="json")
    assert dumped["policy"]["schedule"] == as_written
    again = validate(dumped)
    assert again == cfg and named(again) == as_written
    assert again.model_dump(mode="json") == dumped
    # re-validation of a config object (simfin.run(..., steps=, seed=), levers, --set)
    assert named(load_config(cfg, {"run.steps": 5})) == as_written
    assert named(load_config(cfg, ["run.seed=3"])) == as_written
    levered = apply_levers(cfg, {"apr_cap": 0.3, "consortium": True})
    assert (levered.policy.apr_cap, levered.policy.consortium) == (0.3, True)
    assert named(levered) == as_written
    # experiments' overrides, and a whole schedule given with --set (YAML flow text)
    assert named(load_config(None, {"policy.schedule": schedule})) == as_written
    flow = yaml.safe_dump(schedule, default_flow_style=True).strip()
    assert named(load_config(None, [f"policy.schedule={flow}"])) == as_written
    # a pickled config (executors ship configs to worker processes)
    assert named(pickle.loads(pickle.dumps(cfg))) == as_written


def test_the_written_config_round_trips_exactly(tmp_path: Path):
    schedule = [{"day": 0, "max_loan_to_income": 4.0}, {"day": 30, "consortium": True},
                {"day": 30, "apr_cap": None}, {"day": 90, "apr_cap": 0.24, "consortium": False},
                {"day": 400, "max_loan_to_income": None}]
    cfg = load_config(None, {"policy.schedule": schedule, "policy.consortium": True})
    text = dump_config(cfg)
    assert yaml.safe_load(text)["policy"]["schedule"] == schedule
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    again = load_config(path)
    assert again == cfg and named(again) == schedule and dump_config(again) == text


def test_set_names_one_field_of_one_entry(tmp_path: Path):
    path = tmp_path / "market.yaml"
    path.write_text("policy:\n  schedule:\n    - {day: 30, consortium: true}\n",
                    encoding="utf-8")
    assert named(load_config(path)) == [{"day": 30, "consortium": True}]
    lifted = load_config(path, ["policy.schedule.0.apr_cap=null"])
    assert named(lifted) == [{"day": 30, "apr_cap": None, "consortium": True}]
    capped = load_config(path, ["policy.schedule.0.apr_cap=0.24"])
    assert named(capped) == [{"day": 30, "apr_cap": 0.24, "consortium": True}]
    # on a config object too (the path levers and simfin.run(steps=) take)
    assert named(load_config(load_config(path), ["policy.schedule.0.apr_cap=none"])) == [
        {"day": 30, "apr_cap": None, "consortium": True}]


@pytest.mark.parametrize("word", ["none", "None", "NONE", "null", "~"])
def test_none_and_null_both_mean_no_cap(word):
    cfg = load_config(None, [f"policy.apr_cap={word}", f"policy.max_loan_to_income={word}",
                             f"policy.schedule=[{{day: 5, apr_cap: {word}}}]"])
    assert cfg.policy.apr_cap is None and cfg.policy.max_loan_to_income is None
    assert named(cfg) == [{"day": 5, "apr_cap": None}]


@pytest.mark.parametrize(("schedule", "field", "reason"), [
    ("[{day: 5, consortium: null}]", "policy.schedule.0.consortium", "must be true or false"),
    ("[{day: 5}]", "policy.schedule.0", "names no field to change"),
    ("[{day: 5, apr_cap: 0.2}, {day: 9}]", "policy.schedule.1", "names no field to change"),
    ("[{day: 5, apr_cap: lots}]", "policy.schedule.0.apr_cap", "valid number"),
    ("[{day: 5, apr_cap: -0.1}]", "policy.schedule.0.apr_cap", "must be >= 0"),
    ("[{day: 9, apr_cap: 0.2}, {day: 5, apr_cap: 0.3}]", "policy.schedule",
     "increasing order"),
])
def test_a_meaningless_entry_is_refused_in_one_line(schedule, field, reason):
    with pytest.raises(ConfigError) as caught:
        load_config(None, [f"policy.schedule={schedule}"])
    message = str(caught.value)
    assert message.startswith(f"{field}:") and reason in message
    assert "\n" not in message


def test_the_field_reference_says_an_unnamed_field_is_unchanged():
    rows = {line.split("|")[1].strip(" `"): line for line in field_reference().splitlines()
            if line.startswith("| `")}
    for name in ("apr_cap", "consortium", "max_loan_to_income"):
        row = rows[f"policy.schedule.N.{name}"]
        assert f"| {UNCHANGED} |" in row, row
    assert "lifts the cap" in rows["policy.schedule.N.apr_cap"]
    assert "exactly the fields it names" in rows["policy.schedule"]


def test_changes_are_described_by_the_fields_they_name():
    assert describe_levers({"apr_cap": 0.24}) == "apr_cap=24%"
    assert describe_levers({"apr_cap": 0.154, "consortium": True}) == (
        "apr_cap=15.4%, consortium=on")
    assert describe_levers({"apr_cap": None, "max_loan_to_income": 2.5}) == (
        "apr_cap=none, max_loan_to_income=2.5")
    assert describe_levers({"consortium": False}) == "consortium=off"


def test_simfin_run_refuses_a_consortium_set_to_null_in_one_line(tmp_path: Path):
    from typer.testing import CliRunner

    from simfin.cli import app

    path = tmp_path / "market.yaml"
    path.write_text("policy:\n  schedule:\n    - {day: 3, apr_cap: 0.24, consortium: null}\n",
                    encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: policy.schedule.0.consortium: must be true or false (leave it out to keep "
        "the consortium as it is)"]
    assert not (tmp_path / "out").exists()
