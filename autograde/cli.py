"""Command line: `autograde release|examples|questionnaire|keys|grade|demo|quiz`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import classreport, course, feedback
from .quiz import cli as quiz_cli


def _release(args, root):
    from .release import release

    for name in release(root, args.assignments or None):
        print(f"released {name}: release/{name}/ and solutions/{name}/")
    return 0


def _examples(args, root):
    from . import examples

    for name in args.assignments or list(examples.plans()):
        for path in examples.build(root, name):
            print(f"wrote {path.relative_to(root)}")
    return 0


def _questionnaire(args, root):
    from . import notebooks
    from .quiz.notebook import build

    for chapter in args.chapters:
        path = root / "source" / f"{chapter}_questionnaire" / f"{chapter}_questionnaire.ipynb"
        notebooks.write(build(chapter), path)
        print(f"wrote {path.relative_to(root)} (then run `autograde release`)")
    return 0


def _keys(args, root):
    from . import keys

    with course.grading_lock(root):
        for name in args.assignments or course.assignments(root):
            for path in keys.build(root, name):
                print(f"wrote {path.relative_to(root)}")
    return 0


def settings_from_args(root, args):
    """GradingSettings from the course's nbgrader_config.py, then the command line's grading options."""
    from .settings import GradingSettings

    return GradingSettings.from_config(
        course.load_config(root), jobs=args.jobs, scheduler=args.scheduler, db_url=args.db,
        check_timeout=args.check_timeout, cell_timeout=args.cell_timeout, sandbox=args.sandbox,
        quiz_code_timeout=args.quiz_code_timeout)


def _grade_and_show(root, assignment, submissions, args):
    from rich.console import Console

    from . import report
    from .grading import batch
    from .grading.progress import Bar

    console = Console(stderr=True)
    with Bar(assignment, console) as bar:
        results = batch.grade(root, assignment, submissions, settings_from_args(root, args), bar, regrade=args.regrade)
    report.print_table(assignment, results, Console())
    if args.json:
        report.write_json(results, Path(args.json))
        Console().print(f"wrote {args.json}")
    return results


def _grade(args, root):
    _grade_and_show(root, args.assignment, args.submissions, args)
    return 0


def _demo(args, root):
    from rich.console import Console

    from . import examples, report
    from .grading import batch
    from .grading.progress import Bar
    from .release import collect_examples, release

    release(root)
    names = list(examples.plans())
    for name in names:
        examples.build(root, name)
        # As `nbgrader collect` leaves them (with timestamps): the formgrader counts only submitted/.
        collect_examples(root, root / examples.EXAMPLES_DIR, name)
    # every assignment's submissions in one run: one queue keeps all workers busy to the end
    with Bar(f"{len(names)} assignments", Console(stderr=True)) as bar:
        graded = batch.grade_many(root, [(name, root / "submitted") for name in names], settings_from_args(root, args),
                                  bar, regrade=args.regrade)
    for name in names:
        report.print_table(name, graded[name], Console())
    if args.json:
        report.write_json(graded, Path(args.json))
        Console().print(f"wrote {args.json} (grades by assignment)")
    return 0


def _add_grading_options(parser):
    parser.add_argument("--json", help="also write the grades as JSON to this file")
    parser.add_argument("--jobs", "-j", type=int, default=None,
                        help="submissions graded at once (default: one per CPU core; 1 grades in this process)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="grade on the workers of this running Dask scheduler (e.g. tcp://host:8786) instead of "
                             "a local cluster; the workers must see the course folder at the same path")
    parser.add_argument("--db", default=None, metavar="URL",
                        help="gradebook database URL (default: the course's gradebook.db), e.g. postgresql://USER@HOST/DB")
    parser.add_argument("--check-timeout", type=float, default=None, help="CPU seconds each hidden check may run (default 20)")
    parser.add_argument("--cell-timeout", type=int, default=None,
                        help="seconds each notebook cell may run (default: c.Execute.timeout, 600)")
    parser.add_argument("--quiz-code-timeout", type=float, default=None,
                        help="CPU seconds each questionnaire code answer may run (default 20)")
    parser.add_argument("--sandbox", choices=("require", "off"), default=None,
                        help="run student code isolated (default; refuses to grade when isolation is unavailable) or 'off'")
    parser.add_argument("--regrade", action="store_true", help="grade again submissions already graded with the same key")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `autograde` command."""
    parser = argparse.ArgumentParser(prog="autograde", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="build release/ (student notebooks) and solutions/ from source/")
    p.add_argument("assignments", nargs="*", help="assignment names (default: all)")
    p.set_defaults(func=_release)
    p = sub.add_parser("examples", help="rebuild the example submissions under examples/submitted/")
    p.add_argument("assignments", nargs="*", help="assignment names (default: all with examples)")
    p.set_defaults(func=_examples)
    p = sub.add_parser("questionnaire", help="write source/<CH>_questionnaire/ from the chapter's rubric")
    p.add_argument("chapters", nargs="+", help="chapter numbers, e.g. 04")
    p.set_defaults(func=_questionnaire)
    p = sub.add_parser("keys", help="record the hidden checks' expected values from source/ (grade does this when needed)")
    p.add_argument("assignments", nargs="*", help="assignment names (default: all)")
    p.set_defaults(func=_keys)
    p = sub.add_parser("grade", help="autograde every DIR/<student>/<ASSIGNMENT>/ into the gradebook")
    p.add_argument("assignment")
    p.add_argument("--submissions", type=Path, default=None, help="folder of <student>/<assignment>/ (default: submitted/)")
    _add_grading_options(p)
    p.set_defaults(func=_grade)
    p = sub.add_parser("demo", help="release, grade the bundled example submissions, print the grades")
    _add_grading_options(p)
    p.set_defaults(func=_demo)
    quiz_cli.add_parser(sub)
    feedback.add_parser(sub)
    classreport.add_parser(sub)
    return parser


def main(argv=None) -> int:
    """Run the command line; errors are printed as one line naming the fix, exit status 1."""
    course.quiet_library_warnings()
    course._expose_environment_tools()  # nbgrader runs `alembic` from here, even without an activated venv
    args = build_parser().parse_args(argv)
    if args.command == "quiz":  # needs no course folder
        return args.func(args)
    from traitlets import TraitError

    try:
        root = course.find_root()
        return args.func(args, root)
    except (course.CourseError, ValueError, KeyError, TraitError) as exc:
        print(f"autograde: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
