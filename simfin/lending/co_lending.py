"""Funding partners: each party's part of a co-funded loan, exactly, in integer cents.

A lender (the originator) decides, books, services and collects its loans; a funding
partner (another lender, ``lenders.N.funding.partners``) may fund a share of each
(co-lending, 联合贷款; facilitation, 助贷, when it funds all the originator may let go).
:class:`CoLending` owns the split: which partner funds a new loan and in what share (the
loan book's ``funder``, -1 for none, and ``funder_share``, in basis points), and each
party's part of every amount the loan moves, posted to each party's own books.

**Exact parts.** A partner's part of a stock (the principal at booking, the balance
outstanding) is ``cents * funder_share // 10_000``; its part of a repayment of principal
is its part of the balance before less its part after, so its parts of the repayments add
up to its part of the principal, and its part is nil once the loan is paid off. Its parts
of interest, fees and recoveries are the same floor of each amount; the originator's part
is always the total less the partner's, so the parts add to the whole, cent for cent.

**Price.** A partner with a ``funding_apr`` keeps ``floor(part x min(funding_apr / r, 1))``
of its part of the interest (r the loan's yearly rate: interest on an annuity is the
balance times the rate, so this is its share earning ``funding_apr``); the rest of its part
is the originator's service fee (ledger kind ``service_fees``), and the fees stay with the
originator. Without a price (pure co-lending) the partner keeps its part of the interest
and of the fees.

**Credit loss.** ``pro_rata``: each party writes its own part off against its own
allowance and gets its part of the recoveries. ``guarantee``: the originator buys the
partner's outstanding part at write-off (``guarantee_paid``; the partner's
``guarantee_received``, which repays its part), writes the whole loan off and keeps every
recovery. ``partner``: the same with the roles swapped (the partner bears the whole loan).
The party that bears a loss holds the exposure (:meth:`CoLending.exposure`,
:meth:`CoLending.bearers`): its provisions and its capital ratio count it.

Costs of acquisition, data, decisions, service and collections stay with the originator;
each party pays its own cost of funds on the loans on its own books (the ledger's
``loans`` balance).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from simfin.config.funding import CREDIT_RISKS
from simfin.lending.ledger import Ledger
from simfin.lending.loan_book import LoanBook

BASIS = 10_000
"""``funder_share`` is in basis points of the principal."""
GUARANTEE, PARTNER, PRO_RATA = (CREDIT_RISKS.index(k) for k in ("guarantee", "partner",
                                                                 "pro_rata"))
FUNDER_COLUMNS: dict[str, type] = {"funder": np.int16, "funder_share": np.int16}
"""The loan book's columns of a market with funding partners."""


@dataclass(frozen=True)
class Partner:
    """One funding partner of an originator (``lenders.N.funding.partners`` entry)."""

    funder: int
    share_bp: int
    funding_apr: float | None
    credit_risk: int
    max_outstanding_cents: int | None


def has_partners(config: Any) -> bool:
    """Whether any lender of a market config (read by attribute) has a funding partner."""
    return any(lc.funding.partners for lc in config.lenders)


def post_origination(ledger: Ledger, co_lending: CoLending | None, lender: int,
                     rows: np.ndarray, principal: np.ndarray, fees: np.ndarray) -> None:
    """Post a lender's new loans (book ``rows``, their ``principal`` and origination
    ``fees``): to its own books alone, or each party its part (:meth:`CoLending.originate`).
    """
    if co_lending is not None:
        co_lending.originate(lender, rows, fees)
        return
    ledger.post(lender, "disbursed", int(principal.sum()))
    ledger.post(lender, "fees_paid", int(fees.sum()))


