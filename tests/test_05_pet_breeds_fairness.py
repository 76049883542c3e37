"""Chapter 5 fairness: each wrong answer costs points in its own cell only; the training check holds for any seed."""
import types

import nbformat
import pytest

from autograde import examples, regions
from autograde.compare import credit
from autograde.values import encode
from tests.grading import grade_examples
from tests.paths import REPO

ASSIGNMENT = "05_pet_breeds"
NOTEBOOK = REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"

# example -> the grade cells its wrong answers are in; every other cell must keep full marks
LOSES = {
    "example-partial": {"test_ex1_label", "test_ex2_log_softmax", "test_ex3_fine_tune"},
    "example-infinite-loop": {"test_ex3_lr"},
    "example-wrong-odd": {"test_ex1_label", "test_ex1_block", "test_ex2_log_softmax", "test_ex2_nll", "test_ex3_transfer",
                          "test_ex3_lr", "test_ex3_fine_tune"},
    "example-wrong-even": {"test_ex1_is_cat", "test_ex1_debug", "test_ex2_pick", "test_ex2_ce", "test_ex3_trainable",
                           "test_ex3_group_lrs", "test_ex3_train"},
}

# the exact score of each wrong cell: what the mistake costs, and no more
SCORES = {
    "example-wrong-odd": {"test_ex1_label": 2.25, "test_ex1_block": 3.0, "test_ex2_log_softmax": 2.0, "test_ex2_nll": 1.5,
                          "test_ex3_transfer": 2.625, "test_ex3_lr": 2.25, "test_ex3_fine_tune": 0.75},
    "example-wrong-even": {"test_ex1_is_cat": 0.4167, "test_ex1_debug": 2.0, "test_ex2_pick": 1.0, "test_ex2_ce": 2.5,
                           "test_ex3_trainable": 1.2, "test_ex3_group_lrs": 1.5, "test_ex3_train": 3.5},
}


def test_every_wrong_example_is_in_the_plan():
    plan = examples.plans()[ASSIGNMENT]
    assert set(LOSES) <= set(plan)
    for student, cells in LOSES.items():
        edited = {f"test_{e.grade_id}" for e in plan[student] if e.source is not None or student == "example-partial"}
        assert edited == cells, student


@pytest.fixture(scope="module")
def grades(tmp_path_factory):
    return grade_examples(tmp_path_factory, ASSIGNMENT, students=("example-wrong-odd", "example-wrong-even"))[1]


@pytest.mark.slow
@pytest.mark.parametrize("student", ["example-wrong-odd", "example-wrong-even"])
def test_each_wrong_answer_costs_points_in_its_own_cell_only(grades, student):
    cells = grades[student]["cells"]
    lost = {gid for gid, c in cells.items() if c["score"] < c["max"]}
    assert lost == LOSES[student], {gid: (cells[gid]["score"], cells[gid]["message"]) for gid in lost ^ LOSES[student]}
    for gid in LOSES[student]:  # a wrong answer is never charged everything for a slip elsewhere
        assert cells[gid]["status"] == "partial", (gid, cells[gid]["score"], cells[gid]["message"])
    assert {gid: round(cells[gid]["score"], 4) for gid in LOSES[student]} == SCORES[student]


# ---- exercise 4.6: its check re-runs the exercise's own cell on the check's loaders with a reference
# transfer_learner; the recorded schedule must not depend on the seed or on equivalent spellings.

def _cell(gid):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    return next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def _train_check_values(code: str) -> list:
    """The encoded values the grade cell of 4.6 records when the exercise's cell holds `code`."""
    import torch

    import autograde.checks as ck

    ns: dict = {}
    exec("from fastai.vision.all import *", ns)
    exec(_cell("kit_model"), ns)
    torch.manual_seed(0)
    ns["pretrained_body"] = {k: v.clone() for k, v in ns["tiny_body"]().state_dict().items()}
    ns["dev"] = torch.device("cpu")
    ns["get_ipython"] = lambda: types.SimpleNamespace(transform_cell=lambda s: s)
    hidden = regions.unwrap(_cell("test_ex3_train"), "hidden", where="test_ex3_train")
    ns["In"] = ["", code, _cell("check_ex3_train"), hidden]
    captured = []
    mp = pytest.MonkeyPatch()
    mp.setattr(ck, "grade", lambda *checks: captured.extend(checks))
    try:
        exec(hidden, ns)
    finally:
        mp.undo()
    values = []
    for check in captured:
        outcome = ck._call(check, 0)
        values.append((check.spec(), encode(outcome["value"]) if "value" in outcome else None))
    return values


def _credits(code: str, key: list) -> list:
    return [0.0 if got is None else credit(spec, got, want)[0] for (spec, got), (_, want) in zip(_train_check_values(code), key)]


_SOLUTION = regions.unwrap(_cell("ex3_train"), "solution", where="ex3_train")
_EQUIVALENT = {
    "lr_max= keyword": _SOLUTION.replace("learn.fit_one_cycle(2, 2e-2)", "learn.fit_one_cycle(2, lr_max=2e-2)"),
    "freeze_to(-1)": _SOLUTION.replace("learn.freeze()", "learn.freeze_to(-1)"),
    "positional slice": _SOLUTION.replace("lr_max=slice(2e-3, 2e-2)", "slice(2e-3, 2e-2)"),
    "freeze_to(2), unfreeze by freeze_to(0)": _SOLUTION.replace("learn.freeze()", "learn.freeze_to(2)").replace("learn.unfreeze()", "learn.freeze_to(0)"),
}


@pytest.mark.slow
def test_training_check_pays_the_solution_for_any_seed_and_equivalent_code():
    key = _train_check_values(_SOLUTION)
    assert all(want is not None for _, want in key)
    failures = {}
    for seed in range(10):
        code = _SOLUTION.replace("set_seed(42, reproducible=True)", f"set_seed({seed}, reproducible=True)")
        assert code != _SOLUTION or seed == 42
        got = _credits(code, key)
        if got != [1.0] * len(key):
            failures[f"seed {seed}"] = got
    for name, code in _EQUIVALENT.items():
        assert code != _SOLUTION, name
        got = _credits(code, key)
        if got != [1.0] * len(key):
            failures[name] = got
    assert not failures, failures


@pytest.mark.slow
def test_training_check_charges_each_part_of_the_schedule():
    key = _train_check_values(_SOLUTION)
    weights = [spec["weight"] for spec, _ in key]

    def score(code):
        return round(4 * sum(w * c for w, c in zip(weights, _credits(code, key))) / sum(weights), 4)

    assert score(_SOLUTION) == 4.0
    no_freeze = _SOLUTION.replace("learn.freeze()\n", "")
    assert score(no_freeze) == 3.5
    book = _SOLUTION.split("learn.freeze()")[0] + "learn.fit_one_cycle(3, 3e-3)\nlearn.unfreeze()\nlearn.fit_one_cycle(12, lr_max=slice(1e-6,1e-4))\n"
    assert score(book) == 1.0
    assert score(_SOLUTION.split("learn.freeze()")[0] + "learn.fine_tune(3)\n") == 1.5
    assert score(_SOLUTION.replace("slice(2e-3, 2e-2)", "2e-2")) == 2.75   # no discriminative rates
    assert score(_SOLUTION.split("learn.freeze()")[0] + "raise NotImplementedError()\n") == 0.0
