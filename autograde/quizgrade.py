"""Score questionnaire answer cells in the grader's process with the quiz engine.

The code answers of a notebook run together, once, in one sandbox (autograde.quiz.runner.run_many):
`companions(nb)` registers the notebook, and the first `verdict()` that needs a code report runs them
all; each answer's report is then handed to the scorer. A cell whose scoring fails for any reason
costs only that cell (0 points, sent to review), never the notebook.
"""
from __future__ import annotations

import inspect
import sys

from nbgrader import utils

from .quiz.notebook import CODE_SUFFIX, parse_grade_id
from .scoring import CellVerdict

STATUS = {"correct": "passed", "partial": "partial", "incorrect": "failed", "review": "review"}


def _answered(cell) -> str:
    """The student's text in a cell, or '' when it is still the released stub."""
    unchanged = cell.metadata.get("nbgrader", {}).get("checksum") == utils.compute_checksum(cell)
    return "" if unchanged else cell.source


def answer_text(cell, code_cell=None) -> str:
    """What the engine scores: the answer cell, preceded by its companion code cell as a fenced block."""
    text = _answered(cell)
    code = _answered(code_cell) if code_cell is not None else ""
    return f"```python\n{code}\n```\n\n{text}" if code.strip() else text


class _Batch:
    """The code answers of the notebook being graded, run in one sandbox on first use."""

    def __init__(self):
        self.cells: list = []
        self.reports: dict | None = None
        self.timeout: float | None = None
        self.sandbox_mode: str | None = None

    def reset(self, nb, found: dict, timeout: float | None = None, sandbox_mode: str | None = None) -> None:
        self.cells = []
        self.reports = None
        self.timeout, self.sandbox_mode = timeout, sandbox_mode
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
            if parse_grade_id(gid) is not None and not gid.endswith(CODE_SUFFIX):
                self.cells.append((cell, found.get(gid)))

    def run(self) -> dict:
        """{runner key: report} for every code answer of the notebook (run once)."""
        if self.reports is None:
            from .quiz import runner
            items = [it for it in (_code_item(c, cc) for c, cc in self.cells) if it is not None]
            items = list({runner._key(code, probe): (code, probe) for code, probe in items}.values())
            self.reports = {}
            if items:
                try:
                    self.reports = runner.prerun_reports(items, timeout=self.timeout, sandbox_mode=self.sandbox_mode)
                except Exception as exc:  # noqa: BLE001 - e.g. the sandbox is unavailable: code answers fail, loudly
                    why = f"{type(exc).__name__}: {str(exc)[:200]}"
                    print(f"WARNING: questionnaire code answers were not run ({why})", file=sys.stderr)
                    failed = {"ok": False, "error": "the grader could not run code answers (no sandbox); "
                                                    "an instructor will review"}
                    self.reports = {runner._key(code, probe): dict(failed) for code, probe in items}
        return self.reports


_batch = _Batch()


def _question(cell):
    key = parse_grade_id(cell.metadata.get("nbgrader", {}).get("grade_id"))
    if key is None:
        return None, None
    from .quiz.rubric import load
    try:
        return key, load(key[0]).questions.get(int(key[1]))
    except Exception:  # noqa: BLE001 - an unknown chapter is reported when the cell is scored
        return key, None


def _code_item(cell, code_cell):
    """(code, probe) the scorer would run for this answer, or None when it runs none."""
    _, qu = _question(cell)
    if qu is None or qu.kind not in ("code", "code+prose") or not qu.checks:
        return None
    from .quiz.split import split_answer
    code = split_answer(answer_text(cell, code_cell))[0]
    return (code, qu.probe) if code.strip() else None


def companions(nb, timeout: float | None = None, sandbox_mode: str | None = None) -> dict:
    """grade_id of an answer cell -> its companion code cell (grade_id + '_code'); also registers the
    notebook so that its code answers run in one sandbox batch, `timeout` seconds each, in `sandbox_mode`."""
    found = {}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if gid.endswith(CODE_SUFFIX):
            found[gid[: -len(CODE_SUFFIX)]] = cell
    _batch.reset(nb, found, timeout, sandbox_mode)
    return found


def _accepts_code_report(score_answer) -> bool:
    try:
        return "code_report" in inspect.signature(score_answer).parameters
    except (TypeError, ValueError):
        return False


