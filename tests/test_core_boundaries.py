"""Boundaries of the grading core that a wrong grade would cross (issue 12): each tolerance just inside and
just outside, weights, NaN/inf/fp16/bfloat16, large-array guards, real-True conditions, the codec.

Every test here fails on at least one plausible bug (tolerance ignored, swapped or loosened, weights
ignored, a sum guard dropped or made signed, a condition accepting any truthy value, a non-finite value
written raw, an fp16 tensor not cast); bench/mutation.sh measures how many such bugs the fast lane kills.
"""
import json
import math
import re

import numpy as np
import pytest
import torch

from autograde import checks as ck
from autograde import regions
from autograde.compare import CONTRACT_SHARE, compare, credit
from autograde.values import FULL_DATA_LIMIT, MAX_DEPTH, MAX_ITEMS, Sample, decode, encode, family, sample_positions
from tests.paths import REPO


def cr(kind, got, want, **spec):
    """(credit, message) of a check of `kind` on two raw values, as the grader would decide it."""
    return credit({"kind": kind, **spec}, encode(got), encode(want))


def strict_json(data):
    return json.loads(json.dumps(data, allow_nan=False))


# --- tolerances: atol and rtol separately, just inside and just outside -------------------------------------

@pytest.mark.parametrize("got, ok", [(1.25, True), (0.75, True), (1.2500001, False), (0.7499999, False), (1.3, False)])
def test_absolute_tolerance_alone_is_inclusive_and_tight(got, ok):
    assert cr("close", got, 1.0, atol=0.25, rtol=0)[0] == (1.0 if ok else 0.0)


def test_absolute_tolerance_is_not_widened_by_a_default_relative_one():
    # rtol=0 means none: numpy's default rtol (1e-5) would let 1000.005 pass against 1000 with atol 1e-3
    assert cr("close", 1000.0009, 1000.0, atol=1e-3, rtol=0)[0] == 1.0
    assert cr("close", 1000.005, 1000.0, atol=1e-3, rtol=0)[0] == 0.0
    assert cr("close", 1000.005, 1000.0, atol=1e-3, rtol=1e-5)[0] == 1.0


@pytest.mark.parametrize("got, want, ok", [
    (101.0, 100.0, True), (99.0, 100.0, True), (101.01, 100.0, False), (98.99, 100.0, False),
    (100.0, 99.0, False),    # relative to the key's value: 1 > 0.01 * 99 (relative to the answer it would pass)
    (-101.0, -100.0, True), (-101.01, -100.0, False),
])
def test_relative_tolerance_alone_scales_with_the_key_value(got, want, ok):
    assert cr("close", got, want, atol=0, rtol=0.01)[0] == (1.0 if ok else 0.0)


def test_tolerances_add_up_as_numpy_allclose_does():
    assert cr("close", 1.149, 1.0, atol=0.1, rtol=0.05)[0] == 1.0
    assert cr("close", 1.151, 1.0, atol=0.1, rtol=0.05)[0] == 0.0


def test_default_tolerances_are_1e_4_each():
    spec = {}
    assert cr("close", 1.0002, 1.0, **spec)[0] == 1.0           # 2e-4 <= 1e-4 + 1e-4 * 1
    assert cr("close", 1.0003, 1.0, **spec)[0] == 0.0
    assert compare("close", 1.0002, 1.0) == (True, "")
    assert compare("close", 1.0003, 1.0)[0] is False


def test_tolerances_apply_element_wise_on_arrays_and_tensors():
    want = torch.tensor([1.0, 16.0, 64.0])      # values and tolerances exact in binary floating point
    assert cr("close", torch.tensor([1.5, 16.5, 64.5]), want, atol=0.5, rtol=0)[0] == 1.0
    assert cr("close", torch.tensor([1.5, 16.5, 64.625]), want, atol=0.5, rtol=0)[0] == 0.0
    assert cr("close", torch.tensor([1.0625, 17.0, 68.0]), want, atol=0, rtol=0.0625)[0] == 1.0
    assert cr("close", torch.tensor([1.0625, 17.0, 68.5]), want, atol=0, rtol=0.0625)[0] == 0.0


def test_a_failed_close_check_says_how_far_off_and_the_tolerance_without_the_value():
    ok, message = compare("close", [1.0, 5.5], [1.0, 2.0], atol=0.01, rtol=0)
    assert (ok, message) == (False, "values differ (largest difference 3.5, tolerance 0.01)")


