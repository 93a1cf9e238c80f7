"""The servicing day, step by step: debits and retries, misses, rolls, cures, ageing."""

from __future__ import annotations

import numpy as np

from simfin.lending.ledger import KINDS
from tests.lending.test_ledger import make_servicer


def serve(servicer, ledger, days, p_pay: float = 1.0, p_cure: float = 0.0):
    """Run ``days`` (a range) and return each day's ServicingDay and the fees charged."""
    rng = np.random.default_rng(0)
    out, fees = [], 0
    for day in days:
        out.append(servicer.run(day, rng, lambda rows: np.full(len(rows), p_pay),
                                lambda rows: np.full(len(rows), p_cure)))
        fees += int(ledger.close_day()[:, KINDS.index("payment_fees")].sum())
    return out, fees


def test_a_failed_debit_is_retried_then_missed_from_its_original_due_day():
    book, ledger, servicer = make_servicer(4, term=90, default_dpd=60, writeoff_dpd=90)
    servicer.debit_failure_rate[:] = 1.0  # the rail fails every time
    servicer.retry_days[:] = 2
    servicer.debit_fee_cents[:] = 5
    first_due, period = int(book.column("next_due_day")[0]), int(book.column("period_days")[0])
    before, _ = serve(servicer, ledger, range(first_due))
    assert not any(len(d.due) for d in before)  # precondition: nothing due before
    days, fees = serve(servicer, ledger, range(first_due, first_due + 3))
    assert [len(d.due) for d in days] == [4, 4, 4]
    assert [len(d.failed_debits) for d in days] == [4, 4, 4]
    assert [len(d.retried) for d in days] == [4, 4, 0]
    assert [len(d.missed) for d in days] == [0, 0, 4]
    assert fees == 3 * 4 * 5  # every attempt pays the rail's fee
    # the miss counts from the day the instalment was due, and the schedule keeps its dates
    assert (book.column("overdue_since_day") == first_due).all()
    assert (book.column("next_due_day") == first_due + period).all()
    assert (book.column("retries") == 0).all()
    assert len(days[2].delinquent) == 4
    # the next instalment falls due while delinquent: one more missed, no debit tried
    rolled, fees = serve(servicer, ledger, range(first_due + 3, first_due + period + 1))
    assert not any(len(d.due) for d in rolled) and fees == 0
    assert (book.column("missed_instalments") == 2).all()
    assert (book.column("next_due_day") == first_due + 2 * period).all()


def test_a_retried_debit_that_goes_through_pays_on_schedule():
    book, ledger, servicer = make_servicer(4, term=90)
    servicer.debit_failure_rate[:] = 1.0
    servicer.retry_days[:] = 2
    first_due, period = int(book.column("next_due_day")[0]), int(book.column("period_days")[0])
    serve(servicer, ledger, range(first_due + 1))
    assert (book.column("retries") == 1).all()  # precondition: the first attempt failed
    servicer.debit_failure_rate[:] = 0.0
    (day,), _ = serve(servicer, ledger, [first_due + 1])
    assert len(day.due) == 4 and len(day.missed) == 0 and len(day.retried) == 0
    assert (book.column("paid_instalments") == 1).all()
    assert (book.column("overdue_since_day") == -1).all()
    assert (book.column("next_due_day") == first_due + period).all()  # not a day later
