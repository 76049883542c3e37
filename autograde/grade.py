"""Grade every submission of an assignment into the gradebook, with feedback and typed per-cell results."""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import sys
from pathlib import Path

from . import course, intake, keys, notebooks
from .checks import CHECK_TIMEOUT_ENV, GRADING_ENV
from .isolation import RUN_KEY
from .nbsteps import META_KEY
from .quiz.runner import SANDBOX_ENV as QUIZ_SANDBOX_ENV


@contextlib.contextmanager
def _grading_env(check_timeout: float | None, sandbox_mode: str = "require"):
    """Environment of grading kernels and questionnaire code runs: grading mode, check limit, sandbox policy."""
    saved = {k: os.environ.get(k) for k in (GRADING_ENV, CHECK_TIMEOUT_ENV, QUIZ_SANDBOX_ENV)}
    os.environ[GRADING_ENV] = "1"
    os.environ[QUIZ_SANDBOX_ENV] = sandbox_mode
    if check_timeout is not None:
        os.environ[CHECK_TIMEOUT_ENV] = str(check_timeout)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def find_submissions(folder: Path, assignment: str) -> list[str]:
    """Student ids with a `<folder>/<student>/<assignment>/` submission (refused entries are left out)."""
    if not folder.is_dir():
        raise course.CourseError(f"submissions folder {folder} does not exist; pass --submissions DIR")
    return intake.find(folder, assignment)[0]


def precheck(staged: Path, student: str, assignment: str, names: list[str]) -> str | None:
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


def _reason(result: dict) -> str:
    """The most telling line of a failed nbgrader run: its last exception that is not nbgrader's summary."""
    text = "\n".join(filter(None, [result.get("log"), result.get("error")]))
    found = re.findall(r"^\s*(?:\[ERROR\]\s*)?((?:\w+\.)*\w+(?:Error|Exception|Interrupt): .+)$", text, flags=re.M)
    telling = [line for line in found if "NbGraderException" not in line]
    return (telling or found or [text.strip()[-300:] or "nbgrader failed without a message"])[-1][:400]


def _graded_notes(root: Path, assignment: str, student: str) -> tuple[dict, list[str]]:
    """(grade_id -> typed verdict, reasons why a run ended early) from the graded notebooks."""
    found, reasons = {}, []
    for path in sorted((root / "graded" / student / assignment).glob("*.ipynb")):
        try:
            nb = notebooks.read(path)
        except notebooks.NotebookError:
            continue
        run = nb.metadata.get(RUN_KEY, {})
        if isinstance(run, dict) and run.get("status") not in (None, "complete"):
            reasons.append(f"{path.name}: {run.get('reason') or run.get('status')}")
        for cell in nb.cells:
            if META_KEY in cell.metadata and notebooks.grade_id(cell):
                found[notebooks.grade_id(cell)] = cell.metadata[META_KEY]
    return found, reasons


def _grade_cells(gb, assignment: str) -> dict:
    """grade_id -> max points for every grade cell of the released assignment."""
    cells = {}
    for nb in gb.find_assignment(assignment).notebooks:
        for cell in nb.grade_cells:
            cells[cell.name] = float(cell.max_score)
    return cells


def collect(root: Path, assignment: str, student: str, db_url: str, gb_cells: dict) -> dict:
    """One student's totals and per-cell results from the gradebook (manual scores win)."""
    from nbgrader.api import Gradebook

    messages, reasons = _graded_notes(root, assignment, student)
    cells = {}
    with Gradebook(db_url) as gb:
        submission = gb.find_submission(assignment, student)
        for nb in submission.notebooks:
            for grade in nb.grades:
                typed = messages.get(grade.name, {})
                manual = grade.manual_score is not None
                cells[grade.name] = {
                    "score": float(grade.score or 0.0),
                    "max": float(grade.max_score),
                    "status": "manual" if manual else typed.get("status", "passed" if grade.score == grade.max_score else "failed"),
                    "message": typed.get("message", ""),
                }
    for gid, mx in gb_cells.items():
        cells.setdefault(gid, {"score": 0.0, "max": mx, "status": "missing", "message": "no graded notebook holds this cell"})
    total = round(sum(c["score"] for c in cells.values()), 4)
    result = {"total": total, "max": round(sum(c["max"] for c in cells.values()), 4), "status": "graded", "cells": cells}
    if reasons:  # graded what ran; say why the rest did not
        result.update(status="incomplete", reason="; ".join(reasons))
    return result


def _failed(gb_cells: dict, reason: str) -> dict:
    cells = {gid: {"score": 0.0, "max": mx, "status": "error", "message": reason} for gid, mx in gb_cells.items()}
    return {"total": 0.0, "max": round(sum(gb_cells.values()), 4), "status": "error", "reason": reason, "cells": cells}


def ensure_released(root: Path, assignment: str) -> None:
    """Release the assignment first when the gradebook does not know it yet."""
    from nbgrader.api import Gradebook, MissingEntry

    from .release import release

    db_url = course.load_config(root).CourseDirectory.db_url
    try:
        with Gradebook(db_url) as gb:
            gb.find_assignment(assignment)
            return
    except MissingEntry:
        pass
    release(root, [assignment])


def check_sandbox(mode: str) -> str:
    """Refuse to grade without isolation unless the instructor chose 'off'; say so loudly either way."""
    from . import sandbox

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


