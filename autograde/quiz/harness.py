"""Runs student code in a child process and reports plain values as JSON (no verdicts here)."""
# This file is executed as a script by runner.py (python -I harness.py); it imports nothing from autograde.
import ast
import builtins
import io
import json
import os
import sys

MAX_ITEMS = 5000


def to_plain(v, depth=0):
    """Convert a value into JSON-safe data, tagging tensors, arrays, tuples and iterators."""
    if depth > 6:
        return {"__t": "repr", "v": repr(v)[:200]}
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if v == v and abs(v) != float("inf") else str(v)
    mod = type(v).__module__ or ""
    if mod.startswith("torch") and hasattr(v, "detach") and hasattr(v, "shape"):
        t = v.detach().cpu()
        if t.numel() > MAX_ITEMS:
            return {"__t": "tensor", "shape": list(t.shape), "data": None}
        return {"__t": "tensor", "shape": list(t.shape), "data": t.tolist()}
    if mod.startswith("numpy") and hasattr(v, "tolist"):
        if getattr(v, "size", 0) > MAX_ITEMS:
            return {"__t": "array", "shape": list(v.shape), "data": None}
        return {"__t": "array", "shape": list(getattr(v, "shape", ())), "data": v.tolist()}
    if mod.startswith("pandas") and hasattr(v, "to_numpy") and hasattr(v, "index"):
        if getattr(v, "size", 0) > MAX_ITEMS:
            return {"__t": "frame", "data": None}
        cols = [to_plain(c, depth + 1) for c in v.columns] if hasattr(v, "columns") else None
        return {"__t": "frame", "index": [to_plain(i, depth + 1) for i in v.index], "columns": cols,
                "data": to_plain(v.to_numpy().tolist(), depth + 1)}
    if mod.startswith("fastcore") and isinstance(getattr(v, "items", None), list):
        return {"__t": "L", "v": [to_plain(x, depth + 1) for x in v.items[:MAX_ITEMS]]}
    if isinstance(v, tuple):
        return {"__t": "tuple", "v": [to_plain(x, depth + 1) for x in v[:MAX_ITEMS]]}
    if isinstance(v, (list, range)):
        return [to_plain(x, depth + 1) for x in list(v)[:MAX_ITEMS]]
    if isinstance(v, (zip, map, filter)) or type(v).__name__ in ("generator", "list_iterator"):
        items = []
        for i, x in enumerate(v):
            if i >= MAX_ITEMS:
                break
            items.append(to_plain(x, depth + 1))
        return {"__t": "iter", "v": items}
    return {"__t": "repr", "v": repr(v)[:200]}


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


