"""Resume: a submission is graded again only when its notebooks or the keys changed since it was finished."""
from __future__ import annotations

import hashlib
from pathlib import Path

from .. import intake, keys

DONE_MARKER = ".autograde-done"


def fingerprint(root: Path, staged: Path, assignment: str) -> str:
    """Identifies what a finished grading used: the submitted notebooks (as staged) and the keys."""
    digest = hashlib.sha256()
    for path in sorted(staged.glob("*.ipynb")) + sorted((root / keys.KEYS_DIR / assignment).glob("*.json")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def done(root: Path, student: str, assignment: str, stamp: str) -> bool:
    """Was this submission graded to completion with these notebooks and keys (marker never followed)?"""
    data = intake.read_private(root / "graded" / student / assignment / DONE_MARKER, 4096)
    return data is not None and data.decode(errors="replace") == stamp


def mark_done(root: Path, student: str, assignment: str, stamp: str) -> None:
    """Record that this submission is graded to completion (written last, after its grades and feedback)."""
    intake.write_private(intake.clear_links(root, "graded", student, assignment) / DONE_MARKER, stamp)
