"""Rubric model and loader: one JSON file per chapter under autograde/quiz/rubrics/."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

RUBRIC_DIR = Path(__file__).with_name("rubrics")


@dataclass
class Idea:
    """A key idea: points, accepted phrasings (any one suffices), and a hint that does not give it away."""

    id: str
    points: float
    any: list[str]
    hint: str
    label: str = ""
    window: int | None = None


@dataclass
class Misconception:
    """A common wrong claim: phrasings that reveal it, the points it costs, and a hint."""

    id: str
    any: list[str]
    penalty: float
    hint: str
    window: int | None = None


@dataclass
class CodeCheck:
    """A hidden check on values reported by the student's code (decided in the grader)."""

    id: str
    kind: str
    points: float
    hint: str
    args: dict = field(default_factory=dict)


@dataclass
class Question:
    """One questionnaire item with its rubric."""

    q: int
    topic: str
    question: str
    kind: str  # prose | code | code+prose
    model_answer: str
    ideas: list[Idea] = field(default_factory=list)
    misconceptions: list[Misconception] = field(default_factory=list)
    probe: dict = field(default_factory=dict)
    checks: list[CodeCheck] = field(default_factory=list)
    list_ok: bool = False
    min_words: int = 4

    @property
    def prose_points(self) -> float:
        return sum(i.points for i in self.ideas)

    @property
    def code_points(self) -> float:
        return sum(c.points for c in self.checks)

    @property
    def points(self) -> float:
        return self.prose_points + self.code_points


@dataclass
class Rubric:
    """A chapter's questionnaire rubric."""

    chapter: str
    title: str
    synonyms: dict[str, list[str]]
    questions: dict[int, Question]

    @property
    def synonyms_key(self) -> tuple:
        return tuple((k, tuple(v)) for k, v in sorted(self.synonyms.items()))


def _question(d: dict) -> Question:
    return Question(
        q=int(d["q"]), topic=d["topic"], question=d["question"], kind=d.get("kind", "prose"),
        model_answer=d.get("model_answer", ""),
        ideas=[Idea(i["id"], float(i.get("points", 1)), list(i["any"]), i["hint"], i.get("label", ""),
                    i.get("window")) for i in d.get("ideas", [])],
        misconceptions=[Misconception(m["id"], list(m["any"]), float(m.get("penalty", 1)), m["hint"],
                                      m.get("window")) for m in d.get("misconceptions", [])],
        probe=d.get("probe", {}),
        checks=[CodeCheck(c["id"], c["kind"], float(c.get("points", 1)), c["hint"], c.get("args", {}))
                for c in d.get("checks", [])],
        list_ok=bool(d.get("list_ok", False)), min_words=int(d.get("min_words", 4)),
    )


def load(chapter: str | int) -> Rubric:
    """Load and validate the rubric of a chapter ('04' or 4); cached."""
    return _load(f"{int(chapter):02d}")


@lru_cache(maxsize=None)
def _load(ch: str) -> Rubric:
    path = RUBRIC_DIR / f"{ch}.json"
    if not path.exists():
        raise KeyError(f"no questionnaire rubric for chapter {ch}")
    data = json.loads(path.read_text(encoding="utf-8"))
    qs = {q.q: q for q in map(_question, data["questions"])}
    for q in qs.values():
        if q.points <= 0:
            raise ValueError(f"chapter {ch} question {q.q}: no points")
        _check_arrangements(ch, q)
    return Rubric(ch, data.get("title", ""), data.get("synonyms", {}), qs)


def _check_arrangements(ch: str, q: Question) -> None:
    """A function probe's argument arrangements name only its arguments (see harness.arrangements)."""
    ways = q.probe.get("arrangements")
    if not ways:
        return
    n = len(q.probe["args"][0]) if q.probe.get("args") else 0
    for way in ways:
        flat = [j for a in way for j in (a if isinstance(a, list) else [a])]
        if not flat or any(type(j) is not int or not 0 <= j < n for j in flat):
            raise ValueError(f"chapter {ch} question {q.q}: probe arrangement {way} must list indices of its "
                             f"{n} arguments (an int, or a list of ints passed as one tuple)")


def chapters() -> list[str]:
    """Chapters that have a rubric."""
    return sorted(p.stem for p in RUBRIC_DIR.glob("*.json"))
