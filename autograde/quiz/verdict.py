"""Verdict policy: from a score fraction and form flags to correct / partial / incorrect / review."""
from __future__ import annotations

CORRECT_AT = 0.75
PARTIAL_AT = 0.25
TERM_LIST_CAP = 0.2
SEM_HIGH = 0.72  # model similarity that contradicts a low rubric score
SEM_LOW = 0.12   # model similarity that contradicts a high rubric score


def band(frac: float) -> str:
    """Verdict for a trusted score."""
    if frac >= CORRECT_AT:
        return "correct"
    if frac >= PARTIAL_AT:
        return "partial"
    return "incorrect"


def decide(frac: float, flags: dict) -> tuple[float, str, str]:
    """(score, verdict, reason); `flags` holds form and conflict findings. Review keeps the score as a suggestion."""
    if flags.get("empty"):
        return 0.0, "incorrect", "empty"
    if flags.get("copied"):
        return 0.0, "incorrect", "copied"
    if flags.get("other_language"):
        return frac, "review", "language"
    if flags.get("other_question"):
        return min(frac, 0.1), "incorrect", "other_question"
    if flags.get("term_list"):
        return min(frac, TERM_LIST_CAP), "incorrect", "term_list"
    if flags.get("code_error") and frac > 0:
        return frac, band(frac) if frac < CORRECT_AT else "partial", "code_error"
    if flags.get("too_short"):
        return (frac, "review", "short") if frac > 0 else (0.0, "incorrect", "")
    if flags.get("conflict"):
        return frac, "review", "conflict"
    return frac, band(frac), ""
