"""Run questionnaire code answers in the kit's sandbox (autograde.sandbox) and read back plain reports.

One executor: the answers of a questionnaire run in ONE sandbox (no network, uid nobody, only a private
work folder and the Python environment visible; the course, keys, rubrics and gradebook hidden; memory,
process, CPU and output limits; the whole process tree killed at the end). Inside, harness.py imports
the libraries once and forks a fresh child per answer. Values come back through the kit's codec
(autograde.values.encode, checked here before anyone decodes them); codecheck decides verdicts in this
process with autograde.compare. Facts about the code's structure (a list comprehension, a class, the
names used, ...) are read here from the source, never taken from the run.

Report (a JSON-able dict, the input of codecheck.evaluate):
  ok, error (short), timeout, syntax_error; the structural facts (has_listcomp, names, has_class,
  has_function, has_module, has_instance, method_called, final_has_subscript); and the encoded values
  the run produced: final, final_type, values, calls (calls_arranged: the same calls with the other argument
  arrangements the rubric allows), comprehensions, candidates, output, params,
  losses, lines, instance_state.
"""
from __future__ import annotations

import ast
import contextlib
import json
import math
import os
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

from .. import sandbox
from . import harness
from .split import _parses, split_answer

HARNESS = Path(__file__).with_name("harness.py")
PACKAGE = Path(__file__).resolve().parent.parent
CODE_TIMEOUT_ENV = "AUTOGRADE_QUIZ_CODE_TIMEOUT"   # CPU seconds per code answer
TIMEOUT_ENV = "AUTOGRADE_QUIZ_TIMEOUT"   # old name, no longer read: it was a copy of --check-timeout
SANDBOX_ENV = "AUTOGRADE_SANDBOX"        # 'require' (default: refuse without isolation) or 'off'
DEFAULT_TIMEOUT = 20.0                   # CPU seconds (load-independent; 4x in wall time for code that waits)
STARTUP_SECONDS = 120.0                  # importing torch & co. in the sandbox, on a busy machine
MEMORY_MB = 4096
PROCESSES = 64
MAX_STDOUT_LINE = 2_500_000
MAX_ENC_DEPTH = 8
MAX_ENC_ITEMS = 50_000
DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float16", "float32", "float64"}

__all__ = ["run_code", "run_many", "prerun", "code_source", "facts", "CODE_TIMEOUT_ENV", "SANDBOX_ENV"]


# ---------------------------------------------------------------------------------------------------
# the code to run, and what its source says


def code_source(code: str) -> str:
    """The Python to run: `code` itself when it parses, else the code split_answer finds in it
    (fences, >>> prompts, output lines and prose removed)."""
    code = code if isinstance(code, str) else ""
    if _parses(code):
        return code
    found = split_answer(code)[0]
    return found if found.strip() else code


def default_timeout() -> float:
    """CPU seconds per code answer when the caller passes none: AUTOGRADE_QUIZ_CODE_TIMEOUT, for standalone use
    (`autograde grade` passes GradingSettings.quiz_code_timeout explicitly)."""
    try:
        value = float(os.environ.get(CODE_TIMEOUT_ENV, DEFAULT_TIMEOUT))
    except ValueError:
        value = DEFAULT_TIMEOUT
    return value if math.isfinite(value) and value > 0 else DEFAULT_TIMEOUT