def prelude(tree):
    """Provide the names a book notebook has in scope (torch, tensor, F, nn, np, plt, plot_function, and
    on use re, Path, pd, L and stand-ins for fastai's Module, Embedding, sigmoid_range, create_params)."""
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    used |= {n.value.id for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
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
                    res.append(to_plain(ns[n.name](s)))
                except Exception:
                    res.append(None)
            out.append(res)
    pats = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    pats += [v for k, v in ns.items() if isinstance(v, str) and not k.startswith("_")]
    for pat in list(dict.fromkeys(pats))[:50]:
        try:
            rx = re.compile(pat)
        except (re.error, TypeError, ValueError):
            continue
        if rx.groups < 1:
            continue
        res = []
        for s in inputs:
            m = rx.search(s)
            res.append(m.group(1) if m else None)
        out.append(res)
    return out


def probe_module(tree, ns, probe):
    """Instantiate the last class the answer defines with probe['init'], run it on probe['input'], and report
    the output, the parameters (name -> values), and the loss before/after a few optimiser steps."""
    import torch
    rep = {}
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    mods = [ns[c] for c in classes if isinstance(ns.get(c), type) and issubclass(ns[c], torch.nn.Module)]
    rep["has_module"] = bool(mods)
    if not mods:
        return rep
    torch.manual_seed(0)
    model = mods[-1](*probe.get("init", []))
    x = torch.tensor(probe["input"])
    out = model(x)
    rep["output"] = to_plain(out)
    rep["params"] = {k: to_plain(v) for k, v in model.named_parameters()}
    rep["attrs"] = {k: to_plain(v) for k, v in vars(model).items()
                    if not k.startswith("_") and isinstance(v, (int, float, tuple, list))}
    if probe.get("target") is not None and rep["params"]:
        y = torch.tensor(probe["target"], dtype=torch.float32)
        opt = torch.optim.Adam(model.parameters(), lr=probe.get("lr", 0.05))
        losses = []
        for _ in range(probe.get("steps", 30)):
            loss = torch.nn.functional.mse_loss(model(x).view(-1).float(), y)
            losses.append(float(loss))
            opt.zero_grad()
            loss.backward()
            opt.step()
        rep["losses"] = [losses[0], losses[-1]]
    return rep


def main():
    spec = json.loads(sys.stdin.read())
    nonce = spec["nonce"]
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # the student's prints go to stderr
    sys.stdout = sys.stderr
    report = {"ok": False}
    probe = spec.get("probe", {})
    kind = probe.get("type", "values")
    try:
        code = spec["code"]
        tree = ast.parse(code)
        report["has_listcomp"] = any(isinstance(n, ast.ListComp) for n in ast.walk(tree))
        report["names"] = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
                                 | {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)})
        classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
        report["has_class"] = bool(classes)
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
            try:
                if len(recorded) < 200:
                    p = to_plain(v)
                    if isinstance(p, (list, dict)):
                        recorded.append(p)
            except Exception:
                pass
            return v

        ns["__rec__"] = __rec__
        final_node, final_name = final_value_source(tree)
        report["final_has_subscript"] = bool(final_node is not None and any(
            isinstance(n, ast.Subscript) for n in ast.walk(final_node)))
        body = tree.body
        if final_node is not None and isinstance(tree.body[-1], ast.Expr):
            body = tree.body[:-1]
        mod = Recorder().visit(ast.Module(body=body, type_ignores=[])) if kind == "values" else ast.Module(body=body, type_ignores=[])
        ast.fix_missing_locations(mod)
        exec(compile(mod, "<answer>", "exec"), ns)
        if final_node is not None:
            if final_name is not None:
                fv = ns.get(final_name)
            else:
                fn = Recorder().visit(ast.Expression(final_node)) if kind == "values" else ast.Expression(final_node)
                fv = eval(compile(ast.fix_missing_locations(fn), "<answer>", "eval"), ns)
            report["final"] = to_plain(fv)
            report["final_type"] = type(fv).__name__
        if classes:
            tree = ast.parse(code)  # the Recorder rewrote the original nodes; look at the answer as written
            cls = tuple(ns[c] for c in classes if isinstance(ns.get(c), type))
            insts = {k for k, v in ns.items() if cls and isinstance(v, cls)}
            report["has_instance"] = bool(insts) or any(
                isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in classes for n in ast.walk(tree))
            report["instance_state"] = any(bool(vars(ns[k])) for k in insts)
            report["method_called"] = any(
                isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and (
                    (isinstance(n.func.value, ast.Name) and n.func.value.id in insts)
                    or (isinstance(n.func.value, ast.Call) and isinstance(n.func.value.func, ast.Name)
                        and n.func.value.func.id in classes))
                for n in ast.walk(tree))
        if kind == "values":
            report["values"] = recorded + [to_plain(v) for k, v in ns.items()
                                           if not k.startswith("_") and hasattr(v, "shape") and hasattr(v, "tolist")]
            report["values"] += [to_plain(v) for k, v in ns.items() if not k.startswith("_") and k not in setup_ns
                                 and isinstance(v, (list, tuple)) and v and all(isinstance(x, (int, float)) for x in v)]
        elif kind == "regex":
            report["candidates"] = regex_candidates(tree, ns, probe["inputs"])
        elif kind == "module":
            report.update(probe_module(tree, ns, probe))
        elif kind == "listcomp":
            comps = [n for n in ast.walk(tree) if isinstance(n, ast.ListComp)]
            pairs = []
            if comps:
                comp = comps[0]
                bound = {n.id for g in comp.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
                free = sorted({n.id for n in ast.walk(comp) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
                              - bound - set(dir(builtins)))
                free = [f for f in free if not callable(ns.get(f))]
                expr = compile(ast.Expression(comp), "<answer>", "eval")
                if len(free) == 1:
                    for inp in probe["inputs"]:
                        local = dict(ns)
                        local[free[0]] = list(inp)
                        pairs.append([list(inp), to_plain(eval(expr, local))])
                elif not free:
                    src = list(eval(compile(ast.Expression(comp.generators[0].iter), "<answer>", "eval"), ns))
                    pairs.append([to_plain(src), to_plain(eval(expr, dict(ns)))])
                report["free"] = free
            else:
                funcs = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
                if funcs:
                    for inp in probe["inputs"]:
                        pairs.append([list(inp), to_plain(ns[funcs[-1]](list(inp)))])
            report["pairs"] = pairs
        elif kind == "function":
            funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
            nargs = len(probe["args"][0])
            funcs = [f for f in funcs if len(f.args.args) >= nargs or f.args.vararg]
            calls = []
            if funcs:
                f = ns[funcs[-1].name]
                for args in probe["args"]:
                    try:
                        args = [setup_ns[a["__name"]] if isinstance(a, dict) and "__name" in a else a for a in args]
                        if probe.get("tensor_args"):
                            import torch
                            args = [torch.tensor(a, dtype=torch.float32) if i in probe["tensor_args"] else a
                                    for i, a in enumerate(args)]
                        calls.append({"ok": True, "v": to_plain(f(*args))})
                    except Exception as e:
                        calls.append({"ok": False, "error": f"{type(e).__name__}: {e}"[:300]})
            report["has_function"] = bool(funcs)
            report["calls"] = calls
        elif kind == "plot":
            import matplotlib.pyplot as plt
            lines = []
            for num in plt.get_fignums():
                for ax in plt.figure(num).axes:
                    for ln in ax.get_lines():
                        x = [float(a) for a in list(ln.get_xdata())[:MAX_ITEMS]]
                        y = [float(a) for a in list(ln.get_ydata())[:MAX_ITEMS]]
                        lines.append({"x": x, "y": y})
            report["lines"] = lines
        report["ok"] = True
    except SyntaxError as e:
        report["error"] = f"SyntaxError: {e.msg} (line {e.lineno})"
        report["syntax_error"] = True
    except BaseException as e:  # the student's code failed
        report["error"] = f"{type(e).__name__}: {e}"[:300]
    out.write(nonce + json.dumps(report, allow_nan=False, default=str) + "\n")
    out.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
