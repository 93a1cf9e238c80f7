"""Class 6: validated means safe. Every limit that building a market enforces is a config
error, refused at load in one line (exit 2) naming the field: a config that validates
builds. The limits: 63 distinct rules per lender, champion and challenger together (one
bit each in the 64-bit ``flags`` column), and 9 grade cutoffs (grades lettered A to J).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

import simfin
from simfin.config import ConfigError, load_config
from simfin.config.lenders import MAX_DISTINCT_RULES
from simfin.config.pricing import MAX_GRADE_CUTOFFS
from simfin.config.schema import MAX_CODED_ITEMS
from simfin.lending.assembly import StageBuild
from simfin.lending.pricing import GRADE_LETTERS
from tests.hardening.conftest import assert_refused, simfin_cli


def flag_rules(n: int, start: int = 0) -> list[dict]:
    return [{"name": f"r{i}", "when": f"stated_income_cents < {i}", "action": "flag",
             "reason": f"F{i}"} for i in range(start, start + n)]


def write(market: Path, rules: list[dict], challenger: list[dict] | None = None) -> None:
    lender: dict = {"name": "flagger", "risk": {"rules": rules}}
    if challenger is not None:
        lender["challenger"] = {"share": 0.3, "risk": {"rules": challenger}}
    data = yaml.safe_load(market.read_text(encoding="utf-8"))
    market.write_text(yaml.safe_dump({**data, "lenders": [lender]}), encoding="utf-8")


def test_the_limits_are_the_ones_assembly_and_the_outputs_use():
    build = StageBuild(None, None, None, {}, [])
    rules = [SimpleNamespace(**rule) for rule in flag_rules(MAX_DISTINCT_RULES + 1)]
    for rule in rules[:-1]:
        build.flag_bit(rule)
    with pytest.raises(ValueError, match=f"at most {MAX_DISTINCT_RULES} distinct rules"):
        build.flag_bit(rules[-1])
    assert len(GRADE_LETTERS) == MAX_GRADE_CUTOFFS + 1


def test_seventy_flag_rules_are_refused_in_one_line(market: Path):
    write(market, flag_rules(70))
    proc = simfin_cli("run", str(market), "--out", "out", cwd=market.parent)
    assert_refused(proc, "lenders.0: risk.rules:", f"at most {MAX_DISTINCT_RULES} distinct",
                   "'flagger' has 70")
    assert not (market.parent / "out").exists()


def test_champion_and_challenger_rules_count_together(market: Path):
    write(market, flag_rules(40), challenger=flag_rules(40, start=30))  # 70 distinct
    proc = simfin_cli("run", str(market), cwd=market.parent)
    assert_refused(proc, "risk.rules and challenger.risk.rules", "has 70")


def test_the_largest_valid_rule_tables_build_and_run(market: Path):
    # 63 distinct rules, the challenger repeating 40 of them: the limit exactly, and it builds.
    write(market, flag_rules(63), challenger=flag_rules(40))
    config = load_config(market)
    model = simfin.MarketModel(config)
    model.step()
    lender = model.lenders[0]
    assert lender.challenger is not None  # precondition: both pipelines were assembled
    assert len(lender.flag_reasons) == MAX_DISTINCT_RULES
    with pytest.raises(ConfigError, match="has 64"):
        load_config(market, {"lenders.flagger.risk.rules+": flag_rules(1, start=63)[0]})


def test_too_many_grade_cutoffs_are_refused_in_one_line(market: Path):
    cutoffs = [round(0.01 * (i + 1), 2) for i in range(MAX_GRADE_CUTOFFS + 1)]
    proc = simfin_cli("run", str(market), "--set",
                      f"lenders.0.pricing.grade_cutoffs={cutoffs}", cwd=market.parent)
    assert_refused(proc, "lenders.0.pricing.grade_cutoffs:",
                   f"at most {MAX_GRADE_CUTOFFS} cutoffs", f"got {MAX_GRADE_CUTOFFS + 1}")
    load_config(market, {"lenders.0.pricing.grade_cutoffs": cutoffs[:-1]})  # 9 are fine


@pytest.mark.parametrize("kind", ["scenarios", "channels"])
def test_more_scenarios_or_channels_than_the_int8_codes_hold_are_refused(market: Path, kind):
    # Scenario and channel indices are int8 columns: 128 would overflow when the run starts.
    data = yaml.safe_load(market.read_text(encoding="utf-8"))
    first = load_config(market).model_dump(mode="json")[kind][0]
    items = [{**first, "name": f"{kind[:4]}{i}"} for i in range(MAX_CODED_ITEMS + 1)]
    market.write_text(yaml.safe_dump({**data, kind: items}), encoding="utf-8")
    proc = simfin_cli("run", str(market), cwd=market.parent)
    assert_refused(proc, f"{kind}:", f"at most {MAX_CODED_ITEMS} items")
    market.write_text(yaml.safe_dump({**data, kind: items[:MAX_CODED_ITEMS]}), encoding="utf-8")
    assert len(getattr(load_config(market), kind)) == MAX_CODED_ITEMS  # the limit validates
