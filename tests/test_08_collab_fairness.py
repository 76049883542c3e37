"""Chapter 8's hidden tests judge each exercise on its own code (issue 8).

Fast: each grade cell's checks are run in this process on the instructor's solution (the key) and on
typical wrong answers of real learners, and judged as the grader judges them. The example submissions
(`autograde/example_plans/ch08.py`) show the same through the whole grader in
tests/test_chapters_end_to_end.py: every wrong answer loses points in its own cell only.
"""
import ast
import builtins

import nbformat
import pytest

import autograde.checks as ck
from tests.paths import REPO

NOTEBOOK = REPO / "source" / "08_collab" / "08_collab.ipynb"
CELLS = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nbformat.read(str(NOTEBOOK), as_version=4).cells}
GRADE_CELLS = [g for g, c in CELLS.items() if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]
# What each grade cell may read from the notebook: its own exercise's names and the given cells' names.
OWN = {
    "test_ex1_load": {"load_ratings"}, "test_ex1_most": {"most_rated"}, "test_ex1_crosstab": {"rating_crosstab"},
    "test_ex2_lookup": {"lookup_by_matmul"}, "test_ex2_dot": {"DotProduct"}, "test_ex3_sigrange": {"my_sigmoid_range"},
    "test_ex3_bias": {"DotProductBias"}, "test_ex3_train": {"learn_nowd"}, "test_ex4_penalty": {"l2_penalty", "sgd_step_with_wd"},
    "test_ex4_train": {"sum_sq_weights", "learn_wd"}, "test_ex5_params": {"create_params"},
    "test_ex5_model": {"ScratchDotProductBias"}, "test_ex6_extreme": {"extreme_titles"}, "test_ex7_learner": {"learn_cl"},
    "test_ex7_similar": {"most_similar"}, "test_ex7_nn": {"CollabNN"}, "test_ex7_nn_train": {"learn_nn"},
}


def _free_names(source: str) -> set:
    tree = ast.parse(source)
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.Lambda)):
            args = node.args
            bound |= {a.arg for a in args.args + args.kwonlyargs + args.posonlyargs} | {a.arg for a in (args.vararg, args.kwarg) if a}
        if isinstance(node, ast.FunctionDef):
            bound.add(node.name)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return used - bound - set(dir(builtins))


def test_every_grade_cell_is_listed():
    assert sorted(GRADE_CELLS) == sorted(OWN)


@pytest.mark.parametrize("gid", sorted(OWN))
def test_grade_cell_reads_only_its_own_exercise(gid):
    """No check reads another exercise's function or a global that the student's pipeline produced."""
    assert _free_names(CELLS[gid].source) <= OWN[gid]


@pytest.mark.parametrize("gid", sorted(OWN))
def test_grade_cell_has_a_value_check_and_no_expected_values(gid):
    tree = ast.parse(CELLS[gid].source)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and isinstance(n.func.value, ast.Name) and n.func.value.id == "_ck"]
    kinds = [c.func.attr for c in calls]
    assert kinds.count("grade") == 1 and {"close", "equal"} & set(kinds)
    for call in calls:
        if call.func.attr in ("close", "equal", "shape"):
            assert len(call.args) == 2, ast.unparse(call)  # a name and what to call: never an expected value
        if call.func.attr == "close" and not any(k.arg == "rtol" for k in call.keywords):
            pytest.fail(f"{gid}: say rtol explicitly where an absolute tolerance is meant: {ast.unparse(call)}")


# ----------------------------------------------------------------------------------------------------
# The checks of one grade cell, run here on the key and on a wrong answer, judged as the grader does.

PRELUDE = "from fastai.collab import *\nfrom fastai.tabular.all import *\n"


@pytest.fixture(scope="module")
def fastai_names():
    namespace = {}
    exec(PRELUDE, namespace)
    return namespace


def _checks(gid: str, namespace: dict) -> list:
    captured = []
    original = ck.grade
    ck.grade = lambda *checks: captured.extend(checks)
    try:
        exec(CELLS[gid].source, namespace)
    finally:
        ck.grade = original
    return captured


def _namespace(fastai_names, *sources) -> dict:
    namespace = dict(fastai_names)
    for source in sources:
        exec(source, namespace)
    return namespace


def score(fastai_names, gid: str, student: str, *given: str) -> float:
    """Share of grade cell `gid` earned by the solution-cell code `student` (key: the instructor's solution)."""
    solution = CELLS[gid.replace("test_", "").replace("ex5_model", "ex5_params")].source
    key_checks = _checks(gid, _namespace(fastai_names, *given, solution))
    key = ck._run_all(key_checks, 20)
    assert all("value" in o for o in key), key
    outcomes = ck._run_all(_checks(gid, _namespace(fastai_names, *given, student)), 20)
    results = ck.verdicts([c.spec() for c in key_checks], outcomes, [o["value"] for o in key])
    return sum(r["weight"] * r["credit"] for r in results) / sum(r["weight"] for r in results)


CREATE_PARAMS = {
    "the book's": "nn.Parameter(torch.zeros(*size).normal_(0, 0.01))",
    "randn times 0.01": "nn.Parameter(torch.randn(*size) * 0.01)",
    "torch.normal": "nn.Parameter(torch.normal(0., 0.01, size=tuple(size)))",
    "nn.init.normal_": "nn.Parameter(nn.init.normal_(torch.empty(*size), std=0.01))",
}


