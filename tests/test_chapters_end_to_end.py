"""Chapters 5, 6 and 8 and the 5/6/8 questionnaires end to end: exact scores for the example submissions."""
import pytest

from autograde import leaks
from tests.grading import grade_examples
from tests.paths import REPO

# assignment -> (full marks, {student: (total, {grade_id: score} for the cells below full marks, status of those)})
EXPECTED = {
    "05_pet_breeds": (41.0, {
        "example-partial": (36.25, {"test_ex1_label": 2.25, "test_ex2_log_softmax": 2.0, "test_ex3_fine_tune": 0.0}),
        "example-infinite-loop": (38.0, {"test_ex3_lr": 0.0}),
    }),
    "06_multicat": (39.0, {
        "example-partial": (33.1, {"test_ex1_count": 0.6, "test_ex4_pixel_error": 0.5, "test_ex3_best": 0.0}),
        "example-infinite-loop": (36.0, {"test_ex4_ctr": 0.0}),
        "example-wrong-upstream": (32.05, {"test_ex1_count": 1.8, "test_ex1_getxy": 1.0, "test_ex2_acc_multi": 2.25, "test_ex4_ctr": 1.5,
                                           "test_ex4_sigmoid_range": 0.0, "test_ex4_pixel_error": 0.5}),
        "example-wrong-middle": (28.375, {"test_ex1_splitter": 0.0, "test_ex1_decode": 0.5, "test_ex2_bce": 0.0, "test_ex2_partial": 0.5,
                                          "test_ex3_learn": 2.0, "test_ex3_best": 1.5, "test_ex4_dblock": 1.875}),
        "example-wrong-downstream": (32.375, {"test_ex1_dblock": 2.5, "test_ex2_acc_multi": 2.25, "test_ex3_best": 1.125, "test_ex4_learn": 3.0,
                                              "test_ex4_pixel_error": 0.5}),
    }),
    "08_collab": (45.0, {
        "example-partial": (41.75, {"test_ex3_bias": 3.0, "test_ex4_penalty": 2.25, "test_ex6_extreme": 1.5}),
        "example-infinite-loop": (43.0, {"test_ex1_most": 0.0}),
        "example-typical-a": (29.3333, {"test_ex1_load": 0.0, "test_ex1_most": 1.25, "test_ex1_crosstab": 0.0, "test_ex2_lookup": 0.3333,
                                        "test_ex2_dot": 1.5, "test_ex3_sigrange": 0.0, "test_ex3_train": 1.0, "test_ex4_train": 2.25,
                                        "test_ex5_params": 1.0, "test_ex7_similar": 1.0, "test_ex7_nn_train": 1.0}),
        "example-typical-b": (37.625, {"test_ex3_bias": 2.0, "test_ex4_penalty": 2.625, "test_ex4_train": 2.5, "test_ex5_model": 2.0,
                                       "test_ex7_learner": 1.5, "test_ex7_nn": 2.0}),
    }),
}
QUESTIONNAIRES = ["05_questionnaire", "06_questionnaire", "08_questionnaire"]


@pytest.fixture(scope="module", params=list(EXPECTED) + QUESTIONNAIRES)
def graded(request, tmp_path_factory):
    return request.param, *grade_examples(tmp_path_factory, request.param)


def test_complete_gets_full_marks_and_untouched_zero(graded):
    assignment, _, res = graded
    complete, blank = res["example-complete"], res["example-untouched"]
    assert complete["total"] == complete["max"] and {c["status"] for c in complete["cells"].values()} == {"passed"}
    assert (blank["status"], blank["total"]) == ("graded", 0.0)
    assert {c["status"] for c in blank["cells"].values()} == {"failed"}
    if assignment in EXPECTED:
        assert complete["max"] == EXPECTED[assignment][0]


def test_partial_and_infinite_loop_get_their_exact_scores(graded):
    assignment, _, res = graded
    if assignment not in EXPECTED:
        pytest.skip("questionnaires have no partial example here")
    for student, (total, lost) in EXPECTED[assignment][1].items():
        got = {gid: round(c["score"], 4) for gid, c in res[student]["cells"].items() if c["score"] < c["max"]}
        assert got == lost, student
        assert res[student]["total"] == pytest.approx(total, abs=1e-3), student
    (hung,) = [gid for gid, score in EXPECTED[assignment][1]["example-infinite-loop"][1].items()]
    assert res["example-infinite-loop"]["cells"][hung]["status"] == "timeout"


def test_feedback_holds_no_hidden_test_or_rubric_text(graded):
    assignment, root, _ = graded
    source = next((REPO / "source" / assignment).glob("*.ipynb"))
    secrets = leaks.secret_lines(source, "hidden")
    if assignment in QUESTIONNAIRES:
        secrets |= leaks.rubric_phrasings(assignment[:2])
    assert leaks.find_leaks(sorted((root / "feedback").rglob("*.html")), secrets) == []


def test_a_duck_typed_submission_earns_at_most_one_percent(graded):
    assignment, _, res = graded
    if assignment not in EXPECTED:
        pytest.skip("questionnaires have no duck example")
    duck = res["example-duck"]
    assert duck["total"] <= 0.01 * duck["max"], {g: c["score"] for g, c in duck["cells"].items() if c["score"]}
