"""score_answer: grade one questionnaire answer (prose rubric, hidden code checks, verdict, feedback)."""
from __future__ import annotations

from . import codecheck, feedback, guards, semantic, verdict
from .match import Doc
from .prose import score_prose
from .rubric import Question, load
from .runner import run_code
from .split import split_answer

OTHER_Q_MARGIN = 0.3


def _semantic_conflict(q: Question, text: str, frac: float) -> tuple[bool, float | None]:
    sim = semantic.similarity(text, q.model_answer) if q.model_answer else None
    if sim is None:
        return False, None
    return (frac < verdict.PARTIAL_AT and sim >= verdict.SEM_HIGH) or (frac >= verdict.CORRECT_AT and sim < verdict.SEM_LOW), sim


def _other_question(rubric, q: Question, doc: Doc, own: float) -> int | None:
    """Number of another question this text answers clearly better, if any."""
    if own >= 0.75:
        return None
    best, best_q = 0.0, None
    for other in rubric.questions.values():
        if other.q == q.q or not other.ideas or other.list_ok or other.kind != "prose":
            continue
        f = score_prose(other, rubric, doc.text, doc).frac
        if f > best:
            best, best_q = f, other.q
    return best_q if best >= verdict.CORRECT_AT and best - own >= OTHER_Q_MARGIN else None


def score_answer(chapter: str, q: int, answer: str, *, run_code_checks: bool = True) -> dict:
    """Grade one answer: {'score' 0..1, 'verdict', 'feedback', 'points', 'max', 'credited', 'missing', ...}."""
    rubric = load(chapter)
    if int(q) not in rubric.questions:
        raise KeyError(f"chapter {rubric.chapter} has no question {q}")
    qu = rubric.questions[int(q)]
    answer = answer if isinstance(answer, str) else ("" if answer is None else str(answer))
    flags: dict = {}
    code_passed, code_failed, code_error = [], [], ""
    code_earned = 0.0
    if guards.is_empty(answer):
        flags["empty"] = True
    elif guards.is_copied(answer, qu.question) and not (qu.kind != "prose" and split_answer(answer)[0].strip()):
        flags["copied"] = True

    prose_text = answer
    if qu.kind in ("code", "code+prose") and qu.checks and not flags:
        code, prose_text = split_answer(answer) if qu.kind == "code+prose" else (answer, "")
        if qu.kind == "code" and not code.strip():
            code = answer
        if code.strip() and run_code_checks:
            report = run_code(code, qu.probe)
            if not report.get("ok"):
                code_error = report.get("error", "it failed")
                flags["code_error"] = True
                flags.pop("code_error") if report.get("timeout") else None
            for c in qu.checks:
                ok, detail = codecheck.evaluate(c, report)
                if ok:
                    code_passed.append(c)
                    code_earned += c.points
                else:
                    code_failed.append((c, detail))
        else:
            code_failed = [(c, "no code found" if not code.strip() else "") for c in qu.checks]

    res = None
    if qu.ideas and not flags.get("empty") and not flags.get("copied"):
        doc = Doc(prose_text if qu.kind == "code+prose" else answer)
        res = score_prose(qu, rubric, doc.text, doc)
        prose_only = qu.kind == "prose"
        if prose_only or (qu.kind == "code" and not qu.checks):
            if guards.is_term_list(answer) and not qu.list_ok:
                flags["term_list"] = True
            if guards.other_language(answer):
                flags["other_language"] = True
            if guards.too_short(answer, qu.min_words):
                flags["too_short"] = True
            if res.misconceptions and res.gross >= 0.5 * res.max and res.earned > 0:
                flags["conflict"] = True
            if prose_only and not flags:
                other = _other_question(rubric, qu, doc, res.frac)
                if other is not None:
                    flags["other_question"] = other
                conflict, sim = _semantic_conflict(qu, answer, res.frac)
                if conflict and not flags.get("other_question"):
                    flags["conflict"] = True

    earned = code_earned + (res.earned if res else 0.0)
    frac = earned / qu.points if qu.points else 0.0
    score, verdict_, reason = verdict.decide(frac, flags)
    if reason == "" and flags.get("code_error") is None and code_error:
        reason = "code_error"
    text = feedback.compose(
        reason, credited=res.credited if res else [], missing=res.missing if res else qu.ideas,
        misconceptions=res.misconceptions if res else [], code_passed=code_passed, code_failed=code_failed,
        code_error=code_error, other=flags.get("other_question"))
    return {
        "score": round(score, 4), "verdict": verdict_, "feedback": text,
        "points": round(score * qu.points, 3), "max": qu.points,
        "credited": [i.id for i in (res.credited if res else [])] + [c.id for c in code_passed],
        "missing": [i.id for i in (res.missing if res else qu.ideas)] + [c.id for c, _ in code_failed],
        "flags": sorted(k for k, v in flags.items() if v),
    }
