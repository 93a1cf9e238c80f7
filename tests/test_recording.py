"""The recorder: the day's balances it takes from the servicing result are those of a pass
over the loan book.
"""

from __future__ import annotations

import numpy as np

import simfin
from simfin import MarketModel
from simfin.lending.loan_book import ACTIVE
from tests.conftest import FAST_EVENTS, SMALL


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
    model = MarketModel(simfin.load_config(None, {**SMALL, **FAST_EVENTS, "run.steps": 100}))
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
