"""Chapter 4 fairness, statically and on the data: each grade cell judges its own exercise.

- A reference version or rebound global (`_ck.given(globals(), name=...)`) only stands for something the
  notebook defines before the grade cell under test (an earlier exercise's answer, already graded, or a
  locked given cell), so capturing it cannot help a student pass the exercise it stands for. The one
  exception is a do-nothing spy for a part of the same exercise (it records calls, returns nothing useful).
- No definition a stub needs reads another exercise's global when it is defined (`def f(dl=dl)` works
  because a locked cell binds placeholders first), and given prerequisites such as `lr` live in locked cells.
- The offline stand-in has MNIST_SAMPLE's layout and sizes, and is deterministic.
"""
import ast
import re

import nbformat
import pytest

from autograde import regions
from tests.paths import REPO

NB = REPO / "source" / "04_mnist_basics" / "04_mnist_basics.ipynb"
SPIES = {("test_ex7_train", "train_epoch_opt")}  # records the calls train_model makes; no reference behaviour


def _cells():
    nb = nbformat.read(str(NB), as_version=4)
    return [(c, c.metadata.get("nbgrader", {})) for c in nb.cells]


def _defined(source: str) -> set:
    names = set()
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return names
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                for n in ast.walk(target):
                    if isinstance(n, ast.Name):
                        names.add(n.id)
    return names


def _given_names(source: str) -> set:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "given":
            names |= {kw.arg for kw in node.keywords if kw.arg}
    return names


def test_reference_versions_only_stand_for_what_comes_before_the_cell_under_test():
    cells = _cells()
    grade_index = {meta["grade_id"]: i for i, (c, meta) in enumerate(cells) if meta.get("grade")}
    first_definition = {}
    for i, (cell, meta) in enumerate(cells):
        if cell.cell_type != "code" or meta.get("grade"):
            continue
        for name in _defined(cell.source):
            first_definition.setdefault(name, (i, meta))
    problems = []
    for gid, index in grade_index.items():
        body = "\n".join(regions.bodies(cells[index][0].source, "hidden", where=gid))
        for name in _given_names(body):
            if (gid, name) in SPIES:
                continue
            where, meta = first_definition.get(name, (None, {}))
            if where is None or where > index:
                problems.append(f"{gid} gives {name!r}, which nothing defines before it")
            elif meta.get("solution") and grade_index.get(f"test_{meta['grade_id']}", -1) >= index:
                problems.append(f"{gid} gives {name!r}, the answer of {meta['grade_id']}, not graded before it")
    assert problems == []


def test_lr_and_the_loaders_are_bound_in_locked_cells_before_they_are_needed():
    cells = _cells()
    locked = [(i, c.source) for i, (c, m) in enumerate(cells) if m.get("locked") and not m.get("grade") and c.cell_type == "code"]
    first_use = next(i for i, (c, m) in enumerate(cells) if m.get("grade_id") == "ex6_epoch")
    assert any(i < first_use and s.startswith("dl = valid_dl = None") for i, s in locked)
    basic = next(c.source for c, m in cells if m.get("grade_id") == "run_basic_optim")
    assert re.search(r"^lr = 1\.$", basic, re.M)


def test_stubs_are_definable_when_earlier_exercises_are_missing(tmp_path):
    """Run only the locked cells and the release stubs' def lines: every def of the release can be made."""
    release = nbformat.read(str(REPO / "release" / "04_mnist_basics" / "04_mnist_basics.ipynb"), as_version=4)
    namespace = {"dl": None, "valid_dl": None}  # what the locked placeholder cell binds
    for cell in release.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("solution"):
            continue
        tree = ast.parse(cell.source)
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                for default in getattr(node.args, "defaults", []) if isinstance(node, ast.FunctionDef) else []:
                    if isinstance(default, ast.Name):
                        assert default.id in namespace or default.id in {"time", "speed"}, (meta["grade_id"], default.id)


@pytest.mark.slow
def test_the_offline_stand_in_has_mnist_samples_layout_and_is_deterministic(tmp_path):
    import hashlib

    from autograde.data import MNIST_COUNTS, build_mnist_standin

    digests = []
    for run in ("a", "b"):
        root = build_mnist_standin(tmp_path / run)
        for (split, digit), count in MNIST_COUNTS.items():
            assert len(list((root / split / str(digit)).glob("*.png"))) == count
        lines = (root / "labels.csv").read_text().splitlines()
        assert lines[0] == "name,label" and len(lines) == 1 + sum(MNIST_COUNTS.values())
        digests.append(hashlib.sha256(b"".join((root / "valid" / "7" / f"{i}.png").read_bytes() for i in range(50))).hexdigest())
    assert digests[0] == digests[1]
    from PIL import Image
    img = Image.open(tmp_path / "a" / "train" / "3" / "0.png")
    assert img.size == (28, 28) and img.mode == "L"
