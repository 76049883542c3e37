"""Shared test setup: offline data, strict checks outside grading, paths to the repo and book data, and the
markers that split the quick lane (`pytest -m "not slow"`) from the rest, with per-test time limits."""
import os
import sys
from pathlib import Path

import pytest

from tests.paths import SHARED_DATA

# Kernels started by tests (nbval, grading) inherit these: no network probe, strict checks.
os.environ.setdefault("AUTOGRADE_OFFLINE", "1")
os.environ.pop("AUTOGRADE_GRADING", None)
# nbgrader runs `alembic` and kernels from this interpreter's bin/.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")


@pytest.fixture(scope="session")
def shared_data():
    """The real book data beside the checkout; tests using it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is absent (real book data is only for fidelity checks)")
    return SHARED_DATA


# Markers are applied here, from one rule, so no test has to remember them (issue 12):
# - slow: executes notebooks (nbval items, end-to-end grading, fidelity) or grades through the sandbox.
# - shared_data: reads the real book data beside the checkout (uses the `shared_data` fixture).
# - browser: drives a browser (a `browser` or `page` fixture, or a module listed below).
TESTS = Path(__file__).resolve().parent
SLOW_MODULES = {  # paths under tests/, without .py
    "test_ch4_end_to_end", "test_ch4_fidelity", "test_chapters_end_to_end", "test_questionnaire_end_to_end",
    "test_hostile", "test_hostile_replay", "test_hostile_quiz", "test_pipeline", "test_committed_artifacts",
    "test_sandbox", "test_06_multicat_fairness", "quiz/test_code",
}
SLOW_FIXTURES = {"graded", "grades", "course", "batch", "fidelity", "figures",  # fixtures that grade or execute notebooks
                 "book_grades",
                 "with_model"}  # loads the sentence-embedding model (tens of seconds on a busy machine)
SLOW_TESTS = {  # single tests ("module::function") that run every code answer of a chapter through the sandbox
    "test_questionnaires::test_every_model_answer_is_correct_with_full_points",
    "quiz/test_rubrics_05_06_08::test_model_answers_score_correct",
    "quiz/test_design::test_adversarial_forms_never_correct[with_model]",  # loads the sentence model by name
}
BROWSER_MODULES: set = set()
BROWSER_FIXTURES = {"browser", "page"}

# pytest-timeout guards against hangs only; limits are generous so machine load never decides a result.
# The ini default (pyproject.toml) is 300 s; a slow test gets 1800 s: its module-scoped fixture may grade
# every example submission of a chapter (minutes on an idle machine, several times that on a busy one).
SLOW_TIMEOUT = 1800


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = Path(str(item.fspath)).resolve()
        module = path.relative_to(TESTS).with_suffix("").as_posix() if path.is_relative_to(TESTS) else path.name
        fixtures = set(getattr(item, "fixturenames", ()))
        names = {f"{module}::{item.name}", f"{module}::{getattr(item, 'originalname', item.name)}"}
        if path.suffix == ".ipynb" or module in SLOW_MODULES or fixtures & SLOW_FIXTURES or names & SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
        if "shared_data" in fixtures:
            item.add_marker(pytest.mark.shared_data)
        if module in BROWSER_MODULES or fixtures & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT))
