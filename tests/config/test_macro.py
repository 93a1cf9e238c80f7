"""The ``macro`` section: shipped, sourced paths; custom paths checked point by point; a
mistake refused in one line naming the field."""

from __future__ import annotations

import pytest

import simfin
from simfin.config import ConfigError, load_config
from simfin.config.macro import NAMED_PATHS, MacroConfig, shipped_path, shipped_paths
from simfin.config.reference import field_reference


def test_the_default_is_the_steady_market():
    config = load_config(None)
    assert config.macro.scenario == "steady" and config.macro.start_day == 0
    assert config.macro.steady and MacroConfig().steady


@pytest.mark.parametrize("name", NAMED_PATHS)
def test_every_shipped_path_has_a_source_and_valid_points(name):
    assert len(shipped_paths()[name]["source"]) > 40
    paths = shipped_path(name)  # validated like a user's
    assert paths.is_empty() == (name == "steady")
    assert not MacroConfig(scenario=name).steady or name == "steady"


def test_covid_2020_carries_the_published_drivers():
    paths = shipped_path("covid_2020")
    assert max(v for _, v in paths.job_loss) > 2  # unemployment 5.2 % -> 6.2 % in February
    assert min(v for _, v in paths.demand["travel"]) < 0.6
    assert min(v for _, v in paths.demand["instalment"]) == pytest.approx(0.795)  # -20.5 %
    assert min(v for _, v in paths.demand["ecommerce"]) >= 1.0
    assert paths.funding_rate_shift[-1][1] == pytest.approx(-0.003)  # LPR 4.15 % -> 3.85 %


def test_a_custom_path_by_month_is_accepted():
    config = load_config({"macro": {"scenario": "custom", "start_day": 30, "custom": {
        "time_unit": "month", "job_loss": [[0, 1], [2, 3.5]],
        "demand": {"travel": [[0, 1], [1, 0.2]], "cash": [[0, 1.2]]}}}})
    assert not config.macro.steady
    assert config.macro.paths().job_loss == [[0.0, 1.0], [2.0, 3.5]]


@pytest.mark.parametrize(("macro", "field", "reason"), [
    ({"scenario": "sever"}, "macro.scenario", "did you mean 'severe'"),
    ({"scenario": "custom", "custom": {"job_loss": [[0, 1], [0, 2]]}},
     "macro.custom.job_loss", "strictly increasing"),
    ({"scenario": "custom", "custom": {"income": [[10, 1], [5, 2]]}},
     "macro.custom.income", "strictly increasing"),
    ({"scenario": "custom", "custom": {"collections": [[0, 1], [10, -0.5]]}},
     "macro.custom.collections", "values must be in [0, 100]"),
    ({"scenario": "custom", "custom": {"job_loss": [[-1, 1]]}},
     "macro.custom.job_loss", "times must be >= 0"),
    # 1e308 months is infinite in days: the economy's path length crashed the run
    ({"scenario": "custom", "custom": {"time_unit": "month", "job_loss": [[0, 1], [1e308, 2]]}},
     "macro.custom.job_loss", "times must be <= 100,000"),
    ({"scenario": "custom", "custom": {"demand": {"cash": [[100_001, 2]]}}},
     "macro.custom.demand", "cash: times must be <= 100,000"),
    ({"scenario": "custom", "custom": {"demand": {"travel": [[0, -1]]}}},
     "macro.custom.demand", "travel: values must be in [0, 100]"),
    ({"scenario": "custom", "custom": {"demand": {"travle": [[0, 1]]}}},
     "macro", "did you mean 'travel'"),
    ({"scenario": "custom", "custom": {"job_loss": [[0, 1, 2]]}},
     "macro.custom.job_loss", "each point must be [time, value]"),
    ({"scenario": "custom", "custom": {"funding_rate_shift": [[0, 0.5]]}},
     "macro.custom.funding_rate_shift", "[-0.2, 0.2]"),
    ({"scenario": "severe", "custom": {"job_loss": [[0, 2]]}},
     "macro", "only used with scenario 'custom'"),
    ({"scenario": "severe", "custom": {"time_unit": "month"}},  # a unit of no path
     "macro", "only used with scenario 'custom'"),
    ({"start_day": -1}, "macro.start_day", ">= 0"),
    ({"scenario": "severe", "expansion_days": 100.0}, "macro",
     "expansion_days: only used with scenario 'regimes'"),
    ({"scenario": "regimes", "recession_path": "sever"}, "macro.recession_path",
     "'adverse', 'severe' or 'covid_2020'"),
])
def test_a_bad_path_is_refused_in_one_line(macro, field, reason):
    with pytest.raises(ConfigError) as err:
        load_config({"macro": macro})
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{field}: "), message
    assert reason in message, message


def test_regimes_run_a_shipped_path_as_each_recession():
    config = load_config({"macro": {"scenario": "regimes", "recession_path": "severe",
                                    "expansion_days": 400.0}})
    assert not config.macro.steady
    assert config.macro.paths() == shipped_path("severe")


def test_config_doc_lists_the_macro_section():
    reference = field_reference()
    for path in ("macro.scenario", "macro.start_day", "macro.custom.job_loss",
                 "macro.custom.demand", "macro.custom.funding_rate_shift"):
        assert f"`{path}`" in reference, path


SMALL_MARKET = {"population.n_consumers": 1_500, "run.steps": 60, "run.seed": 5,
                "run.record_applications": False}
NEUTRAL_PATH = {"scenario": "custom", "custom": {"job_loss": [[0, 1.0]]}}


def _outcomes(macro: dict) -> tuple:
    """The run's recorded market (every column but the macro drivers' own) and its loans."""
    result = simfin.run(None, overrides={**SMALL_MARKET, "macro": macro})
    steps = result.steps[[c for c in result.steps.columns if not c.startswith("macro_")]]
    return steps, result.loans


@pytest.fixture(scope="module")
def neutral() -> tuple:
    steps, loans = _outcomes(NEUTRAL_PATH)
    # precondition: the market lent, and some loans went past due for collections to act
    assert len(loans) > 100 and steps["missed_payments"].sum() > 0
    return steps, loans


MANY_SHOCKS = {"job_loss": [[0, 50.0]]}


@pytest.mark.parametrize(("custom", "reference"), [
    ({"job_loss": [[0, 20.0]]}, None),
    ({"job_loss": [[0, 1.0], [1, 20.0]], "time_unit": "month"}, None),  # day 30, not day 1
    # a shock's depth shows when there are shocks enough for shocked applicants and payers
    ({"shock_income": [[0, 0.0]], **MANY_SHOCKS}, MANY_SHOCKS),
    ({"income": [[0, 0.5]]}, None),
    ({"demand": {"instalment": [[0, 0.3]]}}, None),
    ({"demand": {"ecommerce": [[0, 3.0]]}}, None),
    ({"online_shift": [[0, 0.4]]}, None),
    ({"collections": [[0, 0.0]]}, None),
    ({"funding_rate_shift": [[0, 0.1]]}, None),
], ids=lambda value: "-".join(value) if value else "neutral")
def test_every_driver_of_a_custom_path_changes_the_market(custom, reference, neutral):
    if reference is not None:
        neutral = _outcomes({"scenario": "custom", "custom": reference})
    steps, loans = _outcomes({"scenario": "custom", "custom": custom})
    assert not (steps.equals(neutral[0]) and loans.equals(neutral[1])), custom


def test_a_neutral_custom_path_is_the_steady_market(neutral):
    steady = simfin.run(None, overrides=SMALL_MARKET)
    assert steady.steps.equals(neutral[0]) and steady.loans.equals(neutral[1])
