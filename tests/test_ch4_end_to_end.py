"""Chapter 4 end to end: release, grade the committed example submissions, exact scores, no leaks."""
import pytest

from autograde import keys, leaks, notebooks
from autograde.checks import RESULT_MIME, verdicts
from autograde.example_plans.ch04 import WRONG_CELLS
from tests.grading import example_fixtures
from tests.paths import REPO

A = "04_mnist_basics"
NB = f"{A}.ipynb"
FULL = 46.0


graded, course, grades = example_fixtures(A)


def test_complete_submission_gets_full_marks(grades):
    assert grades["example-complete"]["max"] == FULL
    assert grades["example-complete"]["total"] == FULL
    assert {c["status"] for c in grades["example-complete"]["cells"].values()} == {"passed"}


def test_untouched_release_scores_zero_on_every_cell_without_crashing(grades):
    res = grades["example-untouched"]
    assert res["status"] == "graded" and res["total"] == 0.0
    assert {c["status"] for c in res["cells"].values()} == {"failed"}


def test_every_hidden_check_fails_on_the_release_stub(course, grades):
    graded = notebooks.read(course / "graded" / "example-untouched" / A / NB)
    source = notebooks.read(REPO / "source" / A / NB)
    grade_ids = [notebooks.grade_id(c) for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")]
    key = keys.load(course / "keys", A, NB)
    seen = {}
    for cell in graded.cells:
        for out in cell.get("outputs", []):
            if RESULT_MIME in out.get("data", {}):
                gid = notebooks.grade_id(cell)
                values = out["data"][RESULT_MIME]["values"]
                seen[gid] = verdicts(key[gid], values, [k["expected"] for k in key[gid]])
    assert sorted(seen) == sorted(grade_ids) == sorted(key)
    passing = [(gid, c["name"]) for gid, results in seen.items() for c in results if c["passed"]]
    assert passing == [], f"hidden checks that pass on the untouched stub: {passing}"


def test_partial_submission_gets_its_exact_partial_score(grades):
    res = grades["example-partial"]
    lost = {gid: c["score"] for gid, c in res["cells"].items() if c["score"] < c["max"]}
    assert lost == {"test_ex0_by_hand": pytest.approx(0.1), "test_ex6_acc": pytest.approx(1.75), "test_ex8_by_hand": 0.0}
    assert res["total"] == pytest.approx(43.85)
    assert "an output of 0 is not a 3" in res["cells"]["test_ex6_acc"]["message"]


@pytest.mark.parametrize("student", sorted(WRONG_CELLS))
def test_each_typical_wrong_answer_loses_points_in_its_own_cell_only(grades, student):
    cells = grades[student]["cells"]
    lost = {gid for gid, c in cells.items() if c["score"] < c["max"] - 1e-9}
    assert lost == WRONG_CELLS[student], {gid: cells[gid]["message"] for gid in lost ^ WRONG_CELLS[student]}


def test_edited_test_is_restored_and_deleted_test_still_counts(grades):
    res = grades["example-tampered-tests"]
    assert res["cells"]["test_ex1_rank"]["score"] == 0.0  # a fake "passed" print and result did not help
    assert res["cells"]["test_ex3_poly"] == {"score": 1.0, "max": 1.0, "status": "passed", "message": ""}
    assert res["total"] == FULL - 1


def test_infinite_loop_zeroes_that_cell_with_a_timeout_reason_and_the_rest_is_graded(grades):
    res = grades["example-infinite-loop"]
    cell = res["cells"]["test_ex1_slice"]
    assert (cell["score"], cell["status"]) == (0.0, "timeout")
    assert "timed out after 5 s" in cell["message"]
    assert res["total"] == FULL - 1


def test_gradebook_agrees_with_the_report(course, grades):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student, res in grades.items():
            assert gb.find_submission(A, student).score == pytest.approx(res["total"])


def test_feedback_holds_no_hidden_test_text(course, grades):
    secrets = leaks.secret_lines(REPO / "source" / A / NB, "hidden")
    files = sorted((course / "feedback").rglob("*.html"))
    assert len(files) == len(grades)
    assert leaks.find_leaks(files, secrets) == []
    partial = (course / "feedback" / "example-partial" / A / f"{A}.html").read_text()
    assert "PARTIAL: 1.75 of 2 points" in partial


def test_a_duck_typed_submission_earns_at_most_one_percent(grades):
    duck = grades["example-duck"]
    assert duck["total"] <= 0.01 * duck["max"], {g: c["score"] for g, c in duck["cells"].items() if c["score"]}
