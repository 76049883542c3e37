"""Grades as a table for people and as JSON for programs."""
from __future__ import annotations

import json
from pathlib import Path

MAX_LISTED = 4


def write_json(results: dict, path: Path) -> None:
    """Write `{student: {total, max, status, [reason,] [note,] cells: {grade_id: {score, max, status, message}}}}`.

    `reason` says why a submission was not (fully) graded; `note` what the grader did on the way (a renamed
    notebook graded under its released name, files left out as too large)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")


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
        lost = [f"{gid} {c['score']:g}/{c['max']:g} ({c['status']})" for gid, c in res["cells"].items() if c["score"] < c["max"]]
        if len(lost) > MAX_LISTED:
            lost = lost[:MAX_LISTED] + [f"and {len(lost) - MAX_LISTED} more cells"]
        note = res.get("reason") or "; ".join(lost) or "-"
        if res.get("note"):
            note = f"{note} [{res['note']}]" if note != "-" else res["note"]
        shown = student if student.isprintable() else repr(student)
        table.add_row(escape(shown), f"{res['total']:g} / {res['max']:g}", res["status"], escape(note))
    console.print(table)
