"""The lenders' information-sharing consortium: each member shares its loans, and a member
that asks learns what the other members know of the applicant (its own loans are its own
fields, ``own_active_loans`` and ``own_past_defaults``).

It exists in a market with more than one lender whose policy opens it, now
(``policy.consortium``) or on a scheduled day (closed until then). Who shares is the
source's own state: the lenders with ``consortium_member`` at the start, every lender
once a data-sharing mandate opens it (:meth:`Consortium.set_open`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simfin.lending.data_sources import DataSource, Fields, LenderView, SourceBuild
from simfin.lending.registry import register_source
from simfin.lending.sources.loans import loans_at

FIELDS = {
    "consortium_loans": "Active loans at the other members of the information-sharing "
                        "consortium (the asking lender's own are own_active_loans).",
    "consortium_defaults": "Loans that defaulted (90+ DPD) at the other members of the "
                           "consortium during the run: the bureau's delinquency record is "
                           "history, this is news.",
    "consortium_past_due": "Loans past due today at the other members of the consortium.",
}


class Consortium(DataSource):
    """The shared source: its answer depends on who asks (:meth:`for_lender`).

    Args:
        build: The source's build (population, price, speed, bit, the day, and the loans
            past due today).
        members: Per lender, whether it shares its records at the start.
        active: Whether it is open at the start.
    """

    def __init__(self, build: SourceBuild, members: np.ndarray, active: bool) -> None:
        self.members = np.array(members, dtype=bool)  # its own: changed by set_open only
        self._population = build.population
        self._day_of = build.day_of
        self._delinquent = build.delinquent
        # (day, ids, by_lender) of the last count: one tuple, replaced whole, so that a
        # query on another thread (row-wise stages run on slices) reads one consistent count
        self._counted: tuple = (None, None, None)
        super().__init__(build.name, np.ones(build.population.n, dtype=bool),
                         self._fields(None), build.section.cost_cents,
                         build.section.latency_minutes, build.declared.miss_values,
                         active=active, bit=build.bit)

    def set_open(self, is_open: bool) -> None:
        """Open or close the consortium (the regulator's data-sharing mandate): opening it
        makes every lender a member; closing it keeps who shared.
        """
        self.active = is_open
        if is_open:
            self.members[:] = True

    def for_lender(self, lender: int) -> LenderView:
        """What ``lender`` learns: the other members' records."""
        return LenderView(self, self._fields(lender))

    def _others(self, lender: int | None) -> np.ndarray:
        out = self.members.copy()
        if lender is not None:
            out[lender] = False
        return out

    def _past_due_today(self) -> tuple[np.ndarray, np.ndarray]:
        # The borrowers with a loan past due today (sorted) and their past-due loans per
        # lender: counted once a day for every member's queries.
        day, ids, by_lender = self._counted
        if day != self._day_of():
            n_lenders = len(self.members)
            borrowers, lenders = self._delinquent()
            ids, inverse = np.unique(borrowers, return_inverse=True)
            by_lender = np.bincount(inverse * n_lenders + lenders,
                                    minlength=len(ids) * n_lenders).reshape(-1, n_lenders)
            self._counted = (self._day_of(), ids, by_lender)
        return ids, by_lender

    def _fields(self, lender: int | None) -> Fields:
        pop = self._population

        def past_due(rows: np.ndarray) -> np.ndarray:
            ids, by_lender = self._past_due_today()
            if len(ids) == 0:
                return np.zeros(len(rows), dtype=np.int16)
            counts = by_lender[:, self._others(lender)].sum(axis=1)
            at = np.minimum(np.searchsorted(ids, rows), len(ids) - 1)
            return np.where(ids.take(at) == rows, counts.take(at), 0)

        read: dict[str, Callable[[np.ndarray], np.ndarray]] = {
            "consortium_loans": lambda rows: loans_at(pop, rows, self._others(lender)),
            "consortium_defaults": lambda rows: loans_at(pop, rows, self._others(lender),
                                                         counts=pop.defaults_at),
            "consortium_past_due": past_due}
        return read


@register_source("consortium", FIELDS)
def consortium(build: SourceBuild) -> Consortium | None:
    """The consortium of a market whose policy opens it (now or on a scheduled day) and
    that has more than one lender; None otherwise.
    """
    market = build.market
    scheduled = any(change.consortium for change in market.policy.schedule)
    if not (market.policy.consortium or scheduled) or len(market.lenders) < 2:
        return None
    members = np.array([lender.consortium_member for lender in market.lenders])
    return Consortium(build, members, active=market.policy.consortium)
