"""Warm kernels (autograde.warm): consecutive students in one fork server share nothing; the sandbox's limits hold.

Also the GPU device binding of the sandbox (a fake device list: no GPU here)."""
import os
import shutil
import socket
import stat
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from autograde import sandbox, warm
from autograde.isolation import RUN_KEY, SandboxedExecute, hidden_paths, kernel_env, readable_paths

OK, WHY = sandbox.available()
needs_bwrap = pytest.mark.skipif(not OK, reason=f"bubblewrap sandbox unavailable here: {WHY}")
REPO = Path(__file__).resolve().parents[1]
MEMORY_MB = 1024
LIMITS = sandbox.Limits(memory_mb=MEMORY_MB, wall_seconds=120)


def notebook(*cells: str):
    """A notebook of code cells."""
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])


def outputs(cell) -> str:
    """A cell's output text (streams, results and errors)."""
    parts = []
    for o in cell.get("outputs", []):
        parts.append(o.get("text") or str(o.get("data", {}).get("text/plain", "")) or f"{o.get('ename')}: {o.get('evalue')}")
    return "".join(parts)


@pytest.fixture(scope="module")
def server():
    """One warm server for the module: every test below is a consecutive 'student' of the same zygote."""
    if not OK:
        pytest.skip(f"bubblewrap sandbox unavailable here: {WHY}")
    env = kernel_env(None)
    s = warm.WarmServer(warm.key_for(readable_paths(), hidden_paths(), env, LIMITS, True))
    yield s
    s.close()


def run(server, nb, tmp_path, files=None, cell_timeout=60, limits=LIMITS):
    """Grade `nb` as one student on `server`; (executed notebook or None, outcome)."""
    folder = tmp_path / "submission"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (files or {}).items():
        (folder / name).write_text(text)
    if not server.alive():
        pytest.fail("the warm server died")
    data, outcome = server.run(folder, "in.ipynb", nbformat.writes(nb).encode(), "out.ipynb",
                               cell_timeout=cell_timeout, limits=limits, env=kernel_env(None))
    return (nbformat.reads(data.decode(), as_version=4) if data else None), outcome


STUDENT_A = [
    "import torch, random, numpy as np, subprocess, os, sys\n"
    "torch.isclose = lambda *a, **k: True\n"
    "import fastai.torch_core; fastai.torch_core.patched_by_a = 1\n"
    "SECRET_A = 42",
    "open('answer_a.txt', 'w').write('a'); open('/tmp/a_tmp.txt', 'w').write('a'); "
    "open(os.path.expanduser('~/a_home.txt'), 'w').write('a'); open('/dev/shm/a_shm', 'w').write('a')\n"
    "try:\n    open('../planted', 'w').write('a')\nexcept OSError:\n    pass",
    "torch.manual_seed(0); random.seed(0); np.random.seed(0)\n"
    "print(torch.rand(1).item(), random.random(), np.random.rand())",
    "p = subprocess.Popen(['sleep', '987654'], start_new_session=True); "
    "d = subprocess.Popen([sys.executable, '-c', 'import os, time\\nif os.fork(): os._exit(0)\\ntime.sleep(987653)']); "
    "d.wait(); print('spawned', p.pid)",
]

STUDENT_B = [
    "import torch, random, numpy as np, os, glob, sys\n"
    "print('isclose', torch.isclose(torch.tensor(1.), torch.tensor(2.)).item())\n"
    "print('patched', hasattr(sys.modules['fastai.torch_core'], 'patched_by_a') if 'fastai.torch_core' in sys.modules else False)",
    "print('secret', 'SECRET_A' in globals())",
    "print('files', sorted(os.listdir('.')), os.path.exists('/tmp/a_tmp.txt'), "
    "os.path.exists(os.path.expanduser('~/a_home.txt')), os.path.exists('/dev/shm/a_shm'), sorted(os.listdir('..')))",
    "print('draws', torch.rand(1).item(), random.random(), np.random.rand())",
    "procs = [open(f'/proc/{p}/cmdline', 'rb').read() for p in os.listdir('/proc') if p.isdigit()]\n"
    "print('sleepers', sum(b'98765' in c for c in procs))",
]


