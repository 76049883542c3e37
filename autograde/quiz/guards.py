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
