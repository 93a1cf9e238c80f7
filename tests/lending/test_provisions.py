"""IFRS 9 expected credit losses (simfin.lending.provisions): the chain's default
probabilities, the overlay, the stages and allowance against a pass over every loan, and the
allowance in the ledger over random markets with macro paths and a run-off to the end."""

from __future__ import annotations

import numpy as np
import pytest

import simfin
from simfin import MarketModel
from simfin.config.provisions import path_job_loss
from simfin.lending.ledger import Ledger
from simfin.lending.loan_book import ACTIVE, LoanBook
from simfin.lending.product import REVOLVING
from simfin.lending.provisions import (
    COLUMNS,
    DEFAULT,
    Provisions,
    default_probabilities,
    prior_chain,
)
from tests.conftest import FAST_EVENTS, SMALL, TWO_LENDERS
from tests.test_model import operations_config


def test_default_probabilities_follow_the_chain():
    """A chain without cures: a current loan stays (s), rolls (q) or closes; a delinquent
    one rolls (r_b) or closes. Default within n months needs four steps from current:
    sum over k <= n - 4 of s^k q r1 r2 r3."""
    s, q, r = 0.7, 0.1, (0.5, 0.6, 0.8)
    chain = np.zeros((1, 4, 6))
    chain[0, 0, :2], chain[0, 0, 5] = (s, q), 1 - s - q
    for b in (1, 2, 3):
        chain[0, b, b + 1], chain[0, b, 5] = r[b - 1], 1 - r[b - 1]
    pd12, pd36 = default_probabilities(chain, 36)
    path = q * r[0] * r[1] * r[2]
    assert pd12[0, 0] == pytest.approx(path * sum(s ** k for k in range(9)))
    assert pd36[0, 0] == pytest.approx(path * sum(s ** k for k in range(33)))
    assert pd12[0, 3] == pd36[0, 3] == pytest.approx(r[2])
    assert pd12[0, 1] == pytest.approx(r[0] * r[1] * r[2])


def test_the_prior_chain_is_a_chain():
    chain = prior_chain([0.02, 0.3, 0.8, 0.9], 0.25)
    np.testing.assert_allclose(chain.sum(axis=1), 1.0)
    assert chain[3, DEFAULT] == 0.9 and chain[1, 0] == pytest.approx(0.7)


def test_the_overlay_scales_pds_from_the_window_to_the_expected_economy():
    ledger = Ledger(1, [0])
    scenarios = [(0.7, 1.0), (0.2, path_job_loss("adverse")), (0.1, path_job_loss("severe"))]
    p = Provisions(LoanBook(), ledger, stage2_dpd=30, lifetime_months=36, window_months=2,
                   prior=prior_chain([0.02, 0.3, 0.8, 0.9], 0.2), prior_lgd=0.9,
                   prior_weight=10.0, ccf=0.5, sensitivity=0.4, scenarios=scenarios)
    empty = np.zeros(0, dtype=np.intp)
    forward = sum(w * x for w, x in scenarios)
    p.close_day(0, empty, 1.0, [0])
    assert p.overlay(1.0) == pytest.approx(1 + 0.4 * (forward - 1))  # > 1: weighted stress
    assert p.overlay(4.0) == pytest.approx(1 + 0.4 * 3)  # every scenario at today's 4
    for day in range(1, 61):  # a window of 4s (60 days): the roll rates already reflect it
        p.close_day(day, empty, 4.0, [0])
    assert p.overlay(4.0) == pytest.approx(1.0)
    assert p.overlay(1.0) == pytest.approx((1 + 0.4 * (forward - 1)) / (1 + 0.4 * 3))
    p.sensitivity = 0.0
    assert p.overlay(4.0) == 1.0


