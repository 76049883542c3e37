"""Hidden-test checks: each names what it calls in the student's code and how to compare; never the answer.

A hidden grade cell builds checks from the inputs it chooses and calls `grade(...)`. No expected value
and no reference computation of one ever appears in a hidden cell: the key is the instructor's
solution's own result on the same inputs, recorded in key mode, and compared in the grader's process.

Three modes, chosen by the environment:
- grading (AUTOGRADE_GRADING=1, set by `autograde grade`): only record what the student's code returns,
  as plain data; the verdict is made later in the grader's process against the instructor's key.
- key (AUTOGRADE_RECORD=1, set by `autograde keys`): run the instructor's solution and record each
  check's result, kind and tolerance as the key; a condition the solution fails raises.
- otherwise (instructor notebook, nbval): run in place; errors and failed conditions raise AssertionError.
"""
from __future__ import annotations

import os
import signal
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable

RESULT_MIME = "application/vnd.autograde.result+json"
GRADING_ENV = "AUTOGRADE_GRADING"
RECORD_ENV = "AUTOGRADE_RECORD"
CHECK_TIMEOUT_ENV = "AUTOGRADE_CHECK_TIMEOUT"
DEFAULT_CHECK_TIMEOUT = 20.0  # CPU seconds per check
WALL_FACTOR = 4.0  # wall-clock backstop: this many times the CPU limit
VERSION = 3
VALUE_KINDS = ("close", "equal")          # compared with the key's recorded result
GATED_KINDS = ("shape", "true", "between")  # pay only once a value check of the same cell passes


class CheckTimeout(Exception):
    """A check ran past its time limit."""


@dataclass
class Check:
    """One check: `actual()` calls student code on the checker's inputs; the rest says how to judge it."""

    name: str
    actual: Callable[[], Any]
    kind: str = "close"  # close | equal | shape | true | between
    atol: float = 1e-4
    rtol: float = 1e-4
    hint: str = ""
    weight: float = 1.0
    low: float | None = None
    high: float | None = None

    def spec(self) -> dict:
        """What the grader needs besides the values: kind, tolerances, bounds, hint and weight."""
        spec = {"name": self.name, "kind": self.kind, "atol": self.atol, "rtol": self.rtol, "hint": self.hint, "weight": self.weight}
        if self.kind == "between":
            spec.update(low=self.low, high=self.high)
        return spec


def _no_expected(name, expected):
    if expected is not _UNSET:
        raise TypeError(f"check {name!r}: hidden tests take no expected value (it would reach the student's kernel); "
                        "the key records the solution's own result on the same inputs")


_UNSET = object()


def close(name, actual, expected=_UNSET, *, atol=1e-4, rtol=1e-4, hint="", weight=1.0) -> Check:
    """Numbers, arrays or tensors equal to the solution's within tolerance (same shape and kind of value)."""
    _no_expected(name, expected)
    return Check(name, actual, "close", atol, rtol, hint, weight)


def equal(name, actual, expected=_UNSET, *, hint="", weight=1.0) -> Check:
    """Exactly the solution's value (ints, strings, bools, tuples, integer tensors)."""
    _no_expected(name, expected)
    return Check(name, actual, "equal", hint=hint, weight=weight)


def shape(name, actual, expected=_UNSET, *, hint="", weight=1.0) -> Check:
    """A tensor or array has the solution's shape; pays only alongside a passing value check."""
    _no_expected(name, expected)
    return Check(name, actual, "shape", hint=hint, weight=weight)


def true(name, actual, *, hint="", weight=1.0) -> Check:
    """A condition on student values holds (`actual()` returns True); pays only alongside a passing value check."""
    return Check(name, actual, "true", hint=hint, weight=weight)


def between(name, actual, low=None, high=None, *, hint="", weight=1.0) -> Check:
    """A number lies in [low, high] (e.g. an accuracy); pays only alongside a passing value check."""
    return Check(name, actual, "between", hint=hint, weight=weight, low=low, high=high)


