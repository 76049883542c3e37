"""Signals about one answer that the learned combiner weighs: rubric idea coverage, sentence-embedding
similarity to the model answer, to the question and to the other questions' model answers, answer form
and length, question kind and the code checks."""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from . import semantic
from .match import Doc
from .prose import ProseResult, score_prose
from .rubric import Question, Rubric, load
from .text import STOPWORDS, words

# the feature sets of the three combiners (see combiner.py)
LEXICAL = ["rubric_frac", "rubric_any", "rubric_all", "miscon", "logw", "len_ratio", "stop_ratio",
           "code_q", "code_frac", "code_present", "code_q_nocode", "prose_q"]
# (sim_hint, the similarity to the feedback hints, is computed for diagnosis but not weighed: hints are
# worded as questions that must not earn their idea, and it added nothing in grouped CV)
EMBED = ["sim_model", "sim_cover", "sim_best_sent", "sim_question", "sim_margin", "sim_rank_top"]
LANG_FREE = ["logw_ml", "code_q", "code_frac", "code_present", "code_q_nocode", "prose_q"]
# per-question features (combiner.augment): the question's label prior, and how far this answer's signals
# lie from those of the question's correct answers (some rubrics and model answers are harder to match)
QREL = ["q_prior_c", "q_prior_p", "sim_model_rel", "sim_cover_rel", "sim_best_sent_rel"]
SETS = {
    # English answers with the model
    "full": LEXICAL + EMBED + QREL + ["logw_rel", "rubric_frac_rel"],
    # no model installed
    "lexical": LEXICAL + ["q_prior_c", "q_prior_p", "logw_rel", "rubric_frac_rel"],
    # answers not in English (the rubric phrasings are English)
    "multilingual": LANG_FREE + EMBED + QREL + ["logw_ml_rel"],
}

_SENT = re.compile(r"(?<=[.!?。！？])\s+|\n+|(?<=[。！？])")


@dataclass
class Signals:
    """Feature values plus what the feedback needs."""

    values: dict = field(default_factory=dict)
    prose: ProseResult | None = None
    lang: str = "en"  # en | th | zh | other
    has_model: bool = False


def script_language(text: str) -> str:
    """'th' / 'zh' when Thai or CJK letters make up a good share of the letters, 'other' for other
    non-Latin scripts, else 'en' (Latin-script text; other Latin languages are caught by guards)."""
    raw = unicodedata.normalize("NFC", text or "")
    letters = [c for c in raw if c.isalpha()]
    if not letters:
        return "en"
    th = sum(1 for c in letters if "\u0e00" <= c <= "\u0e7f")
    zh = sum(1 for c in letters if "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf")
    other = sum(1 for c in letters if ord(c) > 0x24F) - th - zh
    n = len(letters)
    if th / n > 0.15:
        return "th"
    if zh * 3 / n > 0.15:  # a Chinese character carries about a word; weigh it against Latin letters
        return "zh"
    if other / n > 0.3 and other >= 15:
        return "other"
    return "en"


def sentences(text: str, limit: int = 12) -> list[str]:
    """Sentences or lines of a text (at most `limit`), skipping fragments without letters."""
    parts = [p.strip(" -*>#\t") for p in _SENT.split(text or "")]
    out = [p for p in parts if sum(c.isalpha() for c in p) >= 3]
    return out[:limit] or ([text.strip()] if text.strip() else [])


def _chapter_vectors(ch: str):
    """Model-answer vectors of every question of a chapter, per-sentence vectors, question vectors;
    None while the model is off (checked on every call: tests switch it on and off)."""
    return _chapter_vectors_cached(ch) if semantic.available() else None


@lru_cache(maxsize=16)
def _chapter_vectors_cached(ch: str):
    """`_chapter_vectors` for a model that is on."""
    rub = load(ch)
    qs = sorted(rub.questions)
    # every text of the chapter in ONE encoder call (one call per text costs several times more)
    groups = {"model": [rub.questions[q].model_answer or rub.questions[q].question for q in qs],
              "quest": [rub.questions[q].question for q in qs]}
    for q in qs:
        groups[("sents", q)] = sentences(rub.questions[q].model_answer)
        groups[("hints", q)] = [i.hint for i in rub.questions[q].ideas]
    flat = [t for ts in groups.values() for t in ts]
    vecs = semantic.embed(flat)
    if vecs is None:
        return None
    out, k = {}, 0
    for key, ts in groups.items():
        out[key] = vecs[k:k + len(ts)]
        k += len(ts)
    model, quest = out["model"], out["quest"]
    sents = {q: out[("sents", q)] for q in qs}
    hints = {q: out[("hints", q)] if rub.questions[q].ideas else None for q in qs}
    return {"qs": qs, "model": model, "quest": quest, "sents": sents, "hints": hints}


