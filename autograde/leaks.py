"""Find hidden-test or solution text in student-facing files."""
from __future__ import annotations

import html
import itertools
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
        return "\n".join(_strings(json.loads(raw)))
    return raw


def _strings(data):
    """Every string of a notebook's JSON as written, a list of lines (a cell's source) joined back into one."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, list) and data and all(isinstance(x, str) for x in data):
        yield "".join(data)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item)
    elif isinstance(data, dict):
        for key, value in data.items():
            yield str(key)
            yield from _strings(value)
    elif data is not None:
        yield str(data)


def _loose(text: str) -> str:
    return " ".join(text.casefold().split())


def find_leaks(paths, secrets: set[str], loose: bool = False) -> list[str]:
    """'file: line' for every secret line that appears in one of the files.

    `loose` compares case-folded text with runs of white space made one space (for expanded phrasings).
    A scan with no file or no secret proves nothing, so either raises ValueError.
    """
    paths, secrets = list(paths), set(secrets)
    if not paths:
        raise ValueError("no file to scan for leaks: a leak test over nothing proves nothing")
    if not secrets:
        raise ValueError("no secret to look for: a leak test with an empty secret set proves nothing")
    found = []
    for path in paths:
        text = readable_text(Path(path))
        if loose:
            text = _loose(text)
        found += [f"{path}: {line}" for line in sorted(secrets) if (_loose(line) if loose else line) in text]
    return found


OPERATORS = ("-=", "+=", "*=", "==", "@", "->", "+", "*", "/")  # code alternatives written as they are
MAX_EXPANSIONS = 10_000


def expand_phrasing(phrase: str, synonyms: dict | None = None) -> set[str]:
    """The word sequences a rubric phrasing stands for, in its written slot order.

    The syntax is the matcher's (autograde/quiz/match.py): slots separated by spaces, alternatives by
    '|', words of one alternative joined by '_' or '-', '@name' for a synonym set, and '*' for any
    ending (dropped here: 'grad* @loss' -> 'grad loss', 'grad cost', ...).
    """
    synonyms = synonyms or {}
    slots = []
    for slot in phrase.split():
        alternatives = []
        for alt in slot.split("|"):
            if alt.startswith("@") and len(alt) > 1 and alt[1:] in synonyms:
                alternatives.extend(synonyms[alt[1:]])
            elif alt:
                alternatives.append(alt)
        words = set()
        for alt in alternatives:
            if alt in OPERATORS:
                words.add(alt)
                continue
            text = " ".join(p.replace("*", "") for p in alt.replace("-", "_").split("_") if p.replace("*", ""))
            if text:
                words.add(text)
        if words:
            slots.append(sorted(words))
    count = 1
    for slot in slots:
        count *= len(slot)
    if count > MAX_EXPANSIONS:
        raise ValueError(f"rubric phrasing {phrase!r} stands for {count} word sequences (at most {MAX_EXPANSIONS}); split it")
    return {" ".join(words) for words in itertools.product(*slots)} if slots else set()


def _phrasings(chapter: str):
    from .quiz.rubric import load

    rubric = load(chapter)
    for question in rubric.questions.values():
        for item in [*question.ideas, *question.misconceptions]:
            yield from ((phrase, rubric.synonyms) for phrase in item.any)


def rubric_phrasings(chapter: str) -> set[str]:
    """The matching patterns of a questionnaire rubric (key ideas and misconceptions) written in its syntax.

    Plain words (e.g. 'likelihood') are left out: a student's own answer may hold them.
    """
    found = {phrase for phrase, _ in _phrasings(chapter)}
    return {s for s in found if len(s) >= MIN_LENGTH and any(mark in s for mark in "|*_@^")}


def rubric_expansions(chapter: str, shown: str = "") -> set[str]:
    """Every phrasing of the rubric expanded into the word sequences it accepts (two words or more and
    MIN_LENGTH characters: one word may be any student's), less those in the text `shown` anyway.

    Compare them with `find_leaks(..., loose=True)`: a rubric printed in readable words is a leak too.
    """
    found = set()
    for phrase, synonyms in _phrasings(chapter):
        found |= {s for s in expand_phrasing(phrase, synonyms) if len(s) >= MIN_LENGTH and " " in s}
    shown = _loose(shown)
    return {s for s in found if _loose(s) not in shown}


def rubric_secrets(chapter: str, shown: str = "") -> set[str]:
    """Rubric text students must never see: its phrasings and the model answers (less lines `shown` anyway)."""
    from .quiz.rubric import load

    answers = {line.strip() for q in load(chapter).questions.values() for line in q.model_answer.splitlines()}
    return {s for s in rubric_phrasings(chapter) | answers if len(s) >= MIN_LENGTH and s not in shown}
