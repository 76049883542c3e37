"""Benchmark: grading seconds per submission with and without the sandbox, and their ratio, in one run.

Run: .venv/bin/python bench/sandbox_overhead.py [ASSIGNMENT] [--submissions N] [--rounds R]
Default: the toy course of the tests (fast); pass 04_mnist_basics for a real notebook.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _course(tmp: Path, assignment: str, copies: int) -> Path:
    """A scratch course holding `copies` complete submissions of the assignment."""
    from autograde import examples
    from autograde.release import release
    from tests.toy_course import ASSIGNMENT, make_course, submission

    if assignment == ASSIGNMENT:
        make_course(tmp)
        release(tmp, [ASSIGNMENT])
        right = {"ex_double": "def double(x):\n    return x * 2", "ex_mean": "def mean_rows(t):\n    return t.mean(-1)"}
        for i in range(copies):
            submission(tmp, f"student{i}", right, folder="incoming")
        return tmp
    shutil.copy(REPO / "nbgrader_config.py", tmp)
    shutil.copytree(REPO / "source" / assignment, tmp / "source" / assignment)
    release(tmp, [assignment])
    examples.build(tmp, assignment)
    for i in range(copies):
        shutil.copytree(tmp / examples.EXAMPLES_DIR / "example-complete", tmp / "incoming" / f"student{i}")
    return tmp


def seconds_per_submission(course: Path, assignment: str, mode: str, copies: int) -> float:
    """Mean grading seconds per submission for one sandbox mode (keys already built)."""
    from autograde.grade import grade

    start = time.perf_counter()
    results = grade(course, assignment, course / "incoming", sandbox_mode=mode, regrade=True)
    elapsed = time.perf_counter() - start
    assert all(r["total"] == r["max"] for r in results.values()), results
    return elapsed / copies


def main() -> None:
    """Print per-submission grading seconds with and without isolation, and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("assignment", nargs="?", default="toy")
    parser.add_argument("--submissions", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("AUTOGRADE_OFFLINE", "1")
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]
    with tempfile.TemporaryDirectory() as tmp:
        course = _course(Path(tmp), args.assignment, args.submissions)
        from autograde import keys

        keys.ensure(course, args.assignment)
        seconds_per_submission(course, args.assignment, "off", args.submissions)  # warm the caches first
        runs = {"off": [], "require": []}
        for _ in range(args.rounds):  # alternate, so drift in machine load hits both
            for mode in ("off", "require"):
                runs[mode].append(seconds_per_submission(course, args.assignment, mode, args.submissions))
    off, on = min(runs["off"]), min(runs["require"])
    print(f"{args.assignment}: {args.submissions} submissions x {args.rounds} alternating rounds (best round shown); "
          f"without sandbox {off:.2f} s each, with sandbox {on:.2f} s each; ratio {on / off:.2f}")


if __name__ == "__main__":
    main()
