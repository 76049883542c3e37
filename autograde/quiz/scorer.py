"""score_answer: grade one questionnaire answer.

Pipeline: form guards (empty, copied question, "I don't know", text addressed to the grader, bare term
list, another question's answer) -> code extraction and hidden checks for code questions -> signals
(rubric idea coverage, multilingual sentence-embedding similarities, form, length, code result) ->
a small logistic-regression combiner fitted on labelled real answers (calibration.json) -> verdict,
or review when the combiner is unsure, with the reason in the feedback.
"""
from __future__ import annotations

import concurrent.futures
import contextlib
from dataclasses import dataclass, field

from . import codecheck, combiner, features, feedback, guards, runner, semantic
from .rubric import Question, Rubric, load
from .runner import run_code
from .split import split_answer

TERM_LIST_CAP = 0.2
COPIED_SIM = 0.75  # sentence similarity to the question above which an answer that is closer to the question
# than to the model answer only restates it (real answers reach 0.72 at most in ../shared/quiz-dev)
LANGUAGE_TO_REVIEW = True  # answers not in English go to review with the multilingual suggestion


@dataclass
class Analysis:
    """Everything measured about one answer before the verdict."""

    rubric: Rubric
    qu: Question
    answer: str
    flags: dict = field(default_factory=dict)
    guard: tuple | None = None  # (score, verdict, reason) decided by a guard
    code_passed: list = field(default_factory=list)
    code_failed: list = field(default_factory=list)
    code_error: str = ""
    code_frac: float | None = None
    signals: features.Signals | None = None


def _code_part(a: Analysis, run_code_checks: bool, code_report: dict | None) -> tuple[str, str]:
    """Extract code and prose, run (or read) the hidden checks; returns (code, prose)."""
    qu = a.qu
    code, prose = split_answer(a.answer)
    if not code.strip():
        a.code_failed = [(c, "no code found") for c in qu.checks]
        a.code_frac = 0.0
        return code, prose
    if code_report is None and not run_code_checks:
        a.code_failed = [(c, "") for c in qu.checks]
        a.flags["code_not_run"] = True
        return code, prose
    report = code_report if code_report is not None else run_code(code, qu.probe)
    if not report.get("ok"):
        a.code_error = report.get("error", "it failed")
        if not report.get("timeout"):
            a.flags["code_error"] = True
    earned = 0.0
    for c, ok, detail in codecheck.evaluate_all(qu.checks, report):
        if ok:
            a.code_passed.append(c)
            earned += c.points
        else:
            a.code_failed.append((c, detail))
    a.code_frac = earned / qu.code_points if qu.code_points else 0.0
    return code, prose


def analyse(chapter: str, q: int, answer, *, run_code_checks: bool = True,
            code_report: dict | None = None) -> Analysis:
    """Guards, code checks and signals for one answer (no verdict yet)."""
    rubric = load(chapter)
    if int(q) not in rubric.questions:
        raise KeyError(f"chapter {rubric.chapter} has no question {q}")
    qu = rubric.questions[int(q)]
    answer = answer if isinstance(answer, str) else ("" if answer is None else str(answer))
    a = Analysis(rubric, qu, answer)
    if guards.is_empty(answer) and not answer.strip():
        a.flags["empty"] = True
        a.guard = (0.0, "incorrect", "empty")
        return a
    has_checks = bool(qu.checks)
    code, prose = ("", answer)
    if has_checks:
        code, prose = split_answer(answer)
    if guards.is_empty(answer) and features.script_language(answer) == "en":
        a.flags["empty"] = True
        a.guard = (0.0, "incorrect", "empty")
        return a
    if guards.is_copied(answer, qu.question) and not code.strip():
        a.flags["copied"] = True
        a.guard = (0.0, "incorrect", "copied")
        return a
    if guards.is_dont_know(answer):
        a.flags["dont_know"] = True
        a.guard = (0.0, "incorrect", "dont_know")
        return a
    text = answer
    if guards.injection_span(answer):
        a.flags["injection"] = True
        text = guards.strip_injection(answer)
        if guards.is_empty(text) and features.script_language(text) == "en":
            a.guard = (0.0, "incorrect", "injection")
            return a
        a.answer = answer = text
    if has_checks:
        code, prose = _code_part(a, run_code_checks, code_report)
    prose_text = prose if has_checks else answer
    a.signals = features.compute(rubric, qu, answer, prose_text, code, a.code_frac)
    lang = a.signals.lang
    v = a.signals.values
    if (a.signals.has_model and not code.strip() and v.get("sim_question", 0.0) >= COPIED_SIM
            and v["sim_question"] > v.get("sim_model", 0.0)):
        # says what the question says (in other words, or in another language) and no more
        a.flags["copied"] = True
        a.guard = (0.0, "incorrect", "copied")
        return a
    if lang == "en" and not has_checks and guards.other_language(answer):
        lang = a.signals.lang = "other"
    if not has_checks and lang == "en" and not qu.list_ok and guards.is_bare_terms(answer):
        a.flags["term_list"] = True
        a.guard = (min(a.signals.values.get("rubric_frac", 0.0), TERM_LIST_CAP), "incorrect", "term_list")
        return a
    if not (has_checks and code.strip()):
        other = features.other_question(rubric, qu, prose_text or answer)
        if other is None and not a.signals.has_model and lang == "en":
            other = _other_question_rubric(rubric, qu, prose_text or answer,
                                           a.signals.values.get("rubric_frac", 0.0))
        if other is not None:
            a.flags["other_question"] = other
            a.guard = (0.0, "incorrect", "other_question")
            return a
    if a.flags.get("injection"):
        # a real answer with a note to the grader: never decided automatically
        a.guard = (None, "review", "injection")
    return a