def test_an_empty_array_is_close_to_an_empty_array_only():
    assert compare("close", np.zeros(0), np.zeros(0)) == (True, "")
    assert compare("close", np.zeros(0), np.zeros(1)) == (False, "expected shape (1,), got (0,)")


# --- non-finite values ----------------------------------------------------------------------------------

def test_nan_never_passes_and_is_never_written_raw():
    nan = float("nan")
    for got, want in [(nan, nan), (nan, 1.0), (1.0, nan), ([1.0, nan], [1.0, nan]), ([1.0, nan], [1.0, 2.0])]:
        assert cr("close", got, want)[0] == 0.0, (got, want)
    data = strict_json(encode([1.0, nan]))
    assert data == {"t": "list", "items": [{"t": "float", "v": 1.0}, {"t": "float", "v": "nan"}]}
    assert math.isnan(decode(data)[1])
    tensor = strict_json(encode(torch.tensor([float("inf"), nan, float("-inf")])))
    assert tensor["data"] == ["inf", "nan", "-inf"]
    assert math.isinf(decode(tensor)[0]) and decode(tensor)[2] < 0


def test_infinities_match_only_themselves():
    inf = float("inf")
    assert cr("close", inf, inf)[0] == 1.0
    assert cr("close", -inf, -inf)[0] == 1.0
    assert cr("close", -inf, inf)[0] == 0.0
    assert cr("close", 1e308, inf)[0] == 0.0
    assert cr("close", torch.tensor([1.0, inf]), torch.tensor([1.0, inf]))[0] == 1.0
    assert cr("between", inf, None, low=0.0)[0] == 0.0  # not a finite number


def test_a_large_array_with_nan_or_inf_is_strict_json_and_never_passes():
    big = np.zeros(FULL_DATA_LIMIT + 10)
    big[-1] = np.nan
    data = encode(big)
    assert data["t"] == "sample"
    json.dumps({k: v for k, v in data.items() if k not in ("sum", "abssum")}, allow_nan=False)
    assert cr("close", big, big)[0] == 0.0


# --- fp16 and bfloat16 -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_tensors_are_read_and_compared_in_float32(dtype):
    value = torch.tensor([0.1, 1.5, -2.25]).to(dtype)
    data = strict_json(encode(value))
    assert (data["t"], data["lib"], data["dtype"], data["shape"]) == ("array", "torch", "float32", [3])
    assert data["data"] == [float(x) for x in value.float()]
    assert cr("close", value, torch.tensor([0.1, 1.5, -2.25]), atol=1e-2, rtol=0)[0] == 1.0
    assert cr("close", value, torch.tensor([0.1, 1.5, -2.25]), atol=1e-6, rtol=0)[0] == 0.0  # the rounding is kept


def test_large_half_precision_tensors_are_sampled_in_float32():
    value = torch.linspace(-1, 1, FULL_DATA_LIMIT + 1).to(torch.bfloat16)
    data = encode(value)
    assert (data["t"], data["dtype"]) == ("sample", "float32")
    assert data["sum"] == pytest.approx(float(value.float().double().sum()))
    assert cr("close", value, value.float())[0] == 1.0


# --- large arrays: sample, sum and abssum guards, shape guards -------------------------------------------

N = FULL_DATA_LIMIT + 5_000


def unsampled_index(size=N):
    return int(np.setdiff1d(np.arange(size), sample_positions(size))[0])


def test_sample_positions_are_fixed_sorted_distinct_and_in_range():
    pos = sample_positions(N)
    assert len(pos) == FULL_DATA_LIMIT == len(set(pos.tolist()))
    assert (np.diff(pos) > 0).all() and pos[0] >= 0 and pos[-1] < N
    assert np.array_equal(pos, sample_positions(N))


def test_arrays_travel_whole_up_to_the_limit_and_sampled_above():
    assert encode(np.zeros(FULL_DATA_LIMIT))["t"] == "array"
    sample = encode(np.arange(FULL_DATA_LIMIT + 1, dtype=np.float64) - 100)
    assert sample["t"] == "sample" and len(sample["data"]) == FULL_DATA_LIMIT
    assert sample["sum"] == float(np.arange(FULL_DATA_LIMIT + 1).sum() - 100 * (FULL_DATA_LIMIT + 1))
    assert sample["abssum"] == float(np.abs(np.arange(FULL_DATA_LIMIT + 1) - 100).sum())
    assert sample["data"][:3] == [float(p) - 100 for p in sample_positions(FULL_DATA_LIMIT + 1)[:3]]


