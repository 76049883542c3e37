"""Grades as a table for people and as JSON for programs."""
from __future__ import annotations

import json
from pathlib import Path

from . import notebooks

MAX_LISTED = 4


def write_json(results: dict, path: Path) -> None:
    """Write `{student: {total, max, status, [reason,] [note,] cells: {grade_id: {score, max, status, message}}}}`.

    `reason` says why a submission was not (fully) graded; `note` what the grader did on the way (a renamed
    notebook graded under its released name, files left out as too large)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def lost_points(cell: dict) -> bool:
    """Did this cell lose points? A passed cell never did (its score is the points a pass earns)."""
    return cell["status"] != "passed" and cell["score"] < cell["max"] - 1e-9


def print_table(assignment: str, results: dict, console=None) -> None:
    """Print one row per student: total, status, and the cells that lost points."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = console or Console()
    table = Table(title=f"Grades for {assignment}")
    for column in ("student", "score", "status", "lost points"):
        table.add_column(column, overflow="fold")
    for student, res in sorted(results.items()):
        lost = [f"{gid} {c['score']:g}/{c['max']:g} ({c['status']})" for gid, c in res["cells"].items() if lost_points(c)]
        if len(lost) > MAX_LISTED:
            lost = lost[:MAX_LISTED] + [f"and {len(lost) - MAX_LISTED} more cells"]
        note = res.get("reason") or "; ".join(lost) or "-"
        if res.get("note"):
            note = f"{note} [{res['note']}]" if note != "-" else res["note"]
        shown = student if student.isprintable() else repr(student)
        table.add_row(escape(shown), f"{res['total']:g} / {res['max']:g}", res["status"], escape(note))
    console.print(table)


def graded_notebooks(root: Path, assignment: str, student: str) -> list:
    """The graded notebooks of one submission (unreadable ones left out), read without following links."""
    from . import intake

    found = []
    folder = Path(root) / "graded" / student / assignment
    for path in sorted(folder.glob("*.ipynb")) if folder.is_dir() and not folder.is_symlink() else []:
        data = intake.read_private(path, 200 << 20)
        if data is None:
            continue
        try:
            import nbformat
            found.append((path, nbformat.reads(data.decode("utf-8"), as_version=4)))
        except Exception:  # noqa: BLE001 - a damaged graded copy is skipped; grade reports it
            continue
    return found


def instructor_cells(root: Path, assignment: str, student: str, db_url: str, graded=None) -> dict:
    """grade_id -> what the JSON says of a cell an instructor scored: status 'manual', scored_by, the instructor's
    comment as its message (the automatic status and message kept as auto_status / auto_message).

    `graded`: the submission's grading.collect.GradedCopy when already read. Merge the result into each cell of
    grade.collect: `cells[gid].update(found.get(gid, {}))`."""
    from nbgrader.api import Gradebook, MissingEntry

    from .grading.collect import read_graded

    graded = read_graded(root, assignment, student) if graded is None else graded
    typed, anchors = graded.verdicts, graded.anchors
    found = {}
    with Gradebook(db_url) as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            return {}
        for nb in submission.notebooks:
            comments = {c.name: c for c in nb.comments}
            for grade in nb.grades:
                if grade.manual_score is None:
                    continue
                anchor = anchors.get(grade.name)
                comment = comments.get(anchor) if anchor else None
                auto = typed.get(grade.name, {})
                note = (comment.manual_comment or "").strip() if comment is not None else ""
                found[grade.name] = {"status": "manual", "scored_by": "instructor", "manual_comment": note,
                                     "message": note or "scored by the instructor",
                                     "auto_status": auto.get("status", ""), "auto_message": auto.get("message", "")}
    return found
