"""Submissions are data, never paths to follow.

The grader runs as root and a submission folder is written by a student, so nothing in it is trusted:
* a student folder must have a plain name (STUDENT_ID: letters, digits, `_ . @ -`; no glob or shell
  characters, no spaces, no `/`, not `.`/`..`), and it and its assignment folder must be real folders;
* every entry is examined with lstat and opened relative to its parent folder's descriptor with
  O_NOFOLLOW, so a symbolic link (to another student's work, to `keys/`, to a root-only file) or a
  special file (fifo, socket, device) refuses the submission with a reason naming the entry, and its
  target is never read;
* what passes is copied into a private staging folder of the grader; nbgrader and the sandbox only
  ever see that copy. Files larger than the size limit are left out with a note.

Writes of the grader after student code ran go through `write_private` (a fresh temporary file,
then os.replace: a planted link is replaced, never followed) into folders checked by
`clear_links` (no link anywhere between the course root and the file).
"""
from __future__ import annotations

import errno
import fnmatch
import os
import re
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

STUDENT_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,127}")
MAX_ENTRIES = 2000          # files and folders in one submission
MAX_DEPTH = 8               # folder nesting below the assignment folder
MAX_TOTAL_BYTES = 1 << 30   # everything copied from one submission
_CHUNK = 1 << 20
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


class Refused(Exception):
    """The submission cannot be graded; str(exc) is the reason, naming the entry (never its content)."""


@dataclass
class Staged:
    """A submission copied into the grader's staging folder."""

    path: Path                                       # <staging>/<student>/<assignment>
    notes: list[str] = field(default_factory=list)   # what was renamed or left out, for the report


def id_problem(name: str) -> str | None:
    """Why `name` cannot be a student id (None when it can)."""
    if STUDENT_ID.fullmatch(name):
        return None
    return (f"the folder name {name!r} is not a valid student id: use letters, digits and _ . @ - only "
            "(no spaces, slashes, glob or shell characters), starting with a letter, digit or _")


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a named pipe (fifo)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    return "not a regular file"


def find(folder: Path, assignment: str) -> tuple[list[str], dict[str, str]]:
    """(student ids with a `<folder>/<id>/<assignment>/` folder, {entry name: why it is refused}).

    Entries without the assignment are not submissions of it and are ignored silently."""
    students, refused = [], {}
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISLNK(st.st_mode):
                if os.path.lexists(os.path.join(folder, name, assignment)):
                    refused[name] = f"{name} is a symbolic link, not the student's own folder; submissions are never followed through links"
                continue
            if not stat.S_ISDIR(st.st_mode):
                continue
            try:
                inner = os.stat(os.path.join(folder, name, assignment), follow_symlinks=False)
            except OSError:
                continue
            problem = id_problem(name)
            if problem:
                refused[name] = problem
            elif stat.S_ISLNK(inner.st_mode):
                refused[name] = f"{name}/{assignment} is a symbolic link, not the student's own folder; submissions are never followed through links"
            elif not stat.S_ISDIR(inner.st_mode):
                refused[name] = f"{name}/{assignment} is {_kind(inner.st_mode)}, not a folder"
            else:
                students.append(name)
    return sorted(students), refused


def _open_dir(name: str, dir_fd: int | None, shown: str) -> int:
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            try:
                mode = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
            except OSError:
                mode = 0
            raise Refused(f"{shown} is {_kind(mode)}, not a folder; submissions are never followed through links") from None
        raise Refused(f"{shown} cannot be opened ({os.strerror(exc.errno)})") from None


