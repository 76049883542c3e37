"""Hostile files and faults: submissions are data, the grader's writes follow no link, the gradebook is guarded,
one run at a time, stuck kernels cost their own cell, and the wheels ship what they should (issue 13)."""
import fcntl
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograde import course, intake, sandbox
from autograde.cli import main
from tests.paths import REPO
from tests.toy_course import ASSIGNMENT, make_course, submission

NB = f"{ASSIGNMENT}.ipynb"
RIGHT = {"ex_double": "def double(x):\n    return 2 * x", "ex_mean": "def mean_rows(t):\n    return t.mean(-1)"}
SECRET = "TOP-SECRET-4f1c9e-do-not-leak"
needs_sandbox = pytest.mark.skipif(not sandbox.available()[0], reason=f"sandbox unavailable: {sandbox.available()[1]}")


def _secret_file(tmp: Path) -> Path:
    """A root-only host file (mode 600) outside every submission."""
    path = tmp / "host-secret.txt"
    path.write_text(SECRET + "\n" + '{"cells": []}')
    path.chmod(0o600)
    return path


# ------------------------------------------------------------------------------------------------ intake (fast)

@pytest.mark.parametrize("name", ["alice", "example-complete", "a.b@uni.edu", "s_1", "A9"])
def test_plain_student_ids_are_accepted(name):
    assert intake.id_problem(name) is None


@pytest.mark.parametrize("name", ["*", "a b", "..", ".", ".hidden", "$(id)", "x;rm -rf", "[ab]", "-rf", "", "a?", "née", "a\nb",
                                  "a+b", "x" * 200])
def test_other_folder_names_are_refused(name):
    assert "not a valid student id" in intake.id_problem(name)


def _tree(tmp: Path) -> Path:
    subs = tmp / "submitted"
    for student in ("honest", "*", "x y"):
        (subs / student / ASSIGNMENT).mkdir(parents=True)
        (subs / student / ASSIGNMENT / NB).write_text("{}")
    (subs / "link_student").symlink_to(subs / "honest")
    (subs / "link_assignment").mkdir()
    (subs / "link_assignment" / ASSIGNMENT).symlink_to(subs / "honest" / ASSIGNMENT)
    (subs / "file_assignment").mkdir()
    (subs / "file_assignment" / ASSIGNMENT).write_text("not a folder")
    (subs / "other_assignment" / "other").mkdir(parents=True)
    (subs / "dangling").symlink_to(tmp / "nowhere")
    return subs


def test_find_lists_real_folders_with_plain_names_and_refuses_the_rest(tmp_path):
    students, refused = intake.find(_tree(tmp_path), ASSIGNMENT)
    assert students == ["honest"]
    assert set(refused) == {"*", "x y", "link_student", "link_assignment", "file_assignment"}
    assert "not a valid student id" in refused["*"] and "not a valid student id" in refused["x y"]
    assert "symbolic link" in refused["link_student"] and "symbolic link" in refused["link_assignment"]
    assert "not a folder" in refused["file_assignment"]


def _stage(subs, student, tmp, expected=(NB,), max_file_bytes=10_000_000):
    return intake.stage(subs, student, ASSIGNMENT, tmp / "staging", list(expected), max_file_bytes, [".ipynb_checkpoints", "__pycache__"])


def _one(tmp: Path, name: str, make) -> Path:
    folder = tmp / "submitted" / name / ASSIGNMENT
    folder.mkdir(parents=True)
    make(folder)
    return tmp / "submitted"


