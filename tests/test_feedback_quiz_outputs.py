"""Questionnaire code answers appear in the graded copy with what their sandboxed run produced; titles name
questions by number; the verdict text lists one message per line."""
import base64

import nbformat
import pytest

from autograde import nbsteps, quizgrade
from autograde.quiz import runner
from autograde.values import encode
from tests.paths import REPO

RELEASED = REPO / "release" / "04_questionnaire" / "04_questionnaire.ipynb"


def _released():
    return nbformat.read(str(RELEASED), as_version=4)


def _cell(nb, gid):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def test_titles_name_questions_by_number_and_exercises_by_heading():
    titles = nbsteps.cell_titles(_released())
    assert titles["q04_21"].startswith("Question 04-21: Plot the sigmoid")
    exercise = nbsteps.cell_titles(nbformat.read(str(REPO / "release" / "04_mnist_basics" / "04_mnist_basics.ipynb"), 4))
    assert exercise["test_ex0_by_hand"].startswith("Exercise 0.1")


def test_verdict_text_puts_each_check_message_on_its_own_line():
    cell = nbformat.v4.new_code_cell("", metadata={"nbgrader": {"grade": True, "solution": False, "grade_id": "t1"}})
    cell.metadata[nbsteps.META_KEY] = {"score": 1.0, "max": 3.0, "status": "partial",
                                      "message": "double of an int: got 40; double of a string repeats it: got 0"}
    text = nbsteps.verdict_text(cell, "Exercise 1")
    assert text.splitlines() == ["Exercise 1 (t1) - PARTIAL: 1 of 3 points", "- double of an int: got 40",
                                 "- double of a string repeats it: got 0"]


def test_code_outputs_show_the_recorded_value_and_error_without_running_anything():
    nb = _released()
    cell = _cell(nb, "q04_09")
    cell.source = "t = torch.tensor([[1,2,3],[4,5,6],[7,8,9]])\nt"
    quizgrade.companions(nb)
    item = quizgrade._code_item(cell, None)
    assert item is not None
    quizgrade._batch.reports = {runner._key(*item): {"ok": True, "final": encode([[1, 2, 3], [4, 5, 6]])}}
    shown = quizgrade.code_outputs(cell)
    assert shown[0]["data"]["text/plain"] == "[[1, 2, 3], [4, 5, 6]]"
    quizgrade._batch.reports = {runner._key(*item): {"ok": False, "error": "NameError: name 'torch' is not defined"}}
    shown = quizgrade.code_outputs(cell)
    assert shown[0]["name"] == "stderr" and "NameError: name 'torch' is not defined" in shown[0]["text"]


def test_an_unanswered_code_question_gets_no_outputs():
    nb = _released()
    quizgrade.companions(nb)
    quizgrade._batch.reports = {}
    assert quizgrade.code_outputs(_cell(nb, "q04_34")) is None


@pytest.mark.slow
def test_a_plot_answer_shows_its_plot_redrawn_from_the_sandboxed_run():
    nb = _released()
    code, answer = _cell(nb, "q04_21_code"), _cell(nb, "q04_21")
    code.source = "import torch\nimport matplotlib.pyplot as plt\nx = torch.linspace(-5, 5, 100)\nplt.plot(x, torch.sigmoid(x))"
    answer.source = "An S-shaped curve that increases smoothly and squashes every input between 0 and 1."
    found = quizgrade.companions(nb, None, "off")  # the runner's sandbox policy: this test checks the outputs
    assert found["q04_21"] is code
    verdict, _ = quizgrade.verdict(answer, code)
    nbsteps._show_quiz_code_outputs(nb, found)
    pngs = [o["data"]["image/png"] for o in code.outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == 1 and base64.b64decode(pngs[0]).startswith(b"\x89PNG"), (verdict, code.outputs)


def test_objects_the_grader_cannot_show_are_named_by_type():
    nb = _released()
    cell = _cell(nb, "q04_34")
    cell.source = "x = torch.linspace(-2, 2, 50)\nplt.plot(x, F.relu(x))"
    quizgrade.companions(nb)
    item = quizgrade._code_item(cell, None)
    line = {"x": encode([0.0, 1.0]), "y": encode([0.0, 1.0])}
    quizgrade._batch.reports = {runner._key(*item): {"ok": True, "final": {"t": "list", "items": [{"t": "other", "type": "Line2D"}]},
                                                     "lines": [line]}}
    shown = quizgrade.code_outputs(cell)
    assert shown[0]["data"]["text/plain"] == "[<Line2D>]"
    assert base64.b64decode(shown[1]["data"]["image/png"]).startswith(b"\x89PNG")
