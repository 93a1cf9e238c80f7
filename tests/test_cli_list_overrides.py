"""``--set path+=item`` appends to a list and ``--set path.N+=item`` inserts before item N
(or before the item with that name), through the command line, Python overrides and
experiment scenarios; a bad position or a target that is not a list is one line naming it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

import simfin
from simfin.cli import main
from simfin.config import ConfigError, dump_config, load_config
from simfin.experiments import load_experiment

BASELINE = Path(__file__).resolve().parents[1] / "configs" / "baseline.yaml"
RULES = "lenders.platform.risk.rules"
PLATFORM_RULES = ["underage", "device_burst", "identity_mismatch", "bureau_delinquent",
                  "multi_lending", "consortium_multi_lending", "consortium_bad_record"]
UNDER_21 = "{name: under_21, when: 'age_years < 21', action: reject, reason: AGE}"
NEW_RULE = {"name": "under_21", "when": "age_years < 21", "action": "reject",
            "reason": "AGE"}


def rule_names(config: simfin.MarketConfig, lender: str = "platform") -> list[str]:
    return [rule.name for rule in next(x for x in config.lenders if x.name == lender).risk.rules]


def test_the_baseline_platform_has_the_rules_these_tests_assume():
    assert rule_names(load_config(BASELINE)) == PLATFORM_RULES


def test_append_adds_the_item_at_the_end():
    config = load_config(BASELINE, [f"{RULES}+={UNDER_21}"])
    assert rule_names(config) == [*PLATFORM_RULES, "under_21"]
    added = config.lenders[1].risk.rules[-1]
    assert (added.when, added.action, added.reason) == ("age_years < 21", "reject", "AGE")
    assert rule_names(config, "bank") == rule_names(load_config(BASELINE), "bank")


@pytest.mark.parametrize(("position", "expected"), [
    ("0", ["under_21", *PLATFORM_RULES]),
    ("2", [*PLATFORM_RULES[:2], "under_21", *PLATFORM_RULES[2:]]),
    ("7", [*PLATFORM_RULES, "under_21"]),  # the length: the end
    ("multi_lending", [*PLATFORM_RULES[:4], "under_21", *PLATFORM_RULES[4:]]),  # by name
])
def test_insert_puts_the_item_before_the_position(position, expected):
    assert rule_names(load_config(BASELINE, [f"{RULES}.{position}+={UNDER_21}"])) == expected


def test_repeated_additions_apply_in_order():
    second = UNDER_21.replace("under_21", "under_20").replace("21", "20")
    config = load_config(BASELINE, [f"{RULES}+={UNDER_21}", f"{RULES}.0 += {second}"])
    assert rule_names(config) == ["under_20", *PLATFORM_RULES, "under_21"]


def test_append_to_a_list_the_file_does_not_give_starts_from_the_default(tmp_path: Path):
    path = tmp_path / "one_lender.yaml"
    path.write_text("lenders:\n  - {name: solo}\n", encoding="utf-8")
    default = rule_names(load_config(path), "solo")
    assert default  # precondition: the schema gives a default rule list
    config = load_config(path, {"lenders.solo.risk.rules+": NEW_RULE})
    assert rule_names(config, "solo") == [*default, "under_21"]


def test_a_lender_can_be_inserted_by_name_and_appended():
    base = load_config(BASELINE)
    newcomer = base.lenders[2].model_dump(mode="json") | {"name": "newcomer"}
    first = load_config(BASELINE, {"lenders.bank+": newcomer})
    assert [x.name for x in first.lenders] == ["newcomer", "bank", "platform", "cash"]
    last = load_config(BASELINE, {"lenders+": newcomer})
    assert [x.name for x in last.lenders] == ["bank", "platform", "cash", "newcomer"]


def test_a_python_run_and_its_written_config_carry_the_added_rule():
    result = simfin.run(BASELINE, steps=3, overrides={
        "population.n_consumers": 500, f"{RULES}+": NEW_RULE})
    assert rule_names(result.config) == [*PLATFORM_RULES, "under_21"]
    assert rule_names(load_config(yaml.safe_load(dump_config(result.config)))
                      ) == [*PLATFORM_RULES, "under_21"]


def test_experiment_scenarios_can_add_a_rule(tmp_path: Path):
    path = tmp_path / "extra_rule.yaml"
    path.write_text(yaml.safe_dump({
        "name": "extra_rule", "config": str(BASELINE), "replicates": 1,
        "overrides": {"population.n_consumers": 500},
        "scenarios": {"base": {}, "young_declined": {f"{RULES}+": NEW_RULE}},
        "outcomes": ["approval_rate"]}), encoding="utf-8")
    experiment, config_path = load_experiment(path)
    scenario = experiment.scenarios["young_declined"]
    config = load_config(config_path, {**experiment.overrides, **scenario})
    assert rule_names(config) == [*PLATFORM_RULES, "under_21"]
    path.write_text(path.read_text(encoding="utf-8").replace(f"{RULES}+", f"{RULES}.9+"),
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^scenarios\.young_declined: "
                       r"lenders\.platform\.risk\.rules\.9\+: cannot insert at position 9"):
        load_experiment(path)


@pytest.mark.parametrize(("override", "fragments"), [
    (f"{RULES}.8+={UNDER_21}", ["lenders.platform.risk.rules.8+", "position 8",
                                "insert at 0 to 7"]),
    (f"{RULES}.-1+={UNDER_21}", ["lenders.platform.risk.rules.-1+", "from 0 to 7"]),
    (f"{RULES}.no_such_rule+={UNDER_21}", ["rules.no_such_rule", "no item named",
                                           "underage"]),
    ("lenders.platform.risk.approval_threshold+=0.1",
     ["lenders.platform.risk.approval_threshold+", "not a list", "0.022"]),
    ("lenders.platform.risk+={}", ["lenders.platform.risk+", "not a list"]),
    ("run.name+=x", ["run.name+", "not a list"]),
    (f"{RULES}.0.when+=x", ["lenders.platform.risk.rules.0.when+", "not a list"]),
    (f"lenders.platform.risk.rulez+={UNDER_21}", ["rulez", "unknown field",
                                                  "did you mean 'rules'"]),
    (f"{RULES}+=3", ["lenders.1.risk.rules.7", "valid dictionary"]),  # validated
    (f"{RULES}+={{name: bad, when: 'age_yearz < 2', action: reject, reason: AGE}}",
     ["lenders.1.risk.rules.7", "age_yearz"]),
    # an added item's name becomes part of output paths and of override paths
    ("lenders+={name: '../escaped'}", ["lenders.3.name", "must be a safe name"]),
    ("scenarios.0+={name: 'a/b', product: cash}", ["scenarios.0.name", "must be a safe name"]),
    ("lenders+={name: '123'}", ["lenders:", "must not be all digits"]),
    ("lenders.bank+={name: cash}", ["lenders:", "names must be unique",
                                    "['cash', 'bank', 'platform', 'cash']"]),
])
def test_bad_additions_are_one_line_errors_exit_2(override, fragments, monkeypatch, capsys,
                                                  tmp_path: Path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["simfin", "run", str(BASELINE), "--set", override,
                                      "--out", "out"])
    with pytest.raises(SystemExit) as info:
        main()
    err = capsys.readouterr().err
    assert info.value.code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for fragment in fragments:
        assert fragment in err, err
    assert list(tmp_path.iterdir()) == []  # refused before anything was written


def test_adding_to_an_entry_of_a_mapping_appends_or_starts_it(tmp_path: Path):
    # macro.custom.demand is a mapping of user keys to lists: '+=' reaches its entries
    # with no schema field to describe them.
    path = tmp_path / "market.yaml"
    demand = "macro.custom.demand"
    path.write_text("macro: {scenario: custom, custom: {demand: {ecommerce: [[0, 1.0]]}}}\n",
                    encoding="utf-8")
    config = load_config(path, [f"{demand}.ecommerce+=[30, 0.5]"])
    assert config.macro.custom.demand["ecommerce"] == [[0, 1.0], [30, 0.5]]
    # an entry not given, or written as null (it crashed: AttributeError), starts empty
    config = load_config(path, [f"{demand}.travel+=[0, 0.5]"])
    assert config.macro.custom.demand["travel"] == [[0, 0.5]]
    # a misspelt entry is still named by the schema's check
    with pytest.raises(ConfigError, match=r"^macro: custom.demand: no scenario or product "
                       r"named 'travle' \(did you mean 'travel'\?\)"):
        load_config(path, [f"{demand}.travle+=[0, 0.5]"])
    path.write_text("macro: {scenario: custom, custom: {demand: {ecommerce: null}}}\n",
                    encoding="utf-8")
    config = load_config(path, [f"{demand}.ecommerce+=[30, 0.5]"])
    assert config.macro.custom.demand["ecommerce"] == [[30, 0.5]]
