"""Benchmark: how closely the kit's cell grades agree with a careful human's on real submissions.

Run: .venv/bin/python bench/agreement.py [DIR] [--assignments A ...] [--json OUT]
DIR (default ../shared/exercise-dev) holds <assignment>/<student>/<assignment>/<notebook>.ipynb,
expected.json ({assignment: {student: {grade_id: points}}}) and optionally reasons.json (same shape;
a reason starting with "unanswered" marks a cell the learner left as the stub). Each assignment is
graded in a scratch copy of the course; prints, per assignment and overall, agreement on answered cells
(exact and within 0.25 point), each student's total (human vs kit) and every cell that differs.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DEFAULT_DIR = REPO.parent / "shared" / "exercise-dev"
WITHIN = 0.25


def grade_folder(folder: Path, assignment: str, check_timeout: float | None = None) -> dict:
    """{student: {grade_id: cell dict}} from `autograde grade` on folder/<assignment> in a scratch course."""
    from autograde.grade import grade

    with tempfile.TemporaryDirectory(prefix="agreement-") as tmp:
        course = Path(tmp)
        shutil.copy(REPO / "nbgrader_config.py", course)
        shutil.copytree(REPO / "source" / assignment, course / "source" / assignment)
        shutil.copytree(folder / assignment, course / "incoming", symlinks=False)
        results = grade(course, assignment, course / "incoming", check_timeout=check_timeout,
                        progress=lambda s: print(f"  grading {s} ...", flush=True))
    return {student: {**r, "cells": r.get("cells", {})} for student, r in results.items()}


def answered(reasons: dict, assignment: str, student: str, gid: str) -> bool:
    """A cell counts unless the human marked it unanswered."""
    return not str(reasons.get(assignment, {}).get(student, {}).get(gid, "")).startswith("unanswered")


def compare(expected: dict, reasons: dict, graded: dict, assignment: str) -> dict:
    """Agreement figures and differing cells of one assignment."""
    rows, totals = [], {}
    for student, cells in sorted(expected[assignment].items()):
        kit = graded.get(student, {})
        kit_cells = kit.get("cells", {})
        totals[student] = (sum(cells.values()), sum(float(c.get("score", 0)) for c in kit_cells.values()), kit.get("status", "missing"))
        for gid, human in cells.items():
            got = float(kit_cells.get(gid, {}).get("score", 0.0))
            rows.append({"student": student, "cell": gid, "human": float(human), "kit": round(got, 4),
                         "answered": answered(reasons, assignment, student, gid),
                         "message": kit_cells.get(gid, {}).get("message", ""),
                         "reason": reasons.get(assignment, {}).get(student, {}).get(gid, "")})
    scored = [r for r in rows if r["answered"]]
    within = sum(abs(r["human"] - r["kit"]) <= WITHIN + 1e-9 for r in scored)
    exact = sum(abs(r["human"] - r["kit"]) <= 1e-6 for r in scored)
    return {"cells": len(scored), "within": within, "exact": exact, "totals": totals,
            "differ": [r for r in scored if abs(r["human"] - r["kit"]) > WITHIN + 1e-9],
            "unanswered_nonzero": [r for r in rows if not r["answered"] and r["kit"] > 0]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT_DIR), help="submissions with expected.json")
    parser.add_argument("--assignments", nargs="*", help="only these assignments")
    parser.add_argument("--check-timeout", type=float, default=None, help="seconds per hidden check")
    parser.add_argument("--json", help="write the per-cell comparison here")
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    if not (folder / "expected.json").is_file():
        print(f"no expected.json in {folder}; nothing to compare (the dev set lives in ../shared/exercise-dev)")
        return 0
    expected = json.loads((folder / "expected.json").read_text())
    reasons = json.loads((folder / "reasons.json").read_text()) if (folder / "reasons.json").is_file() else {}
    report, n, w, e = {}, 0, 0, 0
    for assignment in args.assignments or sorted(expected):
        print(f"{assignment}:", flush=True)
        res = compare(expected, reasons, grade_folder(folder, assignment, args.check_timeout), assignment)
        report[assignment] = res
        n, w, e = n + res["cells"], w + res["within"], e + res["exact"]
        print(f"  answered cells {res['cells']}: within {WITHIN} point {res['within']} ({res['within'] / max(res['cells'], 1):.2f}), "
              f"exact {res['exact']} ({res['exact'] / max(res['cells'], 1):.2f})")
        for student, (human, kit, status) in res["totals"].items():
            print(f"  {student:<16} human {human:6.2f}  kit {kit:6.2f}  ({status})")
        for r in res["differ"]:
            print(f"  DIFF {r['student']:<16} {r['cell']:<24} human {r['human']:.2f} kit {r['kit']:.2f} | kit: {r['message'][:110]} | human: {r['reason'][:90]}")
        for r in res["unanswered_nonzero"]:
            print(f"  UNANSWERED BUT PAID {r['student']} {r['cell']} kit {r['kit']:.2f}")
    print(f"overall: answered cells {n}, within {WITHIN} point {w / max(n, 1):.3f}, exact {e / max(n, 1):.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
