"""Chapter 6 fairness: each wrong answer costs points in its own cell only; checks hold for any seed."""

import nbformat
import pytest

from autograde import examples
from autograde.checks import RESULT_MIME
from autograde.compare import credit
from tests.grading import grade_examples
from tests.paths import REPO

ASSIGNMENT = "06_multicat"
NOTEBOOK = REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"

# example -> the grade cells its wrong answers are in; every other cell must keep full marks
LOSES = {
    "example-partial": {"test_ex1_count", "test_ex4_pixel_error", "test_ex3_best"},
    "example-wrong-upstream": {"test_ex1_count", "test_ex1_getxy", "test_ex2_acc_multi", "test_ex4_ctr",
                               "test_ex4_sigmoid_range", "test_ex4_pixel_error"},
    "example-wrong-middle": {"test_ex1_splitter", "test_ex1_decode", "test_ex2_bce", "test_ex2_partial",
                             "test_ex3_learn", "test_ex3_best", "test_ex4_dblock"},
    "example-wrong-downstream": {"test_ex1_dblock", "test_ex2_acc_multi", "test_ex3_best", "test_ex4_learn",
                                 "test_ex4_pixel_error"},
}


def test_every_wrong_example_is_in_the_plan():
    plan = examples.plans()[ASSIGNMENT]
    assert set(LOSES) <= set(plan)
    for student, cells in LOSES.items():
        edited = {f"test_{e.grade_id}" for e in plan[student]}
        assert edited == cells, student


@pytest.fixture(scope="module")
def grades(tmp_path_factory):
    return grade_examples(tmp_path_factory, ASSIGNMENT, students=sorted(LOSES))[1]


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(LOSES))
def test_each_wrong_answer_costs_points_in_its_own_cell_only(grades, student):
    cells = grades[student]["cells"]
    lost = {gid for gid, c in cells.items() if c["score"] < c["max"]}
    assert lost == LOSES[student], {gid: (cells[gid]["score"], cells[gid]["message"]) for gid in lost ^ LOSES[student]}
    for gid in LOSES[student]:  # a wrong answer is never charged everything for a slip elsewhere
        assert cells[gid]["status"] in ("partial", "failed"), gid


def _bundle(outputs) -> dict:
    (bundle,) = [o["data"][RESULT_MIME] for o in outputs if o.get("output_type") == "display_data" and RESULT_MIME in o.get("data", {})]
    return bundle


@pytest.mark.slow
def test_training_checks_pay_the_solution_for_any_seed(tmp_path, monkeypatch):
    """The solution's training cells, run with seeds 0..9, earn every check of their grade cells against the seed-42 key."""
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    monkeypatch.setenv("AUTOGRADE_RECORD", "1")
    monkeypatch.setenv("AUTOGRADE_CHECK_TIMEOUT", "120")
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    index = {c.metadata.get("nbgrader", {}).get("grade_id"): i for i, c in enumerate(nb.cells)}
    pairs = [("ex3_learn", "test_ex3_learn"), ("ex4_learn", "test_ex4_learn")]
    assert all("set_seed(42)" in nb.cells[index[a]].source for a, _ in pairs)
    failures = []
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            client.execute_cell(cell, i)
            test = cell.metadata.get("nbgrader", {}).get("grade_id")
            answer = dict((t, a) for a, t in pairs).get(test)
            if answer is None:
                continue
            key = _bundle(cell.outputs)["key"]  # seed 42, as `autograde keys` records it
            learn_cell = nb.cells[index[answer]]
            for seed in range(10):  # re-run the training with another seed, then this grade cell
                original = learn_cell.source
                learn_cell.source = original.replace("set_seed(42)", f"set_seed({seed})")
                client.execute_cell(learn_cell, index[answer])
                learn_cell.source = original
                client.execute_cell(cell, i)
                for spec, got in zip(key, _bundle(cell.outputs)["key"]):
                    share, message = credit(spec, got["expected"], spec["expected"])
                    if share < 1:
                        failures.append((seed, test, spec["name"], message))
    assert failures == []
