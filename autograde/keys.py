"""The instructor's key: each hidden check's expected value and tolerance, recorded from the solution.

Keys live in `keys/<assignment>/<notebook>.json` (git-ignored, instructor-side, never inside a
student's sandbox) and are rebuilt whenever the source notebook changes.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from . import course, notebooks
from .checks import GRADING_ENV, RECORD_ENV, RESULT_MIME
from .warm import THREAD_ENV

KEYS_DIR = "keys"


def key_path(root: Path, assignment: str, notebook: str) -> Path:
    """Where the key of one notebook lives."""
    return root / KEYS_DIR / assignment / f"{Path(notebook).stem}.json"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _execute_recording(path: Path):
    """Run a source notebook in key mode; raise CourseError naming the cell when the solution fails."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = notebooks.read(path)
    # the kernel alone runs in key mode; idle OpenMP threads sleep instead of spinning (a busy machine)
    env = {k: v for k, v in os.environ.items() if k != GRADING_ENV}
    env.update({RECORD_ENV: "1", **THREAD_ENV})
    try:
        # (the kernel's own log stays quiet: its warning about unencrypted local TCP says nothing to an instructor)
        NotebookClient(nb, timeout=1800, kernel_name="python3", extra_arguments=["--IPKernelApp.log_level=ERROR"],
                       resources={"metadata": {"path": str(path.parent)}}).execute(env=env)
    except CellExecutionError as exc:
        raise course.CourseError(f"{path}: the solution fails its own checks or errors; fix the notebook:\n{str(exc)[-1500:]}") from exc
    return nb


def build(root: Path, assignment: str) -> list[Path]:
    """Execute each source notebook of the assignment and write its key; returns the key files."""
    written = []
    for path in sorted((root / "source" / assignment).glob("*.ipynb")):
        has_hidden_tests = "### BEGIN HIDDEN TESTS" in path.read_text(encoding="utf-8")
        started = time.monotonic()
        nb = _execute_recording(path) if has_hidden_tests else notebooks.read(path)
        seconds = round(time.monotonic() - started, 1)
        cells = {}
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                bundle = out.get("data", {}).get(RESULT_MIME)
                if isinstance(bundle, dict) and "key" in bundle:
                    cells[notebooks.grade_id(cell)] = bundle["key"]
        out_path = key_path(root, assignment, path.name)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json.dumps({"source_sha256": _digest(path), "seconds": seconds, "cells": cells}, indent=1) + "\n",
                            encoding="utf-8")
        written.append(out_path)
    return written


def current(root: Path, assignment: str) -> bool:
    """True when every source notebook has a key built from its present content (and the data cache exists)."""
    from .data import _standin_root

    if not _standin_root().is_dir():  # building the key also prepares the data the sandbox reads
        return False
    for path in sorted((root / "source" / assignment).glob("*.ipynb")):
        target = key_path(root, assignment, path.name)
        if not target.is_file() or json.loads(target.read_text()).get("source_sha256") != _digest(path):
            return False
    return True


def ensure(root: Path, assignment: str) -> None:
    """Build the assignment's keys when they are missing or older than the source."""
    if not current(root, assignment):
        build(root, assignment)


def ensure_all(root: Path, assignments: list[str], parallel: int, note=None) -> None:
    """`ensure` for several assignments, up to `parallel` solution runs at once (a fresh course builds every key
    before its first grading run); `note(text)` is told which keys are built."""
    stale = [a for a in assignments if not current(root, a)]
    if not stale:
        return
    if note:
        note(f"building the keys of {', '.join(stale)} (each solution notebook runs once)")
    if parallel <= 1 or len(stale) == 1:
        for assignment in stale:
            build(root, assignment)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(parallel, len(stale))) as pool:
        for done in [pool.submit(build, root, a) for a in stale]:
            done.result()  # the first failure is raised, naming its notebook


def seconds(root: Path, assignment: str) -> float:
    """How long the solution notebooks took to run when the key was built (0 when unknown): what a submission of
    the assignment costs, roughly, so that a run of several assignments can start the slowest first."""
    total = 0.0
    for path in sorted((root / KEYS_DIR / assignment).glob("*.json")):
        try:
            value = json.loads(path.read_text(encoding="utf-8")).get("seconds", 0.0)
        except (OSError, ValueError, AttributeError):
            continue
        total += float(value) if isinstance(value, (int, float)) else 0.0
    return total


def load(keys_dir: Path, assignment: str, notebook: str) -> dict:
    """grade_id -> list of check specs with expected values, for one notebook ({} when absent)."""
    path = Path(keys_dir) / assignment / f"{Path(notebook).stem}.json"
    return json.loads(path.read_text(encoding="utf-8"))["cells"] if path.is_file() else {}
