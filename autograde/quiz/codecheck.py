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
        if v["__t"] in ("tuple", "iter", "L"):
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


def _table_cells(v) -> dict | None:
    """{(row, col): value} of a reported DataFrame (labels as strings), or None."""
    if not (isinstance(v, dict) and v.get("__t") == "frame" and v.get("columns") is not None and v.get("data")):
        return None
    cells = {}
    for r, row in zip(v["index"], v["data"]):
        for c, x in zip(v["columns"], row):
            cells[(str(plain(r)), str(plain(c)))] = plain(x)
    return cells


def _table_matches(cells: dict, a: dict) -> bool:
    """Every expected cell holds its rating; missing pairs are absent, NaN, None or 0."""
    for r, c, x in a["cells"]:
        if not close(cells.get((str(r), str(c))), x, a.get("atol", 1e-6)):
            return False
    for r, c in a.get("missing", []):
        if cells.get((str(r), str(c)), None) not in (None, "nan", 0, 0.0):
            return False
    return True


def _dot_reference(rep: dict, a: dict) -> list | None:
    """Dot product of the matching user and item embedding rows (plus 1-wide bias tables, and the
    y_range squashing when the model keeps one), computed from the parameters the model reported."""
    params = {k: plain(v) for k, v in (rep.get("params") or {}).items()}
    mats = {k: v for k, v in params.items() if isinstance(v, list) and v and isinstance(v[0], list)}
    users = [k for k, v in mats.items() if len(v) == a["n_users"] and len(v[0]) > 1]
    items = [k for k, v in mats.items() if len(v) == a["n_items"] and len(v[0]) > 1 and k not in users]
    if not users or not items:
        return None
    ub = [k for k, v in mats.items() if len(v) == a["n_users"] and len(v[0]) == 1]
    ib = [k for k, v in mats.items() if len(v) == a["n_items"] and len(v[0]) == 1]
    U, M = mats[users[0]], mats[items[0]]
    out = []
    for u, m in a["input"]:
        d = sum(p * q for p, q in zip(U[u], M[m]))
        if ub and ib:
            d += mats[ub[0]][u][0] + mats[ib[0]][m][0]
        out.append(d)
    return out


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
        return any(close(v, a["expected"], a.get("atol", 1e-6)) for v in vals), ""
    if k == "final_type":
        return report.get("final_type") in a["types"], ""
    if k == "uses":
        names = set(report.get("names") or [])
        if "none" in a:
            return not names & set(a["none"]), ""
        return bool(names & set(a["any"])), ""
    if k == "regex_extracts":
        cands = report.get("candidates") or []
        if not cands:
            return False, "no pattern with a capture group (or one-argument function) was found"
        idx = a.get("only")
        picked = [[c[i] for i in idx] if idx else c for c in (plain(c) for c in cands)]
        return any(close(c, a["expected"]) for c in picked), ""
    if k == "call_table":
        calls = report.get("calls") or []
        if not report.get("has_function") or len(calls) <= a["call"] or not calls[a["call"]].get("ok"):
            err = calls[a["call"]].get("error", "") if len(calls) > a["call"] else ""
            return False, f"calling your function failed ({err})" if err else "no function was defined"
        cells = _table_cells(calls[a["call"]]["v"])
        if cells is None:
            return False, "your function should return a DataFrame"
        flipped = {(c, r): x for (r, c), x in cells.items()}
        return _table_matches(cells, a) or (a.get("allow_transpose", False) and _table_matches(flipped, a)), ""
    if k == "dot_model":
        if not report.get("has_module"):
            return False, "no nn.Module subclass was defined"
        ref = _dot_reference(report, a)
        if ref is None:
            return False, "no user and item embedding tables of the requested sizes were found"
        out = plain(report.get("output"))
        out = [x[0] if isinstance(x, list) and len(x) == 1 else x for x in out] if isinstance(out, list) else out
        lo_hi = a.get("y_range")
        squashed = [1 / (1 + math.exp(-d)) * (lo_hi[1] - lo_hi[0]) + lo_hi[0] for d in ref] if lo_hi else None
        atol = a.get("atol", 1e-4)
        return close(out, ref, atol) or (squashed is not None and close(out, squashed, atol)), ""
    if k == "module_trains":
        losses = report.get("losses")
        if not losses:
            return False, "the model could not be trained"
        return losses[1] < a.get("ratio", 0.5) * losses[0], ""
    if k == "final_value":
        ok = close(plain(report.get("final")), a["expected"], a.get("atol", 1e-6))
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
            return close(plain(v), a["expected"], a.get("atol", 1e-6)), ""
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
