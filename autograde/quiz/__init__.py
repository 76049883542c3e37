"""Questionnaire grading: rubric-scored prose, hidden-test code answers, verdicts and feedback."""
from __future__ import annotations


def score_answer(chapter: str, q: int, answer: str, **kw) -> dict:
    """Grade one answer (see autograde.quiz.scorer.score_answer)."""
    from .scorer import score_answer as _score
    return _score(chapter, q, answer, **kw)


__all__ = ["score_answer"]
