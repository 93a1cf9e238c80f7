"""A current loan's 12-month ECL from its schedule (simfin.lending.provision_curves) against
closed forms: the delinquency's default probability by horizon, the horizon capped by the
instalments left, seasoning, and the amortised exposure; and the current loans' balances
kept from day to day against a recount of the book."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simfin
from simfin import MarketModel
from simfin.lending.loan_book import ACTIVE
from simfin.lending.provision_curves import (
    CurrentBalances,
    current_loss_factors,
    delinquency_default,
)
from simfin.lending.provisions import DEFAULT, prior_chain
from tests.conftest import SMALL

ROOT = Path(__file__).resolve().parents[2]


def test_a_delinquency_defaults_after_rolling_through_the_buckets():
    # 1-29 -> 30-59 -> 60-89 -> default with r1, r2, r3 (the rest cures): no default within
    # 2 months, r1 r2 r3 from the third on
    chain = prior_chain([0.02, 0.3, 0.8, 0.9], 0.2)[None]
    within = delinquency_default(chain, 12, DEFAULT)
    assert within[0, :3].tolist() == [0.0, 0.0, 0.0]
    np.testing.assert_allclose(within[0, 3:], 0.3 * 0.8 * 0.9)


def flat(hazard: float, default: float, ages: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A constant roll rate and a delinquency that defaults at once with ``default``."""
    within = np.full((1, 13), default)
    within[0, 0] = 0.0
    return np.full((1, ages), hazard), within


def test_a_loan_cannot_miss_more_instalments_than_it_has_left():
    # zero interest: the exposure falls in equal steps, e(j) = (k - j + 1) / k
    h, d = 0.05, 0.4
    factors, pd_new = current_loss_factors(*flat(h, d), np.zeros(1), 24)
    q = h * d
    for k in (1, 3, 6, 12):
        # (a miss in the 12th month cannot reach default within the 12: D(0) = 0)
        expected = sum((1 - q) ** (j - 1) * q * (k - j + 1) / k
                       for j in range(1, min(k, 11) + 1))
        assert factors[0, 0, k - 1] == pytest.approx(expected)
    # a new loan: 11 months of misses that can default within the 12
    assert pd_new[0] == pytest.approx(1 - (1 - q) ** 11)
    # past 12 instalments only the first 12 months count, at a higher exposure
    assert factors[0, 0, 23] > factors[0, 0, 11]


def test_the_exposure_is_the_annuity_balance_when_the_instalment_is_missed():
    r, k, q = 0.03, 12, 0.01
    factors, _ = current_loss_factors(*flat(q, 1.0), np.array([r]), k)
    balance = [((1 + r) ** k - (1 + r) ** (j - 1)) / ((1 + r) ** k - 1) for j in range(1, 13)]
    # the balance after j - 1 payments of the annuity (principal 1)
    instalment = r / (1 - (1 + r) ** -k)
    owed = 1.0
    for j in range(1, 13):
        assert balance[j - 1] == pytest.approx(owed)
        owed = owed * (1 + r) - instalment
    expected = sum((1 - q) ** (j - 1) * q * balance[j - 1] for j in range(1, 12))
    assert factors[0, 0, k - 1] == pytest.approx(expected)
    # an annuity repays principal more slowly than in equal steps
    assert factors[0, 0, k - 1] > current_loss_factors(*flat(q, 1.0), np.zeros(1), k)[0][
        0, 0, k - 1]


def test_a_seasoned_loan_rolls_at_its_own_age():
    hazard = np.array([[0.10, 0.05, 0.02]])  # months on book 0, 1, 2+
    within = np.ones((1, 13))
    within[0, 0] = 0.0
    factors, _ = current_loss_factors(hazard, within, np.zeros(1), 3)
    # a loan of age 1 with two instalments left: months at ages 1 and 2
    assert factors[0, 1, 1] == pytest.approx(0.05 * 1.0 + 0.95 * 0.02 * 0.5)
    # older than the last age: its rate
    assert factors[0, 2, 0] == pytest.approx(0.02)
    assert factors[0, 0, 0] > factors[0, 1, 0] > factors[0, 2, 0]


def test_the_balances_kept_from_day_to_day_are_a_recount_of_the_book():
    model = MarketModel(simfin.load_config(None, {**SMALL, "run.steps": 150}))
    for _ in range(150):
        model.step()
    kept, book = model.provisions.current, model.book
    # the default market co-lends: each part counts under the party that bears it
    co_lending = model.provisions.co_lending
    assert co_lending is not None and (book.column("funder")[:len(book)] >= 0).sum() > 100
    fresh = CurrentBalances(len(model.lenders))
    fresh.recount(book, None, co_lending.bearers)
    rows = np.flatnonzero((book.column("status") == ACTIVE)
                          & (book.column("overdue_since_day") < 0))
    # precondition: loans were paid, missed, cured and closed along the way
    assert len(rows) > 100 and (book.column("status") != ACTIVE).sum() > 100
    assert book.column("cured").sum() > 0
    days, most = (min(a, b) for a, b in zip(kept.cells.shape[1:], fresh.cells.shape[1:],
                                            strict=True))
    np.testing.assert_array_equal(kept.cells[:, :days, :most], fresh.cells[:, :days, :most])
    assert kept.cells.sum() == fresh.cells.sum()
    assert kept.cells.sum() == book.column("outstanding_cents")[rows].sum()
    np.testing.assert_array_equal(kept.spread, fresh.spread)
    np.testing.assert_allclose(kept.rate(), fresh.rate(), rtol=1e-9)


def test_with_funding_partners_each_party_counts_the_current_parts_it_bears():
    model = MarketModel(simfin.load_config(ROOT / "tests" / "markets" / "co_lending.yaml",
                                           {"run.steps": 150}))
    for _ in range(150):
        model.step()
    p, book = model.provisions, model.book
    # precondition: partners funded loans
    assert p.co_lending is not None and (book.column("funder")[:len(book)] >= 0).sum() > 50
    fresh = CurrentBalances(p.n)
    fresh.recount(book, None, p.co_lending.bearers)
    delinquent = p._delinquent_cells(149, model.servicer.delinquent_loans()).sum(axis=1)
    np.testing.assert_array_equal(p.current.cells.sum(axis=(1, 2)),
                                  p.co_lending.exposure() - delinquent)
    np.testing.assert_array_equal(p.current.cells.sum(axis=(1, 2)),
                                  fresh.cells.sum(axis=(1, 2)))