class CoLending:
    """The split of every co-funded loan between its originator and its funding partner.

    Args:
        book: The market's loan book (with :data:`FUNDER_COLUMNS`).
        ledger: The market's ledger (with the co-lending kinds).
        partners: Per lender (the originator), its partners in order of preference.

    Attributes:
        held: (n, n) cents: ``held[o, f]`` the principal outstanding of o's loans that
            partner f holds.
        own: (n, n) cents: ``own[o, f]`` o's own part outstanding of its loans co-funded by f.
        open: (n,) whether each lender funds new loans today (in the market, not stopped).
        max_share_bp: The largest partner share in force (1 - ``min_own_share``).
    """

    def __init__(self, book: LoanBook, ledger: Ledger, partners: list[list[Partner]]) -> None:
        n = ledger.n_lenders
        self.book, self.ledger, self.partners = book, ledger, partners
        self.price = np.full((n, n), np.nan)  # funding_apr per (originator, funder)
        self.risk = np.full((n, n), PRO_RATA, dtype=np.int8)
        for o, entries in enumerate(partners):
            for p in entries:
                self.price[o, p.funder] = np.nan if p.funding_apr is None else p.funding_apr
                self.risk[o, p.funder] = p.credit_risk
        self.held_ = np.zeros((n, n), dtype=np.int64)
        self.own_ = np.zeros((n, n), dtype=np.int64)
        self.open = np.ones(n, dtype=bool)
        self.max_share_bp = BASIS

    @classmethod
    def for_market(cls, config: Any, book: LoanBook, ledger: Ledger) -> CoLending | None:
        """The co-lending of a market config (read by attribute); None without partners."""
        if not has_partners(config):
            return None
        names = [lc.name for lc in config.lenders]
        partners = [[Partner(names.index(p.lender), int(round(p.share * BASIS)),
                             p.funding_apr, CREDIT_RISKS.index(p.credit_risk),
                             p.max_outstanding_cents) for p in lc.funding.partners]
                    for lc in config.lenders]
        return cls(book, ledger, partners)

    def set_policy(self, min_own_share: float | None, open_today: np.ndarray | None) -> None:
        """The regulator's minimum own share in force and the lenders funding today."""
        own = 0 if min_own_share is None else int(round(min_own_share * BASIS))
        self.max_share_bp = BASIS - own
        self.open = np.ones_like(self.open) if open_today is None else open_today.copy()

    # -- booking -----------------------------------------------------------------------

    def assign(self, originator: int, principal: np.ndarray) -> dict[str, np.ndarray]:
        """Who co-funds each new loan of ``originator`` and in what share: each loan, in
        order, goes to the first partner that is open and has room for its part (its
        share clipped to the maximum in force); the rest are the originator's alone.

        Returns:
            The loan book's ``funder`` (-1: none) and ``funder_share`` (basis points).
        """
        n = len(principal)
        funder = np.full(n, -1, dtype=np.int16)
        share = np.zeros(n, dtype=np.int16)
        left = np.arange(n)
        for p in self.partners[originator]:
            bp = min(p.share_bp, self.max_share_bp)
            if not len(left) or bp <= 0 or not self.open[p.funder]:
                continue
            take = np.ones(len(left), dtype=bool)
            if p.max_outstanding_cents is not None:
                parts = principal.take(left).astype(np.int64) * bp // BASIS
                room = p.max_outstanding_cents - int(self.held_[originator, p.funder])
                take = np.cumsum(parts) <= room
            chosen = left[take]
            funder[chosen], share[chosen] = p.funder, bp
            left = left[~take]
        return {"funder": funder, "funder_share": share}

    def originate(self, originator: int, rows: np.ndarray, fees: np.ndarray) -> None:
        """Post new loans (book ``rows`` of ``originator``) and their fees: the originator
        disburses each whole, then sells each partner its part (``partner_funding``; the
        partner's ``funding_for_others``); the fees are split (:meth:`_fee_parts`).
        """
        principal = self.book.column("principal_cents").take(rows)
        funder, part = self._parts(rows, principal)
        lenders = np.full(len(rows), originator, dtype=np.int64)
        self.ledger.post(originator, "disbursed", int(principal.sum()))
        co = funder >= 0
        self._move(lenders[co], funder[co], part[co], principal[co] - part[co])
        self.ledger.post_by_lender("partner_funding", lenders[co], part[co])
        self.ledger.post_by_lender("funding_for_others", funder[co], part[co])
        self._post_split("fees_paid", lenders, funder, fees, self._fee_parts(rows, fees))

    # -- servicing ---------------------------------------------------------------------

    def repay(self, rows: np.ndarray, before: np.ndarray, after: np.ndarray,
              interest: np.ndarray, fees: np.ndarray) -> None:
        """Post what the borrowers of ``rows`` paid: principal (balance ``before`` less
        ``after``), interest and late fees, each party its part.
        """
        lenders = self.book.column("lender").take(rows).astype(np.int64)
        funder, part_before = self._parts(rows, before)
        part_after = self._parts(rows, after)[1]
        partner_principal = part_before - part_after
        principal = before - after
        co = funder >= 0
        self._move(lenders[co], funder[co], -partner_principal[co],
                   -(principal - partner_principal)[co])
        self._post_split("principal_repaid", lenders, funder, principal, partner_principal)
        share = self._parts(rows, interest)[1]
        kept = self._kept_interest(rows, lenders, funder, share)
        self._post_split("interest_paid", lenders, funder, interest - share + kept, kept)
        self.ledger.post_by_lender("service_fees", lenders[co], (share - kept)[co])
        self._post_split("fees_paid", lenders, funder, fees, self._fee_parts(rows, fees))

    def write_off(self, rows: np.ndarray, principal: np.ndarray,
                  recovered: np.ndarray) -> None:
        """Write loans off: the party that bears each loss buys the other's outstanding
        part (``guarantee_paid``/``guarantee_received``), then every bearer writes off its
        exposure against its allowance and gets its recoveries
        (:meth:`Ledger.write_off_by_lender`).
        """
        lenders = self.book.column("lender").take(rows).astype(np.int64)
        funder, part = self._parts(rows, principal)
        co = funder >= 0
        self._move(lenders[co], funder[co], -part[co], -(principal - part)[co])
        risk = self._risk(lenders, funder)
        guarantee, partner = co & (risk == GUARANTEE), co & (risk == PARTNER)
        self.ledger.post_by_lender("guarantee_paid", lenders[guarantee], part[guarantee])
        self.ledger.post_by_lender("guarantee_received", funder[guarantee], part[guarantee])
        own = principal - part
        self.ledger.post_by_lender("guarantee_paid", funder[partner], own[partner])
        self.ledger.post_by_lender("guarantee_received", lenders[partner], own[partner])
        at, parties, cents = self.bearers(rows, principal)
        rec = self._parts(rows, recovered)[1]
        shared = co & (risk == PRO_RATA)
        # recoveries: a pro-rata party its part, a bearer of the whole loan all of it
        got = np.where(shared, recovered - rec, recovered).take(at)
        partner_row = (parties != lenders.take(at)) & shared.take(at)
        got[partner_row] = rec.take(at[partner_row])
        self.ledger.write_off_by_lender(parties, cents, got)

    # -- who holds and who bears -------------------------------------------------------

    def holdings(self, rows: np.ndarray, cents: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each party's part of ``rows``' balances (``cents``: their outstanding when not
        given): row positions, parties and cents, a co-funded row twice.
        """
        return self._split_rows(rows, cents, bearers=False)

    def bearers(self, rows: np.ndarray, cents: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Like :meth:`holdings`, by the party that bears each part's credit loss (a
        guaranteed part is its guarantor's).
        """
        return self._split_rows(rows, cents, bearers=True)

    def exposure(self) -> np.ndarray:
        """Per lender, the principal outstanding whose credit loss it bears: the loans on
        its books, plus the parts it guarantees, less its parts guaranteed by others.
        """
        exposure = self.ledger.balance("loans")
        guaranteed = np.where(self.risk == GUARANTEE, self.held_, 0)  # bear[o] of held[o, f]
        covered = np.where(self.risk == PARTNER, self.own_, 0)  # bear[f] of own[o, f]
        return (exposure + guaranteed.sum(axis=1) - guaranteed.sum(axis=0)
                + covered.sum(axis=0) - covered.sum(axis=1))

    # -- the arithmetic ----------------------------------------------------------------

    def _parts(self, rows: np.ndarray, cents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each row's funder (-1: none) and the funder's part of ``cents`` (0: none)."""
        funder = self.book.column("funder").take(rows).astype(np.int64)
        share = np.where(funder >= 0, self.book.column("funder_share").take(rows), 0)
        return funder, np.asarray(cents, dtype=np.int64) * share // BASIS

    def _risk(self, lenders: np.ndarray, funder: np.ndarray) -> np.ndarray:
        return np.where(funder >= 0, self.risk[lenders, np.maximum(funder, 0)], PRO_RATA)

    def _fee_parts(self, rows: np.ndarray, fees: np.ndarray) -> np.ndarray:
        """The funder's part of fees: its share without a price, none with one."""
        lenders = self.book.column("lender").take(rows).astype(np.int64)
        funder, part = self._parts(rows, fees)
        priced = ~np.isnan(self.price[lenders, np.maximum(funder, 0)])
        return np.where(priced, 0, part)

    def _kept_interest(self, rows: np.ndarray, lenders: np.ndarray, funder: np.ndarray,
                       share: np.ndarray) -> np.ndarray:
        """What each funder keeps of its part ``share`` of the interest at its price."""
        price = self.price[lenders, np.maximum(funder, 0)]
        b = self.book
        rate = b.column("rate_per_period").take(rows) * 365.0 / b.column("period_days").take(
            rows)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(np.isnan(price) | (rate <= 0), 1.0,
                             np.minimum(price / rate, 1.0))
        return np.floor(share * ratio).astype(np.int64)

    def _post_split(self, kind: str, lenders: np.ndarray, funder: np.ndarray,
                    total: np.ndarray, part: np.ndarray) -> None:
        """Post ``total`` of each row: ``part`` to its funder, the rest to its originator."""
        co = funder >= 0
        self.ledger.post_by_lender(kind, np.concatenate([lenders, funder[co]]),
                                   np.concatenate([total - part, part[co]]))

    def _move(self, lenders: np.ndarray, funder: np.ndarray, partner_cents: np.ndarray,
              own_cents: np.ndarray) -> None:
        """Add to :attr:`held` and :attr:`own` (negative: parts repaid or written off)."""
        np.add.at(self.held_, (lenders, funder), partner_cents)
        np.add.at(self.own_, (lenders, funder), own_cents)

    def _split_rows(self, rows: np.ndarray, cents: np.ndarray | None, bearers: bool
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if cents is None:
            cents = self.book.column("outstanding_cents").take(rows)
        lenders = self.book.column("lender").take(rows).astype(np.int64)
        funder, part = self._parts(rows, cents)
        first = lenders.copy()  # who holds (or bears) the originator's part
        first_cents = np.asarray(cents, dtype=np.int64) - part
        second = np.flatnonzero(funder >= 0)  # rows whose funder holds (or bears) a part
        if bearers:
            risk = self._risk(lenders, funder)
            whole = risk != PRO_RATA
            first = np.where(risk == PARTNER, funder, first)
            first_cents = np.where(whole, cents, first_cents)
            second = second[~whole.take(second)]
        at = np.concatenate([np.arange(len(rows)), second])
        parties = np.concatenate([first, funder.take(second)])
        return at, parties, np.concatenate([first_cents, part.take(second)])

    def record(self, flows: np.ndarray) -> list[dict[str, int]]:
        """Per lender, ``summary.json``'s co-lending totals from the run's summed ledger
        flows (``flows``: (n_lenders, kinds) in the ledger's kind order).
        """
        kinds = list(self.ledger.kinds)
        keys = {"funded_for_others": "funding_for_others",
                "funded_by_partners": "partner_funding", "service_fees_earned":
                "service_fees", "guarantee_paid": "guarantee_paid",
                "guarantee_received": "guarantee_received"}
        return [{key: int(flows[i, kinds.index(kind)]) for key, kind in keys.items()}
                for i in range(self.ledger.n_lenders)]
