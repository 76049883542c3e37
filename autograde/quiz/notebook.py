"""The questionnaire notebook of a chapter, built from its rubric (questions and model answers)."""
from __future__ import annotations

import re

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from .rubric import load
from .split import split_answer

GRADE_ID = re.compile(r"^q(?P<chapter>\d{2})_(?P<q>\d{2})$")
CODE_SUFFIX = "_code"

INTRO = """# Chapter {chapter} questionnaire: {title}

Answer every question in your own words. Questions are numbered as in the book (`{chapter}-01` …),
so you can look back at the chapter.

* **Prose answers** go in the markdown cell under the question (replace `YOUR ANSWER HERE`).
  Explain the idea in a few sentences; a bare list of key words earns little.
* **Code answers** go in the code cell under the question; run it to see the result. Your code is
  graded by what it does, in a fresh Python process: define everything it needs in that cell.
* Questions with both ask for the code first, then a short explanation in the markdown cell.

Each answer is graded automatically with partial credit; answers the grader cannot judge are
passed to your instructor, whose score always wins. Feedback says which ideas were credited and
gives a hint for each one that was missing."""

# The names the quiz engine gives code answers (torch, plt, re, Path, pd, L, Module, Embedding, ...).
SETUP = """import warnings; warnings.filterwarnings('ignore', category=FutureWarning)
from fastai.vision.all import *
from fastai.collab import *"""


def grade_id(chapter: str, q: int) -> str:
    """The grade_id of question `q`'s graded answer cell, e.g. q04_07."""
    return f"q{chapter}_{q:02d}"


def parse_grade_id(name: str) -> tuple[str, int] | None:
    """(chapter, question) for a questionnaire answer cell's grade_id, else None."""
    match = GRADE_ID.match(name or "")
    return (match["chapter"], int(match["q"])) if match else None


def _meta(gid, *, solution=False, grade=False, points=None):
    meta = {"grade": grade, "grade_id": gid, "locked": not solution, "schema_version": 3, "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _solution(text: str) -> str:
    return f"### BEGIN SOLUTION\n{text.strip()}\n### END SOLUTION"


def _given_cells(chapter: str, question) -> list:
    """A read-only cell defining what the question hands the student (the engine defines the same)."""
    probe = question.probe or {}
    lines = []
    if probe.get("setup"):
        lines.append(probe["setup"])
    if probe.get("type") == "listcomp" and probe.get("var") and probe.get("inputs"):
        lines.append(f"{probe['var']} = {probe['inputs'][0]!r}")
    if not lines:
        return []
    return [new_code_cell("\n".join(lines), metadata=_meta(f"{grade_id(chapter, question.q)}_given"))]


def _answer_cells(chapter: str, question) -> list:
    gid, points = grade_id(chapter, question.q), float(question.points)
    if question.kind == "prose" or not question.checks:  # (pseudo)code without checks is read, not run
        return [new_markdown_cell(_solution(question.model_answer), metadata=_meta(gid, solution=True, grade=True, points=points))]
    if question.kind == "code":
        return [new_code_cell(_solution(question.model_answer), metadata=_meta(gid, solution=True, grade=True, points=points))]
    code, prose = split_answer(question.model_answer)
    return [
        new_code_cell(_solution(code), metadata=_meta(gid + CODE_SUFFIX, solution=True)),
        new_markdown_cell(_solution(prose), metadata=_meta(gid, solution=True, grade=True, points=points)),
    ]


def build(chapter: str):
    """The instructor (source) questionnaire notebook for `chapter`."""
    rubric = load(chapter)
    cells = [
        new_markdown_cell(INTRO.format(chapter=rubric.chapter, title=rubric.title), metadata=_meta("intro")),
        new_code_cell(SETUP, metadata=_meta("setup")),
    ]
    for q in sorted(rubric.questions):
        question = rubric.questions[q]
        label = f"**{rubric.chapter}-{q:02d}** ({question.kind.replace('+', ' and ')}, {question.points:g} points)"
        cells.append(new_markdown_cell(f"{label}\n\n{question.question}", metadata=_meta(f"q{rubric.chapter}_{q:02d}_prompt")))
        cells += _given_cells(rubric.chapter, question) + _answer_cells(rubric.chapter, question)
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb
