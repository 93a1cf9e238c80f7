"""Double-entry ledger: every movement of money, per lender, in integer cents.

Four balance-sheet accounts per lender: ``cash``, ``loans`` (outstanding principal),
``allowance`` (the IFRS 9 allowance for expected credit losses: a contra-asset, its credit
balance kept positive) and ``equity``. Each posting kind moves money between two of them,
so ``cash + loans - allowance == equity`` holds after every posting. Postings are aggregated
per (day, lender, kind): loan-level detail lives in the
:class:`~simfin.lending.loan_book.LoanBook`.

A write-off uses the allowance: the principal written off is debited to the allowance and
the recoveries credited to it, so the allowance bears the net loss; any part of a net loss
the allowance does not hold is charged first (``provision_charge``), so the allowance is
never negative. The provision charge (or release) that moves the allowance to each day's
expected credit loss is posted by :mod:`simfin.lending.provisions`.

In a market with funding partners each lender's accounts hold its own part of every
co-funded loan (:mod:`simfin.lending.co_lending`), with five more kinds
(:data:`CO_LENDING_KINDS`): the sale and purchase of a partner's part at booking, the
originator's service fee, and the purchase of the other party's part by the one that bears
a loss at write-off.
"""

from __future__ import annotations

import numpy as np

ACCOUNTS = ("cash", "loans", "equity", "allowance")
CASH, LOANS, EQUITY, ALLOWANCE = range(4)
# What a debit does to each account's balance: assets grow with debits; equity and the
# allowance (a contra-asset) grow with credits.
_DEBIT_SIGN = np.array([1, 1, -1, -1], dtype=np.int64)

# kind -> (debit account, credit account, sign in profit before provisions).
POSTINGS: dict[str, tuple[int, int, int]] = {
    "disbursed": (LOANS, CASH, 0),
    "principal_repaid": (CASH, LOANS, 0),
    "interest_paid": (CASH, EQUITY, +1),
    "fees_paid": (CASH, EQUITY, +1),
    "recoveries": (CASH, ALLOWANCE, +1),
    "written_off": (ALLOWANCE, LOANS, -1),
    "funding_cost": (EQUITY, CASH, -1),
    "acquisition_cost": (EQUITY, CASH, -1),
    "data_cost": (EQUITY, CASH, -1),
    "verification_cost": (EQUITY, CASH, -1),
    "service_cost": (EQUITY, CASH, -1),
    "collections_cost": (EQUITY, CASH, -1),
    "payment_fees": (EQUITY, CASH, -1),
    "infrastructure_cost": (EQUITY, CASH, -1),
    "review_cost": (EQUITY, CASH, -1),
    "provision_charge": (EQUITY, ALLOWANCE, 0),
    "provision_release": (ALLOWANCE, EQUITY, 0),
}
KINDS = tuple(POSTINGS)
# The kinds of a market with funding partners (simfin.lending.co_lending), kept only in
# its ledger, so that a market without partners records exactly the kinds above.
CO_LENDING_POSTINGS: dict[str, tuple[int, int, int]] = {
    # the originator sells a partner its part of a new loan; the partner buys it
    "partner_funding": (CASH, LOANS, 0),
    "funding_for_others": (LOANS, CASH, 0),
    # the interest on a partner's share above the partner's price, kept by the originator
    "service_fees": (CASH, EQUITY, +1),
    # at write-off the party that bears the loss buys the other party's outstanding part
    # (then writes the whole loan off against its own allowance)
    "guarantee_paid": (LOANS, CASH, 0),
    "guarantee_received": (CASH, LOANS, 0),
}
CO_LENDING_KINDS = tuple(CO_LENDING_POSTINGS)
ALL_POSTINGS = {**POSTINGS, **CO_LENDING_POSTINGS}
# A kind's sign in profit after provisions: what it does to equity.
AFTER_PROVISIONS = {kind: (credit == EQUITY) - (debit == EQUITY)
                    for kind, (debit, credit, _) in ALL_POSTINGS.items()}


class LedgerError(RuntimeError):
    """The books do not balance: a bug in simfin, never a user error."""