@pytest.mark.parametrize("case, words", [
    ("notebook_link", "toy.ipynb is a symbolic link"),
    ("data_link", "data.csv is a symbolic link"),
    ("folder_link", "data is a symbolic link"),
    ("nested_link", "deep/er/key.json is a symbolic link"),
    ("fifo", "named pipe"),
    ("socket", "a socket"),
    ("device", "device file"),
])
def test_links_and_special_files_refuse_the_submission_without_reading_the_target(tmp_path, case, words):
    secret = _secret_file(tmp_path)

    def make(folder):
        if case != "notebook_link":
            (folder / NB).write_text("{}")
        if case == "notebook_link":
            (folder / NB).symlink_to(secret)
        elif case == "data_link":
            (folder / "data.csv").symlink_to(secret)
        elif case == "folder_link":
            (folder / "data").symlink_to(secret.parent)
        elif case == "nested_link":
            (folder / "deep" / "er").mkdir(parents=True)
            (folder / "deep" / "er" / "key.json").symlink_to(secret)
        elif case == "fifo":
            os.mkfifo(folder / "pipe")
        elif case == "socket":
            import socket

            sock = socket.socket(socket.AF_UNIX)
            sock.bind(str(folder / "sock"))
            sock.close()
        elif case == "device":
            try:
                os.mknod(folder / "null", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
            except OSError as exc:
                pytest.skip(f"cannot make a device file here: {exc}")

    subs = _one(tmp_path, "mallory", make)
    with pytest.raises(intake.Refused) as info:
        _stage(subs, "mallory", tmp_path)
    assert words in str(info.value) and SECRET not in str(info.value)
    staged = tmp_path / "staging"
    assert not any(SECRET in p.read_text(errors="replace") for p in staged.rglob("*") if p.is_file() and not p.is_symlink())


def test_staging_copies_regular_files_leaves_out_large_ones_and_adopts_a_renamed_download(tmp_path):
    def make(folder):
        (folder / "toy (1).ipynb").write_text('{"renamed": true}')
        (folder / "data.csv").write_text("a,b\n1,2\n")
        (folder / "big.bin").write_bytes(b"\0" * 3_000_000)
        (folder / ".ipynb_checkpoints").mkdir()
        (folder / ".ipynb_checkpoints" / "toy-checkpoint.ipynb").write_text("{}")

    subs = _one(tmp_path, "renamer", make)
    staged = _stage(subs, "renamer", tmp_path, max_file_bytes=1_000_000)
    assert sorted(p.name for p in staged.path.iterdir()) == ["data.csv", NB]
    assert (staged.path / NB).read_text() == '{"renamed": true}'
    assert "graded toy (1).ipynb as toy.ipynb" in staged.notes[0]
    assert any("left out renamer/toy/big.bin" in n for n in staged.notes)


def test_two_unexpected_notebooks_are_not_guessed(tmp_path):
    subs = _one(tmp_path, "unsure", lambda f: [(f / n).write_text("{}") for n in ("a.ipynb", "b.ipynb")])
    staged = _stage(subs, "unsure", tmp_path)
    assert not (staged.path / NB).exists()
    assert "toy.ipynb missing; also found a.ipynb, b.ipynb" in staged.notes[0]


def test_private_writes_replace_a_planted_link_and_never_write_its_target(tmp_path):
    victim = tmp_path / "gradebook.db"
    victim.write_bytes(b"precious")
    folder = tmp_path / "graded" / "s" / ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / ".autograde-done").symlink_to(victim)
    intake.write_private(folder / ".autograde-done", "stamp")
    assert victim.read_bytes() == b"precious"
    assert not (folder / ".autograde-done").is_symlink() and (folder / ".autograde-done").read_text() == "stamp"
    # reading follows no link either
    (folder / "out.ipynb").symlink_to(victim)
    assert intake.read_private(folder / "out.ipynb", 1000) is None


def test_clear_links_removes_links_on_the_way_to_the_grader_output(tmp_path):
    source = tmp_path / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    (source / NB).write_text("instructor")
    (tmp_path / "graded").mkdir()
    (tmp_path / "graded" / "s").symlink_to(tmp_path / "source")
    path = intake.clear_links(tmp_path, "graded", "s", ASSIGNMENT)
    assert path.is_dir() and not (tmp_path / "graded" / "s").is_symlink()
    assert (source / NB).read_text() == "instructor"
    with pytest.raises(ValueError):
        intake.clear_links(tmp_path, "graded", "..")


# ------------------------------------------------------------------------------------------------ gradebook faults

