import pytest

from autograde.checks import RESULT_MIME, VERSION
from autograde.scoring import verdict_from_outputs
from autograde.values import encode

KEY = [
    {"name": "a", "kind": "equal", "atol": 1e-4, "rtol": 1e-4, "hint": "", "weight": 1.0, "expected": encode(42)},
    {"name": "b", "kind": "close", "atol": 1e-4, "rtol": 1e-4, "hint": "think", "weight": 1.0, "expected": encode([1.0, 2.0])},
]


def recorded(*values):
    return {"output_type": "display_data", "metadata": {}, "data": {RESULT_MIME: {"version": VERSION, "values": list(values)}, "text/plain": "x"}}


RIGHT = ({"value": encode(42)}, {"value": encode([1.0, 2.0])})
STDERR = {"output_type": "stream", "name": "stderr", "text": "FutureWarning: something is deprecated\n"}


def test_values_are_judged_against_the_key_with_partial_credit():
    v = verdict_from_outputs([recorded({"value": encode(42)}, {"value": encode([1.0, 3.0])})], 4, KEY)
    assert (v.score, v.max, v.status) == (2.0, 4, "partial")
    assert v.message.startswith("b: values differ") and v.message.endswith("Hint: think")
    assert verdict_from_outputs([recorded(*RIGHT)], 4, KEY).status == "passed"


def test_library_warning_on_stderr_does_not_zero_a_cell():
    assert verdict_from_outputs([STDERR, recorded(*RIGHT)], 3, KEY).score == 3


def test_printed_scores_and_tensor_text_are_never_read():
    text = {"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": {"text/plain": "tensor(0.5)"}}
    assert (verdict_from_outputs([text], 2, KEY).score, verdict_from_outputs([text], 2, KEY).status) == (0.0, "error")
    printed = {"output_type": "stream", "name": "stdout", "text": "1.0\nAll tests passed\n"}
    assert verdict_from_outputs([printed], 2, KEY).score == 0.0


@pytest.mark.parametrize("bundle", [
    {"version": VERSION, "fraction": 1.0, "checks": []},      # an old-style self-declared score
    {"version": VERSION, "values": [{"value": encode(42)}]},   # fewer values than checks
    {"version": VERSION, "values": "all passed"},
    {"version": 2, "values": [{"value": encode(42)}, {"value": encode([1.0, 2.0])}]},
])
def test_forged_or_malformed_results_earn_nothing(bundle):
    out = {"output_type": "display_data", "metadata": {}, "data": {RESULT_MIME: bundle}}
    v = verdict_from_outputs([out], 2, KEY)
    assert (v.score, v.status) == (0.0, "error")


def test_two_results_in_one_cell_withhold_the_grade():
    v = verdict_from_outputs([recorded(*RIGHT), recorded(*RIGHT)], 2, KEY)
    assert (v.score, v.status) == (0.0, "error") and "more than one result" in v.message


def test_garbage_values_are_failed_checks_not_crashes():
    v = verdict_from_outputs([recorded({"value": {"t": "array", "dtype": "float32", "shape": [9], "data": [1]}}, {"value": "x"})], 2, KEY)
    assert (v.score, v.status) == (0.0, "failed")


def test_error_output_and_timeouts_have_reasons():
    err = {"output_type": "error", "ename": "ZeroDivisionError", "evalue": "division by zero", "traceback": []}
    assert verdict_from_outputs([err], 2, KEY).message == "ZeroDivisionError: division by zero"
    assert verdict_from_outputs([{**err, "ename": "CellTimeoutError", "evalue": ""}], 2, KEY).status == "timeout"


def test_a_timed_out_check_zeroes_the_cell_with_the_reason():
    v = verdict_from_outputs([recorded({"value": encode(42)}, {"error": "timed out after 2 s", "timeout": True})], 2, KEY)
    assert (v.score, v.status, v.message) == (0.0, "timeout", "b: timed out after 2 s")


def test_no_result_or_no_key_scores_zero_with_a_reason():
    assert "no result" in verdict_from_outputs([], 2, KEY).message
    assert "autograde keys" in verdict_from_outputs([recorded(*RIGHT)], 2, None).message


def test_check_weights_and_half_credit_set_the_cell_score():
    key = [{**KEY[0], "weight": 3.0}, KEY[1]]
    assert verdict_from_outputs([recorded({"value": encode(41)}, {"value": encode([1.0, 2.0])})], 4, key).score == 1.0
    half = verdict_from_outputs([recorded({"value": encode(42)}, {"value": encode(__import__("torch").tensor([1.0, 2.0]))})], 4, key)
    assert (half.score, half.status) == (3.5, "partial") and "right values, but a tensor where a sequence is expected" in half.message


def test_a_shape_check_alone_pays_nothing():
    key = [KEY[0], {"name": "s", "kind": "shape", "atol": 1e-4, "rtol": 1e-4, "hint": "", "weight": 1.0, "expected": {"t": "shape", "v": [2]}}]
    shape_only = verdict_from_outputs([recorded({"value": encode(0)}, {"value": {"t": "shape", "v": [2]}})], 2, key)
    assert (shape_only.score, shape_only.status) == (0.0, "failed")
    assert verdict_from_outputs([recorded({"value": encode(42)}, {"value": {"t": "shape", "v": [2]}})], 2, key).score == 2.0
