"""The instructor's formgrader in JupyterLab (issue 11): a graded submission shows the kit's reason for each lost
point, and a manual score typed there reaches the gradebook."""
from __future__ import annotations

import pytest

from tests import toy_course
from tests.browser.conftest import running_lab, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STUDENT = "s-wrong"
COLLECTED = "s-collected"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The toy course, released and graded with one submission that loses 2 of 3 points on `double`."""
    from autograde import release
    from autograde.cli import main

    base = tmp_path_factory.mktemp("formgrader")
    root = toy_course.make_course(base / "course")
    (base / "exchange").mkdir()
    with open(root / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.Exchange.root = {str(base / 'exchange')!r}\n")
    mp = pytest.MonkeyPatch()
    mp.chdir(root)
    try:
        assert main(["release", toy_course.ASSIGNMENT]) == 0
        toy_course.submission(root, STUDENT, {"ex_double": "def double(x):\n    return x + 21"})  # copied by hand
        # one as `nbgrader collect` (or the demo) leaves it: with timestamp.txt and submission_secret.txt
        release.stamp_submission(toy_course.submission(root, COLLECTED, {}).parent)
        assert main(["grade", toy_course.ASSIGNMENT, "--check-timeout", "5"]) == 0
    finally:
        mp.undo()
    return root, base


@pytest.fixture(scope="module")
def lab(course):
    root, base = course
    with running_lab(root, base / "lab") as lab:
        yield lab


def _submission_id(root) -> str:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return gb.find_submission_notebook(toy_course.ASSIGNMENT, toy_course.ASSIGNMENT, STUDENT).id


def test_formgrader_lists_the_graded_submissions(page, lab):
    """Manage Submissions lists both as graded (not 'needs autograding'): a hand-copied submission and a collected
    one, whose timestamp it shows."""
    page.goto(f"{lab.url}/formgrader/manage_submissions/{toy_course.ASSIGNMENT}")
    row = page.locator("tr", has_text=STUDENT)
    row.wait_for()
    assert "graded" in row.inner_text() and "1 / 5" in row.inner_text()  # double 1 of 3, mean untouched
    collected = page.locator("tr", has_text=COLLECTED).inner_text()
    assert "graded" in collected and "needs autograding" not in collected and "0 / 5" in collected, collected
    assert "None\tgraded" not in collected  # its submission time is shown
    screenshot(page, "formgrader-submissions")


def test_formgrader_shows_the_reason_and_takes_a_manual_score(page, lab, course):
    """The submission view shows why points were lost (the kit's check message), and a score typed for the cell
    is saved to the gradebook as the instructor's manual score."""
    from nbgrader.api import Gradebook

    root, _ = course
    page.goto(f"{lab.url}/formgrader/submissions/{_submission_id(root)}/")
    page.wait_for_selector("#test_double")
    # The answer cell's comment box shows the kit's verdict (the gradebook's auto_comment) until a comment is typed.
    page.wait_for_function("() => (document.querySelector('#ex_double-comment') || {}).placeholder")
    reason = page.get_attribute("#ex_double-comment", "placeholder")
    assert "1 of 3 points" in reason and "double of a negative: got 17" in reason, reason
    score = page.locator("input.score#test_double")
    score.fill("2.5")
    score.press("Tab")  # the formgrader saves on change
    page.locator(".score-saved").first.wait_for(state="visible")
    screenshot(page, "formgrader-submission")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        grade = gb.find_grade("test_double", toy_course.ASSIGNMENT, toy_course.ASSIGNMENT, STUDENT)
        assert grade.manual_score == 2.5 and grade.score == 2.5


def test_release_feedback_works_for_a_hand_copied_submission(page, lab, course):
    """Release Feedback (the envelope of Manage Submissions) succeeds for a submission copied by hand, and puts the
    feedback in the exchange under the name the student's Fetch Feedback looks for."""
    from nbgrader.utils import notebook_hash

    root, base = course
    page.goto(f"{lab.url}/formgrader/manage_submissions/{toy_course.ASSIGNMENT}")
    page.locator("tr", has_text=STUDENT).locator(".release-feedback a").click()
    modal = page.locator("#success-modal, #error-modal")
    modal.wait_for()
    assert modal.get_attribute("id") == "success-modal", modal.inner_text()
    secret = (root / "feedback" / STUDENT / toy_course.ASSIGNMENT / "submission_secret.txt").read_text()
    name = notebook_hash(secret=secret, notebook_id=toy_course.ASSIGNMENT)
    assert (base / "exchange" / "fastai-core" / "feedback" / f"{name}.html").is_file()