@needs_bwrap
@pytest.mark.slow
def test_consecutive_students_share_nothing(server, tmp_path):
    a, oa = run(server, notebook(*STUDENT_A), tmp_path / "a", files={"data_a.csv": "x"})
    assert a is not None and a.metadata[RUN_KEY]["status"] == "complete", (oa.reason, oa.stderr[-2000:])
    assert "spawned" in outputs(a.cells[3]), outputs(a.cells[3])
    seeded = outputs(a.cells[2]).split()

    b, ob = run(server, notebook(*STUDENT_B), tmp_path / "b")
    assert b is not None and b.metadata[RUN_KEY]["status"] == "complete", (ob.reason, ob.stderr[-2000:])
    out = [outputs(c) for c in b.cells]
    assert out[0].split() == ["isclose", "False", "patched", "False"], out[0]   # the patches are gone
    assert out[1].strip() == "secret False"                                     # the global is gone
    assert out[2].strip() == "files ['in.ipynb'] False False False ['work']", out[2]   # the files are gone
    assert out[4].strip() == "sleepers 0", out[4]                                # the background processes are gone
    draws_b = out[3].split()[1:]
    assert draws_b != seeded and not set(draws_b) & set(seeded), (draws_b, seeded)  # the seed is gone

    c, _ = run(server, notebook(*STUDENT_B), tmp_path / "c")
    draws_c = outputs(c.cells[3]).split()[1:]
    assert not set(draws_c) & set(draws_b), (draws_b, draws_c)  # every kernel is reseeded: no two draw alike


