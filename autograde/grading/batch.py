"""The batch loop of one grading run: lock the course, plan (release, keys, gradebook schema, staging),
grade every submission (here, or on Dask workers), gather the results, clean up."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from .. import course, intake, keys
from ..settings import GradingSettings
from . import collect
from .one import Job, grade_one
from .progress import Reporter


def find_submissions(folder: Path, assignment: str) -> list[str]:
    """Student ids with a `<folder>/<student>/<assignment>/` submission (refused entries are left out)."""
    if not folder.is_dir():
        raise course.CourseError(f"submissions folder {folder} does not exist; pass --submissions DIR")
    return intake.find(folder, assignment)[0]


def check_sandbox(mode: str) -> str:
    """Refuse to grade without isolation unless the instructor chose 'off'; say so loudly either way."""
    from .. import sandbox

    if mode not in ("require", "off"):
        raise course.CourseError(f"--sandbox must be 'require' or 'off', not {mode!r}")
    ok, why = sandbox.available()
    if mode == "require" and not ok:
        raise course.CourseError(f"the sandbox is unavailable: {why}. Install bubblewrap (scripts/setup.sh does), "
                                 "or pass --sandbox off to grade WITHOUT isolation")
    if mode == "off":
        print("WARNING: grading WITHOUT a sandbox: student code can read and write the instructor's files and use the network",
              file=sys.stderr)
    return mode


def db_url_of(root: Path, settings: GradingSettings) -> str:
    """The gradebook this run writes: --db / GradingSettings.db_url, else the course's (nbgrader_config.py)."""
    return settings.db_url or course.load_config(root).CourseDirectory.db_url


def ensure_released(root: Path, assignment: str, db_url: str) -> None:
    """Release the assignment first when the gradebook does not know it yet (this also creates the schema)."""
    from nbgrader.api import Gradebook, MissingEntry

    from ..release import release

    try:
        with Gradebook(db_url) as gb:
            gb.find_assignment(assignment)
            return
    except MissingEntry:
        pass
    release(root, [assignment], db_url=db_url)


def grade(root: Path, assignment: str, submissions: Path | None = None, settings: GradingSettings | None = None,
          reporter: Reporter | None = None, regrade: bool = False, overrides: dict | None = None) -> dict:
    """Autograde each submission; one broken submission is reported with a reason, the rest are graded.

    Only one run works on a course at a time (course.grading_lock); the gradebook is checked first."""
    return grade_many(root, [(assignment, submissions)], settings, reporter, regrade, overrides)[assignment]


def grade_many(root: Path, work: list, settings: GradingSettings | None = None, reporter: Reporter | None = None,
               regrade: bool = False, overrides: dict | None = None) -> dict:
    """{assignment: {student: result}} for `work`, a list of (assignment, submissions folder or None), graded in one
    run: the submissions of all assignments share one queue, so no worker waits for an assignment's last one."""
    settings = settings or GradingSettings.from_config(course.load_config(root))
    reporter = reporter or Reporter()
    for assignment, _ in work:
        course.check_assignment(root, assignment)
    with course.grading_lock(root):
        db_url = db_url_of(root, settings)
        if course.is_course_gradebook(root, db_url):
            course.check_gradebook(root)
        else:
            course.check_database(db_url)
        return _grade_locked(root, work, settings, reporter, regrade, db_url, overrides or {})


def _plan(root, assignment, submissions, staging, values, regrade, overrides, db_url) -> tuple[list, dict]:
    """(jobs, refused student -> its result) of one assignment: released, its key current, its submissions found."""
    from nbgrader.api import Gradebook

    folder = (Path(submissions) if submissions else root / "submitted").resolve()  # the instructor's folder may be a link
    if not folder.is_dir():
        raise course.CourseError(f"submissions folder {folder} does not exist; pass --submissions DIR")
    students, refused = intake.find(folder, assignment)
    ensure_released(root, assignment, db_url)  # the gradebook's schema and the assignment exist before any worker starts
    keys.ensure(root, assignment)
    with Gradebook(db_url) as gb:
        gb_cells = collect.grade_cells(gb, assignment)
    names = tuple(sorted(p.name for p in (root / "release" / assignment).glob("*.ipynb")))
    jobs = [Job(root, folder, staging, student, assignment, names, gb_cells, values, regrade, dict(overrides))
            for student in students]
    return jobs, {name: collect.failed(gb_cells, why) for name, why in refused.items()}


def _grade_locked(root, work, settings, reporter, regrade, db_url, overrides) -> dict:
    check_sandbox(settings.sandbox)
    staging = intake.clear_links(root, course.STATE_DIR, "staging")
    for leftover in staging.iterdir():  # from a run that was killed
        shutil.rmtree(leftover) if leftover.is_dir() and not leftover.is_symlink() else leftover.unlink()
    for area in ("graded", "feedback"):  # made once here: workers only add their own student's folders
        intake.clear_links(root, area)
    values = {**settings.values(), "db_url": db_url}
    keys.ensure_all(root, [assignment for assignment, _ in work], settings.workers(), reporter.note)
    jobs, results = [], {assignment: {} for assignment, _ in work}
    for assignment, submissions in work:
        planned, refused = _plan(root, assignment, submissions, staging, values, regrade, overrides, db_url)
        jobs += planned
        results[assignment].update(refused)
    if len(work) > 1:  # the slowest assignments' submissions first: the run ends on short ones, all workers busy
        cost = {assignment: keys.seconds(root, assignment) for assignment, _ in work}
        jobs.sort(key=lambda job: -cost[job.assignment])
    reporter.plan(len(jobs) + sum(len(r) for r in results.values()))
    for found in results.values():
        for name, result in found.items():
            reporter.finished(name, result)
    try:
        if settings.scheduler or min(settings.workers(), len(jobs)) > 1:
            from . import cluster

            graded = cluster.run(jobs, settings.scheduler, settings.workers(), settings.worker_retries, reporter)
            for (assignment, student), result in graded.items():
                results[assignment][student] = result
        else:
            for job in jobs:
                results[job.assignment][job.student] = grade_one(job, started=reporter.started)
                reporter.finished(job.student, results[job.assignment][job.student])
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {assignment: dict(sorted(found.items())) for assignment, found in results.items()}
