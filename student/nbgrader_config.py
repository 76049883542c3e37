"""nbgrader settings for students of the fastai-book course (Validate, the Assignments panel, fetch and submit).

Put this file in the folder where you start JupyterLab, or in `~/.jupyter/nbgrader_config.py`. It imports
nothing from the kit: it works with only `autograde-student` (and its `[lab]` extra) installed. The
instructor's course config loads it too (`load_subconfig`), so both sides agree on the course and exchange.
"""
import re

from nbgrader.utils import compute_checksum

c = get_config()  # noqa: F821 (provided by traitlets when this file is loaded)

# The course and the exchange the instructor releases into (nbgrader's default root; the instructor's setup
# creates it, writable by every student). Change both lines when your instructor gives other values.
c.CourseDirectory.course_id = "fastai-core"
c.Exchange.root = "/srv/nbgrader/exchange"

# Validate (toolbar button, Assignments panel, `nbgrader validate`) runs the whole notebook and fails on any
# cell that raises: an untouched `raise NotImplementedError()` stub, a visible self-check (`assert ...`) that
# fails, an unanswered questionnaire question. The hidden grade cells hold no test in the student copy, so
# checking only them (nbgrader's default) would call the untouched notebook a success.
c.Validator.validate_all = True
# Training cells run for minutes on a CPU (nbgrader's default is 30 s a cell).
c.Execute.timeout = 600
c.Validator.failed_warning = (
    "VALIDATION FAILED ON {num_failed} CELL(S)! Each one is listed below with the exercise or question it belongs "
    "to. Finish them (or fix the error shown) before you submit, or you WILL NOT receive full credit.\n")

_QUESTION = re.compile(r"^q(?P<chapter>\d{2})_(?P<q>\d{2})(?P<code>_code)?$")
_HEADING = re.compile(r"^\s*(?:#+\s*|\*\*)(?P<title>[^*\n]+)")


def _label(cell, heading: str) -> str:
    """What a student calls this cell: 'Question 04-07' for a questionnaire answer, else its exercise heading."""
    gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
    found = _QUESTION.match(gid)
    if found:
        return f"Question {found['chapter']}-{found['q']}" + (" (code)" if found["code"] else "")
    return heading


def name_each_cell(notebook, **_):
    """Start every graded, answer or locked cell of the notebook Validate runs with the exercise or question it
    belongs to, so a failure names it ("[Question 04-07] ... You did not provide a response.").

    Runs on Validate's own copy (never the student's file). A cell the student has not touched keeps counting
    as untouched (its checksum follows the label); a questionnaire code answer is checked like any code cell,
    so an answer that raises fails Validate."""
    heading = ""
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("locked"):
            found = _HEADING.match(cell.source)
            heading = found["title"].strip() if found else heading
            heading = f"Question {heading}" if re.fullmatch(r"\d{2}-\d{2}", heading) else heading  # "**04-07** (prose)"
        checked = cell.cell_type == "code" or meta.get("solution")  # what Validate can fail
        label = _label(cell, heading)
        if not (checked and label and (meta.get("grade") or meta.get("solution") or meta.get("locked"))):
            continue
        untouched = "checksum" in meta and meta["checksum"] == compute_checksum(cell)
        prefix = f"# [{label}]\n" if cell.cell_type == "code" else f"**[{label}]**\n\n"
        cell.source = prefix + cell.source
        if untouched:
            meta["checksum"] = compute_checksum(cell)
        if meta.get("solution") and meta.get("grade") and cell.cell_type == "code" and not untouched:
            meta["grade"] = False  # an answered code answer: judged by whether it runs, like any code cell


# Only the Validator's kernel runs the hook: grading never sees it (traitlets scopes it to Execute under Validator).
c.Validator.Execute.on_notebook_start = name_each_cell
