import json

import numpy as np
import pytest
import torch

from autograde import checks as ck
from autograde.values import encode


def judge(check, solution, seconds=2):
    """Verdict of one check: the student's `check` against a key recorded from `solution` on the same inputs."""
    (outcome,) = ck._run_all([check], seconds)
    key = ck.Check(check.name, solution, check.kind, check.atol, check.rtol, check.hint, check.weight, check.low, check.high)
    (recorded,) = ck._run_all([key], seconds)
    return ck.verdicts([check.spec()], [outcome], [recorded.get("value")])[0]


def test_close_passes_within_tolerance_for_tensors_arrays_and_scalars():
    assert judge(ck.close("t", lambda: torch.tensor([1.0, 2.0])), lambda: torch.tensor([1.0, 2.00001]))["passed"]
    assert judge(ck.close("np scalar", lambda: np.float32(0.5)), lambda: 0.5)["passed"]
    assert judge(ck.close("a float where a 0-d tensor came back", lambda: 0.5), lambda: torch.tensor(0.5))["passed"]


def test_close_reports_shape_mismatch_in_student_words():
    res = judge(ck.close("dist", lambda: torch.ones(3, 4)), lambda: torch.ones(4, 3))
    assert res["credit"] == 0 and res["message"] == "expected shape (4, 3), got (3, 4)"


def test_a_broken_contract_with_the_right_values_earns_half():
    col = judge(ck.close("column for a vector", lambda: torch.zeros(2038, 1)), lambda: torch.zeros(2038))
    assert (col["credit"], col["message"]) == (0.5, "right values, but expected shape (2038,), got (2038, 1)")
    tensor_for_float = judge(ck.close("tensor for a float", lambda: torch.tensor(0.25)), lambda: 0.25)
    assert tensor_for_float["credit"] == 0.5 and "a tensor where a number is expected" in tensor_for_float["message"]
    list_for_tensor = judge(ck.close("list for a tensor", lambda: [1.0, 2.0]), lambda: torch.tensor([1.0, 2.0]))
    assert list_for_tensor["credit"] == 0.5
    assert judge(ck.close("wrong values in the wrong form", lambda: [1.0, 3.0]), lambda: torch.tensor([1.0, 2.0]))["credit"] == 0


def test_close_fails_on_wrong_values_without_revealing_them():
    res = judge(ck.close("v", lambda: torch.tensor([1.0, 5.0])), lambda: torch.tensor([1.0, 2.0]))
    assert not res["passed"] and "largest difference 3" in res["message"] and "2.0" not in res["message"]


def test_an_absolute_tolerance_is_not_swamped_by_rtol_when_rtol_is_zero():
    assert not judge(ck.close("rounded to 4 places", lambda: 123.45678, atol=1e-7, rtol=0), lambda: 123.4568)["passed"]
    assert judge(ck.close("rounded to 4 places", lambda: 123.4568, atol=1e-7, rtol=0), lambda: 123.4568)["passed"]


def test_large_arrays_are_compared_by_sample_and_sum():
    big = ck.rand(100, 300, seed=3)
    assert judge(ck.close("same", lambda: big + 1e-6), lambda: big)["passed"]
    assert not judge(ck.close("scaled", lambda: big * 1.01), lambda: big)["passed"]
    assert not judge(ck.equal("one element off", lambda: torch.cat([big.flatten()[:-1], torch.tensor([5.0])]).view(100, 300)), lambda: big)["passed"]


def test_nan_never_passes():
    assert not judge(ck.close("nan", lambda: float("nan")), lambda: float("nan"))["passed"]


def test_equal_is_exact_and_type_aware_for_bools():
    assert judge(ck.equal("int", lambda: 3), lambda: 3)["passed"]
    assert not judge(ck.equal("bool", lambda: 1), lambda: True)["passed"]
    assert judge(ck.equal("tuple with a torch.Size", lambda: (3, torch.Size([2, 3]))), lambda: (3, (2, 3)))["passed"]
    assert judge(ck.equal("tensor", lambda: torch.tensor([1, 2])), lambda: torch.tensor([1, 2]))["passed"]
    assert not judge(ck.equal("tensor", lambda: torch.tensor([1, 3])), lambda: torch.tensor([1, 2]))["passed"]
    assert judge(ck.equal("float 0/1 labels for int labels", lambda: torch.tensor([1.0, 0.0])), lambda: torch.tensor([1, 0]))["passed"]


def test_shape_condition_and_range_checks_pay_only_beside_a_right_value():
    def cell(student_value, shape_of, cond, acc):
        specs = [ck.close("value", lambda: student_value), ck.shape("shape", lambda: shape_of), ck.true("cond", lambda: cond),
                 ck.between("accuracy", lambda: acc, 0.9)]
        outcomes = ck._run_all(specs, 2)
        key = ck._run_all([ck.close("value", lambda: torch.ones(3)), ck.shape("shape", lambda: torch.zeros(3, 4))], 2)
        return ck.verdicts([c.spec() for c in specs], outcomes, [k.get("value") for k in key] + [None, None])

    right = cell(torch.ones(3), torch.zeros(3, 4), True, 0.95)
    assert [r["credit"] for r in right] == [1.0, 1.0, 1.0, 1.0]
    duck = cell(torch.zeros(3), torch.zeros(3, 4), True, 1.0)
    assert [r["credit"] for r in duck] == [0.0, 0.0, 0.0, 0.0] and "values are right" in duck[1]["message"]
    low = cell(torch.ones(3), torch.zeros(4, 3), 1, 0.5)
    assert [r["credit"] for r in low] == [1.0, 0.0, 0.0, 0.0] and low[3]["message"] == "got 0.5, expected at least 0.9"
    assert "Hint: look again" in ck.verdicts([ck.true("c", lambda: 1, hint="look again").spec()], [{"value": {"t": "bool", "v": False}}], [None])[0]["message"]