def facts(source: str, probe: dict) -> dict:
    """Structural facts of the answer, read from its source in the grader (the run cannot change them)."""
    tree = ast.parse(source)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    class_names = {c.name for c in classes}
    insts = {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
             and isinstance(n.value.func, ast.Name) and n.value.func.id in class_names
             for t in n.targets if isinstance(t, ast.Name)}
    funcs = harness.probe_functions(tree, probe or {})
    final, _ = harness.final_value_source(tree)
    if isinstance(final, ast.Name):  # `t = x[1:, 1:]` then `t`: the value shown is the one assigned last
        assigned = [n.value for n in tree.body[:-1] if isinstance(n, ast.Assign) and len(n.targets) == 1
                    and isinstance(n.targets[0], ast.Name) and n.targets[0].id == final.id]
        final = assigned[-1] if assigned else final

    def base_name(b):
        return b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "")

    return {
        "has_listcomp": any(isinstance(n, ast.ListComp) for n in ast.walk(tree)),
        "names": sorted(names),
        "has_class": bool(classes),
        "has_function": bool(funcs),
        "script_function": not funcs and harness.script_params(tree, probe or {}) is not None,
        "has_module": any(base_name(b) == "Module" for c in classes for b in c.bases),
        "has_instance": any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in class_names
                            for n in ast.walk(tree)),
        "method_called": any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and (
                (isinstance(n.func.value, ast.Name) and n.func.value.id in insts)
                or (isinstance(n.func.value, ast.Call) and isinstance(n.func.value.func, ast.Name)
                    and n.func.value.func.id in class_names))
            for n in ast.walk(tree)) or _protocol_used(tree, classes, insts),
        "final_has_subscript": bool(final is not None and any(isinstance(n, ast.Subscript) for n in ast.walk(final))),
    }


# the builtins that call a method the class defines (`len(x)` calls `x.__len__()`)
_PROTOCOL_BUILTINS = {"len": {"__len__"}, "iter": {"__iter__"}, "next": {"__next__"}, "list": {"__iter__"},
                      "str": {"__str__", "__repr__"}, "repr": {"__repr__"}, "print": {"__str__", "__repr__"}}


def _protocol_used(tree, classes, insts) -> bool:
    """Whether an instance is used through a method its class defines but Python calls implicitly: iterated in
    a for loop (`__iter__`), called (`__call__`) or passed to a builtin such as len or print (`__len__`, `__str__`)."""
    dunders = {f.name for c in classes for f in c.body if isinstance(f, ast.FunctionDef)}
    for n in ast.walk(tree):
        if isinstance(n, ast.For) and isinstance(n.iter, ast.Name) and n.iter.id in insts and "__iter__" in dunders:
            return True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
            if n.func.id in insts and "__call__" in dunders:
                return True
            wanted = _PROTOCOL_BUILTINS.get(n.func.id, set()) & dunders
            if wanted and any(isinstance(a, ast.Name) and a.id in insts for a in n.args):
                return True
    return False


# ---------------------------------------------------------------------------------------------------
# what comes back from the sandbox is data from the student's process: check its shape


def valid_encoding(e, depth: int = 0, budget: list | None = None) -> bool:
    """Whether `e` is a well-formed, bounded autograde.values encoding that decode() can read safely."""
    budget = budget if budget is not None else [MAX_ENC_ITEMS]
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_ENC_DEPTH or not isinstance(e, dict):
        return False
    t = e.get("t")
    if t == "none":
        return True
    if t == "bool":
        return isinstance(e.get("v"), bool)
    if t == "int":
        return type(e.get("v")) is int and abs(e["v"]) < 1 << 256
    if t == "float":
        return _is_num(e.get("v"))
    if t == "str":
        return isinstance(e.get("v"), str) and len(e["v"]) <= 10_000
    if t in ("list", "tuple"):
        items = e.get("items")
        return isinstance(items, list) and all(valid_encoding(x, depth + 1, budget) for x in items)
    if t in ("array", "sample"):
        shape, data, dtype = e.get("shape"), e.get("data"), e.get("dtype")
        if dtype not in DTYPES or not isinstance(shape, list) or not isinstance(data, list) or len(shape) > 8:
            return False
        if not all(type(s) is int and 0 <= s < 1 << 40 for s in shape):
            return False
        budget[0] -= len(data)
        if budget[0] < 0 or not all(_is_num(x) or isinstance(x, bool) for x in data):
            return False
        if t == "array":
            return math.prod(shape) == len(data)
        return _is_num(e.get("sum")) and _is_num(e.get("abssum"))
    if t == "shape":
        v = e.get("v")
        return isinstance(v, list) and len(v) <= 8 and all(type(x) is int for x in v)
    if t == "other":
        return isinstance(e.get("type"), str) and len(e["type"]) <= 100
    return False


