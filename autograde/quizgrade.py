"""Score questionnaire answer cells in the grader's process with the quiz engine."""
from __future__ import annotations

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


def companions(nb) -> dict:
    """grade_id of an answer cell -> its companion code cell (grade_id + '_code')."""
    found = {}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if gid.endswith(CODE_SUFFIX):
            found[gid[: -len(CODE_SUFFIX)]] = cell
    return found


def verdict(cell, code_cell=None) -> tuple[CellVerdict, bool] | None:
    """(typed verdict, needs review) for a questionnaire answer cell; None for other cells."""
    key = parse_grade_id(cell.metadata.get("nbgrader", {}).get("grade_id"))
    if key is None:
        return None
    from .quiz import score_answer

    points = float(cell.metadata["nbgrader"]["points"])
    result = score_answer(key[0], key[1], answer_text(cell, code_cell))
    earned, most = float(result.get("points", 0.0)), float(result.get("max") or 0.0)
    fraction = min(max(earned / most if most else float(result["score"]), 0.0), 1.0)
    typed = CellVerdict(round(fraction * points, 4), points, STATUS[result["verdict"]], result.get("feedback", ""))
    return typed, result["verdict"] == "review"
