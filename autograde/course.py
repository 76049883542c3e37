"""The course folder: where it is, its nbgrader config, and an nbgrader API bound to it."""
from __future__ import annotations

import os
import sys
from pathlib import Path

CONFIG_FILE = "nbgrader_config.py"


class CourseError(RuntimeError):
    """The course folder or an assignment in it is missing or broken."""


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` (default: cwd) holding nbgrader_config.py."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    packaged = Path(__file__).resolve().parent.parent
    if (packaged / CONFIG_FILE).is_file():
        return packaged
    raise CourseError(f"no {CONFIG_FILE} found at or above {here}; run autograde inside the course folder")


def load_config(root: Path, **overrides):
    """nbgrader config from the course's nbgrader_config.py, with the root and `overrides` applied."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    extra = Config()
    for dotted, value in overrides.items():
        section, name = dotted.split(".")
        extra[section][name] = value
    config.merge(extra)
    return config


def _expose_environment_tools() -> None:
    """Put this interpreter's bin/ on PATH: nbgrader runs `alembic` and kernels from there."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def nbgrader_api(root: Path, **overrides):
    """An NbGraderAPI working on the course at `root`."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    _expose_environment_tools()
    config = load_config(root, **overrides)
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def assignments(root: Path) -> list[str]:
    """Assignment names: the folders of source/ that hold a notebook."""
    source = root / "source"
    return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb"))) if source.is_dir() else []


def check_assignment(root: Path, name: str) -> None:
    """Raise a CourseError naming the fix when `name` is not an assignment of this course."""
    known = assignments(root)
    if name not in known:
        raise CourseError(f"unknown assignment {name!r}; assignments in {root / 'source'}: {', '.join(known) or 'none'}")
