"""No solution or hidden-test text reaches release/ or solutions/ (feedback is checked in the end-to-end test)."""
import pytest

from autograde import course, leaks
from tests.paths import REPO


@pytest.mark.parametrize("assignment", course.assignments(REPO))
def test_release_holds_no_solution_or_hidden_test_text(assignment):
    for source in sorted((REPO / "source" / assignment).glob("*.ipynb")):
        secrets = leaks.secret_lines(source, "hidden") | leaks.secret_lines(source, "solution")
        assert secrets, f"{source} has no hidden tests or solutions to protect"
        assert leaks.find_leaks([REPO / "release" / assignment / source.name], secrets) == []


@pytest.mark.parametrize("assignment", course.assignments(REPO))
def test_solutions_hold_no_hidden_test_text(assignment):
    for source in sorted((REPO / "source" / assignment).glob("*.ipynb")):
        secrets = leaks.secret_lines(source, "hidden")
        assert secrets
        assert leaks.find_leaks([REPO / "solutions" / assignment / source.name], secrets) == []


def test_the_scanner_finds_a_planted_leak(tmp_path):
    source = next((REPO / "source").glob("*/*.ipynb"))
    secret = sorted(leaks.secret_lines(source, "hidden"))[0]
    planted = tmp_path / "feedback.html"
    planted.write_text(f"<pre><span>{secret}</span></pre>")
    assert leaks.find_leaks([planted], {secret}) == [f"{planted}: {secret}"]