def _code_values(qu: Question, code: str, code_frac: float | None) -> dict:
    has_checks = bool(qu.checks)
    present = bool(code.strip())
    return {
        "code_q": 1.0 if has_checks else 0.0,
        "code_frac": float(code_frac or 0.0) if has_checks else 0.0,
        "code_present": 1.0 if present and has_checks else 0.0,
        "code_q_nocode": 1.0 if has_checks and not present else 0.0,
        "prose_q": 1.0 if qu.kind == "prose" or not has_checks else 0.0,
    }


def compute(rubric: Rubric, qu: Question, answer: str, prose_text: str, code: str = "",
            code_frac: float | None = None) -> Signals:
    """All signals for one answer. `prose_text` is the prose to judge (the whole answer for prose
    questions, the prose around the code for code questions); `code_frac` the share of code-check
    points passed (None when not run)."""
    sig = Signals(lang=script_language(answer))
    text = prose_text if prose_text.strip() else answer
    doc = Doc(text)
    res = score_prose(qu, rubric, doc.text, doc) if qu.ideas else None
    sig.prose = res
    ws = words(text)
    n_ideas = len(qu.ideas)
    v = sig.values
    v["rubric_frac"] = res.frac if res else 0.0
    v["rubric_any"] = 1.0 if res and res.credited else 0.0
    v["rubric_all"] = 1.0 if res and n_ideas and len(res.credited) == n_ideas else 0.0
    v["miscon"] = 1.0 if res and res.misconceptions else 0.0
    v["logw"] = math.log1p(len(ws))
    mw = max(1, len(words(qu.model_answer)))
    v["len_ratio"] = math.log((len(ws) + 1) / (mw + 1))
    v["stop_ratio"] = (sum(1 for w in ws if w in STOPWORDS) / len(ws)) if ws else 0.0
    # a length that does not depend on the script: letters, CJK characters counted as ~1.5 words
    letters = sum(c.isalpha() for c in text)
    cjk = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
    v["logw_ml"] = math.log1p((letters - cjk) / 5.5 + cjk / 1.5)
    v.update(_code_values(qu, code, code_frac))

    cv = _chapter_vectors(rubric.chapter)
    if cv is not None:
        sig.has_model = True
        idx = cv["qs"].index(qu.q)
        sents = sentences(text)
        a = semantic.embed([text] + sents)
        whole, sv = a[0], a[1:]
        sims = cv["model"] @ whole
        own = float(sims[idx])
        others = np.delete(sims, idx)
        v["sim_model"] = own
        ms = cv["sents"][qu.q]
        if ms is not None and len(ms) and len(sv):
            m = ms @ sv.T  # model sentences x answer sentences
            v["sim_cover"] = float(m.max(axis=1).mean())
            v["sim_best_sent"] = float(m.max())
        else:
            v["sim_cover"] = v["sim_best_sent"] = own
        v["sim_question"] = float(cv["quest"][idx] @ whole)
        v["sim_margin"] = own - float(others.max()) if len(others) else own
        v["sim_rank_top"] = 1.0 if not len(others) or own >= float(others.max()) else 0.0
        h = cv["hints"][qu.q]
        v["sim_hint"] = float((h @ whole).max()) if h is not None and len(h) else own
    return sig


def other_question(rubric: Rubric, qu: Question, text: str, margin: float = 0.15) -> int | None:
    """Number of another question whose model answer this text matches clearly better than its own."""
    cv = _chapter_vectors(rubric.chapter)
    if cv is None or not text.strip():
        return None
    whole = semantic.embed([text])[0]
    sims = cv["model"] @ whole
    idx = cv["qs"].index(qu.q)
    own = float(sims[idx])
    sims[idx] = -1
    j = int(sims.argmax())
    return cv["qs"][j] if float(sims[j]) >= 0.8 and float(sims[j]) - own >= margin else None
