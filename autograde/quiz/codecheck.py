"""Decide hidden code checks in the grader's process, from the plain values a run reported."""
from __future__ import annotations

import math

from .rubric import CodeCheck

# instructor reference functions named by the rubric data
REFERENCES = {
    "odd_doubled": lambda a: [2 * x for x in a if x % 2 == 1],
    "sigmoid": lambda x: 1.0 / (1.0 + math.exp(-x)) if x > -700 else 0.0,
    "relu": lambda x: max(0.0, x),
}


def plain(v):
    """Strip type tags: tensors/arrays -> nested lists, tuples/iterators -> lists."""
    if isinstance(v, dict) and "__t" in v:
        if v["__t"] in ("tensor", "array"):
            return plain(v.get("data"))
        if v["__t"] in ("tuple", "iter"):
            return [plain(x) for x in v["v"]]
        return v
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def close(a, b, atol=1e-6) -> bool:
    """Nested equality with a numeric tolerance (bools and strings exact)."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y, atol) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
        return abs(a - b) <= atol + 1e-6 * abs(b)
    return a == b


def _line_matches(line, fn, atol) -> bool:
    xs, ys = line.get("x", []), line.get("y", [])
    if len(xs) < 5 or len(xs) != len(ys):
        return False
    f = REFERENCES[fn]
    return all(abs(f(x) - y) <= atol for x, y in zip(xs, ys))


def evaluate(check: CodeCheck, report: dict) -> tuple[bool, str]:
    """(passed, detail) for one check against a run report."""
    a, k = check.args, check.kind
    if not report.get("ok"):
        return False, ""
    if k == "true":
        return bool(report.get(a["key"])), ""
    if k == "listcomp_ref":
        pairs = report.get("pairs") or []
        if not pairs:
            return False, "no list comprehension could be evaluated"
        ref = REFERENCES[a["ref"]]
        ok = all(close(plain(out), ref(plain(inp))) for inp, out in pairs)
        return ok, ""
    if k == "any_value":
        vals = [plain(v) for v in report.get("values", [])] + [plain(report.get("final"))]
        return any(close(v, a["expected"]) for v in vals), ""
    if k == "final_value":
        ok = close(plain(report.get("final")), a["expected"])
        if ok and a.get("needs_slice") and not report.get("final_has_subscript"):
            return False, "the result should come from indexing the doubled tensor, not be typed in"
        return ok, ""
    if k in ("call_equals", "call_tuples"):
        calls = report.get("calls") or []
        if not report.get("has_function"):
            if a["call"] != 0 or "final" not in report:
                return False, "no function was defined"
            calls = [{"ok": True, "v": report["final"]}]  # an expression instead of a function
        if len(calls) <= a["call"] or not calls[a["call"]].get("ok"):
            err = calls[a["call"]].get("error", "") if len(calls) > a["call"] else ""
            return False, f"calling your function failed ({err})" if err else ""
        v = calls[a["call"]]["v"]
        if k == "call_equals":
            return close(plain(v), a["expected"]), ""
        if isinstance(v, dict) and v.get("__t") == "iter":
            return False, "your function returns an iterator, not a list"
        items = v if isinstance(v, list) else []
        return bool(items) and all(isinstance(x, dict) and x.get("__t") == "tuple" for x in items), ""
    if k == "plot_fn":
        lines = report.get("lines") or []
        if not lines:
            return False, "no line was plotted on the current figure"
        good = [ln for ln in lines if _line_matches(ln, a["fn"], a.get("atol", 1e-3))]
        if not good:
            return False, "the plotted values do not follow the expected function"
        xs = good[0]["x"]
        if a.get("needs_neg_pos") and not (min(xs) < 0 < max(xs)):
            return False, "the x values should cover negative and positive numbers"
        if a.get("min_span") and max(xs) - min(xs) < a["min_span"]:
            return False, "plot a wider range of x to see the whole shape"
        return True, ""
    if k == "plot_range":
        good = [ln for ln in report.get("lines") or [] if _line_matches(ln, a["fn"], 0.01)]
        return any(abs(min(ln["x"]) - a["lo"]) <= a["tol"] and abs(max(ln["x"]) - a["hi"]) <= a["tol"]
                   for ln in good), ""
    raise ValueError(f"unknown check kind {k!r}")
