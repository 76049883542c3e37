"""Questionnaire notebooks are built from the rubrics, and every model answer earns full marks."""
import pytest

from autograde import notebooks
from autograde.quiz import score_answer
from autograde.quiz.notebook import build
from autograde.quiz.rubric import chapters, load
from tests.paths import REPO


@pytest.mark.parametrize("chapter", chapters())
def test_every_model_answer_is_correct_with_full_points(chapter):
    wrong = []
    for q, question in sorted(load(chapter).questions.items()):
        res = score_answer(chapter, q, question.model_answer)
        # the rubric's own answer is never partial or incorrect; the grader may still ask an instructor
        # (without the sentence model the combiner is less sure), but a decided verdict earns full points
        if res["verdict"] not in ("correct", "review") or res["verdict"] == "correct" and res["points"] != res["max"]:
            wrong.append((q, res["verdict"], res["points"], res["max"], res["feedback"]))
    assert wrong == []


@pytest.mark.parametrize("chapter", chapters())
def test_committed_questionnaire_matches_its_rubric(chapter):
    path = REPO / "source" / f"{chapter}_questionnaire" / f"{chapter}_questionnaire.ipynb"
    assert path.is_file(), f"run `autograde questionnaire {chapter}` then `autograde release`"
    committed = notebooks.read(path)
    fresh = build(chapter)
    assert [c.source for c in committed.cells] == [c.source for c in fresh.cells]
    assert [c.metadata for c in committed.cells] == [c.metadata for c in fresh.cells]
