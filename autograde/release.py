"""source/ -> release/ (student stubs, via nbgrader) and solutions/ (worked solutions, no hidden tests)."""
from __future__ import annotations

from pathlib import Path

from . import course, notebooks, regions


def solution_notebook(nb, where: str):
    """The solutions version of a source notebook: answers kept, hidden tests and markers gone."""
    nb = notebooks.nbformat.from_dict(nb)
    for cell in nb.cells:
        label = f"{where}, cell {notebooks.grade_id(cell) or cell.get('id')}"
        text = regions.unwrap(cell.source, "solution", where=label)
        cell.source = regions.remove(text, "hidden", where=label)
        cell.metadata.pop("nbgrader", None)
    notebooks.clear_outputs(nb)
    return nb


def validate_source(path: Path) -> None:
    """Raise RegionError naming notebook and cell where BEGIN/END markers do not pair up."""
    nb = notebooks.read(path)
    for cell in nb.cells:
        for kind in regions.KINDS:
            regions.scan(cell.source, kind, where=f"{path}, cell {notebooks.grade_id(cell) or cell.get('id')}")


def _nbgrader_failure(result: dict) -> str:
    text = (result.get("error") or "") + "\n" + (result.get("log") or "")
    lines = [line for line in text.splitlines() if "ERROR" in line or "Error" in line]
    return "\n".join(lines[-5:]) or text.strip()[-800:]


def release(root: Path, names: list[str] | None = None) -> list[str]:
    """Build release/ and solutions/ for the named assignments (default: all); returns their names."""
    names = names or course.assignments(root)
    for name in names:
        course.check_assignment(root, name)
    with course.grading_lock(root):
        course.check_gradebook(root)
        return _release(root, names)


def _release(root: Path, names: list[str]) -> list[str]:
    api = course.nbgrader_api(root)
    for name in names:
        course.check_assignment(root, name)
        sources = sorted((root / "source" / name).glob("*.ipynb"))
        for path in sources:
            validate_source(path)
        result = api.generate_assignment(name, force=True, create=True)
        if not result["success"]:
            failure = _nbgrader_failure(result)
            if "there are submissions associated with it" in failure:
                raise course.CourseError(
                    f"{name}: the gradebook already holds graded submissions of this assignment, and the change adds or "
                    "removes cells, which would orphan their grades. Release it under a new assignment name, or remove "
                    f"those submissions first (`nbgrader db assignment remove {name} --force` deletes its grades)")
            raise course.CourseError(f"nbgrader could not release {name}:\n{failure}")
        for path in sources:
            solved = solution_notebook(notebooks.read(path), where=str(path.relative_to(root)))
            notebooks.write(solved, root / "solutions" / name / path.name)
    return names
