"""Decide one check from decoded values: shape, equal, close or true, with student-facing messages."""
from __future__ import annotations

import numpy as np

from .values import Sample


def _shape(value):
    if isinstance(value, (np.ndarray, Sample)):
        return tuple(value.shape)
    if isinstance(value, tuple) and all(isinstance(x, int) and not isinstance(x, bool) for x in value):
        return value  # a shape recorded as such
    return tuple(np.shape(value)) if isinstance(value, (int, float, list)) else None


def _brief(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_plain(value) -> bool:
    return isinstance(value, (str, bool, int, float, tuple, list, type(None)))


def _same_plain(got, want) -> bool:
    if isinstance(want, bool) or isinstance(got, bool):
        return type(got) is type(want) and got == want
    if isinstance(want, (tuple, list)):
        return isinstance(got, (tuple, list)) and len(got) == len(want) and all(_same_plain(g, w) for g, w in zip(got, want))
    if isinstance(want, np.ndarray) or isinstance(got, np.ndarray):
        return _arrays_equal(got, want)
    return type(got) in (int, float, str, type(None)) and got == want


def _arrays_equal(got, want) -> bool:
    try:
        a, b = np.asarray(got), np.asarray(want)
    except (ValueError, TypeError):
        return False
    return a.shape == b.shape and a.dtype != object and b.dtype != object and bool(np.array_equal(a, b))


def _samples_match(a: Sample, b: Sample, kind: str, atol: float, rtol: float) -> bool:
    if kind == "equal":
        return a.sum == b.sum and bool(np.array_equal(a.values, b.values))
    values_close = np.allclose(a.values.astype(np.float64), b.values.astype(np.float64), atol=atol, rtol=rtol)
    count = float(np.prod(a.shape))
    return bool(values_close) and abs(a.sum - b.sum) <= atol * count + rtol * b.abssum


def _numeric(value):
    if isinstance(value, bool) or isinstance(value, str) or value is None:
        return None
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (ValueError, TypeError):
        return None
    return arr


def compare(kind: str, got, want, atol: float = 1e-4, rtol: float = 1e-4) -> tuple[bool, str]:
    """(passed, message) for a check of `kind` on decoded values; never trusts the student's objects."""
    if isinstance(got, dict) and got.get("t") == "other":
        return False, f"got an object of type {got.get('type')}, not a number, tensor or array"
    if kind == "true":
        ok = isinstance(got, (bool, np.bool_)) and bool(got) or isinstance(got, np.ndarray) and got.size == 1 and got.dtype == bool and bool(got.item())
        return ok, "" if ok else "condition not met"
    if kind == "shape":
        have = _shape(got)
        want = tuple(want)
        return have == want, "" if have == want else f"expected shape {want}, got {have}"
    if isinstance(got, Sample) or isinstance(want, Sample):
        if _shape(got) != _shape(want):
            return False, f"expected shape {_shape(want)}, got {_shape(got)}"
        ok = isinstance(got, Sample) and isinstance(want, Sample) and _samples_match(got, want, kind, atol, rtol)
        return ok, "" if ok else "values differ"
    if kind == "equal":
        if isinstance(want, np.ndarray) or isinstance(got, np.ndarray):
            a, b = np.asarray(got) if not isinstance(got, dict) else None, np.asarray(want)
            if a is None or a.shape != b.shape:
                return False, f"expected shape {b.shape}, got {None if a is None else a.shape}"
            same = _arrays_equal(a, b)
            return same, "" if same else f"{int((a != b).sum())} of {a.size} values differ"
        same = _same_plain(got, want)
        return same, "" if same else f"got {_brief(got)}"
    a, b = _numeric(got), _numeric(want)
    if a is None:
        return False, f"got {_brief(got)}, not a number or array"
    if a.shape != b.shape:
        return False, f"expected shape {b.shape}, got {a.shape}"
    if a.size and np.allclose(a, b, atol=atol, rtol=rtol, equal_nan=False) or a.size == 0:
        return True, ""
    diff = float(np.abs(a - b).max())
    return False, f"values differ (largest difference {diff:.3g}, tolerance {atol:g})"
