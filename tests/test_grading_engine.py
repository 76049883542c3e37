"""The grading engine in parallel (issue 10): Dask workers give the grades of --jobs 1; a worker killed mid-run
costs only its own submission; a running Dask cluster (--scheduler); a PostgreSQL gradebook (--db), with
nothing lost or duplicated; the grader's own environment is never changed."""
import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from autograde.cli import main
from tests.paths import REPO
from tests.toy_course import ASSIGNMENT, make_course, submission

pytestmark = pytest.mark.slow

RIGHT = {"ex_double": "def double(x):\n    return x * 2", "ex_mean": "def mean_rows(t):\n    return t.mean(-1)"}
ANSWERS = {
    "ann": RIGHT,
    "ben": {**RIGHT, "ex_double": "def double(x):\n    return x + x if isinstance(x, int) else x"},  # 2 of 3 checks
    "cal": {"ex_double": "def double(x):\n    return x", "ex_mean": "def mean_rows(t):\n    return t.sum(-1)"},
    "dan": None,  # an unreadable notebook: an 'error' with its reason
}
VICTIM = "victim"  # its worker is killed each time it grades this submission
SLEEPER = {**RIGHT, "ex_double": "import time\ntime.sleep(240)\n" + RIGHT["ex_double"]}
GRADER_ENV = ("AUTOGRADE_GRADING", "AUTOGRADE_CHECK_TIMEOUT", "AUTOGRADE_SANDBOX", "AUTOGRADE_QUIZ_CODE_TIMEOUT")


def toy_class(where: Path, extra: dict | None = None) -> Path:
    """A released toy course with the ANSWERS (and `extra`) submitted under incoming/."""
    root = make_course(where)
    if (REPO / "student" / "nbgrader_config.py").is_file():  # the course config loads the student one
        (root / "student").mkdir(exist_ok=True)
        shutil.copy(REPO / "student" / "nbgrader_config.py", root / "student")
    old = os.getcwd()
    os.chdir(root)
    try:
        assert main(["release"]) == 0
    finally:
        os.chdir(old)
    for student, answers in {**ANSWERS, **(extra or {})}.items():
        path = submission(root, student, answers or {}, folder="incoming")
        if answers is None:
            path.write_text("{ not a notebook")
    return root


def grade_cli(root: Path, *extra: str) -> dict:
    """`autograde grade` on incoming/ in `root`; the grades it wrote as JSON."""
    old = os.getcwd()
    os.chdir(root)
    try:
        assert main(["grade", ASSIGNMENT, "--submissions", "incoming", "--json", "grades.json", "--check-timeout", "5",
                     *extra]) == 0
    finally:
        os.chdir(old)
    return json.loads((root / "grades.json").read_text())


def _student_of(key) -> str | None:
    """The student a grading task's key names: keys are ("grade-<run id>-<assignment>", student)."""
    if isinstance(key, (tuple, list)) and len(key) == 2 and str(key[0]).startswith("grade-"):
        return str(key[1])
    return None


