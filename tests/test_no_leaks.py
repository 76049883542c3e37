"""No solution, hidden-test or rubric text reaches release/ or solutions/ (feedback: the end-to-end tests)."""
import pytest

from autograde import course, leaks, notebooks
from autograde.quiz.rubric import chapters
from tests.paths import REPO


@pytest.mark.parametrize("assignment", course.assignments(REPO))
def test_release_holds_no_solution_or_hidden_test_text(assignment):
    for source in sorted((REPO / "source" / assignment).glob("*.ipynb")):
        secrets = leaks.secret_lines(source, "hidden") | leaks.secret_lines(source, "solution")
        assert secrets, f"{source} has no hidden tests or solutions to protect"
        assert leaks.find_leaks([REPO / "release" / assignment / source.name], secrets) == []


# Questionnaires have no hidden test cells (their rubric is checked below): nothing to look for in solutions/.
CODED = [a for a in course.assignments(REPO) if not a.endswith("_questionnaire")]


def test_every_coded_assignment_is_scanned():
    assert len(CODED) >= 4 and len(CODED) * 2 == len(course.assignments(REPO))


@pytest.mark.parametrize("assignment", CODED)
def test_solutions_hold_no_hidden_test_text(assignment):
    for source in sorted((REPO / "source" / assignment).glob("*.ipynb")):
        secrets = leaks.secret_lines(source, "hidden")
        assert secrets, f"{source} has no hidden tests to protect"
        assert leaks.find_leaks([REPO / "solutions" / assignment / source.name], secrets) == []


@pytest.mark.parametrize("chapter", chapters())
def test_questionnaire_release_holds_no_rubric_text(chapter):
    name = f"{chapter}_questionnaire"
    shown = leaks.visible_text(notebooks.read(REPO / "source" / name / f"{name}.ipynb"))  # e.g. given inputs
    released = sorted((REPO / "release" / name).glob("*.ipynb"))
    assert released, f"run `autograde questionnaire {chapter}` and `autograde release`"
    assert leaks.find_leaks(released, leaks.rubric_secrets(chapter, shown)) == []


@pytest.mark.parametrize("chapter", chapters())
def test_questionnaire_release_holds_no_rubric_phrasing_in_plain_words(chapter):
    """Every accepted phrasing, its syntax expanded ('grad*|slope @loss' -> 'grad loss', 'slope cost', ...)."""
    name = f"{chapter}_questionnaire"
    shown = leaks.visible_text(notebooks.read(REPO / "source" / name / f"{name}.ipynb"))
    expanded = leaks.rubric_expansions(chapter, shown)
    assert len(expanded) > 500, "the rubric's phrasings expand to far fewer word sequences than they should"
    assert leaks.find_leaks(sorted((REPO / "release" / name).glob("*.ipynb")), expanded, loose=True) == []


def test_the_scanner_finds_a_planted_leak(tmp_path):
    source = REPO / "source" / "04_mnist_basics" / "04_mnist_basics.ipynb"
    secret = sorted(leaks.secret_lines(source, "hidden"))[0]
    planted = tmp_path / "feedback.html"
    planted.write_text(f"<pre><span>{secret}</span></pre>")
    assert leaks.find_leaks([planted], {secret}) == [f"{planted}: {secret}"]
