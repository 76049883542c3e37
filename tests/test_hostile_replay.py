"""Replaying or capturing what a hidden test brings into the kernel earns nothing; one mistake is charged once."""
import ast
import json
import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograde import regions, sandbox
from autograde.cli import main
from tests.paths import REPO
from tests.toy_course import _meta

pytestmark = pytest.mark.skipif(not sandbox.available()[0], reason=f"sandbox unavailable: {sandbox.available()[1]}")

ASSIGNMENT = "chain"
NB = f"{ASSIGNMENT}.ipynb"
HIDDEN_DOUBLE = """### BEGIN HIDDEN TESTS
import autograde.checks as _ck
_ck.grade(_ck.equal('double(21)', lambda: double(21)), _ck.equal('double(-4)', lambda: double(-4)))
### END HIDDEN TESTS"""
# sum_doubles is judged with a reference double, so a wrong double is not charged twice.
HIDDEN_SUM = """### BEGIN HIDDEN TESTS
import autograde.checks as _ck
def _ref_double(x):
    return 2 * x
def _run(xs):
    with _ck.given(globals(), double=_ref_double):
        return sum_doubles(xs)
_ck.grade(_ck.equal('sum_doubles([1, 2, 3])', lambda: _run([1, 2, 3])), _ck.equal('sum_doubles([5])', lambda: _run([5])))
### END HIDDEN TESTS"""
RIGHT_DOUBLE = "def double(x):\n    return 2 * x"
RIGHT_SUM = "def sum_doubles(xs):\n    return sum(double(x) for x in xs)"
STUB = "def double(x):\n    raise NotImplementedError()"

ATTACKS = {
    # Swaps the recorder for one that records whatever the checks carry besides the student's call.
    "replayer": {"ex_double": (
        "import autograde.checks as ck\nfrom autograde.values import encode\n"
        "def _replay(checks, seconds):\n"
        "    out = []\n"
        "    for c in checks:\n"
        "        found = [getattr(c, a, None) for a in ('expected', 'low', 'high')] + [v.cell_contents for v in (c.actual.__closure__ or ())]\n"
        "        out.append({'value': encode(next((f for f in found if isinstance(f, (int, float))), 0))})\n"
        "    return out\n"
        "ck._run_all = _replay\n" + STUB), "ex_sum": RIGHT_SUM},
    # Replaces the whole checks module with one that reports the constants of each hidden lambda.
    "module_swap": {"ex_double": (
        "import sys, types\nfrom IPython.display import display\nfrom autograde.values import encode\n"
        "fake = types.ModuleType('autograde.checks')\n"
        "fake.equal = fake.close = fake.shape = lambda name, actual, *a, **k: actual\n"
        "def _grade(*lambdas):\n"
        "    consts = [[c for c in f.__code__.co_consts if isinstance(c, int)] for f in lambdas]\n"
        "    display({'application/vnd.autograde.result+json': {'version': 3, 'values': [{'value': encode(c[-1] if c else 0)} for c in consts]}}, raw=True)\n"
        "fake.grade = _grade\nsys.modules['autograde.checks'] = fake\n" + STUB), "ex_sum": RIGHT_SUM},
    # Captures the reference double that the sum_doubles check binds, for its own double.
    "capturer": {"ex_double": "import builtins\ndef double(x):\n    return getattr(builtins, 'captured', lambda x: 0)(x)",
                 "ex_sum": "import builtins\ndef sum_doubles(xs):\n    builtins.captured = double\n    return sum(double(x) for x in xs)"},
    # Watches every later cell's source for expected values.
    "reader": {"ex_double": (
        "import re\nseen = []\nget_ipython().events.register('pre_run_cell', lambda info: seen.append(info.raw_cell))\n" + STUB),
        "ex_sum": "answers = {str(2 * 21), str(-2 * 4), str(2 * 6), str(2 * 5)}\n"
                  "print('SEEN', [n for s in seen if '_ck' in s for n in re.findall(r'-?\\d+', s) if n in answers])\n" + RIGHT_SUM},
    # One mistake in double: only double's cell pays for it.
    "wrong_double": {"ex_double": "def double(x):\n    return x + 2", "ex_sum": RIGHT_SUM},
}


