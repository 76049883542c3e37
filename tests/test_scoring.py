import pytest

from autograde.checks import RESULT_MIME
from autograde.scoring import verdict_from_outputs


def result(fraction, checks=()):
    return {"output_type": "display_data", "metadata": {}, "data": {RESULT_MIME: {"fraction": fraction, "checks": list(checks)}, "text/plain": "x"}}


STDERR = {"output_type": "stream", "name": "stderr", "text": "FutureWarning: something is deprecated\n"}


def test_partial_credit_from_the_result_fraction():
    v = verdict_from_outputs([result(0.5, [{"name": "b", "passed": False, "message": "got 3"}])], 4)
    assert (v.score, v.max, v.status) == (2.0, 4, "partial")
    assert v.message == "b: got 3"


def test_library_warning_on_stderr_does_not_zero_a_cell():
    assert verdict_from_outputs([STDERR, result(1.0)], 3).score == 3


def test_tensor_text_output_is_never_read_as_a_score():
    text = {"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": {"text/plain": "tensor(0.5)"}}
    v = verdict_from_outputs([text], 2)
    assert (v.score, v.status) == (0.0, "error")
    assert verdict_from_outputs([{**text, "data": {"text/plain": "2.0"}}], 2).score == 0.0


@pytest.mark.parametrize("bad", ["1.0", float("nan"), 1.5, -0.1, None, True])
def test_malformed_fraction_is_an_error_never_full_marks(bad):
    v = verdict_from_outputs([result(bad)], 2)
    assert (v.score, v.status) == (0.0, "error")
    assert "invalid result" in v.message


def test_error_output_and_timeouts_have_reasons():
    err = {"output_type": "error", "ename": "ZeroDivisionError", "evalue": "division by zero", "traceback": []}
    assert verdict_from_outputs([err], 2).message == "ZeroDivisionError: division by zero"
    timeout = {**err, "ename": "CellTimeoutError", "evalue": ""}
    assert verdict_from_outputs([timeout], 2).status == "timeout"


def test_a_timed_out_check_zeroes_the_cell_with_the_reason():
    checks = [{"name": "ok", "passed": True, "message": ""}, {"name": "a", "passed": False, "message": "timed out after 2 s", "timeout": True}]
    v = verdict_from_outputs([result(0.5, checks)], 2)
    assert (v.score, v.status, v.message) == (0.0, "timeout", "a: timed out after 2 s")


def test_no_result_at_all_scores_zero_with_a_reason():
    v = verdict_from_outputs([], 2)
    assert v.score == 0 and "no result" in v.message