def rows(db_url: str) -> dict:
    """{student: (submissions, grades)} as the gradebook holds them."""
    from nbgrader.api import Gradebook, SubmittedAssignment

    with Gradebook(db_url) as gb:
        found = {}
        for sub in gb.db.query(SubmittedAssignment).all():
            grades = sum(len(nb.grades) for nb in sub.notebooks)
            count, total = found.get(sub.student.id, (0, 0))
            found[sub.student.id] = (count + 1, total + grades)
        return found


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Grades of the class graded one at a time in this process, through the grade() API."""
    from autograde.grade import grade

    root = toy_class(tmp_path_factory.mktemp("jobs1") / "course")
    before = {k: os.environ.get(k) for k in GRADER_ENV}
    during = []
    results = grade(root, ASSIGNMENT, root / "incoming", check_timeout=5, jobs=1,
                    progress=lambda s: during.append({k: os.environ.get(k) for k in GRADER_ENV}))
    assert during and all(seen == before for seen in during)   # settings never pass through the grader's environment
    return json.loads(json.dumps(results))


def test_the_reference_grades_are_what_the_answers_earn(reference):
    assert {s: (r["total"], r["status"]) for s, r in reference.items()} == {
        "ann": (5.0, "graded"), "ben": (4.0, "graded"), "cal": (0.0, "graded"), "dan": (0.0, "error")}
    assert "toy.ipynb" in reference["dan"]["reason"]


def test_parallel_workers_give_the_same_grades_written_once(tmp_path, reference):
    from autograde import course
    from autograde.grading import cluster

    root = toy_class(tmp_path / "course")
    assert grade_cli(root, "--jobs", "2") == reference
    first = dict(cluster._local)
    assert rows(course.default_db_url(root)) == {"ann": (1, 2), "ben": (1, 2), "cal": (1, 2)}
    stamp = (root / "graded" / "ann" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").stat().st_mtime_ns
    assert grade_cli(root, "--jobs", "2") == reference           # resumed: nothing graded again
    assert first and cluster._local == first                     # the same workers (and warm servers) again
    assert (root / "graded" / "ann" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").stat().st_mtime_ns == stamp
    assert not any((root / ".grading").glob("staging/*"))


def test_several_assignments_graded_in_one_run_keep_their_own_grades(tmp_path, reference):
    """`autograde demo` grades all assignments in one run (one queue): each gets the grades it gets alone."""
    from autograde import course
    from autograde.grading import batch
    from autograde.settings import GradingSettings

    root = toy_class(tmp_path / "course")
    shutil.copytree(root / "source" / ASSIGNMENT, root / "source" / "toy2")
    for student in ANSWERS:
        shutil.copytree(root / "incoming" / student / ASSIGNMENT, root / "incoming" / student / "toy2")
    settings = GradingSettings.from_config(course.load_config(root), jobs=2, check_timeout=5)
    graded = json.loads(json.dumps(batch.grade_many(root, [(ASSIGNMENT, root / "incoming"), ("toy2", root / "incoming")],
                                                    settings)))
    assert graded[ASSIGNMENT] == reference
    assert {s: (r["total"], r["status"], r["cells"]) for s, r in graded["toy2"].items() if s != "dan"} == \
        {s: (r["total"], r["status"], r["cells"]) for s, r in reference.items() if s != "dan"}
    assert graded["toy2"]["dan"]["status"] == "error" and "toy2" in graded["toy2"]["dan"]["reason"]
    assert rows(course.default_db_url(root)) == {"ann": (2, 4), "ben": (2, 4), "cal": (2, 4)}


def test_a_run_of_several_assignments_starts_with_the_one_whose_solution_ran_longest(tmp_path):
    from autograde import course, keys
    from autograde.grading import batch, progress
    from autograde.settings import GradingSettings

    root = toy_class(tmp_path / "course")
    shutil.copytree(root / "source" / ASSIGNMENT, root / "source" / "toy2")
    shutil.copytree(root / "incoming" / "ann" / ASSIGNMENT, root / "incoming" / "zed" / "toy2")
    for name, seconds in ((ASSIGNMENT, 1.0), ("toy2", 50.0)):
        keys.ensure(root, name)
        assert keys.seconds(root, name) > 0                       # recorded when the key was built
        for path in (root / keys.KEYS_DIR / name).glob("*.json"):
            path.write_text(json.dumps({**json.loads(path.read_text()), "seconds": seconds}))
    started = []
    settings = GradingSettings.from_config(course.load_config(root), jobs=1, check_timeout=5)
    graded = batch.grade_many(root, [(ASSIGNMENT, root / "incoming"), ("toy2", root / "incoming")], settings,
                              progress.Callback(started.append))
    assert started == ["zed", "ann", "ben", "cal"]                # toy2's submission first, then toy's in order
    assert graded["toy2"]["zed"]["total"] == graded[ASSIGNMENT]["ann"]["total"] == 5.0


def test_a_worker_killed_mid_run_costs_only_its_submission_on_a_running_cluster(tmp_path, reference):
    import dask
    from dask.distributed import Client, LocalCluster

    root = toy_class(tmp_path / "course", {VICTIM: SLEEPER})
    with dask.config.set({"distributed.scheduler.allowed-failures": 1, "distributed.scheduler.worker-saturation": 1.0}):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, memory_limit=0)
    client = Client(cluster)
    killed, problems, stop = [], [], threading.Event()

    def kill_the_victims_worker():
        while not stop.wait(0.5):
            try:
                for address, keys in client.processing().items():
                    if keys and all(_student_of(k) == VICTIM for k in keys):
                        pid = client.run(os.getpid, workers=[address]).get(address)
                        if pid and pid not in killed:
                            time.sleep(2)  # mid-run: its sandbox has started
                            os.kill(pid, signal.SIGKILL)
                            killed.append(pid)
            except Exception as exc:  # noqa: BLE001 - a worker being restarted; seen by the assertion below
                problems.append(repr(exc))

    killer = threading.Thread(target=kill_the_victims_worker, daemon=True)
    killer.start()
    try:
        results = grade_cli(root, "--scheduler", cluster.scheduler_address)
    finally:
        stop.set()
        killer.join()
        client.close()
        cluster.close()
    assert len(killed) == 2, problems                            # tried again once, then given up
    victim = results.pop(VICTIM)
    assert victim["status"] == "error" and "worker died" in victim["reason"] and victim["total"] == 0
    assert results == reference                                  # everyone else graded as usual


def test_submissions_are_handed_out_one_per_worker_thread():
    from autograde.grading import cluster

    class Client:
        threads = {"a": 1, "b": 1}

        def nthreads(self):
            return dict(self.threads)

        def submit(self, fn, job, key, pure):
            return (key, job)

    class Running(list):
        add = list.append

    client, running, futures = Client(), Running(), {}
    waiting = [type("Job", (), {"student": s, "assignment": "x"})() for s in ("c", "b", "a")]   # handed out from the end
    cluster._feed(client, running, futures, waiting, "r1")
    assert [key for key, _ in running] == [("grade-r1-x", "a"), ("grade-r1-x", "b")] and len(waiting) == 1
    cluster._feed(client, running, futures, waiting, "r1")          # nothing finished: nothing more in flight
    assert len(futures) == 2
    futures.pop(running[0])
    client.threads = {}                                              # every worker restarting: still one at a time
    cluster._feed(client, running, futures, waiting, "r1")
    assert len(futures) == 1 and len(waiting) == 1


def _postgres_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return versions[-1].parent if versions else None


@pytest.fixture(scope="module")
def postgres():
    """URL of an empty database on a throwaway PostgreSQL server (unix socket only), stopped afterwards."""
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (no initdb); scripts/setup.sh installs Debian's postgresql as root")
    as_user = []
    base = Path(tempfile.mkdtemp(prefix="ag-pg-"))
    if os.geteuid() == 0:  # the server refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root, a PostgreSQL server needs the 'postgres' user (Debian's postgresql creates it)")
        os.chown(base, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data = base / "data"
    subprocess.run(as_user + [str(bindir / "initdb"), "-D", str(data), "--auth=trust", "-U", "grader", "-E", "UTF8",
                              "--no-sync"], check=True, capture_output=True)
    subprocess.run(as_user + [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "-t", "120",
                              "-o", f"-k {base} -h '' -F", "start"], check=True, capture_output=True)
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(f"postgresql://grader@/postgres?host={base}", isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("CREATE DATABASE gradebook"))
        engine.dispose()
        yield f"postgresql://grader@/gradebook?host={base}"
    finally:
        subprocess.run(as_user + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def test_a_postgresql_gradebook_graded_in_parallel_loses_and_duplicates_nothing(tmp_path, reference, postgres):
    root = toy_class(tmp_path / "course")
    assert grade_cli(root, "--jobs", "2", "--db", postgres) == reference
    expected = {"ann": (1, 2), "ben": (1, 2), "cal": (1, 2)}
    assert rows(postgres) == expected
    assert grade_cli(root, "--jobs", "2", "--db", postgres, "--regrade") == reference
    assert rows(postgres) == expected                            # graded again: replaced, not added
    from autograde import course

    assert rows(course.default_db_url(root)) == {}               # the course file got no grades
