"""Hidden-test checks: each names what it calls, its inputs, the expected result and tolerance.

Three modes, chosen by the environment:
- grading (AUTOGRADE_GRADING=1, set by `autograde grade`): only record what the student's code returns,
  as plain data; the verdict is made later in the grader's process against the instructor's key.
- key (AUTOGRADE_RECORD=1, set by `autograde keys`): run the instructor's solution, check it, and
  record each check's expected value and tolerance as the key.
- otherwise (instructor notebook, nbval): check in place and raise AssertionError on a failure.
"""
from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from typing import Any, Callable

RESULT_MIME = "application/vnd.autograde.result+json"
GRADING_ENV = "AUTOGRADE_GRADING"
RECORD_ENV = "AUTOGRADE_RECORD"
CHECK_TIMEOUT_ENV = "AUTOGRADE_CHECK_TIMEOUT"
DEFAULT_CHECK_TIMEOUT = 20.0
VERSION = 2


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

    def spec(self) -> dict:
        """What the grader needs besides the values: kind, tolerances, hint and weight."""
        return {"name": self.name, "kind": self.kind, "atol": self.atol, "rtol": self.rtol, "hint": self.hint, "weight": self.weight}


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
    """A condition on student values holds (`actual()` returns True)."""
    return Check(name, actual, True, "true", hint=hint, weight=weight)


def rand(*shape_, seed=0):
    """A deterministic float tensor in [0, 1) for checker inputs."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    return torch.rand(*shape_, generator=gen)


def _brief(text, limit=160):
    text = str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _alarm(_signum, _frame):
    raise CheckTimeout()


def _call(check: Check, seconds: float) -> dict:
    """{'value': v} or {'error': message[, 'timeout': True]}: the student's code, under a time limit."""
    use_alarm = seconds > 0 and hasattr(signal, "setitimer")
    try:
        if use_alarm:
            previous = signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return {"value": check.actual()}
        finally:
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
    except CheckTimeout:
        return {"error": f"timed out after {seconds:g} s (an infinite loop?)", "timeout": True}
    except NotImplementedError:
        return {"error": "not implemented yet (the exercise still raises NotImplementedError)"}
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # student code may raise anything, SystemExit included
        return {"error": f"raised {type(exc).__name__}: {_brief(exc)}"}


def _shape_of(value):
    shape_ = getattr(value, "shape", None)
    if shape_ is None:
        import numpy as np

        shape_ = np.shape(value)
    return tuple(int(x) for x in shape_)


def _recordable(check: Check, value):
    """The plain value to record: a shape for shape checks, a bool for conditions, else the value."""
    from .values import encode

    if check.kind == "shape":
        return {"t": "shape", "v": list(_shape_of(value))}
    if check.kind == "true":
        return encode(_truth(value))
    return encode(value)


def _truth(value) -> bool:
    """True only for a true bool (Python, numpy or a one-element torch bool tensor)."""
    if isinstance(value, bool):
        return value
    if type(value).__name__ == "bool_":
        return bool(value)
    if type(value).__module__.startswith("torch") and str(getattr(value, "dtype", "")) == "torch.bool":
        return value.numel() == 1 and bool(value.item())
    return False


def _run_all(checks, seconds) -> list[dict]:
    outcomes = []
    for check in checks:
        if any(o.get("timeout") for o in outcomes):
            outcomes.append({"error": "not run: an earlier check timed out", "skipped": True})
            continue
        outcome = _call(check, seconds)
        if "value" in outcome:
            try:
                outcome = {"value": _recordable(check, outcome["value"])}
            except Exception as exc:
                outcome = {"error": f"the result could not be read: {type(exc).__name__}: {_brief(exc)}"}
        outcomes.append(outcome)
    return outcomes


def _show(bundle: dict, text: str) -> None:
    from IPython.display import display

    display({RESULT_MIME: bundle, "text/plain": text}, raw=True)


def verdicts(checks, outcomes, expected_values) -> list[dict]:
    """Compare recorded outcomes with encoded expected values: [{name, passed, message, weight, ...}]."""
    from .compare import compare
    from .values import decode

    results = []
    for check, outcome, expected in zip(checks, outcomes, expected_values):
        spec = check if isinstance(check, dict) else check.spec()
        result = {"name": spec["name"], "weight": float(spec.get("weight", 1.0)), "passed": False}
        if "value" in outcome:
            try:
                passed, message = compare(spec["kind"], decode(outcome["value"]), decode(expected), spec["atol"], spec["rtol"])
            except Exception as exc:  # a malformed value is a failed check, never a crash
                passed, message = False, f"the result could not be read ({type(exc).__name__})"
            result.update(passed=bool(passed), message=message)
        else:
            result.update(message=str(outcome.get("error", "no result"))[:300], timeout=bool(outcome.get("timeout")),
                          skipped=bool(outcome.get("skipped")))
        if not result["passed"] and spec.get("hint") and not (result.get("skipped") or result.get("timeout")):
            result["message"] = f"{result['message']}. Hint: {spec['hint']}"
        results.append(result)
    return results


def summary(results) -> str:
    """Lines of PASS/FAIL per check and a count, for people."""
    lines = [("PASS " if r["passed"] else "FAIL ") + r["name"] + ("" if r["passed"] else f": {r['message']}") for r in results]
    lines.append(f"{sum(r['passed'] for r in results)} of {len(results)} checks passed")
    return "\n".join(lines)


def grade(*checks: Check) -> None:
    """Run the checks in the mode the environment selects (see the module docstring)."""
    from .values import encode

    seconds = float(os.environ.get(CHECK_TIMEOUT_ENV, DEFAULT_CHECK_TIMEOUT))
    outcomes = _run_all(checks, seconds)
    if os.environ.get(GRADING_ENV) == "1":
        _show({"version": VERSION, "values": outcomes}, f"Recorded {len(outcomes)} check results for grading.")
        return
    expected = [encode(c.expected() if callable(c.expected) else c.expected) for c in checks]
    results = verdicts(checks, outcomes, expected)
    text = summary(results)
    if os.environ.get(RECORD_ENV) == "1":
        _show({"version": VERSION, "key": [{**c.spec(), "expected": e} for c, e in zip(checks, expected)]}, text)
    else:
        print(text)
    if not all(r["passed"] for r in results):
        raise AssertionError(text)