def test_hidden_tests_take_no_expected_value():
    for make in (ck.close, ck.equal, ck.shape):
        with pytest.raises(TypeError, match="take no expected value"):
            make("x", lambda: 1, 1)


def test_given_binds_reference_names_for_the_call_only():
    namespace = {"helper": "student's", "solve": None}
    exec("def solve():\n    return helper()", namespace)
    with ck.given(namespace, helper=lambda: "reference", extra=1):
        assert namespace["solve"]() == "reference" and namespace["extra"] == 1
    assert namespace["helper"] == "student's" and "extra" not in namespace


def test_an_object_claiming_equality_gets_nothing():
    class AlwaysEqual:
        def __eq__(self, other):
            return True

        shape = (3, 4)

        def __bool__(self):
            return True

    assert not judge(ck.equal("sneaky", lambda: AlwaysEqual()), lambda: 42)["credit"]
    assert not judge(ck.close("sneaky", lambda: AlwaysEqual()), lambda: 4.2)["credit"]
    assert not judge(ck.shape("sneaky shape", lambda: AlwaysEqual()), lambda: torch.zeros(3, 4))["credit"]
    assert not judge(ck.true("truthy", lambda: AlwaysEqual()), lambda: True)["credit"]


def test_exceptions_become_messages_not_crashes():
    def stub():
        raise NotImplementedError()

    def leave():
        raise SystemExit(0)

    assert "not implemented yet" in judge(ck.equal("stub", stub), lambda: 1)["message"]
    assert judge(ck.equal("name", lambda: undefined_name), lambda: 1)["message"].startswith("raised NameError")  # noqa: F821
    assert judge(ck.equal("exit", leave), lambda: 1)["message"].startswith("raised SystemExit")


def test_infinite_loop_is_stopped_by_the_check_time_limit():
    def forever():
        while True:
            pass

    (outcome,) = ck._run_all([ck.equal("loop", forever)], 0.3)
    assert outcome == {"error": "timed out after 0.3 s (an infinite loop?)", "timeout": True}


def test_checks_after_a_timeout_are_skipped():
    def forever():
        while True:
            pass

    first, hangs, after = ck._run_all([ck.equal("first", lambda: 1), ck.equal("hangs", forever), ck.equal("after", lambda: 1)], 0.2)
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
    ck.grade(ck.equal("a", lambda: 1), ck.close("b", lambda: torch.ones(2)))
    bundle = shown[-1][ck.RESULT_MIME]
    assert bundle == {"version": ck.VERSION, "values": [{"value": {"t": "int", "v": 1}},
                      {"value": {"t": "array", "lib": "torch", "dtype": "float32", "shape": [2], "data": [1.0, 1.0]}}]}
    json.dumps(bundle)


def test_key_mode_records_the_solution_result_and_tolerances(shown, monkeypatch):
    monkeypatch.setenv(ck.RECORD_ENV, "1")
    ck.grade(ck.close("b", lambda: [1.0, 1.0], atol=0.1, hint="h"), ck.between("acc", lambda: 0.95, 0.9))
    spec, acc = shown[-1][ck.RESULT_MIME]["key"]
    assert spec == {"name": "b", "kind": "close", "atol": 0.1, "rtol": 1e-4, "hint": "h", "weight": 1.0,
                    "expected": {"t": "list", "items": [{"t": "float", "v": 1.0}, {"t": "float", "v": 1.0}]}}
    assert (acc["kind"], acc["low"], acc["high"]) == ("between", 0.9, None)


def test_key_mode_raises_when_the_solution_fails_a_condition(shown, monkeypatch):
    monkeypatch.setenv(ck.RECORD_ENV, "1")
    with pytest.raises(AssertionError, match="1 of 2 checks passed"):
        ck.grade(ck.equal("a", lambda: 1), ck.between("acc", lambda: 0.5, 0.9))


def test_in_place_mode_raises_on_an_error_or_a_failed_condition(shown, capsys):
    def broken():
        raise ValueError("bad")

    with pytest.raises(AssertionError, match="1 of 3 checks passed"):
        ck.grade(ck.equal("a", lambda: 1), ck.equal("b", broken), ck.true("c", lambda: False))
    assert "FAIL b: raised ValueError: bad" in capsys.readouterr().out


def test_rand_is_deterministic():
    assert torch.equal(ck.rand(3, 4, seed=1), ck.rand(3, 4, seed=1))
    assert not torch.equal(ck.rand(3, 4, seed=1), ck.rand(3, 4, seed=2))


def test_the_check_limit_counts_cpu_time_and_a_sleeping_hang_meets_the_wall_backstop():
    import time

    (sleeper,) = ck._run_all([ck.equal("sleeps", lambda: time.sleep(30))], 0.5)
    assert sleeper["timeout"]
    start = time.process_time()
    # 0.75 s of wall time, almost no CPU: within the 0.5 s CPU limit, and 1.25 s inside the 2 s wall backstop
    # (a busy machine delays waking from a sleep by milliseconds, not by a second)
    (slow_but_idle,) = ck._run_all([ck.equal("waits a little", lambda: time.sleep(0.75) or 1)], 0.5)
    assert slow_but_idle == {"value": {"t": "int", "v": 1}}
    assert time.process_time() - start < 0.5