@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A released toy course (gradebook written), copied by each test that breaks it."""
    root = make_course(tmp_path_factory.mktemp("released"))
    mp = pytest.MonkeyPatch()
    mp.chdir(root)
    try:
        assert main(["release"]) == 0
    finally:
        mp.undo()
    return root


@pytest.fixture
def course_copy(released, tmp_path, monkeypatch):
    root = tmp_path / "course"
    shutil.copytree(released, root, symlinks=True)
    submission(root, "alice", RIGHT)
    monkeypatch.chdir(root)
    return root


def _grade_fails(capsys, *words):
    assert main(["grade", ASSIGNMENT]) == 1
    err = capsys.readouterr().err
    for word in words:
        assert word in err, err
    assert "Traceback" not in err
    return err


def test_a_truncated_gradebook_is_a_clear_error_and_is_left_as_it_is(course_copy, capsys):
    db = course_copy / course.GRADEBOOK
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    _grade_fails(capsys, str(db), "damaged", "restore")
    assert db.read_bytes() == data[: len(data) // 2]
    assert not (course_copy / "graded").exists()


def test_an_empty_gradebook_is_not_silently_recreated(course_copy, capsys):
    db = course_copy / course.GRADEBOOK
    db.write_bytes(b"")
    _grade_fails(capsys, str(db), "empty (0 bytes)", "restore")
    assert db.read_bytes() == b""
    assert main(["release"]) == 1 and db.read_bytes() == b""


def test_a_gradebook_that_is_not_sqlite_is_a_clear_error(course_copy, capsys):
    db = course_copy / course.GRADEBOOK
    db.write_text("pwned")
    _grade_fails(capsys, str(db), "not an SQLite database")
    assert db.read_text() == "pwned"


def test_a_read_only_gradebook_stops_the_run_before_grading(course_copy, capsys):
    db = course_copy / course.GRADEBOOK
    data = db.read_bytes()
    if subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here (root sees mode bits as writable)")
    try:
        _grade_fails(capsys, str(db), "cannot be written", "chattr -i")
    finally:
        subprocess.run(["chattr", "-i", str(db)], check=True)
    assert db.read_bytes() == data
    assert not (course_copy / "graded").exists()


def test_a_second_run_is_refused_while_one_is_grading(course_copy, capsys):
    state = course_copy / course.STATE_DIR
    state.mkdir(exist_ok=True)
    fd = os.open(state / course.LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what a running `autograde grade` holds
        os.write(fd, b"pid 4242")
        _grade_fails(capsys, "another autograde run is already working on this course (pid 4242)")
        assert main(["release"]) == 1
        assert not (course_copy / "graded").exists()
    finally:
        os.close(fd)


def test_nbgrader_s_own_autograde_refuses_a_linked_submission(course_copy):
    """The formgrader's Autograde button copies submitted/ itself; the kit's execute step refuses links there."""
    secret = _secret_file(course_copy.parent)
    path = submission(course_copy, "mallory", RIGHT)
    (path.parent / "data.json").symlink_to(secret)
    outcome = course.nbgrader_api(course_copy).autograde(ASSIGNMENT, "mallory", force=True, create=True)
    assert not outcome["success"] and "data.json is a symbolic link" in outcome["log"]
    assert _files(course_copy / "graded" / "mallory") == []


@pytest.mark.slow
def test_the_venv_command_works_without_an_activated_environment(tmp_path):
    """nbgrader runs `alembic` when it creates a gradebook; PATH here has no venv."""
    root = make_course(tmp_path / "course")
    (root / "submitted").mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), "AUTOGRADE_OFFLINE": "1", "LANG": "C.UTF-8"}
    done = subprocess.run([str(Path(sys.executable).parent / "autograde"), "grade", ASSIGNMENT, "--sandbox", "off", "--jobs", "1"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "alembic" not in done.stderr
    assert (root / course.GRADEBOOK).read_bytes()[:15] == b"SQLite format 3"


# ------------------------------------------------------------------------------------------------ a hostile batch

CELL_TIMEOUT = 25  # importing torch in a fresh kernel on a loaded machine takes seconds
DEAF = ("import signal\n"
        "def mean_rows(t):\n"
        "    signal.setitimer(signal.ITIMER_REAL, 0)          # no check time limit (wall clock\n"
        "    signal.setitimer(signal.ITIMER_PROF, 0)          # nor CPU time)\n"
        "    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
        "    signal.signal(signal.SIGPROF, signal.SIG_IGN)\n"
        "    signal.signal(signal.SIGINT, signal.SIG_IGN)     # no interrupt either\n"
        "    while True:\n"
        "        pass\n")


def _planter(course_root: Path) -> str:
    """Student code that plants links in its work folder for the grader to write through, and a large file."""
    return (
        "import os\n"
        f"for name, target in [('{NB}', {str(course_root / 'source' / ASSIGNMENT / NB)!r}),\n"
        f"                     ('.autograde-done', {str(course_root / course.GRADEBOOK)!r}),\n"
        f"                     ('feedback', {str(course_root / 'source')!r})]:\n"
        "    try:\n        os.remove(name)\n    except OSError:\n        pass\n"
        "    os.symlink(target, name)\n"
        "with open('huge.bin', 'wb') as f:\n    f.write(b'x' * 20_000_000)\n"
        "def double(x):\n    return 2 * x"
    )


def _build_batch(root: Path, secret: Path) -> None:
    subs = root / "submitted"
    honest = submission(root, "honest", RIGHT)
    for name in ("*", "x y"):  # a valid submission under a name that is not an id
        submission(root, name, RIGHT)
    (subs / "link_student").symlink_to(subs / "honest")
    (subs / "link_assignment").mkdir()
    (subs / "link_assignment" / ASSIGNMENT).symlink_to(subs / "honest" / ASSIGNMENT)
    (subs / "link_nb" / ASSIGNMENT).mkdir(parents=True)
    (subs / "link_nb" / ASSIGNMENT / NB).symlink_to(honest)
    (subs / "link_secret" / ASSIGNMENT).mkdir(parents=True)
    (subs / "link_secret" / ASSIGNMENT / NB).symlink_to(secret)
    for name, target in (("link_keys", root / "keys" / ASSIGNMENT / f"{ASSIGNMENT}.json"), ("data_secret", secret)):
        path = submission(root, name, RIGHT)
        (path.parent / "data.json").symlink_to(target)
    path = submission(root, "fifo", RIGHT)
    os.mkfifo(path.parent / "pipe")
    path = submission(root, "renamed", RIGHT)
    path.rename(path.with_name(f"{ASSIGNMENT} (1).ipynb"))
    path = submission(root, "ambiguous", RIGHT)
    path.rename(path.with_name("a.ipynb"))
    (path.parent / "b.ipynb").write_text(path.with_name("a.ipynb").read_text())
    path = submission(root, "big_file", RIGHT)
    (path.parent / "data.csv").write_text("x\n1\n")
    (path.parent / "big.bin").write_bytes(b"\0" * 3_000_000)
    submission(root, "planter", {**RIGHT, "ex_double": _planter(root)})
    submission(root, "deaf", {**RIGHT, "ex_mean": DEAF})
    # links an earlier attack may have left in the grader's output: written through by a naive grader
    graded = root / "graded" / "honest" / ASSIGNMENT
    graded.mkdir(parents=True)
    (graded / NB).symlink_to(root / "source" / ASSIGNMENT / NB)
    (graded / ".autograde-done").symlink_to(root / course.GRADEBOOK)
    (root / "feedback").mkdir()
    (root / "feedback" / "honest").symlink_to(root / "source")


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    from autograde.grade import grade
    from autograde.keys import ensure

    root = make_course(tmp_path_factory.mktemp("files"))
    secret = _secret_file(root.parent)
    config = root / "nbgrader_config.py"
    config.write_text(config.read_text() + "\nc.CourseDirectory.max_file_size = 1000  # KB\n")
    mp = pytest.MonkeyPatch()
    mp.chdir(root)
    try:
        assert main(["release"]) == 0
        ensure(root, ASSIGNMENT)
        _build_batch(root, secret)
        before = {p: p.read_bytes() for p in (root / "source").rglob("*") if p.is_file()}
        key = (root / "keys" / ASSIGNMENT / f"{ASSIGNMENT}.json").read_bytes()
        times = []
        results = grade(root, ASSIGNMENT, check_timeout=3, cell_timeout=CELL_TIMEOUT, progress=lambda s: times.append((s, time.monotonic())))
        times.append(("end", time.monotonic()))
        seen = []
        again = grade(root, ASSIGNMENT, check_timeout=3, cell_timeout=CELL_TIMEOUT, progress=seen.append)
    finally:
        mp.undo()
    return {"root": root, "results": results, "again": again, "regraded": seen, "times": times, "before": before, "key": key}


def _files(folder: Path):
    return [p for p in folder.rglob("*") if p.is_file() or p.is_symlink()] if folder.exists() else []


@needs_sandbox
@pytest.mark.slow
def test_an_honest_student_keeps_full_marks_beside_hostile_names_and_links(batch):
    res = batch["results"]
    assert (res["honest"]["status"], res["honest"]["total"]) == ("graded", 5.0)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{batch['root'] / course.GRADEBOOK}") as gb:
        ids = {s.id for s in gb.students}
        assert gb.find_submission(ASSIGNMENT, "honest").score == 5.0
    assert "*" not in ids and "x y" not in ids and "link_student" not in ids


@needs_sandbox
@pytest.mark.slow
@pytest.mark.parametrize("student, words", [
    ("*", "not a valid student id"), ("x y", "not a valid student id"),
    ("link_student", "symbolic link"), ("link_assignment", "symbolic link"), ("link_nb", "toy.ipynb is a symbolic link"),
    ("link_secret", "toy.ipynb is a symbolic link"), ("link_keys", "data.json is a symbolic link"),
    ("data_secret", "data.json is a symbolic link"), ("fifo", "named pipe"),
])
def test_links_special_files_and_bad_names_are_refused_with_a_reason(batch, student, words):
    res = batch["results"][student]
    assert res["status"] == "error" and words in res["reason"] and res["total"] == 0.0
    if intake.id_problem(student) is None:
        assert _files(batch["root"] / "graded" / student) == [] and _files(batch["root"] / "feedback" / student) == []


@needs_sandbox
@pytest.mark.slow
def test_nothing_from_outside_a_submission_reaches_grades_graded_or_feedback(batch):
    root = batch["root"]
    assert SECRET not in json.dumps(batch["results"])
    for path in _files(root / "graded") + _files(root / "feedback"):
        assert not path.is_symlink(), path
        data = path.read_bytes()
        assert SECRET.encode() not in data and data != batch["key"], path


@needs_sandbox
@pytest.mark.slow
def test_links_planted_by_student_code_or_left_in_the_output_are_never_written_through(batch):
    root, res = batch["root"], batch["results"]
    assert (res["planter"]["status"], res["planter"]["total"]) == ("graded", 5.0)
    after = {p: p.read_bytes() for p in (root / "source").rglob("*") if p.is_file()}
    assert after == batch["before"]
    assert (root / course.GRADEBOOK).read_bytes()[:15] == b"SQLite format 3"
    for student in ("planter", "honest"):
        folder = root / "graded" / student / ASSIGNMENT
        assert (folder / NB).is_file() and not (folder / NB).is_symlink()
        assert (folder / ".autograde-done").is_file() and not (folder / ".autograde-done").is_symlink()
        assert not (folder / "huge.bin").exists()
    assert not (root / "feedback" / "honest").is_symlink()


@needs_sandbox
@pytest.mark.slow
def test_feedback_holds_only_the_feedback_html(batch):
    root = batch["root"]
    graded_students = [s for s, r in batch["results"].items() if r["status"] != "error"]
    for student in graded_students:
        # the HTML, plus the two stamps nbgrader's Release Feedback reads (no file of the submission)
        names = sorted(p.name for p in _files(root / "feedback" / student))
        assert names == sorted([f"{ASSIGNMENT}.html", "timestamp.txt", "submission_secret.txt"]) or \
            names == sorted([f"{ASSIGNMENT}.html", "timestamp.txt"]), (student, names)
    # the submission's own small files stay with the graded copy; large ones are left out with a note
    assert (root / "graded" / "big_file" / ASSIGNMENT / "data.csv").is_file()
    assert not (root / "graded" / "big_file" / ASSIGNMENT / "big.bin").exists()
    big = batch["results"]["big_file"]
    assert (big["status"], big["total"]) == ("graded", 5.0) and "left out big_file/toy/big.bin" in big["note"]


@needs_sandbox
@pytest.mark.slow
def test_a_renamed_download_is_graded_with_a_note_and_an_ambiguous_one_is_reported(batch):
    renamed, ambiguous = batch["results"]["renamed"], batch["results"]["ambiguous"]
    assert (renamed["status"], renamed["total"]) == ("graded", 5.0)
    assert "graded toy (1).ipynb as toy.ipynb" in renamed["note"]
    assert ambiguous["status"] == "error" and "toy.ipynb is missing" in ambiguous["reason"]
    assert "also found a.ipynb, b.ipynb" in ambiguous["reason"]


@needs_sandbox
@pytest.mark.slow
def test_a_kernel_ignoring_interrupts_and_alarms_costs_its_own_cell_only(batch):
    deaf = batch["results"]["deaf"]
    assert deaf["status"] == "incomplete" and "ignored the interrupt" in deaf["reason"]
    assert deaf["cells"]["test_double"]["score"] == 3.0  # graded before the stuck cell
    assert deaf["cells"]["test_mean"]["score"] == 0.0
    times = batch["times"]
    start = next(i for i, (s, _) in enumerate(times) if s == "deaf")
    spent = times[start + 1][1] - times[start][1]
    assert spent < 180, f"the stuck kernel cost {spent:.0f} s (cell limit {CELL_TIMEOUT} s, probe 15 s)"


@needs_sandbox
@pytest.mark.slow
def test_a_second_run_regrades_nothing_and_reports_the_same(batch):
    assert batch["regraded"] == []
    assert batch["again"] == batch["results"]


# ------------------------------------------------------------------------------------------------ packaging

def _build_kit_wheel(out: Path) -> Path:
    tree = out / "tree"
    shutil.copytree(REPO / "autograde", tree / "autograde", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, tree / name)
    code = "import sys; from setuptools import build_meta as b; print(b.build_wheel(sys.argv[1]))"
    done = subprocess.run([sys.executable, "-c", code, str(out)], cwd=tree, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return out / done.stdout.strip().splitlines()[-1]


def _unpack(wheel: Path, dest: Path) -> Path:
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(dest)
    return dest


@pytest.fixture(scope="module")
def kit_wheel(tmp_path_factory):
    return _build_kit_wheel(tmp_path_factory.mktemp("kit-wheel"))


def test_the_kit_wheel_carries_the_rubrics_and_every_data_file(kit_wheel):
    names = zipfile.ZipFile(kit_wheel).namelist()
    data = sorted(str(p.relative_to(REPO)) for p in (REPO / "autograde").rglob("*")
                  if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts)
    assert any("quiz/rubrics/" in name for name in data)
    assert [name for name in data if name not in names] == []


@pytest.mark.slow
def test_the_kit_wheel_grades_a_questionnaire_answer(kit_wheel, tmp_path):
    site = _unpack(kit_wheel, tmp_path / "site")
    answer = json.loads((REPO / "autograde" / "quiz" / "rubrics" / "04.json").read_text())["questions"][0]["model_answer"]
    code = ("import json, sys, autograde\n"
            "from autograde.quiz.scorer import score_answer\n"
            "r = score_answer('04', 1, sys.argv[1], run_code_checks=False)\n"
            "print(json.dumps({'file': autograde.__file__, 'points': r['points'], 'max': r['max']}))")
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run([sys.executable, "-c", code, answer], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["file"].startswith(str(site)) and out["max"] > 0 and out["points"] > 0


def _student_wheel(tmp_path):
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import build_student_wheel
    finally:
        sys.path.remove(str(REPO / "scripts"))
    return build_student_wheel, build_student_wheel.build(tmp_path / "dist")


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_the_student_wheel_holds_only_what_release_notebooks_import(tmp_path):
    builder, wheel = _student_wheel(tmp_path)
    assert wheel.name.startswith("autograde_student-")
    names = zipfile.ZipFile(wheel).namelist()
    modules = {n for n in names if n.startswith("autograde/")}
    needed = {m.split(".")[1] for m in builder.notebook_imports(REPO / "release") if m.count(".") >= 1}
    assert needed and all(f"autograde/{m}.py" in modules for m in needed if (REPO / "autograde" / f"{m}.py").is_file())
    assert all(n.endswith(".py") for n in modules), modules  # no rubric, key or other data file
    for banned in builder.GRADER_ONLY:
        assert not any(n == f"autograde/{banned}.py" or n.startswith(f"autograde/{banned}/") for n in modules), banned
    # no model answer or accepted phrasing of any rubric, anywhere in the wheel
    text = "\n".join(zipfile.ZipFile(wheel).read(n).decode("utf-8", "replace") for n in names)
    for rubric in (REPO / "autograde" / "quiz" / "rubrics").glob("*.json"):
        for s in _strings(json.loads(rubric.read_text())):
            if len(s) >= 40:
                assert s not in text, f"{rubric.name}: {s[:60]}"
    # the modules import on their own (numpy, torch and fastai from the environment)
    site = _unpack(wheel, tmp_path / "site")
    code = "import autograde, " + ", ".join(f"autograde.{m}" for m in sorted(needed)) + "; print(autograde.__file__)"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(site)},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip().startswith(str(site)), done.stderr[-2000:]


def test_the_student_wheel_refuses_a_release_that_imports_the_grader(tmp_path):
    builder, _ = _student_wheel(tmp_path)
    release = tmp_path / "release" / "x"
    release.mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("from autograde.quiz.rubric import load")])
    nbformat.write(nb, str(release / "x.ipynb"))
    with pytest.raises(builder.BuildError, match="grader-only"):
        builder.select(tmp_path / "release")


def test_the_student_package_pins_the_kit_s_libraries():
    kit = (REPO / "pyproject.toml").read_text()
    student = (REPO / "student" / "pyproject.toml").read_text()
    for name in ("torch", "torchvision", "fastai"):
        pin = re.search(rf'"{name}==[^"]+"', kit).group(0)
        assert pin in student, name


# ------------------------------------------------------------------------------------------------ executor

@pytest.mark.slow
def test_an_executor_killed_from_outside_keeps_the_cells_it_graded(tmp_path):
    """The sandbox's wall time kills the executor: what it graded before is already saved."""
    grade_meta = {"nbgrader": {"grade": True, "grade_id": "t1", "points": 1, "solution": False, "locked": True, "schema_version": 3}}
    cells = [nbformat.v4.new_code_cell("x = 21"), nbformat.v4.new_code_cell("print('graded', 2 * x)", metadata=grade_meta),
             nbformat.v4.new_code_cell("import time\ntime.sleep(300)")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), str(tmp_path / "in.ipynb"))
    proc = subprocess.Popen([sys.executable, "-m", "autograde.sandbox_exec", "in.ipynb", "out.ipynb", "--cell-timeout", "600"],
                            cwd=tmp_path, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while not (tmp_path / "out.ipynb").exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, 9)
        proc.wait()
    nb = nbformat.read(str(tmp_path / "out.ipynb"), as_version=4)
    assert nb.cells[1].outputs[0]["text"] == "graded 42\n"
    assert nb.metadata["autograde_run"]["status"] == "died" and "after cell 2" in nb.metadata["autograde_run"]["reason"]


def test_the_executor_s_saves_read_back_as_the_same_notebook(tmp_path):
    """The progress saves are plain JSON (not nbformat's slow writer): nbformat reads them back unchanged,
    plots and the run record included, and no partial file is left behind."""
    from autograde import sandbox_exec

    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    cell = nbformat.v4.new_code_cell("plot()\nprint('é')", execution_count=3)
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"}),
                    nbformat.v4.new_output("stream", name="stdout", text="é\n")]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# t"), cell])
    target = tmp_path / "out.ipynb"
    save = sandbox_exec._writer(nb, str(target))
    save({"status": "died", "reason": "the run was stopped after cell 2"})
    back = nbformat.read(str(target), as_version=4)
    nbformat.validate(back)
    assert back == nb and back.metadata["autograde_run"]["reason"] == "the run was stopped after cell 2"
    save({"status": "complete", "reason": ""})
    assert nbformat.read(str(target), as_version=4).metadata["autograde_run"]["status"] == "complete"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.ipynb"]
