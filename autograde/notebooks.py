"""Reading and writing notebooks, with errors that name the file and the fix."""
from __future__ import annotations

from pathlib import Path

import nbformat


class NotebookError(ValueError):
    """A notebook file cannot be read as a notebook."""


def read(path: Path):
    """Read a notebook (v4), raising NotebookError that names the file on any defect."""
    try:
        return nbformat.read(str(path), as_version=4)
    except Exception as exc:  # nbformat raises many types for corrupt JSON or schema
        raise NotebookError(f"{path}: not a readable notebook ({type(exc).__name__}: {str(exc)[:200]}); re-save it from Jupyter") from exc


def write(nb, path: Path) -> None:
    """Write a notebook, creating folders, with a trailing newline for clean diffs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def grade_id(cell) -> str | None:
    """The nbgrader grade_id of a cell, if it has one."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def clear_outputs(nb) -> None:
    """Drop outputs and execution counts of every code cell."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
