"""The chapter 4 questionnaire graded through `autograde grade`: per-question scores, review, no rubric leaks."""
import pytest

from autograde import leaks
from tests.grading import example_fixtures
from tests.paths import REPO

A = "04_questionnaire"
FULL = 133.0


graded, course, grades = example_fixtures(A)


def test_model_answers_get_full_marks_and_a_blank_questionnaire_zero(grades):
    assert (grades["example-complete"]["total"], grades["example-complete"]["max"]) == (FULL, FULL)
    blank = grades["example-untouched"]
    assert blank["status"] == "graded" and blank["total"] == 0.0 and len(blank["cells"]) == 37
    assert {c["status"] for c in blank["cells"].values()} == {"failed"}


def test_each_question_gets_a_teachers_verdict_and_a_reason(grades):
    cells = grades["example-mixed"]["cells"]
    lost = {gid: (c["score"], c["status"]) for gid, c in cells.items() if c["status"] in ("partial", "failed")}
    assert lost == {
        "q04_09": (2.0, "partial"),   # builds and doubles, but takes the top-left block: half, as a teacher would
        "q04_20": (0.0, "failed"),    # a bare list of key words
        "q04_26": (0.0, "failed"),    # the code loops forever
    }
    assert cells["q04_22"]["status"] == "review"            # another language: an instructor decides
    assert cells["q04_07"]["status"] in ("review", "failed")  # wrong definitions are never passed
    assert {c["status"] for gid, c in cells.items() if gid not in lost and gid not in ("q04_07", "q04_22")} == {"passed"}
    assert all(c["score"] == c["max"] for c in cells.values() if c["status"] == "passed")
    assert "did not finish within 10 s" in cells["q04_26"]["message"]
    assert "[:2, :2]" not in cells["q04_09"]["message"] and "bottom right" in cells["q04_09"]["message"].lower()


def test_unsure_answers_wait_for_an_instructor_whose_score_wins(course):
    from nbgrader.api import Gradebook

    from autograde.grade import collect, _grade_cells

    db = f"sqlite:///{course / 'gradebook.db'}"
    with Gradebook(db) as gb:
        grade = gb.find_grade("q04_22", A, A, "example-mixed")
        assert grade.needs_manual_grade and 0.0 <= grade.auto_score <= 3.0
        grade.manual_score = 3.0
        gb.db.commit()
        cells = _grade_cells(gb, A)
    res = collect(course, A, "example-mixed", db, cells)
    assert res["cells"]["q04_22"]["score"] == 3.0 and res["cells"]["q04_22"]["status"] == "manual"


def test_feedback_and_release_show_no_rubric(course):
    secrets = leaks.rubric_secrets("04")
    blank = course / "feedback" / "example-untouched" / A / f"{A}.html"
    assert leaks.find_leaks([blank, REPO / "release" / A / f"{A}.ipynb"], secrets) == []
    assert leaks.find_leaks(sorted((course / "feedback").rglob("*.html")), leaks.rubric_phrasings("04")) == []
    mixed = (course / "feedback" / "example-mixed" / A / f"{A}.html").read_text()
    assert "Grader:" in mixed and "REVIEW:" in mixed