def plain_ecl(model: MarketModel) -> dict[str, np.ndarray]:
    """Stage balances and allowances from a pass over every loan on book, with the
    engine's estimates of the day (the reference of the bucket aggregates)."""
    book, p, n = model.book, model.provisions, len(model.lenders)
    day = model.day - 1
    rows = np.flatnonzero(book.column("status") == ACTIVE)
    lender = book.column("lender")[rows].astype(np.intp)
    balance = book.column("outstanding_cents")[rows].astype(np.float64)
    overdue = book.column("overdue_since_day")[rows].astype(np.int64)
    dpd = np.where(overdue >= 0, day - overdue + 1, 0)
    impaired = (overdue >= 0) & ((dpd >= 90) | book.column("defaulted")[rows])
    stage = np.where(impaired, 3, np.where(dpd >= p.stage2_dpd, 2, 1))
    bucket = np.where(dpd > 0, np.minimum(dpd // 30 + 1, 3), 0)
    overlay = p.overlay(model.population.macro.job_loss)
    pd12 = np.minimum(p.pd12 * overlay, 1.0)[lender, bucket]
    life = np.minimum(p.pd_lifetime * overlay, 1.0)[lender, bucket]
    pd = np.select([stage == 1, stage == 2], [pd12, life], 1.0)
    # a current loan: its own schedule (simfin.lending.provision_curves), loan by loan
    current = overdue < 0
    spread = np.where(current & (book.column("n_instalments")[rows] > 1), balance, 0.0)
    rate = (np.bincount(lender, spread * book.column("rate_per_period")[rows], n)
            / np.maximum(np.bincount(lender, spread, n), 1.0))
    left = np.maximum(book.column("n_instalments")[rows]
                      - book.column("paid_instalments")[rows], 1)
    age = (day - book.column("origination_day")[rows]) // 30
    factor = {}
    for i in np.flatnonzero(current):
        key = (lender[i], age[i], left[i])
        if key not in factor:
            factor[key] = schedule_loss(p, *key, rate[lender[i]], overlay)
        pd[i] = factor[key]
    ecl = balance * pd * p.lgd[lender]
    # undrawn limits: every consumer's line limit less its drawn revolving balance
    pop, revolving = model.population, rows[book.column("product")[rows] == REVOLVING]
    undrawn = np.zeros(n)
    for i in range(n):
        mine = revolving[book.column("lender")[revolving] == i]
        used = np.bincount(book.column("consumer")[mine],
                           book.column("outstanding_cents")[mine], pop.n)
        undrawn[i] = np.maximum(pop.line_limit_cents[:, i] - used, 0).sum()
    out = {"undrawn_limit": undrawn}
    for k in (1, 2, 3):
        out[f"stage{k}_balance"] = np.bincount(lender[stage == k], balance[stage == k], n)
        out[f"stage{k}_allowance"] = np.bincount(lender[stage == k], ecl[stage == k], n)
    new = np.array([schedule_loss(p, i, 0, 12, 0.0, overlay, exposure=False) for i in range(n)])
    out["stage1_allowance"] += p.ccf * undrawn * new * p.lgd
    return out


def schedule_loss(p: Provisions, lender: int, age: int, left: int, rate: float,
                  overlay: float, exposure: bool = True) -> float:
    """One current loan's 12-month ECL per unit of balance before LGD, month by month: it
    may miss each of its next min(left, 12) instalments (roll rate by months on book),
    the miss defaults within the months left of the 12, and it owes the scheduled balance
    after the instalments before (``exposure``; else the whole balance)."""
    hazard = lambda a: min(p.hazard[lender, min(a, p.seasoning - 1)] * overlay, 1.0)  # noqa: E731
    within = p.default_within[lender]
    alive, total = 1.0, 0.0
    for j in range(1, min(left, 12) + 1):
        if not exposure:
            share = 1.0
        elif rate > 0:
            share = ((1 + rate) ** left - (1 + rate) ** (j - 1)) / ((1 + rate) ** left - 1)
        else:
            share = (left - j + 1) / left
        total += alive * hazard(age + j - 1) * within[12 - j] * share
        alive *= 1 - hazard(age + j - 1) * within[-1]
    return total


def test_stages_and_allowance_are_those_of_a_pass_over_every_loan():
    # stage 2 from 10 days past due (inside the 1-29 bucket), stage 3 by 90+ DPD and by
    # default at 60, a revolving line, and a downturn from day 40
    config = simfin.load_config(operations_config({
        **SMALL, "run.steps": 150, "run.default_dpd": 60, "run.writeoff_dpd": 100,
        "provisions.stage2_dpd": 10, "macro.scenario": "severe", "macro.start_day": 40}))
    model = MarketModel(config)
    days = []
    for _ in range(config.run.steps):
        model.step()
        days.append((model.recorder._rows[-1], plain_ecl(model)))
    # precondition: every part was exercised on many days
    for column in ("stage2_balance", "stage3_balance", "undrawn_limit"):
        assert sum(row[column].sum() > 0 for row, _ in days) > 10, column
    for row, plain in days:
        for column, values in plain.items():
            if not column.endswith("_allowance"):
                np.testing.assert_array_equal(row[column], values, err_msg=column)
            else:  # float sums in another order, each rounded to a cent
                np.testing.assert_allclose(row[column], values, atol=1.0, err_msg=column)
        np.testing.assert_array_equal(row["allowance"], row["stage1_allowance"]
                                      + row["stage2_allowance"] + row["stage3_allowance"])
        np.testing.assert_array_equal(row["stage1_balance"] + row["stage2_balance"]
                                      + row["stage3_balance"], row["outstanding"])
    assert set(COLUMNS) <= set(model.recorder.steps_frame().columns)


@pytest.mark.parametrize("seed", [3, 11, 2024])
def test_after_a_runoff_to_the_end_the_charges_equal_the_net_write_offs(seed):
    """Random markets with a macro path, lending for two months, then run off until every
    loan has ended: every lender-day the allowance rolls forward and cash + loans -
    allowance = equity (the ledger checks it at each close); at the end the allowance is 0
    and the cumulative provision charge equals the net write-offs."""
    rng = np.random.default_rng(seed)
    default_dpd = int(rng.integers(10, 60))
    writeoff_dpd = default_dpd + int(rng.integers(0, 60))
    overrides = {"population.n_consumers": 1_500, "run.steps": 60, "run.seed": seed,
                 "run.default_dpd": default_dpd, "run.writeoff_dpd": writeoff_dpd,
                 "run.recovery_rate": float(rng.uniform(0, 0.5)),
                 "run.runoff_days": 180 + writeoff_dpd + 31,  # longest term: 180 days
                 "population.fraud_share": 0.05, "run.record_applications": False,
                 "macro.scenario": str(rng.choice(["adverse", "severe", "covid_2020"])),
                 "macro.start_day": int(rng.integers(0, 40)),
                 "provisions.stage2_dpd": int(rng.integers(1, 60)),
                 "scenarios.0.term_days": [90, 180]}
    config = simfin.load_config(operations_config(overrides) if seed % 2 else TWO_LENDERS,
                                None if seed % 2 else overrides)
    result = simfin.run(config)
    steps, book = result.steps, result.model.book
    # preconditions: loans were made and written off, the path applied, every loan ended
    assert steps["loans"].sum() > 0 and steps["written_off"].sum() > 0
    assert (steps["macro_job_loss"] != 1.0).any()
    assert (book.column("status") != ACTIVE).all()
    for name, rows in steps.groupby("lender", observed=True):
        allowance = rows["allowance"].to_numpy()
        charge = (rows["provision_charge"] - rows["provision_release"]).to_numpy()
        used = (rows["written_off"] - rows["recoveries"]).to_numpy()
        np.testing.assert_array_equal(allowance, np.cumsum(charge - used), err_msg=name)
        np.testing.assert_array_equal(rows["cash"] + rows["outstanding"] - rows["allowance"],
                                      rows["equity"], err_msg=name)
        assert allowance[-1] == 0, name
        assert charge.sum() == used.sum(), name
        ind = result.summary["lenders"][name]
        # over whole lives, profit after provisions is profit before them
        assert ind["profit_after_provisions"] == ind["profit"]


def test_the_stage_migration_accounts_for_every_loan_booked():
    config = simfin.load_config(TWO_LENDERS, {**SMALL, **FAST_EVENTS, "run.steps": 100})
    result = simfin.run(config)
    for name, ind in result.summary["lenders"].items():
        migration = ind["stage_migration"]
        rows = result.steps[result.steps["lender"] == name]
        # precondition: the lender lent, and loans moved into stage 3
        assert rows["disbursed"].sum() > 0 and sum(migration["stage3"].values()) > 0
        # the originated row holds every principal disbursed, wherever it went
        assert sum(migration["originated"].values()) == rows["disbursed"].sum()
        assert migration["stage1"]["stage2"] + migration["stage1"]["stage3"] > 0
    market = result.summary["market"]["stage_migration"]
    assert market["stage1"]["stage1"] == sum(
        ind["stage_migration"]["stage1"]["stage1"] for ind in result.summary["lenders"].values())


BASE = {"population.n_consumers": 1_200, "run.steps": 120, "run.seed": 4,
        "run.record_applications": False, "run.default_dpd": 60, "run.writeoff_dpd": 95}


@pytest.fixture(scope="module")
def base_allowance() -> np.ndarray:
    return simfin.run(operations_config(BASE)).steps["allowance"].to_numpy()


@pytest.mark.parametrize(("field", "value"), [
    ("stage2_dpd", 5), ("lifetime_months", 13), ("window_months", 1),
    ("prior_roll_rates", [0.05, 0.5, 0.5, 0.5]), ("prior_closure_rate", 0.05),
    ("prior_lgd", 0.5), ("prior_weight", 5_000.0), ("credit_conversion_factor", 1.0),
    ("pd_sensitivity", 0.0), ("scenario_weights", {"steady": 1.0}), ("seasoning_months", 1),
])
def test_every_provisions_field_moves_the_allowance(field, value, base_allowance):
    assert base_allowance.max() > 0  # precondition: the lenders held an allowance
    changed = simfin.run(operations_config({**BASE, f"provisions.{field}": value}))
    assert not np.array_equal(changed.steps["allowance"].to_numpy(), base_allowance)