def test_a_difference_outside_the_sample_is_caught_by_the_sum():
    want = torch.linspace(0, 1, N)
    got = want.clone()
    got[unsampled_index()] += 10.0    # more than the sum's allowance: atol * N + rtol * sum(|x|) = 3.75
    assert cr("close", got, want)[0] == 0.0
    assert cr("equal", got, want)[0] == 0.0
    assert cr("close", want.clone(), want)[0] == 1.0 and cr("equal", want.clone(), want)[0] == 1.0


def test_the_sum_guard_allows_each_tolerance_once_per_element_and_no_more():
    want = np.ones(N)
    within = want + 0.9e-4            # every element off by just under atol (rtol=0)
    assert cr("close", within, want, atol=1e-4, rtol=0)[0] == 1.0
    outside = want.copy()
    outside[unsampled_index()] += 1e-4 * N * 1.5   # one unsampled element carries more than the whole allowance
    assert cr("close", outside, want, atol=1e-4, rtol=0)[0] == 0.0


def test_the_sum_guard_scales_by_the_absolute_sum_not_the_signed_one():
    # values of both signs summing to about zero: a right answer with relative noise must pass (the allowance
    # is rtol * sum(|x|); with a signed sum it would be about zero and fail this answer)
    want = np.where(np.arange(N) % 2 == 0, 1.0, -1.0)
    got = np.where(want > 0, want * (1 + 5e-5), want)
    assert cr("close", got, want, atol=0, rtol=1e-4)[0] == 1.0
    assert cr("close", got * 1.001, want, atol=0, rtol=1e-4)[0] == 0.0


def test_an_exact_answer_with_negative_values_passes_at_zero_absolute_tolerance():
    want = -np.linspace(1, 2, N)          # a negative signed sum would make the allowance negative
    assert cr("close", want.copy(), want, atol=0, rtol=1e-4)[0] == 1.0


