"""Through the cycle: a macroeconomic path moves delinquency and profit through the
consumers' own state (income shocks, income, demand) and the lenders' collections and
funding, never through a scaled default rate. Paired seeds; each test asserts its
precondition (loans were made before the shock, the path applied) before the direction."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

import simfin
from simfin.model import MarketModel
from tests.conftest import before_roles

SEEDS = (1, 2, 3)
SHOCK_DAY = 60
SMALL = {"population.n_consumers": 4_000, "run.steps": 240, "run.record_applications": False}
# The severe-path tests run on the market they were designed for, before the default
# market's roles (issue 24): the bank without its own app and the platform funding its
# loans alone. The bank's app brings the bank a quarter of the consumers, the better-off,
# whose loans dilute the market's DPD ratio (measured on the default market, seeds 1-3:
# peak ratios 1.37, 1.49, 1.55), and co-lending moves 70 % of the platform's losses onto
# the bank's books (severe profit after provisions above steady on seed 1); neither is
# what these tests are about (the cycle's mechanism through the borrowers' income).
OWN_MARKET = before_roles()


def run(seed: int, scenario: str | None, steps: int = 240, **extra) -> MarketModel:
    overrides = {**SMALL, "run.seed": seed, "run.steps": steps, **extra}
    if scenario is not None:
        overrides |= {"macro.scenario": scenario, "macro.start_day": SHOCK_DAY}
    model = MarketModel(simfin.load_config(None, overrides=overrides))
    while model.running:
        model.step()
    return model


def dpd1_ratio(steps: pd.DataFrame) -> pd.Series:
    """The market's 1+ DPD balance over its outstanding balance, by day."""
    day = steps.groupby("day")[["dpd1_balance", "outstanding"]].sum()
    return day["dpd1_balance"] / day["outstanding"].clip(lower=1)


def vintage_30dpd(model: MarketModel) -> float:
    """Share of the loans booked before the shock that ever reached 30 days past due."""
    before = model.book.column("origination_day") < SHOCK_DAY
    return float(model.book.column("ever_30dpd")[before].mean())


def cure_rate(steps: pd.DataFrame) -> float:
    """Cures per missed instalment."""
    return steps["cures"].sum() / max(steps["missed_payments"].sum(), 1)


def test_a_steady_path_is_the_market_without_a_macro_section():
    over = {**SMALL, "population.n_consumers": 1_500, "run.steps": 60, "run.seed": 5}
    plain = simfin.run(None, overrides=over)
    steady = simfin.run(None, overrides={**over, "macro.scenario": "steady",
                                          "macro.start_day": 10})
    assert plain.steps["loans"].sum() > 0  # precondition: the market lent
    pd.testing.assert_frame_equal(plain.steps, steady.steps)
    pd.testing.assert_frame_equal(plain.loans, steady.loans)
    assert not any(c.startswith("macro_") for c in steady.steps.columns)


def test_a_path_that_starts_after_the_run_changes_nothing_but_adds_its_columns():
    # the economy draws no random numbers: neutral days are the steady market's days
    over = {**SMALL, "population.n_consumers": 1_500, "run.steps": 60, "run.seed": 5}
    plain = simfin.run(None, overrides=over)
    later = simfin.run(None, overrides={**over, "macro.scenario": "severe",
                                         "macro.start_day": 1_000})
    assert plain.steps["loans"].sum() > 0  # precondition: the market lent
    assert (later.steps["macro_job_loss"] == 1.0).all()
    pd.testing.assert_frame_equal(plain.steps, later.steps[plain.steps.columns])


@pytest.fixture(scope="module")
def severe_pairs() -> list[tuple[MarketModel, MarketModel]]:
    return [(run(seed, None, **OWN_MARKET), run(seed, "severe", **OWN_MARKET))
            for seed in SEEDS]


def test_a_severe_downturn_raises_delinquency_and_cuts_profit(severe_pairs):
    peaks = []
    for steady, severe in severe_pairs:
        s, d = steady.recorder.steps_frame(), severe.recorder.steps_frame()
        # precondition: loans were made before the shock, and the path applied after it
        assert s[s["day"] < SHOCK_DAY]["loans"].sum() > 300
        assert (d[d["day"] < SHOCK_DAY]["macro_job_loss"] == 1.0).all()
        assert d[d["day"] == SHOCK_DAY + 60]["macro_job_loss"].iloc[0] == pytest.approx(4.0)
        # before the shock the two runs are the same market
        pd.testing.assert_series_equal(dpd1_ratio(s)[:SHOCK_DAY], dpd1_ratio(d)[:SHOCK_DAY])
        peak_steady = dpd1_ratio(s)[SHOCK_DAY:].max()
        peak_severe = dpd1_ratio(d)[SHOCK_DAY:].max()
        peaks.append(peak_severe / peak_steady)
        assert d["profit"].sum() < s["profit"].sum()
        # by the model's mechanics: the loans booked before the shock (the same loans in
        # both runs) reach 30 days past due more often as their borrowers lose income, and
        # fewer missed instalments cure (measured: 30+ share 2.5/3.1/4.1 % -> 5.2/5.6/6.4 %)
        assert vintage_30dpd(severe) > vintage_30dpd(steady)
        after_s, after_d = s[s["day"] >= SHOCK_DAY], d[d["day"] >= SHOCK_DAY]
        assert cure_rate(after_d) < cure_rate(after_s)
    # measured (seeds 1-3, 4,000 consumers, 240 days, shock at day 60): 1.65, 1.83, 2.57
    assert min(peaks) > 1.2, peaks
    assert np.mean(peaks) >= 1.5, peaks


