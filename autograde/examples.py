"""Example submissions built from the release: complete, untouched, partial, tampered, infinite loop."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import notebooks, regions

EXAMPLES_DIR = Path("examples") / "submitted"


@dataclass(frozen=True)
class Answer:
    """Replace the student's answer in solution cell `grade_id` with `source` (None: leave the stub)."""

    grade_id: str
    source: str | None = None


@dataclass(frozen=True)
class Patch:
    """In the solution of answer cell `grade_id`, replace the text `old` by `new` (a one-line slip)."""

    grade_id: str
    old: str
    new: str


@dataclass(frozen=True)
class EditTest:
    """Overwrite grade cell `grade_id` with `source`, or delete it when `source` is None."""

    grade_id: str
    source: str | None = None


@dataclass(frozen=True)
class DuckAll:
    """Every answer cell defines its names as duck-typed objects that claim to be anything (a hostile example)."""


DUCK = '''class _Duck:
    """An object that says yes to everything: equal to all, any shape, callable, indexable, truthy."""
    shape = (1,)
    def __getattr__(self, name): return _Duck()
    def __call__(self, *a, **k): return _Duck()
    def __getitem__(self, key): return _Duck()
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __lt__ = __le__ = __gt__ = __ge__ = __eq__
    __hash__ = object.__hash__
    def __bool__(self): return True
    def __len__(self): return 1
    def __iter__(self): return iter([_Duck()])
    def __float__(self): return 1.0
    def __int__(self): return 1
    __index__ = __int__
    def __add__(self, other): return self
    __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = __pow__ = __matmul__ = __rmatmul__ = __add__
    def __neg__(self): return self
    def __repr__(self): return "1.0"
'''


def _defined_names(source: str) -> list[str]:
    """Top-level names a solution cell defines (functions, classes, assigned names)."""
    import ast

    names = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names += [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
    return list(dict.fromkeys(names))


def _ducks(nb, source_nb):
    """Replace every answer cell by duck-typed objects under the names its solution defines."""
    answers = {notebooks.grade_id(c): c.source for c in source_nb.cells if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in nb.cells:
        gid = notebooks.grade_id(cell)
        if gid in answers and cell.cell_type == "code":
            names = _defined_names(regions.unwrap(answers[gid], "solution", where=f"source cell {gid}"))
            cell.source = DUCK + "\n".join(f"{n} = _Duck()" for n in names)
    return nb


def _chapter_plans() -> dict:
    from .example_plans import ch04, ch05, ch06, ch08

    chapters = {"04_mnist_basics": ch04.PLAN, "05_pet_breeds": ch05.PLAN, "06_multicat": ch06.PLAN, "08_collab": ch08.PLAN}
    return {name: {**plan, "example-duck": [DuckAll()]} for name, plan in chapters.items()}


# Every example starts from the complete (correct) submission unless it is "untouched" (None).
QUESTIONNAIRE_PLANS = {
    **{f"{ch}_questionnaire": {"example-complete": [], "example-untouched": None} for ch in ("05", "06", "08")},
    "04_questionnaire": {
        "example-complete": [],
        "example-untouched": None,
        # Real-looking answers of varied quality: paraphrase, partial, wrong, wrong code, key-word list,
        # another language (sent to review), and an infinite loop in a code answer.
        "example-mixed": [
            Answer("q04_01", "as arrays of pixel values. a black and white picture has a single channel with "
                             "brightness from 0-255; a colour picture stores three channels, RGB."),
            Answer("q04_03", "It compares the image to the average 3 and 7."),
            Answer("q04_07", "RMSE is the average of the errors and L1 norm is the biggest error."),
            Answer("q04_09", "t = torch.tensor([[1,2,3],[4,5,6],[7,8,9]]) * 2\nt[:2, :2]"),
            Answer("q04_20", "gradient, accuracy, zero, loss"),
            Answer("q04_22", "La perte sert à entraîner le modèle avec ses gradients, la métrique sert aux humains "
                             "pour juger la qualité du modèle."),
            Answer("q04_26", "def pair_up(a, b):\n    while True:\n        pass\npair_up([1, 2, 3, 4], 'abcd')"),
        ],
    },
}


def _complete(release_nb, source_nb):
    answers = {notebooks.grade_id(c): c.source for c in source_nb.cells if c.metadata.get("nbgrader", {}).get("solution")}
    nb = notebooks.nbformat.from_dict(release_nb)
    for cell in nb.cells:
        gid = notebooks.grade_id(cell)
        if cell.metadata.get("nbgrader", {}).get("solution") and gid in answers:
            cell.source = regions.unwrap(answers[gid], "solution", where=f"source cell {gid}")
    return nb


def _apply(nb, release_nb, edits):
    stubs = {notebooks.grade_id(c): c.source for c in release_nb.cells}
    for edit in edits:
        index = next((i for i, c in enumerate(nb.cells) if notebooks.grade_id(c) == edit.grade_id), None)
        if index is None:
            raise KeyError(f"example edit names grade_id {edit.grade_id!r}, which the notebook lacks")
        if isinstance(edit, Answer):
            nb.cells[index].source = stubs[edit.grade_id] if edit.source is None else edit.source
        elif isinstance(edit, Patch):
            if edit.old not in nb.cells[index].source:
                raise KeyError(f"example patch of {edit.grade_id!r}: {edit.old!r} is not in its solution")
            nb.cells[index].source = nb.cells[index].source.replace(edit.old, edit.new)
        elif edit.source is None:
            del nb.cells[index]
        else:
            nb.cells[index].source = edit.source
    return nb


def plans() -> dict:
    """assignment -> {student: edits (None: the untouched release)} for every example submission."""
    return {**_chapter_plans(), **QUESTIONNAIRE_PLANS}


def build(root: Path, assignment: str, dest: Path | None = None) -> list[Path]:
    """Write the example submissions of `assignment` under dest/<student>/<assignment>/; returns paths."""
    dest = dest or root / EXAMPLES_DIR
    written = []
    for path in sorted((root / "release" / assignment).glob("*.ipynb")):
        release_nb = notebooks.read(path)
        source_nb = notebooks.read(root / "source" / assignment / path.name)
        for student, edits in plans().get(assignment, {}).items():
            if edits is None:
                nb = notebooks.nbformat.from_dict(release_nb)
            elif any(isinstance(e, DuckAll) for e in edits):
                nb = _ducks(notebooks.nbformat.from_dict(release_nb), source_nb)
            else:
                nb = _apply(_complete(release_nb, source_nb), release_nb, edits)
            out = dest / student / assignment / path.name
            notebooks.write(nb, out)
            written.append(out)
    return written
