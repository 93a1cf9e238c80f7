"""Double-entry ledger: every movement of money, per lender, in integer cents.

Three balance-sheet accounts per lender: ``cash``, ``loans`` (outstanding principal) and
``equity``. Each posting kind moves money between two of them, so ``cash + loans == equity``
holds after every posting. Postings are aggregated per (day, lender, kind): loan-level
detail lives in the :class:`~simfin.lending.loan_book.LoanBook`.
"""

from __future__ import annotations

import numpy as np

ACCOUNTS = ("cash", "loans", "equity")
CASH, LOANS, EQUITY = range(3)

# kind -> (debit account, credit account, sign in profit). Assets grow with debits,
# equity with credits.
POSTINGS: dict[str, tuple[int, int, int]] = {
    "disbursed": (LOANS, CASH, 0),
    "principal_repaid": (CASH, LOANS, 0),
    "interest_paid": (CASH, EQUITY, +1),
    "fees_paid": (CASH, EQUITY, +1),
    "recoveries": (CASH, EQUITY, +1),
    "written_off": (EQUITY, LOANS, -1),
    "funding_cost": (EQUITY, CASH, -1),
    "acquisition_cost": (EQUITY, CASH, -1),
    "data_cost": (EQUITY, CASH, -1),
    "verification_cost": (EQUITY, CASH, -1),
    "service_cost": (EQUITY, CASH, -1),
    "collections_cost": (EQUITY, CASH, -1),
    "payment_fees": (EQUITY, CASH, -1),
    "infrastructure_cost": (EQUITY, CASH, -1),
    "review_cost": (EQUITY, CASH, -1),
}
KINDS = tuple(POSTINGS)


class LedgerError(RuntimeError):
    """The books do not balance: a bug in simfin, never a user error."""


class Ledger:
    """Balances and daily flows of every lender.

    Args:
        n_lenders: Number of lenders.
        capital_cents: Each lender's equity (and cash) at day 0.
    """

    def __init__(self, n_lenders: int, capital_cents: list[int]) -> None:
        self.n_lenders = n_lenders
        self.balances = np.zeros((n_lenders, len(ACCOUNTS)), dtype=np.int64)
        self.balances[:, CASH] = capital_cents
        self.balances[:, EQUITY] = capital_cents
        self.today = np.zeros((n_lenders, len(KINDS)), dtype=np.int64)
        self.history: list[np.ndarray] = []  # one (n_lenders, n_kinds) array per closed day
        self._kind_index = {k: i for i, k in enumerate(KINDS)}
        self._debit = np.array([POSTINGS[k][0] for k in KINDS])
        self._credit = np.array([POSTINGS[k][1] for k in KINDS])

    def post(self, lender: int, kind: str, cents: int) -> None:
        """Post one movement of ``cents`` (>= 0) of a kind for a lender."""
        cents = int(cents)
        if cents < 0:
            raise LedgerError(f"posting {kind} of {cents} cents: amounts must be >= 0")
        if cents == 0:
            return
        debit, credit, _ = POSTINGS[kind]
        self.balances[lender, debit] += cents if debit != EQUITY else -cents
        self.balances[lender, credit] += -cents if credit != EQUITY else cents
        self.today[lender, self._kind_index[kind]] += cents

    def post_by_lender(self, kind: str, lenders: np.ndarray, cents: np.ndarray) -> None:
        """Post per-loan amounts, aggregated per lender (one posting per lender)."""
        totals = np.bincount(lenders, weights=cents, minlength=self.n_lenders)
        # bincount sums in float64: exact for totals below 2**53 cents (90 trillion yuan).
        for lender in np.flatnonzero(totals):
            self.post(int(lender), kind, int(round(totals[lender])))

    def close_day(self) -> np.ndarray:
        """Check the books, archive today's flows and start a new day; returns today's flows."""
        self.check()
        flows = self.today
        self.history.append(flows)
        self.today = np.zeros_like(flows)
        return flows

    def check(self) -> None:
        """Raise LedgerError unless assets equal equity for every lender."""
        assets = self.balances[:, CASH] + self.balances[:, LOANS]
        if not np.array_equal(assets, self.balances[:, EQUITY]):
            bad = int(np.flatnonzero(assets != self.balances[:, EQUITY])[0])
            raise LedgerError(f"lender {bad}: cash + loans = {assets[bad]} but equity = "
                              f"{self.balances[bad, EQUITY]}")

    def flow(self, kind: str) -> np.ndarray:
        """Today's flow of one kind, per lender."""
        return self.today[:, self._kind_index[kind]]

    def balance(self, account: str) -> np.ndarray:
        """Current balance of an account, per lender."""
        return self.balances[:, ACCOUNTS.index(account)].copy()