def rand(*shape_, seed=0):
    """A deterministic float tensor in [0, 1) for checker inputs."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    return torch.rand(*shape_, generator=gen)


@contextmanager
def given(namespace: dict, **names):
    """Bind `names` in `namespace` (the notebook's globals) for the duration, then restore what was there.

    Hidden tests use it to call an exercise with reference versions of *other* exercises' functions or
    data, so one mistake is charged once, in its own cell.
    """
    missing = object()
    saved = {k: namespace.get(k, missing) for k in names}
    namespace.update(names)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is missing:
                namespace.pop(k, None)
            else:
                namespace[k] = v


def _brief(text, limit=160):
    text = str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _alarm(_signum, _frame):
    raise CheckTimeout()


def _call(check: Check, seconds: float) -> dict:
    """{'value': v} or {'error': message[, 'timeout': True]}: the student's code, under a time limit.

    The limit is CPU time (ITIMER_PROF), so a busy machine never stops correct code; a wall-clock
    backstop of WALL_FACTOR times the limit catches code that hangs without computing (sleeps, waits).
    """
    use_alarm = seconds > 0 and hasattr(signal, "setitimer")
    try:
        if use_alarm:
            previous = {sig: signal.signal(sig, _alarm) for sig in (signal.SIGALRM, signal.SIGPROF)}
            signal.setitimer(signal.ITIMER_PROF, seconds)
            signal.setitimer(signal.ITIMER_REAL, seconds * WALL_FACTOR)
        try:
            return {"value": check.actual()}
        finally:
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.setitimer(signal.ITIMER_PROF, 0)
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
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
        if type(value).__module__.split(".")[0] not in ("torch", "numpy", "fastai"):
            return {"t": "other", "type": type(value).__name__}
        return {"t": "shape", "v": list(_shape_of(value))}
    if check.kind == "true":
        return encode(_truth(value))
    return encode(value)


def _truth(value) -> bool:
    """True only for a true bool (Python, numpy or a one-element torch bool tensor)."""
    if isinstance(value, bool):
        return value
    if type(value).__name__ in ("bool_", "bool") and type(value).__module__ == "numpy":  # numpy 2 names it bool
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


def verdicts(specs, outcomes, expected_values) -> list[dict]:
    """Judge recorded outcomes against the key: [{name, passed, credit, message, weight, kind, ...}].

    Value checks earn a credit in [0, 1] (half for the right values in the wrong kind of value);
    shape, condition and range checks count only when a value check of the same cell earned credit.
    """
    from .compare import credit

    results = []
    for spec, outcome, expected in zip(specs, outcomes, expected_values):
        spec = spec if isinstance(spec, dict) else spec.spec()
        result = {"name": spec["name"], "kind": spec["kind"], "weight": float(spec.get("weight", 1.0)), "passed": False, "credit": 0.0}
        if "value" in outcome:
            try:
                fraction, message = credit(spec, outcome["value"], expected)
            except Exception as exc:  # a malformed value is a failed check, never a crash
                fraction, message = 0.0, f"the result could not be read ({type(exc).__name__})"
            result.update(credit=float(fraction), passed=fraction >= 1.0, message=message)
        else:
            result.update(message=str(outcome.get("error", "no result"))[:300], timeout=bool(outcome.get("timeout")),
                          skipped=bool(outcome.get("skipped")))
        results.append(result)
    if not any(r["kind"] in VALUE_KINDS and r["credit"] > 0 for r in results):
        for r in results:
            if r["kind"] in GATED_KINDS and r["credit"] > 0:
                r.update(credit=0.0, passed=False, message="counts once this exercise's values are right")
    for r, spec in zip(results, specs):
        hint = spec.get("hint") if isinstance(spec, dict) else spec.hint
        if not r["passed"] and hint and not (r.get("skipped") or r.get("timeout")):
            r["message"] = f"{r['message']}. Hint: {hint}"
    return results


def summary(results) -> str:
    """Lines of PASS/FAIL per check and a count, for people."""
    lines = [("PASS " if r["passed"] else "FAIL ") + r["name"] + ("" if r["passed"] else f": {r['message']}") for r in results]
    lines.append(f"{sum(r['passed'] for r in results)} of {len(results)} checks passed")
    return "\n".join(lines)


def _in_place(checks, outcomes) -> list[dict]:
    """Without a key: value checks pass when the code ran and gave a readable value; conditions are judged."""
    results = []
    for check, outcome in zip(checks, outcomes):
        if "value" not in outcome:
            results.append({"name": check.name, "passed": False, "message": outcome.get("error", "no result")})
            continue
        value = outcome["value"]
        if value.get("t") == "other":
            passed, message = False, f"got an object of type {value.get('type')}"
        elif check.kind in ("true", "between"):
            from .compare import credit

            fraction, message = credit(check.spec(), value, None)
            passed = fraction >= 1.0
        else:
            passed, message = True, ""
        results.append({"name": check.name, "passed": passed, "message": message})
    return results


def grade(*checks: Check) -> None:
    """Run the checks in the mode the environment selects (see the module docstring)."""
    seconds = float(os.environ.get(CHECK_TIMEOUT_ENV, DEFAULT_CHECK_TIMEOUT))
    outcomes = _run_all(checks, seconds)
    if os.environ.get(GRADING_ENV) == "1":
        _show({"version": VERSION, "values": outcomes}, f"Recorded {len(outcomes)} check results for grading.")
        return
    results = _in_place(checks, outcomes)
    text = summary(results)
    if os.environ.get(RECORD_ENV) == "1":
        key = [{**c.spec(), "expected": o.get("value")} for c, o in zip(checks, outcomes)]
        _show({"version": VERSION, "key": key}, text)
    else:
        print(text)
    if not all(r["passed"] for r in results):
        raise AssertionError(text)
