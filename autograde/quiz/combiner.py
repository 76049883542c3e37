"""The learned combiner: a small multinomial logistic regression over the answer signals.

Its parameters live in calibration.json (rebuilt from the labelled real answers by
`python bench/quiz_bench.py --calibrate`); this module only evaluates them with numpy, so grading
needs neither scikit-learn nor the training data.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

CALIBRATION = Path(__file__).with_name("calibration.json")
CLASSES = ("incorrect", "partial", "correct")
BANDS = {"incorrect": (0.0, 0.24), "partial": (0.25, 0.74), "correct": (0.75, 1.0)}


@dataclass
class Model:
    """One fitted combiner: feature names, standardisation, coefficients and its review threshold."""

    name: str
    features: list[str]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # (3, n_features)
    intercept: np.ndarray  # (3,)
    review_below: float  # top class probability under which the answer goes to review
    qstats: dict = None  # per question "CH-Q": prior and typical signal values of its labelled answers

    def proba(self, values: dict, key: str = "") -> np.ndarray:
        values = augment(values, (self.qstats or {}).get(key), (self.qstats or {}).get("*"))
        x = np.array([float(values.get(f, 0.0)) for f in self.features])
        z = self.coef @ ((x - self.mean) / self.scale) + self.intercept
        z = np.exp(z - z.max())
        return z / z.sum()

    def to_json(self) -> dict:
        return {"features": self.features, "mean": _r(self.mean), "scale": _r(self.scale),
                "coef": [_r(c) for c in self.coef], "intercept": _r(self.intercept),
                "review_below": round(float(self.review_below), 4),
                "qstats": {k: {a: round(float(b), 4) for a, b in v.items()} for k, v in (self.qstats or {}).items()}}


def _r(a) -> list:
    return [round(float(x), 6) for x in a]


def from_json(name: str, d: dict) -> Model:
    return Model(name, list(d["features"]), np.array(d["mean"], float), np.array(d["scale"], float),
                 np.array(d["coef"], float), np.array(d["intercept"], float), float(d["review_below"]), d.get("qstats") or {})


@lru_cache(maxsize=1)
def models() -> dict[str, Model]:
    """The fitted combiners by feature set ('full', 'lexical', 'multilingual'); empty if not calibrated."""
    if not CALIBRATION.exists():
        return {}
    data = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    return {k: from_json(k, v) for k, v in data.get("models", {}).items()}


def qkey(q: int, chapter: str) -> str:
    return f"{int(chapter):02d}-{int(q)}"


# per-question features: the question's prior and how this answer compares with its typical answers
QFEATS = ["q_prior_c", "q_prior_p", "sim_model_rel", "sim_cover_rel", "logw_rel", "logw_ml_rel", "rubric_frac_rel",
          "sim_best_sent_rel"]
_REL = {"sim_model_rel": "sim_model", "sim_cover_rel": "sim_cover", "logw_rel": "logw", "logw_ml_rel": "logw_ml",
        "rubric_frac_rel": "rubric_frac", "sim_best_sent_rel": "sim_best_sent"}


def augment(values: dict, st: dict | None, glob: dict | None) -> dict:
    """Values plus the per-question features (global statistics for a question without labels)."""
    st = st or glob
    if not st:
        return values
    out = dict(values)
    out["q_prior_c"] = st.get("p_c", 0.8)
    out["q_prior_p"] = st.get("p_p", 0.1)
    for k, base in _REL.items():
        if base in values:
            out[k] = values[base] - st.get(base, (glob or {}).get(base, 0.0))
    return out


def decide(model: Model, values: dict, key: str = "") -> tuple[str, float, float, np.ndarray]:
    """(verdict or 'review', suggested score 0..1, confidence, probabilities)."""
    p = model.proba(values, key)
    k = int(p.argmax())
    verdict = CLASSES[k]
    expected = float(p[1] * 0.5 + p[2])
    lo, hi = BANDS[verdict]
    score = min(max(expected, lo), hi)
    if p[k] < model.review_below:
        return "review", score, float(p[k]), p
    return verdict, score, float(p[k]), p


EVIDENCE_SIM = 0.25  # below this similarity to the model answer, with no rubric idea found: no evidence
OFF_TOPIC_SIM = 0.14  # below this, not even a terse answer on the topic (off-topic text scores up to ~0.17)
# below this similarity, with no rubric idea found, the evidence is too weak to pass an answer without a person
# (chosen by nested leave-one-learner-out CV on the real answers: 0.35 in 9 of 13 outer folds)
WEAK_EVIDENCE_SIM = 0.35


def safety(verdict: str, score: float, values: dict, has_model: bool, pure_code: bool = False) -> tuple[str, float, str]:
    """Rules the combiner cannot overrule (it learned from real answers, which are rarely off-topic):
    an answer with no evidence of the question's content is not correct, one with weak evidence is not
    passed without a person, and code that fails a hidden check is not correct. Returns (verdict, score,
    reason or '')."""
    if pure_code and values.get("code_present") and values.get("code_frac", 0.0) >= 0.999:
        return "correct", max(score, 0.9), ""  # a pure code question is judged on what the code does
    if values.get("code_present") and values.get("code_frac", 0.0) < 0.999:
        if pure_code and values.get("code_frac", 0.0) <= 0.0:
            return "incorrect", min(score, 0.1), "code_failed"  # code that passes no check answers nothing
        if verdict == "correct" or verdict == "review":
            if values.get("code_frac", 0.0) <= 0.0:
                return "incorrect", min(score, 0.2), "code_failed"
            return "partial", min(max(score, 0.25), 0.6), "code_failed"
        return verdict, min(score, 0.6), ""
    if (values.get("prose_q") or values.get("code_q_nocode")) and not values.get("rubric_any"):
        if has_model and values.get("sim_model", 0.0) < EVIDENCE_SIM:
            if verdict == "correct" and values.get("sim_model", 0.0) >= OFF_TOPIC_SIM:
                return "review", score, "no_evidence"  # terse answers in other words: a person decides
            return "incorrect", min(score, 0.1), "no_evidence"
        if has_model and verdict == "correct" and values.get("sim_model", 0.0) < WEAK_EVIDENCE_SIM:
            return "review", score, "weak_evidence"  # none of the key ideas, and only loosely like the model answer
        if not has_model and verdict == "correct":
            return "review", score, "no_evidence"
    return verdict, score, ""