def test_a_sample_for_a_small_array_or_another_shape_is_refused_with_the_shape():
    want = torch.zeros(100, N // 100)
    assert cr("close", torch.zeros(N // 100, 100), want) == (0.0, f"expected shape (100, {N // 100}), got ({N // 100}, 100)")
    assert cr("close", torch.zeros(3), want) == (0.0, f"expected shape (100, {N // 100}), got (3,)")
    assert cr("close", want, torch.zeros(3)) == (0.0, f"expected shape (3,), got (100, {N // 100})")
    assert cr("equal", torch.zeros(N // 100, 100), want)[0] == 0.0


def test_equal_on_large_arrays_needs_the_exact_sum_and_sample():
    want = torch.arange(N)
    assert cr("equal", torch.arange(N), want)[0] == 1.0
    off = torch.arange(N)
    off[int(sample_positions(N)[5])] += 1
    assert cr("equal", off, want) == (0.0, "values differ")
    assert cr("close", torch.arange(N).float() + 1e-6, want.float())[0] == 1.0
    assert cr("equal", torch.arange(N).float() + 0.5, want.float())[0] == 0.0


def test_samples_decode_to_the_values_that_were_picked():
    arr = np.arange(N, dtype=np.int64).reshape(5, -1)
    sample = decode(strict_json(encode(arr)))
    assert isinstance(sample, Sample)
    assert (sample.shape, sample.dtype, sample.sum, sample.abssum) == ((5, N // 5), "int64", float(arr.sum()), float(arr.sum()))
    assert np.array_equal(sample.values, sample_positions(N)) and sample.values.dtype == np.int64


# --- weights ---------------------------------------------------------------------------------------------

def test_real_hidden_tests_use_non_default_weights():
    weights = set()
    for source in sorted((REPO / "source").glob("*/*.ipynb")):
        for cell in json.loads(source.read_text())["cells"]:
            for body in regions.bodies("".join(cell["source"]), "hidden"):
                weights |= {float(w) for w in re.findall(r"weight=([0-9.]+)", body)}
    assert weights - {1.0}, "no hidden test weighs its checks: the weighting below would be untested by real tests"


def cell(*pairs):
    """Verdicts of a cell whose checks have (weight, earned credit) as given: value checks judged from data."""
    specs, outcomes, expected = [], [], []
    for i, (weight, right) in enumerate(pairs):
        specs.append({"name": f"c{i}", "kind": "equal", "weight": weight, "hint": ""})
        outcomes.append({"value": encode(1 if right else 2)})
        expected.append(encode(1))
    return ck.verdicts(specs, outcomes, expected)


def test_weights_decide_the_share_of_each_check():
    from autograde.checks import RESULT_MIME, VERSION
    from autograde.scoring import verdict_from_outputs

    def score(pairs, max_points):
        key = [{"name": f"c{i}", "kind": "equal", "weight": w, "hint": "", "expected": encode(1)} for i, (w, _) in enumerate(pairs)]
        values = [{"value": encode(1 if right else 2)} for _, right in pairs]
        out = {"output_type": "display_data", "metadata": {}, "data": {RESULT_MIME: {"version": VERSION, "values": values}}}
        return verdict_from_outputs([out], max_points, key)

    assert score([(0.1875, True), (0.75, False)], 1.0).score == 0.2
    assert score([(0.75, True), (0.1875, False)], 1.0).score == 0.8
    assert score([(1.5, True), (0.5, False)], 2.0).score == 1.5
    assert score([(1.0, True), (1.0, False), (1.0, False)], 1.0).score == 0.3333   # rounded to 4 places
    assert (score([(0.0, True)], 3.0).score, score([(0.0, True)], 3.0).status) == (0.0, "failed")  # nothing to earn
    assert [r["weight"] for r in cell((0.5, True), (2, False))] == [0.5, 2.0]
    assert score([(2.0, True), (1.0, True)], 3.0).status == "passed"


def test_the_default_weight_is_one():
    specs = [{"name": "a", "kind": "equal"}, {"name": "b", "kind": "equal", "weight": 3}]
    results = ck.verdicts(specs, [{"value": encode(1)}, {"value": encode(1)}], [encode(1), encode(1)])
    assert [r["weight"] for r in results] == [1.0, 3.0]
    assert ck.equal("x", lambda: 1).weight == 1.0 and ck.close("x", lambda: 1).spec()["weight"] == 1.0


# --- conditions accept only a real True ----------------------------------------------------------------

@pytest.mark.parametrize("value, ok", [
    (True, True), (np.True_, True), (torch.tensor(True), True), (torch.tensor([True]), True),
    (False, False), (np.False_, False), (torch.tensor(False), False), (torch.tensor([True, True]), False),
    (1, False), (1.0, False), ("True", False), ([True], False), ((True,), False), (torch.tensor(1), False),
    (torch.tensor([1.0]), False), (np.array(True), False), (np.int64(1), False), (None, False), (object(), False),
])
def test_a_condition_holds_only_for_a_real_true(value, ok):
    assert ck._truth(value) is ok
    recorded = ck._recordable(ck.true("c", lambda: value), value)
    assert recorded == {"t": "bool", "v": ok}
    assert credit({"kind": "true"}, recorded, None)[0] == (1.0 if ok else 0.0)
    (in_place,) = ck._in_place([ck.true("c", lambda: value)], [{"value": recorded}])
    assert in_place["passed"] is ok


def test_a_numpy_2_bool_is_a_real_true():
    # numpy 2 calls its bool type `numpy.bool` (numpy 1: `numpy.bool_`); a condition such as
    # `lambda: (arr >= 0).all()` returns one, and the solution's own key must not fail on it
    assert ck._truth((np.arange(3) >= 0).all()) is True and ck._truth(np.float64(0.95) >= 0.9) is True


@pytest.mark.parametrize("got, ok", [
    (True, True), (np.True_, True), (np.array([True]), True), (np.array(True), True),
    (False, False), (1, False), (1.0, False), ("yes", False), (np.array([True, True]), False), (np.array([1]), False),
    (None, False), ([True], False),
])
def test_compare_true_is_strict_about_bools(got, ok):
    assert compare("true", got, None) == (ok, "" if ok else "condition not met")


def test_a_recorded_truthy_non_bool_earns_nothing():
    for data in ({"t": "int", "v": 1}, {"t": "str", "v": "True"}, {"t": "float", "v": 1.0},
                 {"t": "list", "items": [{"t": "bool", "v": True}]}):
        assert credit({"kind": "true"}, data, None) == (0.0, "condition not met")
    assert credit({"kind": "true"}, {"t": "bool", "v": True}, None) == (1.0, "")


# --- between: inclusive bounds, one number only --------------------------------------------------------

@pytest.mark.parametrize("x, low, high, expected", [
    (0.9, 0.9, None, (1.0, "")), (0.8999, 0.9, None, (0.0, "got 0.8999, expected at least 0.9")),
    (0.5, None, 0.5, (1.0, "")), (0.5001, None, 0.5, (0.0, "got 0.5001, expected at most 0.5")),
    (0.05, 0.1, 0.2, (0.0, "got 0.05, expected at least 0.1 and at most 0.2")),
    (0.25, 0.1, 0.2, (0.0, "got 0.25, expected at least 0.1 and at most 0.2")),
    (0.15, 0.1, 0.2, (1.0, "")), (-3.0, None, None, (1.0, "")),
])
def test_between_bounds_are_inclusive(x, low, high, expected):
    assert cr("between", x, None, low=low, high=high) == expected


@pytest.mark.parametrize("value", [True, "0.95", None, [0.9, 0.95], torch.tensor([0.9, 0.95]), float("nan")])
def test_between_needs_one_finite_number(value):
    fraction, message = cr("between", value, None, low=0.0)
    assert fraction == 0.0 and message.startswith("got ") and message.endswith("not a single number")


@pytest.mark.parametrize("value", [0.95, torch.tensor(0.95), torch.tensor([0.95]), np.float32(0.95), np.array([[0.95]]), 1])
def test_between_reads_any_one_element_number(value):
    assert cr("between", value, None, low=0.9, high=1.0) == (1.0, "")


# --- value checks: half credit for the right values in the wrong kind of value or shape --------------------

@pytest.mark.parametrize("got, want, expected", [
    (torch.tensor([1.0, 2.0]), np.array([1.0, 2.0]), CONTRACT_SHARE),  # a tensor where an ndarray came back
    (np.array([1.0, 2.0]), torch.tensor([1.0, 2.0]), CONTRACT_SHARE),
    (np.float64(0.5), 0.5, 1.0),                                      # a numpy scalar is a number
    (0.5, torch.tensor(0.5), 1.0),                                    # a Python number for a 0-d tensor
    (torch.tensor(0.5), 0.5, CONTRACT_SHARE),                         # a tensor where a number is expected
    ([1.0, 2.0], torch.tensor([1.0, 2.0]), CONTRACT_SHARE),
    (torch.tensor([1.0, 2.0]), [1.0, 2.0], CONTRACT_SHARE),
    (torch.tensor([[1.0, 2.0]]), torch.tensor([1.0, 2.0]), CONTRACT_SHARE),   # right values, extra axis
    (torch.tensor([[1.0], [2.0]]), torch.tensor([1.0, 2.0]), CONTRACT_SHARE),
    (torch.tensor([[1.0, 3.0]]), torch.tensor([1.0, 2.0]), 0.0),      # wrong values in the wrong shape
    (torch.tensor([1.0, 2.0, 0.0]), torch.tensor([1.0, 2.0]), 0.0),   # another size is not a reshape
    ("1.0", 1.0, 0.0),
    (None, 1.0, 0.0),
])
def test_contract_credit(got, want, expected):
    assert cr("close", got, want)[0] == expected


def test_contract_messages_name_what_was_expected():
    assert cr("close", torch.tensor(0.5), 0.5) == (CONTRACT_SHARE, "right values, but a tensor where a number is expected")
    assert cr("close", torch.ones(2, 1), torch.ones(2)) == (CONTRACT_SHARE, "right values, but expected shape (2,), got (2, 1)")
    assert cr("equal", (1, 2), [1, 2]) == (1.0, "")  # a tuple for a list: both sequences
    assert cr("close", torch.ones(2, 1), torch.ones(2), atol=0.1, rtol=0)[0] == CONTRACT_SHARE
    assert cr("close", torch.ones(2, 1) * 1.05, torch.ones(2), atol=0.1, rtol=0)[0] == CONTRACT_SHARE  # tolerance kept
    assert cr("close", torch.ones(2, 1) * 1.2, torch.ones(2), atol=0.1, rtol=0)[0] == 0.0


def test_shape_checks_compare_the_recorded_shape_only():
    spec = {"kind": "shape"}
    assert credit(spec, {"t": "shape", "v": [3, 4]}, {"t": "shape", "v": [3, 4]}) == (1.0, "")
    assert credit(spec, {"t": "shape", "v": [4, 3]}, {"t": "shape", "v": [3, 4]}) == (0.0, "expected shape (3, 4), got (4, 3)")
    assert credit(spec, {"t": "shape", "v": [3, 4, 1]}, {"t": "shape", "v": [3, 4]})[0] == 0.0
    assert credit(spec, {"t": "other", "type": "Fake"}, {"t": "shape", "v": [3, 4]}) == (0.0, "got an object of type Fake, not a number, tensor or array")
    assert ck._recordable(ck.shape("s", lambda: 0), torch.zeros(3, 4)) == {"t": "shape", "v": [3, 4]}
    assert ck._recordable(ck.shape("s", lambda: 0), np.zeros((2,))) == {"t": "shape", "v": [2]}
    assert ck._recordable(ck.shape("s", lambda: 0), [[1, 2]]) == {"t": "other", "type": "list"}


# --- equal: exact, type-aware ---------------------------------------------------------------------------

@pytest.mark.parametrize("got, want, earned", [
    (3, 3, 1), (3.0, 3, 1), (3, 3.0, 1), (True, True, 1), (1, True, 0), (True, 1, 0),
    (False, 0, 0), ("a", "a", 1), ("a", "A", 0), (None, None, 1), (None, 0, 0),
    ((1, 2), (1, 2), 1), ((1, 2), (1, 2, 3), 0), ((1, (2, 3)), (1, (2, 3)), 1), ((1, (2, 4)), (1, (2, 3)), 0),
    ([True, 1], [True, 1], 1), ([1, 1], [True, 1], 0), ((1,), 1, CONTRACT_SHARE),
    (torch.tensor([1, 2]), torch.tensor([1, 2]), 1), (torch.tensor([1, 2]), torch.tensor([2, 1]), 0),
    (torch.tensor([[1, 2]]), torch.tensor([1, 2]), CONTRACT_SHARE), (torch.tensor([[1, 3]]), torch.tensor([1, 2]), 0),
    (torch.tensor(3), 3, CONTRACT_SHARE), (3, torch.tensor(3), 1), (np.int64(3), 3, 1),
])
def test_equal_is_exact(got, want, earned):
    assert cr("equal", got, want)[0] == earned


def test_equal_messages():
    assert compare("equal", np.array([1, 2, 3]), np.array([1, 0, 0])) == (False, "2 of 3 values differ")
    assert compare("equal", np.array([1, 2]), np.array([1, 2, 3])) == (False, "expected shape (3,), got (2,)")
    assert compare("equal", {"t": "weird"}, np.array([1])) == (False, "expected shape (1,), got None")
    assert compare("equal", "x" * 100, "y") == (False, "got '" + "x" * 56 + "...")
    assert compare("equal", "x" * 58, "y") == (False, "got '" + "x" * 58 + "'")   # 60 characters: shown whole
    assert compare("equal", [1, 2], [1, 3]) == (False, "got [1, 2]")
    assert compare("equal", np.array(["a"], dtype=object), np.array(["a"], dtype=object))[0] is False


def test_objects_the_codec_cannot_read_earn_nothing():
    other = {"t": "other", "type": "Learner"}
    for kind in ("close", "equal", "true", "between", "shape"):
        fraction, message = credit({"kind": kind, "low": 0}, other, encode(1.0))
        assert (fraction, message) == (0.0, "got an object of type Learner, not a number, tensor or array")
    assert compare("close", other, 1.0) == (False, "got an object of type Learner, not a number, tensor or array")
    assert compare("close", "text", 1.0) == (False, "got 'text', not a number or array")
    assert compare("close", True, 1.0)[0] is False


# --- the codec -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, data", [
    (None, {"t": "none"}), (True, {"t": "bool", "v": True}), (3, {"t": "int", "v": 3}), (2.5, {"t": "float", "v": 2.5}),
    ("hi", {"t": "str", "v": "hi"}), (torch.Size([2, 3]), {"t": "tuple", "items": [{"t": "int", "v": 2}, {"t": "int", "v": 3}]}),
    ((1, "a"), {"t": "tuple", "items": [{"t": "int", "v": 1}, {"t": "str", "v": "a"}]}),
    ([], {"t": "list", "items": []}),
    (np.array([[1, 2]], dtype=np.int32), {"t": "array", "lib": "numpy", "dtype": "int32", "shape": [1, 2], "data": [1, 2]}),
    (np.float32(0.5), {"t": "array", "lib": "numpy", "dtype": "float32", "shape": [], "data": [0.5]}),
    (torch.tensor([True, False]), {"t": "array", "lib": "torch", "dtype": "bool", "shape": [2], "data": [True, False]}),
    (np.array([1, "a"], dtype=object), {"t": "other", "type": "object array"}),
    ({"a": 1}, {"t": "other", "type": "dict"}),
])
def test_encode_writes_plain_json(value, data):
    assert strict_json(encode(value)) == data


def test_encode_refuses_lookalike_subclasses():
    class Sneaky(int):
        def __eq__(self, other):
            return True

    class Text(str):
        pass

    class Number(float):
        pass

    class Seq(list):
        pass

    assert encode(Sneaky(3)) == {"t": "other", "type": "Sneaky"}
    assert encode(Text("a")) == {"t": "other", "type": "Text"}
    assert encode(Number(1.0)) == {"t": "other", "type": "Number"}
    assert encode(Seq([1])) == {"t": "other", "type": "Seq"}


def test_encode_bounds_strings_items_and_depth():
    assert encode("x" * 20_000)["v"] == "x" * 10_000
    assert len(encode(list(range(MAX_ITEMS + 5)))["items"]) == MAX_ITEMS
    nested = 1
    for _ in range(MAX_DEPTH + 1):
        nested = [nested]
    data = encode(nested)
    for _ in range(MAX_DEPTH):
        assert data["t"] == "list"
        data = data["items"][0]
    assert data == {"t": "other", "type": "list"}


@pytest.mark.parametrize("value", [
    None, True, -4, 2.5, "s", (1, [2.0, None]), np.arange(6).reshape(2, 3), torch.tensor([[0.5, -1.5]]),
    np.array([], dtype=np.float32), torch.tensor(7), np.uint8(200),
])
def test_decode_inverts_encode(value):
    back = decode(strict_json(encode(value)))
    if isinstance(value, (np.ndarray, np.generic, torch.Tensor)):
        want = value.numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
        assert isinstance(back, np.ndarray) and back.dtype == want.dtype and back.shape == want.shape and np.array_equal(back, want)
    else:
        assert back == value and type(back) is type(value)


def test_decode_reads_shapes_and_leaves_unknown_data_alone():
    assert decode({"t": "shape", "v": [2, 3]}) == (2, 3)
    assert decode({"t": "other", "type": "X"}) == {"t": "other", "type": "X"}
    assert decode("raw") == "raw" and decode({"t": "float", "v": "-inf"}) == float("-inf")


@pytest.mark.parametrize("value, fam", [
    (1, "number"), (1.5, "number"), (np.float64(1.0), "number"), (np.int64(1), "number"), (True, "bool"), ("s", "str"),
    (None, "none"), ((1,), "sequence"), ([1], "sequence"), (torch.tensor(1.0), "tensor"), (torch.ones(2), "tensor"),
    (np.ones(2), "ndarray"), (np.ones(FULL_DATA_LIMIT + 1), "ndarray"), (torch.ones(FULL_DATA_LIMIT + 1), "tensor"),
    (object(), "other"),
])
def test_family_of_each_kind_of_value(value, fam):
    assert family(encode(value)) == fam


def test_family_of_recorded_shapes_and_odd_data():
    assert family({"t": "shape", "v": [1]}) == "shape"
    assert family({"t": "array", "shape": [2]}) == "array"
    assert family({"t": "sample", "lib": "jax", "shape": [2]}) == "array"
    assert family({"t": "mystery"}) == "other" and family("text") == "other" and family(None) == "other"


# --- region markers are whole lines, never substrings ------------------------------------------------------

@pytest.mark.parametrize("line", [
    'print("### BEGIN SOLUTION")', "x = 1  ### BEGIN SOLUTION", "### BEGIN SOLUTIONS", "#### BEGIN SOLUTION",
    "## BEGIN SOLUTION", "### BEGIN  SOLUTION", "### begin solution", "### BEGIN SOLUTION.", "# ### BEGIN SOLUTION",
])
def test_a_marker_inside_other_text_is_not_a_marker(line):
    src = f"a = 1\n{line}\nb = 2"
    assert regions.scan(src, "solution") == []
    assert regions.remove(src, "solution") == src
    assert regions.unwrap(src, "solution") == src


def test_markers_may_be_indented_or_padded():
    src = "def f():\n    ### BEGIN SOLUTION   \n    return 1\n\t### END SOLUTION\n"
    (region,) = regions.scan(src, "solution")
    assert (region.kind, region.begin, region.end, region.body) == ("solution", 1, 3, ("    return 1",))
    assert regions.remove(src, "solution") == "def f():"


def test_several_regions_and_their_line_numbers():
    src = "a\n### BEGIN HIDDEN TESTS\nh1\n### END HIDDEN TESTS\nb\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\nc"
    assert [(r.begin, r.end, r.body) for r in regions.scan(src, "hidden")] == [(1, 3, ("h1",)), (5, 6, ())]
    assert regions.bodies(src, "hidden") == ["h1", ""]
    assert regions.remove(src, "hidden") == "a\nb\nc"
    assert regions.unwrap(src, "hidden") == "a\nh1\nb\nc"
    assert regions.bodies("### BEGIN SOLUTION\nx\ny\n### END SOLUTION", "solution") == ["x\ny"]


def test_rewrites_keep_leading_lines_and_drop_only_trailing_newlines():
    src = "\n\nfirst  \n### BEGIN SOLUTION\nx\n### END SOLUTION\nlast  \n\n"
    assert regions.remove(src, "solution") == "\n\nfirst  \nlast  "
    assert regions.unwrap(src, "solution") == "\n\nfirst  \nx\nlast  "
    assert regions.remove("a\n### BEGIN SOLUTION\nx\n### END SOLUTION\n\n", "solution") == "a"


@pytest.mark.parametrize("src, message", [
    ("x\n### END SOLUTION", "cell: line 2 closes a SOLUTION region that was never opened; add '### BEGIN SOLUTION' above it"),
    ("x\ny\n### BEGIN SOLUTION", "cell: line 3 opens a SOLUTION region that is never closed; add '### END SOLUTION'"),
    ("### BEGIN SOLUTION\nx\n### BEGIN SOLUTION\n### END SOLUTION",
     "cell: line 3 opens a SOLUTION region inside another; close the first with '### END SOLUTION'"),
])
def test_unpaired_markers_say_which_line(src, message):
    for call in (regions.scan, regions.remove, regions.unwrap, regions.bodies):
        with pytest.raises(regions.RegionError) as err:
            call(src, "solution")
        assert str(err.value) == message
        with pytest.raises(regions.RegionError, match="^nb, cell 3: line"):
            call(src, "solution", where="nb, cell 3")


def test_the_hidden_kind_has_its_own_markers():
    src = "### BEGIN HIDDEN TESTS\nh\n### END HIDDEN TESTS\n### BEGIN SOLUTION\ns\n### END SOLUTION"
    assert regions.bodies(src, "hidden") == ["h"] and regions.bodies(src, "solution") == ["s"]
    with pytest.raises(regions.RegionError, match="HIDDEN TESTS region that is never closed"):
        regions.scan("### BEGIN HIDDEN TESTS", "hidden")


def test_sample_positions_never_change_between_versions():
    # a key recorded by one version of the kit is compared with answers recorded by another: the positions
    # a large array is sampled at are part of the format
    pos = sample_positions(10**6)
    assert pos[:4].tolist() == [45, 123, 160, 341] and pos[-2:].tolist() == [999824, 999873] and int(pos.sum()) == 10001319646


def test_only_torch_and_fastai_objects_are_read_as_tensors():
    class Detachable:
        def detach(self):
            raise AssertionError("the codec called a student object's method")

    assert encode(Detachable()) == {"t": "other", "type": "Detachable"}


def test_large_arrays_keep_nan_sums_strict_json_and_catch_opposite_errors_off_sample():
    import json as _json

    import numpy as _np

    from autograde.compare import compare as _compare
    from autograde.values import decode as _decode, encode as _encode, sample_positions as _positions

    nan = _np.ones(30_000)
    nan[3] = _np.nan
    _json.dumps(_encode(nan), allow_nan=False)
    base = _np.linspace(-1, 1, 30_000)
    off = sorted(set(range(30_000)) - set(_positions(30_000).tolist()))[:2]
    flipped = base.copy()
    flipped[off[0]] += 5.0
    flipped[off[1]] -= 5.0  # the signed sum is unchanged; the absolute sum is not
    assert _compare("close", _decode(_encode(base)), _decode(_encode(base)))[0]
    assert not _compare("close", _decode(_encode(flipped)), _decode(_encode(base)))[0]


def test_string_arrays_decode_and_earn_the_contract_half():
    import numpy as _np

    from autograde.compare import credit as _credit
    from autograde.values import decode as _decode, encode as _encode

    assert list(_decode(_encode(_np.array(["nan", "Toy Story"])))) == ["nan", "Toy Story"]
    assert _credit({"kind": "equal"}, _encode(_np.array(["a", "bb"])), _encode(["a", "bb"]))[0] == 0.5
