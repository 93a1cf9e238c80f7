"""Data sources are registered parts: a factory and the fields it provides. A lender may
list any registered source it buys, a plug-in's section is ``data.sources.<name>``, the
built-in bits of ``data_queried`` never move and plug-ins take the next ones; mistakes are
one-line errors naming the field."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simfin
from simfin.config import ConfigError, load_config
from simfin.config import schema as market_schema
from simfin.config.base import Section, param
from simfin.lending import SOURCES, DataSource, register_source
from simfin.lending.data_sources import MAX_SOURCES, DataSourceStage, source_layout
from simfin.lending.fields import LENDER_FIELDS, STATED_FIELDS
from simfin.lending.registry import BUILT_IN_SOURCES, SourceRegistry
from simfin.model import MarketModel

BASELINE = str(Path(__file__).resolve().parents[2] / "configs" / "baseline.yaml")
SMALL = ["population.n_consumers=1000"]


@register_source("lab_meter", {"lab_meter_reading": "A test source's only field."},
                 miss_values={"lab_meter_reading": -1.0})
def lab_meter(build):
    """Every consumer's id as the reading; the consumers ``coverage`` of them covered."""
    return build.source(build.coverage(), {"lab_meter_reading": lambda rows: rows * 1.0})


class DialSettings(Section):
    """A test source's settings."""

    scale: float = param(1.0, "Factor on the reading.", "factor", gt=0.0)


@register_source("lab_dial", {"lab_dial_reading": "A test source's reading, scaled."},
                 settings=DialSettings)
def lab_dial(build):
    """Every consumer's id times ``settings.scale``; everyone covered."""
    scale = build.settings.scale
    return build.source(np.ones(build.population.n, dtype=bool),
                        {"lab_dial_reading": lambda rows: rows * scale})


# -- the registry ---------------------------------------------------------------------------

def test_the_built_in_sources_are_registered_with_their_fields():
    assert set(BUILT_IN_SOURCES) <= set(SOURCES.names())
    assert SOURCES.declared("bureau").miss_values == {"bureau_hit": 0.0}
    assert not SOURCES.declared("service_profile").listed
    catalogue = list(SOURCES.catalogue(BUILT_IN_SOURCES))
    # the applicant's fields first, the sources' in bit order, the lender's own last
    assert catalogue[:len(STATED_FIELDS)] == list(STATED_FIELDS)
    assert catalogue[-len(LENDER_FIELDS):] == list(LENDER_FIELDS)
    assert catalogue.index("bureau_hit") < catalogue.index("id_match") \
        < catalogue.index("employed") < catalogue.index("consortium_loans") \
        < catalogue.index("service_profile_score")
    assert SOURCES.catalogue(BUILT_IN_SOURCES)["id_match"][1] == "id_registry"


@pytest.mark.parametrize("name, fields, misses, reason", [
    ("lab", {}, {}, "declare the fields"),
    ("lab-x", {"lab-x_a": "a"}, {}, "identifier"),
    ("lab", {"reading": "a"}, {}, "must start with 'lab_'"),
    ("lab", {"lab_a": ""}, {}, "needs a description"),
    ("lab", {"lab_a": "a"}, {"lab_b": 0.0}, "which it does not provide"),
    ("lab", {"lab_a": "a"}, {"lab_a": float("nan")}, "must be a number"),
    ("bureau", {"age_years": "a"}, {}, "already provided by the applicant"),
    ("lab_a", {"lab_a_b": "a"}, {}, "already provided by 'lab'"),
    ("lab", {"lab_a": "a"}, {}, "settings must be a config section class"),
])
def test_a_bad_declaration_is_refused_when_registered(name, fields, misses, reason):
    registry = SourceRegistry()
    registry.register("lab", {"lab_a_b": "the first source's field"})(lambda build: None)
    settings = dict if "settings" in reason else None
    with pytest.raises(ValueError, match=reason):
        registry.register(name, fields, misses, settings=settings)(lambda build: None)
    assert name == "lab" or name not in registry


def test_a_registered_source_adds_its_fields_to_what_rules_read():
    assert "lab_meter_reading" in SOURCES.field_names()
    assert "lab_meter_reading" not in SOURCES.catalogue(BUILT_IN_SOURCES)
    config = load_config(BASELINE, ["lenders.cash.risk.data_sources+=lab_meter",
                                    "lenders.cash.risk.rules+={name: m, when: "
                                    "'lab_meter_reading < 0', action: reject, reason: M}"])
    assert config.lenders[2].risk.rules[-1].when == "lab_meter_reading < 0"