def chain_notebook():
    """Two exercises, the second calling the first."""
    cells = [
        new_markdown_cell("# Chain", metadata=_meta("intro")),
        new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION", metadata=_meta("ex_double", solution=True, locked=False)),
        new_code_cell(HIDDEN_DOUBLE, metadata=_meta("test_double", grade=True, points=3)),
        new_code_cell("def sum_doubles(xs):\n    ### BEGIN SOLUTION\n    return sum(double(x) for x in xs)\n    ### END SOLUTION",
                      metadata=_meta("ex_sum", solution=True, locked=False)),
        new_code_cell(HIDDEN_SUM, metadata=_meta("test_sum", grade=True, points=2)),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("replay")
    shutil.copy(REPO / "nbgrader_config.py", course)
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(chain_notebook(), str(course / "source" / ASSIGNMENT / NB))
    mp = pytest.MonkeyPatch()
    mp.chdir(course)
    try:
        assert main(["release", ASSIGNMENT]) == 0
        release = nbformat.read(str(course / "release" / ASSIGNMENT / NB), as_version=4)
        for student, answers in ATTACKS.items():
            nb = nbformat.from_dict(release)
            for cell in nb.cells:
                gid = cell.metadata.get("nbgrader", {}).get("grade_id")
                if gid in answers:
                    cell.source = answers[gid]
            out = course / "submitted" / student / ASSIGNMENT / NB
            out.parent.mkdir(parents=True)
            nbformat.write(nb, str(out))
        assert main(["grade", ASSIGNMENT, "--json", "grades.json", "--check-timeout", "10", "--jobs", "1"]) == 0
        return course, json.loads((course / "grades.json").read_text())
    finally:
        mp.undo()


@pytest.mark.parametrize("student", ["replayer", "module_swap", "capturer", "reader"])
def test_replaying_or_capturing_the_checks_earns_nothing(graded, student):
    _, res = graded
    assert res[student]["cells"]["test_double"]["score"] == 0.0, res[student]["cells"]["test_double"]
    assert res[student]["total"] <= 2.0


def test_the_hidden_cells_carry_no_expected_value_to_read(graded):
    course, _ = graded
    text = (course / "graded" / "reader" / ASSIGNMENT / NB).read_text()
    assert "SEEN []" in text


def test_a_mistake_in_one_exercise_is_charged_in_its_own_cell_only(graded):
    _, res = graded
    cells = res["wrong_double"]["cells"]
    assert (cells["test_double"]["score"], cells["test_sum"]["score"]) == (0.0, 2.0)
    assert res["capturer"]["cells"]["test_sum"]["score"] == 2.0


def _value_checks_without_expected(source: str) -> list[str]:
    """Problems in one hidden test: a check given an expected value, or a cell without a value check."""
    problems, kinds = [], []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                and node.func.value.id == "_ck" and node.func.attr in ("close", "equal", "shape", "true", "between"):
            kinds.append(node.func.attr)
            if node.func.attr in ("close", "equal", "shape") and len(node.args) > 2:
                problems.append(f"{node.func.attr} check at line {node.lineno} passes an expected value")
    if kinds and not {"close", "equal"} & set(kinds):
        problems.append("no value check (close/equal): shape, condition and range checks alone pay nothing")
    return problems


@pytest.mark.parametrize("path", sorted((REPO / "source").glob("*/*.ipynb")), ids=lambda p: p.parent.name)
def test_source_hidden_tests_hold_no_expected_values_and_have_a_value_check(path):
    nb = nbformat.read(str(path), as_version=4)
    problems = []
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        for hidden in regions.bodies(cell.source, "hidden", where=f"{path.name} cell {gid}") if cell.cell_type == "code" else []:
            problems += [f"{gid}: {p}" for p in _value_checks_without_expected(hidden)]
    assert problems == []
