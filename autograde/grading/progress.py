"""What a grading run tells as it goes: one progress bar for the run (done / failed / ETA), or nothing."""
from __future__ import annotations


class Reporter:
    """Receives the run's events; this one ignores them."""

    def plan(self, total: int) -> None:
        """`total` submissions will be graded (refused ones included)."""

    def started(self, student: str) -> None:
        """nbgrader starts on `student` (only when grading in this process)."""

    def finished(self, student: str, result: dict) -> None:
        """`student`'s result is in."""

    def note(self, text: str) -> None:
        """A step of the run before grading starts (e.g. building keys)."""


class Callback(Reporter):
    """Calls `on_start(student)` as each submission starts (the grade() API's `progress=`)."""

    def __init__(self, on_start):
        self.on_start = on_start

    def started(self, student: str) -> None:
        self.on_start(student)


class Bar(Reporter):
    """A rich progress bar: submissions done of all, how many failed, time spent and left."""

    def __init__(self, assignment: str, console=None):
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        self.progress = Progress(TextColumn("grading {task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("[red]{task.fields[failed]} failed[/red]"), TimeElapsedColumn(),
                                 TextColumn("ETA"), TimeRemainingColumn(), console=console, transient=False)
        self.assignment = assignment
        self.task = None
        self.failed = 0

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc):
        self.progress.stop()

    def plan(self, total: int) -> None:
        self.task = self.progress.add_task(self.assignment, total=total, failed=0)

    def note(self, text: str) -> None:
        self.progress.console.print(text)

    def finished(self, student: str, result: dict) -> None:
        if result.get("status") == "error":
            self.failed += 1
        self.progress.update(self.task, advance=1, failed=self.failed)
