"""The recorder: the day's balances it takes from the servicing result are those of a pass
over the loan book.
"""

from __future__ import annotations

import numpy as np

import simfin
from simfin import MarketModel
from simfin.indicators.recording import DPD_BANDS, dpd_balances, dpd_balances_plain, value_counts
from simfin.lending.loan_book import ACTIVE
from tests.conftest import FAST_EVENTS, SMALL, TWO_LENDERS


def plain_balances(model: MarketModel) -> dict[str, np.ndarray]:
    """The DPD balances, loan counts and borrower satisfaction by a pass over the book."""
    book, n = model.book, len(model.lenders)
    lender = book.column("lender")
    active = book.column("status") == ACTIVE
    since = book.column("overdue_since_day")
    dpd = np.where(active & (since >= 0), model.day - since + 1, 0)
    out = {f"dpd{k}_balance": np.bincount(lender[dpd >= k], minlength=n,
                                          weights=book.column("outstanding_cents")[dpd >= k])
           for k in (1, 30, 90)}
    out["active_loans"] = np.bincount(lender[active], minlength=n)
    satisfaction = model.population.satisfaction[book.column("consumer")[active]]
    out["satisfaction"] = (np.bincount(lender[active], weights=satisfaction, minlength=n)
                           / np.maximum(out["active_loans"], 1))
    return out


def test_recorded_balances_are_those_of_a_pass_over_the_book():
    """Every day of a market with delinquencies and write-offs; and a day recorded again
    without a servicing result (the recorder then finds the delinquent loans itself).
    """
    model = MarketModel(simfin.load_config(TWO_LENDERS, {**SMALL, **FAST_EVENTS, "run.steps": 100}))
    late_days = 0
    for _ in range(100):
        model.step()
        row = model.recorder._rows[-1]
        model.day -= 1  # the day just recorded
        expected = plain_balances(model)
        for column, values in expected.items():
            np.testing.assert_array_equal(row[column], values, err_msg=column)
        late_days += bool(row["dpd30_balance"].sum())
        if model.day in (40, 99):  # the same day recorded again, without servicing's list
            model.recorder.start_day()
            model.recorder.end_day(model.day, model.ledger, model.book,
                                   model.population.satisfaction)
            again = model.recorder._rows.pop()
            for column in expected:
                np.testing.assert_array_equal(again[column], row[column], err_msg=column)
        model.day += 1
    assert late_days > 10 and model.recorder.steps_frame()["loans_written_off"].sum() > 0


def test_dpd_balances_are_one_bincount_per_threshold():
    """The banded sums equal one bincount per threshold, on random books (balances up to
    what a market holds) and where float sums of cents round (beyond 2**53 in all): there
    the banded order would give another number, and the plain route is taken.
    """
    rng = np.random.default_rng(5)
    for _ in range(200):
        k, n = int(rng.integers(0, 400)), int(rng.integers(1, 5))
        lenders = rng.integers(0, n, k).astype(np.int16)
        balance = rng.integers(0, 10 ** int(rng.integers(1, 13)), k)
        dpd = rng.integers(1, 200, k)
        fast = dpd_balances(lenders, balance, dpd, DPD_BANDS, n)
        plain = dpd_balances_plain(lenders, balance, dpd, DPD_BANDS, n)
        assert [b.tolist() for b in fast] == [b.tolist() for b in plain]
    lenders, dpd = np.zeros(3, np.int16), np.array([100, 5, 5])
    balance = np.array([2**53, 1, 1])
    plain = dpd_balances_plain(lenders, balance, dpd, DPD_BANDS, 1)
    assert plain[0].tolist() == [2**53]  # 2**53 + 1 + 1, rounded at each addition
    assert float(2**53) + float(1 + 1) != float(2**53)  # what bands would have added
    fast = dpd_balances(lenders, balance, dpd, DPD_BANDS, 1)
    assert [b.tolist() for b in fast] == [b.tolist() for b in plain]


def test_value_counts_are_those_of_unique():
    """Small non-negative codes by a bincount; anything else (negative, large, float,
    empty) by ``np.unique`` itself: the same values, counts and types either way.
    """
    rng = np.random.default_rng(2)
    cases = [rng.integers(0, 30, int(rng.integers(1, 500))).astype(dtype)
             for dtype in (np.int8, np.int16, np.int64, np.uint8) for _ in range(20)]
    cases += [np.array([], dtype=np.int8), np.array([-1, 3, 3], dtype=np.int8),
              np.array([5_000, 2, 2]), np.array([0.5, 0.5, 2.0])]
    for values in cases:
        got, expected = value_counts(values), np.unique(values, return_counts=True)
        for a, b in zip(got, expected, strict=True):
            assert a.tolist() == b.tolist() and a.dtype == b.dtype
