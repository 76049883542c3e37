"""Example submissions built from the release: complete, untouched, partial, tampered, infinite loop."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import notebooks, regions

EXAMPLES_DIR = Path("examples") / "submitted"


@dataclass(frozen=True)
class Answer:
    """Replace the student's answer in solution cell `grade_id` with `source` (None: leave the stub)."""

    grade_id: str
    source: str | None = None


@dataclass(frozen=True)
class EditTest:
    """Overwrite grade cell `grade_id` with `source`, or delete it when `source` is None."""

    grade_id: str
    source: str | None = None


# Every example starts from the complete (correct) submission unless it is "untouched".
PLANS = {
    "04_mnist_basics": {
        "example-complete": [],
        "example-untouched": None,
    },
}


def _complete(release_nb, source_nb):
    answers = {notebooks.grade_id(c): c.source for c in source_nb.cells if c.metadata.get("nbgrader", {}).get("solution")}
    nb = notebooks.nbformat.from_dict(release_nb)
    for cell in nb.cells:
        gid = notebooks.grade_id(cell)
        if cell.metadata.get("nbgrader", {}).get("solution") and gid in answers:
            cell.source = regions.unwrap(answers[gid], "solution", where=f"source cell {gid}")
    return nb


def _apply(nb, release_nb, edits):
    stubs = {notebooks.grade_id(c): c.source for c in release_nb.cells}
    for edit in edits:
        index = next((i for i, c in enumerate(nb.cells) if notebooks.grade_id(c) == edit.grade_id), None)
        if index is None:
            raise KeyError(f"example edit names grade_id {edit.grade_id!r}, which the notebook lacks")
        if isinstance(edit, Answer):
            nb.cells[index].source = stubs[edit.grade_id] if edit.source is None else edit.source
        elif edit.source is None:
            del nb.cells[index]
        else:
            nb.cells[index].source = edit.source
    return nb


def build(root: Path, assignment: str, dest: Path | None = None) -> list[Path]:
    """Write the example submissions of `assignment` under dest/<student>/<assignment>/; returns paths."""
    dest = dest or root / EXAMPLES_DIR
    written = []
    for path in sorted((root / "release" / assignment).glob("*.ipynb")):
        release_nb = notebooks.read(path)
        source_nb = notebooks.read(root / "source" / assignment / path.name)
        for student, edits in PLANS.get(assignment, {}).items():
            nb = notebooks.nbformat.from_dict(release_nb) if edits is None else _apply(_complete(release_nb, source_nb), release_nb, edits)
            out = dest / student / assignment / path.name
            notebooks.write(nb, out)
            written.append(out)
    return written
