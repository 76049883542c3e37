"""release/, solutions/ and examples/ are committed: they must equal what the tools generate now."""
import shutil
from pathlib import Path

import pytest

from autograde import course, examples
from autograde.release import release
from tests.paths import REPO

ASSIGNMENTS = course.assignments(REPO)


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    root = tmp_path_factory.mktemp("regen")
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copytree(REPO / "source", root / "source")
    release(root)
    for name in examples.plans():
        examples.build(root, name)
    return root


def _files(root: Path, folder: str) -> dict:
    base = root / folder
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file() and ".ipynb_checkpoints" not in p.parts}


@pytest.mark.parametrize("folder", ["release", "solutions", "examples/submitted"])
def test_committed_copies_are_current(regenerated, folder):
    fresh, committed = _files(regenerated, folder), _files(REPO, folder)
    assert sorted(fresh) == sorted(committed), f"{folder}/ lists other files than the tools generate; run `autograde release` and `autograde examples`"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert stale == [], f"{folder}/ is stale ({stale}); run `autograde release` and `autograde examples` and commit"

