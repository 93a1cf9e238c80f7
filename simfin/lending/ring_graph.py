"""The ring graph: a lender's own graph of applicants linked by shared devices and contacts.

Fraud rings run many identities on a few devices and contact numbers; families share them
too. A lender sees the device fingerprint and the contact number of every application, so
it can link accounts that share one, and ask of each applicant: how many accounts am I
linked to, and how many of them did this lender already decline as fraud or see default?
(``ring_exposure``). Rules and models then read these like any other data field.

The graph is a ``networkx.Graph`` whose nodes are accounts (consumer ids) and the shared
identifiers, ``("device", id)`` or ``("contact", id)``. Only identifiers used by two or more
accounts enter it (the lender keeps the first account of every identifier in an array), so
it holds rings and families, not the whole population; connected components are recomputed
with networkx when it grows, and every per-applicant value is a vectorised lookup.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from simfin.lending.batch import DECLINED, ApplicationBatch
from simfin.lending.growable_column import grown, powers_of_two
from simfin.lending.pipeline import DecisionContext, Stage

RING_REASON = "RING"


class RingGraphStage(Stage):
    """Pipeline stage: link the pending applicants into the lender's graph and add the
    fields ``linked_accounts`` and ``ring_exposure``.

    Args:
        bad_reasons: Reason codes (indices) whose declines mark an account as bad, e.g. the
            codes of ID mismatch, device bursts, biometric failures.

    After the lender's decisions, :meth:`observe_decisions` marks the accounts declined for
    those reasons, and applicants with a past default at the lender, as bad.

    Attributes:
        graph_: The ``networkx.Graph`` of linked accounts and shared identifiers.
        first_account_: Per identifier kind (``"device"``, ``"contact"``): the first
            account seen with each identifier, by id (-1: not seen). Like ``component_``
            and ``bad_``, grown with room (:func:`~simfin.lending.growable_column.grown`, to
            powers of two: they grow to one another's lengths) to the largest id seen;
            the room holds the "none" value.
        component_: Per account: the label of its connected component, or -1 (not linked).
        bad_: Per account: whether the lender has marked it bad.
        component_size_: Accounts per component.
        component_bads_: Bad accounts per component.
    """

    row_wise = False  # an applicant's links depend on the other rows

    def __init__(self, bad_reasons: list[int]) -> None:
        self.bad_reasons = np.asarray(bad_reasons, dtype=np.int16)
        self.graph_ = nx.Graph()
        self.first_account_ = {"device": np.full(0, -1, np.int64),
                               "contact": np.full(0, -1, np.int64)}
        self.component_ = np.full(0, -1, np.int32)
        self.bad_ = np.zeros(0, dtype=bool)
        self.component_size_ = np.zeros(0, dtype=np.int64)
        self.component_bads_ = np.zeros(0, dtype=np.int64)

    # -- the graph ---------------------------------------------------------------------

    def _link(self, kind: str, accounts: np.ndarray, ids: np.ndarray) -> bool:
        """Remember each identifier's first account; add an edge for every other account
        using it. Returns whether the graph grew.
        """
        first = self.first_account_[kind] = grown(self.first_account_[kind],
                                                  int(ids.max()) + 1, -1, powers_of_two)
        unseen = first[ids] < 0
        if unseen.any():
            new_ids, at = np.unique(ids[unseen], return_index=True)
            first[new_ids] = accounts[unseen][at]
        owner = first[ids]
        shared = np.flatnonzero(owner != accounts)
        if len(shared) == 0:
            return False
        pairs = np.unique(np.stack([np.concatenate([accounts[shared], owner[shared]]),
                                    np.tile(ids[shared], 2)], axis=1), axis=0)
        # Only the links not in the graph yet, in the same order (adding an existing edge
        # changes nothing): networkx counts edges by a pass over every node, so "did the
        # graph grow" is whether any link is new, not a count before and after.
        graph = self.graph_
        new = [(a, node) for a, node in ((int(a), (kind, int(i))) for a, i in pairs)
               if not graph.has_edge(a, node)]
        graph.add_edges_from(new)
        return bool(new)

    def _relabel(self, n_accounts: int) -> None:
        """Component of every linked account (networkx), and the counts per component."""
        accounts, labels = [], []
        for label, nodes in enumerate(nx.connected_components(self.graph_)):
            members = [node for node in nodes if not isinstance(node, tuple)]
            accounts.extend(members)
            labels.extend([label] * len(members))
        self.component_ = np.full(max(n_accounts, len(self.component_)), -1, np.int32)
        self.component_[np.asarray(accounts, dtype=np.int64)] = labels
        self._count()

    def _count(self) -> None:
        linked = np.flatnonzero(self.component_ >= 0)
        labels = self.component_[linked]
        self.component_size_ = np.bincount(labels)
        self.bad_ = grown(self.bad_, len(self.component_), False, powers_of_two)
        self.component_bads_ = np.bincount(labels, weights=self.bad_[linked],
                                           minlength=len(self.component_size_)
                                           ).astype(np.int64)

    # -- the stage ---------------------------------------------------------------------

    def run(self, batch: ApplicationBatch, ctx: DecisionContext | None = None
            ) -> ApplicationBatch:
        """Link the pending rows; fill ``linked_accounts`` and ``ring_exposure``."""
        rows = np.flatnonzero(batch.pending)
        linked = np.full(batch.n, np.nan, dtype=np.float32)
        exposure = np.full(batch.n, np.nan, dtype=np.float32)
        if len(rows):
            accounts = batch["consumer"][rows].astype(np.int64)
            grew = self._link("device", accounts, batch["device_id"][rows].astype(np.int64))
            grew |= self._link("contact", accounts,
                               batch["contact_id"][rows].astype(np.int64))
            n_accounts = int(accounts.max()) + 1
            if grew:
                self._relabel(n_accounts)
            self.component_ = grown(self.component_, n_accounts, -1, powers_of_two)
            self.bad_ = grown(self.bad_, len(self.component_), False, powers_of_two)
            label = self.component_[accounts]
            inside = label >= 0
            at = np.maximum(label, 0)
            size, bads = self.component_size_, self.component_bads_
            linked[rows] = np.where(inside, size[at] - 1 if len(size) else 0, 0)
            exposure[rows] = np.where(inside, (bads[at] if len(bads) else 0)
                                      - self.bad_[accounts], 0)
        batch["linked_accounts"] = linked
        batch["ring_exposure"] = exposure
        return batch

    def observe_decisions(self, batch: ApplicationBatch) -> None:
        """Mark the accounts the lender declined for a fraud reason, or that defaulted with
        it, as bad: their linked accounts now show the exposure.
        """
        bad = (batch["decision"] == DECLINED) & np.isin(batch["reason"], self.bad_reasons)
        bad |= batch["own_past_defaults"] > 0
        accounts = batch["consumer"][bad].astype(np.int64)
        if len(accounts) == 0:
            return
        self.bad_ = grown(self.bad_, int(accounts.max()) + 1, False, powers_of_two)
        fresh = accounts[~self.bad_[accounts]]
        if len(fresh):
            self.bad_[fresh] = True
            self.component_ = grown(self.component_, len(self.bad_), -1, powers_of_two)
            if (self.component_[fresh] >= 0).any():
                self._count()
