"""nbgrader preprocessors of the kit: typed grades when grading, hidden tests hidden in feedback."""
from __future__ import annotations

import re
import traceback
from pathlib import Path

import jinja2

from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbformat.v4 import new_markdown_cell, new_output
from traitlets import Float, Unicode
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.preprocessors import (
    AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds, GetGrades, IgnorePattern,
    LimitOutput, NbGraderPreprocessor, OverwriteCells, OverwriteKernelspec, SaveAutoGrades,
)

from . import keys, quizgrade, regions
from .isolation import SandboxedExecute
from .quiz.notebook import CODE_SUFFIX, parse_grade_id
from .scoring import verdict_from_outputs

META_KEY = "autograde"
MANUAL_KEY = "autograde_manual"  # feedback only: the instructor's score of a cell
TITLE_KEY = "autograde_title"  # feedback only: the name the summary gives a grade cell
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
    """Store each grade cell's typed verdict in the gradebook, in the graded cell and in the formgrader's comment.

    The verdict (status, points, check messages; a questionnaire answer's reason, credited ideas and hints)
    becomes the `auto_comment` of the solution cell it belongs to (the cell itself for a questionnaire answer,
    the exercise's last solution cell before a hidden test cell) and a visible output of a hidden test cell.
    A manual score is flagged for review again only when the automatic verdict changed since it was given.
    """

    keys_dir = Unicode("keys", help="folder of the instructors' keys (see autograde.keys)").tag(config=True)
    quiz_code_timeout = Float(0.0, help="seconds per questionnaire code answer (0: the runner's default; "
                                        "autograde grade sets GradingSettings.quiz_code_timeout)").tag(config=True)
    quiz_sandbox = Unicode("", help="'require' or 'off' for questionnaire code answers ('': the runner's "
                                    "default; autograde grade sets GradingSettings.sandbox)").tag(config=True)

    def preprocess(self, nb, resources):
        self._companions = quizgrade.companions(nb, self.quiz_code_timeout or None, self.quiz_sandbox or None)
        self._key = keys.load(Path(self.keys_dir), resources["nbgrader"]["assignment"], resources["nbgrader"]["notebook"])
        self._graded = {}  # grade_id -> (grade row, automatic score before this run, verdict text, review)
        self._titles = cell_titles(nb)
        self._untouched = untouched_exercises(nb)
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.gradebook = Gradebook(resources["nbgrader"]["db_url"])
        with self.gradebook:  # one session: the grades read in the cell pass are written with the comments
            nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
            self._save_comments(nb)
        _show_quiz_code_outputs(nb, self._companions)
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        if utils.is_grade(cell):
            self._add_score(cell, resources)
        return cell, resources

    def _add_score(self, cell, resources) -> None:
        gid = cell.metadata["nbgrader"]["grade_id"]
        grade = self.gradebook.find_grade(gid, self.notebook_id, self.assignment_id, self.student_id)
        before = grade.auto_score
        review = False
        quiz = quizgrade.verdict(cell, self._companions.get(gid)) if utils.is_solution(cell) else None
        if quiz is not None:
            verdict, review = quiz
        elif utils.is_solution(cell) or cell.cell_type != "code":
            verdict = None
            grade.auto_score, _ = utils.determine_grade(cell, self.log)
        else:
            verdict = verdict_from_outputs(cell.outputs, float(cell.metadata["nbgrader"]["points"]), self._key.get(gid))
        text = None
        if verdict is not None:
            grade.auto_score = verdict.score
            cell.metadata[META_KEY] = verdict.as_dict()
            text = verdict_text(cell, self._titles.get(gid), gid in self._untouched)
            if not utils.is_solution(cell):  # the formgrader shows the graded notebook: say why beside the result
                cell.outputs = [*cell.outputs, new_output("stream", name="stdout", text=text + "\n")]
        self._graded[gid] = (grade, before, text, review)

    def _save_comments(self, nb) -> None:
        """Write each verdict into its comment row and decide which grades an instructor must look at."""
        anchors = comment_anchors(nb)
        texts: dict = {}
        for gid, anchor in anchors.items():
            if gid in self._graded and self._graded[gid][2]:
                texts.setdefault(anchor, []).append(gid)
        old_comments = {}
        for cell in nb.cells:
            if not (utils.is_solution(cell) or utils.is_task(cell)):
                continue
            name = cell.metadata["nbgrader"]["grade_id"]
            comment = self.gradebook.find_comment(name, self.notebook_id, self.assignment_id, self.student_id)
            old_comments[name] = (comment.auto_comment or "").split("\n\n")  # one block per grade cell
            blocks = [self._graded[gid][2] for gid in texts.get(name, [])]
            if blocks:
                comment.auto_comment = "\n\n".join(blocks)
            elif cell.metadata.nbgrader.get("checksum") == utils.compute_checksum(cell) and not utils.is_task(cell):
                comment.auto_comment = "No response."
            else:
                comment.auto_comment = None
        for gid, (grade, before, text, review) in self._graded.items():
            old = old_comments.get(anchors.get(gid))
            changed = before != grade.auto_score or (text is not None and old is not None and text not in old)
            grade.needs_manual_grade = bool(
                grade.auto_score is None
                or (grade.manual_score is None and review)
                or (grade.manual_score is not None and changed))
        self.gradebook.db.commit()


