"""Typed verdict of one executed grade cell, read from the kit's result output, never from text."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from .checks import RESULT_MIME

TIMEOUT_ERRORS = {"CellTimeoutError", "KeyboardInterrupt", "TimeoutError"}


class ScoreError(ValueError):
    """A grade cell's result is malformed (non-numeric or out-of-range score)."""


@dataclass
class CellVerdict:
    """Score, maximum, status (passed|partial|failed|timeout|error) and a student-facing message."""

    score: float
    max: float
    status: str
    message: str

    def as_dict(self) -> dict:
        """Plain dict for JSON and notebook metadata."""
        return asdict(self)


def _fraction(result) -> float:
    value = result.get("fraction") if isinstance(result, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ScoreError(f"result fraction {value!r} is not a number")
    if not 0.0 <= value <= 1.0:
        raise ScoreError(f"result fraction {value!r} is outside [0, 1]")
    return float(value)


def _result_output(outputs):
    found = [o["data"][RESULT_MIME] for o in outputs if o.get("output_type") == "display_data" and RESULT_MIME in o.get("data", {})]
    return found[-1] if found else None


def _failed_messages(result) -> str:
    failed = [f"{c.get('name')}: {c.get('message')}" for c in result.get("checks", []) if not c.get("passed")]
    return "; ".join(failed)


def verdict_from_outputs(outputs, max_points: float) -> CellVerdict:
    """Decide a grade cell from its outputs; stderr and printed text never change the score; a hang scores 0."""
    result = _result_output(outputs)
    errors = [o for o in outputs if o.get("output_type") == "error"]
    if result is not None:
        try:
            fraction = _fraction(result)
        except ScoreError as exc:
            return CellVerdict(0.0, max_points, "error", f"invalid result: {exc}")
        timed_out = [c for c in result.get("checks", []) if c.get("timeout")]
        if timed_out:  # the student's code hung: the cell scores 0, whatever ran before
            return CellVerdict(0.0, max_points, "timeout", f"{timed_out[0].get('name')}: {timed_out[0].get('message')}")
        score = round(fraction * max_points, 4)
        status = "passed" if fraction == 1.0 else "partial" if fraction > 0 else "failed"
        return CellVerdict(score, max_points, status, _failed_messages(result))
    if errors:
        ename = errors[-1].get("ename", "Error")
        if ename in TIMEOUT_ERRORS:
            return CellVerdict(0.0, max_points, "timeout", "the cell ran past its time limit and was stopped (an infinite loop?)")
        return CellVerdict(0.0, max_points, "error", f"{ename}: {errors[-1].get('evalue', '')}"[:300])
    return CellVerdict(0.0, max_points, "error", "the grade cell recorded no result; it may have been altered")