def _is_num(x) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, int):
        return abs(x) < 1 << 256
    if isinstance(x, float):
        return True
    return isinstance(x, str) and x in ("nan", "inf", "-inf")


def _enc_or_other(e):
    return e if valid_encoding(e) else {"t": "other", "type": "unreadable"}


def _short(text) -> str:
    text = text if isinstance(text, str) else ""
    return "".join(ch for ch in text.replace("\n", " ") if ch.isprintable())[:200]


def _clean_calls(raw: list) -> list:
    """A function probe's calls, each checked (see harness.probe_calls)."""
    calls = []
    for c in raw[:20]:
        c = c if isinstance(c, dict) else {}
        if c.get("ok") is True:
            call = {"ok": True, "type": _short(c.get("type"))[:50], "v": _enc_or_other(c.get("v"))}
            f = c.get("frame")
            if isinstance(f, dict) and all(valid_encoding(f.get(k)) for k in ("index", "columns", "data")):
                call["frame"] = {k: f[k] for k in ("index", "columns", "data")}
            calls.append(call)
        else:
            calls.append({"ok": False, "error": _short(c.get("error")) or "it failed"})
    return calls


def _clean(frame: dict) -> dict:
    """The values of a child's frame, each checked; unknown keys dropped."""
    out: dict = {"ok": frame.get("ok") is True, "ran": frame.get("ran") is True}
    if not out["ok"]:
        out["error"] = _short(frame.get("error")) or "the code failed"
        if out["error"].startswith("SyntaxError"):
            out["syntax_error"] = True
    if "final" in frame:
        out["final"] = _enc_or_other(frame["final"])
        out["final_type"] = _short(frame.get("final_type"))[:50]
    if isinstance(frame.get("values"), list):
        out["values"] = [_enc_or_other(v) for v in frame["values"][:400]]
    if isinstance(frame.get("calls"), list):
        out["calls"] = _clean_calls(frame["calls"])
    if isinstance(frame.get("calls_arranged"), list):
        out["calls_arranged"] = [_clean_calls(c) for c in frame["calls_arranged"][:8] if isinstance(c, list)]
    if isinstance(frame.get("comprehensions"), list):
        groups = []
        for g in frame["comprehensions"][:20]:
            if isinstance(g, list):
                groups.append([[_enc_or_other(p[0]), _enc_or_other(p[1])] for p in g[:20]
                               if isinstance(p, list) and len(p) == 2])
        out["comprehensions"] = groups
    if isinstance(frame.get("candidates"), list):
        out["candidates"] = [_enc_or_other(c) for c in frame["candidates"][:60]]
    if "output" in frame:
        out["output"] = _enc_or_other(frame["output"])
    if isinstance(frame.get("params"), dict):
        out["params"] = {_short(k)[:100]: _enc_or_other(v) for k, v in list(frame["params"].items())[:50]}
    losses = frame.get("losses")
    if isinstance(losses, list) and len(losses) == 2 and all(type(x) is float and math.isfinite(x) for x in losses):
        out["losses"] = losses
    if isinstance(frame.get("lines"), list):
        out["lines"] = [{"x": _enc_or_other(ln.get("x")), "y": _enc_or_other(ln.get("y"))}
                        for ln in frame["lines"][:100] if isinstance(ln, dict)]
    if frame.get("instance_state") is True:
        out["instance_state"] = True
    return out


# ---------------------------------------------------------------------------------------------------
# running


_PRERUN: dict = {}
last_run: dict = {}   # timings of the latest sandbox run: startup, seconds per answer, total, sandboxed


