"""Fraudsters' disguises (``behaviour.fraud.disguise``): stated incomes and ages by kind."""

from __future__ import annotations

import numpy as np
import pytest

from simfin.agents.fraud import FIRST_PARTY, STOLEN, SYNTHETIC
from simfin.agents.population import Population
from simfin.config import BehaviourConfig, PopulationConfig

N = 20_000


def make(fraud: dict | None = None, records: dict | None = None) -> Population:
    """A population with 5 % fraudsters, the same seed, some coefficients changed."""
    behaviour = BehaviourConfig()
    for name, value in (fraud or {}).items():
        setattr(behaviour.fraud.disguise, name, value)
    for name, value in (records or {}).items():
        setattr(behaviour.records, name, value)
    return Population(PopulationConfig(n_consumers=N, fraud_share=0.05),
                      np.random.default_rng(4), behaviour)


@pytest.mark.parametrize(("kind", "field"), [
    (FIRST_PARTY, "first_party_income_overstatement"),
    (SYNTHETIC, "synthetic_income_overstatement"),
    (STOLEN, "stolen_income_overstatement")])
def test_each_kind_states_its_income_in_its_range_and_a_higher_range_inflates_it(kind, field):
    default = make()
    rows = default.fraud_kind == kind
    assert rows.sum() > 50  # precondition: the kind is there
    low, high = getattr(BehaviourConfig().fraud.disguise, field)
    stated = default.income_overstatement[rows]
    assert stated.min() >= np.float32(low) and stated.max() <= np.float32(high)
    inflated = make({field: [5.0, 8.0]})
    assert np.array_equal(inflated.fraud_kind, default.fraud_kind)  # the same identities
    assert inflated.income_overstatement[rows].min() >= 5.0
    assert inflated.income_overstatement[rows].mean() > stated.mean() + 3.0
    # the other kinds and the genuine consumers state what they stated before
    assert np.array_equal(inflated.income_overstatement[~rows],
                          default.income_overstatement[~rows])


def test_synthetic_identities_state_ages_in_the_configured_range():
    default = make()
    synthetic = default.fraud_kind == SYNTHETIC
    assert synthetic.sum() > 50
    ages = default.age_years[synthetic]
    assert ages.min() >= 17 and ages.max() <= 45
    assert (ages < 18).any()  # precondition: a few state an under age
    adult = make({"synthetic_age_years": [25, 30]})
    ages = adult.age_years[synthetic]
    assert ages.min() == 25 and ages.max() == 30 and not (ages < 18).any()
    assert np.array_equal(adult.age_years[~synthetic], default.age_years[~synthetic])


def test_outside_loans_on_file_are_capped_for_genuine_and_first_party_alike():
    default = make()
    first = default.fraud_kind == FIRST_PARTY
    assert default.external_loans.max() <= 20
    assert (default.external_loans[first] > 3).any()  # precondition: loans above the cap
    assert (default.external_loans[~default.is_fraud] > 3).any()
    capped = make(records={"max_external_loans": 3})
    assert capped.external_loans.max() == 3
    assert capped.external_loans[first].mean() < default.external_loans[first].mean()
    assert capped.external_loans.mean() < default.external_loans.mean()
