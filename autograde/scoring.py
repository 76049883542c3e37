"""Typed verdict of one executed grade cell: recorded values against the instructor's key, never text."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from .checks import RESULT_MIME, VERSION, verdicts

TIMEOUT_ERRORS = {"CellTimeoutError", "KeyboardInterrupt", "TimeoutError", "DeadKernelError"}


@dataclass
class CellVerdict:
    """Score, maximum, status (passed|partial|failed|timeout|error|review) and a student-facing message."""

    score: float
    max: float
    status: str
    message: str

    def as_dict(self) -> dict:
        """Plain dict for JSON and notebook metadata."""
        return asdict(self)


def _bundles(outputs) -> list:
    return [o["data"][RESULT_MIME] for o in outputs
            if o.get("output_type") in ("display_data", "execute_result") and RESULT_MIME in o.get("data", {})]


def _error_verdict(outputs, max_points) -> CellVerdict:
    errors = [o for o in outputs if o.get("output_type") == "error"]
    if errors:
        ename = errors[-1].get("ename", "Error")
        if ename in TIMEOUT_ERRORS:
            return CellVerdict(0.0, max_points, "timeout", "the cell ran past its time limit and was stopped (an infinite loop?)")
        return CellVerdict(0.0, max_points, "error", f"{ename}: {errors[-1].get('evalue', '')}"[:300])
    return CellVerdict(0.0, max_points, "error", "the grade cell recorded no result; it may have been altered or the kernel died")


def verdict_from_outputs(outputs, max_points: float, key: list | None) -> CellVerdict:
    """Decide a grade cell from its recorded values and the key; stderr and printed text never count."""
    if not key:
        return CellVerdict(0.0, max_points, "error", "no key for this grade cell; run `autograde keys` and grade again")
    bundles = _bundles(outputs)
    if not bundles:
        return _error_verdict(outputs, max_points)
    if len(bundles) > 1:
        return CellVerdict(0.0, max_points, "error", "the cell produced more than one result; grade withheld (was the test tampered with?)")
    values = bundles[0].get("values") if isinstance(bundles[0], dict) else None
    if values is None or bundles[0].get("version") != VERSION or not isinstance(values, list) or len(values) != len(key) \
            or not all(isinstance(v, dict) for v in values):
        return CellVerdict(0.0, max_points, "error", "the recorded result does not match this cell's checks; grade withheld")
    results = verdicts(key, values, [k.get("expected") for k in key])
    hung = [r for r in results if r.get("timeout")]
    if hung:  # the student's code hung: the cell scores 0, whatever ran before
        return CellVerdict(0.0, max_points, "timeout", f"{hung[0]['name']}: {hung[0]['message']}")
    total = sum(r["weight"] for r in results)
    fraction = sum(r["weight"] * r["credit"] for r in results) / total if total else 0.0
    status = "passed" if fraction >= 1.0 else "partial" if fraction > 0 else "failed"
    failed = "; ".join(f"{r['name']}: {r['message']}" for r in results if not r["passed"])
    return CellVerdict(round(fraction * max_points, 4), max_points, status, failed)
