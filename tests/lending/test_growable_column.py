"""GrowableColumn: the one growable array of the package (loan book, active rows, ring graph)."""

import numpy as np
import pytest

from simfin.lending.growable_column import GrowableColumn, doubling, grown, powers_of_two


def test_growth_beyond_capacity_keeps_the_values_and_fills_the_room():
    column = GrowableColumn(np.int16, capacity=4, fill=-1)
    column.array[:4] = [1, 2, 3, 4]
    assert len(column) == 4  # precondition: full
    grown = column.reserve(5)
    assert len(column) == 8 and grown is column.array  # doubled
    assert grown.tolist() == [1, 2, 3, 4, -1, -1, -1, -1]
    assert column.reserve(1_000) is column.array and len(column) == 1_000  # past doubling
    assert column.array[:4].tolist() == [1, 2, 3, 4] and (column.array[4:] == -1).all()


def test_reserve_within_capacity_keeps_the_same_array():
    column = GrowableColumn(np.float64, capacity=16)
    before = column.array
    assert column.reserve(16) is before and column.reserve(0) is before


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.int32, np.int64, np.float32,
                                   np.intp])
def test_the_dtype_is_kept_through_growth_and_keep(dtype):
    column = GrowableColumn(np.arange(3).astype(dtype), fill=None)
    assert column.dtype == dtype
    column.reserve(100, used=3)
    assert column.dtype == dtype and column.array.dtype == dtype
    column.keep(np.array([0, 2]))
    assert column.dtype == dtype


def test_a_view_handed_out_before_growth_is_unchanged_by_it():
    column = GrowableColumn(np.int64, capacity=4)
    column.array[:4] = [10, 20, 30, 40]
    view = column.array[:4]
    column.reserve(9)
    column.array[:9] = 7  # writes after growth go to the new array
    assert view.tolist() == [10, 20, 30, 40]
    assert not np.shares_memory(view, column.array)


def test_a_view_handed_out_before_keep_is_unchanged_by_it():
    column = GrowableColumn(np.array([5, 6, 7, 8]), fill=None)
    view = column.array[:4]
    kept = column.keep(np.array([1, 3]))
    assert kept[:2].tolist() == [6, 8] and view.tolist() == [5, 6, 7, 8]


def test_appending_into_the_room_leaves_an_earlier_view_as_it_was():
    column = GrowableColumn(np.array([1, 2]), room=lambda size, capacity: size + 4)
    assert len(column) == 6  # precondition: the room policy was applied
    view = column.array[:2]
    column.reserve(4, used=2)[2:4] = [3, 4]  # within the room: no new array
    assert view.tolist() == [1, 2] and column.array[:4].tolist() == [1, 2, 3, 4]


def test_used_limits_what_growth_copies():
    column = GrowableColumn(np.int32, capacity=4, fill=0)
    column.array[:] = [1, 2, 3, 4]
    column.reserve(5, used=2)  # only the first two are in use: the rest is room
    assert column.array.tolist() == [1, 2, 0, 0, 0, 0, 0, 0]


def test_the_room_policy_and_the_bytes_held():
    assert doubling(5, 4) == 8 and doubling(100, 4) == 100
    column = GrowableColumn(np.array([1, 2, 3], dtype=np.int64),
                            room=lambda size, capacity: size + max(size // 8, 10))
    assert len(column) == 13 and column.nbytes == 13 * 8


def test_grown_returns_the_array_itself_when_it_is_long_enough_else_a_longer_copy():
    array = np.array([3, -1], dtype=np.int32)
    assert grown(array, 2, fill=-1) is array
    longer = grown(array, 3, fill=-1)
    assert longer.dtype == np.int32 and longer.tolist() == [3, -1, -1, -1]
    assert array.tolist() == [3, -1]  # the old array is untouched


def test_arrays_grown_to_one_another_s_length_settle_under_powers_of_two():
    # the ring graph grows its account arrays to each other's lengths: under doubling
    # each growth to the other's length would double it again, without end
    a, b = np.zeros(0, np.int32), np.zeros(0, bool)
    for size in (5, 17, 17, 17, 40, 40, 40):
        a = grown(a, size, -1, powers_of_two)
        b = grown(b, len(a), False, powers_of_two)
        a = grown(a, len(b), -1, powers_of_two)
    assert len(a) == len(b) == 64
    assert powers_of_two(1, 0) == 16 and powers_of_two(17, 16) == 32
