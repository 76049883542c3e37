"""nbgrader preprocessors of the kit: typed grades when grading, hidden tests hidden in feedback."""
from __future__ import annotations

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import (
    AssignLatePenalties, CheckCellMetadata, Execute, GetGrades, IgnorePattern, LimitOutput, NbGraderPreprocessor,
    SaveAutoGrades,
)

from . import regions
from .scoring import verdict_from_outputs

META_KEY = "autograde"


class SaveTypedGrades(SaveAutoGrades):
    """Store each grade cell's typed verdict in the gradebook and in the graded cell's metadata."""

    def _add_score(self, cell, resources) -> None:
        grade = self.gradebook.find_grade(
            cell.metadata["nbgrader"]["grade_id"], self.notebook_id, self.assignment_id, self.student_id)
        if utils.is_solution(cell) or cell.cell_type != "code":
            grade.auto_score, _ = utils.determine_grade(cell, self.log)
        else:
            verdict = verdict_from_outputs(cell.outputs, float(cell.metadata["nbgrader"]["points"]))
            grade.auto_score = verdict.score
            cell.metadata[META_KEY] = verdict.as_dict()
        grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
        self.gradebook.db.commit()


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback shows each grade cell's verdict and check messages, never its hidden source or traceback."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            cell.source = regions.remove(cell.source, "hidden", where=f"grade cell {cell.metadata.nbgrader.get('grade_id')}")
            cell.outputs = [new_output("stream", name="stdout", text=_feedback_text(cell))]
        return cell, resources


def _feedback_text(cell) -> str:
    verdict = cell.metadata.get(META_KEY)
    if not verdict:
        return "Not graded.\n"
    lines = [f"{verdict['status'].upper()}: {verdict['score']:g} of {verdict['max']:g} points"]
    if verdict.get("message"):
        lines.append(verdict["message"])
    return "\n".join(lines) + "\n"


GRADING_PREPROCESSORS = [
    Execute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveTypedGrades, AssignLatePenalties, CheckCellMetadata,
]
FEEDBACK_PREPROCESSORS = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
