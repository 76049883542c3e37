"""nbgrader preprocessors of the kit: typed grades when grading, hidden tests hidden in feedback."""
from __future__ import annotations

from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbformat.v4 import new_markdown_cell, new_output
from traitlets import Float, Unicode
from nbgrader import utils
from nbgrader.preprocessors import (
    AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds, GetGrades, IgnorePattern,
    LimitOutput, NbGraderPreprocessor, OverwriteCells, OverwriteKernelspec, SaveAutoGrades,
)

from . import keys, quizgrade, regions
from .isolation import SandboxedExecute
from .quiz.notebook import CODE_SUFFIX, parse_grade_id
from .scoring import verdict_from_outputs

META_KEY = "autograde"
SKIP_TAG = "skip-execution"  # nbclient runs no cell with this tag


class DropDuplicateIds(NbGraderPreprocessor):
    """A grade_id used twice keeps its last cell (as nbgrader does); earlier copies become plain cells."""

    def preprocess(self, nb, resources):
        seen = set()
        for cell in reversed(nb.cells):
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in seen:
                self.log.warning("grade_id %s appears more than once; an earlier copy is ignored", gid)
                del cell.metadata["nbgrader"]
            elif gid:
                seen.add(gid)
        return nb, resources


class RestoreGradeCells(OverwriteCells):
    """Put each missing grade or locked cell back after the nearest surviving cell that precedes it in the release.

    Missing locked cells are given code a newer release added (or a student deleted); restoring them lets a
    notebook made from an older release run with the instructor's current given cells.
    """

    def add_missing_grade_cells(self, nb, resources):
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        order = [cell.name for cell in source_nb.source_cells]
        by_name = {cell.name: cell for cell in source_nb.source_cells}
        points = {cell.name: cell.max_score for cell in source_nb.grade_cells}
        solutions = {cell.name for cell in source_nb.solution_cells}
        locked = {cell.name for cell in source_nb.source_cells if cell.locked}
        present = {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells}
        for name in (n for n in order if (n in points or n in locked) and n not in present):
            self.log.warning("Cell %s is missing; restoring it from the gradebook", name)
            restored = self.missing_cell_transform(by_name[name], points.get(name), is_solution=name in solutions)
            if name not in points:  # a given (locked, ungraded) cell: no grade, no points
                restored.metadata.nbgrader.update(grade=False, points=0)
                restored.metadata.nbgrader.pop("points", None)
            before = order[: order.index(name)]
            anchor = next((n for n in reversed(before) if n in present), None)
            index = 0 if anchor is None else 1 + next(
                i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == anchor)
            nb.cells.insert(index, restored)
            present.add(name)
        return nb, resources


class SkipQuizCode(NbGraderPreprocessor):
    """Questionnaire code answers are run by the quiz engine in its own process, not in the grading kernel."""

    def preprocess_cell(self, cell, resources, index):
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if cell.cell_type == "code" and parse_grade_id(gid.removesuffix(CODE_SUFFIX)):
            tags = cell.metadata.setdefault("tags", [])
            if SKIP_TAG not in tags:
                tags.append(SKIP_TAG)
        return cell, resources


class SaveTypedGrades(SaveAutoGrades):
    """Store each grade cell's typed verdict in the gradebook and in the graded cell's metadata."""

    keys_dir = Unicode("keys", help="folder of the instructors' keys (see autograde.keys)").tag(config=True)
    quiz_code_timeout = Float(0.0, help="seconds per questionnaire code answer (0: the runner's default; "
                                        "autograde grade sets GradingSettings.quiz_code_timeout)").tag(config=True)
    quiz_sandbox = Unicode("", help="'require' or 'off' for questionnaire code answers ('': the runner's "
                                    "default; autograde grade sets GradingSettings.sandbox)").tag(config=True)

    def preprocess(self, nb, resources):
        self._companions = quizgrade.companions(nb, self.quiz_code_timeout or None, self.quiz_sandbox or None)
        self._key = keys.load(Path(self.keys_dir), resources["nbgrader"]["assignment"], resources["nbgrader"]["notebook"])
        return super().preprocess(nb, resources)

    def _add_score(self, cell, resources) -> None:
        gid = cell.metadata["nbgrader"]["grade_id"]
        grade = self.gradebook.find_grade(gid, self.notebook_id, self.assignment_id, self.student_id)
        review = False
        quiz = quizgrade.verdict(cell, self._companions.get(gid)) if utils.is_solution(cell) else None
        if quiz is not None:
            verdict, review = quiz
        elif utils.is_solution(cell) or cell.cell_type != "code":
            verdict = None
            grade.auto_score, _ = utils.determine_grade(cell, self.log)
        else:
            verdict = verdict_from_outputs(cell.outputs, float(cell.metadata["nbgrader"]["points"]), self._key.get(gid))
        if verdict is not None:
            grade.auto_score = verdict.score
            cell.metadata[META_KEY] = verdict.as_dict()
        # Unsure answers go to the formgrader with the automatic score as a suggestion; a manual score wins.
        grade.needs_manual_grade = review or grade.manual_score is not None or grade.auto_score is None
        self.gradebook.db.commit()


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback shows each grade cell's verdict and messages, never hidden test source, tracebacks or rubrics."""

    def preprocess(self, nb, resources):
        cells = []
        for cell in nb.cells:
            cells.append(cell)
            if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
                cell.source = regions.remove(cell.source, "hidden", where=f"grade cell {cell.metadata.nbgrader.get('grade_id')}")
                cell.outputs = [new_output("stream", name="stdout", text=_feedback_text(cell))]
            elif utils.is_solution(cell) and META_KEY in cell.metadata:
                cells.append(new_markdown_cell("**Grader:** " + _feedback_text(cell).replace("\n", "  \n")))
        nb.cells = cells
        return nb, resources


def _feedback_text(cell) -> str:
    verdict = cell.metadata.get(META_KEY)
    if not verdict:
        return "Not graded.\n"
    lines = [f"{verdict['status'].upper()}: {verdict['score']:g} of {verdict['max']:g} points"]
    if verdict.get("message"):
        lines.append(verdict["message"])
    return "\n".join(lines) + "\n"


SANITIZE_PREPROCESSORS = [ClearOutput, DropDuplicateIds, DeduplicateIds, OverwriteKernelspec, RestoreGradeCells, SkipQuizCode, CheckCellMetadata]
GRADING_PREPROCESSORS = [
    SandboxedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveTypedGrades, AssignLatePenalties, CheckCellMetadata,
]
FEEDBACK_PREPROCESSORS = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
