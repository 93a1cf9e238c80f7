"""Loading configs: defaults, files, dotted overrides, and one-line errors for bad input."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simfin
from simfin import ConfigError, MarketConfig, load_config
from simfin.config import dump_config, validate


def test_defaults_validate_and_describe_a_market():
    cfg = load_config(None)
    assert isinstance(cfg, MarketConfig)
    assert cfg == load_config(Path(__file__).parents[2] / "configs" / "baseline.yaml")
    assert len(cfg.lenders) >= 1 and len(cfg.scenarios) >= 1 and len(cfg.channels) >= 1
    assert len({lender.name for lender in cfg.lenders}) == len(cfg.lenders)
    shares = cfg.population.cohorts
    assert shares.pre80 + shares.post80 + shares.post90 + shares.post00 == pytest.approx(1.0)


def test_empty_mapping_is_the_field_defaults_but_an_empty_file_is_refused(tmp_path: Path):
    path = tmp_path / "empty.yaml"
    path.write_text("{}\n", encoding="utf-8")
    cfg = load_config(path)
    assert cfg == MarketConfig()
    # the lists it leaves out are the default market's
    baseline = load_config(None)
    assert (cfg.scenarios, cfg.channels, cfg.lenders) == (
        baseline.scenarios, baseline.channels, baseline.lenders)
    path.write_text("# only a comment\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="the file is empty"):
        load_config(path)


def test_override_by_list_index_on_a_file_without_lenders(tmp_path: Path):
    path = tmp_path / "market.yaml"
    path.write_text("run:\n  steps: 12\npopulation:\n  n_consumers: 1234\n", encoding="utf-8")
    cfg = load_config(path, ["lenders.1.risk.approval_threshold=0.4"])
    default = MarketConfig()
    assert cfg.lenders[1].risk.approval_threshold == 0.4
    # the rest of the default lender list is kept, and the file still applies
    assert [lender.name for lender in cfg.lenders] == [lender.name for lender in default.lenders]
    assert cfg.lenders[0].risk.approval_threshold == default.lenders[0].risk.approval_threshold
    assert cfg.lenders[1].risk.rules == default.lenders[1].risk.rules
    assert cfg.run.steps == 12
    assert cfg.population.n_consumers == 1234


def test_override_by_list_index_on_a_file_that_lists_lenders(tmp_path: Path):
    path = tmp_path / "market.yaml"
    path.write_text("lenders:\n"
                    "  - {name: bank, capital_cents: 1000}\n"
                    "  - name: fintech\n"
                    "    capital_cents: 2000\n"
                    "    risk: {approval_threshold: 0.1, model: {kind: logistic}}\n",
                    encoding="utf-8")
    cfg = load_config(path, ["lenders.1.risk.approval_threshold=0.4"])
    assert [lender.name for lender in cfg.lenders] == ["bank", "fintech"]
    assert cfg.lenders[1].risk.approval_threshold == 0.4
    assert cfg.lenders[1].risk.model.kind == "logistic"   # the rest of the file is kept
    assert cfg.lenders[1].capital_cents == 2000
    assert cfg.lenders[0].capital_cents == 1000
    with pytest.raises(ConfigError, match=r"^lenders\.2: no item 2"):
        load_config(path, ["lenders.2.risk.approval_threshold=0.4"])


def test_override_values_are_parsed_as_yaml_scalars():
    cfg = load_config(None, ["policy.apr_cap=null", "policy.consortium=true",
                             "run.steps=10", "run.name=trial"])
    assert cfg.policy.apr_cap is None
    assert cfg.policy.consortium is True
    assert cfg.run.steps == 10
    assert cfg.run.name == "trial"


def test_dict_overrides_and_dict_source():
    # the cash lender: no other lender or channel names it (the bank is the platform's
    # funding partner and owns the bank_app channel)
    cfg = load_config({"run": {"steps": 5}}, {"lenders.2.name": "alpha", "run.seed": 3})
    assert cfg.run.steps == 5 and cfg.run.seed == 3
    assert cfg.lenders[2].name == "alpha"


def test_overrides_do_not_mutate_the_callers_dict():
    source = {"run": {"steps": 5}, "population": {"n_consumers": 100}}
    before = copy.deepcopy(source)
    load_config(source, {"run.steps": 9, "population.n_consumers": 200})
    assert source == before


def test_override_of_a_missing_list_item_is_an_error():
    with pytest.raises(ConfigError, match=r"^lenders\.7: no item 7"):
        load_config(None, ["lenders.7.risk.approval_threshold=0.4"])


@pytest.mark.parametrize("item", ["no_equals_sign", "=3"])
def test_malformed_override_is_an_error(item: str):
    with pytest.raises(ConfigError, match="expected dotted.path=value"):
        load_config(None, [item])


def test_approval_threshold_above_one_message():
    with pytest.raises(ConfigError) as info:
        load_config(None, ["lenders.1.risk.approval_threshold=1.7"])
    assert str(info.value).startswith("lenders.1.risk.approval_threshold: must be <= 1")
    assert "1.7" in str(info.value)


def test_every_bad_input_is_a_one_line_config_error(bad_input):
    with pytest.raises(ConfigError) as info:
        load_config(bad_input.path, bad_input.overrides)
    bad_input.check_message(str(info.value))
    assert info.value.__cause__ is None or isinstance(info.value.__cause__, ConfigError)


def test_yaml_python_tag_is_refused_not_executed(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "PWNED"
    path = tmp_path / "evil.yaml"
    path.write_text(f'run: !!python/object/apply:os.system ["touch {marker}"]\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="evil.yaml"):
        load_config(path)
    assert not marker.exists()


def test_folder_instead_of_file_is_an_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="folder"):
        load_config(tmp_path)


def test_top_level_list_is_an_error(tmp_path: Path):
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(path)


def test_several_errors_report_the_first_and_count_the_rest():
    with pytest.raises(ConfigError) as info:
        validate({"population": {"n_consumers": -1, "fraud_share": 3}})
    message = str(info.value)
    assert message.startswith("population.")
    assert "1 more error" in message
    assert "\n" not in message


def test_validate_assignment_checks_overrides_in_code_too():
    cfg = load_config(None)
    with pytest.raises(ValueError):
        cfg.population.fraud_share = 2.0


def test_writeoff_before_default_is_an_error():
    with pytest.raises(ConfigError, match="writeoff_dpd"):
        load_config(None, {"run.default_dpd": 90, "run.writeoff_dpd": 30})


def test_rule_conditions_are_compiled_at_load_time():
    good = {"name": "young_big", "when": "age_years < 25 and amount_to_income > 3",
            "action": "refer", "reason": "YB"}
    cfg = load_config({"lenders": [{"name": "a", "risk": {"rules": [good]}}]})
    assert cfg.lenders[0].risk.rules[0].when == good["when"]
    with pytest.raises(ConfigError, match=r"^lenders\.0\.risk\.rules\.0\.action"):
        load_config({"lenders": [{"name": "a", "risk": {"rules": [
            {**good, "action": "approve"}]}}]})


def test_dump_config_round_trips(tmp_path: Path):
    cfg = load_config(None, ["lenders.1.risk.approval_threshold=0.4", "policy.apr_cap=null",
                             "run.seed=11"])
    text = dump_config(cfg)
    assert yaml.safe_load(text)["run"]["seed"] == 11
    path = tmp_path / "dumped.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_config(path) == cfg


KEYS = ["run", "population", "lenders", "scenarios", "channels", "policy", "data", "risk",
        "rules", "when", "name", "steps", "seed", "cohorts", "pre80", "products", "kind",
        "term_days", "pricing", "grade_cutoffs", "challenger", "share", "model", "payments",
        "service", "apr_cap", "0", "1", "9", "x", "-1", "", "__class__", "model_fields"]
VALUES = st.sampled_from([
    "1", "-1", "0.5", "null", "true", "[]", "{}", "[1, 2]", "{a: 1}", "'age_years < 18'",
    "abc", "1e400", ".nan", "!!python/object/apply:os.system [ls]", "[0.5, 0.1]",
    "{name: x, when: 'age_years > 1'}", "*a", "~", "[1, 2",
]) | st.text(max_size=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.lists(st.sampled_from(KEYS), min_size=1, max_size=5).map(".".join),
       value=VALUES)
def test_any_override_is_valid_or_a_one_line_config_error(path: str, value: str):
    try:
        cfg = load_config(None, [f"{path}={value}"])
    except ConfigError as exc:
        assert "\n" not in str(exc)
        assert str(exc)
    else:
        assert isinstance(cfg, MarketConfig)


def test_a_demand_based_price_without_a_model_is_refused():
    # it prices scored offers only: with no model it would stay cost-plus for ever
    with pytest.raises(ConfigError, match=r"lenders\.1: pricing\.strategy 'optimised'.*"
                                          r"risk\.model\.kind"):
        load_config(None, {"lenders.1.risk.model.kind": "none",
                           "lenders.1.pricing.strategy": "optimised"})
    assert load_config(None, {"lenders.1.pricing.strategy": "optimised"}).lenders[1] \
        .pricing.strategy == "optimised"


@pytest.mark.parametrize(("item", "field"), [
    ("population.income_median_cents=100000000000000000000", "income_median_cents"),
    ("population.tier1_income_multiplier=1e-300", "tier1_income_multiplier"),
])
def test_incomes_that_would_overflow_are_refused(item: str, field: str):
    # Found by the fuzz test: these validated, then the population's int64 incomes
    # overflowed into negative values (a RuntimeWarning, and a market of nonsense).
    with pytest.raises(ConfigError, match=field):
        simfin.load_config(None, [item])


def test_the_largest_incomes_that_validate_stay_positive():
    cfg = simfin.load_config(None, ["population.n_consumers=20000",
                                    "population.income_median_cents=1000000000",
                                    "population.income_sigma=3", "run.steps=1",
                                    "population.tier1_income_multiplier=10"])
    with np.errstate(over="raise", invalid="raise"):
        model = simfin.MarketModel(cfg)
    assert (model.population.base_income_cents > 0).all()
