"""nbgrader preprocessors of the kit: typed grades when grading, hidden tests hidden in feedback."""
from __future__ import annotations

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import (
    AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds, Execute, GetGrades, IgnorePattern,
    LimitOutput, NbGraderPreprocessor, OverwriteCells, OverwriteKernelspec, SaveAutoGrades,
)

from . import regions
from .scoring import verdict_from_outputs

META_KEY = "autograde"


class RestoreGradeCells(OverwriteCells):
    """Put each deleted grade cell back after the nearest surviving cell that precedes it in the release."""

    def add_missing_grade_cells(self, nb, resources):
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        order = [cell.name for cell in source_nb.source_cells]
        by_name = {cell.name: cell for cell in source_nb.source_cells}
        points = {cell.name: cell.max_score for cell in source_nb.grade_cells}
        solutions = {cell.name for cell in source_nb.solution_cells}
        present = {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells}
        for name in (n for n in order if n in points and n not in present):
            self.log.warning("Grade cell %s was deleted; restoring it from the gradebook", name)
            restored = self.missing_cell_transform(by_name[name], points[name], is_solution=name in solutions)
            before = order[: order.index(name)]
            anchor = next((n for n in reversed(before) if n in present), None)
            index = 0 if anchor is None else 1 + next(
                i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == anchor)
            nb.cells.insert(index, restored)
            present.add(name)
        return nb, resources


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


SANITIZE_PREPROCESSORS = [ClearOutput, DeduplicateIds, OverwriteKernelspec, RestoreGradeCells, CheckCellMetadata]
GRADING_PREPROCESSORS = [
    Execute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveTypedGrades, AssignLatePenalties, CheckCellMetadata,
]
FEEDBACK_PREPROCESSORS = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
