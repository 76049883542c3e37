"""Student-facing feedback: credited ideas and hints for missing ones, never the rubric's phrasings."""
from __future__ import annotations

REASONS = {
    "empty": "No answer was given.",
    "copied": "The answer restates the question; explain the idea in your own words.",
    "term_list": "This reads as a list of terms; explain in sentences how the ideas connect.",
    "other_question": "This answer seems to address a different question (Q{other}); re-read what is asked.",
    "language": "Your answer will be read by an instructor (it does not look like English to the automatic grader).",
    "short": "The answer is too short to judge automatically; an instructor will look at it.",
    "conflict": "Automatic signals disagree about this answer; an instructor will confirm the score.",
    "code_error": "Your code did not run to the end.",
}


def _label(idea) -> str:
    return idea.label or idea.id.replace("_", " ")


def compose(reason: str, credited=(), missing=(), misconceptions=(), code_passed=(), code_failed=(),
            code_error: str = "", other: int | None = None) -> str:
    """Join the pieces into one short paragraph."""
    parts = []
    if reason in REASONS:
        parts.append(REASONS[reason].format(other=other))
    if code_error:
        parts.append(f"Running your code: {code_error}.")
    if reason in ("empty", "copied"):
        hints = [i.hint for i in missing][:3]
        if hints:
            parts.append("Consider: " + " ".join(hints))
        return " ".join(parts)
    if code_passed:
        parts.append("Code checks passed: " + ", ".join(c.id.replace("_", " ") for c in code_passed) + ".")
    for c, detail in code_failed:
        parts.append(f"Code check '{c.id.replace('_', ' ')}' failed{': ' + detail if detail else ''}. Hint: {c.hint}")
    if credited:
        parts.append("Credited: " + ", ".join(_label(i) for i in credited) + ".")
    for m in misconceptions:
        parts.append("Careful: " + m.hint)
    if missing:
        parts.append("To improve: " + " ".join(i.hint for i in missing))
    if not parts:
        parts.append("Well done.")
    return " ".join(parts)