def by_day(steps: pd.DataFrame, column: str) -> pd.Series:
    """A column summed over the lenders, by day."""
    return steps.groupby("day")[column].sum()


def test_provisions_rise_within_a_month_of_the_shock_before_write_offs_do(severe_pairs):
    """IFRS 9 charges expected losses as the risk changes: the severe path's provision
    charge exceeds the steady run's within 30 days of the shock, while its write-offs
    (180 days past due) are still those of the steady run, and rise only months later."""
    window = slice(SHOCK_DAY, SHOCK_DAY + 29)
    for steady, severe in severe_pairs:
        s, d = steady.recorder.steps_frame(), severe.recorder.steps_frame()
        # precondition: loans made before the shock, provisions held, the path applied
        assert s[s["day"] < SHOCK_DAY]["loans"].sum() > 300
        assert by_day(s, "allowance")[SHOCK_DAY - 1] > 0
        assert by_day(d, "macro_job_loss")[SHOCK_DAY + 29] > 2 * len(severe.lenders)
        charge_s, charge_d = (by_day(f, "net_provision_charge") for f in (s, d))
        loss_s, loss_d = ((by_day(f, "written_off") - by_day(f, "recoveries")).cumsum()
                          for f in (s, d))
        # the charge rises within 30 days (measured: 1.9x, 2.0x, 3.5x the steady charge)
        assert charge_d[window].sum() > 1.5 * charge_s[window].sum() > 0
        provisions_first = int((charge_d - charge_s).cumsum()[SHOCK_DAY:].gt(0).idxmax())
        assert provisions_first <= SHOCK_DAY + 30
        # write-offs have not moved then; they rise later (measured: days 212-237, the
        # charge first on days 61-65)
        assert (loss_d[:SHOCK_DAY + 30] == loss_s[:SHOCK_DAY + 30]).all()
        extra = (loss_d - loss_s)[SHOCK_DAY:]
        assert not extra.gt(0).any() or int(extra.gt(0).idxmax()) > provisions_first + 30
        # and profit after provisions falls
        assert (d["profit_after_provisions"].sum() < s["profit_after_provisions"].sum())


def test_a_lockdown_cuts_travel_needs_while_ecommerce_holds():
    counts: dict[str, Counter] = {}
    for scenario in ("steady", "covid_2020"):
        overrides = {**SMALL, "run.seed": 1, "run.steps": 90, "macro.scenario": scenario,
                     "macro.start_day": 0}
        model = MarketModel(simfin.load_config(None, overrides=overrides))
        counted: Counter = Counter()
        for merchant in model.scenarios:  # count the needs of the lockdown's worst weeks
            def needs(population, day, rng, merchant=merchant, counted=counted,
                      generate=merchant.generate_needs):
                out = generate(population, day, rng)
                if 40 <= day < 80:
                    counted[merchant.config.name] += len(out["consumer"])
                return out
            merchant.generate_needs = needs
        for _ in range(90):
            model.step()
        counts[scenario] = counted
    steady, covid = counts["steady"], counts["covid_2020"]
    assert steady["travel"] > 100 and steady["ecommerce"] > 500, counts  # precondition
    assert covid["travel"] < 0.75 * steady["travel"], counts  # the path: 0.53-0.57 in those weeks
    assert covid["ecommerce"] >= 0.97 * steady["ecommerce"]  # the path: 1.03-1.06


def test_random_regimes_draw_from_the_models_generator():
    over = {**SMALL, "population.n_consumers": 1_500, "run.steps": 120, "run.seed": 5,
            "macro.scenario": "regimes", "macro.recession_path": "severe",
            "macro.expansion_days": 30.0}
    first, again = simfin.run(None, overrides=over), simfin.run(None, overrides=over)
    other = simfin.run(None, overrides={**over, "run.seed": 6})
    recession = first.steps.groupby("day")["macro_recession"].first()
    assert 0 < recession.sum() < len(recession)  # precondition: a recession started
    assert (first.steps.loc[first.steps["macro_recession"] == 1, "macro_job_loss"] > 1).any()
    pd.testing.assert_frame_equal(first.steps, again.steps)  # seeded: bit for bit
    assert not other.steps["macro_recession"].equals(first.steps["macro_recession"])
