"""The formgrader sees each verdict; a manual score survives regrading unflagged; feedback is regenerated without
regrading and says who scored a cell (toy course: seconds, no fastai)."""
import json
import re
import shutil

import nbformat
import pytest

from autograde import feedback, report
from autograde.cli import main
from tests.toy_course import ASSIGNMENT, REPO, make_course, submission

pytestmark = pytest.mark.slow

RIGHT = {"ex_double": "def double(x):\n    return x * 2", "ex_mean": "def mean_rows(t):\n    return t.mean(-1)"}
WRONG_ON_STRINGS = {**RIGHT, "ex_double": "def double(x):\n    return x + x if isinstance(x, int) else 0"}
COMMENT = "Strings were not asked for in class; full marks."


def with_student_config(course):
    """The course config loads student/nbgrader_config.py when the kit has one: copy it beside."""
    found = REPO / "student" / "nbgrader_config.py"
    if found.is_file():
        (course / "student").mkdir(exist_ok=True)
        shutil.copy(found, course / "student" / found.name)
    return course


def _db(course):
    return f"sqlite:///{course / 'gradebook.db'}"


def _grade(course, *extra):
    out = course / "grades.json"
    assert main(["grade", ASSIGNMENT, "--json", str(out), "--check-timeout", "5", "--sandbox", "off", "--jobs", "1", *extra]) == 0
    return json.loads(out.read_text())


def _row(course, student="bob"):
    """(grade of test_double, comment of ex_double) as the formgrader stores them."""
    from nbgrader.api import Gradebook

    with Gradebook(_db(course)) as gb:
        grade = gb.find_grade("test_double", ASSIGNMENT, ASSIGNMENT, student)
        comment = gb.find_comment("ex_double", ASSIGNMENT, ASSIGNMENT, student)
        return ({"auto": grade.auto_score, "manual": grade.manual_score, "flag": grade.needs_manual_grade},
                {"auto": comment.auto_comment, "manual": comment.manual_comment})


def _score_by_hand(course, score, note):
    """What the formgrader does when an instructor enters a score and a comment (nbgrader's API handlers)."""
    from nbgrader.api import Gradebook

    with Gradebook(_db(course)) as gb:
        grade = gb.find_grade("test_double", ASSIGNMENT, ASSIGNMENT, "bob")
        grade.manual_score = score
        grade.needs_manual_grade = False
        gb.find_comment("ex_double", ASSIGNMENT, ASSIGNMENT, "bob").manual_comment = note
        gb.db.commit()


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    """A toy course graded once, scored by hand, regraded, its feedback regenerated; then bob fixes his code."""
    course = with_student_config(make_course(tmp_path_factory.mktemp("loop")))
    mp = pytest.MonkeyPatch()
    mp.chdir(course)
    try:
        assert main(["release"]) == 0
        submission(course, "bob", WRONG_ON_STRINGS)
        submission(course, "frank", {})  # the untouched release
        first = _grade(course)
        seen = {"first": first, "row_first": _row(course)}
        graded = nbformat.read(str(course / "graded" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), as_version=4)
        seen["graded_test_cell"] = next(c for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_double")
        _score_by_hand(course, 3.0, COMMENT)
        seen["regraded"] = _grade(course, "--regrade")
        seen["row_regraded"] = _row(course)
        seen["manual_json"] = report.instructor_cells(course, ASSIGNMENT, "bob", _db(course))
        html = course / "feedback" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.html"
        html.unlink()
        seen["regenerated"] = feedback.regenerate(course, ASSIGNMENT)
        seen["feedback"] = html.read_text()
        seen["stamped"] = sorted(p.name for p in html.parent.iterdir())
        seen["feedback_frank"] = (course / "feedback" / "frank" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        submission(course, "bob", RIGHT)  # a new submission: the automatic verdict changes
        seen["changed"] = _grade(course)
        seen["row_changed"] = _row(course)
    finally:
        mp.undo()
    return seen


def test_formgrader_comment_holds_the_verdict_and_its_messages(loop):
    grade, comment = loop["row_first"]
    assert grade == {"auto": 2.0, "manual": None, "flag": False}
    assert "test_double" in comment["auto"] and "PARTIAL: 2 of 3 points" in comment["auto"]
    assert "- double of a string repeats it: got 0" in comment["auto"]


def test_graded_test_cell_shows_the_verdict_beside_the_recorded_result(loop):
    shown = "".join(o.get("text", "") for o in loop["graded_test_cell"].outputs if o.get("output_type") == "stream")
    assert "PARTIAL: 2 of 3 points" in shown and "double of a string repeats it" in shown


def test_regrade_keeps_the_manual_score_and_does_not_flag_it_again(loop):
    grade, comment = loop["row_regraded"]
    assert grade == {"auto": 2.0, "manual": 3.0, "flag": False}
    assert comment["manual"] == COMMENT
    cell = loop["regraded"]["bob"]["cells"]["test_double"]
    assert cell["score"] == 3.0 and cell["status"] == "manual"


def test_json_says_the_instructor_scored_it_with_the_comment(loop):
    entry = loop["manual_json"]["test_double"]
    assert entry["scored_by"] == "instructor" and entry["manual_comment"] == COMMENT and entry["message"] == COMMENT
    assert entry["auto_status"] == "partial"
    assert set(loop["manual_json"]) == {"test_double"}


def test_feedback_is_regenerated_without_regrading_and_names_the_instructor(loop):
    assert set(loop["regenerated"]) == {"bob", "frank"}
    html = loop["feedback"]
    assert "SCORED BY THE INSTRUCTOR: 3 of 3 points" in html and COMMENT in html
    assert "PARTIAL: 2 of 3 points" not in html and "will be read by an instructor" not in html


def test_regenerated_feedback_can_be_released(loop):
    assert "timestamp.txt" in loop["stamped"]  # nbgrader's Release Feedback reads it beside the HTML


def test_a_changed_automatic_result_flags_the_manual_score_again(loop):
    grade, _ = loop["row_changed"]
    assert grade["auto"] == 3.0 and grade["manual"] == 3.0 and grade["flag"] is True


def test_feedback_summary_names_cells_and_an_untouched_notebook_says_not_answered(loop):
    html = loop["feedback_frank"]
    plain = re.sub(r"<[^>]+>", "", re.sub(r"<style.*?</style>", "", html, flags=re.S))
    assert "Test cell" not in plain and "test_double" in plain and "test_mean" in plain
    assert plain.count("NOT ANSWERED") == 2 and "Not answered." in plain
    assert "Traceback" not in plain and "most recent call last" not in plain


def test_feedback_shows_a_students_error_in_one_line():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1/0", outputs=[nbformat.v4.new_output(
        "error", ename="ZeroDivisionError", evalue="division by zero", traceback=["Traceback (most recent call last)", "..."])])])
    from autograde.nbsteps import HideHiddenTests

    out, _ = HideHiddenTests().preprocess(nb, {})
    assert out.cells[0].outputs == [nbformat.v4.new_output("stream", name="stderr", text="ZeroDivisionError: division by zero\n")]


def test_feedback_messages_wrap_one_per_line(loop):
    html = loop["feedback"] if "white-space: pre-wrap" in loop["feedback"] else ""
    assert html, "the feedback page must wrap long output lines"