@needs_bwrap
@pytest.mark.slow
def test_warm_kernel_is_sandboxed(server, tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        nb, o = run(server, notebook(
            "import os, socket\nprint('uid', os.getuid() if os.geteuid() else 'root')",
            f"s = socket.socket(); s.settimeout(3)\ntry:\n    s.connect(('127.0.0.1', {port})); print('net open')\n"
            "except OSError as e:\n    print('net closed')",
            f"print('course', os.path.exists({str(REPO / 'source')!r}), os.path.exists({str(REPO / 'autograde' / 'quiz' / 'rubrics')!r}))",
            "import torch; print('torch', torch.__version__ != '')",
            "import stat; print('work mode', oct(stat.S_IMODE(os.stat('.').st_mode)))"), tmp_path)
    finally:
        listener.close()
    out = "".join(outputs(c) for c in nb.cells)
    assert "net closed" in out and "net open" not in out, out
    assert "course False False" in out, out
    assert "torch True" in out, out
    assert "work mode 0o700" in out, out  # another local user never reads a submission (a killed worker leaves it)
    if os.geteuid() == 0:
        assert f"uid {sandbox.SANDBOX_UID}" in out, out


@needs_bwrap
@pytest.mark.slow
def test_cell_timeout_then_next_cells_run(server, tmp_path):
    nb, o = run(server, notebook("while True: pass", "print('after')"), tmp_path, cell_timeout=3)
    assert nb.metadata[RUN_KEY]["status"] == "complete", nb.metadata[RUN_KEY]
    assert "CellTimeoutError" in outputs(nb.cells[0]) and "after" in outputs(nb.cells[1])


@needs_bwrap
@pytest.mark.slow
def test_wall_time_kills_a_deaf_kernel_and_the_server_goes_on(server, tmp_path):
    limits = sandbox.Limits(memory_mb=MEMORY_MB, wall_seconds=8)
    nb, o = run(server, notebook("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(600)"),
                tmp_path / "deaf", cell_timeout=600, limits=limits)
    assert o.timed_out and o.reason == "ran past 8 s", o.reason
    nb, o = run(server, notebook("print('next student')"), tmp_path / "next")
    assert "next student" in outputs(nb.cells[0])


@needs_bwrap
@pytest.mark.slow
def test_out_of_memory_is_reported(server, tmp_path):
    nb, o = run(server, notebook("import torch\nx = torch.ones(3 * 1024 ** 3, dtype=torch.uint8)\nprint('survived')",
                                 "print('later')"), tmp_path / "oom")
    assert o.details["oom_killed"], (o.details, o.stderr[-1000:])
    assert nb.metadata[RUN_KEY]["status"] == "died" and "survived" not in outputs(nb.cells[0])
    nb, o = run(server, notebook("print('next student')"), tmp_path / "next")
    assert "next student" in outputs(nb.cells[0]) and not o.details["oom_killed"]


@needs_bwrap
@pytest.mark.slow
def test_cpu_time_limit(server, tmp_path):
    limits = sandbox.Limits(memory_mb=MEMORY_MB, cpu_seconds=2, wall_seconds=60)
    nb, o = run(server, notebook("while True: pass"), tmp_path, cell_timeout=600, limits=limits)
    assert nb.metadata[RUN_KEY]["status"] == "died", nb.metadata[RUN_KEY]
    assert not o.timed_out


@needs_bwrap
@pytest.mark.slow
def test_preprocessor_grades_warm_and_falls_back_cold(tmp_path, monkeypatch):
    folder = tmp_path / "graded"
    folder.mkdir()
    (folder / "data.txt").write_text("42")
    nb = notebook("import os; print(open('data.txt').read(), os.environ.get('AUTOGRADE_GRADING'))")
    ex = SandboxedExecute(memory_mb=MEMORY_MB, wall_seconds=120)
    done, _ = ex.preprocess(nb, {"metadata": {"path": str(folder)}})
    assert done.metadata[RUN_KEY]["status"] == "complete" and outputs(done.cells[0]).split() == ["42", "1"]
    assert any(s.alive() for group in warm._pool.values() for s in group)   # the per-process server is reused

    def unavailable(key):
        raise warm.WarmUnavailable("no fork server here")
    monkeypatch.setattr(warm, "acquire", unavailable)
    cold, _ = SandboxedExecute(memory_mb=MEMORY_MB, wall_seconds=120).preprocess(notebook("print(6 * 7)"),
                                                                               {"metadata": {"path": str(folder)}})
    assert outputs(cold.cells[0]).strip() == "42" and cold.metadata[RUN_KEY]["status"] == "complete"
    warm.shutdown()


def test_zygote_refuses_outside_a_sandbox():
    import subprocess
    p = subprocess.run([sys.executable, "-m", "autograde.warm"], capture_output=True, input=b"", timeout=60, cwd=REPO)
    assert p.returncode == 2 and b"refusing" in p.stderr


# --------------------------------------------------------------------------- GPU devices


def test_gpu_devices_finds_only_nvidia_character_devices(tmp_path):
    (tmp_path / "nvidia0").write_text("")          # a plain file named like a device: not a device
    (tmp_path / "sda").write_text("")
    assert sandbox.gpu_devices(tmp_path) == []
    if os.geteuid() != 0:
        pytest.skip("making device nodes needs root")
    for name in ("nvidiactl", "nvidia-uvm"):
        os.mknod(tmp_path / name, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    (tmp_path / "nvidia-caps").mkdir()
    os.mknod(tmp_path / "nvidia-caps" / "nvidia-cap1", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    os.mknod(tmp_path / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    found = [p.relative_to(tmp_path).as_posix() for p in sandbox.gpu_devices(tmp_path)]
    assert found == ["nvidia-uvm", "nvidiactl", "nvidia-caps/nvidia-cap1"]


def test_devices_are_bound_and_nothing_else_changes(tmp_path):
    fake = [Path("/dev/nvidia0"), Path("/dev/nvidiactl")]
    plain = sandbox._bwrap_argv(["true"], tmp_path, [], [], 64, devices=[])
    gpu = sandbox._bwrap_argv(["true"], tmp_path, [], [], 64, devices=fake)
    added = list(gpu)
    for d in fake:
        i = added.index("--dev-bind")
        assert added[i:i + 3] == ["--dev-bind", str(d), str(d)]
        del added[i:i + 3]
    assert added == plain
    caps = sandbox._bwrap_argv(["true"], tmp_path, [], [], 64, devices=[Path("/dev/nvidia-caps/nvidia-cap1")])
    i = caps.index("--dev-bind")
    assert caps[i - 4:i] == ["--perms", "0755", "--dir", "/dev/nvidia-caps"]   # its folder is reachable


@needs_bwrap
@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="making device nodes needs root")
def test_bound_device_is_usable_inside(tmp_path):
    dev = Path(tempfile.mkdtemp(prefix="autograde-fakedev-"))   # reachable by the sandbox's uid (tmp_path is 0700)
    dev.chmod(0o755)
    request_cleanup = lambda: shutil.rmtree(dev, ignore_errors=True)  # noqa: E731
    try:
        _device_inside(dev, tmp_path)
    finally:
        request_cleanup()


def _device_inside(dev: Path, tmp_path: Path) -> None:
    """A bound stand-in device is a usable character device inside; unbound, it is absent."""
    os.mknod(dev / "nvidia0", 0o666 | stat.S_IFCHR, os.makedev(1, 3))   # a stand-in GPU node (/dev/null's numbers)
    os.chmod(dev / "nvidia0", 0o666)
    work = tmp_path / "work"
    work.mkdir()
    code = f"import os, stat; p = {str(dev / 'nvidia0')!r}; print(stat.S_ISCHR(os.stat(p).st_mode), open(p, 'w').write('x'))"
    o = sandbox.run([sys.executable, "-c", code], work, readable=[Path(sys.prefix), Path(sys.base_prefix)],
                    devices=sandbox.gpu_devices(dev), limits=sandbox.Limits(wall_seconds=60))
    assert o.stdout.split() == [b"True", b"1"], (o.stdout, o.stderr)
    o = sandbox.run([sys.executable, "-c", code], work, readable=[Path(sys.prefix), Path(sys.base_prefix)],
                    devices=[], limits=sandbox.Limits(wall_seconds=60))
    assert o.returncode != 0 and b"True" not in o.stdout


KILL_THE_SERVER = ("import os, signal\n"   # the zygote: the child of the namespace's init running autograde.warm
                   "for p in os.listdir('/proc'):\n"
                   "    if p.isdigit() and b'autograde.warm' in open(f'/proc/{p}/cmdline', 'rb').read() \\\n"
                   "            and open(f'/proc/{p}/stat').read().rsplit(')', 1)[1].split()[1] == '1':\n"
                   "        print('killing', p)\n"
                   "        os.kill(int(p), signal.SIGKILL)")


@needs_bwrap
@pytest.mark.slow
def test_a_student_killing_the_server_loses_only_their_own_run(tmp_path):
    grade = {"nbgrader": {"grade": True, "grade_id": "t1", "points": 1, "solution": False, "locked": True, "schema_version": 3}}
    nb = notebook("x = 21", "print('graded', 2 * x)", KILL_THE_SERVER, "print('never')")
    nb.cells[1].metadata.update(grade)
    key = warm.key_for(readable_paths(), hidden_paths(), kernel_env(None), LIMITS, True)
    first = warm.acquire(key)
    try:
        done, o = run(first, nb, tmp_path / "killer")
    finally:
        warm.release(first)
    assert not first.alive() and "server died" in o.reason, o.reason
    assert done is not None and outputs(done.cells[1]) == "graded 42\n"   # what was saved before still counts
    second = warm.acquire(key)
    try:
        assert second is not first
        nb, o = run(second, notebook("print('next student')"), tmp_path / "next")
        assert outputs(nb.cells[0]) == "next student\n" and nb.metadata[RUN_KEY]["status"] == "complete"
    finally:
        warm.release(second)
        warm.shutdown()