# -- the config -----------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, message", [
    (["lenders.0.risk.data_sources=[burea]"],
     "lenders.0.risk.data_sources.0: unknown data source 'burea' (did you mean 'bureau'?); "
     "registered: bureau, consortium, id_registry, "),
    (["lenders.0.risk.data_sources=[service_profile]"],
     "lenders.0.risk.data_sources.0: 'service_profile' is not bought"),
    (["lenders.0.risk.data_sources=[bureau, bureau]"],
     "lenders.0.risk.data_sources: a source is listed twice"),
    (["data.sources.bureau={}"],
     "data.sources: 'bureau' is a built-in source: its section is data.bureau"),
    (["data.sources.lab_metre={}"],
     "data.sources: unknown data source 'lab_metre' (did you mean 'lab_meter'?)"),
    (["data.sources.lab_meter.covrage=0.5"],
     "data.sources.lab_meter.covrage: unknown field (did you mean 'coverage'?)"),
    (["data.sources.lab_meter.settings.scale=2"],
     "data.sources: lab_meter.settings: the source takes no settings, got ['scale']"),
    (["data.sources.lab_dial.settings.scal=2"],
     "data.sources: lab_dial.settings.scal: unknown setting (did you mean 'scale'?)"),
    (["data.sources.lab_dial.settings.scale=-1"],
     "data.sources: lab_dial.settings.scale: input should be greater than 0, got -1"),
    (["lenders.bank.risk.rules+={name: m, when: 'lab_meter_reading < 0', action: reject, "
      "reason: M}"],
     "lenders: bank.risk.rules.m reads lab_meter_reading of data source 'lab_meter', which "
     "the market does not have"),
])
def test_source_mistakes_are_one_line_errors(overrides, message):
    with pytest.raises(ConfigError) as error:
        load_config(BASELINE, overrides)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


def test_more_sources_than_bits_is_a_config_error(monkeypatch):
    listed = ["lenders.cash.risk.data_sources+=lab_meter"]
    assert len(source_layout(load_config(BASELINE, listed))) == len(BUILT_IN_SOURCES) + 1
    monkeypatch.setattr(market_schema, "MAX_SOURCES", len(BUILT_IN_SOURCES))
    with pytest.raises(ConfigError, match="at most 5 data sources in a market"):
        load_config(BASELINE, listed)
    assert MAX_SOURCES == 63  # the int64 column's bits, the sign bit left out


def test_the_section_reaches_the_source_and_a_listed_source_without_one_has_the_defaults():
    priced = MarketModel(load_config(BASELINE, [*SMALL, "data.sources.lab_meter={}",
                                                "data.sources.lab_meter.cost_cents=77",
                                                "data.sources.lab_meter.coverage=0.5"]))
    meter = priced.sources["lab_meter"]
    assert (meter.cost_cents, meter.latency_minutes) == (77, 0.1)
    assert 0.4 < meter.covered.mean() < 0.6
    assert meter.lookup(np.array([3, 4]))["lab_meter_reading"].tolist() == [
        3.0 if meter.covered[3] else -1.0, 4.0 if meter.covered[4] else -1.0]  # miss value
    listed = MarketModel(load_config(BASELINE, [*SMALL,
                                                "lenders.cash.risk.data_sources+=lab_meter"]))
    assert listed.sources["lab_meter"].cost_cents == 100 and listed.sources["lab_meter"].bit == 5
    # a market without it does not build it
    assert "lab_meter" not in MarketModel(load_config(BASELINE, SMALL)).sources


def test_the_settings_reach_the_factory_with_their_defaults():
    rows = np.array([1, 2, 3])
    scaled = MarketModel(load_config(BASELINE, [*SMALL, "data.sources.lab_dial={}",
                                                "data.sources.lab_dial.settings.scale=2.5"]))
    default = MarketModel(load_config(BASELINE, [*SMALL, "data.sources.lab_dial={}"]))
    assert scaled.sources["lab_dial"].lookup(rows)["lab_dial_reading"].tolist() == [
        2.5, 5.0, 7.5]
    assert default.sources["lab_dial"].lookup(rows)["lab_dial_reading"].tolist() == [
        1.0, 2.0, 3.0]


# -- the bits of data_queried ---------------------------------------------------------------

def test_the_built_in_bits_never_move_and_plugins_take_the_next():
    config = load_config(BASELINE, ["data.sources.lab_meter={}"])
    assert source_layout(config) == ("bureau", "id_registry", "social_security",
                                     "consortium", "service_profile", "lab_meter")
    model = MarketModel(load_config(BASELINE, [*SMALL, "policy.consortium=true",
                                               "data.sources.lab_meter={}"]))
    assert {name: source.bit for name, source in model.sources.items()} == {
        "bureau": 0, "id_registry": 1, "social_security": 2, "consortium": 3,
        "service_profile": 4, "lab_meter": 5}


def test_the_data_step_refuses_sources_that_share_a_bit_or_lie_outside_the_column():
    def source(bit: int) -> DataSource:
        return DataSource(f"s{bit}", np.ones(2, dtype=bool), {}, 0, 0.0, bit=bit)

    DataSourceStage([source(0), source(62)])
    with pytest.raises(ValueError, match="distinct bits"):
        DataSourceStage([source(1), source(1)])
    with pytest.raises(ValueError, match="distinct bits"):
        DataSourceStage([source(63)])


def test_a_source_nobody_buys_leaves_the_market_as_it_was():
    # its coverage draws come from a stream of its own: the market's draws are unchanged
    offered = simfin.run(BASELINE, steps=20, seed=5, overrides=[
        *SMALL, "data.sources.lab_meter={coverage: 0.5}"])
    plain = simfin.run(BASELINE, steps=20, seed=5, overrides=SMALL)
    assert "lab_meter" in offered.model.sources  # precondition: it was built (and drew)
    assert offered.summary["lenders"] == plain.summary["lenders"]
    assert offered.steps.equals(plain.steps)
