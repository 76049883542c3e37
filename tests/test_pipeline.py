"""The release -> grade -> feedback pipeline on a tiny course (seconds, no fastai)."""
import json
import re

import pytest

from autograde import regions
from autograde.cli import main
from tests.toy_course import ASSIGNMENT, HIDDEN_DOUBLE, HIDDEN_MEAN, make_course, submission

RIGHT = {"ex_double": "def double(x):\n    return x * 2", "ex_mean": "def mean_rows(t):\n    return t.mean(-1)"}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, monkeypatch_module):
    course = make_course(tmp_path_factory.mktemp("course"))
    monkeypatch_module.chdir(course)
    assert main(["release"]) == 0
    submission(course, "alice", RIGHT)
    # wrong on strings; edits a test cell to print a fake score
    submission(course, "bob", {"ex_double": "def double(x):\n    return x + x if isinstance(x, int) else 0",
                               "test_mean": "print(1.0)\nprint('All tests passed')"})
    # an infinite loop, and the test cell of that exercise deleted
    submission(course, "carol", {**RIGHT, "ex_double": "def double(x):\n    while True:\n        pass", "test_double": None})
    corrupt = course / "submitted" / "dave" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    corrupt.parent.mkdir(parents=True)
    corrupt.write_text('{"cells": [', encoding="utf-8")
    (course / "submitted" / "erin" / ASSIGNMENT).mkdir(parents=True)  # submitted nothing
    submission(course, "frank", {})  # the untouched release
    out = course / "grades.json"
    assert main(["grade", ASSIGNMENT, "--json", str(out), "--check-timeout", "2", "--jobs", "1"]) == 0
    return course, json.loads(out.read_text())


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test_correct_submission_gets_full_marks_despite_stderr_warning(graded):
    _, res = graded
    assert res["alice"]["total"] == 5.0 and res["alice"]["max"] == 5.0
    assert {c["status"] for c in res["alice"]["cells"].values()} == {"passed"}


def test_partial_credit_per_check_and_edited_test_cell_is_restored(graded):
    _, res = graded
    bob = res["bob"]["cells"]
    assert bob["test_double"] == {"score": 2.0, "max": 3.0, "status": "partial", "message": "double of a string repeats it: got 0"}
    assert bob["test_mean"]["score"] == 0.0 and "not implemented" in bob["test_mean"]["message"]
    assert res["bob"]["total"] == 2.0


def test_infinite_loop_costs_that_cell_only_and_deleted_test_still_counts(graded):
    _, res = graded
    carol = res["carol"]["cells"]
    assert carol["test_double"]["status"] == "timeout" and carol["test_double"]["score"] == 0.0
    assert "timed out" in carol["test_double"]["message"]
    assert carol["test_mean"]["score"] == 2.0
    assert res["carol"]["total"] == 2.0


def test_broken_submissions_are_reported_with_reasons_and_others_graded(graded):
    _, res = graded
    assert res["dave"]["status"] == "error" and "not a readable notebook" in res["dave"]["reason"]
    assert "dave/toy/toy.ipynb" in res["dave"]["reason"]
    assert res["erin"]["status"] == "error" and "missing" in res["erin"]["reason"]
    assert res["dave"]["total"] == res["erin"]["total"] == 0.0
    assert set(res["dave"]["cells"]) == {"test_double", "test_mean"}


def test_untouched_release_scores_zero_and_every_hidden_check_fails(graded):
    course, res = graded
    assert res["frank"]["total"] == 0.0
    assert all(c["status"] == "failed" for c in res["frank"]["cells"].values())


def test_gradebook_holds_the_scores(graded):
    from nbgrader.api import Gradebook

    course, res = graded
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in ("alice", "bob", "carol", "frank"):
            assert gb.find_submission(ASSIGNMENT, student).score == res[student]["total"]


def test_release_and_solutions_hold_no_hidden_tests_or_markers(graded):
    course, _ = graded
    hidden = [line.strip() for text in (HIDDEN_DOUBLE, HIDDEN_MEAN) for body in regions.bodies(text, "hidden") for line in body.splitlines()]
    for folder in ("release", "solutions"):
        text = (course / folder / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
        assert "### BEGIN" not in text and "### END" not in text
        leaked = [line for line in hidden if len(line) > 8 and line in text]
        assert leaked == [], f"{folder} leaks {leaked}"
    release = (course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    assert "return 2 * x" not in release and "raise NotImplementedError()" in release
    assert "return 2 * x" in (course / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()


def test_feedback_shows_verdicts_but_no_hidden_test_text(graded):
    course, _ = graded
    html = (course / "feedback" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "PARTIAL: 2 of 3 points" in html and "double of a string repeats it" in html
    plain = re.sub(r"<[^>]+>", "", html)
    assert "BEGIN HIDDEN TESTS" not in plain and "_ck.equal" not in plain and "double(21)" not in plain


def test_unknown_assignment_is_a_clear_error(graded, capsys):
    assert main(["grade", "no_such_assignment"]) == 1
    assert "unknown assignment 'no_such_assignment'" in capsys.readouterr().err


def test_an_interrupted_run_resumes_without_regrading_or_losing_anything(tmp_path, monkeypatch):
    from autograde.grade import grade

    course = make_course(tmp_path / "course")
    monkeypatch.chdir(course)
    assert main(["release"]) == 0
    for student in ("ann", "ben", "cal"):
        submission(course, student, RIGHT)
    seen = []

    def interrupt_at_ben(student):
        seen.append(student)
        if student == "ben":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        grade(course, ASSIGNMENT, check_timeout=2, progress=interrupt_at_ben)
    graded_ann = course / "graded" / "ann" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    first_stamp = graded_ann.stat().st_mtime_ns
    seen.clear()
    results = grade(course, ASSIGNMENT, check_timeout=2, progress=seen.append)
    assert {s: r["total"] for s, r in results.items()} == {"ann": 5.0, "ben": 5.0, "cal": 5.0}
    assert seen == ["ben", "cal"]  # ann was not graded again
    assert graded_ann.stat().st_mtime_ns == first_stamp
    again = grade(course, ASSIGNMENT, check_timeout=2, regrade=True, progress=seen.append)
    assert again == results and seen == ["ben", "cal", "ann", "ben", "cal"]
