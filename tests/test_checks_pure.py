"""The pure parts of autograde/checks.py, pinned whole: what is recorded, how outcomes become verdicts, the
gate on shape/condition/range checks, hints, and the in-place (no key) judgement (issue 12)."""
import numpy as np
import torch

from autograde import checks as ck
from autograde.values import encode


def test_a_shape_is_recorded_for_torch_numpy_and_fastai_values_only():
    from fastai.torch_core import TensorBase

    check = ck.shape("s", lambda: None)
    assert ck._recordable(check, torch.nn.Parameter(torch.zeros(2, 5))) == {"t": "shape", "v": [2, 5]}  # module torch.nn.parameter
    assert ck._recordable(check, TensorBase(torch.zeros(4))) == {"t": "shape", "v": [4]}                  # module fastai.torch_core
    assert ck._recordable(check, np.float32(1.0)) == {"t": "shape", "v": []}
    assert ck._recordable(check, torch.Size([2, 3])) == {"t": "shape", "v": [2]}

    class Fake:
        shape = (3, 4)

    assert ck._recordable(check, Fake()) == {"t": "other", "type": "Fake"}
    assert ck._recordable(check, (3, 4)) == {"t": "other", "type": "tuple"}


def test_values_and_conditions_are_recorded_as_plain_data():
    assert ck._recordable(ck.close("v", lambda: None), torch.tensor([1.5])) == encode(torch.tensor([1.5]))
    assert ck._recordable(ck.between("b", lambda: None, 0), 0.5) == {"t": "float", "v": 0.5}
    assert ck._recordable(ck.true("c", lambda: None), np.True_) == {"t": "bool", "v": True}
    assert ck._recordable(ck.true("c", lambda: None), torch.Size([1])) == {"t": "bool", "v": False}
    assert ck._truth(torch.Size([1])) is False and ck._truth(torch.zeros(1, dtype=torch.bool)) is False


def test_verdicts_accept_check_objects_as_well_as_specs():
    check = ck.equal("a", lambda: 1, hint="count again", weight=2.0)
    (ok,) = ck.verdicts([check], [{"value": encode(1)}], [encode(1)])
    assert ok == {"name": "a", "kind": "equal", "weight": 2.0, "passed": True, "credit": 1.0, "message": ""}
    (bad,) = ck.verdicts([check], [{"value": encode(2)}], [encode(1)])
    assert bad["message"] == "got 2. Hint: count again" and bad["passed"] is False


def test_an_unreadable_value_is_a_failed_check_named_by_its_error():
    spec = {"name": "v", "kind": "close", "hint": ""}
    garbled = {"t": "array", "dtype": "float32", "shape": [9], "data": [1.0]}
    (result,) = ck.verdicts([spec], [{"value": garbled}], [encode([1.0])])
    assert result == {"name": "v", "kind": "close", "weight": 1.0, "passed": False, "credit": 0.0,
                      "message": "the result could not be read (ValueError)"}


def test_an_error_outcome_keeps_its_flags_and_a_bounded_message():
    spec = {"name": "e", "kind": "equal", "hint": "look"}
    (plain,) = ck.verdicts([spec], [{"error": "raised ValueError: " + "x" * 400}], [encode(1)])
    assert plain == {"name": "e", "kind": "equal", "weight": 1.0, "passed": False, "credit": 0.0,
                     "message": ("raised ValueError: " + "x" * 400)[:300] + ". Hint: look", "timeout": False, "skipped": False}
    (empty,) = ck.verdicts([spec], [{}], [encode(1)])
    assert empty["message"] == "no result. Hint: look"
    timed, skipped = ck.verdicts([spec, spec], [{"error": "timed out", "timeout": True},
                                                {"error": "not run", "skipped": True}], [encode(1), encode(1)])
    assert (timed["message"], timed["timeout"], timed["skipped"]) == ("timed out", True, False)    # no hint on a hang
    assert (skipped["message"], skipped["timeout"], skipped["skipped"]) == ("not run", False, True)


def _cell(value_right, shape_right, cond):
    specs = [{"name": "value", "kind": "close", "hint": ""}, {"name": "shape", "kind": "shape", "hint": ""},
             {"name": "cond", "kind": "true", "hint": ""}]
    outcomes = [{"value": encode(1.0 if value_right else 2.0)}, {"value": {"t": "shape", "v": [3, 4] if shape_right else [4, 3]}},
                {"value": encode(cond)}]
    return ck.verdicts(specs, outcomes, [encode(1.0), {"t": "shape", "v": [3, 4]}, None])


def test_gated_checks_pay_nothing_and_do_not_pass_without_a_right_value():
    value, shape, cond = _cell(False, True, True)
    gated = "counts once this exercise's values are right"
    assert (shape["credit"], shape["passed"], shape["message"]) == (0.0, False, gated)
    assert (cond["credit"], cond["passed"], cond["message"]) == (0.0, False, gated)
    assert value["passed"] is False


def test_a_failed_gated_check_keeps_its_own_message():
    value, shape, cond = _cell(False, False, False)
    assert shape["message"] == "expected shape (3, 4), got (4, 3)" and cond["message"] == "condition not met"
    value, shape, cond = _cell(True, True, True)
    assert [r["passed"] for r in (value, shape, cond)] == [True, True, True]


def test_in_place_judgement_without_a_key():
    checks = [ck.equal("ran", lambda: 1), ck.close("odd", lambda: 1), ck.equal("none", lambda: 1),
              ck.true("cond", lambda: 1), ck.between("acc", lambda: 1, 0.9)]
    outcomes = [{"value": encode(5)}, {"value": {"t": "other", "type": "Learner"}}, {},
                {"value": encode(False)}, {"value": encode(0.5)}]
    assert ck._in_place(checks, outcomes) == [
        {"name": "ran", "passed": True, "message": ""},
        {"name": "odd", "passed": False, "message": "got an object of type Learner"},
        {"name": "none", "passed": False, "message": "no result"},
        {"name": "cond", "passed": False, "message": "condition not met"},
        {"name": "acc", "passed": False, "message": "got 0.5, expected at least 0.9"},
    ]
    assert ck._in_place([ck.true("c", lambda: 1)], [{"value": encode(True)}]) == [{"name": "c", "passed": True, "message": ""}]
    assert ck._in_place([ck.equal("e", lambda: 1)], [{"error": "raised KeyError: 'x'"}]) == [
        {"name": "e", "passed": False, "message": "raised KeyError: 'x'"}]