class Ledger:
    """Balances and daily flows of every lender.

    Args:
        n_lenders: Number of lenders.
        capital_cents: Each lender's equity (and cash) at day 0.
        co_lending: Keep the kinds of funding partners too (:data:`CO_LENDING_KINDS`,
            after :data:`KINDS` in :attr:`kinds`).
    """

    def __init__(self, n_lenders: int, capital_cents: list[int],
                 co_lending: bool = False) -> None:
        self.n_lenders = n_lenders
        self.kinds = KINDS + (CO_LENDING_KINDS if co_lending else ())
        self.balances = np.zeros((n_lenders, len(ACCOUNTS)), dtype=np.int64)
        self.balances[:, CASH] = capital_cents
        self.balances[:, EQUITY] = capital_cents
        self.today = np.zeros((n_lenders, len(self.kinds)), dtype=np.int64)
        self.history: list[np.ndarray] = []  # one (n_lenders, n_kinds) array per closed day
        self._kind_index = {k: i for i, k in enumerate(self.kinds)}

    def post(self, lender: int, kind: str, cents: int) -> None:
        """Post one movement of ``cents`` (>= 0) of a kind for a lender."""
        cents = int(cents)
        if cents < 0:
            raise LedgerError(f"posting {kind} of {cents} cents: amounts must be >= 0")
        if cents == 0:
            return
        debit, credit, _ = ALL_POSTINGS[kind]
        self.balances[lender, debit] += _DEBIT_SIGN[debit] * cents
        self.balances[lender, credit] -= _DEBIT_SIGN[credit] * cents
        self.today[lender, self._kind_index[kind]] += cents

    def post_by_lender(self, kind: str, lenders: np.ndarray, cents: np.ndarray) -> None:
        """Post per-loan amounts, aggregated per lender (one posting per lender)."""
        totals = np.bincount(lenders, weights=cents, minlength=self.n_lenders)
        # bincount sums in float64: exact for totals below 2**53 cents (90 trillion yuan).
        for lender in np.flatnonzero(totals):
            self.post(int(lender), kind, int(round(totals[lender])))

    def write_off_by_lender(self, lenders: np.ndarray, principal_cents: np.ndarray,
                            recovered_cents: np.ndarray) -> None:
        """Write loans off against the allowance, aggregated per lender: the principal
        (``written_off``) is debited to the allowance and the recoveries credited to it;
        the part of the net loss the allowance does not hold is charged first
        (``provision_charge``).
        """
        written = np.bincount(lenders, weights=principal_cents, minlength=self.n_lenders)
        recovered = np.bincount(lenders, weights=recovered_cents, minlength=self.n_lenders)
        for lender in np.flatnonzero(written):
            w, r = int(round(written[lender])), int(round(recovered[lender]))
            self.post(int(lender), "provision_charge",
                      max(w - r - int(self.balances[lender, ALLOWANCE]), 0))
            self.post(int(lender), "written_off", w)
            self.post(int(lender), "recoveries", r)

    def provide(self, lender: int, allowance_cents: int) -> None:
        """Bring a lender's allowance to ``allowance_cents`` (>= 0): a provision charge
        when it rises, a release when it falls.
        """
        change = int(allowance_cents) - int(self.balances[lender, ALLOWANCE])
        if allowance_cents < 0:
            raise LedgerError(f"an allowance of {allowance_cents} cents: it must be >= 0")
        self.post(lender, "provision_charge" if change > 0 else "provision_release",
                  abs(change))

    def close_day(self) -> np.ndarray:
        """Check the books, archive today's flows and start a new day; returns today's flows."""
        self.check()
        flows = self.today
        self.history.append(flows)
        self.today = np.zeros_like(flows)
        return flows

    def check(self) -> None:
        """Raise LedgerError unless net assets (cash + loans - allowance) equal equity for
        every lender.
        """
        b = self.balances
        assets = b[:, CASH] + b[:, LOANS] - b[:, ALLOWANCE]
        if not np.array_equal(assets, b[:, EQUITY]):
            bad = int(np.flatnonzero(assets != b[:, EQUITY])[0])
            raise LedgerError(f"lender {bad}: cash + loans - allowance = {assets[bad]} but "
                              f"equity = {b[bad, EQUITY]}")

    def flow(self, kind: str) -> np.ndarray:
        """Today's flow of one kind, per lender."""
        return self.today[:, self._kind_index[kind]]

    def balance(self, account: str) -> np.ndarray:
        """Current balance of an account, per lender."""
        return self.balances[:, ACCOUNTS.index(account)].copy()
