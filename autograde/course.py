"""The course folder: where it is, its nbgrader config, and an nbgrader API bound to it."""
from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import sys
from pathlib import Path

CONFIG_FILE = "nbgrader_config.py"
GRADEBOOK = "gradebook.db"
STATE_DIR = ".grading"      # the grader's own state in the course folder: its lock and staging copies
LOCK_FILE = "lock"
SQLITE_BUSY_SECONDS = 300   # parallel workers share an SQLite gradebook: a writer waits this long for another


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

    _expose_environment_tools()
    config = PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    if not config.CourseDirectory.get("db_url"):  # nbgrader_config.py may name another database
        config.CourseDirectory.db_url = default_db_url(root)
    extra = Config()
    for dotted, value in overrides.items():
        section, name = dotted.split(".")
        extra[section][name] = value
    config.merge(extra)
    return config


def default_db_url(root: Path) -> str:
    """The course's own SQLite gradebook, with a busy timeout so that parallel writers wait rather than fail."""
    return f"sqlite:///{Path(root) / GRADEBOOK}?timeout={SQLITE_BUSY_SECONDS}"


def is_course_gradebook(root: Path, db_url: str | None) -> bool:
    """Does `db_url` name the course's own gradebook.db (the file check_gradebook inspects)?"""
    return not db_url or db_url.split("?", 1)[0] == f"sqlite:///{Path(root) / GRADEBOOK}"


def check_database(db_url: str) -> None:
    """Raise a CourseError naming the URL and the fix when a gradebook server cannot be reached."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    try:
        shown = make_url(db_url).render_as_string(hide_password=True)
        engine = create_engine(db_url)
    except (ArgumentError, ValueError) as exc:
        raise CourseError(f"--db {db_url!r} is not a database URL ({exc}); e.g. postgresql://USER@HOST/DBNAME") from None
    except ImportError as exc:
        raise CourseError(f"the driver for {db_url.split(':', 1)[0]} is not installed ({exc}); for PostgreSQL run "
                          "`pip install -e '.[postgres]'` (scripts/setup.sh does)") from None
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:300]
        raise CourseError(f"the gradebook database {shown} cannot be reached ({reason}); start the server, create the "
                          "database (e.g. `createdb DBNAME`) and check the user and password in --db") from None
    finally:
        engine.dispose()


def quiet_library_warnings() -> None:
    """Hide warnings from nbgrader's, nbformat's and SQLAlchemy's internals that say nothing to an instructor
    (the command line and every grading worker call this: a Dask worker process does not inherit the filters)."""
    import warnings

    warnings.filterwarnings("ignore", category=Warning, module=r"(nbgrader|nbformat|sqlalchemy)(\..*)?$")
    warnings.filterwarnings("ignore", category=FutureWarning)


def _expose_environment_tools() -> None:
    """Put this interpreter's bin/ on PATH: nbgrader runs `alembic` and kernels from there.

    Called before anything opens the gradebook (a new gradebook runs `alembic`), so that
    `.venv/bin/autograde` works without an activated environment."""
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


def feedback_api(root: Path, **overrides):
    """An nbgrader API whose feedback step copies no file of the submission: feedback/ gets the HTML only."""
    return nbgrader_api(root, **{**overrides, "CourseDirectory.ignore": ["*", ".*"]})


def assignments(root: Path) -> list[str]:
    """Assignment names: the folders of source/ that hold a notebook."""
    source = root / "source"
    return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb"))) if source.is_dir() else []


def check_assignment(root: Path, name: str) -> None:
    """Raise a CourseError naming the fix when `name` is not an assignment of this course."""
    known = assignments(root)
    if name not in known:
        raise CourseError(f"unknown assignment {name!r}; assignments in {root / 'source'}: {', '.join(known) or 'none'}")


def _gradebook_fix(path: Path) -> str:
    return (f"restore {path} from a backup (or from the copy of the last run, if you keep one); to start an empty "
            f"gradebook instead, move it away and run `autograde release` (every recorded grade is then lost)")


def check_gradebook(root: Path) -> None:
    """Raise a CourseError naming the file and the fix when the gradebook is empty, damaged or not writable.

    Nothing is changed: a bad gradebook is never recreated or overwritten. A missing one is fine (created)."""
    path = root / GRADEBOOK
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(st.st_mode):
        raise CourseError(f"{path} is not a regular file; move it away, then {_gradebook_fix(path)}")
    if st.st_size == 0:
        raise CourseError(f"{path} is empty (0 bytes): its grades are gone. Nothing was graded; {_gradebook_fix(path)}")
    try:
        with open(path, "rb") as handle:
            header = handle.read(16)
    except OSError as exc:
        raise CourseError(f"{path} cannot be read ({exc.strerror}); make it readable by the user running autograde") from None
    if header != b"SQLite format 3\0":
        raise CourseError(f"{path} is not an SQLite database (it was overwritten or truncated). Nothing was graded; "
                          f"{_gradebook_fix(path)}")
    # One write transaction, rolled back: it replays a journal left by an interrupted run, checks the pages,
    # and proves the file and its folder (the journal) are writable. Nothing is changed.
    try:
        with contextlib.closing(sqlite3.connect(str(path), timeout=30, isolation_level=None)) as db:
            db.execute("BEGIN IMMEDIATE")
            found = db.execute("PRAGMA quick_check").fetchall()
            if found == [("ok",)]:
                db.execute("CREATE TABLE autograde_write_probe (x INTEGER)")
            db.execute("ROLLBACK")
    except sqlite3.DatabaseError as exc:
        text = str(exc)
        if any(word in text for word in ("readonly", "read-only", "unable to open", "locked", "permission")):
            raise CourseError(f"{path} cannot be written ({text}). Nothing was graded; make the file and its folder "
                              f"writable by the user running autograde (e.g. `chmod u+w {path} {path.parent}`, "
                              f"`chattr -i {path}`), or stop the program holding it") from None
        found = [(text,)]
    if found != [("ok",)]:
        detail = "; ".join(str(row[0]) for row in found[:3])
        raise CourseError(f"{path} is damaged ({detail}). Nothing was graded; {_gradebook_fix(path)}")


_held: dict[Path, tuple[int, int]] = {}


@contextlib.contextmanager
def grading_lock(root: Path):
    """Hold the course's lock: one grading run at a time (a second one gets a CourseError saying why).

    Re-entrant within a process (grade() inside demo); released when the process ends, however it ends."""
    import fcntl

    root = Path(root).resolve()
    if root in _held:
        fd, depth = _held[root]
        _held[root] = (fd, depth + 1)
        try:
            yield
        finally:
            fd, depth = _held[root]
            _held[root] = (fd, depth - 1)
        return
    from .intake import clear_links

    state = clear_links(root, STATE_DIR)
    os.chmod(state, 0o700)
    path = state / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
        os.close(fd)
        raise CourseError(f"another autograde run is already working on this course ({holder}); wait for it to finish "
                          f"and run again (the lock is {path}; it is released when that run ends)") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()}".encode(), 0)
    _held[root] = (fd, 1)
    try:
        yield
    finally:
        del _held[root]
        os.ftruncate(fd, 0)
        os.close(fd)
