"""A tiny course (one fast notebook, no fastai) for exercising the grading pipeline in tests."""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = "toy"


def _meta(grade_id, solution=False, grade=False, locked=True, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


SOLUTION_DOUBLE = "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"
SOLUTION_MEAN = "def mean_rows(t):\n    ### BEGIN SOLUTION\n    return t.mean(-1)\n    ### END SOLUTION"
HIDDEN_DOUBLE = (
    "# Hidden tests for double (3 points) run when graded.\n"
    "### BEGIN HIDDEN TESTS\n"
    "import autograde.checks as _ck\n"
    "_ck.grade(\n"
    "    _ck.equal('double of an int', lambda: double(21)),\n"
    "    _ck.equal('double of a negative', lambda: double(-4)),\n"
    "    _ck.equal('double of a string repeats it', lambda: double('ab')),\n"
    ")\n"
    "### END HIDDEN TESTS"
)
HIDDEN_MEAN = (
    "# Hidden tests for mean_rows (2 points) run when graded.\n"
    "### BEGIN HIDDEN TESTS\n"
    "import autograde.checks as _ck\n"
    "import torch as _torch\n"
    "_ck.grade(\n"
    "    _ck.close('mean of each row', lambda: mean_rows(_torch.tensor([[1., 2.], [3., 5.]]))),\n"
    "    _ck.shape('one mean per row', lambda: mean_rows(_ck.rand(5, 3))),\n"
    ")\n"
    "### END HIDDEN TESTS"
)


def toy_notebook():
    """The instructor notebook of the toy assignment (5 points)."""
    cells = [
        new_markdown_cell("# Toy assignment", metadata=_meta("intro")),
        new_code_cell("import sys, warnings\nprint('a library warning', file=sys.stderr)", metadata=_meta("setup")),
        new_code_cell(SOLUTION_DOUBLE, metadata=_meta("ex_double", solution=True, locked=False)),
        new_code_cell(HIDDEN_DOUBLE, metadata=_meta("test_double", grade=True, points=3)),
        new_code_cell(SOLUTION_MEAN, metadata=_meta("ex_mean", solution=True, locked=False)),
        new_code_cell(HIDDEN_MEAN, metadata=_meta("test_mean", grade=True, points=2)),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def make_course(dest: Path) -> Path:
    """Write a course folder (config + source/toy/toy.ipynb) at `dest`; returns it."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "nbgrader_config.py", dest / "nbgrader_config.py")
    path = dest / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(toy_notebook(), str(path))
    return dest


def submission(course: Path, student: str, answers: dict | None = None, folder: str = "submitted") -> Path:
    """Copy the released toy notebook as `student`'s submission, replacing answer cells by grade_id."""
    nb = nbformat.read(str(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if answers and gid in answers:
            if answers[gid] is None:
                cell.metadata["delete"] = True
            else:
                cell.source = answers[gid]
    nb.cells = [c for c in nb.cells if not c.metadata.get("delete")]
    out = course / folder / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(out))
    return out
