"""The double-entry ledger, and the servicer that posts every repayment and loss to it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simfin.lending.ledger import AFTER_PROVISIONS, KINDS, POSTINGS, Ledger, LedgerError
from simfin.lending.loan_book import CLOSED, WRITTEN_OFF, LoanBook, schedule
from simfin.lending.repayments import Servicer


def accounts(ledger: Ledger, lender: int) -> tuple[int, int, int, int]:
    return tuple(int(ledger.balance(a)[lender])
                 for a in ("cash", "loans", "allowance", "equity"))


def test_capital_is_cash_and_equity():
    ledger = Ledger(2, [1_000, 5_000])
    assert accounts(ledger, 0) == (1_000, 0, 0, 1_000)
    assert accounts(ledger, 1) == (5_000, 0, 0, 5_000)
    ledger.check()


@pytest.mark.parametrize(("kind", "expected"), [  # cash, loans, allowance, equity
    ("disbursed", (700, 300, 0, 1_000)),
    ("principal_repaid", (1_300, -300, 0, 1_000)),
    ("interest_paid", (1_300, 0, 0, 1_300)),
    ("fees_paid", (1_300, 0, 0, 1_300)),
    ("recoveries", (1_300, 0, 300, 1_000)),  # credited to the allowance
    ("written_off", (1_000, -300, -300, 1_000)),  # debited to the allowance
    ("funding_cost", (700, 0, 0, 700)),
    ("acquisition_cost", (700, 0, 0, 700)),
    ("data_cost", (700, 0, 0, 700)),
    ("payment_fees", (700, 0, 0, 700)),
    ("provision_charge", (1_000, 0, 300, 700)),
    ("provision_release", (1_000, 0, -300, 1_300)),
])
def test_each_posting_moves_money_between_two_accounts(kind: str, expected):
    ledger = Ledger(1, [1_000])
    ledger.post(0, kind, 300)
    assert accounts(ledger, 0) == expected
    ledger.check()
    assert ledger.flow(kind).tolist() == [300]


def test_every_kind_keeps_the_books_balanced():
    ledger = Ledger(3, [10_000, 0, 7])
    for j, kind in enumerate(KINDS):
        ledger.post(j % 3, kind, 17 * (j + 1))
        ledger.check()
    cash, loans, allowance, equity = (ledger.balance(a)
                                      for a in ("cash", "loans", "allowance", "equity"))
    assert (cash + loans - allowance == equity).all()


def test_profit_signs():
    assert {k for k, (_, _, s) in POSTINGS.items() if s > 0} == {
        "interest_paid", "fees_paid", "recoveries"}
    assert POSTINGS["disbursed"][2] == 0 and POSTINGS["principal_repaid"][2] == 0
    assert POSTINGS["written_off"][2] == -1 and POSTINGS["funding_cost"][2] == -1
    # profit before provisions never counts the allowance's postings
    assert POSTINGS["provision_charge"][2] == 0 and POSTINGS["provision_release"][2] == 0


def test_profit_after_provisions_is_the_change_in_equity():
    """After provisions the credit loss is the provision charge: write-offs and recoveries
    go through the allowance, not profit."""
    assert AFTER_PROVISIONS["provision_charge"] == -1
    assert AFTER_PROVISIONS["provision_release"] == 1
    assert AFTER_PROVISIONS["written_off"] == AFTER_PROVISIONS["recoveries"] == 0
    for kind in ("interest_paid", "fees_paid", "funding_cost", "service_cost"):
        assert AFTER_PROVISIONS[kind] == POSTINGS[kind][2]
    ledger = Ledger(1, [5_000])
    for j, kind in enumerate(KINDS):
        ledger.post(0, kind, 11 * (j + 1))
    profit = sum(AFTER_PROVISIONS[k] * int(ledger.flow(k)[0]) for k in KINDS)
    assert int(ledger.balance("equity")[0]) - 5_000 == profit


def test_a_write_off_uses_the_allowance_and_charges_only_the_shortfall():
    ledger = Ledger(2, [10_000, 10_000])
    for lender in (0, 1):
        ledger.post(lender, "disbursed", 2_000)
    ledger.provide(0, 1_500)  # lender 0 provided 1,500; lender 1 nothing
    ledger.close_day()
    # each writes off 1,000 of principal and recovers 100: a net loss of 900
    ledger.write_off_by_lender(np.array([0, 0, 1, 1]), np.array([600, 400, 600, 400]),
                               np.array([60, 40, 60, 40]))
    ledger.check()
    assert ledger.flow("written_off").tolist() == [1_000, 1_000]
    assert ledger.flow("recoveries").tolist() == [100, 100]
    assert ledger.flow("provision_charge").tolist() == [0, 900]  # only the unprovided part
    assert ledger.balance("allowance").tolist() == [600, 0]
    assert ledger.balance("loans").tolist() == [1_000, 1_000]
    # lender 0's loss came out of the allowance, lender 1's was charged to equity today
    assert ledger.balance("equity").tolist() == [10_000 - 1_500, 10_000 - 900]


def test_provide_charges_a_rise_and_releases_a_fall():
    ledger = Ledger(1, [1_000])
    ledger.provide(0, 250)
    assert ledger.flow("provision_charge").tolist() == [250]
    ledger.provide(0, 100)
    assert ledger.flow("provision_release").tolist() == [150]
    assert accounts(ledger, 0) == (1_000, 0, 100, 900)
    ledger.provide(0, 100)  # no change: no posting
    assert ledger.flow("provision_charge").tolist() == [250]
    with pytest.raises(LedgerError):
        ledger.provide(0, -1)
    assert accounts(ledger, 0) == (1_000, 0, 100, 900)


def test_negative_amount_is_refused():
    ledger = Ledger(1, [1_000])
    with pytest.raises(LedgerError):
        ledger.post(0, "disbursed", -1)
    assert accounts(ledger, 0) == (1_000, 0, 0, 1_000)


def test_zero_posting_is_a_no_op():
    ledger = Ledger(1, [1_000])
    ledger.post(0, "disbursed", 0)
    assert accounts(ledger, 0) == (1_000, 0, 0, 1_000)
    assert not ledger.today.any()


def test_check_detects_unbalanced_books():
    ledger = Ledger(2, [1_000, 1_000])
    ledger.balances[1, 0] += 1  # corrupt lender 1's cash
    with pytest.raises(LedgerError, match="lender 1"):
        ledger.check()
    with pytest.raises(LedgerError):
        ledger.close_day()


def test_post_by_lender_aggregates_per_lender():
    ledger = Ledger(3, [0, 0, 0])
    ledger.post_by_lender("interest_paid", np.array([0, 2, 2, 0, 2]),
                          np.array([1, 10, 100, 1_000, 10_000]))
    assert ledger.flow("interest_paid").tolist() == [1_001, 0, 10_110]
    assert ledger.balance("equity").tolist() == [1_001, 0, 10_110]


def test_post_by_lender_is_exact_for_large_amounts():
    ledger = Ledger(1, [0])
    cents = np.full(1_000, 123_456_789_012, dtype=np.int64)
    ledger.post_by_lender("interest_paid", np.zeros(1_000, dtype=np.int64), cents)
    assert int(ledger.balance("equity")[0]) == 123_456_789_012_000


def test_close_day_archives_flows_and_starts_a_new_day():
    ledger = Ledger(2, [1_000, 1_000])
    ledger.post(0, "disbursed", 400)
    ledger.post(1, "interest_paid", 5)
    flows = ledger.close_day()
    assert flows[0, KINDS.index("disbursed")] == 400
    assert flows[1, KINDS.index("interest_paid")] == 5
    assert not ledger.today.any()
    assert len(ledger.history) == 1
    ledger.post(0, "disbursed", 100)
    second = ledger.close_day()
    assert second[0, KINDS.index("disbursed")] == 100
    assert len(ledger.history) == 2
    # balances carry over
    assert accounts(ledger, 0) == (500, 500, 0, 1_000)


# -- servicing posts every movement --------------------------------------------------------

def make_servicer(n_loans: int, term: int, apr: float = 0.3, recovery_rate: float = 0.25,
                  default_dpd: int = 10, writeoff_dpd: int = 20):
    book, ledger = LoanBook(capacity=4), Ledger(2, [10_000_000, 10_000_000])
    principal = np.full(n_loans, 100_000, dtype=np.int64)
    period, n, rate, instalment = schedule(principal, np.full(n_loans, apr),
                                           np.full(n_loans, term))
    lender = np.arange(n_loans) % 2
    book.add(lender=lender, consumer=np.arange(n_loans), principal_cents=principal,
             outstanding_cents=principal, instalment_cents=instalment, rate_per_period=rate,
             period_days=period, n_instalments=n, next_due_day=period.astype(np.int32),
             origination_day=np.zeros(n_loans))
    for i in range(2):
        ledger.post(i, "disbursed", int(principal[lender == i].sum()))
    servicer = Servicer(book, ledger, np.zeros((2, 3), dtype=np.int64), default_dpd,
                        writeoff_dpd, recovery_rate, debit_failure_rate=np.zeros(2),
                        debit_fee_cents=np.zeros(2, dtype=np.int64),
                        retry_days=np.zeros(2, dtype=np.int16))
    return book, ledger, servicer


def run_days(servicer: Servicer, ledger: Ledger, days: int, p_pay: float, p_cure: float = 0.0):
    rng = np.random.default_rng(0)
    totals = dict.fromkeys(KINDS, 0)
    for day in range(days):
        servicer.run(day, rng, lambda rows: np.full(len(rows), p_pay),
                     lambda rows: np.full(len(rows), p_cure))
        flows = ledger.close_day()
        for j, kind in enumerate(KINDS):
            totals[kind] += int(flows[:, j].sum())
    return totals


def test_borrowers_who_always_pay_repay_principal_with_interest():
    book, ledger, servicer = make_servicer(6, term=90)
    totals = run_days(servicer, ledger, 95, p_pay=1.0)
    assert (book.column("status") == CLOSED).all()
    assert (book.column("outstanding_cents") == 0).all()
    assert (book.column("paid_instalments") == 3).all()
    assert totals["principal_repaid"] == 600_000
    assert totals["interest_paid"] > 0
    assert totals["written_off"] == 0
    assert ledger.balance("loans").tolist() == [0, 0]
    assert int(ledger.balance("equity").sum()) == 20_000_000 + totals["interest_paid"]
    assert (ledger.balance("cash") == ledger.balance("equity")).all()


def test_borrowers_who_never_pay_default_then_are_written_off():
    book, ledger, servicer = make_servicer(4, term=30, recovery_rate=0.25, default_dpd=10,
                                           writeoff_dpd=20)
    rng = np.random.default_rng(0)
    never = lambda rows: np.zeros(len(rows))  # noqa: E731
    default_day = writeoff_day = None
    totals = dict.fromkeys(KINDS, 0)
    for day in range(60):
        result = servicer.run(day, rng, never, never)
        if len(result.new_defaults):
            assert default_day is None and len(result.new_defaults) == 4
            default_day = day
        if len(result.written_off):
            assert writeoff_day is None and len(result.written_off) == 4
            writeoff_day = day
        flows = ledger.close_day()
        for j, kind in enumerate(KINDS):
            totals[kind] += int(flows[:, j].sum())
    # a 30-day bullet loan falls due on day 30; 10 and 20 days past due follow
    assert (book.column("overdue_since_day") == 30).all()
    assert default_day == 40
    assert writeoff_day == 50
    assert book.column("defaulted").all()
    assert (book.column("status") == WRITTEN_OFF).all()
    assert (book.column("closed_day") == 50).all()
    assert totals["principal_repaid"] == 0 and totals["interest_paid"] == 0
    assert totals["written_off"] == 400_000
    assert totals["recoveries"] == 100_000
    assert ledger.balance("loans").tolist() == [0, 0]
    assert book.outstanding_by_lender(2).tolist() == [0, 0]
    assert ledger.balance("equity").tolist() == [10_000_000 - 150_000] * 2


def test_delinquent_borrowers_who_cure_pay_what_they_missed():
    book, ledger, servicer = make_servicer(2, term=90, default_dpd=60, writeoff_dpd=120)
    rng = np.random.default_rng(0)
    servicer.run(30, rng, lambda r: np.zeros(len(r)), lambda r: np.zeros(len(r)))
    assert (book.column("missed_instalments") == 1).all()
    servicer.run(31, rng, lambda r: np.zeros(len(r)), lambda r: np.ones(len(r)))
    assert (book.column("overdue_since_day") == -1).all()
    assert (book.column("missed_instalments") == 0).all()
    assert (book.column("paid_instalments") == 1).all()
    assert (book.column("cured") == 1).all()
    assert (book.column("outstanding_cents") < 100_000).all()
    assert ledger.balance("loans").tolist() == book.outstanding_by_lender(2).tolist()


def test_a_cure_ceiling_skips_lookups_but_not_outcomes():
    """With a ceiling of the cure probability, only loans drawn below it are looked up,
    and the cures, defaults, postings and random stream are the same as without it.
    """
    runs = []
    for ceiling in (None, lambda rows: np.full(len(rows), 0.3)):
        book, ledger, servicer = make_servicer(400, term=90, default_dpd=20,
                                               writeoff_dpd=40)
        rng = np.random.default_rng(3)
        looked_up = []

        def cure(rows, looked_up=looked_up):
            looked_up.append(len(rows))
            return 0.3 * (rows % 7) / 6  # a function of the loan, at most the ceiling

        for day in range(80):
            servicer.run(day, rng, lambda r: np.full(len(r), 0.5), cure, ceiling)
        runs.append((book.frame(), ledger.balance("equity"), rng.random(), sum(looked_up)))
    (plain, equity, draw, plain_lookups), (bounded, equity_b, draw_b, bounded_lookups) = runs
    assert (plain["cured"] > 0).any() and plain["defaulted"].any()  # loans cured, defaulted
    pd.testing.assert_frame_equal(plain, bounded)
    assert equity.tolist() == equity_b.tolist() and draw == draw_b
    assert bounded_lookups < 0.5 * plain_lookups


def test_delinquent_loans_are_always_the_scan():
    """The delinquent loans servicing reports (kept, not found by a pass over the book)
    equal the scan of the active loans every day: loans miss, are retried, cure, default,
    are written off and close; a loan with nothing left to pay misses and closes the same
    day; loans close after servicing; before the first run they are found by the scan.
    """
    book, ledger, servicer = make_servicer(300, term=90, default_dpd=15, writeoff_dpd=30)
    n = len(book)
    book.add(lender=np.zeros(3, np.int16), consumer=np.arange(3), principal_cents=np.ones(3),
             outstanding_cents=np.zeros(3), instalment_cents=np.ones(3),
             rate_per_period=np.zeros(3), period_days=np.full(3, 30), n_instalments=np.ones(3),
             next_due_day=np.full(3, 30), origination_day=np.zeros(3))
    servicer.debit_failure_rate[:] = 0.2
    servicer.retry_days[:] = 2

    def scan():  # from the columns (active_rows would drop the ended loans kept)
        active = book.column("status") == 0
        return np.flatnonzero(active & (book.column("overdue_since_day") >= 0)).tolist()

    book.column("overdue_since_day")[[5, 7]] = 0  # set by hand before any run: found
    assert servicer.delinquent_loans().tolist() == scan() == [5, 7]
    book.column("overdue_since_day")[[5, 7]] = -1
    rng = np.random.default_rng(1)
    events = dict.fromkeys(("missed", "cured", "written_off", "retried", "closed"), 0)
    ended_kept = 0  # days on which servicing started from rows kept with ended loans
    for day in range(1, 130):
        ended_kept += bool(book._active is not None and len(book._active.holes))
        result = servicer.run(day, rng, lambda r: np.where(r >= n, 0.0, 0.6),
                              lambda r: np.full(len(r), 0.15))
        for name in events:
            events[name] += len(getattr(result, name))
        assert result.delinquent.tolist() == scan()
        assert servicer.delinquent_loans().tolist() == scan()
        if day == 60:  # delinquent loans taken off the book after servicing
            gone = result.delinquent[:3]
            book.set_status(gone, CLOSED)
            assert len(gone) == 3 and servicer.delinquent_loans().tolist() == scan()
        if day == 30:  # the loans with nothing left to pay missed and closed
            assert set(range(n, n + 3)) <= set(result.missed.tolist())
            assert (book.column("status")[n:] == CLOSED).all()
            assert (book.column("overdue_since_day")[n:] == 30).all()
    assert all(count > 0 for count in events.values()), events
    assert ended_kept > 10
