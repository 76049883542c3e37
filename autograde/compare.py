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
    allowance = atol * count + rtol * b.abssum
    return bool(values_close) and abs(a.sum - b.sum) <= allowance and abs(a.abssum - b.abssum) <= allowance


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


CONTRACT_SHARE = 0.5  # right values in the wrong kind of value, or the wrong shape: half of the check


def _compatible(got: str, want: str) -> bool:
    """Whether a value of family `got` honours a contract of family `want`."""
    if got == want or "array" in (got, want) and {got, want} <= {"array", "tensor", "ndarray"}:
        return True
    return got == "number" and want == "tensor"  # a Python number where a 0-d tensor came back


def _squeezed(value):
    if isinstance(value, Sample):
        return None
    arr = _numeric(value)
    return None if arr is None else np.squeeze(arr)


def _number(value):
    """A finite float from a number or a one-element numeric array, else None."""
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, (str, dict, Sample)):
        return None
    arr = _numeric(value)
    if arr is None or arr.size != 1 or not np.isfinite(arr).all():
        return None
    return float(arr.reshape(-1)[0])


def credit(spec: dict, got_data, want_data) -> tuple[float, str]:
    """(share of the check earned in [0, 1], message) from encoded values and the key's spec."""
    from .values import decode, family

    kind = spec["kind"]
    got = decode(got_data)
    if family(got_data) == "other":
        return 0.0, f"got an object of type {got_data.get('type') if isinstance(got_data, dict) else '?'}, not a number, tensor or array"
    if kind == "true":
        return (1.0, "") if compare("true", got, True)[0] else (0.0, "condition not met")
    if kind == "between":
        x = _number(got)
        if x is None:
            return 0.0, f"got {_brief(got)}, not a single number"
        low, high = spec.get("low"), spec.get("high")
        ok = (low is None or x >= low) and (high is None or x <= high)
        bound = " and ".join(s for s in (low is not None and f"at least {low:g}", high is not None and f"at most {high:g}") if s)
        return (1.0, "") if ok else (0.0, f"got {x:.4g}, expected {bound}")
    want = decode(want_data)
    passed, message = compare(kind, got, want, spec.get("atol", 1e-4), spec.get("rtol", 1e-4))
    if kind == "shape":
        return (1.0 if passed else 0.0), message
    fam_got, fam_want = family(got_data), family(want_data)
    if passed:
        if _compatible(fam_got, fam_want):
            return 1.0, ""
        return CONTRACT_SHARE, f"right values, but a {fam_got} where a {fam_want} is expected"
    a, b = _squeezed(got), _squeezed(want)
    if a is not None and b is not None and a.shape == b.shape and _shape(got) != _shape(want) \
            and compare(kind, a, b, spec.get("atol", 1e-4), spec.get("rtol", 1e-4))[0]:
        return CONTRACT_SHARE, f"right values, but expected shape {_shape(want)}, got {_shape(got)}"
    return 0.0, message
