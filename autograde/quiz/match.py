"""Phrase matching: a phrasing is slots of alternatives ('a|b c_d @set') found unordered within a window."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .text import BOUNDARY, NEGATORS, stem, term_matches, tokens

NEG_LOOKBACK = 3


@dataclass(frozen=True)
class Hit:
    """Where a phrasing matched: token span [start, end)."""

    start: int
    end: int
    negated: bool


def _alt_tokens(alt: str) -> tuple[str, ...]:
    return tuple(p for p in alt.replace("-", "_").split("_") if p)


@lru_cache(maxsize=8192)
def parse_phrase(phrase: str, synonyms_key: tuple) -> tuple[tuple[tuple[str, ...], ...], ...]:
    """'grad*|derivative @loss' -> slots, each a tuple of alternatives, each a tuple of terms."""
    syn = dict(synonyms_key)
    slots = []
    for slot in phrase.split():
        alts: list[tuple[str, ...]] = []
        for alt in slot.split("|"):
            if alt.startswith("@") and len(alt) > 1 and alt[1:] in syn:
                alts.extend(_alt_tokens(a) for a in syn[alt[1:]])
            elif alt:
                alts.append(_alt_tokens(alt) if alt not in ("-=", "+=", "*=", "==", "@", "->", "+", "*", "/") else (alt,))
        slots.append(tuple(a for a in alts if a))
    return tuple(s for s in slots if s)


class Doc:
    """A tokenised answer with cached term positions."""

    def __init__(self, text: str):
        self.text = text
        self.toks = tokens(text)
        self.words = [(i, t) for i, t in enumerate(self.toks) if t != BOUNDARY]
        self._cache: dict = {}

    def alt_positions(self, alt: tuple[str, ...]) -> list[tuple[int, int]]:
        """Spans where a multi-term alternative occurs as consecutive words."""
        if alt in self._cache:
            return self._cache[alt]
        out = []
        ws = self.words
        n = len(alt)
        for k in range(len(ws) - n + 1):
            if all(term_matches(ws[k + j][1], alt[j]) for j in range(n)):
                out.append((ws[k][0], ws[k + n - 1][0] + 1))
        self._cache[alt] = out
        return out

    def negated_before(self, start: int) -> bool:
        """A negator within a few tokens before `start`, in the same clause."""
        i, seen = start - 1, 0
        while i >= 0 and seen < NEG_LOOKBACK:
            t = self.toks[i]
            if t == BOUNDARY:
                return False
            if t in NEGATORS:
                return True
            i -= 1
            seen += 1
        return False

    def find(self, phrase: str, synonyms_key: tuple = (), window: int | None = None) -> Hit | None:
        """Smallest span holding every slot of the phrasing (any order), or None."""
        slots = parse_phrase(phrase, synonyms_key)
        if not slots:
            return None
        occ = []  # (start, end, slot_index)
        for si, alts in enumerate(slots):
            found = False
            for alt in alts:
                for s, e in self.alt_positions(alt):
                    occ.append((s, e, si))
                    found = True
            if not found:
                return None
        occ.sort()
        k = len(slots)
        win = window or max(8, 4 * k)
        best = None
        counts = [0] * k
        have = 0
        lo = 0
        for hi in range(len(occ)):
            si = occ[hi][2]
            if counts[si] == 0:
                have += 1
            counts[si] += 1
            while have == k:
                s, e = occ[lo][0], max(o[1] for o in occ[lo : hi + 1])
                if best is None or e - s < best[1] - best[0]:
                    best = (s, e)
                cs = occ[lo][2]
                counts[cs] -= 1
                if counts[cs] == 0:
                    have -= 1
                lo += 1
        if best is None or best[1] - best[0] > win:
            return None
        phrase_has_neg = any(t in NEGATORS for alts in slots for a in alts for t in a)
        negated = not phrase_has_neg and (
            self.negated_before(best[0]) or any(self.toks[i] in NEGATORS for i in range(best[0], best[1]))
        )
        return Hit(best[0], best[1], negated)

    def covered_stems(self, spans) -> set:
        """Stems of words inside the given spans."""
        out = set()
        for s, e in spans:
            out.update(stem(t) for t in self.toks[s:e] if t != BOUNDARY)
        return out
