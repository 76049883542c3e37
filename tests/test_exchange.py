"""nbgrader's exchange files: every submission the kit grades gets timestamp.txt and submission_secret.txt, so the
formgrader counts the demo's submissions and Release Feedback works for hand-copied ones (issue 11)."""
import os
import shutil

import pytest
import nbformat
from nbformat.v4 import new_notebook

from autograde import release


def _submission(folder, name="a1.ipynb", mtime=1_700_000_000):
    folder.mkdir(parents=True)
    path = folder / name
    with open(path, "w") as handle:
        nbformat.write(new_notebook(), handle)
    os.utime(path, (mtime, mtime))
    return folder


def test_stamp_writes_timestamp_from_notebook_mtime_and_a_secret(tmp_path):
    """A hand-copied submission gets nbgrader's timestamp (its notebook's mtime, UTC) and a fresh secret."""
    folder = _submission(tmp_path / "s1" / "a1")
    assert release.stamp_submission(folder) == [release.TIMESTAMP_FILE, release.SECRET_FILE]
    assert (folder / release.TIMESTAMP_FILE).read_text() == "2023-11-14 22:13:20.000000 UTC"
    assert len((folder / release.SECRET_FILE).read_text()) == 128


def test_stamp_keeps_what_nbgrader_submit_wrote(tmp_path):
    """A submission made with `nbgrader submit` keeps its own timestamp and secret."""
    folder = _submission(tmp_path / "s1" / "a1")
    (folder / release.TIMESTAMP_FILE).write_text("2024-01-02 03:04:05.000000 UTC")
    (folder / release.SECRET_FILE).write_text("abc")
    assert release.stamp_submission(folder) == []
    assert (folder / release.TIMESTAMP_FILE).read_text() == "2024-01-02 03:04:05.000000 UTC"
    assert (folder / release.SECRET_FILE).read_text() == "abc"


def test_stamp_reads_mtimes_from_the_original_when_given_a_copy(tmp_path):
    """The staged copy's own mtime (now) is not the submission time: the student's folder's is."""
    original = _submission(tmp_path / "orig" / "s1" / "a1", mtime=1_600_000_000)
    staged = tmp_path / "staged" / "s1" / "a1"
    shutil.copytree(original, staged)
    release.stamp_submission(staged, original)
    assert (staged / release.TIMESTAMP_FILE).read_text().startswith("2020-09-13 12:26:40")


def test_stamp_does_not_write_through_a_planted_link(tmp_path):
    """A timestamp.txt that is a link to another file is replaced, never written through."""
    folder = _submission(tmp_path / "s1" / "a1")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (folder / release.TIMESTAMP_FILE).symlink_to(victim)
    release.stamp_submission(folder)
    assert victim.read_text() == "keep"
    assert not (folder / release.TIMESTAMP_FILE).is_symlink()


def test_grading_stamps_no_timestamp_into_a_hand_copied_submission(tmp_path):
    """nbgrader calls a submission graded when the gradebook's timestamp equals submitted/'s: a hand-copied one has
    none there, so the staged copy gets only a secret (else the formgrader would say 'needs autograding')."""
    folder = _submission(tmp_path / "s1" / "a1")
    assert release.stamp_secret(folder) == [release.SECRET_FILE]
    assert not (folder / release.TIMESTAMP_FILE).exists()
    assert release.stamp_secret(folder) == []


def test_collect_examples_fills_submitted_like_nbgrader_collect(tmp_path):
    """The demo's examples land in submitted/<student>/<assignment>/ with both exchange files."""
    examples = tmp_path / "examples"
    _submission(examples / "ex-a" / "a1")
    _submission(examples / "ex-b" / "a1")
    _submission(examples / "ex-b" / "other")
    root = tmp_path / "course"
    root.mkdir()
    assert release.collect_examples(root, examples, "a1") == ["ex-a", "ex-b"]
    for student in ("ex-a", "ex-b"):
        got = sorted(p.name for p in (root / "submitted" / student / "a1").iterdir())
        assert got == ["a1.ipynb", release.SECRET_FILE, release.TIMESTAMP_FILE]
    assert not (root / "submitted" / "ex-b" / "other").exists()


def _course(tmp_path):
    root = tmp_path / "course"
    root.mkdir()
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'c1'\n"
        f"c.Exchange.root = {str(tmp_path / 'exchange')!r}\n")
    (tmp_path / "exchange").mkdir()
    return root


def _release_feedback(root):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config).release_feedback("a1", student_id="s1")


def _graded_with_feedback(root, submitted):
    """What grading leaves: graded/ holds the staged files, feedback/ only the HTML (the kit copies nothing else)."""
    graded = root / "graded" / "s1" / "a1"
    shutil.copytree(submitted, graded)
    feedback = root / "feedback" / "s1" / "a1"
    feedback.mkdir(parents=True)
    (feedback / "a1.html").write_text("<html>feedback</html>")


def test_release_feedback_crashes_on_a_bare_hand_copied_submission(tmp_path):
    """The bug this fixes: nbgrader's Release Feedback needs timestamp.txt beside the feedback."""
    root = _course(tmp_path)
    _graded_with_feedback(root, _submission(root / "submitted" / "s1" / "a1"))
    result = _release_feedback(root)
    assert not result["success"] and "timestamp.txt" in str(result)


def test_release_feedback_works_for_a_stamped_hand_copied_submission(tmp_path):
    """Stamped at grading and beside the feedback, a hand-copied submission's feedback is released under the
    name nbgrader's fetch_feedback looks for (its secret's hash)."""
    from nbgrader.utils import notebook_hash

    root = _course(tmp_path)
    submitted = _submission(root / "submitted" / "s1" / "a1")
    staged = tmp_path / "staging" / "s1" / "a1"
    shutil.copytree(submitted, staged)
    assert release.stamp_secret(staged) == [release.SECRET_FILE]
    _graded_with_feedback(root, staged)
    release.stamp_feedback(root, "s1", "a1", submitted)
    result = _release_feedback(root)
    assert result["success"], result
    feedback = root / "feedback" / "s1" / "a1"
    assert (feedback / release.TIMESTAMP_FILE).read_text() == "2023-11-14 22:13:20.000000 UTC"
    secret = (feedback / release.SECRET_FILE).read_text()
    released = tmp_path / "exchange" / "c1" / "feedback" / f"{notebook_hash(secret=secret, notebook_id='a1')}.html"
    assert released.read_text() == "<html>feedback</html>"