def _score(key, cell, code_cell) -> dict:
    from .quiz import runner, score_answer

    answer = answer_text(cell, code_cell)
    item = _code_item(cell, code_cell)
    reports = _batch.run() if item is not None and any(c is cell for c, _ in _batch.cells) else {}
    report = reports.get(runner._key(*item)) if item is not None else None
    kwargs = {"code_report": report} if report is not None and _accepts_code_report(score_answer) else {}
    with runner.prerun(reports):
        return score_answer(key[0], key[1], answer, **kwargs)


def verdict(cell, code_cell=None) -> tuple[CellVerdict, bool] | None:
    """(typed verdict, needs review) for a questionnaire answer cell; None for other cells."""
    key = parse_grade_id(cell.metadata.get("nbgrader", {}).get("grade_id"))
    if key is None:
        return None
    points = float(cell.metadata["nbgrader"]["points"])
    try:
        result = _score(key, cell, code_cell)
        earned, most = float(result.get("points", 0.0)), float(result.get("max") or 0.0)
        fraction = min(max(earned / most if most else float(result["score"]), 0.0), 1.0)
        typed = CellVerdict(round(fraction * points, 4), points, STATUS[result["verdict"]], result.get("feedback", ""))
        return typed, result["verdict"] == "review"
    except Exception as exc:  # noqa: BLE001 - one answer the engine cannot score costs only its own cell
        note = (f"This answer could not be scored automatically ({type(exc).__name__}); "
                "an instructor will grade it.")
        return CellVerdict(0.0, points, "review", note), True


MAX_SHOWN = 2000  # characters of a value's text shown in the graded notebook
MAX_POINTS = 5000  # points per plotted line


def code_outputs(cell, code_cell=None) -> list | None:
    """Notebook outputs showing what the answer's code produced in the sandbox: its error, its last value,
    its plotted lines redrawn here from the recorded numbers (the code itself never runs in this process).

    None when the answer's code was not run (no code, or a question without code checks)."""
    item = _code_item(cell, code_cell)
    if item is None or _batch.reports is None:
        return None
    from .quiz import runner
    report = _batch.reports.get(runner._key(*item))
    if not isinstance(report, dict):
        return None
    from nbformat.v4 import new_output
    outputs = []
    if not report.get("ok"):
        why = report.get("error") or "the code did not run to the end"
        outputs.append(new_output("stream", name="stderr", text=f"[the grader's run] {why}\n"))
    if "final" in report:
        outputs.append(new_output("display_data", data={"text/plain": _value_text(report["final"])}))
    png = _plot_png(report.get("lines") or [])
    if png:
        outputs.append(new_output("display_data", data={"image/png": png, "text/plain": "<the answer's plot, redrawn>"}))
    if report.get("ok") and not outputs:
        outputs.append(new_output("stream", name="stdout", text="[the grader's run] the code ran without a value to show\n"))
    return outputs


def _value_text(encoded) -> str:
    from .values import Sample, decode
    from .quiz import runner

    if not runner.valid_encoding(encoded):
        return "<a value the grader could not read>"
    def shown(value) -> str:
        if isinstance(value, Sample):
            return f"<array of shape {value.shape}, dtype {value.dtype}, sum {value.sum:g}>"
        if isinstance(value, dict) and value.get("t") == "other":
            return f"<{value.get('type', 'object')}>"
        if isinstance(value, list):
            return "[" + ", ".join(shown(v) for v in value) + "]"
        if isinstance(value, tuple):
            return "(" + ", ".join(shown(v) for v in value) + (",)" if len(value) == 1 else ")")
        return repr(value)

    text = shown(decode(encoded))
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + " ..."


def _plot_png(lines: list) -> str | None:
    """Base64 PNG of the recorded lines (matplotlib, Agg), or None when there are none."""
    import base64
    import io

    from .values import decode

    series = []
    for line in lines[:100]:
        try:
            x, y = decode(line["x"]), decode(line["y"])
            x, y = [float(v) for v in list(x)[:MAX_POINTS]], [float(v) for v in list(y)[:MAX_POINTS]]
        except (KeyError, TypeError, ValueError):
            continue
        if x and len(x) == len(y):
            series.append((x, y))
    if not series:
        return None
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5, 3.5), dpi=80)
    ax = fig.add_subplot()
    for x, y in series:
        ax.plot(x, y)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")
