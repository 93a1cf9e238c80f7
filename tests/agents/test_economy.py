"""The economy: the path in force each day, and the hooks through which consumers and
lenders feel it (income, shocks, demand, funding)."""

from __future__ import annotations

import numpy as np
import pytest

from simfin.agents.economy import STEADY, Economy, MacroState
from simfin.agents.population import Population
from simfin.config import PopulationConfig
from simfin.config.macro import MacroConfig

SCENARIOS = [("ecommerce", "instalment"), ("travel", "instalment"), ("instant_cash", "cash")]


def economy(start_day: int = 0, **paths) -> Economy:
    config = MacroConfig.model_validate({"scenario": "custom", "start_day": start_day,
                                         "custom": paths})
    return Economy(config, SCENARIOS)


def test_a_steady_economy_is_always_steady():
    e = Economy(MacroConfig(), SCENARIOS)
    assert e.steady
    assert all(e.state(day) is STEADY for day in (0, 1, 100, 10_000))


def test_a_path_is_interpolated_by_day_and_held_flat_after_its_last_point():
    e = economy(start_day=10, job_loss=[[0, 1.0], [20, 3.0], [30, 2.0]])
    assert not e.steady
    assert e.state(5).job_loss == 1.0  # before the start: neutral
    assert e.state(10).job_loss == 1.0
    assert e.state(20).job_loss == pytest.approx(2.0)  # half way to 3 at day 30
    assert e.state(30).job_loss == pytest.approx(3.0)
    assert e.state(35).job_loss == pytest.approx(2.5)
    assert e.state(40).job_loss == pytest.approx(2.0)
    assert e.state(400).job_loss == pytest.approx(2.0)  # flat after the last point
    assert e.state(35).income == 1.0 and e.state(35).funding_rate_shift == 0.0  # no points


def test_the_first_value_holds_from_the_start_until_the_first_point():
    e = economy(start_day=5, collections=[[10, 0.5], [20, 1.0]])
    assert e.state(4).collections == 1.0
    assert e.state(6).collections == pytest.approx(0.5)
    assert e.state(20).collections == pytest.approx(0.75)


def test_a_path_by_month_counts_30_days_a_month():
    e = economy(start_day=0, time_unit="month", income=[[0, 1.0], [2, 0.8]])
    assert e.state(30).income == pytest.approx(0.9)
    assert e.state(60).income == pytest.approx(0.8)


def test_demand_by_scenario_name_wins_over_its_product():
    e = economy(demand={"travel": [[0, 0.2]], "instalment": [[0, 0.9]], "cash": [[0, 1.5]]})
    state = e.state(3)
    assert state.demand == pytest.approx((0.9, 0.2, 1.5))
    assert economy(job_loss=[[0, 2.0]]).state(3).demand_of(1) == 1.0  # no demand path
    row = e.record(state)
    assert row["macro_demand_travel"] == pytest.approx(0.2)
    assert row["macro_job_loss"] == 1.0


def population(macro: MacroState = STEADY, seed: int = 0) -> Population:
    pop = Population(PopulationConfig(n_consumers=20_000), np.random.default_rng(seed))
    pop.attach_lenders(1)
    pop.macro = macro
    return pop


def test_income_and_shock_depth_move_income_and_disposable_income():
    rows = np.arange(1_000)
    steady = population()
    steady.shock_until_day[:500] = 100
    base = steady.income_cents(rows, 0)
    hit = population(MacroState(income=0.9, shock_income=0.5))
    hit.shock_until_day[:500] = 100
    income = hit.income_cents(rows, 0)
    ratio = income / np.maximum(base, 1)
    assert np.allclose(ratio[500:], 0.9, atol=1e-3)  # unshocked: income x 0.9
    assert np.allclose(ratio[:500], 0.45, atol=2e-3)  # shocked: kept share halved too
    assert (hit.disposable_cents(rows, 0) < steady.disposable_cents(rows, 0)).all()


def test_more_job_losses_start_more_income_shocks():
    counts = {}
    for factor in (1.0, 4.0):
        pop = population(MacroState(job_loss=factor))
        rng = np.random.default_rng(7)
        for day in range(30):
            pop.step_shocks(day, rng)
        counts[factor] = int((pop.shock_until_day > 30).sum())
    assert counts[1.0] > 50  # precondition: shocks happen in the steady economy
    assert counts[4.0] > 3 * counts[1.0]


def test_funding_cost_follows_the_funding_rate_shift():
    import simfin
    from simfin.model import MarketModel

    costs, balances = {}, {}
    for shift in (0.0, 0.02):
        over = {"population.n_consumers": 1_000, "run.steps": 30, "run.seed": 3,
                "run.record_applications": False}
        if shift:
            over |= {"macro.scenario": "custom", "macro.custom.funding_rate_shift": [[0, shift]]}
        model = MarketModel(simfin.load_config(None, overrides=over))
        for _ in range(30):
            model.step()
        frame = model.recorder.steps_frame()
        costs[shift] = frame.groupby("lender", observed=True)["funding_cost"].sum()
        balances[shift] = frame.groupby("lender", observed=True)["outstanding"].sum()
    assert (balances[0.02] > 0).all()  # precondition: the lenders funded loans
    # the path moves funding only: the books are the same, the cost of funds 2 points higher
    assert balances[0.02].equals(balances[0.0])
    # (each day's cost is rounded to the cent: a relative tolerance)
    rates = np.array([lc.cost_of_funds_rate for lc in model.config.lenders])
    assert np.allclose(costs[0.02] / costs[0.0], (rates + 0.02) / rates, rtol=2e-2)


def regimes(expansion_days: float, start_day: int = 0, path: str = "adverse") -> Economy:
    config = MacroConfig(scenario="regimes", start_day=start_day, recession_path=path,
                         expansion_days=expansion_days)
    return Economy(config, SCENARIOS)


def test_a_recession_runs_its_path_from_the_day_it_starts_then_expansion_resumes():
    e = regimes(1.0, start_day=5)  # a recession starts on the first day it can
    rng = np.random.default_rng(0)
    path = Economy(MacroConfig(scenario="adverse"), SCENARIOS)
    assert e.path_days == 360  # adverse: its last point is month 12
    assert e.state(4, rng) is STEADY
    for day in range(5, 5 + 361):
        assert e.state(day, rng) == path.state(day - 5), day
        assert e.record(e.state(day, rng))["macro_recession"] == 1.0
    # the path has ended: expansion, and (probability 1) the next recession starts at once
    assert e.state(5 + 361, rng) == path.state(0)
    assert e.recession_since == 5 + 361


def test_recessions_arrive_at_the_rate_the_expansion_length_gives():
    e = regimes(60.0, path="covid_2020")  # covid_2020's path lasts 335 days
    rng = np.random.default_rng(11)
    starts = 0
    for day in range(20_000):
        before = e.recession_since
        e.state(day, rng)
        starts += e.recession_since is not None and e.recession_since != before
    # one cycle lasts 60 + 336 days on average: about 50 recessions in 20,000 days
    assert 38 <= starts <= 64, starts


def test_regimes_need_the_models_generator_and_are_seeded():
    with pytest.raises(ValueError):
        regimes(10.0).state(0)
    runs = []
    for _ in range(2):
        e, rng = regimes(30.0), np.random.default_rng(3)
        runs.append([e.state(day, rng).job_loss for day in range(400)])
    assert runs[0] == runs[1]
    assert max(runs[0]) > 1.0  # precondition: a recession happened
