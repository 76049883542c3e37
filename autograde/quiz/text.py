"""Text normalisation: tokens, light stemming, typo-tolerant term matching, language cues."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

BOUNDARY = "|"  # token that marks a sentence or clause break

_CONTRACTIONS = {
    "can't": "can not", "cannot": "can not", "won't": "will not", "n't": " not",
    "it's": "it is", "that's": "that is", "there's": "there is", "let's": "let us",
}
NEGATORS = frozenset({"not", "no", "never", "without", "neither", "nor", "none", "nothing", "rather", "instead", "avoid"})

STOPWORDS = frozenset("""
a an the and or but if then so of to in on at by for with from into onto over under about as is are was were be
been being am do does did doing have has had having it its this that these those there their they them we you your
i me my our he she his her which who whom what when where why how than too very can could would should will shall
may might must just also only not no yes all any each both some such one other more most less many much own same
up down out off again further once here s t don now get gets got make makes made use uses used using like e g eg
ie etc way thing things something because since while though although
""".split())

# function words of a few other languages, to notice an answer not written in English
_FOREIGN = {
    "fr": set("le la les des une est sont dans pour avec pas que qui sur par ce cette au aux du et ou mais donc".split()),
    "es": set("el los las una es son en para con por que como pero del al se lo su sus esta este muy".split()),
    "de": set("der die das und ist sind nicht ein eine mit fur auf dem den des zu es wir sie auch wird".split()),
    "pt": set("o os as um uma e sao em para com por que como mas do da dos das nao se ao".split()),
    "it": set("il lo gli le un una e sono per con che come ma del della di non si al".split()),
}


def fold(text: str) -> str:
    """Lower-case, strip accents, unify quotes and dashes."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    text = re.sub(r"-\s*(?=(lr|learning|grad|gradient|eta|alpha)\b)|(?<![a-z0-9])-\s*(?=\d)", " minus ", text)
    text = re.sub(r"\s[-\u2013\u2014]+\s", " ; ", text)
    return text


_TOKEN = re.compile(r"[a-z0-9_]+(?:'[a-z]+)?|\?\?|[.;:!?,()\n]|-=|\+=|\*=|==|@|->|=|<|>|\*\*|\*|/|-|\+|\[|\]")


@lru_cache(maxsize=4096)
def tokens(text: str) -> tuple[str, ...]:
    """Word tokens (folded, contractions expanded) with BOUNDARY for clause breaks; keeps code operators."""
    t = fold(text)
    for k, v in _CONTRACTIONS.items():
        t = t.replace(k, v)
    out: list[str] = []
    for tok in _TOKEN.findall(t):
        if tok in ".;:!?,()\n":
            if out and out[-1] != BOUNDARY:
                out.append(BOUNDARY)
            continue
        if tok == "-":
            continue
        if "'" in tok:
            tok = tok.split("'")[0]
        # split identifiers like zero_grad / learning_rate into words too (keep the joined form as well)
        if "_" in tok.strip("_") and len(tok) > 2:
            out.extend(p for p in tok.split("_") if p)
            continue
        out.append(tok.strip("_") or tok)
    while out and out[-1] == BOUNDARY:
        out.pop()
    return tuple(out)


def words(text: str) -> list[str]:
    """Alphanumeric word tokens only."""
    return [t for t in tokens(text) if re.match(r"[a-z0-9]", t)]


@lru_cache(maxsize=65536)
def stem(w: str) -> str:
    """A small, consistent suffix stripper (the same on rubric terms and answers)."""
    if len(w) <= 3 or not w.isalpha():
        return w
    for suf, rep in (("ational", "ate"), ("izations", "ize"), ("ization", "ize"), ("isation", "ize"),
                     ("ises", "ize"), ("ised", "ize"), ("ising", "ize"), ("ise", "ize"),
                     ("ies", "y"), ("ied", "y"), ("ingly", ""), ("ings", ""), ("ing", ""), ("edly", ""),
                     ("ed", ""), ("es", ""), ("ly", "")):
        if w.endswith(suf) and len(w) - len(suf) >= (4 if suf == "ly" else 3):
            w = w[: -len(suf)] + rep
            break
    else:
        if w.endswith("s") and not w.endswith("ss") and not w.endswith("us") and len(w) > 4:
            w = w[:-1]
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    if w.endswith("y") and len(w) > 4:
        w = w[:-1] + "i"
    if len(w) > 4 and w[-1] == w[-2] and w[-1] not in "lsz":
        w = w[:-1]  # doubled consonant: stopp(ing) -> stop
    return w


def edit_distance_le(a: str, b: str, k: int) -> bool:
    """True when the Damerau-Levenshtein distance between a and b is at most k (k small)."""
    if abs(len(a) - len(b)) > k:
        return False
    prev2 = None
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if prev2 is not None and i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > k:
            return False
        prev2, prev = prev, cur
    return prev[-1] <= k


@lru_cache(maxsize=65536)
def term_matches(token: str, term: str) -> bool:
    """Does an answer token match a rubric term? (prefix with '*', stem equality, or a small typo)."""
    if term.endswith("*") and len(term) > 1:
        pre = term[:-1]
        if token.startswith(pre):
            return True
        return len(pre) >= 6 and token.isalpha() and any(
            edit_distance_le(token[: len(pre) + d], pre, 1) for d in (-1, 0, 1))
    if token == term:
        return True
    st, sp = stem(token), stem(term)
    if st == sp:
        return True
    if not term.isalpha() or not token.isalpha():
        return False
    n = len(term)
    if n >= 6:
        return edit_distance_le(token, term, 2 if n >= 10 else 1) or edit_distance_le(st, sp, 2 if n >= 10 else 1)
    return False


def content_words(text: str) -> list[str]:
    """Words that are not English function words."""
    return [w for w in words(text) if w not in STOPWORDS and not w.isdigit()]


def language_guess(text: str) -> str:
    """'en', 'other' (another language / script), or 'unknown' (too little text to tell)."""
    raw = unicodedata.normalize("NFC", text or "")
    letters = [c for c in raw if c.isalpha()]
    if letters and sum(1 for c in letters if ord(c) > 0x24F) / len(letters) > 0.3:
        return "other"
    ws = words(text)
    if len(ws) < 5:
        return "unknown"
    en = sum(1 for w in ws if w in STOPWORDS)
    foreign = max(sum(1 for w in ws if w in s and w not in STOPWORDS) for s in _FOREIGN.values())
    if foreign >= 3 and foreign > en:
        return "other"
    return "en"
