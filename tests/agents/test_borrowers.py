"""Each lender's borrower list, kept from day to day, is always exactly the scan's."""

from __future__ import annotations

import numpy as np

from simfin.agents.borrowers import BorrowerLists, _distinct, _merge
from simfin.model import MarketModel
from tests.conftest import small_config


def scan(loans_at: np.ndarray) -> list[np.ndarray]:
    return [np.flatnonzero(loans_at[:, j] > 0) for j in range(loans_at.shape[1])]


def assert_same(lists: list[np.ndarray], loans_at: np.ndarray) -> None:
    for kept, scanned in zip(lists, scan(loans_at), strict=True):
        np.testing.assert_array_equal(kept, scanned)


def test_lists_follow_reported_changes_and_survive_direct_writes():
    rng = np.random.default_rng(0)
    loans_at = (rng.random((5_000, 3)) < 0.1).astype(np.int8)
    lists = BorrowerLists()
    first = lists.current(loans_at)
    assert_same(first, loans_at)
    for _ in range(20):  # loans open and close, reported as the population does
        rows = rng.choice(5_000, 200, replace=False)
        lenders = rng.integers(0, 3, 200)
        np.add.at(loans_at, (rows, lenders), np.where(loans_at[rows, lenders] > 0, -1, 1)
                  .astype(np.int8))
        lists.changed(rows, 5_000)
        kept = lists.current(loans_at)
        assert_same(kept, loans_at)
    assert lists.scans == 1  # updated with the changes, never scanned again
    # a counter written directly (no report) is caught by the check and the lists rebuilt
    loans_at[np.flatnonzero(loans_at[:, 1] > 0)[:5], 1] = 0
    loans_at[np.flatnonzero(loans_at[:, 2] == 0)[:3], 2] = 1
    assert_same(lists.current(loans_at), loans_at)
    assert lists.scans == 2


def test_the_market_serves_from_lists_equal_to_the_scan():
    model = MarketModel(small_config(**{"population.n_consumers": 1_500}))
    pop = model.population
    for _ in range(40):
        model.step()
        assert_same(pop.borrowers_by_lender(), pop.loans_at)
    assert sum(len(b) for b in pop.borrowers_by_lender()) > 50  # loans are active
    assert pop._borrowers.scans < 5  # kept from day to day
    pop.loans_at[:] = 0  # a user clears every loan counter: nobody is served
    assert all(len(b) == 0 for b in pop.borrowers_by_lender())


def test_merge_is_the_set_update():
    """A list after the changes: the rows without the changed consumers, plus those of them
    still borrowing; on random lists (empty ones too), consumers leaving, joining, staying.
    """
    rng = np.random.default_rng(3)
    for _ in range(300):
        size = int(rng.integers(1, 60))
        rows = np.flatnonzero(rng.random(size) < rng.random())
        reported = rng.integers(0, size, int(rng.integers(0, 20)))  # repeats, any order
        changed = _distinct(reported)
        borrowing = rng.random(len(changed)) < 0.5
        expected = sorted((set(rows.tolist()) - set(changed.tolist()))
                          | set(changed[borrowing].tolist()))
        assert _merge(rows, changed, borrowing).tolist() == expected
        assert changed.tolist() == np.unique(reported).tolist()
