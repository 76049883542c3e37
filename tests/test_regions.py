import pytest

from autograde import regions

SRC = "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n# after"


def test_scan_finds_region_with_body_and_lines():
    (region,) = regions.scan(SRC, "solution")
    assert (region.begin, region.end) == (1, 3)
    assert region.body == ("    return x + 1",)


def test_unwrap_keeps_body_and_drops_markers():
    assert regions.unwrap(SRC, "solution") == "def f(x):\n    return x + 1\n# after"


def test_remove_drops_whole_region():
    assert regions.remove(SRC, "solution") == "def f(x):\n# after"


def test_hidden_and_solution_kinds_are_independent():
    src = "# visible\n### BEGIN HIDDEN TESTS\nsecret()\n### END HIDDEN TESTS"
    assert regions.scan(src, "solution") == []
    assert regions.bodies(src, "hidden") == ["secret()"]
    assert regions.remove(src, "hidden") == "# visible"


@pytest.mark.parametrize("src, words", [
    ("### BEGIN SOLUTION\nx = 1", "never closed"),
    ("x = 1\n### END SOLUTION", "never opened"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another"),
])
def test_unpaired_markers_name_the_place_and_the_fix(src, words):
    with pytest.raises(regions.RegionError) as err:
        regions.scan(src, "solution", where="nb.ipynb, cell ex1")
    assert "nb.ipynb, cell ex1" in str(err.value) and words in str(err.value)
    assert "###" in str(err.value)  # says which marker to add


def test_only_trailing_blank_lines_are_trimmed():
    """The rewrite trims newlines at the end, never the last characters of code (a source ending in X, or a blank)."""
    src = "A = 'X'\n### BEGIN SOLUTION\nB = 1\n### END SOLUTION\nC = MAX\n\n"
    assert regions.remove(src, "solution") == "A = 'X'\nC = MAX"
    assert regions.unwrap(src, "solution") == "A = 'X'\nB = 1\nC = MAX"
    assert regions.remove("x = 1 \n### BEGIN SOLUTION\n### END SOLUTION", "solution") == "x = 1 "
