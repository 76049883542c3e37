"""A questionnaire graded through `autograde grade`: each flagged answer's reason, credited ideas and hints reach
the formgrader's comment (never the rubric), code answers carry their outputs, feedback names the questions."""
import re

import nbformat
import pytest

from autograde import leaks
from autograde.nbsteps import comment_anchors
from tests.grading import grade_examples

A = "04_questionnaire"
STUDENT = "example-mixed"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_examples(tmp_path_factory, A, "--jobs", "1", students=[STUDENT])


def _comments(course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        nb = gb.find_submission(A, STUDENT).notebooks[0]
        return ({g.name: g.needs_manual_grade for g in nb.grades}, {c.name: c.auto_comment or "" for c in nb.comments})


def test_flagged_answers_show_their_reason_and_hints_in_the_formgrader(graded, tmp_path):
    course, grades = graded
    flags, comments = _comments(course)
    cells = grades[STUDENT]["cells"]
    flagged = {gid for gid, flag in flags.items() if flag}
    assert flagged == {gid for gid, c in cells.items() if c["status"] == "review"} and "q04_22" in flagged
    for gid in flagged:
        assert f"({gid}) - REVIEW: " in comments[gid] and cells[gid]["message"] in comments[gid]
    assert "Credited:" in comments["q04_22"] and "To improve:" in comments["q04_22"]
    assert "did not finish within 10 s" in comments["q04_26"]
    shown = tmp_path / "comments.txt"
    shown.write_text("\n".join(comments.values()), encoding="utf-8")
    released = (course / "release" / A / f"{A}.ipynb").read_text()
    # the feedback's standard: no phrasing or model answer (hints are written for students and may share words)
    assert leaks.find_leaks([shown], leaks.rubric_secrets("04", shown=released)) == []


def test_code_answers_carry_their_sandboxed_outputs_in_the_graded_copy(graded):
    course, _ = graded
    nb = nbformat.read(str(course / "graded" / STUDENT / A / f"{A}.ipynb"), as_version=4)
    by = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    assert any("image/png" in o.get("data", {}) for o in by["q04_21_code"].outputs)  # the sigmoid plot
    assert any("image/png" in o.get("data", {}) for o in by["q04_34"].outputs)       # the ReLU plot
    assert "did not finish" in "".join(o.get("text", "") for o in by["q04_26"].outputs)
    assert by["q04_04"].outputs and "[2, 6, 10, 14, 18]" in by["q04_04"].outputs[0]["data"]["text/plain"]
    assert set(comment_anchors(nb).values()) <= {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                                                 if c.metadata.get("nbgrader", {}).get("solution")}


def test_feedback_summary_names_each_question(graded):
    course, _ = graded
    html = (course / "feedback" / STUDENT / A / f"{A}.html").read_text()
    toc = re.sub(r"<[^>]+>", "", re.search(r'<div id="toc">(.*?)</div>', html, re.S).group(1))
    assert "Written response" not in toc and "Coding free-response" not in toc
    assert toc.count("Question 04-") == 37 and "q04_22, review" in toc
