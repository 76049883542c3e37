"""Result collection: one student's result, read once from one place per fact.

Scores (manual ones included) and comments come from the gradebook; the typed verdict's status and message from
the graded notebook's cell metadata (written there once, by nbsteps.SaveTypedGrades); why a run ended early from
the graded notebook's run record. `read_graded` is the one reader of graded notebooks (grading, class report,
manual scores)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import notebooks
from ..isolation import RUN_KEY
from ..nbsteps import META_KEY, comment_anchors
from ..report import graded_notebooks, instructor_cells


def reason(result: dict) -> str:
    """The most telling line of a failed nbgrader run: its last exception that is not nbgrader's summary."""
    text = "\n".join(filter(None, [result.get("log"), result.get("error")]))
    found = re.findall(r"^\s*(?:\[ERROR\]\s*)?((?:\w+\.)*\w+(?:Error|Exception|Interrupt): .+)$", text, flags=re.M)
    telling = [line for line in found if "NbGraderException" not in line]
    return (telling or found or [text.strip()[-300:] or "nbgrader failed without a message"])[-1][:400]


@dataclass
class GradedCopy:
    """What one submission's graded notebooks say, read once: each grade cell's typed verdict, why a run ended
    early, and which cell holds each grade cell's comment."""

    verdicts: dict = field(default_factory=dict)   # grade_id -> typed verdict (status, message, score, max)
    reasons: list = field(default_factory=list)    # "<notebook>: why its run ended early"
    anchors: dict = field(default_factory=dict)    # grade_id -> grade_id of the cell holding its comment


def read_graded(root: Path, assignment: str, student: str) -> GradedCopy:
    """The typed verdicts (written once, by nbsteps.SaveTypedGrades), run records and comment anchors of a
    submission's graded notebooks (read without following links; an unreadable copy is left out)."""
    found = GradedCopy()
    for path, nb in graded_notebooks(root, assignment, student):
        run = nb.metadata.get(RUN_KEY, {})
        if isinstance(run, dict) and run.get("status") not in (None, "complete"):
            found.reasons.append(f"{path.name}: {run.get('reason') or run.get('status')}")
        found.anchors.update(comment_anchors(nb))
        for cell in nb.cells:
            if isinstance(cell.metadata.get(META_KEY), dict) and notebooks.grade_id(cell):
                found.verdicts[notebooks.grade_id(cell)] = cell.metadata[META_KEY]
    return found


def grade_cells(gb, assignment: str) -> dict:
    """grade_id -> max points for every grade cell of the released assignment."""
    cells = {}
    for nb in gb.find_assignment(assignment).notebooks:
        for cell in nb.grade_cells:
            cells[cell.name] = float(cell.max_score)
    return cells


def collect(root: Path, assignment: str, student: str, db_url: str, gb_cells: dict) -> dict:
    """One student's totals and per-cell results from the gradebook (manual scores win)."""
    from nbgrader.api import Gradebook

    graded = read_graded(root, assignment, student)
    messages, reasons = graded.verdicts, graded.reasons
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
    if any(c["status"] == "manual" for c in cells.values()):  # the instructor's comment (read only when one scored)
        for gid, extra in instructor_cells(root, assignment, student, db_url, graded).items():
            cells.get(gid, {}).update(extra)
    for gid, mx in gb_cells.items():
        cells.setdefault(gid, {"score": 0.0, "max": mx, "status": "missing", "message": "no graded notebook holds this cell"})
    total = round(sum(c["score"] for c in cells.values()), 4)
    result = {"total": total, "max": round(sum(c["max"] for c in cells.values()), 4), "status": "graded", "cells": cells}
    if reasons:  # graded what ran; say why the rest did not
        result.update(status="incomplete", reason="; ".join(reasons))
    return result


def failed(gb_cells: dict, why: str) -> dict:
    """The result of a submission that could not be graded: every cell 0 points, status 'error', with the reason."""
    cells = {gid: {"score": 0.0, "max": mx, "status": "error", "message": why} for gid, mx in gb_cells.items()}
    return {"total": 0.0, "max": round(sum(gb_cells.values()), 4), "status": "error", "reason": why, "cells": cells}


def noted(result: dict, note: str) -> dict:
    """The result with what the grader did on the way (renamed notebook, files left out), when anything."""
    if note:
        result["note"] = note
    return result
