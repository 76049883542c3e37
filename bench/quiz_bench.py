"""Questionnaire grader benchmark: verdict accuracy, QWK, review share on the dev set; time per questionnaire."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEV_DIR = ROOT / "tests" / "quiz"
ORD = {"incorrect": 0, "partial": 1, "correct": 2}


def qwk(a: list[int], b: list[int], k: int = 3) -> float:
    """Quadratic-weighted Cohen's kappa between two ordinal label lists."""
    n = len(a)
    if n == 0:
        return float("nan")
    O = [[0] * k for _ in range(k)]
    for x, y in zip(a, b):
        O[x][y] += 1
    ha, hb = Counter(a), Counter(b)
    num = den = 0.0
    for i in range(k):
        for j in range(k):
            w = (i - j) ** 2 / (k - 1) ** 2
            num += w * O[i][j]
            den += w * ha[i] * hb[j] / n
    return 1.0 - num / den if den else 1.0


def evaluate(rows, score_answer, show_errors: bool):
    ok = in_band = review = 0
    gold, pred, per_kind, errors = [], [], Counter(), []
    kinds = Counter(r["kind"] for r in rows)
    for r in rows:
        res = score_answer(r["chapter"], r["q"], r["answer"])
        v, exp = res["verdict"], r["expected"]
        lo, hi = r["band"]
        in_band += lo - 1e-9 <= res["score"] <= hi + 1e-9
        if v == "review":
            review += 1
        # a review on an answer we expect to be unsure about counts as right; elsewhere review is not a hit
        hit = v == exp
        ok += hit
        per_kind[r["kind"]] += hit
        if exp != "review" and v != "review":
            gold.append(ORD[exp])
            pred.append(ORD[v])
        if not hit:
            errors.append((r["q"], r["kind"], exp, v, res["score"], r["answer"][:90].replace("\n", " | ")))
    n = len(rows)
    print(f"answers: {n}   verdict accuracy: {ok / n:.3f}   score in expected band: {in_band / n:.3f}")
    print(f"quadratic-weighted kappa (non-review answers, n={len(gold)}): {qwk(gold, pred):.3f}")
    print(f"share sent to review: {review / n:.3f}")
    print("accuracy by kind: " + ", ".join(f"{k} {per_kind[k]}/{kinds[k]}" for k in sorted(kinds)))
    if show_errors:
        for e in errors:
            print("  MISS q%-2d %-10s expected %-9s got %-9s score %.2f  %s" % e)
    return ok / n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("chapters", nargs="*", default=["04"], help="chapters to benchmark (default 04), e.g. 05 06 08")
    ap.add_argument("--errors", action="store_true", help="list the misclassified answers")
    ap.add_argument("--semantic", action="store_true", help="enable the optional sentence model (if installed)")
    args = ap.parse_args()
    if args.semantic:
        os.environ["AUTOGRADE_QUIZ_SEMANTIC"] = "1"
    t0 = time.perf_counter()
    from autograde.quiz import semantic
    from autograde.quiz.scorer import score_answer
    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    sem = semantic.available()
    t_model = time.perf_counter() - t0
    print(f"import autograde.quiz: {t_import:.2f} s   semantic model: "
          + (f"loaded in {t_model:.2f} s" if sem else "not used (not installed or disabled)"))
    for ch in args.chapters:
        ch = f"{int(ch):02d}"
        dev = DEV_DIR / f"dev_{ch}.jsonl"
        print(f"--- chapter {ch} ({dev.relative_to(ROOT)})")
        rows = [json.loads(l) for l in dev.read_text(encoding="utf-8").splitlines() if l.strip()]
        evaluate(rows, score_answer, args.errors)
        # one full questionnaire: the first 'correct' answer of every question
        firsts = {}
        for r in rows:
            if r["kind"] == "correct":
                firsts.setdefault(r["q"], r)
        t0 = time.perf_counter()
        for r in sorted(firsts.values(), key=lambda r: r["q"]):
            score_answer(r["chapter"], r["q"], r["answer"])
        dt = time.perf_counter() - t0
        print(f"full questionnaire ({len(firsts)} answers, code run in subprocesses): {dt:.2f} s on CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
