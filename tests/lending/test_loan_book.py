"""The loan book: instalment schedules and growable columnar storage."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simfin.lending.loan_book import (
    ACTIVE,
    CLOSED,
    INSTALMENT_PERIOD_DAYS,
    MIN_INSTALMENT_TERM_DAYS,
    WRITTEN_OFF,
    LoanBook,
    schedule,
)


def amortise(principal: int, rate: float, n: int, instalment: int) -> list[int]:
    """Principal part of each instalment, paid as the servicer pays: interest first."""
    outstanding, parts = principal, []
    for k in range(n):
        interest = round(outstanding * rate)
        last = k == n - 1
        part = outstanding if last else min(max(instalment - interest, 0), outstanding)
        parts.append(part)
        outstanding -= part
    return parts


@settings(max_examples=200, deadline=None)
@given(principal=st.integers(10_000, 5_000_000),
       apr=st.just(0.0) | st.floats(1e-300, 1e-6) | st.floats(1e-6, 3.0),
       term=st.integers(MIN_INSTALMENT_TERM_DAYS, 720))
def test_annuity_schedule_repays_the_principal(principal: int, apr: float, term: int):
    period, n, rate, instalment = schedule(np.array([principal]), np.array([apr]),
                                           np.array([term]))
    period, n, rate, instalment = int(period[0]), int(n[0]), float(rate[0]), int(instalment[0])
    assert period == INSTALMENT_PERIOD_DAYS
    assert n == term // INSTALMENT_PERIOD_DAYS
    assert rate == pytest.approx(apr * period / 365.0)
    assert instalment * n >= principal
    parts = amortise(principal, rate, n, instalment)
    assert sum(parts) == principal
    assert all(p >= 0 for p in parts)
    # an annuity: the last instalment is no balloon. Each period's rounding (at most one
    # cent) compounds at the period rate until the end, so that is the allowed excess.
    rounding_cents = n if rate == 0 else ((1 + rate) ** n - 1) / rate
    last_payment = parts[-1] + round(parts[-1] * rate)
    assert last_payment <= instalment + rounding_cents


def test_tiny_positive_apr_gives_a_sane_instalment():
    _, n, _, instalment = schedule(np.array([10_000]), np.array([1e-17]), np.array([90]))
    assert n[0] == 3
    assert instalment[0] == 3_334


def test_annuity_matches_the_textbook_formula():
    period, n, rate, instalment = schedule(np.array([1_200_000]), np.array([0.24]),
                                           np.array([360]))
    r = 0.24 * 30 / 365
    expected = 1_200_000 * r / (1 - (1 + r) ** -12)
    assert n[0] == 12 and period[0] == 30
    assert instalment[0] == int(np.ceil(expected))
    # interest makes the instalments add up to more than the principal
    assert instalment[0] * 12 > 1_200_000


def test_zero_rate_splits_principal_evenly():
    _, n, rate, instalment = schedule(np.array([100_000, 100_001]), np.array([0.0, 0.0]),
                                      np.array([90, 90]))
    assert n.tolist() == [3, 3]
    assert rate.tolist() == [0.0, 0.0]
    assert instalment.tolist() == [33_334, 33_334]
    assert sum(amortise(100_001, 0.0, 3, 33_334)) == 100_001


@pytest.mark.parametrize("term", [1, 7, 14, 30, 45, MIN_INSTALMENT_TERM_DAYS - 1])
def test_short_terms_are_one_bullet_payment(term: int):
    period, n, rate, instalment = schedule(np.array([150_000]), np.array([0.36]),
                                           np.array([term]))
    assert n[0] == 1
    assert period[0] == term
    assert rate[0] == pytest.approx(0.36 * term / 365)
    assert instalment[0] == int(np.ceil(150_000 * (1 + 0.36 * term / 365)))


@pytest.mark.parametrize(("term", "n"), [(60, 2), (90, 3), (100, 3), (180, 6), (360, 12),
                                         (720, 24)])
def test_terms_of_60_days_or_more_are_monthly_instalments(term: int, n: int):
    period, n_inst, _, _ = schedule(np.array([500_000]), np.array([0.2]), np.array([term]))
    assert period[0] == INSTALMENT_PERIOD_DAYS
    assert n_inst[0] == n


def test_schedule_is_vectorised():
    principal = np.array([10_000, 200_000, 3_000_000])
    period, n, _, instalment = schedule(principal, np.array([0.1, 0.3, 0.36]),
                                        np.array([14, 90, 360]))
    assert period.tolist() == [14, 30, 30]
    assert n.tolist() == [1, 3, 12]
    assert (instalment * n >= principal).all()


# -- storage -------------------------------------------------------------------------------

def add_loans(book: LoanBook, k: int, first_principal: int = 1_000, lender: int = 0):
    principal = np.arange(first_principal, first_principal + k, dtype=np.int64)
    return book.add(lender=np.full(k, lender), consumer=np.arange(k),
                    principal_cents=principal, outstanding_cents=principal,
                    origination_day=np.full(k, 3), next_due_day=np.full(k, 33))


def test_growth_beyond_initial_capacity_keeps_data():
    book = LoanBook(capacity=4)
    first = add_loans(book, 3, first_principal=100)
    assert first.tolist() == [0, 1, 2]
    second = add_loans(book, 10, first_principal=1_000, lender=1)
    assert second.tolist() == list(range(3, 13))
    assert len(book) == 13
    assert book.column("principal_cents").tolist() == [100, 101, 102] + list(range(1000, 1010))
    assert book.column("lender").tolist() == [0] * 3 + [1] * 10
    assert book.column("consumer").tolist() == [0, 1, 2] + list(range(10))
    # defaults of columns not given
    assert (book.column("overdue_since_day") == -1).all()
    assert (book.column("closed_day") == -1).all()
    assert (book.column("status") == ACTIVE).all()
    # many more, forcing several doublings
    add_loans(book, 1_000, first_principal=50_000)
    assert len(book) == 1_013
    assert book.column("principal_cents")[:3].tolist() == [100, 101, 102]
    assert book.column("principal_cents")[-1] == 50_999
    frame = book.frame()
    assert len(frame) == 1_013
    assert frame["principal_cents"].sum() == book.column("principal_cents").sum()


def test_adding_nothing_changes_nothing():
    book = LoanBook(capacity=2)
    add_loans(book, 2)
    rows = book.add(principal_cents=np.zeros(0, dtype=np.int64))
    assert len(rows) == 0 and len(book) == 2


def test_column_is_a_writable_view_and_active_rows_follow_status():
    book = LoanBook(capacity=8)
    add_loans(book, 5)
    assert book.active_rows().tolist() == [0, 1, 2, 3, 4]
    book.set_status([1], CLOSED)
    book.set_status([3], WRITTEN_OFF)
    book.column("outstanding_cents")[[1, 3]] = 0
    assert book.column("outstanding_cents")[[1, 3]].tolist() == [0, 0]
    assert book.column("status").tolist() == [ACTIVE, CLOSED, ACTIVE, WRITTEN_OFF, ACTIVE]
    assert book.active_rows().tolist() == [0, 2, 4]


def test_status_is_set_only_through_the_book():
    """A direct write to the status column would escape the kept active rows: refused."""
    book = LoanBook(capacity=8)
    add_loans(book, 3)
    with pytest.raises(ValueError, match="read-only"):
        book.column("status")[0] = CLOSED
    assert book.active_rows().tolist() == [0, 1, 2]


def test_outstanding_by_lender_counts_active_loans_only():
    book = LoanBook(capacity=2)
    add_loans(book, 3, first_principal=100, lender=0)   # 100 + 101 + 102
    add_loans(book, 2, first_principal=1_000, lender=2)  # 1000 + 1001
    book.set_status([0], CLOSED)
    book.column("outstanding_cents")[0] = 0
    assert book.outstanding_by_lender(3).tolist() == [203, 0, 2_001]


def test_nbytes_grows_with_capacity():
    small, large = LoanBook(capacity=10), LoanBook(capacity=1_000)
    assert 0 < small.nbytes() < large.nbytes()


def test_active_rows_kept_from_call_to_call_are_always_the_scan():
    """Loans close, are written off and are booked between calls (some closed before the
    rows are next asked for, some twice, some already off book); a loan is even set back
    to active: the kept rows and cached columns always equal a fresh scan.
    """
    rng = np.random.default_rng(0)
    book = LoanBook(capacity=4)
    add_loans(book, 50)
    status = lambda: book.column("status")  # noqa: E731
    earlier = (book.active_rows(), book.active_rows().tolist(),
               book.active("consumer"), book.active("consumer").tolist())
    scans = []
    for step in range(40):
        if step % 3:  # sometimes more than the kept arrays have room for
            add_loans(book, int(rng.integers(1, 5)) if step % 7 else 5_000)
        for _ in range(int(rng.integers(1, 3))):
            closing = rng.choice(book.n, 4, replace=False)
            book.set_status(closing, CLOSED if rng.random() < 0.5 else WRITTEN_OFF)
        if step in (20, 30):  # a loan closed on an earlier day back on book
            back = np.flatnonzero(status() != ACTIVE)[0]
            book.set_status([back], ACTIVE)
        scans.append(book._active is None)
        expected = np.flatnonzero(status() == ACTIVE)
        assert book.active_rows().tolist() == expected.tolist()
        # Arrays handed out earlier are not changed by the updates since.
        assert earlier[0].tolist() == earlier[1] and earlier[2].tolist() == earlier[3]
        earlier = (book.active_rows(), book.active_rows().tolist(),
                   book.active("consumer"), book.active("consumer").tolist())
        assert book.active("consumer").tolist() == book.column("consumer")[expected].tolist()
        assert book.active("consumer").dtype == np.intp  # ids for lookups, kept so
        assert book.active("lender").dtype == book.column("lender").dtype
        assert book.active("product").tolist() == book.column("product")[expected].tolist()
    # Kept from call to call but for the two loans set back to active.
    assert [i for i, scanned in enumerate(scans) if scanned] == [20, 30]
    assert 0 < len(book.active_rows()) < book.n  # loans both on and off the book


def test_by_lender_is_the_bincount_over_the_active_loans_bit_for_bit():
    """Counts and sums of a per-consumer value by lender, while loans close (some twice,
    some booked since), with negative values, -0.0 and values that round when added:
    always the bincounts over the active loans' borrowers, to the last bit.
    """
    rng = np.random.default_rng(4)
    book = LoanBook(capacity=4)
    values = (rng.standard_normal(300) * 10.0 ** rng.integers(-8, 9, 300)).astype(np.float32)
    values[:10] = -0.0

    def book_loans(k):
        principal = np.full(k, 100, dtype=np.int64)
        book.add(lender=rng.integers(0, 3, k), consumer=rng.integers(0, 300, k),
                 principal_cents=principal, outstanding_cents=principal)

    book_loans(200)
    kept_route = 0
    for step in range(60):
        if step % 4 == 0:
            book_loans(int(rng.integers(1, 30)))
        for _ in range(int(rng.integers(0, 3))):
            book.set_status(rng.choice(book.n, 6), CLOSED)  # repeats among them
        if step == 45:
            book.set_status(np.flatnonzero(book.column("status") == 0), CLOSED)  # all
        kept_route += bool(book._active is not None and len(book._active.holes)
                           and book._active_upto == book.n)
        count, sums = book.by_lender(3, values)
        active = np.flatnonzero(book.column("status") == ACTIVE)
        lenders = book.column("lender")[active]
        assert count.tolist() == np.bincount(lenders, minlength=3).tolist()
        plain = np.bincount(lenders, weights=values[book.column("consumer")[active]],
                            minlength=3)
        assert sums.tobytes() == plain.tobytes()
        book.active_rows()  # the day goes on: the ended loans dropped, new ones booked
    assert kept_route > 20


def test_rows_kept_hold_the_active_rows_and_few_ended_ones():
    """Without active_rows (which drops the ended loans), the kept rows are the active
    ones plus at most one in 16 that ended, in row order; the sums by lender and the
    outstanding balances of a product computed from them are the plain ones.
    """
    rng = np.random.default_rng(6)
    book = LoanBook(capacity=4)
    values = rng.random(200).astype(np.float32)

    def book_loans(k):
        principal = rng.integers(1, 1_000, k)
        book.add(lender=rng.integers(0, 3, k), consumer=rng.integers(0, 200, k),
                 product=rng.integers(0, 2, k), principal_cents=principal,
                 outstanding_cents=principal)

    book_loans(400)
    holes = 0
    for _ in range(80):
        book_loans(int(rng.integers(0, 12)))
        book.set_status(rng.choice(book.n, int(rng.integers(0, 8))), CLOSED)
        kept = book.rows_kept()
        active = np.flatnonzero(book.column("status") == ACTIVE)
        assert (np.diff(kept) > 0).all() and set(active.tolist()) <= set(kept.tolist())
        assert 16 * (len(kept) - len(active)) <= len(kept)
        holes += len(kept) > len(active)
        count, sums = book.by_lender(3, values)
        lenders = book.column("lender")[active]
        assert count.tolist() == np.bincount(lenders, minlength=3).tolist()
        plain = np.bincount(lenders, weights=values[book.column("consumer")[active]],
                            minlength=3)
        assert sums.tobytes() == plain.tobytes()
        consumers = rng.integers(0, 200, 50)
        mine = active[(lenders == 1) & (book.column("product")[active] == 1)]
        expected = [int(book.column("outstanding_cents")[mine][
            book.column("consumer")[mine] == c].sum()) for c in consumers]
        assert book.outstanding_of(consumers, 1, 1).tolist() == expected
    assert holes > 40
