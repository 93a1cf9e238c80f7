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


def test_a_lenders_view_is_the_source_but_for_its_fields():
    covered = np.array([True, False, True, True])
    shared = DataSource("consortium", covered, {"x": lambda rows: np.ones(len(rows))}, 250,
                        3.0, miss_values={"y": 0.0}, active=False,
                        per_lender=lambda lender: {"y": lambda rows: rows + 10.0 * lender},
                        members=np.array([True, True]))
    view = shared.for_lender(1)
    assert (view.name, view.cost_cents, view.latency_minutes) == ("consortium", 250, 3.0)
    assert view.covered is covered and view.miss_values == {"y": 0.0}
    assert not view.active
    shared.set_open(True)
    assert view.active  # the regulator opens the source for every lender's view
    rows = np.array([0, 1, 2])
    assert view.lookup(rows)["y"].tolist() == [10.0, 0.0, 12.0]  # its own field; a miss
    assert set(view.lookup(rows)) == {"y"} and set(shared.lookup(rows)) == {"x"}
