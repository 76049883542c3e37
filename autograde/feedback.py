"""`autograde feedback ASSIGNMENT`: regenerate every graded submission's feedback from the gradebook, without regrading.

After manual grading in the formgrader the feedback in `feedback/` is stale; this rebuilds it through nbgrader's
generate_feedback with the kit's feedback steps (autograde.nbsteps.FEEDBACK_PREPROCESSORS), so that a cell an
instructor scored says so, with the instructor's comment. Like a grading run, it copies no file of the
submission into feedback/ and writes through no link planted there.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from . import course, intake, release
from .grading.collect import reason


def graded_students(root: Path, assignment: str) -> list[str]:
    """Student ids with a graded copy of the assignment (graded/<student>/<assignment>/ holding a notebook)."""
    base = Path(root) / "graded"
    if not base.is_dir() or base.is_symlink():
        return []
    found = []
    for entry in sorted(base.iterdir()):
        folder = entry / assignment
        if intake.id_problem(entry.name) or entry.is_symlink() or not entry.is_dir():
            continue
        if folder.is_dir() and not folder.is_symlink() and any(folder.glob("*.ipynb")):
            found.append(entry.name)
    return found


def regenerate(root: Path, assignment: str, students: list[str] | None = None, progress=None) -> dict:
    """{student: path of the feedback folder, or the reason it failed} for every graded submission (or `students`)."""
    from nbgrader.api import Gradebook, MissingEntry

    course.check_assignment(root, assignment)
    results = {}
    with course.grading_lock(root):
        course.check_gradebook(root)
        api = course.feedback_api(root)
        known = graded_students(root, assignment)
        wanted = known if students is None else students
        with Gradebook(api.coursedir.db_url) as gb:
            submitted = set()
            for student in wanted:
                try:
                    gb.find_submission(assignment, student)
                    submitted.add(student)
                except MissingEntry:
                    pass
        for student in wanted:
            if intake.id_problem(student):
                results[student] = f"error: {intake.id_problem(student)}"
                continue
            if student not in known or student not in submitted:
                results[student] = f"error: {student}/{assignment} has not been graded; run `autograde grade {assignment}`"
                continue
            if progress:
                progress(student)
            folder = intake.clear_links(root, "feedback", student, assignment)
            outcome = api.generate_feedback(assignment, student, force=True)
            if outcome.get("success"):
                handed_in = Path(root) / "submitted" / student / assignment
                original = handed_in if handed_in.is_dir() and not handed_in.is_symlink() else \
                    Path(root) / "graded" / student / assignment
                release.stamp_feedback(root, student, assignment, original)  # what Release Feedback reads
                results[student] = str(folder.relative_to(root))
            else:
                results[student] = f"error: {reason(outcome)}"
    return results


def _run(args, root) -> int:
    results = regenerate(root, args.assignment, args.students or None,
                         progress=lambda s: print(f"feedback for {s} / {args.assignment} ..."))
    failed = {s: r for s, r in results.items() if r.startswith("error: ")}
    for student, result in results.items():
        print(f"{student}: {result}")
    if not results:
        print(f"no graded submission of {args.assignment}; run `autograde grade {args.assignment}` first")
    return 1 if failed else 0


def add_parser(sub) -> argparse.ArgumentParser:
    """Add the `feedback` command to the `autograde` subparsers."""
    parser = sub.add_parser("feedback", help="regenerate feedback/ from the gradebook (manual scores and comments) "
                                             "without regrading")
    parser.add_argument("assignment")
    parser.add_argument("--students", nargs="*", default=None, help="only these students (default: every graded one)")
    parser.set_defaults(func=_run)
    return parser
