"""The marker rule of tests/conftest.py names real modules, so a renamed module never leaves the quick lane slow."""
import pytest

from tests.conftest import SLOW_MODULES, SLOW_TIMEOUT, TESTS


@pytest.mark.parametrize("module", sorted(SLOW_MODULES))
def test_every_listed_slow_module_exists(module):
    assert (TESTS / f"{module}.py").is_file(), f"tests/conftest.py lists {module}, which no longer exists"


def test_slow_tests_get_the_generous_time_limit(request):
    assert SLOW_TIMEOUT >= 1800
    assert request.node.get_closest_marker("slow") is None  # this module is in the quick lane
    assert request.config.getini("timeout") == "300"
