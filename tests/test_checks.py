import json
import math

import numpy as np
import pytest
import torch

from autograde import checks as ck


def run(check):
    return ck._run_one(check, seconds=2)


def test_close_passes_within_tolerance_for_tensors_arrays_and_scalars():
    assert run(ck.close("t", lambda: torch.tensor([1.0, 2.0]), [1.0, 2.00001]))["passed"]
    assert run(ck.close("np scalar", lambda: np.float32(0.5), 0.5))["passed"]
    assert run(ck.close("torch scalar", lambda: torch.tensor(0.5), lambda: 0.5))["passed"]


def test_close_reports_shape_mismatch_in_student_words():
    res = run(ck.close("dist", lambda: torch.zeros(2038, 1), torch.zeros(2038)))
    assert not res["passed"]
    assert res["message"] == "expected shape (2038,), got (2038, 1)"


def test_close_fails_on_wrong_values_without_revealing_them():
    res = run(ck.close("v", lambda: torch.tensor([1.0, 5.0]), [1.0, 2.0]))
    assert not res["passed"] and "largest difference 3" in res["message"]
    assert "2.0" not in res["message"]


def test_nan_never_passes():
    assert not run(ck.close("nan", lambda: float("nan"), float("nan")))["passed"]


def test_equal_is_exact_and_type_aware_for_bools():
    assert run(ck.equal("int", lambda: 3, 3))["passed"]
    assert not run(ck.equal("bool", lambda: 1, True))["passed"]
    assert run(ck.equal("tensor", lambda: torch.tensor([1, 2]), [1, 2]))["passed"]
    assert not run(ck.equal("tensor", lambda: torch.tensor([1, 3]), [1, 2]))["passed"]


def test_shape_and_true_checks():
    assert run(ck.shape("s", lambda: torch.zeros(3, 4), (3, 4)))["passed"]
    assert not run(ck.shape("s", lambda: torch.zeros(4, 3), (3, 4)))["passed"]
    assert not run(ck.true("cond", lambda: False, hint="look again"))["passed"]
    assert "Hint: look again" in run(ck.true("cond", lambda: 0, hint="look again"))["message"]


def test_exceptions_become_messages_not_crashes():
    def stub():
        raise NotImplementedError()

    assert "not implemented yet" in run(ck.equal("stub", stub, 1))["message"]
    res = run(ck.equal("name", lambda: undefined_name, 1))  # noqa: F821
    assert not res["passed"] and res["message"].startswith("raised NameError")


def test_infinite_loop_is_stopped_by_the_check_time_limit():
    def forever():
        while True:
            pass

    res = ck._run_one(ck.equal("loop", forever, 1), seconds=0.3)
    assert res == {"name": "loop", "passed": False, "message": "timed out after 0.3 s (an infinite loop?)", "weight": 1.0, "timeout": True}


def test_grade_emits_fraction_and_raises_outside_grading(monkeypatch, capsys):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))
    monkeypatch.delenv(ck.GRADING_ENV, raising=False)
    with pytest.raises(AssertionError, match="1 of 2 checks passed"):
        ck.grade(ck.equal("a", lambda: 1, 1), ck.equal("b", lambda: 1, 2))
    monkeypatch.setenv(ck.GRADING_ENV, "1")
    assert ck.grade(ck.equal("a", lambda: 1, 1), ck.equal("b", lambda: 1, 2, weight=3)) is None
    result = shown[-1][ck.RESULT_MIME]
    assert math.isclose(result["fraction"], 0.25)
    json.dumps(result)  # plain data only
    assert "FAIL b" in shown[-1]["text/plain"]


def test_rand_is_deterministic():
    assert torch.equal(ck.rand(3, 4, seed=1), ck.rand(3, 4, seed=1))
    assert not torch.equal(ck.rand(3, 4, seed=1), ck.rand(3, 4, seed=2))


def test_checks_after_a_timeout_are_skipped(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))
    monkeypatch.setenv(ck.GRADING_ENV, "1")
    monkeypatch.setenv(ck.CHECK_TIMEOUT_ENV, "0.2")

    def forever():
        while True:
            pass

    ck.grade(ck.equal("first", lambda: 1, 1), ck.equal("hangs", forever, 1), ck.equal("after", lambda: 1, 1))
    first, hangs, after = shown[-1][ck.RESULT_MIME]["checks"]
    assert first["passed"] and hangs["timeout"] and after == {
        "name": "after", "passed": False, "message": "not run: an earlier check timed out", "weight": 1.0, "skipped": True}