def _other_question_rubric(rubric: Rubric, qu: Question, text: str, own: float) -> int | None:
    """Without the sentence model: another question whose rubric ideas this text covers clearly better."""
    from .match import Doc
    from .prose import score_prose
    if own >= 0.75:
        return None
    doc = Doc(text)
    best, best_q = 0.0, None
    for other in rubric.questions.values():
        if other.q == qu.q or not other.ideas or other.list_ok:
            continue
        f = score_prose(other, rubric, doc.text, doc).frac
        if f > best:
            best, best_q = f, other.q
    return best_q if best >= 0.75 and best - own >= 0.3 else None


def has_code(a: Analysis) -> bool:
    return bool(a.signals and a.signals.values.get("code_present"))


def choose_model(a: Analysis):
    """The combiner for this answer: (model or None, reason when none fits)."""
    ms = combiner.models()
    if not a.signals or not ms:
        return None, "uncalibrated"
    if a.signals.lang != "en":
        if a.signals.has_model and "multilingual" in ms:
            return ms["multilingual"], ""
        return None, "language"
    if a.signals.has_model and "full" in ms:
        return ms["full"], ""
    if "lexical" in ms:
        return ms["lexical"], ""
    return None, "uncalibrated"


VERDICT_SCORE = {"correct": 1.0, "partial": 0.5, "incorrect": 0.0}


def _fallback_score(a: Analysis) -> float:
    v = a.signals.values if a.signals else {}
    if a.qu.checks:
        return float(a.code_frac or 0.0)
    return float(v.get("rubric_frac", 0.0))


