"""Runs questionnaire code answers INSIDE the sandbox: one parent, a fresh forked child per answer.

Started by runner.py through autograde.sandbox (as `python -I harness.py SPEC`, copied into the run's
private work folder, because the kit's quiz folder with its rubrics is hidden in the sandbox). The spec
holds only each answer's code and its probe (the inputs to try it on) -- never an expected value.

The parent imports the heavy libraries once (torch, numpy, matplotlib, pandas: only those the answers
use, and no torch op runs here, so forked children cannot hang on a thread pool), makes itself
non-dumpable (children cannot ptrace it or open its file descriptors, so they cannot write its stdout)
and a child subreaper (orphaned grandchildren come back to it). Per answer it forks a child which:
  * gets /dev/null as stdin/stdout/stderr and keeps only the write end of its own report pipe,
  * runs in its own folder under the sandbox's private /tmp (the run folder is read-only), with a CPU
    and an address-space rlimit, first in line for the OOM killer,
  * reseeds the random generators, runs the answer and the probe, and writes ONE length-prefixed frame
    of plain values (autograde.values.encode) to the pipe.
The parent waits for the frame up to the answer's wall limit, kills the child and every descendant
left (daemons, fork storms, a grandchild holding the pipe), and prints one line per answer on its own
stdout: MAGIC + JSON {"i", "status", "frame"}; frames that are not exactly one well-formed frame are
dropped. The grader decodes and compares the values itself (autograde.values, autograde.compare):
nothing a child says is a verdict, and the code's structure is read by the grader from the source.
"""
import ast
import builtins
import json
import os
import select
import signal
import sys
import time

MAGIC = "@@AUTOGRADE-QUIZ@@"
MAX_ITEMS = 5000          # elements of one value materialised from an iterator, frame or list
MAX_VALUE_JSON = 64_000   # one encoded value larger than this travels as {"t": "other", "type": "too large"}
MAX_FRAME = 2_000_000     # bytes of one child's report
MAX_RECORDED = 200
ERROR_CHARS = 200
ADDRESS_SPACE_MB = 3072   # per child, on top of what the parent had mapped when it forked
WALL_FACTOR = 4           # an answer's `timeout` is CPU seconds; code that waits without computing stops at 4x in wall time

encode = None  # autograde.values.encode, imported by the parent


# ----------------------------------------------------------------------------------------------------
# values: materialise foreign containers, then the kit's one codec


def _materialise(v, depth=0):
    """Lists for what values.encode does not know (iterators, L, ranges, Series), recursively."""
    if depth > 5:
        return v
    mod = type(v).__module__ or ""
    if isinstance(v, (list, tuple)) and type(v) in (list, tuple):
        return type(v)(_materialise(x, depth + 1) for x in v[:MAX_ITEMS])
    if isinstance(v, range) or type(v).__name__ in ITERATORS:
        out = []
        for i, x in enumerate(v):
            if i >= MAX_ITEMS:
                break
            out.append(_materialise(x, depth + 1))
        return out
    if mod.startswith("fastcore") and isinstance(getattr(v, "items", None), list):
        return [_materialise(x, depth + 1) for x in v.items[:MAX_ITEMS]]
    if mod.startswith("pandas") and hasattr(v, "to_numpy") and not hasattr(v, "columns"):
        return [_materialise(x, depth + 1) for x in list(v.to_numpy())[:MAX_ITEMS]]
    return v


ITERATORS = ("zip", "map", "filter", "generator", "list_iterator", "tuple_iterator", "range_iterator",
             "enumerate", "reversed", "itertools.chain", "chain", "islice")


def enc(v):
    """The encoded value (values.encode of its materialised form), bounded in size; never raises."""
    try:
        e = encode(_materialise(v))
        if len(json.dumps(e, allow_nan=False, default=str)) > MAX_VALUE_JSON:
            return {"t": "other", "type": "too large"}
        return e
    except Exception:
        return {"t": "other", "type": "unreadable"}


