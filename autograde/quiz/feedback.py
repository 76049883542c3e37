"""Student-facing feedback: credited ideas and hints for missing ones, never the rubric's phrasings."""
from __future__ import annotations

REASONS = {
    "empty": "No answer was given.",
    "copied": "The answer restates the question; explain the idea in your own words.",
    "dont_know": "The answer says you do not know; have another look at this part of the chapter.",
    "injection": "Part of the answer addresses the grader instead of the question; an instructor will read it.",
    "term_list": "This reads as a list of terms; explain in sentences how the ideas connect.",
    "other_question": "This answer seems to address a different question (Q{other}); re-read what is asked.",
    "language": "Your answer is not in English: an instructor will read it and confirm the suggested score.",
    "unsure": "The automatic grader is not confident about this answer; an instructor will confirm the "
              "suggested score.",
    "uncalibrated": "The automatic grader has no calibration for this answer; an instructor will score it.",
    "code_error": "Your code did not run to the end.",
    "no_evidence": "The automatic grader found nothing of the question's content in this answer; an "
                   "instructor will check it.",
    "weak_evidence": "The automatic grader found too little of the question's key ideas in this answer to pass it "
                     "on its own; an instructor will check it.",
}
NO_MODEL = "(Graded without the sentence model: only the rubric's key ideas were checked.)"
LANG_NOTE = {"th": "(Read in Thai through the multilingual sentence model.)",
             "zh": "(Read in Chinese through the multilingual sentence model.)",
             "other": "(Read through the multilingual sentence model.)"}


def _label(idea) -> str:
    return idea.label or idea.id.replace("_", " ")


def compose(reason: str, verdict: str = "", credited=(), missing=(), misconceptions=(), code_passed=(),
            code_failed=(), code_error: str = "", other: int | None = None, no_model: bool = False,
            lang: str = "en") -> str:
    """Join the pieces into one short paragraph."""
    parts = []
    if reason in REASONS:
        parts.append(REASONS[reason].format(other=other))
    if code_error:
        parts.append(f"Running your code: {code_error}.")
    if reason in ("empty", "copied", "dont_know"):
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
    if missing and verdict != "correct":
        parts.append("To improve: " + " ".join(i.hint for i in missing))
    elif missing and verdict == "correct" and len(missing) < 3:
        parts.append("To go further: " + " ".join(i.hint for i in missing))
    if not parts or (verdict == "correct" and not code_failed and reason == ""):
        parts.insert(0, "Well done.")
    if no_model:
        parts.append(NO_MODEL)
    elif lang in LANG_NOTE:
        parts.append(LANG_NOTE[lang])
    return " ".join(parts)