def score_answer(chapter: str, q: int, answer: str, *, run_code_checks: bool = True,
                 code_report: dict | None = None) -> dict:
    """Grade one answer: {'score' 0..1, 'verdict', 'feedback', 'points', 'max', 'credited', 'missing', 'flags'}.

    `code_report`, when given, is a report of the answer's code already run elsewhere (e.g. in the
    grading sandbox); it is used instead of running the code here.
    """
    a = analyse(chapter, q, answer, run_code_checks=run_code_checks, code_report=code_report)
    qu = a.qu
    flags = a.flags
    confidence = None
    if a.guard is not None and a.guard[1] != "review":
        score, verdict, reason = a.guard
    else:
        model, why = choose_model(a)
        if model is None:
            score, verdict, reason = _fallback_score(a), "review", why
            if why == "language":
                flags["language"] = a.signals.lang
        else:
            verdict, score, confidence, _ = combiner.decide(model, a.signals.values, combiner.qkey(qu.q, a.rubric.chapter))
            reason = "unsure" if verdict == "review" else ""
            verdict, score, why = combiner.safety(verdict, score, a.signals.values, a.signals.has_model,
                                                 pure_code=qu.kind == "code" and bool(qu.checks))
            if verdict == "correct" and not qu.list_ok and not has_code(a) and guards.is_term_list(a.answer):
                verdict, why = "review", "term_list"
            reason = (why or reason) if verdict == "review" else ""  # a verdict the safety rules decided is no longer unsure
            if a.guard is not None:  # injection: keep the suggestion, send to a person
                verdict, reason = "review", a.guard[2]
            if a.signals.lang != "en":
                # measured on Thai/Chinese translations, the multilingual combiner agrees with the human
                # far less often than on English: its verdict is only a suggestion for the instructor
                flags["language"] = a.signals.lang
                if LANGUAGE_TO_REVIEW or verdict == "review":
                    flags["suggested"] = verdict
                    verdict, reason = "review", "language"
    if verdict in VERDICT_SCORE:  # a decided verdict is worth what a teacher gives it; review keeps the suggestion
        score = VERDICT_SCORE[verdict]
    if a.signals is not None and not a.signals.has_model:
        flags["no_model"] = True
    if verdict == "review":
        flags["review"] = reason
    if not reason and a.code_error:
        reason = "code_error"
    res = a.signals.prose if a.signals else None
    credited = res.credited if res else []
    missing = res.missing if res else list(qu.ideas)
    text = feedback.compose(
        reason, verdict=verdict, credited=credited, missing=missing,
        misconceptions=res.misconceptions if res else [], code_passed=a.code_passed, code_failed=a.code_failed,
        code_error=a.code_error, other=flags.get("other_question"),
        no_model=bool(flags.get("no_model")), lang=a.signals.lang if a.signals else "en")
    out = {
        "score": round(float(score), 4), "verdict": verdict, "feedback": text,
        "points": round(float(score) * qu.points, 3), "max": qu.points,
        "credited": [i.id for i in credited] + [c.id for c in a.code_passed],
        "missing": [i.id for i in missing] + [c.id for c, _ in a.code_failed],
        "flags": sorted(k for k, v in flags.items() if v and k != "suggested"),
    }
    if verdict == "review":
        out["review_reason"] = reason
        if flags.get("suggested"):
            out["suggested_verdict"] = flags["suggested"]
    if confidence is not None:
        out["confidence"] = round(confidence, 3)
    return out


def _items(items) -> list[tuple[str, int, str]]:
    out = []
    for ch, q, answer in items:
        out.append((str(ch), int(q), answer if isinstance(answer, str) else ("" if answer is None else str(answer))))
    return out


@contextlib.contextmanager
def batch(items, *, run_code_checks: bool = True):
    """While active, score_answer finds the code answers of `items` [(chapter, q, answer)] already run,
    all together in ONE sandbox, and their texts already embedded in one model call (a whole
    questionnaire costs one sandbox start and one encoder pass instead of one per answer)."""
    items = _items(items)
    code_items, texts = {}, []
    for ch, q, answer in items:
        try:
            qu = load(ch).questions.get(q)
        except (KeyError, ValueError):
            continue
        if qu is None:
            continue
        prose = answer
        if qu.checks:
            code, prose = split_answer(answer)
            if run_code_checks and code.strip():
                code_items.setdefault(runner._key(code, qu.probe), (code, qu.probe))
        for t in {answer, prose or answer}:
            texts.append(t)
            texts.extend(features.sentences(t))
    chapters = sorted({ch for ch, _, _ in items})
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        # the sandbox starts (a few seconds of imports in a subprocess) while this process embeds the texts
        pending = pool.submit(runner.prerun_reports, list(code_items.values())) if code_items else None
        if texts and semantic.available():
            for ch in chapters:
                with contextlib.suppress(KeyError, ValueError):
                    features._chapter_vectors(ch)
            semantic.embed([t for t in dict.fromkeys(texts) if t.strip()])
        reports = pending.result() if pending is not None else {}
    with runner.prerun(reports):
        yield


def score_many(items, *, run_code_checks: bool = True) -> list[dict]:
    """Grade many answers [(chapter, q, answer)] (e.g. a whole questionnaire) in one batch; results in order."""
    items = _items(items)
    with batch(items, run_code_checks=run_code_checks):
        return [score_answer(ch, q, a, run_code_checks=run_code_checks) for ch, q, a in items]


def model_status() -> dict:
    """Which signals are in use: {'model': name or None, 'load_seconds': float or None, 'calibrated': bool}."""
    ok = semantic.available()
    return {"model": semantic.MODEL_NAME if ok else None,
            "load_seconds": semantic.LOAD_SECONDS[0] if semantic.LOAD_SECONDS else None,
            "calibrated": bool(combiner.models())}