def _key(code: str, probe: dict) -> str:
    return json.dumps([code_source(code), probe or {}], sort_keys=True, default=str)


@contextlib.contextmanager
def prerun(reports: dict):
    """While active, run_code answers (code, probe) pairs already run by run_many from `reports`
    ({_key: report}, see prerun_items)."""
    saved = dict(_PRERUN)
    _PRERUN.update(reports)
    try:
        yield
    finally:
        _PRERUN.clear()
        _PRERUN.update(saved)


def prerun_reports(items: list, timeout: float | None = None, sandbox_mode: str | None = None) -> dict:
    """{key: report} for (code, probe) items, all run in one sandbox (for prerun()), with these limit and mode."""
    reports = run_many(items, timeout=timeout, sandbox_mode=sandbox_mode)
    return {_key(code, probe): rep for (code, probe), rep in zip(_pairs(items), reports)}


def _pairs(items) -> list[tuple[str, dict]]:
    out = []
    for it in items:
        if isinstance(it, dict):
            out.append((it.get("code", ""), it.get("probe") or {}))
        else:
            code, probe = it
            out.append((code, probe or {}))
    return out


def run_code(code: str, probe: dict, timeout: float | None = None) -> dict:
    """Run one code answer under its probe in the sandbox; the report (with 'error'/'timeout' when it failed)."""
    hit = _PRERUN.get(_key(code, probe)) if timeout is None else None
    if hit is not None:
        return dict(hit)
    return run_many([(code, probe)], timeout=timeout)[0]


def _sandbox_mode(given: str | None = None) -> str:
    """'require' or 'off': `given` (grading passes GradingSettings.sandbox), else AUTOGRADE_SANDBOX (standalone use)."""
    mode = (given if given is not None else os.environ.get(SANDBOX_ENV, "require")).strip().lower()
    return mode if mode in ("require", "off") else "require"


def run_many(items: list, timeout: float | None = None, sandbox_mode: str | None = None) -> list[dict]:
    """Run every (code, probe) item (or {'code', 'probe'} dict) in ONE sandbox, a fresh process each;
    one report per item, in order. Raises sandbox.SandboxUnavailable when bubblewrap cannot be used and
    the sandbox mode (`sandbox_mode`, else AUTOGRADE_SANDBOX) is not 'off' (then the code runs WITHOUT isolation,
    with a loud warning)."""
    pairs = _pairs(items)
    per = float(timeout) if timeout else default_timeout()
    reports: list[dict | None] = [None] * len(pairs)
    todo = []
    for i, (code, probe) in enumerate(pairs):
        src = code_source(code)
        try:
            fx = facts(src, probe)
        except SyntaxError as e:
            reports[i] = {"ok": False, "syntax_error": True,
                          "error": f"SyntaxError: {_short(str(e.msg))[:100]} (line {e.lineno})"}
            continue
        except (ValueError, RecursionError, MemoryError) as e:
            reports[i] = {"ok": False, "error": f"the code could not be read ({type(e).__name__})"}
            continue
        todo.append((i, src, probe, fx))
    if todo:
        results = _run_batch([(src, probe) for _, src, probe, _ in todo], per, sandbox_mode)
        for (i, _, _, fx), res in zip(todo, results):
            res.update(fx)
            reports[i] = res
    return reports  # type: ignore[return-value]


def _readable() -> list[Path]:
    paths = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), PACKAGE}
    return sorted(p for p in paths if p.exists())


def _hidden() -> list[Path]:
    return [PACKAGE / "quiz"]


def _seed_font_cache(work: Path) -> None:
    """Copy the host's matplotlib font list (if any) for the sandbox, which would otherwise rebuild it."""
    base = Path(os.environ.get("MPLCONFIGDIR") or Path.home() / ".cache" / "matplotlib")
    try:
        found = sorted(base.glob("fontlist-v*.json"))[-1:]
        if found and found[0].stat().st_size < 5 << 20:
            (work / "mplcache").mkdir()
            shutil.copy(found[0], work / "mplcache" / found[0].name)
    except OSError:
        pass


