"""The comparer's finer rules, each pinned by a case a plausible bug would change (found by bench/mutation.sh)."""
import numpy as np
import pytest
import torch

from autograde.compare import CONTRACT_SHARE, compare, credit
from autograde.values import FULL_DATA_LIMIT, encode, sample_positions

N = FULL_DATA_LIMIT + 5_000


def cr(kind, got, want, **spec):
    return credit({"kind": kind, **spec}, encode(got), encode(want))


def test_a_passing_comparison_has_no_message():
    big = torch.linspace(0, 1, N)
    for kind, got, want in [("close", 1.0, 1.0), ("equal", 3, 3), ("equal", np.array([1, 2]), np.array([1, 2])),
                            ("shape", (2, 3), (2, 3)), ("true", True, None)]:
        assert compare(kind, got, want) == (True, ""), (kind, got, want)
    from autograde.values import decode
    assert compare("close", decode(encode(big)), decode(encode(big))) == (True, "")
    assert compare("equal", decode(encode(big)), decode(encode(big))) == (True, "")


def test_exact_comparison_of_arrays_and_lists_names_the_count_that_differs():
    assert compare("equal", [1, 3], np.array([1, 2])) == (False, "1 of 2 values differ")
    assert compare("equal", np.array([1, 3]), [1, 2]) == (False, "1 of 2 values differ")
    assert compare("equal", np.array([[1, 2], [3, 4]]), np.array([[0, 2], [3, 0]])) == (False, "2 of 4 values differ")


def test_tuples_holding_arrays_compare_element_wise_and_exactly():
    assert cr("equal", (torch.tensor([1, 2]), 3), (torch.tensor([1, 2]), 3)) == (1.0, "")
    assert cr("equal", ([1, 2], 3), (torch.tensor([1, 2]), 3)) == (1.0, "")
    assert cr("equal", (torch.tensor([1, 3]), 3), (torch.tensor([1, 2]), 3))[0] == 0.0
    assert cr("equal", ([[1], [1, 2]], 3), (torch.tensor([[1, 2], [3, 4]]), 3))[0] == 0.0   # ragged: never equal


def test_unreadable_objects_inside_a_tuple_never_match_even_their_own_kind():
    thing = object()
    assert cr("equal", (1, thing), (1, thing))[0] == 0.0
    assert compare("equal", (1, {"t": "other", "type": "object"}), (1, {"t": "other", "type": "object"}))[0] is False


def test_equal_is_exact_where_close_would_forgive():
    assert cr("equal", [[1.00001, 2.0]], [1.0, 2.0])[0] == 0.0          # not even half: the values are not equal
    assert cr("close", [[1.00001, 2.0]], [1.0, 2.0])[0] == CONTRACT_SHARE
    big = np.arange(N, dtype=np.float64)
    assert cr("equal", big + 1e-6, big)[0] == 0.0
    assert cr("close", big + 1e-6, big)[0] == 1.0


def test_a_sample_that_differs_fails_even_when_the_sums_agree():
    want = np.linspace(0, 1, N)
    i, j = sample_positions(N)[[10, 20]]
    swapped = want.copy()
    swapped[[i, j]] = swapped[[j, i]]                                    # same sum, two sampled values moved
    assert cr("close", swapped, want)[0] == 0.0 and cr("equal", swapped, want)[0] == 0.0


def test_sampled_values_use_the_given_tolerances_only():
    want = np.full(N, 1000.0)
    wiggle = want + np.where(np.arange(N) % 2 == 0, 5e-3, -5e-3)        # sums agree; values off by 5e-3
    assert cr("close", wiggle, want, atol=1e-4, rtol=0)[0] == 0.0        # numpy's default rtol would forgive it
    assert cr("close", wiggle, want, atol=1e-2, rtol=0)[0] == 1.0
    assert cr("close", wiggle, want, atol=0, rtol=1e-6)[0] == 0.0
    assert cr("close", wiggle, want, atol=0, rtol=1e-4)[0] == 1.0


def test_the_sum_allowance_is_inclusive():
    want = np.zeros(N)
    got = want.copy()
    got[int(np.setdiff1d(np.arange(N), sample_positions(N))[0])] = 0.5 * N    # exactly atol * count
    assert cr("close", got, want, atol=0.5, rtol=0)[0] == 1.0
    got[int(np.setdiff1d(np.arange(N), sample_positions(N))[1])] = 1.0
    assert cr("close", got, want, atol=0.5, rtol=0)[0] == 0.0


def test_half_credit_keeps_each_given_tolerance_and_the_defaults():
    column = torch.ones(2, 1)
    assert cr("close", column * 1.4, torch.ones(2), atol=0.5, rtol=0)[0] == CONTRACT_SHARE
    assert cr("close", column * 1.4, torch.ones(2), atol=0, rtol=0.5)[0] == CONTRACT_SHARE
    assert cr("close", column * 1.6, torch.ones(2), atol=0, rtol=0.5)[0] == 0.0
    assert credit({"kind": "close"}, encode(column * 1.00015), encode(torch.ones(2)))[0] == CONTRACT_SHARE
    assert credit({"kind": "close"}, encode(column * 1.5), encode(torch.ones(2)))[0] == 0.0
    assert credit({"kind": "close"}, encode(column * 1.0003), encode(torch.ones(2)))[0] == 0.0


def test_a_value_without_a_library_tag_is_an_array_for_any_array_contract():
    untagged = {"t": "array", "dtype": "float32", "shape": [2], "data": [1.0, 2.0]}
    assert credit({"kind": "close"}, untagged, encode(torch.tensor([1.0, 2.0]))) == (1.0, "")
    assert credit({"kind": "close"}, untagged, encode(np.array([1.0, 2.0]))) == (1.0, "")
    assert credit({"kind": "close"}, encode(torch.tensor([1.0, 2.0])), untagged) == (1.0, "")
    assert credit({"kind": "close"}, untagged, encode([1.0, 2.0]))[0] == CONTRACT_SHARE


def test_unreadable_recorded_data_is_named_as_such():
    assert credit({"kind": "close"}, "raw text", encode(1.0)) == (0.0, "got an object of type ?, not a number, tensor or array")
    assert credit({"kind": "equal"}, None, encode(1.0)) == (0.0, "got an object of type ?, not a number, tensor or array")


def test_strings_are_never_numbers():
    assert cr("close", ["a", "b"], [1.0, 2.0]) == (0.0, "got ['a', 'b'], not a number or array")
    assert cr("close", "1.0", 1.0) == (0.0, "got '1.0', not a number or array")
    assert cr("between", "0.95", None, low=0.9) == (0.0, "got '0.95', not a single number")
    assert cr("between", [0.9, 0.95], None, low=0.9) == (0.0, "got [0.9, 0.95], not a single number")


def test_a_shape_check_on_a_forged_number_fails_cleanly():
    assert credit({"kind": "shape"}, {"t": "int", "v": 3}, {"t": "shape", "v": [3]}) == (0.0, "expected shape (3,), got ()")
    assert credit({"kind": "shape"}, {"t": "str", "v": "3"}, {"t": "shape", "v": [3]}) == (0.0, "expected shape (3,), got None")


@pytest.mark.parametrize("got, shape", [
    (np.zeros((2, 3)), (2, 3)), ((2, 3), (2, 3)), ((True, 3), None), ((1.5, 2), None), (3, ()), (2.5, ()), ([[1, 2]], (1, 2)),
    ("ab", None), ({"t": "x"}, None), (None, None),
])
def test_what_counts_as_a_shape(got, shape):
    ok, message = compare("shape", got, (9, 9))
    assert message == f"expected shape (9, 9), got {shape}"
