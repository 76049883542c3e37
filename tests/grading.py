"""Grade the committed example submissions of an assignment in a scratch copy of the course."""
import json
import shutil

import pytest

from autograde import examples
from autograde.cli import main
from tests.paths import REPO


def grade_examples(tmp_path_factory, assignment: str, *extra: str) -> tuple:
    """(course root, grades) after `autograde grade` on the assignment's example submissions."""
    root = tmp_path_factory.mktemp(assignment)
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copytree(REPO / "source" / assignment, root / "source" / assignment)
    for student in examples.PLANS[assignment]:
        shutil.copytree(REPO / "examples" / "submitted" / student / assignment, root / "incoming" / student / assignment)
    mp = pytest.MonkeyPatch()
    mp.chdir(root)
    try:
        args = ["grade", assignment, "--submissions", "incoming", "--json", "grades.json", "--check-timeout", "5", *extra]
        assert main(args) == 0
    finally:
        mp.undo()
    return root, json.loads((root / "grades.json").read_text())
