"""Every way a grade cell's verdict is reached, pinned whole: score, maximum, status and message (issue 12)."""
import pytest

from autograde.checks import RESULT_MIME, VERSION
from autograde.scoring import TIMEOUT_ERRORS, CellVerdict, verdict_from_outputs
from autograde.values import encode

KEY = [{"name": "a", "kind": "equal", "weight": 1.0, "hint": "", "expected": encode(42)},
       {"name": "b", "kind": "close", "atol": 1e-4, "rtol": 1e-4, "weight": 1.0, "hint": "think", "expected": encode([1.0, 2.0])}]
RIGHT = [{"value": encode(42)}, {"value": encode([1.0, 2.0])}]


def out(values, output_type="display_data", version=VERSION):
    return {"output_type": output_type, "metadata": {}, "data": {RESULT_MIME: {"version": version, "values": values}}}


def verdict(outputs, max_points=2.0, key=KEY):
    return verdict_from_outputs(outputs, max_points, key).as_dict()


def test_as_dict_holds_the_four_fields():
    assert CellVerdict(1.5, 2.0, "partial", "m").as_dict() == {"score": 1.5, "max": 2.0, "status": "partial", "message": "m"}


def test_a_cell_without_a_key_is_an_error_to_fix():
    expected = {"score": 0.0, "max": 2.0, "status": "error", "message": "no key for this grade cell; run `autograde keys` and grade again"}
    assert verdict([out(RIGHT)], key=None) == expected
    assert verdict([out(RIGHT)], key=[]) == expected


def test_no_result_and_no_error_means_the_cell_was_altered_or_the_kernel_died():
    expected = {"score": 0.0, "max": 3.0, "status": "error",
                "message": "the grade cell recorded no result; it may have been altered or the kernel died"}
    assert verdict([], 3.0) == expected
    assert verdict([{"output_type": "stream", "name": "stdout", "text": "ok"}], 3.0) == expected
    assert verdict([{"output_type": "display_data", "metadata": {}}], 3.0) == expected           # no data at all
    assert verdict([{"output_type": "stream", "data": {RESULT_MIME: {"version": VERSION, "values": RIGHT}}}], 3.0) == expected


def test_the_last_error_names_the_failure():
    first = {"output_type": "error", "ename": "ValueError", "evalue": "first", "traceback": []}
    last = {"output_type": "error", "ename": "ZeroDivisionError", "evalue": "division by zero", "traceback": []}
    assert verdict([first, last]) == {"score": 0.0, "max": 2.0, "status": "error", "message": "ZeroDivisionError: division by zero"}
    assert verdict([{"output_type": "error"}])["message"] == "Error: "
    assert verdict([{"output_type": "error", "ename": "E", "evalue": "x" * 1000}])["message"] == "E: " + "x" * 297


@pytest.mark.parametrize("ename", sorted(TIMEOUT_ERRORS))
def test_time_limits_and_dead_kernels_are_timeouts(ename):
    assert verdict([{"output_type": "error", "ename": ename, "evalue": ""}], 4.0) == {
        "score": 0.0, "max": 4.0, "status": "timeout",
        "message": "the cell ran past its time limit and was stopped (an infinite loop?)"}


def test_a_result_shown_as_execute_result_counts_too():
    assert verdict([out(RIGHT, "execute_result")]) == {"score": 2.0, "max": 2.0, "status": "passed", "message": ""}


def test_two_results_withhold_the_grade():
    assert verdict([out(RIGHT), out(RIGHT, "execute_result")], 5.0) == {
        "score": 0.0, "max": 5.0, "status": "error",
        "message": "the cell produced more than one result; grade withheld (was the test tampered with?)"}


@pytest.mark.parametrize("bundle", [
    "forged", ["values"], None, 1,
    {"version": VERSION}, {"version": VERSION, "values": None}, {"values": RIGHT},
    {"version": VERSION + 1, "values": RIGHT}, {"version": VERSION, "values": RIGHT[:1]},
    {"version": VERSION, "values": RIGHT + RIGHT[:1]}, {"version": VERSION, "values": [RIGHT[0], "x"]},
    {"version": VERSION, "values": {"a": 1}},
])
def test_a_malformed_result_withholds_the_grade_and_never_crashes(bundle):
    output = {"output_type": "display_data", "metadata": {}, "data": {RESULT_MIME: bundle}}
    assert verdict([output], 2.5) == {"score": 0.0, "max": 2.5, "status": "error",
                                      "message": "the recorded result does not match this cell's checks; grade withheld"}


def test_a_timed_out_check_zeroes_the_cell_even_after_right_values():
    values = [{"value": encode(42)}, {"error": "timed out after 2 s", "timeout": True}]
    assert verdict([out(values)], 6.0) == {"score": 0.0, "max": 6.0, "status": "timeout", "message": "b: timed out after 2 s"}


def test_statuses_follow_the_earned_share():
    assert verdict([out(RIGHT)], 3.0) == {"score": 3.0, "max": 3.0, "status": "passed", "message": ""}
    half = [{"value": encode(42)}, {"value": encode([1.0, 3.0])}]
    assert verdict([out(half)], 3.0) == {"score": 1.5, "max": 3.0, "status": "partial",
                                         "message": "b: values differ (largest difference 1, tolerance 0.0001). Hint: think"}
    wrong = [{"value": encode(41)}, {"error": "raised ValueError: bad"}]
    assert verdict([out(wrong)], 3.0) == {"score": 0.0, "max": 3.0, "status": "failed",
                                          "message": "a: got 41; b: raised ValueError: bad. Hint: think"}


def test_scores_are_rounded_to_four_places():
    key = KEY + [{"name": "c", "kind": "equal", "weight": 1.0, "hint": "", "expected": encode(0)}]
    values = [{"value": encode(42)}, {"value": encode([9.0, 9.0])}, {"value": encode(1)}]
    assert verdict([out(values)], 1.0, key)["score"] == 0.3333
    assert verdict([out(values)], 2.0, key)["score"] == 0.6667


def test_checks_of_no_weight_earn_nothing_and_do_not_divide_by_zero():
    key = [{**KEY[0], "weight": 0.0}]
    assert verdict([out(RIGHT[:1])], 2.0, key) == {"score": 0.0, "max": 2.0, "status": "failed", "message": ""}