def frame_of(v):
    """A pandas DataFrame as {index, columns, data} of encoded values, else None."""
    mod = type(v).__module__ or ""
    if not (mod.startswith("pandas") and hasattr(v, "columns") and hasattr(v, "index")):
        return None
    if getattr(v, "size", 0) > MAX_ITEMS:
        return None
    try:
        return {"index": enc(list(v.index)), "columns": enc(list(v.columns)), "data": enc(v.to_numpy().tolist())}
    except Exception:
        return None


# ----------------------------------------------------------------------------------------------------
# the names a book notebook has in scope


def plot_function(f, tx=None, ty=None, title=None, min=-2, max=2, figsize=(6, 4)):
    """Stand-in for fastai's plot_function (same arguments), so students need not import fastai."""
    import torch
    import matplotlib.pyplot as plt
    x = torch.linspace(min, max, 100)
    fig, ax = plt.subplots(figsize=figsize)
    ax.plot(x, f(x))
    if tx is not None:
        ax.set_xlabel(tx)
    if ty is not None:
        ax.set_ylabel(ty)
    if title is not None:
        ax.set_title(title)


def _fastai_standins(torch):
    """Light stand-ins for fastai's Module, Embedding, sigmoid_range and create_params (no fastai import)."""
    nn = torch.nn

    class Module(nn.Module):
        """Like fastai's Module: no need to call super().__init__()."""

        def __new__(cls, *args, **kwargs):
            obj = super().__new__(cls)
            nn.Module.__init__(obj)
            return obj

        def __init__(self, *args, **kwargs):
            pass

    class Embedding(nn.Embedding):
        def __init__(self, ni, nf, **kwargs):
            super().__init__(ni, nf, **kwargs)
            with torch.no_grad():
                self.weight.normal_(0, 0.01)

    def sigmoid_range(x, lo, hi):
        return torch.sigmoid(x) * (hi - lo) + lo

    def create_params(size):
        return nn.Parameter(torch.zeros(*size).normal_(0, 0.01))

    return dict(Module=Module, Embedding=Embedding, sigmoid_range=sigmoid_range, create_params=create_params)


STDLIB_NAMES = {"operator", "itertools", "functools", "random", "collections", "json", "os", "sys", "io"}
TORCH_NAMES = {"torch", "tensor", "F", "nn", "Module", "Embedding", "sigmoid_range", "create_params", "plot_function"}