def _is_heading(text: str) -> bool:
    return text.lstrip().startswith("#")


def cell_titles(nb) -> dict:
    """grade_id -> a title a reader knows the cell by: 'Question 04-01: In what form ...' or the exercise heading."""
    titles, heading, question = {}, None, None
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and not meta.get("solution") and not meta.get("grade"):
            found = re.match(r"\s*\*\*(\d+-\d+)\*\*[^\n]*\n+\s*(.+)", cell.source)
            if found:
                question = f"Question {found.group(1)}: {_short(found.group(2))}"
            else:
                lines = [ln for ln in cell.source.splitlines() if _is_heading(ln)]
                if lines:
                    heading, question = _short(lines[-1].lstrip("#").strip()), None
        gid = meta.get("grade_id")
        if gid and meta.get("grade"):
            titles[gid] = question or heading or gid
    return titles


def _short(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def comment_anchors(nb) -> dict:
    """grade_id of each grade cell -> the solution cell whose comment row carries its verdict (None when none).

    A questionnaire answer is its own anchor; a hidden test cell belongs to the last solution cell before it."""
    anchors, last = {}, None
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        gid = meta.get("grade_id")
        if meta.get("solution") or meta.get("task"):
            last = gid
        if meta.get("grade"):
            anchors[gid] = gid if meta.get("solution") else last
    return anchors


def untouched_exercises(nb) -> set:
    """grade_ids of hidden test cells whose exercise (the solution cells since the previous grade cell) is
    still the released stub in every cell."""
    found, group = set(), []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and not meta.get("grade"):
            group.append(meta.get("checksum") is not None and meta.get("checksum") == utils.compute_checksum(cell))
        elif meta.get("grade"):
            if not meta.get("solution") and group and all(group):
                found.add(meta.get("grade_id"))
            group = []
    return found


def message_lines(cell) -> list[str]:
    """The verdict's messages one per line: a hidden test's check messages split, a questionnaire's as written."""
    verdict = cell.metadata.get(META_KEY) or {}
    message = (verdict.get("message") or "").strip()
    if not message:
        return []
    if utils.is_solution(cell):
        return [message]
    return [part.strip() for part in message.split("; ") if part.strip()]


def verdict_text(cell, title: str | None = None, untouched: bool = False, named: bool = True) -> str:
    """What the kit says about one graded cell: title, status, points, then each message on its own line."""
    verdict = cell.metadata.get(META_KEY)
    gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
    name = (f"{title} ({gid}) - " if title and title != gid else f"{gid} - ") if named else ""
    if not verdict:
        return f"{name}Not graded."
    points = f"{verdict['score']:g} of {verdict['max']:g} points"
    if untouched:
        return f"{name}NOT ANSWERED: {points} (the exercise still holds the released stub)."
    lines = [f"{name}{verdict['status'].upper()}: {points}"]
    lines += [f"- {line}" for line in message_lines(cell)]
    return "\n".join(lines)


def _show_quiz_code_outputs(nb, companions: dict) -> None:
    """Questionnaire code answers in the graded copy carry what their sandboxed run produced (never run here)."""
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if not utils.is_solution(cell) or not utils.is_grade(cell) or parse_grade_id(gid) is None:
            continue
        code_cell = companions.get(gid)
        target = code_cell if code_cell is not None else cell
        if target.cell_type == "code":
            try:
                shown = quizgrade.code_outputs(cell, code_cell)
            except Exception as exc:  # noqa: BLE001 - showing outputs never costs the grade
                shown = [new_output("stream", name="stderr", text=f"[the grader could not show this answer's output: "
                                                                  f"{type(exc).__name__}]\n")]
            if shown is not None:
                target.outputs = shown


class GetKitGrades(GetGrades):
    """nbgrader's scores and comments for feedback, plus who scored each cell: the comment shown is only the
    instructor's (the kit's own verdict is written by HideHiddenTests), and manual scores are marked."""

    def preprocess(self, nb, resources):
        self._anchors = comment_anchors(nb)
        return super().preprocess(nb, resources)

    def _get_comment(self, cell, resources) -> None:
        comment = self.gradebook.find_comment(cell.metadata["nbgrader"]["grade_id"], self.notebook_id,
                                              self.assignment_id, self.student_id)
        cell.metadata.nbgrader["comment"] = comment.manual_comment

    def _get_score(self, cell, resources) -> None:
        grade = self.gradebook.find_grade(cell.metadata["nbgrader"]["grade_id"], self.notebook_id,
                                          self.assignment_id, self.student_id)
        cell.metadata.nbgrader["score"] = grade.score  # what nbgrader's own _get_score writes, from the same query
        cell.metadata.nbgrader["points"] = grade.max_score
        if grade.manual_score is not None:
            anchor = self._anchors.get(cell.metadata["nbgrader"]["grade_id"])
            comment = self.gradebook.find_comment(anchor, self.notebook_id, self.assignment_id, self.student_id) \
                if anchor else None
            cell.metadata[MANUAL_KEY] = {"score": float(grade.manual_score), "max": float(grade.max_score),
                                         "comment": (comment.manual_comment or "") if comment is not None else ""}


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback shows each grade cell's verdict and messages, never hidden test source, tracebacks or rubrics.

    An exercise still holding the released stub shows a short 'not answered' instead of its traceback; a cell
    an instructor scored says so (the instructor's comment is shown by the template's comment footer)."""

    def preprocess(self, nb, resources):
        titles, untouched = cell_titles(nb), untouched_exercises(nb)
        stubs = {i for i, cell in enumerate(nb.cells) if _is_stub(cell)}
        waiting = unanswered_regions(nb, untouched)
        cells = []
        for index, cell in enumerate(nb.cells):
            cells.append(cell)
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid and utils.is_grade(cell):
                cell.metadata[TITLE_KEY] = titles.get(gid, gid)
            if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
                cell.source = regions.remove(cell.source, "hidden", where=f"grade cell {gid}")
                cell.outputs = [new_output("stream", name="stdout", text=_feedback_text(cell, gid in untouched) + "\n")]
            elif index in stubs and cell.cell_type == "code":
                cell.outputs = [new_output("stream", name="stdout", text="Not answered.\n")]
            elif index in waiting and cell.cell_type == "code" and _errors(cell):
                cell.outputs = [new_output("stream", name="stdout", text="Not run: the exercise is not answered yet.\n")]
            elif cell.cell_type == "code" and _errors(cell):  # one line per error, not a page of traceback
                cell.outputs = [o if o.get("output_type") != "error" else new_output(
                    "stream", name="stderr", text=f"{o.get('ename', 'Error')}: {str(o.get('evalue', ''))[:300]}\n")
                    for o in cell.outputs]
            if utils.is_solution(cell) and utils.is_grade(cell) and (META_KEY in cell.metadata or MANUAL_KEY in cell.metadata):
                if MANUAL_KEY in cell.metadata:  # the instructor's comment is in the Grader note, not twice
                    cell.metadata.nbgrader["comment"] = None
                cells.append(new_markdown_cell("**Grader:** " + _feedback_text(cell).replace("\n", "  \n")))
        nb.cells = cells
        return nb, resources


def unanswered_regions(nb, untouched: set) -> set:
    """Indices of the cells between an unanswered exercise's previous grade cell and its hidden test cell (its
    visible self-checks and demos, which can only fail)."""
    found, pending = set(), []
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            if meta.get("grade_id") in untouched:
                found.update(pending)
            pending = []
        else:
            pending.append(index)
    return found


def _errors(cell) -> bool:
    return any(o.get("output_type") == "error" for o in cell.get("outputs", []))


def _is_stub(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return bool(meta.get("solution")) and meta.get("checksum") is not None and meta.get("checksum") == utils.compute_checksum(cell)


def _feedback_text(cell, untouched: bool = False) -> str:
    """One grade cell's verdict for the student: a manual score first and alone, else the kit's verdict."""
    manual = cell.metadata.get(MANUAL_KEY)
    if manual:
        text = f"SCORED BY THE INSTRUCTOR: {manual['score']:g} of {manual['max']:g} points"
        return text + (f"\nInstructor's comment: {manual['comment']}" if manual.get("comment") else "")
    if not cell.metadata.get(META_KEY):
        return "Not graded."
    return verdict_text(cell, untouched=untouched, named=False)


class CheckMetadata(CheckCellMetadata):
    """nbgrader's cell-metadata check with the schema compiled once (nbgrader re-checks the schema itself for every
    graded cell: ~0.5 s a notebook, twice per submission)."""

    def preprocess(self, nb, resources):
        import jsonschema

        checker = MetadataValidator()
        compiled = jsonschema.validators.validator_for(checker.schema)(checker.schema)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader")
            if meta is None or (isinstance(meta, dict) and meta.get("schema_version", 0) == checker.schema_version
                                and compiled.is_valid(meta)):
                continue
            try:
                checker.validate_cell(cell)  # nbgrader's own check: its errors, its words
            except ValidationError:
                self.log.error(traceback.format_exc())
                raise ValidationError("Notebook failed to validate; the nbgrader metadata may be corrupted.")
        return nb, resources


_IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\salt=)", flags=re.I)


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept for the process (nbgrader makes a new exporter, so a new jinja environment, for every
    feedback page: compiling the page's templates again cost ~0.5 s); a changed template is compiled again."""

    def __init__(self):
        self.compiled: dict = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _CompiledTemplates()


