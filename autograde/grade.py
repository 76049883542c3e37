"""Compatibility: `autograde.grade.grade(...)` and its helpers, now in the autograde.grading subpackage."""
from __future__ import annotations

from pathlib import Path

from .grading.batch import check_sandbox, ensure_released, find_submissions  # noqa: F401 (re-exported)
from .grading.collect import collect, failed as _failed, grade_cells as _grade_cells  # noqa: F401
from .grading.collect import reason as _reason  # noqa: F401
from .grading.one import precheck  # noqa: F401
from .grading.resume import DONE_MARKER, done as _done, fingerprint as _fingerprint  # noqa: F401


def grade(root: Path, assignment: str, submissions: Path | None = None, check_timeout: float | None = None,
          cell_timeout: int | None = None, progress=None, sandbox_mode: str = "require", regrade: bool = False,
          jobs: int = 1, scheduler: str | None = None, db_url: str | None = None) -> dict:
    """Autograde each submission (in this process unless `jobs` or `scheduler` say otherwise); see grading.batch.

    `progress(student)` is called as each submission starts (when grading in this process)."""
    from . import course
    from .grading import batch, progress as reporting
    from .settings import GradingSettings

    settings = GradingSettings.from_config(course.load_config(root), jobs=jobs, scheduler=scheduler, db_url=db_url,
                                           check_timeout=check_timeout, cell_timeout=cell_timeout, sandbox=sandbox_mode)
    reporter = reporting.Callback(progress) if progress else None
    return batch.grade(root, assignment, submissions, settings, reporter, regrade)