def _fingerprint(root: Path, staged: Path, assignment: str) -> str:
    """Identifies what a finished grading used: the submitted notebooks (as staged) and the keys."""
    digest = hashlib.sha256()
    for path in sorted(staged.glob("*.ipynb")) + sorted((root / keys.KEYS_DIR / assignment).glob("*.json")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


DONE_MARKER = ".autograde-done"


def _done(root: Path, student: str, assignment: str, stamp: str) -> bool:
    """Was this submission graded to completion with these notebooks and keys (marker never followed)?"""
    data = intake.read_private(root / "graded" / student / assignment / DONE_MARKER, 4096)
    return data is not None and data.decode(errors="replace") == stamp


def _feedback_api(root: Path, overrides: dict):
    """An nbgrader API whose feedback step copies no file of the submission: feedback/ gets the HTML only."""
    return course.nbgrader_api(root, **{**overrides, "CourseDirectory.ignore": ["*", ".*"]})


def grade(root: Path, assignment: str, submissions: Path | None = None, check_timeout: float | None = None,
          cell_timeout: int | None = None, progress=None, sandbox_mode: str = "require", regrade: bool = False) -> dict:
    """Autograde each submission; one broken submission is reported with a reason, the rest are graded.

    Only one run works on a course at a time (course.grading_lock); the gradebook is checked first."""
    course.check_assignment(root, assignment)
    with course.grading_lock(root):
        course.check_gradebook(root)
        return _grade_locked(root, assignment, submissions, check_timeout, cell_timeout, progress, sandbox_mode, regrade)


def _grade_locked(root, assignment, submissions, check_timeout, cell_timeout, progress, sandbox_mode, regrade) -> dict:
    from nbgrader.api import Gradebook

    folder = (Path(submissions) if submissions else root / "submitted").resolve()  # the instructor's folder may be a link
    if not folder.is_dir():
        raise course.CourseError(f"submissions folder {folder} does not exist; pass --submissions DIR")
    students, refused = intake.find(folder, assignment)
    ensure_released(root, assignment)
    keys.ensure(root, assignment)
    staging = intake.clear_links(root, course.STATE_DIR, "staging")
    for leftover in staging.iterdir():  # from a run that was killed
        shutil.rmtree(leftover) if leftover.is_dir() and not leftover.is_symlink() else leftover.unlink()
    overrides = {"CourseDirectory.submitted_directory": str(staging), "SaveTypedGrades.keys_dir": str(root / keys.KEYS_DIR)}
    if cell_timeout:
        overrides["SandboxedExecute.timeout"] = int(cell_timeout)
    if check_timeout:
        overrides["SandboxedExecute.check_timeout"] = float(check_timeout)
    overrides["SandboxedExecute.sandbox"] = check_sandbox(sandbox_mode)
    api = course.nbgrader_api(root, **overrides)
    feedback_api = _feedback_api(root, overrides)
    db_url = api.coursedir.db_url
    with Gradebook(db_url) as gb:
        gb_cells = _grade_cells(gb, assignment)
    names = sorted(p.name for p in (root / "release" / assignment).glob("*.ipynb"))
    results = {name: _failed(gb_cells, reason) for name, reason in refused.items()}
    max_file_bytes = int(api.coursedir.max_file_size) * 1000
    with _grading_env(check_timeout, sandbox_mode):
        try:
            for student in students:
                results[student] = _grade_one(root, folder, staging, student, assignment, names, gb_cells, db_url, api,
                                              feedback_api, max_file_bytes, progress, regrade)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return dict(sorted(results.items()))


def _grade_one(root, folder, staging, student, assignment, names, gb_cells, db_url, api, feedback_api, max_file_bytes,
               progress, regrade) -> dict:
    try:
        staged = intake.stage(folder, student, assignment, staging, names, max_file_bytes, list(api.coursedir.ignore))
    except intake.Refused as exc:
        return _failed(gb_cells, str(exc))
    except OSError as exc:  # the grader's side (disk full, permissions): say so, grade the others
        shutil.rmtree(staging / student, ignore_errors=True)
        return _failed(gb_cells, f"{student}/{assignment} could not be copied for grading ({exc.strerror or exc})")
    try:
        note = "; ".join(staged.notes)
        problem = precheck(staged.path, student, assignment, names)
        if problem:
            return _failed(gb_cells, f"{problem} ({note})" if note else problem)
        stamp = _fingerprint(root, staged.path, assignment)
        if not regrade and _done(root, student, assignment, stamp):
            return _noted(collect(root, assignment, student, db_url, gb_cells), note)  # graded before an interruption
        if progress:
            progress(student)
        for area in ("graded", "feedback"):  # nbgrader writes there: no link on the way, planted or old
            intake.clear_links(root, area, student, assignment)
        outcome = api.autograde(assignment, student, force=True, create=True)
        if not outcome["success"]:
            course.check_gradebook(root)  # a gradebook that broke meanwhile stops the run, never marks everyone "error"
            return _failed(gb_cells, _reason(outcome))
        intake.clear_links(root, "feedback", student, assignment)
        feedback_api.generate_feedback(assignment, student, force=True)
        result = _noted(collect(root, assignment, student, db_url, gb_cells), note)
        intake.write_private(intake.clear_links(root, "graded", student, assignment) / DONE_MARKER, stamp)
        return result
    finally:
        shutil.rmtree(staged.path.parent, ignore_errors=True)


def _noted(result: dict, note: str) -> dict:
    if note:
        result["note"] = note
    return result
