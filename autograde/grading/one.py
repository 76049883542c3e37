"""One submission: stage a plain copy, check it can be graded, skip it when already graded (resume), run
nbgrader's autograde (student code in its own sandbox) and feedback, collect its result.

Runs in the grader's process (jobs=1) or in a Dask worker: everything it needs arrives in a Job."""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .. import course, intake, keys, notebooks, release
from . import collect, resume


@dataclass(frozen=True)
class Job:
    """What a worker needs to grade one student's submission (plain, picklable values)."""

    root: Path
    folder: Path            # the submissions folder: <folder>/<student>/<assignment>/
    staging: Path           # the run's staging folder (root/.grading/staging)
    student: str
    assignment: str
    names: tuple            # the released notebooks' file names
    gb_cells: dict          # grade_id -> max points
    settings: dict          # GradingSettings.values()
    regrade: bool = False
    overrides: dict = field(default_factory=dict)  # extra nbgrader config (tests)

    def nbgrader_overrides(self) -> dict:
        """nbgrader config of this run: staging as the submitted folder, the keys, the grading settings."""
        from ..settings import GradingSettings

        settings = GradingSettings.from_values(self.settings)
        return {"CourseDirectory.submitted_directory": str(self.staging),
                "SaveTypedGrades.keys_dir": str(self.root / keys.KEYS_DIR),
                **settings.nbgrader_overrides(), **self.overrides}


_apis: dict = {}  # per process: (root, overrides) -> (api, feedback api); building one reads the config file


def _apis_for(job: Job):
    overrides = job.nbgrader_overrides()
    key = (str(job.root), repr(sorted(overrides.items())))
    if key not in _apis:
        api = course.nbgrader_api(job.root, **overrides)
        feedback_api = course.feedback_api(job.root, **overrides)
        _apis[key] = (api, feedback_api)
    return _apis[key]


def precheck(staged: Path, student: str, assignment: str, names) -> str | None:
    """Why a staged submission cannot be graded (missing or unreadable notebook), or None when it can."""
    for name in names:
        path = staged / name
        if not path.is_file():
            return f"{student}/{assignment}/{name} is missing; submit the released notebook under that name"
        try:
            notebooks.read(path)
        except notebooks.NotebookError as exc:
            return str(exc).replace(str(staged.parent.parent) + os.sep, "")
    return None


def grade_one(job: Job, started=None) -> dict:
    """Grade one submission; its result (status 'error' with a reason when it could not be graded).

    `started(student)` is called just before nbgrader runs (not for a submission resumed as already graded)."""
    api, feedback_api = _apis_for(job)
    root, student, assignment, gb_cells = job.root, job.student, job.assignment, job.gb_cells
    db_url = api.coursedir.db_url
    try:
        staged = intake.stage(job.folder, student, assignment, job.staging, list(job.names),
                              int(api.coursedir.max_file_size) * 1000, list(api.coursedir.ignore))
    except intake.Refused as exc:
        return collect.failed(gb_cells, str(exc))
    except OSError as exc:  # the grader's side (disk full, permissions): say so, grade the others
        shutil.rmtree(job.staging / student, ignore_errors=True)
        return collect.failed(gb_cells, f"{student}/{assignment} could not be copied for grading ({exc.strerror or exc})")
    try:
        note = "; ".join(staged.notes)
        problem = precheck(staged.path, student, assignment, job.names)
        if problem:
            return collect.failed(gb_cells, f"{problem} ({note})" if note else problem)
        release.stamp_secret(staged.path)  # Release Feedback needs one (issue 11)
        stamp = resume.fingerprint(root, staged.path, assignment)
        if not job.regrade and resume.done(root, student, assignment, stamp):  # graded before
            result = collect.collect(root, assignment, student, db_url, gb_cells)
            if any(c["status"] == "manual" for c in result["cells"].values()):  # an instructor scored since: fresh feedback
                _feedback(feedback_api, job)
            return collect.noted(result, note)
        if started:
            started(student)
        for area in ("graded", "feedback"):  # nbgrader writes there: no link on the way, planted or old
            intake.clear_links(root, area, student, assignment)
        outcome = api.autograde(assignment, student, force=True, create=True)
        if not outcome["success"]:
            if course.is_course_gradebook(root, db_url):
                course.check_gradebook(root)  # a gradebook that broke meanwhile stops the run, never marks everyone "error"
            return collect.failed(gb_cells, collect.reason(outcome))
        _feedback(feedback_api, job)
        result = collect.noted(collect.collect(root, assignment, student, db_url, gb_cells), note)
        resume.mark_done(root, student, assignment, stamp)
        return result
    finally:
        shutil.rmtree(staged.path.parent, ignore_errors=True)


def _feedback(feedback_api, job: Job) -> None:
    """Write the submission's feedback/ (through no link) and stamp it for Release Feedback."""
    intake.clear_links(job.root, "feedback", job.student, job.assignment)
    feedback_api.generate_feedback(job.assignment, job.student, force=True)
    release.stamp_feedback(job.root, job.student, job.assignment, job.folder / job.student / job.assignment)


def grade_job(job: Job) -> dict:
    """grade_one for a Dask worker (no callback)."""
    course.quiet_library_warnings()
    return grade_one(job)
