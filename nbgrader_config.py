"""nbgrader settings for the kit; `autograde` loads this file, and so do nbgrader's own commands."""
from pathlib import Path

from autograde.nbsteps import FEEDBACK_PREPROCESSORS, FEEDBACK_TEMPLATE_DIRS, FeedbackExporter, GRADING_PREPROCESSORS, SANITIZE_PREPROCESSORS

c = get_config()  # noqa: F821 (provided by traitlets when this file is loaded)

# What students use (course id, exchange, an honest Validate that names each unfinished exercise or question):
# the instructor's Validate and exchange commands use the same settings; settings below win. Looked up beside
# this file, then in the kit's checkout (a scratch course holding only a copy of this file still finds it).
import autograde  # noqa: E402

for _student_config in (Path(__file__).resolve().parent / "student" / "nbgrader_config.py",  # noqa: F821 (traitlets)
                        Path(autograde.__file__).resolve().parent.parent / "student" / "nbgrader_config.py"):
    if _student_config.is_file():
        load_subconfig(str(_student_config))  # noqa: F821 (provided by traitlets when this file is loaded)
        break

c.CourseDirectory.course_id = "fastai-core"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
# Graded copies go to `graded/`, so they are not confused with the `autograde/` package.
c.CourseDirectory.autograded_directory = "graded"
c.CourseDirectory.feedback_directory = "feedback"

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Deep-learning cells train models: a generous per-cell limit; each hidden check also has its own
# limit (AUTOGRADE_CHECK_TIMEOUT, default 20 s) so one infinite loop costs one check, not the run.
c.Execute.timeout = 600
# Edited grade cells are overwritten from the gradebook; deleted ones are put back (nbgrader's own
# re-insertion fails when the cell before a deleted one is a read-only cell) and still count.
c.OverwriteCells.add_missing_cells = True
c.Autograde.sanitize_preprocessors = SANITIZE_PREPROCESSORS

c.Autograde.autograde_preprocessors = GRADING_PREPROCESSORS
c.GenerateFeedback.preprocessors = FEEDBACK_PREPROCESSORS
c.GenerateFeedback.exporter_class = FeedbackExporter  # nbconvert's HTML export without its slow re-parse
c.HTMLExporter.extra_template_basedirs = FEEDBACK_TEMPLATE_DIRS  # the kit's feedback page first