class _Copier:
    def __init__(self, max_file_bytes: int, ignore: list[str]):
        self.max_file_bytes = max_file_bytes
        self.ignore = ignore
        self.entries = 0
        self.total = 0
        self.notes: list[str] = []

    def tree(self, src_fd: int, dest: Path, shown: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise Refused(f"{shown} is nested more than {MAX_DEPTH} folders deep")
        dest.mkdir(mode=0o755, exist_ok=True)
        with os.scandir(src_fd) as it:
            names = sorted(e.name for e in it)
        for name in names:
            rel = f"{shown}/{name}"
            if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
                raise Refused(f"{shown}/{name!r}: a file name with control characters; rename it")
            if any(fnmatch.fnmatch(name, pattern) for pattern in self.ignore):
                continue
            self.entries += 1
            if self.entries > MAX_ENTRIES:
                raise Refused(f"{shown} holds more than {MAX_ENTRIES} files and folders")
            try:
                st = os.stat(name, dir_fd=src_fd, follow_symlinks=False)
            except OSError:
                continue  # vanished meanwhile
            if stat.S_ISDIR(st.st_mode):
                fd = _open_dir(name, src_fd, rel)
                try:
                    self.tree(fd, dest / name, rel, depth + 1)
                finally:
                    os.close(fd)
            elif stat.S_ISREG(st.st_mode):
                self.file(src_fd, name, dest / name, rel)
            else:
                raise Refused(f"{rel} is {_kind(st.st_mode)}; submit regular files only (links are never followed)")

    def file(self, src_fd: int, name: str, dest: Path, rel: str) -> None:
        try:
            fd = os.open(name, _FILE_FLAGS, dir_fd=src_fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise Refused(f"{rel} is a symbolic link; submit the file itself (links are never followed)") from None
            raise Refused(f"{rel} cannot be read ({os.strerror(exc.errno)})") from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):  # swapped between lstat and open
                raise Refused(f"{rel} is {_kind(st.st_mode)}; submit regular files only")
            limit = self.max_file_bytes
            if st.st_size > limit:
                self.notes.append(f"left out {rel} ({st.st_size / 1e6:.0f} MB, over the {limit / 1e6:.0f} MB limit per file)")
                return
            if self.total + st.st_size > MAX_TOTAL_BYTES:
                self.notes.append(f"left out {rel}: the submission is over {MAX_TOTAL_BYTES >> 20} MB in all")
                return
            out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            copied = 0
            try:
                while chunk := os.read(fd, _CHUNK):
                    copied += len(chunk)
                    if copied > limit:
                        raise Refused(f"{rel} grew while it was copied")
                    os.write(out, chunk)
            finally:
                os.close(out)
            self.total += copied
        finally:
            os.close(fd)


def stage(folder: Path, student: str, assignment: str, staging: Path, expected: list[str],
          max_file_bytes: int, ignore: list[str]) -> Staged:
    """Copy `<folder>/<student>/<assignment>/` into `<staging>/<student>/<assignment>/` as plain data.

    Raises Refused naming the entry when the submission holds links, special files or bad names. A
    missing released notebook is taken from the one other top-level .ipynb, when there is exactly one."""
    problem = id_problem(student)
    if problem:
        raise Refused(problem)
    dest = staging / student / assignment
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    copier = _Copier(max_file_bytes, ignore)
    top = _open_dir(str(folder), None, str(folder))
    try:
        student_fd = _open_dir(student, top, student)
        try:
            assignment_fd = _open_dir(assignment, student_fd, f"{student}/{assignment}")
            try:
                copier.tree(assignment_fd, dest, f"{student}/{assignment}", 0)
            finally:
                os.close(assignment_fd)
        finally:
            os.close(student_fd)
    finally:
        os.close(top)
    staged = Staged(dest, copier.notes)
    _adopt_renamed(staged, student, assignment, expected)
    return staged


def _adopt_renamed(staged: Staged, student: str, assignment: str, expected: list[str]) -> None:
    """A renamed download (`toy (1).ipynb`) stands in for the one missing released notebook."""
    present = {p.name for p in staged.path.glob("*.ipynb") if p.is_file()}
    missing = [name for name in expected if name not in present]
    others = sorted(present - set(expected))
    if len(missing) == 1 and len(others) == 1:
        (staged.path / others[0]).rename(staged.path / missing[0])
        staged.notes.insert(0, f"graded {others[0]} as {missing[0]} (the released name was missing)")
    elif missing and others:
        staged.notes.insert(0, f"{', '.join(missing)} missing; also found {', '.join(others)}: rename the one to grade")


def check_in_place(folder: Path, ignore: list[str] = (".ipynb_checkpoints", "__pycache__", "*.pyc")) -> None:
    """Raise Refused when a submission folder (or its student folder) is a link or holds a link or special file.

    For nbgrader's own commands (the formgrader's Autograde button), which copy `submitted/` themselves;
    `autograde grade` stages a checked copy instead (`stage`)."""
    folder = Path(folder)
    for path in (folder.parent, folder):
        mode = os.lstat(path).st_mode
        if not stat.S_ISDIR(mode):
            raise Refused(f"{path.name} is {_kind(mode)}, not a folder; submissions are never followed through links")
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = [d for d in dirnames if not any(fnmatch.fnmatch(d, g) for g in ignore)]
        for name in dirnames + filenames:
            if any(fnmatch.fnmatch(name, g) for g in ignore):
                continue
            mode = os.lstat(os.path.join(dirpath, name)).st_mode
            if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                rel = os.path.relpath(os.path.join(dirpath, name), folder.parent.parent)
                raise Refused(f"{rel} is {_kind(mode)}; submit regular files only (links are never followed)")


# ------------------------------------------------------------------------------------------------
# the grader's own writes


def clear_links(root: Path, *parts: str) -> Path:
    """`root/parts...` as real folders: any symbolic link or non-folder on the way is removed, then the
    folders are created. Only for the grader's own output areas (graded/, feedback/, its state)."""
    path = Path(root)
    for part in parts:
        if part in ("", ".", "..") or "/" in part:
            raise ValueError(f"{part!r} is not a plain folder name")
        path = path / part
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            path.mkdir(mode=0o755)
            continue
        if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
            path.unlink()
            path.mkdir(mode=0o755)
    return path


def write_private(path: Path, data: bytes | str, mode: int = 0o644) -> None:
    """Write a file without following links: a fresh temporary file beside it, then os.replace.

    Whatever stood at `path` (a planted link included) is replaced, never written through."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    parent = Path(path).parent
    tmp = parent / f".{Path(path).name}.{os.getpid()}.tmp"
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
    os.replace(tmp, path)


def read_private(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file at `path` (no link followed, at most `limit` bytes), else None."""
    try:
        fd = os.open(path, _FILE_FLAGS)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        chunks, size = [], 0
        while chunk := os.read(fd, _CHUNK):
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