@pytest.mark.parametrize("how", sorted(CREATE_PARAMS))
def test_create_params_any_correct_formulation_and_seed_earns_full_marks(fastai_names, how):
    """The statistic check fixes its own seed; whatever seed or formulation the student uses passes (20 seeds)."""
    for seed in range(20):
        student = f"import torch as _t\n_t.manual_seed({seed})\ndef create_params(size):\n    return {CREATE_PARAMS[how]}\n"
        assert score(fastai_names, "test_ex5_params", student) == 1.0, (how, seed)


@pytest.mark.parametrize("body, share", [
    ("nn.Parameter(torch.zeros(*size).normal_(0, 0.1))", 0.5),     # std 0.1: structure only
    ("nn.Parameter(torch.rand(*size) * 0.01)", 0.5),               # uniform
    ("torch.zeros(*size).normal_(0, 0.01)", 0.5),                  # a plain tensor: not a parameter
    ("nn.Parameter(torch.zeros(*size))", 0.5),                     # zeros
])
def test_create_params_mistakes(fastai_names, body, share):
    assert score(fastai_names, "test_ex5_params", f"def create_params(size):\n    return {body}\n") == share


SCRATCH_NO_CREATE_PARAMS = CELLS["ex5_params"].source.replace(
    "return nn.Parameter(torch.zeros(*size).normal_(0, 0.01))", "return torch.zeros(*size)")


def test_scratch_model_is_not_charged_for_create_params(fastai_names):
    assert score(fastai_names, "test_ex5_model", SCRATCH_NO_CREATE_PARAMS) == 1.0


@pytest.mark.parametrize("student, share", [
    ("def most_similar(factors, idx):\n    s = nn.CosineSimilarity(dim=1)(factors, factors[idx][None])\n    return s.argsort(descending=True)[1]", 0.5),
    ("def most_similar(factors, idx):\n    s = nn.CosineSimilarity(dim=1)(factors, factors[idx][None])\n    return int(s.argmax())", 0.0),
    ("def most_similar(factors, idx):\n    s = (factors @ factors[idx])\n    s[idx] = -1e9\n    return int(s.argmax())", 0.25),
])
def test_most_similar_mistakes(fastai_names, student, share):
    assert score(fastai_names, "test_ex7_similar", student) == share


@pytest.mark.parametrize("student, share", [
    ("def most_rated(ratings, col, n):\n    return ratings.groupby(col).size().sort_values(ascending=False, kind='stable').index.values[:n]", 0.625),
    ("def most_rated(ratings, col, n):\n    return ratings[col].value_counts().index[:n].tolist()", 0.75),   # ties 7 and 1 in order of appearance
    ("def most_rated(ratings, col, n):\n    print(ratings.groupby(col).size().sort_values(ascending=False, kind='stable').index[:n].tolist())", 0.0),
])
def test_most_rated_contracts(fastai_names, student, share):
    assert score(fastai_names, "test_ex1_most", student) == share


def test_sgd_step_that_changes_p_loses_only_that_part(fastai_names):
    student = CELLS["ex4_penalty"].source.replace("return p - lr * (grad + 2 * wd * p)", "p -= lr * (grad + 2 * wd * p)\n    return p")
    assert score(fastai_names, "test_ex4_penalty", student) == 0.875


def test_lookup_with_fastais_multi_hot(fastai_names):
    student = "def lookup_by_matmul(factors, idxs):\n    return factors.t() @ one_hot(idxs, factors.shape[0]).float()"
    assert 0 < score(fastai_names, "test_ex2_lookup", student) <= 0.25


def test_dot_product_with_sigmoid_range_keeps_the_embeddings_part(fastai_names):
    student = CELLS["ex2_dot"].source.replace("return (users * movies).sum(dim=1)", "return sigmoid_range((users * movies).sum(dim=1), 0, 5.5)")
    assert score(fastai_names, "test_ex2_dot", student) == 0.5


def test_dot_product_bias_shapes(fastai_names):
    keep = CELLS["ex3_bias"].source
    squeezed = keep.replace("res = (users * movies).sum(dim=1, keepdim=True)\n        res += self.user_bias(x[:, 0]) + self.movie_bias(x[:, 1])",
                            "res = (users * movies).sum(dim=1) + self.user_bias(x[:, 0]).squeeze(1) + self.movie_bias(x[:, 1]).squeeze(1)")
    assert squeezed != keep and score(fastai_names, "test_ex3_bias", squeezed) == 1.0   # (batch,) is accepted too
    broadcast = keep.replace("res = (users * movies).sum(dim=1, keepdim=True)\n        res += ", "res = (users * movies).sum(dim=1)\n        res = res + ")
    assert broadcast != keep and score(fastai_names, "test_ex3_bias", broadcast) == 0.5   # (batch, batch): the forward part is lost


def test_each_wrong_answer_of_the_examples_costs_points_in_its_own_cell_only():
    """The example plan and the exact scores of tests/test_chapters_end_to_end.py agree: a wrong answer in a
    solution cell loses points only in that cell's grade cells, and every wrong answer loses some."""
    from autograde.example_plans.ch08 import PLAN
    from tests.test_chapters_end_to_end import EXPECTED

    grade_cells = {gid[len("test_"):]: {gid} for gid in OWN}
    grade_cells["ex5_params"] = {"test_ex5_params", "test_ex5_model"}
    lost_by_example = EXPECTED["08_collab"][1]
    for example, edits in PLAN.items():
        if example in ("example-complete", "example-untouched"):
            continue
        lost = set(lost_by_example[example][1])
        owners = [grade_cells[edit.grade_id] for edit in edits]
        assert lost <= set().union(*owners), example
        assert all(cells & lost for cells in owners), example
