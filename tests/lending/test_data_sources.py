import numpy as np

from simfin.lending.data_sources import DataSource


def source(members=None, active=False) -> DataSource:
    return DataSource("consortium", np.ones(4, dtype=bool), {}, 0, 0.0, active=active,
                      members=members)


def test_opening_a_shared_source_makes_every_lender_a_member():
    members = np.array([True, False, True])
    shared = source(members)
    assert not shared.active and not members.all()  # precondition: closed, one non-member
    shared.set_open(True)
    assert shared.active and members.all()  # the fields read this very array


def test_closing_stops_queries_and_keeps_who_shared():
    members = np.array([True, True])
    shared = source(members, active=True)
    shared.set_open(False)
    assert not shared.active and members.all()


def test_a_source_nobody_shares_with_opens_without_members():
    plain = source()
    plain.set_open(True)
    assert plain.active and plain.members is None
