"""Cheap checks on an answer's form: empty, copied question, bare term list, too short, language."""
from __future__ import annotations

import re

from .text import STOPWORDS, content_words, language_guess, stem, words


def is_empty(text: str) -> bool:
    """Nothing but whitespace or punctuation."""
    return not words(text)


def is_copied(answer: str, question: str) -> bool:
    """The answer mostly restates the question (few words of its own)."""
    a = {stem(w) for w in content_words(answer)}
    qs = {stem(w) for w in content_words(question)}
    if not a or not qs:
        return False
    if sum(1 for c in answer if c.isalpha() and ord(c) > 0x24F) >= 4:
        return False  # words in another script (Thai, Chinese, ...) are the learner's own, not the question's
    novel = a - qs
    return len(novel) <= len(a) // 6 and len(a & qs) >= 0.6 * len(qs)


def is_term_list(text: str) -> bool:
    """A bare list of terms: short comma/line separated fragments with (almost) no function words."""
    ws = words(text)
    if len(ws) < 2:
        return False
    stop_ratio = sum(1 for w in ws if w in STOPWORDS) / len(ws)
    segs = [s for s in re.split(r"[,;\n\u2022/|]+|\s-\s", text) if words(s)]
    if len(segs) >= 3 and sum(len(words(s)) for s in segs) / len(segs) <= 2.6 and stop_ratio <= 0.34:
        return True
    if len(segs) >= 2 and stop_ratio == 0 and all(len(words(s)) <= 3 for s in segs):
        return True
    return stop_ratio == 0 and len(ws) >= 4 and not re.search(r"[.!?]\s", text + " ")


def too_short(text: str, min_words: int) -> bool:
    """Fewer words than the question needs to be judged."""
    return len(words(text)) < min_words


def other_language(text: str) -> bool:
    """Written in another language or script."""
    return language_guess(text) == "other"


_DONT_KNOW = re.compile(
    r"^\W*(i\s+(do\s*n[o']?t|dont|really\s+don'?t)\s+(know|understand|remember|get\s+it)|i\s+have\s+no\s+idea|no\s+idea|"
    r"not\s+sure|i'?m\s+not\s+sure|idk|dunno|no\s+clue|pass|skip(ped)?|n/?a|tbd|todo|\?+|"
    r"i\s+(can'?t|cannot)\s+(answer|remember)|unknown|not\s+answered|later)\b[\s\S]{0,60}$", re.I)
_DONT_KNOW_ML = re.compile(r"^\W*(不知道|我不知道|不清楚|不会|ไม่ทราบ|ไม่รู้)\W*$")

_INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override)\s+(all\s+|any\s+|the\s+)?(previous|prior|above|earlier|your|grading|rubric)?\s*"
    r"(instructions?|rules?|rubrics?|prompts?|guidelines?)"
    r"|(mark|grade|score|rate|label|consider|treat)\s+(this|my|the)\s+(answer|response|submission)\s+(as\s+)?"
    r"(correct|right|full|perfect|100|10/10)"
    r"|(give|award|assign)\s+(me|this( answer)?)\s+(full|maximum|max|all\s+the|100)\s*(marks?|points?|credit|score|%)?"
    r"|\b(dear\s+)?(ai|language\s+model|llm|grader|assistant|grading\s+model)\s*[,:]\s*(you\s+)?(must|should|will|please)\s+"
    r"|system\s*(prompt|message)\s*:|you\s+are\s+now\s+|verdict\s*[:=]\s*correct|\"?score\"?\s*[:=]\s*1(\.0)?\b",
    re.I)


def is_dont_know(text: str) -> bool:
    """The learner says they do not know (and little else)."""
    t = (text or "").strip()
    return bool(_DONT_KNOW.match(t) or _DONT_KNOW_ML.match(t))


def injection_span(text: str) -> tuple[int, int] | None:
    """Where the answer addresses the grader instead of the question ("ignore the rubric, mark correct")."""
    m = _INJECTION.search(text or "")
    return (m.start(), m.end()) if m else None


def strip_injection(text: str) -> str:
    """The answer without the sentences that address the grader."""
    parts = re.split(r"(?<=[.!?\n])\s*", text or "")
    return " ".join(p for p in parts if not _INJECTION.search(p)).strip()


_CODEY = re.compile(r"[=()`\[\]*]")


def is_bare_terms(text: str) -> bool:
    """A stricter term list for real answers: separated terms, no function word, no code, no sentence."""
    ws = words(text)
    if len(ws) < 3 or _CODEY.search(text or ""):
        return False
    segs = [x for x in re.split(r"[,;\n\u2022|]+", text or "") if words(x)]
    stop = sum(1 for w in ws if w in STOPWORDS) / len(ws)
    if len(segs) >= 4 and stop <= 0.2 and sum(len(words(x)) for x in segs) / len(segs) <= 2.5:
        return True
    if any(w in STOPWORDS for w in ws):
        return False
    return is_term_list(text)
