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


def stamp_submission(folder: Path, original: Path | None = None) -> list[str]:
    """Write `timestamp.txt` (from the notebooks' mtime in `original`, default `folder`) and `submission_secret.txt`
    (random) into a submission folder that lacks them, as `nbgrader collect` leaves one; returns the names written.
    An existing file is kept (a submission made with `nbgrader submit`)."""
    written = [] if _has(folder, TIMESTAMP_FILE) else [_write(folder, TIMESTAMP_FILE, submission_time(original or folder))]
    return written + stamp_secret(folder)


def stamp_secret(staged: Path) -> list[str]:
    """Give a staged submission a random `submission_secret.txt` when it has none (Release Feedback names the
    feedback file after it). No timestamp is written: nbgrader compares the gradebook's with `submitted/`'s, and a
    hand-copied submission has none there (its feedback gets one, see stamp_feedback)."""
    import secrets

    return [] if _has(staged, SECRET_FILE) else [_write(staged, SECRET_FILE, secrets.token_hex(64))]


def _has(folder: Path, name: str) -> bool:
    from . import intake

    return intake.read_private(folder / name, _STAMP_LIMIT) is not None


def _write(folder: Path, name: str, text: str) -> str:
    from . import intake

    intake.write_private(folder / name, text)
    return name


def stamp_feedback(root: Path, student: str, assignment: str, original: Path) -> None:
    """Put `timestamp.txt` and `submission_secret.txt` beside the feedback HTML, which is what nbgrader's Release
    Feedback reads (the kit's feedback step copies no submitted file into feedback/): graded/'s copies, else the
    submission time of `original` (the student's folder) as the timestamp."""
    from . import intake

    graded = root / "graded" / student / assignment
    feedback = intake.clear_links(root, "feedback", student, assignment)
    for name in (TIMESTAMP_FILE, SECRET_FILE):
        data = intake.read_private(graded / name, _STAMP_LIMIT)
        if data is None and name == TIMESTAMP_FILE:
            data = submission_time(original).encode()
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
