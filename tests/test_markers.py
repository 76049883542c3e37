"""The marker rule of tests/conftest.py names real modules, so a renamed module never leaves the quick lane slow."""
import ast

import pytest

from tests.conftest import SLOW_MODULES, SLOW_TESTS, SLOW_TIMEOUT, TESTS


@pytest.mark.parametrize("module", sorted(SLOW_MODULES))
def test_every_listed_slow_module_exists(module):
    assert (TESTS / f"{module}.py").is_file(), f"tests/conftest.py lists {module}, which no longer exists"


def test_slow_tests_get_the_generous_time_limit(request):
    assert SLOW_TIMEOUT >= 1800
    assert request.node.get_closest_marker("slow") is None  # this module is in the quick lane
    assert request.config.getini("timeout") == "300"


@pytest.mark.parametrize("name", sorted(SLOW_TESTS))
def test_every_listed_slow_test_exists(name):
    module, function = name.split("[")[0].split("::")
    path = TESTS / f"{module}.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert function in {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}, \
        f"tests/conftest.py lists {name}, which no longer exists"