def _run_batch(items: list[tuple[str, dict]], per: float, sandbox_mode: str | None = None) -> list[dict]:
    ok, why = sandbox.available()
    require = _sandbox_mode(sandbox_mode) == "require"
    if not ok:
        if require:
            raise sandbox.SandboxUnavailable(why)
        print(f"WARNING: questionnaire code answers run WITHOUT a sandbox ({why}): they can read and write the "
              "instructor's files and use the network", file=sys.stderr)
    nonce = secrets.token_hex(8)
    work = Path(tempfile.mkdtemp(prefix="autograde-quiz-"))
    try:
        os.chmod(work, 0o700)
        shutil.copy(HARNESS, work / "harness.py")
        _seed_font_cache(work)
        spec = {"nonce": nonce, "items": [{"code": c, "probe": p, "timeout": per} for c, p in items]}
        (work / "spec.json").write_text(json.dumps(spec))
        env = {"MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
               "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "AUTOGRADE_OFFLINE": "1",
               "AUTOGRADE_QUIZ_ISOLATED": "1" if ok else "0"}
        limits = sandbox.Limits(memory_mb=MEMORY_MB, cpu_seconds=int(STARTUP_SECONDS + 3 * per * len(items)),
                                processes=PROCESSES, output_mb=64,
                                wall_seconds=STARTUP_SECONDS + (harness.WALL_FACTOR * per + 5) * len(items))
        outcome = sandbox.run([sys.executable, "-I", str(work / "harness.py"), "spec.json"], work,
                              readable=_readable(), hidden=_hidden(), env=env, limits=limits, require=require,
                              workdir_writable=False)
        return _read_outcome(outcome, nonce, len(items), per)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _read_outcome(outcome, nonce: str, n: int, per: float) -> list[dict]:
    prefix = ("@@AUTOGRADE-QUIZ@@" + nonce).encode()
    lines: dict[int, dict] = {}
    last_run.clear()
    last_run.update(total=outcome.details.get("seconds"), sandboxed=outcome.sandboxed, seconds=[None] * n)
    for raw in outcome.stdout.splitlines():
        if not raw.startswith(prefix) or len(raw) > MAX_STDOUT_LINE:
            continue
        try:
            line = json.loads(raw[len(prefix):])
        except (ValueError, RecursionError):
            continue
        if isinstance(line, dict) and line.get("i") == -1:
            last_run["startup"] = line.get("startup")
        if isinstance(line, dict) and type(line.get("i")) is int and 0 <= line["i"] < n and line["i"] not in lines:
            lines[line["i"]] = line
            last_run["seconds"][line["i"]] = line.get("seconds")
    if outcome.details.get("oom_killed"):
        ended = f"the run was stopped: out of memory ({MEMORY_MB} MB)"
    elif outcome.reason:
        ended = f"the run was stopped: {outcome.reason}"
    else:
        ended = "the run ended before this answer was checked"
    reports = []
    for i in range(n):
        line = lines.get(i)
        if line is None:
            reports.append({"ok": False, "error": ended})
        elif line.get("status") == "timeout":
            reports.append({"ok": False, "timeout": True, "error": f"the code did not finish within {per:g} s of CPU "
                                                                   f"time ({harness.WALL_FACTOR * per:g} s of wall time)"})
        elif line.get("status") == "ok" and isinstance(line.get("frame"), dict):
            reports.append(_clean(line["frame"]))
        elif line.get("status") == "silent":
            reports.append({"ok": False, "error": "the code ended without a report (it exited, or was killed: "
                                                  f"memory limit {MEMORY_MB} MB, process limit {PROCESSES})"})
        else:
            reports.append({"ok": False, "error": "the report was tampered with (the code wrote into the grader's channel)"})
    return reports
