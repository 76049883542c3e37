"""Grade the committed example submissions of an assignment in a scratch copy of the course."""
import json
import shutil

import pytest

from autograde import examples
from autograde.cli import main
from tests.paths import REPO


def grade_examples(tmp_path_factory, assignment: str, *extra: str, students=None) -> tuple:
    """(course root, grades) after `autograde grade` on the assignment's example submissions (or only `students`)."""
    root = tmp_path_factory.mktemp(assignment)
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copytree(REPO / "source" / assignment, root / "source" / assignment)
    for student in students or examples.plans()[assignment]:
        shutil.copytree(REPO / "examples" / "submitted" / student / assignment, root / "incoming" / student / assignment)
    mp = pytest.MonkeyPatch()
    mp.chdir(root)
    try:
        # A questionnaire code answer that loops forever costs its own limit: 10 s, against ~0.3 s for a correct one.
        args = ["grade", assignment, "--submissions", "incoming", "--json", "grades.json", "--check-timeout", "5",
                "--quiz-code-timeout", "10", "--jobs", "1", *extra]
        assert main(args) == 0
    finally:
        mp.undo()
    return root, json.loads((root / "grades.json").read_text())


def example_fixtures(assignment: str):
    """Module fixtures `graded` (root, grades), `course` and `grades` for one assignment's examples."""

    @pytest.fixture(scope="module")
    def graded(tmp_path_factory):
        return grade_examples(tmp_path_factory, assignment)

    @pytest.fixture(scope="module")
    def course(graded):
        return graded[0]

    @pytest.fixture(scope="module")
    def grades(graded):
        return graded[1]

    return graded, course, grades


def run_for_report(nb, folder, env: dict) -> dict:
    """Execute a notebook whose last cell prints 'FIDELITY' + JSON, with `env` set; returns that JSON."""

    from nbclient import NotebookClient

    mp = pytest.MonkeyPatch()
    for name, value in env.items():
        mp.setenv(name, value)
    try:
        NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        mp.undo()
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("name") == "stdout")
    return json.loads(text.split("FIDELITY", 1)[1])


def host_listener():
    """A TCP server on the host's loopback that records what anything sent it (sandboxed code must not reach it)."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(60)
    hits = []

    def accept():
        while True:
            try:
                conn, _ = server.accept()
                hits.append(conn.recv(100))
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return server, hits
