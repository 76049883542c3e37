"""Decide hidden code checks in the grader's process, from the plain values a run reported."""
from __future__ import annotations

import math

import numpy as np

from .. import values
from ..compare import compare
from .rubric import CodeCheck
from .runner import valid_encoding

# instructor reference functions named by the rubric data
REFERENCES = {
    "odd_doubled": lambda a: [2 * x for x in a if x % 2 == 1],
    "sigmoid": lambda x: 1.0 / (1.0 + math.exp(-x)) if x > -700 else 0.0,
    "relu": lambda x: max(0.0, x),
}


def value(e):
    """A reported value decoded by the kit's codec (autograde.values); None when it is not one."""
    if not valid_encoding(e):
        return None
    try:
        return values.decode(e)
    except Exception:  # noqa: BLE001 - a malformed value is simply not a value
        return None


def py(v):
    """Nested Python lists/numbers of a decoded value (arrays and tuples become lists), for references."""
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (tuple, list)):
        return [py(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


def _numeric(want) -> bool:
    if isinstance(want, (list, tuple)):
        return all(_numeric(x) for x in want)
    return isinstance(want, (int, float)) and not isinstance(want, bool)


def matches(got, want, atol=1e-6) -> bool:
    """The one comparer (autograde.compare) on a decoded value: 'close' for numbers, 'equal' otherwise."""
    if isinstance(got, values.Sample):
        return False
    try:
        if _numeric(want):
            return compare("close", got, want, atol=atol, rtol=1e-6)[0]
        return compare("equal", got, want)[0]
    except Exception:  # noqa: BLE001 - values that cannot be compared do not match
        return False


def _line(line) -> tuple[list, list]:
    xs, ys = py(value(line.get("x"))), py(value(line.get("y")))
    ok = isinstance(xs, list) and isinstance(ys, list) and all(_numeric(v) for v in xs + ys)
    return (xs, ys) if ok else ([], [])


def _line_matches(line, fn, atol) -> bool:
    xs, ys = _line(line)
    if len(xs) < 5 or len(xs) != len(ys):
        return False
    f = REFERENCES[fn]
    return all(abs(f(x) - y) <= atol for x, y in zip(xs, ys))


def _table_cells(call: dict) -> dict | None:
    """{(row, col): value} of a reported DataFrame (labels as strings), or None."""
    table = call.get("frame")
    if not isinstance(table, dict):
        return None
    index, columns, data = (py(value(table.get(k))) for k in ("index", "columns", "data"))
    if not (isinstance(index, list) and isinstance(columns, list) and isinstance(data, list) and data):
        return None
    cells = {}
    for r, row in zip(index, data):
        if not isinstance(row, list):
            return None
        for c, x in zip(columns, row):
            cells[(str(r), str(c))] = x
    return cells


def _empty(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or (_numeric(x) and x == 0)


def _table_matches(cells: dict, a: dict) -> bool:
    """Every expected cell holds its rating; missing pairs are absent, NaN, None or 0."""
    for r, c, x in a["cells"]:
        if not matches(cells.get((str(r), str(c))), x, a.get("atol", 1e-6)):
            return False
    for r, c in a.get("missing", []):
        if not _empty(cells.get((str(r), str(c)), None)):
            return False
    return True


def _matrix(v) -> bool:
    return (isinstance(v, list) and v and all(isinstance(r, list) and r and len(r) == len(v[0]) for r in v)
            and all(_numeric(r) for r in v))


def _dot_reference(rep: dict, a: dict) -> list | None:
    """Dot product of the matching user and item embedding rows (plus 1-wide bias tables, and the
    y_range squashing when the model keeps one), computed from the parameters the model reported."""
    params = {k: py(value(v)) for k, v in (rep.get("params") or {}).items()}
    mats = {k: v for k, v in params.items() if _matrix(v)}
    users = [k for k, v in mats.items() if len(v) == a["n_users"] and len(v[0]) > 1]
    items = [k for k, v in mats.items() if len(v) == a["n_items"] and len(v[0]) > 1 and k not in users]
    if not users or not items:
        return None
    ub = [k for k, v in mats.items() if len(v) == a["n_users"] and len(v[0]) == 1]
    ib = [k for k, v in mats.items() if len(v) == a["n_items"] and len(v[0]) == 1]
    U, M = mats[users[0]], mats[items[0]]
    if len(U[0]) != len(M[0]):
        return None
    out = []
    for u, m in a["input"]:
        d = sum(p * q for p, q in zip(U[u], M[m]))
        if ub and ib:
            d += mats[ub[0]][u][0] + mats[ib[0]][m][0]
        out.append(d)
    return out


def _reference_matches(ref, inp, out) -> bool:
    try:
        want = ref(py(value(inp)))
    except Exception:  # noqa: BLE001 - the reference does not apply to these inputs (e.g. strings)
        return False
    return matches(value(out), want)


def _callable(report: dict) -> bool:
    """The source defines a function the probe calls, or is a script on its own example inputs (runner.facts)."""
    return bool(report.get("has_function") or report.get("script_function"))


ITERATOR_TYPES = {"zip", "map", "filter", "generator", "list_iterator", "tuple_iterator", "range_iterator",
                  "enumerate", "reversed", "chain", "islice"}


def evaluate_all(checks, report: dict) -> list[tuple[CodeCheck, bool, str]]:
    """(check, passed, detail) for every check of a question. Where the rubric lets the function take its
    arguments in several arrangements, every check is judged on the one arrangement that earns the most points
    (the question's own on a tie): a learner's signature is read one way for all its calls."""
    best, best_points = None, -1.0
    arranged = report.get("calls_arranged") if isinstance(report, dict) else None
    variants = [report] + [{**report, "calls": calls} for calls in (arranged if isinstance(arranged, list) else [])
                           if isinstance(calls, list)]
    for variant in variants:
        results = [(c, *evaluate(c, variant)) for c in checks]
        points = sum(c.points for c, ok, _ in results if ok)
        if points > best_points:
            best, best_points = results, points
    return best


def evaluate(check: CodeCheck, report: dict) -> tuple[bool, str]:
    """(passed, detail) for one check against a run report; never raises (a check that cannot be
    decided is failed with a note, so one odd answer costs only its own check)."""
    try:
        return _evaluate(check, report)
    except Exception as exc:  # noqa: BLE001
        return False, f"this check could not be evaluated on your answer ({type(exc).__name__})"


def _evaluate(check: CodeCheck, report: dict) -> tuple[bool, str]:
    a, k = check.args, check.kind
    if not isinstance(report, dict) or not (report.get("ok") is True or report.get("ran") is True):
        return False, ""  # a run that ended early (syntax error, exit, time or memory limit) decides nothing
    if k == "true":
        if a["key"] == "instance_state" and not (report.get("has_class") is True and report.get("has_instance") is True):
            return False, ""  # the run's claim counts only for a class the source defines and instantiates
        return report.get(a["key"]) is True, ""
    if k == "listcomp_ref":
        groups = [g for g in report.get("comprehensions") or [] if g]
        if not (report.get("has_listcomp") is True or report.get("has_function") is True):
            groups = []  # values only count for a comprehension (or function) the source has
        if not groups:
            return False, "no list comprehension could be evaluated"
        ref = REFERENCES[a["ref"]]
        return any(all(_reference_matches(ref, inp, out) for inp, out in g) for g in groups), ""
    if k == "any_value":
        vals = [value(v) for v in report.get("values") or []]
        if "final" in report:
            vals.append(value(report["final"]))
        if any(matches(v, a["expected"], a.get("atol", 1e-6)) for v in vals):
            return True, ""
        # the same step taken in another order (double after selecting): the indexed result shows it was done
        return ("or_final" in a and "final" in report and bool(report.get("final_has_subscript"))
                and matches(value(report["final"]), a["or_final"], a.get("atol", 1e-6))), ""
    if k == "final_type":
        return report.get("final_type") in a["types"], ""
    if k == "uses":
        names = set(report.get("names") or [])
        if "none" in a:
            return not names & set(a["none"]), ""
        return bool(names & set(a["any"])), ""
    if k == "regex_extracts":
        cands = [py(value(c)) for c in report.get("candidates") or []]
        cands = [c for c in cands if isinstance(c, list) and len(c) >= len(a["expected"] if not a.get("only") else a["only"])]
        if not cands:
            return False, "no pattern with a capture group (or one-argument function) was found"
        idx = a.get("only")
        picked = [[c[i] for i in idx] if idx else c for c in cands]
        return any(matches(c, a["expected"]) for c in picked), ""
    if k == "call_table":
        calls = report.get("calls") or []
        if not _callable(report) or len(calls) <= a["call"] or not calls[a["call"]].get("ok"):
            err = calls[a["call"]].get("error", "") if len(calls) > a["call"] else ""
            return False, f"calling your function failed ({err})" if err else "no function was defined"
        cells = _table_cells(calls[a["call"]])
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
        out = py(value(report.get("output")))
        out = [x[0] if isinstance(x, list) and len(x) == 1 else x for x in out] if isinstance(out, list) else out
        lo_hi = a.get("y_range")
        squashed = [1 / (1 + math.exp(-d)) * (lo_hi[1] - lo_hi[0]) + lo_hi[0] for d in ref] if lo_hi else None
        atol = a.get("atol", 1e-4)
        return matches(out, ref, atol) or (squashed is not None and matches(out, squashed, atol)), ""
    if k == "module_trains":
        losses = report.get("losses")
        if not report.get("has_module") or not losses:
            return False, "the model could not be trained"
        return losses[1] < a.get("ratio", 0.5) * losses[0], ""
    if k == "final_value":
        if "final" not in report:
            return False, ""
        ok = matches(value(report["final"]), a["expected"], a.get("atol", 1e-6))
        if ok and a.get("needs_slice") and not report.get("final_has_subscript"):
            return False, "the result should come from indexing the doubled tensor, not be typed in"
        return ok, ""
    if k in ("call_equals", "call_tuples"):
        calls = report.get("calls") or []
        if not _callable(report):
            if a["call"] != 0 or "final" not in report:
                return False, "no function was defined"
            calls = [{"ok": True, "v": report["final"], "type": report.get("final_type", "")}]  # an expression
        if len(calls) <= a["call"] or not calls[a["call"]].get("ok"):
            err = calls[a["call"]].get("error", "") if len(calls) > a["call"] else ""
            return False, f"calling your function failed ({err})" if err else ""
        call = calls[a["call"]]
        v = value(call.get("v"))
        if k == "call_equals":
            return matches(v, a["expected"], a.get("atol", 1e-6)), ""
        if call.get("type") in ITERATOR_TYPES:
            return False, "your function returns an iterator, not a list"
        return isinstance(v, list) and bool(v) and all(isinstance(x, tuple) for x in v), ""
    if k == "plot_fn":
        lines = report.get("lines") or []
        if not lines:
            return False, "no line was plotted on the current figure"
        good = [ln for ln in lines if _line_matches(ln, a["fn"], a.get("atol", 1e-3))]
        if not good:
            return False, "the plotted values do not follow the expected function"
        xs = _line(good[0])[0]
        if a.get("needs_neg_pos") and not (min(xs) < 0 < max(xs)):
            return False, "the x values should cover negative and positive numbers"
        if a.get("min_span") and max(xs) - min(xs) < a["min_span"]:
            return False, "plot a wider range of x to see the whole shape"
        return True, ""
    if k == "plot_range":
        good = [_line(ln)[0] for ln in report.get("lines") or [] if _line_matches(ln, a["fn"], 0.01)]
        return any(abs(min(xs) - a["lo"]) <= a["tol"] and abs(max(xs) - a["hi"]) <= a["tol"] for xs in good), ""
    raise ValueError(f"unknown check kind {k!r}")