class FeedbackExporter(HTMLExporter):
    """nbconvert's HTML export of a feedback page without its BeautifulSoup pass, which re-parsed the whole page
    (~600 KB of output tables, ~1.5 s) to give images without alt text nbconvert's alt text (done here) and to make
    lab-template cells focusable (the feedback template is classic: it has none)."""

    def from_notebook_node(self, nb, resources=None, **kw):
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        self.register_filter("highlight_code", self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self,
                                                                       resources=resources))
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return _IMG_WITHOUT_ALT.sub('<img alt="No description has been provided for this image"', html), resources

    def _create_environment(self):
        environment = super()._create_environment()
        environment.bytecode_cache = _TEMPLATES
        return environment


# The kit's feedback template (autograde/templates/feedback) is found before nbgrader's own of that name.
FEEDBACK_TEMPLATE_DIRS = [str(Path(__file__).resolve().parent / "templates"),
                          str(Path(utils.__file__).resolve().parent / "server_extensions" / "formgrader" / "templates")]

SANITIZE_PREPROCESSORS = [ClearOutput, DropDuplicateIds, DeduplicateIds, OverwriteKernelspec, RestoreGradeCells, SkipQuizCode, CheckMetadata]
GRADING_PREPROCESSORS = [
    SandboxedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveTypedGrades, AssignLatePenalties, CheckMetadata,
]
FEEDBACK_PREPROCESSORS = [GetKitGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
