"""source/ -> release/ (student stubs, via nbgrader) and solutions/ (worked solutions, no hidden tests)."""
from __future__ import annotations

from pathlib import Path

from . import course, notebooks, regions


def solution_notebook(nb, where: str):
    """The solutions version of a source notebook: answers kept, hidden tests and markers gone."""
    nb = notebooks.nbformat.from_dict(nb)
    for cell in nb.cells:
        label = f"{where}, cell {notebooks.grade_id(cell) or cell.get('id')}"
        text = regions.unwrap(cell.source, "solution", where=label)
        cell.source = regions.remove(text, "hidden", where=label)
        cell.metadata.pop("nbgrader", None)
    notebooks.clear_outputs(nb)
    return nb


def validate_source(path: Path) -> None:
    """Raise RegionError naming notebook and cell where BEGIN/END markers do not pair up."""
    nb = notebooks.read(path)
    for cell in nb.cells:
        for kind in regions.KINDS:
            regions.scan(cell.source, kind, where=f"{path}, cell {notebooks.grade_id(cell) or cell.get('id')}")


def _nbgrader_failure(result: dict) -> str:
    text = (result.get("error") or "") + "\n" + (result.get("log") or "")
    lines = [line for line in text.splitlines() if "ERROR" in line or "Error" in line]
    return "\n".join(lines[-5:]) or text.strip()[-800:]


def release(root: Path, names: list[str] | None = None, db_url: str | None = None) -> list[str]:
    """Build release/ and solutions/ for the named assignments (default: all), recorded in the gradebook at
    `db_url` (default: the course's); returns their names."""
    names = names or course.assignments(root)
    for name in names:
        course.check_assignment(root, name)
    with course.grading_lock(root):
        if course.is_course_gradebook(root, db_url):
            course.check_gradebook(root)
        return _release(root, names, db_url)


def _release(root: Path, names: list[str], db_url: str | None = None) -> list[str]:
    api = course.nbgrader_api(root, **({"CourseDirectory.db_url": db_url} if db_url else {}))
    for name in names:
        course.check_assignment(root, name)
        sources = sorted((root / "source" / name).glob("*.ipynb"))
        for path in sources:
            validate_source(path)
        result = api.generate_assignment(name, force=True, create=True)
        if not result["success"]:
            failure = _nbgrader_failure(result)
            if "there are submissions associated with it" in failure:
                raise course.CourseError(
                    f"{name}: the gradebook already holds graded submissions of this assignment, and the change adds or "
                    "removes cells, which would orphan their grades. Release it under a new assignment name, or remove "
                    f"those submissions first (`nbgrader db assignment remove {name} --force` deletes its grades)")
            raise course.CourseError(f"nbgrader could not release {name}:\n{failure}")
        for path in sources:
            solved = solution_notebook(notebooks.read(path), where=str(path.relative_to(root)))
            notebooks.write(solved, root / "solutions" / name / path.name)
    return names


# nbgrader's exchange expects two files beside every submission: `timestamp.txt` (when it was submitted; late
# penalties and the formgrader read it) and `submission_secret.txt` (Release Feedback names the feedback file
# after it; the student's own copy finds it). `nbgrader submit` writes both; a hand-copied submission has
# neither, and Release Feedback then crashes for the whole assignment. The kit gives each one both.
TIMESTAMP_FILE = "timestamp.txt"
SECRET_FILE = "submission_secret.txt"
_STAMP_LIMIT = 4096


def submission_time(folder: Path) -> str:
    """nbgrader's timestamp text for a submission folder: the newest mtime of its notebooks (links not followed)."""
    import datetime
    import os

    times = [os.lstat(p).st_mtime for p in folder.glob("*.ipynb") if not p.is_symlink()] or [os.lstat(folder).st_mtime]
    moment = datetime.datetime.fromtimestamp(max(times), tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f %Z")


def stamp_submission(staged: Path, original: Path | None = None) -> list[str]:
    """Write `timestamp.txt` (from the submission's notebooks' mtime) and `submission_secret.txt` (random) into a
    submission folder that lacks them; returns the names written. `original`: where the mtimes are read (the
    student's folder, when `staged` is a copy). An existing file is kept (a submission made with `nbgrader submit`)."""
    import secrets

    from . import intake

    written = []
    if intake.read_private(staged / TIMESTAMP_FILE, _STAMP_LIMIT) is None:
        intake.write_private(staged / TIMESTAMP_FILE, submission_time(original or staged))
        written.append(TIMESTAMP_FILE)
    if intake.read_private(staged / SECRET_FILE, _STAMP_LIMIT) is None:
        intake.write_private(staged / SECRET_FILE, secrets.token_hex(64))
        written.append(SECRET_FILE)
    return written


def stamp_feedback(root: Path, student: str, assignment: str) -> None:
    """Copy `timestamp.txt` and `submission_secret.txt` from graded/ beside the feedback HTML, which is what
    nbgrader's Release Feedback reads (the kit's feedback step copies no submitted file into feedback/)."""
    from . import intake

    graded = root / "graded" / student / assignment
    feedback = intake.clear_links(root, "feedback", student, assignment)
    for name in (TIMESTAMP_FILE, SECRET_FILE):
        data = intake.read_private(graded / name, _STAMP_LIMIT)
        if data is not None:
            intake.write_private(feedback / name, data)


def collect_examples(root: Path, examples: Path, assignment: str) -> list[str]:
    """Copy the example submissions of `assignment` (`examples/<student>/<assignment>/`) into the course's
    submitted/, each with timestamp.txt and submission_secret.txt, as `nbgrader collect` leaves them: the
    formgrader then counts and shows them. Returns the student ids; a submission already there is replaced."""
    import shutil

    from . import intake

    students = []
    for folder in sorted(p for p in examples.glob(f"*/{assignment}") if p.is_dir() and not p.is_symlink()):
        student = folder.parent.name
        dest = intake.clear_links(root, "submitted", student) / assignment
        if dest.is_symlink() or dest.is_file():
            dest.unlink()
        elif dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(folder, dest, symlinks=True)
        stamp_submission(dest, folder)
        students.append(student)
    return students
