"""Find hidden-test or solution text in student-facing files."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

from . import notebooks, regions

MIN_LENGTH = 10


def visible_text(nb) -> str:
    out = []
    for cell in nb.cells:
        text = cell.source
        for kind in regions.KINDS:
            text = regions.remove(text, kind)
        out.append(text)
    return "\n".join(out)


def secret_lines(source: Path, kind: str) -> set[str]:
    """Distinctive lines inside `kind` regions of a source notebook (lines also shown to students excluded)."""
    nb = notebooks.read(source)
    visible = visible_text(nb)
    lines = set()
    for cell in nb.cells:
        for body in regions.bodies(cell.source, kind, where=f"{source}, cell {notebooks.grade_id(cell)}"):
            lines.update(line.strip() for line in body.splitlines())
    return {line for line in lines if len(line) >= MIN_LENGTH and line not in visible}


def readable_text(path: Path) -> str:
    """A file's text as a reader sees it: notebook sources and outputs, or HTML without tags."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        return html.unescape(re.sub(r"<[^>]+>", "", raw))
    if path.suffix == ".ipynb":
        return json.dumps(json.loads(raw), ensure_ascii=False).replace("\\n", "\n").replace('\\"', '"')
    return raw


def find_leaks(paths, secrets: set[str]) -> list[str]:
    """'file: line' for every secret line that appears in one of the files."""
    found = []
    for path in paths:
        text = readable_text(Path(path))
        found += [f"{path}: {line}" for line in sorted(secrets) if line in text]
    return found



def rubric_phrasings(chapter: str) -> set[str]:
    """The matching patterns of a questionnaire rubric (key ideas and misconceptions) written in its syntax.

    Plain words (e.g. 'likelihood') are left out: a student's own answer may hold them.
    """
    from .quiz.rubric import load

    found = set()
    for question in load(chapter).questions.values():
        for item in [*question.ideas, *question.misconceptions]:
            found.update(item.any)
    return {s for s in found if len(s) >= MIN_LENGTH and any(mark in s for mark in "|*_@^")}


def rubric_secrets(chapter: str, shown: str = "") -> set[str]:
    """Rubric text students must never see: its phrasings and the model answers (less lines `shown` anyway)."""
    from .quiz.rubric import load

    answers = {line.strip() for q in load(chapter).questions.values() for line in q.model_answer.splitlines()}
    return {s for s in rubric_phrasings(chapter) | answers if len(s) >= MIN_LENGTH and s not in shown}
