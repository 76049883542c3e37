"""Hidden-test checks: each names what it calls, its inputs, the expected result and tolerance."""
from __future__ import annotations

import os
import signal
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

RESULT_MIME = "application/vnd.autograde.result+json"
GRADING_ENV = "AUTOGRADE_GRADING"
CHECK_TIMEOUT_ENV = "AUTOGRADE_CHECK_TIMEOUT"
DEFAULT_CHECK_TIMEOUT = 20.0


class CheckTimeout(Exception):
    """A check ran past its time limit."""


@dataclass
class Check:
    """One comparison: `actual()` calls student code; `expected` is a value or a zero-argument callable."""

    name: str
    actual: Callable[[], Any]
    expected: Any = None
    kind: str = "close"  # close | equal | shape | true
    atol: float = 1e-4
    rtol: float = 1e-4
    hint: str = ""
    weight: float = 1.0
    extra: dict = field(default_factory=dict)


def close(name, actual, expected, atol=1e-4, rtol=1e-4, hint="", weight=1.0) -> Check:
    """Numbers, arrays or tensors equal within tolerance (shapes must match)."""
    return Check(name, actual, expected, "close", atol, rtol, hint, weight)


def equal(name, actual, expected, hint="", weight=1.0) -> Check:
    """Exactly equal values (ints, strings, bools, tuples, integer tensors)."""
    return Check(name, actual, expected, "equal", hint=hint, weight=weight)


def shape(name, actual, expected, hint="", weight=1.0) -> Check:
    """A tensor or array has exactly this shape."""
    return Check(name, actual, tuple(expected), "shape", hint=hint, weight=weight)


def true(name, actual, hint="", weight=1.0) -> Check:
    """A condition on student values holds (`actual()` returns a truthy value)."""
    return Check(name, actual, True, "true", hint=hint, weight=weight)


def rand(*shape_, seed=0):
    """A deterministic float tensor in [0, 1) for checker inputs."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    return torch.rand(*shape_, generator=gen)


def to_numpy(value):
    """Plain numpy view of a tensor, array, scalar or nested list (no code objects)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu()
        if str(value.dtype) in ("torch.bfloat16", "torch.float16"):
            value = value.float()
        return value.numpy()
    if type(value).__name__ == "Size":
        return np.asarray(tuple(value))
    return np.asarray(value)


def _shape_of(value):
    return tuple(getattr(value, "shape", np.shape(to_numpy(value))))


def _resolve(expected):
    return expected() if callable(expected) else expected


def compare(check: Check, value) -> tuple[bool, str]:
    """Decide one check from the value student code produced; returns (passed, message)."""
    if check.kind == "true":
        return (bool(value), "" if value else "condition not met")
    expected = _resolve(check.expected)
    if check.kind == "shape":
        got = _shape_of(value)
        return (got == expected, "" if got == expected else f"expected shape {expected}, got {got}")
    if check.kind == "equal":
        if isinstance(expected, (str, bool, int, tuple)) and not hasattr(value, "shape"):
            same = bool(value == expected) and (type(value) is type(expected) or not isinstance(expected, bool))
            return (same, "" if same else f"got {_brief(value)}")
        a, b = to_numpy(value), to_numpy(expected)
        if a.shape != b.shape:
            return (False, f"expected shape {b.shape}, got {a.shape}")
        same = bool(np.array_equal(a, b))
        return (same, "" if same else f"{int((a != b).sum())} of {a.size} values differ")
    a = to_numpy(value).astype(np.float64)
    b = to_numpy(expected).astype(np.float64)
    if a.shape != b.shape:
        return (False, f"expected shape {b.shape}, got {a.shape}")
    if np.allclose(a, b, atol=check.atol, rtol=check.rtol, equal_nan=False):
        return (True, "")
    diff = float(np.abs(a - b).max()) if a.size else 0.0
    return (False, f"values differ (largest difference {diff:.3g}, tolerance {check.atol:g})")


def _brief(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _alarm(_signum, _frame):
    raise CheckTimeout()


def _run_one(check: Check, seconds: float) -> dict:
    use_alarm = seconds > 0 and hasattr(signal, "setitimer")
    try:
        if use_alarm:
            previous = signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            value = check.actual()
            passed, message = compare(check, value)
        finally:
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
    except CheckTimeout:
        passed, message = False, f"timed out after {seconds:g} s (an infinite loop?)"
        return {"name": check.name, "passed": False, "message": message, "weight": float(check.weight), "timeout": True}
    except NotImplementedError:
        passed, message = False, "not implemented yet (the exercise still raises NotImplementedError)"
    except Exception as exc:  # student code may raise anything
        passed, message = False, f"raised {type(exc).__name__}: {_brief(str(exc), 160)}"
    if not passed and check.hint:
        message = f"{message}. Hint: {check.hint}"
    return {"name": check.name, "passed": bool(passed), "message": message, "weight": float(check.weight)}


def _summary(results) -> str:
    lines = [("PASS " if r["passed"] else "FAIL ") + r["name"] + ("" if r["passed"] else f": {r['message']}") for r in results]
    passed = sum(r["passed"] for r in results)
    lines.append(f"{passed} of {len(results)} checks passed")
    return "\n".join(lines)


def grade(*checks: Check) -> None:
    """Run checks, show a result the grader reads; outside grading, raise if any check failed."""
    seconds = float(os.environ.get(CHECK_TIMEOUT_ENV, DEFAULT_CHECK_TIMEOUT))
    results = []
    for check in checks:
        if any(r.get("timeout") for r in results):
            results.append({"name": check.name, "passed": False, "message": "not run: an earlier check timed out",
                            "weight": float(check.weight), "skipped": True})
        else:
            results.append(_run_one(check, seconds))
    total = sum(r["weight"] for r in results)
    earned = sum(r["weight"] for r in results if r["passed"])
    result = {"version": 1, "fraction": earned / total if total else 0.0, "checks": results}
    summary = _summary(results)
    try:
        from IPython.display import display

        display({RESULT_MIME: result, "text/plain": summary}, raw=True)
    except ImportError:
        print(summary)
    if os.environ.get(GRADING_ENV) != "1" and earned < total:
        raise AssertionError(summary)

