"""Rubric scoring of a prose answer: credited key ideas, misconceptions, partial credit."""
from __future__ import annotations

from dataclasses import dataclass, field

from .match import Doc
from .rubric import Question, Rubric


@dataclass
class ProseResult:
    """Raw rubric outcome for one answer."""

    earned: float
    max: float
    credited: list = field(default_factory=list)  # Idea
    missing: list = field(default_factory=list)  # Idea
    misconceptions: list = field(default_factory=list)  # Misconception
    gross: float = 0.0  # points before penalties

    @property
    def frac(self) -> float:
        return self.earned / self.max if self.max else 0.0


def _phrase_hit(doc: Doc, phrase: str, syn, window):
    anchored = phrase.startswith("^ ")
    hit = doc.find(phrase[2:] if anchored else phrase, syn, window)
    if hit is None or hit.negated:
        return None
    if anchored and (hit.start > 2 or "|" in doc.toks[: hit.start]):
        return None
    return hit


def score_prose(q: Question, rubric: Rubric, text: str, doc: Doc | None = None) -> ProseResult:
    """Credit each idea whose any-phrasing occurs (not negated); subtract misconception penalties."""
    doc = doc or Doc(text)
    syn = rubric.synonyms_key
    res = ProseResult(0.0, q.prose_points)
    for idea in q.ideas:
        if any(_phrase_hit(doc, p, syn, idea.window) for p in idea.any):
            res.credited.append(idea)
            res.gross += idea.points
        else:
            res.missing.append(idea)
    penalty = 0.0
    for m in q.misconceptions:
        if any(_phrase_hit(doc, p, syn, m.window) for p in m.any):
            res.misconceptions.append(m)
            penalty += m.penalty
    res.earned = max(0.0, min(res.max, res.gross - penalty))
    return res