def used_names(tree):
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    used |= {n.value.id for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
    used |= {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
             for a in n.names}
    used |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    return used


def prelude(tree):
    """Provide the names a book notebook has in scope (torch, tensor, F, nn, np, plt, plot_function, and
    on use re, Path, pd, L and stand-ins for fastai's Module, Embedding, sigmoid_range, create_params)."""
    used = used_names(tree)
    ns = {"__name__": "__main__", "__builtins__": builtins}
    if used & {"torch", "tensor", "F", "nn"}:
        import torch
        ns.update(torch=torch, tensor=torch.tensor, F=torch.nn.functional, nn=torch.nn)
    if "np" in used:
        import numpy
        ns["np"] = numpy
    if "math" in used:
        import math
        ns["math"] = math
    if "re" in used:
        import re
        ns["re"] = re
    if "Path" in used:
        from pathlib import Path
        ns["Path"] = Path
    if "pd" in used:
        import pandas
        ns["pd"] = pandas
    if "L" in used:
        from fastcore.foundation import L
        ns["L"] = L
    if used & {"array", "ndarray"}:  # fastai exports numpy's array and ndarray
        import numpy
        ns.update(array=numpy.array, ndarray=numpy.ndarray)
    for mod in STDLIB_NAMES & used:  # standard modules fastai's star import brings into a book notebook
        ns[mod] = __import__(mod)
    if used & {"partial", "reduce"}:
        import functools
        ns.update(partial=functools.partial, reduce=functools.reduce)
    if used & {"Module", "Embedding", "sigmoid_range", "create_params"}:
        import torch
        ns.update(torch=torch, tensor=torch.tensor, F=torch.nn.functional, nn=torch.nn)
        ns.update({k: v for k, v in _fastai_standins(torch).items() if k in used})
    ns["plot_function"] = plot_function
    return ns


class Recorder(ast.NodeTransformer):
    """Wrap calls, arithmetic and indexing so their values are recorded."""

    def _wrap(self, node):
        self.generic_visit(node)
        if isinstance(getattr(node, "ctx", None), (ast.Store, ast.Del)):
            return node
        return ast.copy_location(ast.Call(ast.Name("__rec__", ast.Load()), [node], []), node)

    visit_Call = visit_BinOp = visit_Subscript = visit_List = _wrap


def final_value_source(tree):
    """The node whose value is the code's final result (last expression, printed value, or last assignment)."""
    if not tree.body:
        return None, None
    last = tree.body[-1]
    if isinstance(last, ast.Expr):
        v = last.value
        if isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id in ("print", "display") and v.args:
            v = v.args[0] if len(v.args) == 1 else ast.copy_location(ast.Tuple(v.args, ast.Load()), v)
        return v, None
    if isinstance(last, ast.Assign) and isinstance(last.targets[0], ast.Name):
        return last.value, last.targets[0].id
    return None, None


def arrangements(probe) -> list:
    """How a 'function' probe's arguments may be passed: each arrangement lists, per positional parameter, the
    index of a probe argument or a list of indices passed together as one tuple (default: as given). A rubric
    lists several where the question leaves the signature open, e.g. `f(x, lo, hi)`, `f(x, hi, lo)`, `f(x, (lo, hi))`."""
    given = probe.get("arrangements")
    if given:
        return [list(a) for a in given]
    return [list(range(len(probe["args"][0])))] if probe.get("args") else [[]]


def arranged(args, arrangement) -> list:
    """The positional arguments of one call under an arrangement (see arrangements)."""
    return [tuple(args[j] for j in a) if isinstance(a, list) else args[a] for a in arrangement]


def probe_functions(tree, probe, nargs=None):
    """The top-level functions a 'function' probe may call with `nargs` positional arguments (default: with
    the arguments of any of its arrangements)."""
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    if probe.get("args"):
        need = nargs if nargs is not None else min(len(a) for a in arrangements(probe))
        funcs = [f for f in funcs if len(f.args.args) >= need or f.args.vararg]
    return funcs


# ----------------------------------------------------------------------------------------------------
# probes (in the child)


def regex_candidates(tree, ns, inputs):
    """What each regex-like thing in the answer extracts from the inputs: one-argument functions it defines,
    and patterns with a group (string constants or variables) applied with re.search -> group(1)."""
    import re
    out = []
    for n in tree.body:
        if isinstance(n, ast.FunctionDef) and len(n.args.args) == 1 and callable(ns.get(n.name)):
            res = []
            for s in inputs:
                try:
                    r = ns[n.name](s)
                    res.append(r if isinstance(r, str) and type(r) is str else None)
                except Exception:
                    res.append(None)
            out.append(enc(res))
    pats = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    pats += [v for k, v in ns.items() if isinstance(v, str) and type(v) is str and not k.startswith("_")]
    for pat in list(dict.fromkeys(pats))[:50]:
        try:
            rx = re.compile(pat)
        except (re.error, TypeError, ValueError, RecursionError):
            continue
        if rx.groups < 1:
            continue
        res = []
        for s in inputs:
            m = rx.search(s)
            res.append(m.group(1) if m else None)
        out.append(enc(res))
    return out


def probe_module(tree, ns, probe):
    """Instantiate the last nn.Module class the answer defines with probe['init'], run it on probe['input'],
    and report the output, the parameters (name -> values), and the loss before/after a few optimiser steps."""
    import torch
    rep = {}
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    mods = [ns[c] for c in classes if isinstance(ns.get(c), type) and issubclass(ns[c], torch.nn.Module)]
    if not mods:
        return rep
    torch.manual_seed(0)
    model = mods[-1](*probe.get("init", []))
    x = torch.tensor(probe["input"])
    out = model(x)
    rep["output"] = enc(out)
    rep["params"] = {str(k)[:100]: enc(v) for k, v in list(model.named_parameters())[:50]}
    if probe.get("target") is not None and rep["params"]:
        y = torch.tensor(probe["target"], dtype=torch.float32)
        params = [p for p in model.parameters() if p.requires_grad]
        lr, (b1, b2), eps = probe.get("lr", 0.05), (0.9, 0.999), 1e-8
        m = [torch.zeros_like(p) for p in params]
        v = [torch.zeros_like(p) for p in params]
        losses = []
        for step in range(1, probe.get("steps", 30) + 1):
            loss = torch.nn.functional.mse_loss(model(x).view(-1).float(), y)
            losses.append(float(loss.detach()))
            for p in params:
                p.grad = None
            loss.backward()
            with torch.no_grad():  # Adam by hand: torch.optim's first use imports torch._dynamo (seconds)
                for p, mi, vi in zip(params, m, v):
                    if p.grad is None:
                        continue
                    mi.mul_(b1).add_(p.grad, alpha=1 - b1)
                    vi.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                    denom = (vi / (1 - b2 ** step)).sqrt_().add_(eps)
                    p.addcdiv_(mi, denom, value=-lr / (1 - b1 ** step))
        rep["losses"] = [losses[0], losses[-1]]
    return rep


def probe_listcomps(tree, ns, probe):
    """For each list comprehension (and else the last function): [[input, output], ...] on the probe's
    inputs (a comprehension with one free variable) or on its own iterable (no free variable)."""
    groups = []
    comps = [n for n in ast.walk(tree) if isinstance(n, ast.ListComp)]
    for comp in comps[:20]:
        pairs = []
        try:
            bound = {n.id for g in comp.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
            free = sorted({n.id for n in ast.walk(comp) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
                          - bound - set(dir(builtins)))
            free = [f for f in free if not callable(ns.get(f))]
            expr = compile(ast.fix_missing_locations(ast.Expression(comp)), "<answer>", "eval")
            if len(free) == 1:
                for inp in probe["inputs"]:
                    local = dict(ns)
                    local[free[0]] = list(inp)
                    pairs.append([enc(list(inp)), enc(eval(expr, local))])
            elif not free:
                it = compile(ast.fix_missing_locations(ast.Expression(comp.generators[0].iter)), "<answer>", "eval")
                src = eval(it, dict(ns))
                pairs.append([enc(list(src) if not isinstance(src, str) else src), enc(eval(expr, dict(ns)))])
        except Exception:
            pairs = []
        if pairs:
            groups.append(pairs)
    if not comps:
        funcs = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
        if funcs and callable(ns.get(funcs[-1])):
            pairs = []
            try:
                for inp in probe["inputs"]:
                    pairs.append([enc(list(inp)), enc(ns[funcs[-1]](list(inp)))])
                groups.append(pairs)
            except Exception:
                pass
    return groups


def _error(e):
    """A short message for an exception: its type, and its text only while isolated (nothing outside is visible)."""
    name = type(e).__name__
    if os.environ.get("AUTOGRADE_QUIZ_ISOLATED") != "1":
        return name
    text = str(e).replace("\n", " ")
    return "".join(ch for ch in f"{name}: {text}" if ch.isprintable())[:ERROR_CHARS]


def run_statements(body, ns):
    """Run top-level statements one at a time, like notebook cells: an ordinary exception in one is
    recorded and the next still runs. Running out of memory ends the run, as do SystemExit and
    KeyboardInterrupt: a run that hit a limit decides nothing."""
    import errno
    errors = []
    for stmt in body:
        try:
            exec(compile(ast.fix_missing_locations(ast.Module(body=[stmt], type_ignores=[])), "<answer>", "exec"), ns)
        except MemoryError:
            raise
        except OSError as e:
            if e.errno == errno.ENOMEM:
                raise
            errors.append(_error(e))
        except Exception as e:
            errors.append(_error(e))
    return errors


def _literal(node):
    """The node is a literal input: a constant, list/tuple of literals, or tensor/array/list of one."""
    try:
        ast.literal_eval(node)
        return True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        return name in ("tensor", "array", "list", "tuple", "Tensor", "asarray") and _literal(node.args[0])
    return False


def probe_calls(f, probe, setup_ns, arrangement) -> list:
    """The probe's calls of `f` with one argument arrangement: [{'ok', 'type', 'v'[, 'frame']} or {'ok': False, 'error'}]."""
    calls = []
    for args in probe["args"]:
        try:
            args = [setup_ns[a["__name"]] if isinstance(a, dict) and "__name" in a else a for a in args]
            if probe.get("tensor_args"):
                import torch
                args = [torch.tensor(a, dtype=torch.float32) if i in probe["tensor_args"] else a
                        for i, a in enumerate(args)]
            v = f(*arranged(args, arrangement))
            call = {"ok": True, "type": type(v).__name__[:50], "v": enc(v)}
            table = frame_of(v)
            if table is not None:
                call["frame"] = table
            calls.append(call)
        except Exception as e:
            calls.append({"ok": False, "error": _error(e)})
    return calls


def script_params(tree, probe):
    """For a script that defines no function the probe can call: (indices of its first literal assignments,
    which become the parameters, or [] when it uses the probe's named inputs such as `ratings` directly);
    None when it is not such a script. Read from the source, by the grader too (runner.facts)."""
    args = probe.get("args") or []
    final_node, _ = final_value_source(tree)
    if probe.get("type") != "function" or not args or final_node is None or probe_functions(tree, probe):
        return None
    if all(isinstance(a, dict) and "__name" in a for a in args[0]):
        return [] if all(a["__name"] in used_names(tree) for a in args[0]) else None
    nargs, params = len(args[0]), []
    for i, stmt in enumerate(tree.body[:-1]):
        if (len(params) < nargs and isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name) and _literal(stmt.value)):
            params.append(i)
    return params if len(params) == nargs else None


def script_function(tree, setup_ns, probe):
    """The script as a function of its example inputs (see script_params): the parameters replace its
    literal inputs and the result is its final value; None when it is not such a script."""
    params = script_params(tree, probe)
    if params is None:
        return None
    final_node, final_name = final_value_source(tree)
    body = tree.body[:-1] if final_name is None else tree.body
    final = ast.Expression(final_node) if final_name is None else ast.Expression(ast.Name(final_name, ast.Load()))
    final_code = compile(ast.fix_missing_locations(final), "<answer>", "eval")

    def run(*values):
        ns, stmts = dict(setup_ns), list(body)
        for k, i in enumerate(params):
            ns[f"__arg{k}__"] = values[k]
            stmts[i] = ast.copy_location(ast.Assign(stmts[i].targets, ast.Name(f"__arg{k}__", ast.Load())), stmts[i])
        run_statements(stmts, ns)
        return eval(final_code, ns)

    return run


def answer(code, probe):
    """Run one answer under its probe; returns the plain report (encoded values, no verdicts)."""
    report = {"ok": False}
    kind = probe.get("type", "values")
    try:
        tree = ast.parse(code)
        ns = prelude(tree)
        if probe.get("setup"):  # the check's own inputs (e.g. a tiny DataFrame), defined before the answer runs
            exec(compile(probe["setup"], "<setup>", "exec"), ns)
        setup_ns = dict(ns)
        if kind == "plot" or "matplotlib" in code or "plt" in code:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
            ns.setdefault("plt", plt)
        if kind == "listcomp" and probe.get("var"):
            ns[probe["var"]] = list(probe["inputs"][0])
        recorded = []

        def __rec__(v):
            if len(recorded) < MAX_RECORDED and not isinstance(v, (str, bytes, int, float, bool, type(None))):
                e = enc(v)
                if e.get("t") in ("list", "tuple", "array", "sample"):
                    recorded.append(e)
            return v

        ns["__rec__"] = __rec__
        final_node, final_name = final_value_source(tree)
        body = tree.body
        if final_node is not None and isinstance(tree.body[-1], ast.Expr):
            body = tree.body[:-1]
        mod = ast.Module(body=body, type_ignores=[])
        if kind == "values":
            mod = Recorder().visit(mod)
        errors = run_statements(mod.body, ns)
        if final_node is not None:
            try:
                if final_name is not None:
                    if final_name not in ns:
                        raise NameError(f"name {final_name!r} is not defined")
                    fv = ns[final_name]
                else:
                    fn = Recorder().visit(ast.Expression(final_node)) if kind == "values" else ast.Expression(final_node)
                    fv = eval(compile(ast.fix_missing_locations(fn), "<answer>", "eval"), ns)
                report["final"] = enc(fv)
                report["final_type"] = type(fv).__name__[:50]
            except Exception as e:
                errors.append(_error(e))
        tree = ast.parse(code)  # the Recorder rewrote nodes; look at the answer as written
        classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
        if classes:
            cls = tuple(ns[c] for c in classes if isinstance(ns.get(c), type))
            insts = [v for k, v in list(ns.items()) if cls and isinstance(v, cls)]
            report["instance_state"] = any(bool(getattr(v, "__dict__", None)) for v in insts)
        if kind == "values":
            extra = [v for k, v in list(ns.items()) if not k.startswith("_") and hasattr(v, "shape") and hasattr(v, "tolist")]
            extra += [v for k, v in list(ns.items()) if not k.startswith("_") and k not in setup_ns
                      and isinstance(v, (list, tuple)) and v and all(isinstance(x, (int, float)) for x in v)]
            report["values"] = (recorded + [enc(v) for v in extra])[:MAX_RECORDED * 2]
        elif kind == "regex":
            report["candidates"] = regex_candidates(tree, ns, probe["inputs"])
        elif kind == "module":
            report.update(probe_module(tree, ns, probe))
        elif kind == "listcomp":
            report["comprehensions"] = probe_listcomps(tree, ns, probe)
        elif kind == "function":
            # one list of calls per argument arrangement the rubric allows (the first is the question's own),
            # each of the last function that takes that many arguments
            by_arrangement = []
            if probe_functions(tree, probe):
                for arrangement in arrangements(probe):
                    fit = probe_functions(tree, probe, len(arrangement))
                    f = ns.get(fit[-1].name) if fit else None
                    by_arrangement.append(probe_calls(f, probe, setup_ns, arrangement) if callable(f) else [])
            else:
                f = script_function(tree, setup_ns, probe)  # a script takes its inputs as the question gives them
                by_arrangement.append(probe_calls(f, probe, setup_ns, arrangements({"args": probe["args"]})[0])
                                      if callable(f) else [])
            report["calls"] = by_arrangement[0]
            if len(by_arrangement) > 1:
                report["calls_arranged"] = by_arrangement[1:]
        elif kind == "plot":
            import matplotlib.pyplot as plt
            lines = []
            for num in plt.get_fignums()[:20]:
                for ax in plt.figure(num).axes[:20]:
                    for ln in ax.get_lines()[:20]:
                        x = [float(a) for a in list(ln.get_xdata())[:MAX_ITEMS]]
                        y = [float(a) for a in list(ln.get_ydata())[:MAX_ITEMS]]
                        lines.append({"x": enc(x), "y": enc(y)})
            report["lines"] = lines
        report["ok"] = not errors
        report["ran"] = True  # every statement was tried; `errors` holds those that failed
        if errors:
            report["error"] = errors[0]  # the first failing line, shown in the feedback
    except SyntaxError as e:
        report["error"] = f"SyntaxError: {str(e.msg)[:100]} (line {e.lineno})"
    except BaseException as e:  # the student's code failed (SystemExit and KeyboardInterrupt included)
        report["error"] = _error(e)
    return report


# ----------------------------------------------------------------------------------------------------
# the parent: imports once, forks a child per answer, relays one line per answer


def _prctl(option, arg):
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(option, arg, 0, 0, 0)
    except Exception:
        pass


PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 4, 36


def _descendants(root):
    """Pids of every process below `root` (orphans come back to us: we are a child subreaper)."""
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    stat = fh.read()
                parents[int(name)] = int(stat[stat.rindex(b")") + 2:].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    found, frontier = set(), {root}
    while frontier:
        kids = {p for p, pp in parents.items() if pp in frontier and p not in found and p != root}
        found |= kids
        frontier = kids
    return found


def _kill_descendants():
    me = os.getpid()
    for _ in range(200):
        pids = _descendants(me)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        while True:  # reap whatever died
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pid = 0
            if pid == 0:
                break
        if not pids:
            return
        time.sleep(0.01)


def _vm_size_mb():
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError):
        pass
    return 0


def _child(item, index, wfd, workdir):
    """In the forked child: isolate the answer from the parent's channels, run it, write one frame."""
    try:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, wfd)
        os.closerange(wfd + 1, 65536)
        sys.stdout = sys.stderr = open(os.devnull, "w")
        try:
            with open("/proc/self/oom_score_adj", "w") as fh:
                fh.write("1000")
        except OSError:
            pass
        import resource
        cpu = max(1, -int(-float(item.get("timeout", 20)) // 1))  # whole CPU seconds, rounded up: SIGXCPU then
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))   # stops it, however busy the machine is
        limit = (_vm_size_mb() + ADDRESS_SPACE_MB) << 20
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or hard > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        folder = os.path.join(workdir, f"answer-{index}")
        os.mkdir(folder, 0o700)
        os.chdir(folder)
        import random
        random.seed(0)
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed(0)
        if "torch" in sys.modules:
            sys.modules["torch"].manual_seed(0)
        rep = answer(item["code"], item.get("probe") or {})
        try:
            data = json.dumps(rep, allow_nan=False, default=str).encode()
        except (TypeError, ValueError):
            data = json.dumps({"ok": False, "error": "the answer's values could not be reported"}).encode()
        if len(data) > MAX_FRAME - 16:
            data = json.dumps({"ok": False, "error": "the answer's values are too large to report"}).encode()
        msg = b"%016x" % len(data) + data
        while msg:
            msg = msg[os.write(wfd, msg):]
    finally:
        os._exit(0)


def _collect(pid, rfd, timeout):
    """Bytes the child wrote (up to MAX_FRAME+1) and whether it ran out of time: past its CPU limit (SIGXCPU) or
    past `timeout` seconds of wall time."""
    data = bytearray()
    deadline = time.monotonic() + timeout
    exited_at, out_of_cpu = None, False
    while True:
        now = time.monotonic()
        if exited_at is None:
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done, status = pid, 0
            if done:
                exited_at = now
                out_of_cpu = _killed_by_cpu_limit(status)
        if exited_at is not None and (out_of_cpu or now - exited_at > 0.5):
            return bytes(data), out_of_cpu  # the child is gone; whatever still holds the pipe is a leftover
        if now >= deadline:
            return bytes(data), exited_at is None
        r, _, _ = select.select([rfd], [], [], min(0.05, max(deadline - now, 0)))
        if r:
            chunk = os.read(rfd, 1 << 16)
            if not chunk:  # every write end closed: the child finished (or threw its pipe away)
                return bytes(data), out_of_cpu or (exited_at is None and _died_of_cpu_limit(pid))
            if len(data) <= MAX_FRAME:
                data += chunk


def _died_of_cpu_limit(pid, wait=0.5) -> bool:
    """Whether the child, whose pipe just closed, ends within `wait` seconds killed by its CPU limit (never blocks
    on a child that closed its pipe and runs on: it is killed with the others afterwards)."""
    until = time.monotonic() + wait
    while time.monotonic() < until:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return False
        if done:
            return _killed_by_cpu_limit(status)
        time.sleep(0.01)
    return False


def _killed_by_cpu_limit(status) -> bool:
    """Whether a wait status says the child was killed by its CPU-time limit."""
    return os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU


def _frame(data):
    """The single frame's JSON, or None when the bytes are not exactly one well-formed frame."""
    if len(data) < 16 or len(data) > MAX_FRAME:
        return None
    try:
        n = int(data[:16], 16)
    except ValueError:
        return None
    if n != len(data) - 16:
        return None
    try:
        rep = json.loads(data[16:])
    except (ValueError, RecursionError):
        return None
    return rep if isinstance(rep, dict) else None


def _preload(items):
    """Import what the answers use, once, before forking (no torch op runs here)."""
    names, probes = set(), set()
    for item in items:
        try:
            names |= used_names(ast.parse(item["code"]))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass
        probe = item.get("probe") or {}
        probes.add(probe.get("type", "values"))
        if probe.get("tensor_args") or probe.get("type") == "module":
            names.add("torch")
        if "pandas" in (probe.get("setup") or "") or "pd." in (probe.get("setup") or ""):
            names.add("pd")
    import numpy  # noqa: F401  (values needs it)
    if names & (TORCH_NAMES | {"plt"}) or probes & {"plot", "module"}:
        import torch
        torch.set_num_threads(1)
    if names & {"plt", "matplotlib", "plot_function"} or "plot" in probes:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots()  # warm the font manager and the Agg canvas once (single-threaded)
        ax.plot([0, 1], [0, 1])
        plt.close("all")
    if names & {"pd", "pandas"}:
        import pandas  # noqa: F401
    if names & {"L", "fastcore"}:
        try:
            import fastcore.foundation  # noqa: F401
        except ImportError:
            pass


def main():
    global encode
    t_start = time.monotonic()
    spec_path = sys.argv[1]
    with open(spec_path) as fh:
        spec = json.load(fh)
    try:
        os.unlink(spec_path)
    except OSError:
        pass
    out = sys.stdout
    _prctl(PR_SET_DUMPABLE, 0)        # children cannot ptrace us or open our stdout through /proc
    _prctl(PR_SET_CHILD_SUBREAPER, 1)  # orphans of an answer come back to us to be killed
    # nothing the children do may reach our stdout: keep it only as fd `keep`, close the rest
    keep = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    out = os.fdopen(keep, "w", buffering=1)
    import shutil
    import tempfile
    # answers work in the sandbox's private /tmp (a tmpfs counted against the memory limit), not in the
    # run folder, which is read-only here
    workdir = tempfile.mkdtemp(prefix="autograde-answers-")
    if os.path.isdir("mplcache"):  # the host's font list: matplotlib need not rebuild it (seconds)
        mpl = os.path.join(workdir, ".matplotlib")
        shutil.copytree("mplcache", mpl)
        os.environ["MPLCONFIGDIR"] = mpl
    from autograde.values import encode as _encode
    encode = _encode
    items = spec["items"]
    _preload(items)
    nonce = spec.get("nonce", "")
    t_ready = time.monotonic()
    for index, item in enumerate(items):
        rfd, wfd = os.pipe()
        os.set_inheritable(wfd, False)
        pid = os.fork()
        if pid == 0:
            os.close(rfd)
            os.close(keep)
            _child(item, index, wfd, workdir)
        os.close(wfd)
        t0 = time.monotonic()
        data, timed_out = _collect(pid, rfd, WALL_FACTOR * float(item.get("timeout", 20)))
        _kill_descendants()
        os.close(rfd)
        line = {"i": index, "seconds": round(time.monotonic() - t0, 3)}
        if timed_out:
            line["status"] = "timeout"
        else:
            rep = _frame(data)
            line["status"] = "ok" if rep is not None else ("silent" if not data else "garbled")
            line["frame"] = rep
        out.write(MAGIC + nonce + json.dumps(line, allow_nan=False, default=str) + "\n")
        out.flush()
    out.write(MAGIC + nonce + json.dumps({"i": -1, "startup": round(t_ready - t_start, 3)}) + "\n")
    out.flush()
    shutil.rmtree(workdir, ignore_errors=True)
    out.close()
    os._exit(0)  # no interpreter teardown with torch loaded (seconds); the sandbox removes the rest


if __name__ == "__main__":
    sys.exit(main())
