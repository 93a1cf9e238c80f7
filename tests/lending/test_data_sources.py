"""A data source answers lookups for a batch's rows; the consortium's membership is its own
state, changed by the regulator through its method only."""

from types import SimpleNamespace

import numpy as np

from simfin.lending.data_sources import DataSource, SourceBuild
from simfin.lending.sources.consortium import Consortium


def consortium(members, active=False, n=4) -> Consortium:
    """The consortium of a market of ``len(members)`` lenders and ``n`` consumers, where
    consumer ``i`` has ``i`` loans at every lender."""
    lenders = len(members)
    loans = np.repeat(np.arange(n, dtype=np.int16)[:, None], lenders, axis=1)
    population = SimpleNamespace(n=n, loans_at=loans, defaults_at=np.zeros_like(loans))
    section = SimpleNamespace(cost_cents=250, latency_minutes=3.0)
    build = SourceBuild("consortium", None, population, section, np.random.default_rng(0),
                        lambda: 0, lambda: (np.zeros(0, np.int32), np.zeros(0, np.int16)),
                        bit=3)
    return Consortium(build, np.array(members), active=active)


def test_opening_the_consortium_makes_every_lender_a_member():
    members = np.array([True, False, True])
    shared = consortium(members)
    assert not shared.active and not shared.members.all()  # precondition: one non-member
    rows = np.array([0, 1, 2])
    assert shared.for_lender(0).lookup(rows)["consortium_loans"].tolist() == [0, 1, 2]
    shared.set_open(True)
    assert shared.active and shared.members.all()
    # the fields read the source's own membership: lender 1's loans now count
    assert shared.for_lender(0).lookup(rows)["consortium_loans"].tolist() == [0, 2, 4]
    assert members.tolist() == [True, False, True]  # the caller's array is not its state


def test_closing_stops_queries_and_keeps_who_shared():
    shared = consortium([True, True], active=True)
    shared.set_open(False)
    assert not shared.active and shared.members.all()


def test_a_plain_source_opens_and_closes():
    plain = DataSource("bureau", np.ones(4, dtype=bool), {}, 0, 0.0, active=False)
    plain.set_open(True)
    assert plain.active and plain.for_lender(1) is plain


def test_a_lenders_view_is_the_source_but_for_its_fields():
    shared = consortium([True, True])
    view = shared.for_lender(1)
    assert (view.name, view.cost_cents, view.latency_minutes, view.bit) == (
        "consortium", 250, 3.0, 3)
    assert view.covered is shared.covered
    assert not view.active
    shared.set_open(True)
    assert view.active  # the regulator opens the source for every lender's view
    rows = np.array([0, 1, 3])
    assert view.lookup(rows)["consortium_loans"].tolist() == [0, 1, 3]  # lender 0's
    assert shared.lookup(rows)["consortium_loans"].tolist() == [0, 2, 6]  # everyone's
