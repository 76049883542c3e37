import json

import numpy as np
import pytest
import torch

from autograde import checks as ck
from autograde.values import encode


def judge(check, seconds=2):
    """Verdict of one check in place, as the instructor notebook sees it."""
    (outcome,) = ck._run_all([check], seconds)
    expected = check.expected() if callable(check.expected) else check.expected
    return ck.verdicts([check], [outcome], [encode(expected)])[0]


def test_close_passes_within_tolerance_for_tensors_arrays_and_scalars():
    assert judge(ck.close("t", lambda: torch.tensor([1.0, 2.0]), [1.0, 2.00001]))["passed"]
    assert judge(ck.close("np scalar", lambda: np.float32(0.5), 0.5))["passed"]
    assert judge(ck.close("torch scalar", lambda: torch.tensor(0.5), lambda: 0.5))["passed"]


def test_close_reports_shape_mismatch_in_student_words():
    res = judge(ck.close("dist", lambda: torch.zeros(2038, 1), torch.zeros(2038)))
    assert not res["passed"] and res["message"] == "expected shape (2038,), got (2038, 1)"


def test_close_fails_on_wrong_values_without_revealing_them():
    res = judge(ck.close("v", lambda: torch.tensor([1.0, 5.0]), [1.0, 2.0]))
    assert not res["passed"] and "largest difference 3" in res["message"] and "2.0" not in res["message"]


def test_large_arrays_are_compared_by_sample_and_sum():
    big = ck.rand(100, 300, seed=3)
    assert judge(ck.close("same", lambda: big + 1e-6, big))["passed"]
    assert not judge(ck.close("scaled", lambda: big * 1.01, big))["passed"]
    assert not judge(ck.equal("one element off", lambda: torch.cat([big.flatten()[:-1], torch.tensor([5.0])]).view(100, 300), big))["passed"]


def test_nan_never_passes():
    assert not judge(ck.close("nan", lambda: float("nan"), float("nan")))["passed"]


def test_equal_is_exact_and_type_aware_for_bools():
    assert judge(ck.equal("int", lambda: 3, 3))["passed"]
    assert not judge(ck.equal("bool", lambda: 1, True))["passed"]
    assert judge(ck.equal("tuple with a torch.Size", lambda: (3, torch.Size([2, 3])), (3, (2, 3))))["passed"]
    assert judge(ck.equal("tensor", lambda: torch.tensor([1, 2]), [1, 2]))["passed"]
    assert not judge(ck.equal("tensor", lambda: torch.tensor([1, 3]), [1, 2]))["passed"]


def test_shape_and_true_checks():
    assert judge(ck.shape("s", lambda: torch.zeros(3, 4), (3, 4)))["passed"]
    assert not judge(ck.shape("s", lambda: torch.zeros(4, 3), (3, 4)))["passed"]
    assert judge(ck.true("tensor bool", lambda: torch.tensor(True)))["passed"]
    assert not judge(ck.true("truthy int is not True", lambda: 1))["passed"]
    assert "Hint: look again" in judge(ck.true("cond", lambda: False, hint="look again"))["message"]


def test_an_object_claiming_equality_gets_nothing():
    class AlwaysEqual:
        def __eq__(self, other):
            return True

    assert not judge(ck.equal("sneaky", lambda: AlwaysEqual(), 42))["passed"]
    assert not judge(ck.close("sneaky", lambda: AlwaysEqual(), 4.2))["passed"]


def test_exceptions_become_messages_not_crashes():
    def stub():
        raise NotImplementedError()

    def leave():
        raise SystemExit(0)

    assert "not implemented yet" in judge(ck.equal("stub", stub, 1))["message"]
    assert judge(ck.equal("name", lambda: undefined_name, 1))["message"].startswith("raised NameError")  # noqa: F821
    assert judge(ck.equal("exit", leave, 1))["message"].startswith("raised SystemExit")


def test_infinite_loop_is_stopped_by_the_check_time_limit():
    def forever():
        while True:
            pass

    (outcome,) = ck._run_all([ck.equal("loop", forever, 1)], 0.3)
    assert outcome == {"error": "timed out after 0.3 s (an infinite loop?)", "timeout": True}


def test_checks_after_a_timeout_are_skipped():
    def forever():
        while True:
            pass

    first, hangs, after = ck._run_all([ck.equal("first", lambda: 1, 1), ck.equal("hangs", forever, 1), ck.equal("after", lambda: 1, 1)], 0.2)
    assert "value" in first and hangs["timeout"] and after == {"error": "not run: an earlier check timed out", "skipped": True}


@pytest.fixture
def shown(monkeypatch):
    out = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: out.append(obj))
    for var in (ck.GRADING_ENV, ck.RECORD_ENV):
        monkeypatch.delenv(var, raising=False)
    return out


def test_grading_mode_records_plain_values_and_decides_nothing(shown, monkeypatch):
    monkeypatch.setenv(ck.GRADING_ENV, "1")
    calls = []
    ck.grade(ck.equal("a", lambda: 1, lambda: calls.append("expected computed") or 1), ck.close("b", lambda: torch.ones(2), [1.0, 1.0]))
    bundle = shown[-1][ck.RESULT_MIME]
    assert calls == []  # references are never evaluated in the student's process
    assert bundle == {"version": 2, "values": [{"value": {"t": "int", "v": 1}},
                                              {"value": {"t": "array", "dtype": "float32", "shape": [2], "data": [1.0, 1.0]}}]}
    json.dumps(bundle)


def test_key_mode_records_expected_values_and_tolerances(shown, monkeypatch):
    monkeypatch.setenv(ck.RECORD_ENV, "1")
    ck.grade(ck.close("b", lambda: torch.ones(2), lambda: [1.0, 1.0], atol=0.1, hint="h"))
    (spec,) = shown[-1][ck.RESULT_MIME]["key"]
    assert spec == {"name": "b", "kind": "close", "atol": 0.1, "rtol": 1e-4, "hint": "h", "weight": 1.0,
                    "expected": {"t": "list", "items": [{"t": "float", "v": 1.0}, {"t": "float", "v": 1.0}]}}


def test_in_place_mode_raises_on_a_failed_check(shown, capsys):
    with pytest.raises(AssertionError, match="1 of 2 checks passed"):
        ck.grade(ck.equal("a", lambda: 1, 1), ck.equal("b", lambda: 1, 2))
    assert "FAIL b: got 1" in capsys.readouterr().out


def test_rand_is_deterministic():
    assert torch.equal(ck.rand(3, 4, seed=1), ck.rand(3, 4, seed=1))
    assert not torch.equal(ck.rand(3, 4, seed=1), ck.rand(3, 4, seed=2))
