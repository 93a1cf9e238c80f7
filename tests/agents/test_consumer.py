"""The Consumer Mesa agent: a read/write view on one row of the population columns."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from simfin import MarketModel
from simfin.agents.consumer import Consumer, completion_probability, pay_probability
from simfin.agents.fraud import STOLEN
from simfin.agents.population import Population
from simfin.config import PopulationConfig


@pytest.fixture
def model(make_config) -> MarketModel:
    return MarketModel(make_config(population__n_consumers=2_000))


def test_consumer_is_a_mesa_agent_of_the_model(model: MarketModel):
    c = model.consumer(5)
    assert isinstance(c, Consumer) and isinstance(c, mesa.Agent)
    assert c.model is model
    assert c in model.agents_by_type[Consumer]
    assert c.row == 5


def test_consumer_is_created_once(model: MarketModel):
    assert Consumer not in model.agents_by_type or len(model.agents_by_type[Consumer]) == 0
    first = model.consumer(7)
    assert model.consumer(7) is first
    model.consumer(8)
    assert len(model.agents_by_type[Consumer]) == 2


def test_attributes_equal_the_population_columns(model: MarketModel):
    pop = model.population
    for row in (0, 123, pop.n - 1):
        c = model.consumer(row)
        for name in Population.STATIC + Population.DYNAMIC:
            value = getattr(c, name)
            assert value == getattr(pop, name)[row].item(), name
            assert not isinstance(value, np.ndarray), name


def test_assignment_writes_the_column(model: MarketModel):
    pop = model.population
    c = model.consumer(42)
    before = pop.willingness.copy()
    c.willingness = 0.1
    assert pop.willingness[42] == np.float32(0.1)
    assert c.willingness == pytest.approx(0.1)
    others = np.arange(pop.n) != 42
    np.testing.assert_array_equal(pop.willingness[others], before[others])
    c.satisfaction = 0.25
    assert pop.satisfaction[42] == np.float32(0.25)
    c.shock_until_day = 99
    assert pop.shock_until_day[42] == 99


def test_column_changes_show_through_the_view(model: MarketModel):
    c = model.consumer(3)
    model.population.debt_service_cents[3] = 12_345
    assert c.debt_service_cents == 12_345


def test_other_attributes_stay_on_the_agent(model: MarketModel):
    c = model.consumer(3)
    c.note = "looked at"
    assert c.note == "looked at"
    assert not hasattr(model.population, "note")
    with pytest.raises(AttributeError):
        _ = c.no_such_column


@pytest.mark.parametrize("row", [-1, 2_000, 10**9])
def test_out_of_range_row_raises_index_error(model: MarketModel, row: int):
    with pytest.raises(IndexError):
        model.consumer(row)


def test_view_changes_behaviour_in_the_model(model: MarketModel):
    pop = model.population
    row = int(np.flatnonzero(~pop.is_fraud)[0])
    rows, due = np.array([row]), np.array([10_000])
    model.consumer(row).willingness = 0.99
    high = pay_probability(pop, rows, due, day=0)[0]
    model.consumer(row).willingness = 0.05
    low = pay_probability(pop, rows, due, day=0)[0]
    assert high > low + 0.5


def test_fraudsters_stop_paying_once_they_bust_out():
    pop = Population(PopulationConfig(n_consumers=4_000, fraud_share=0.2),
                     np.random.default_rng(0))
    pop.attach_lenders(1)
    rows = np.arange(pop.n)
    due = np.full(pop.n, 1_000)
    p = pay_probability(pop, rows, due, day=0)
    stolen = pop.fraud_kind == STOLEN
    builders = pop.is_fraud & (pop.trust_loans >= 1)  # repay a first loan to build trust
    assert stolen.any() and builders.any()
    assert (p[~pop.is_fraud] > 0).all() and (p[builders] > 0).all()
    pop.loans_booked[:] = 1  # a first loan booked: stolen identities never pay it
    p = pay_probability(pop, rows, due, day=0)
    assert (p[stolen] == 0).all() and (p[builders] > 0).all()
    pop.loans_booked[:] = pop.trust_loans + 1  # one loan beyond the trust: bust-out
    p = pay_probability(pop, rows, due, day=0)
    assert (p[pop.is_fraud] == 0).all() and (p[~pop.is_fraud] > 0).all()


def test_friction_lowers_completion():
    pop = Population(PopulationConfig(n_consumers=1_000), np.random.default_rng(0))
    rows = np.arange(pop.n)
    online = np.ones(pop.n, dtype=bool)
    quick = completion_probability(pop, rows, online, np.full(pop.n, 2.0), np.full(pop.n, 3))
    slow = completion_probability(pop, rows, online, np.full(pop.n, 30.0), np.full(pop.n, 12))
    assert (slow < quick).all()
    assert ((quick > 0) & (quick <= 1)).all()
