"""The student's nbgrader config (issue 11): Validate fails on unfinished or failing work, naming each question or
exercise, and passes on finished work; course id and exchange as the instructor's course has them."""
import shutil

import nbformat
import pytest
from traitlets.config.loader import PyFileConfigLoader

from tests.paths import REPO

pytestmark = pytest.mark.slow  # Validate runs notebooks in a kernel
QUIZ = REPO / "release" / "04_questionnaire" / "04_questionnaire.ipynb"
SOLVED = REPO / "solutions" / "04_questionnaire" / "04_questionnaire.ipynb"


def _config():
    return PyFileConfigLoader("nbgrader_config.py", path=str(REPO / "student")).load_config()


def test_student_and_course_configs_agree():
    """Students and the course use one course id and exchange; Validate checks every cell."""
    from autograde import course

    student, instructor = _config(), course.load_config(REPO)
    assert student.CourseDirectory.course_id == instructor.CourseDirectory.course_id == "fastai-core"
    assert student.Exchange.root == instructor.Exchange.root
    assert student.Validator.validate_all is True and instructor.Validator.validate_all is True


def _quiz(tmp_path, name, answers):
    """The first questions of the released questionnaire (no fastai import), with `answers` by grade_id."""
    nb = nbformat.read(str(QUIZ), as_version=4)
    solved = nbformat.read(str(SOLVED), as_version=4)
    keep = {"intro", "q04_01_prompt", "q04_01", "q04_04_prompt", "q04_04_given", "q04_04"}
    pairs = [(c, s) for c, s in zip(nb.cells, solved.cells) if c.metadata.get("nbgrader", {}).get("grade_id") in keep]
    for cell, answer in pairs:
        gid = cell.metadata.nbgrader.grade_id
        if gid in answers:
            cell.source = answer.source if answers[gid] == "solution" else answers[gid]
    nb.cells = [c for c, _ in pairs]
    path = tmp_path / name
    nbformat.write(nb, str(path))
    return path


def _validate(path):
    from nbgrader.validator import Validator

    return Validator(config=_config()).validate(str(path))


def test_validate_names_each_unanswered_question(tmp_path):
    """Untouched: both questions fail, each named by its number; the file itself is not changed."""
    path = _quiz(tmp_path, "untouched.ipynb", {})
    before = path.read_bytes()
    failed = _validate(path)["failed"]
    assert [f["source"].splitlines()[0] for f in failed] == ["**[Question 04-01]**", "# [Question 04-04]"]
    assert failed[0]["raw_error"] == "You did not provide a response."
    assert "NotImplementedError" in failed[1]["raw_error"]
    assert path.read_bytes() == before


def test_validate_fails_an_answered_code_question_that_raises(tmp_path):
    """A code answer that raises fails Validate (nbgrader alone skips answered grade cells)."""
    path = _quiz(tmp_path, "raises.ipynb", {"q04_01": "solution", "q04_04": "[x * 2 for x in a if x % 2] + undefined_name"})
    failed = _validate(path)["failed"]
    assert len(failed) == 1 and failed[0]["source"].startswith("# [Question 04-04]"), failed
    assert "NameError" in failed[0]["raw_error"]


def test_validate_passes_answered_questions(tmp_path):
    """Every question answered (the worked solutions): Validate reports nothing."""
    path = _quiz(tmp_path, "done.ipynb", {"q04_01": "solution", "q04_04": "solution"})
    assert _validate(path) == {}


def test_an_edited_locked_cell_is_still_reported(tmp_path):
    """The labels never hide a changed locked cell (its checksum still differs)."""
    path = _quiz(tmp_path, "edited.ipynb", {"q04_01": "solution", "q04_04": "solution", "q04_04_given": "a = [1]"})
    assert [c["source"] for c in _validate(path)["changed"]] == ["# [Question 04-04]\na = [1]"]
