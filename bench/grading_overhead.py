"""Benchmark: instructor-notebook execution seconds vs autograde seconds per submission, and their ratio.

Run: .venv/bin/python bench/grading_overhead.py [ASSIGNMENT] [--repeat N]
Both figures are measured in the same run, on the same machine, so their ratio is the figure to compare.
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


def execute_seconds(path: Path) -> float:
    """Seconds to execute a notebook top to bottom with nbclient (fresh kernel)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(str(path), as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start


def grade_seconds(assignment: str, student: str) -> float:
    """Seconds to autograde one example submission (sanitise, execute, score, feedback) in a scratch course."""
    from autograde import examples, keys
    from autograde.grade import grade
    from autograde.release import release

    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        shutil.copy(REPO / "nbgrader_config.py", course)
        shutil.copytree(REPO / "source" / assignment, course / "source" / assignment)
        release(course, [assignment])
        examples.build(course, assignment)
        only = course / "only"
        shutil.copytree(course / examples.EXAMPLES_DIR / student, only / student)
        keys.ensure(course, assignment)  # the key is built once per assignment, not per submission
        start = time.perf_counter()
        results = grade(course, assignment, only)
        elapsed = time.perf_counter() - start
        assert results[student]["total"] == results[student]["max"], results[student]
    return elapsed


def main() -> None:
    """Print execution and grading seconds and the overhead ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("assignment", nargs="?", default="04_mnist_basics")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("AUTOGRADE_OFFLINE", "1")
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]
    notebook = next((REPO / "solutions" / args.assignment).glob("*.ipynb"))
    runs = []
    for _ in range(args.repeat):
        runs.append((execute_seconds(notebook), grade_seconds(args.assignment, "example-complete")))
    for i, (run, graded) in enumerate(runs, 1):
        print(f"run {i}: solution notebook executes in {run:.1f} s; autograding one complete submission takes {graded:.1f} s; "
              f"overhead ratio {graded / run:.2f}")


if __name__ == "__main__":
    main()
