#!/usr/bin/env python3
"""Build the student wheel (`autograde-student`): only the modules release notebooks import.

    python scripts/build_student_wheel.py [--out DIR] [--release DIR]

The modules are found, not listed: every `autograde...` import in the code cells of release/*/*.ipynb,
then every `autograde` module those import, recursively. A module of the grader (GRADER_ONLY: the
questionnaire rubrics and engine, keys, example answers, the grading pipeline and sandbox) in that set
stops the build with an error, as does any non-Python file: students never receive a rubric, key or
model answer. Prints the wheel's path.
"""
from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = "autograde"
# Modules (or subpackages) that must never ship to students.
GRADER_ONLY = {"quiz", "keys", "examples", "example_plans", "grade", "nbsteps", "isolation", "sandbox", "sandbox_exec", "quizgrade",
               "intake", "course", "cli", "release", "report", "scoring", "leaks"}


class BuildError(RuntimeError):
    """The student wheel cannot be built as asked; the message says why."""


def _imports(tree: ast.AST, current: str) -> set[str]:
    """Dotted names of `autograde` modules imported anywhere in `tree` (module `current`, for relative imports)."""
    found = set()
    package = current.rsplit(".", 1)[0] if "." in current else current
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != PACKAGE:
                continue
            found.add(module)
            found.update(f"{module}.{a.name}" for a in node.names)  # `from autograde import data`
    return found


def notebook_imports(release: Path) -> set[str]:
    """`autograde` modules imported by the code cells of the release notebooks."""
    found = set()
    for path in sorted(release.glob("*/*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell.get("cell_type") != "code":
                continue
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            code = "\n".join("" if re.match(r"\s*[%!]", line) else line for line in source.splitlines())
            try:
                found |= _imports(ast.parse(code), "__main__")
            except SyntaxError:
                found |= {m for m in re.findall(r"\b(autograde(?:\.\w+)*)", code)}
    return found


def _file_of(module: str, root: Path) -> Path | None:
    parts = module.split(".")
    path = root.joinpath(*parts)
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return None  # a name imported from a module, not a module


def closure(modules: set[str], root: Path = REPO) -> dict[str, Path]:
    """module -> file for `modules`, the package's __init__, and everything they import from the package."""
    todo, files = sorted(modules | {PACKAGE}), {}
    while todo:
        module = todo.pop()
        path = _file_of(module, root)
        if path is None or module in files:
            continue
        files[module] = path
        todo += sorted(_imports(ast.parse(path.read_text(encoding="utf-8")), module if path.name != "__init__.py" else f"{module}.__init__") - set(files))
    return files


def select(release: Path = REPO / "release", root: Path = REPO) -> dict[str, Path]:
    """The modules of the student wheel; BuildError when one of them belongs to the grader."""
    files = closure(notebook_imports(release), root)
    banned = sorted(m for m in files if len(m.split(".")) > 1 and m.split(".")[1] in GRADER_ONLY)
    if banned:
        raise BuildError(f"release notebooks need grader-only modules {banned}; move what students need out of them")
    return files


def _version() -> str:
    match = re.search(r'^version\s*=\s*"([^"]+)"', (REPO / "pyproject.toml").read_text(encoding="utf-8"), re.M)
    if not match:
        raise BuildError("no version in pyproject.toml")
    return match.group(1)


def build(out: Path, release: Path = REPO / "release") -> Path:
    """Build the wheel into `out`; returns its path."""
    files = select(release)
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="autograde-student-") as tmp:
        tree = Path(tmp)
        for path in files.values():
            target = tree / path.relative_to(REPO)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        project = (REPO / "student" / "pyproject.toml").read_text(encoding="utf-8")
        project = re.sub(r'^version\s*=\s*"[^"]*".*$', f'version = "{_version()}"', project, count=1, flags=re.M)
        (tree / "pyproject.toml").write_text(project, encoding="utf-8")
        shutil.copyfile(REPO / "student" / "README.md", tree / "README.md")
        code = "import sys; from setuptools import build_meta as b; print(b.build_wheel(sys.argv[1]))"
        done = subprocess.run([sys.executable, "-c", code, str(out)], cwd=tree, capture_output=True, text=True)
        if done.returncode != 0:
            raise BuildError(f"setuptools failed:\n{done.stderr[-2000:]}")
        return out / done.stdout.strip().splitlines()[-1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / ".whl", help="folder for the wheel (default .whl/)")
    parser.add_argument("--release", type=Path, default=REPO / "release", help="release folder to scan (default release/)")
    args = parser.parse_args(argv)
    try:
        print(build(args.out, args.release))
    except BuildError as exc:
        print(f"build_student_wheel: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
