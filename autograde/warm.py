"""Warm, isolated kernels: a fork server ("zygote") inside the sandbox that has already imported torch and fastai.

Cold grading starts, for every submission, a fresh bubblewrap sandbox, a fresh executor and a fresh
ipykernel that imports torch and fastai again (4-5 CPU-seconds). Here one sandbox is started per
grading process (``server_for``: a per-process pool, reused across submissions, shut down at exit),
with a private read-write slot folder bound in. Inside it the zygote imports the heavy libraries
once and then stays pristine: single-threaded, no torch op, never runs student code. Per submission:

1. the grader copies the submission into ``slot/work`` and sends a request on the zygote's stdin;
2. the zygote forks an executor child: new session, fresh environment, per-submission rlimits
   (CPU time, largest file, core; address space without a memory cgroup), stdout/stderr to a log;
3. the executor runs nbclient (autograde.sandbox_exec) with ``ForkKernelManager``, whose kernel is a
   fork of the executor (so of the pre-imported interpreter): its own process group, fresh RNG seeds
   (random, numpy, torch), its torch thread count, an out-of-memory score that makes it the first victim;
4. when the executor ends (or the wall time passes), the zygote kills every other process in the
   sandbox's pid namespace (``kill(-1, SIGKILL)`` spares only itself and the namespace's init), removes
   System V IPC objects and wipes /tmp, HOME, /var/tmp, /dev/shm and ``slot/work``; then it answers.

So a student's patch (``torch.isclose = ...``), globals, seeded RNG, files and background processes die
with their own processes; the next student's kernel is a new fork of the untouched zygote. The zygote is
non-dumpable, so a student (same uid) cannot ptrace it or write its memory through /proc.
The sandbox's limits hold as in cold mode: no network, uid nobody, hidden course folder, a pids cgroup
and a memory cgroup (the submission's limit plus the zygote's own share, ``ZYGOTE_MB``), per-process
rlimits set in the executor before the kernel forks.
"""
from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import sandbox

# Memory cgroup head-room for the zygote. Its imported pages (~0.9 GB: torch, fastai) are shared with each kernel
# and stand for what a cold kernel's own imports would take, so a student gets about what a cold run gives.
ZYGOTE_MB = 512
START_SECONDS = 300       # the zygote must be ready (imports done) within this
WORK = "work"             # the per-submission folder inside the slot
LOG = "/tmp/.autograde-exec.log"   # the executor's and kernel's stdout/stderr, inside the sandbox
# Read by OpenMP when the zygote imports torch, so every forked kernel inherits it: threads waiting at a parallel
# region's end sleep instead of spinning. Spinning threads on a busy machine (other workers, other jobs) stall
# each other: a chapter 4 run took 39 s with 2 spinning threads against 15 s with 1, and 12 s with 2 passive ones.
THREAD_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}
PRELOAD = ("numpy", "pandas", "matplotlib", "matplotlib.pyplot", "torch", "fastai.vision.all", "fastai.tabular.all",
           "fastai.collab", "IPython", "ipykernel.kernelapp", "ipykernel.ipkernel", "matplotlib_inline.backend_inline",
           "nbclient", "nbformat", "jupyter_client", "autograde.sandbox_exec")


class WarmUnavailable(RuntimeError):
    """The warm server cannot be used here (no sandbox, or it failed to start); the cold path is the fallback."""


# =============================================================================================
# inside the sandbox: the zygote, the executor child and the forked kernel


def _set_dumpable(flag: int) -> None:
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(4, flag, 0, 0, 0)   # PR_SET_DUMPABLE
    except (OSError, AttributeError):
        pass


def _reseed() -> None:
    """Fresh, independent seeds for random, numpy and torch (a fork copies the parent's RNG states)."""
    import random
    random.seed()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    if "torch" in sys.modules:
        sys.modules["torch"].seed()


def _print_exception() -> None:
    """Print the exception being handled (a forked child's only report)."""
    import traceback
    traceback.print_exc()


def _exit_child(code: int) -> None:
    """End a forked child with `code` after flushing its output; never returns (no atexit, no parent's cleanup)."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def _fork_kernel(cmd: list[str], env: dict | None, cwd, threads: int) -> int:
    """Fork a kernel from this (pre-imported) interpreter, running ipykernel with cmd's arguments; its pid."""
    args = cmd[cmd.index("-f"):] if "-f" in cmd else cmd[3:]
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        os.setpgid(0, 0)                                    # interrupts (SIGINT to the group) reach the kernel only
        import asyncio
        asyncio.events._set_running_loop(None)              # the executor's loop is not ours
        asyncio.set_event_loop(asyncio.new_event_loop())
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        if cwd:
            os.chdir(cwd)
        fd = os.open(os.devnull, os.O_RDONLY)
        os.dup2(fd, 0)
        os.close(fd)
        try:
            Path("/proc/self/oom_score_adj").write_text("1000")   # the first to go when memory runs out
        except OSError:
            pass
        _reseed()
        if threads > 0 and "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(threads)
        sys.argv = ["ipykernel_launcher"] + args
        from ipykernel import kernelapp
        kernelapp.launch_new_instance(argv=args)
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 0
    except BaseException:
        _print_exception()
    finally:
        _exit_child(code)


class _ForkedProcess:
    """The Popen methods jupyter_client's LocalProvisioner uses, for a forked child."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None

    def poll(self):
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -9
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                import subprocess
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, sig):
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)


def _kernel_manager_class(threads: int):
    """A jupyter_client KernelManager whose kernels are forks of this interpreter (see _fork_kernel)."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    class ForkProvisioner(LocalProvisioner):
        """Launches the kernel by forking instead of exec-ing a new Python."""

        async def launch_kernel(self, cmd, **kwargs):
            pid = _fork_kernel(list(cmd), kwargs.get("env"), kwargs.get("cwd"), threads)
            self.process = _ForkedProcess(pid)
            self.pid, self.pgid = pid, pid
            self.cwd = kwargs.get("cwd") or os.getcwd()
            return self.connection_info

    class ForkKernelManager(AsyncKernelManager):
        """Starts kernels through ForkProvisioner."""

        async def _async_pre_start_kernel(self, **kw):
            if self.provisioner is None:
                self.kernel_id = self.kernel_id or kw.get("kernel_id") or __import__("uuid").uuid4().hex
                self.provisioner = ForkProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
            return await super()._async_pre_start_kernel(**kw)

    return ForkKernelManager


def _executor(req: dict, slot: Path, log_fd: int) -> None:
    """The forked executor child: limits, environment, then nbclient on the submission (never returns)."""
    code = 1
    try:
        import resource
        os.setsid()
        _set_dumpable(1)
        fd = os.open(os.devnull, os.O_RDONLY)
        os.dup2(fd, 0)
        os.close(fd)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        cpu = int(req["cpu_seconds"])
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        out = int(req["output_mb"]) << 20
        resource.setrlimit(resource.RLIMIT_FSIZE, (out, out))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if req.get("address_space_mb"):
            vm = 0
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmSize:"):
                    vm = int(line.split()[1]) << 10
            limit = vm + (int(req["address_space_mb"]) << 20)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        os.environ.clear()
        os.environ.update(req["env"])
        work = slot / WORK
        os.chdir(work)
        _reseed()
        from autograde import sandbox_exec
        sandbox_exec.run_file(req["source"], req["target"], int(req["cell_timeout"]),
                              _kernel_manager_class(int(req.get("threads", 0))))
        code = 0
    except BaseException:
        _print_exception()
    finally:
        _exit_child(code)


def _others() -> list[int]:
    """Pids in this pid namespace other than init (1) and this process."""
    me = os.getpid()
    return [int(e) for e in os.listdir("/proc") if e.isdigit() and int(e) not in (1, me)]


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if not pid:
            return


def _kill_others() -> None:
    """SIGKILL every process of the namespace but init and this one, until none is left (forks racing included)."""
    for _ in range(500):
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _reap()
        if not _others():
            return
        time.sleep(0.01)


def _wipe(path: Path, keep: tuple = ()) -> None:
    """Remove everything inside `path` (links not followed), except the folders `keep` and their parents."""
    try:
        entries = list(os.scandir(path))
    except OSError:
        return
    for e in entries:
        p = Path(e.path)
        kept = [k for k in keep if p == k or p in k.parents]
        if kept:
            if p not in kept:
                _wipe(p, keep)
            continue
        try:
            if e.is_dir(follow_symlinks=False):
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink()
        except OSError:
            pass


def _clean(slot: Path) -> None:
    """After a submission: no process, no IPC object, no file of it is left for the next one."""
    _kill_others()
    if shutil.which("ipcrm"):
        import subprocess
        subprocess.run(["ipcrm", "--all"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    home = Path(sandbox.HOME)   # made by bubblewrap (owned by root, 0777): emptied, kept
    _wipe(Path("/tmp"), keep=(slot, home))
    for p in (home, Path("/var/tmp"), Path("/dev/shm")):
        _wipe(p)
    _wipe(slot, keep=(slot / WORK,))   # slot/work: the grader reads the result, then empties it


def _in_own_pid_namespace() -> bool:
    """kill(-1) is only safe in the sandbox's own pid namespace: pid 1 is bubblewrap's init."""
    try:
        return Path("/proc/1/comm").read_text().strip() == "bwrap"
    except OSError:
        return False


def serve() -> int:
    """The zygote's loop (inside the sandbox): pre-import, then one request line in, one answer line out."""
    if not _in_own_pid_namespace():
        print("autograde.warm: refusing to serve outside a bubblewrap pid namespace", file=sys.stderr)
        return 2
    rfd, wfd = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(2, 1)
    os.close(null)
    reader, writer = os.fdopen(rfd, "r"), os.fdopen(wfd, "w")
    slot = Path.cwd()
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import importlib
        for name in PRELOAD:
            try:
                importlib.import_module(name)
            except Exception as exc:   # a missing optional library: its import will simply be cold
                print(f"autograde.warm: could not preload {name}: {exc}", file=sys.stderr)
    _set_dumpable(0)
    writer.write(json.dumps({"ready": True, "threads": len(os.listdir("/proc/self/task"))}) + "\n")
    writer.flush()
    for line in reader:
        req = json.loads(line)
        if req.get("op") == "exit":
            break
        log_fd = os.open(LOG, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        t0 = time.monotonic()
        pid = os.fork()
        if pid == 0:
            os.close(rfd)
            os.close(wfd)
            _executor(req, slot, log_fd)
        deadline = t0 + float(req["wall_seconds"])
        status, timed_out = None, False
        while status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = os.waitstatus_to_exitcode(st)
            elif time.monotonic() > deadline:
                timed_out = True
                _kill_others()
                status = None
                break
            else:
                time.sleep(0.02)
        seconds = time.monotonic() - t0
        _kill_others()
        os.lseek(log_fd, max(0, os.fstat(log_fd).st_size - 8000), 0)
        log = os.read(log_fd, 8000).decode(errors="replace")
        os.close(log_fd)
        _clean(slot)
        writer.write(json.dumps({"returncode": status, "timed_out": timed_out, "log": log,
                                 "seconds": round(seconds, 3)}) + "\n")
        writer.flush()
    return 0


# =============================================================================================
# the grader's side


@dataclass(frozen=True)
class ServerKey:
    """What a warm server is built for: servers are shared only between identical settings."""

    readable: tuple
    hidden: tuple
    env: tuple
    memory_mb: int
    processes: int
    output_mb: int
    require: bool
    devices: tuple | None


class WarmServer:
    """One zygote in its own sandbox, with its slot folder; run() grades one notebook at a time."""

    def __init__(self, key: ServerKey):
        ok, why = sandbox.available()
        if not ok:
            raise WarmUnavailable(f"warm kernels need the bubblewrap sandbox: {why}")
        self.key = key
        self.lock = threading.Lock()
        self.slot = Path(tempfile.mkdtemp(prefix="autograde-warm-"))
        self.log = tempfile.TemporaryFile()
        limits = sandbox.Limits(memory_mb=key.memory_mb, cpu_seconds=10 ** 7, processes=key.processes,
                                output_mb=key.output_mb, wall_seconds=10 ** 9)
        self.memory_cgroup = False
        self._buf = b""
        try:
            self.started = sandbox.start([sys.executable, "-m", "autograde.warm"], self.slot,
                                         readable=list(key.readable), hidden=list(key.hidden), env={**THREAD_ENV, **dict(key.env)},
                                         limits=limits, require=key.require,
                                         devices=None if key.devices is None else [Path(d) for d in key.devices],
                                         extra_memory_mb=ZYGOTE_MB, stderr=self.log, prefix="autograde-warm")
            self.memory_cgroup = "memory" in self.started.cg.dirs
            ready = self._answer(START_SECONDS)
            if os.geteuid() == 0:   # only slot/work is the sandbox uid's: nothing it writes beside it outlives a run
                os.chown(self.slot, 0, 0)
                self.slot.chmod(0o755)
        except BaseException:
            self._teardown()
            raise
        if not ready or not ready.get("ready"):
            why = self._log_tail()
            self._teardown()
            raise WarmUnavailable(f"the warm kernel server did not start: {why or 'no answer'}")

    # -- plumbing

    def _log_tail(self) -> str:
        try:
            self.log.seek(0, 2)
            size = self.log.tell()
            self.log.seek(max(0, size - 2000))
            return self.log.read().decode(errors="replace").strip().splitlines()[-1:][0] if size else ""
        except (OSError, IndexError):
            return ""

    def _answer(self, timeout: float) -> dict | None:
        """The zygote's next answer line, or None when it ended or timed out."""
        fd = self.started.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return None
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return json.loads(line)

    def alive(self) -> bool:
        """True while the zygote's sandbox is running."""
        return getattr(self, "started", None) is not None and self.started.proc.poll() is None

    def _teardown(self) -> None:
        started = getattr(self, "started", None)
        if started is not None:
            started.close()
            self.started = None
        shutil.rmtree(self.slot, ignore_errors=True)

    def close(self) -> None:
        """Stop the zygote and its sandbox, remove the slot."""
        if self.alive():
            try:
                self.started.proc.stdin.write(b'{"op": "exit"}\n')
                self.started.proc.stdin.flush()
                self.started.proc.wait(timeout=5)
            except Exception:
                pass
        self._teardown()

    # -- one submission

    def run(self, files: Path, source_name: str, notebook: bytes, target_name: str, *, cell_timeout: int,
            limits: sandbox.Limits, env: dict, threads: int = 0) -> tuple[bytes | None, sandbox.Outcome]:
        """Execute `notebook` with the files of folder `files` beside it; (executed notebook bytes or None, outcome)."""
        from .intake import read_private, write_private
        from .isolation import _copy_data
        work = self.slot / WORK
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(mode=0o700)   # the submission's files: for the sandbox user only
        _copy_data(files, work)
        write_private(work / source_name, notebook)
        if os.geteuid() == 0:
            sandbox._chown_tree(work, None, sandbox.SANDBOX_UID, sandbox.SANDBOX_UID)
        req = {"source": source_name, "target": target_name, "cell_timeout": int(cell_timeout),
               "wall_seconds": float(limits.wall_seconds), "cpu_seconds": int(limits.cpu_seconds),
               "output_mb": int(limits.output_mb), "threads": int(threads),
               "address_space_mb": 0 if self.memory_cgroup else int(limits.memory_mb),
               "env": sandbox._base_env({**THREAD_ENV, **env}, True)}
        oom0, pids0 = self.started.oom_kills(), self.started.pids_hits()
        t0 = time.monotonic()
        try:
            self.started.proc.stdin.write((json.dumps(req) + "\n").encode())
            self.started.proc.stdin.flush()
            ans = self._answer(limits.wall_seconds + 60)
        except OSError:
            ans = None
        details = {"warm": True, "seconds": round(time.monotonic() - t0, 3),
                   "oom_killed": self.started.oom_kills() > oom0, "pids_hit": self.started.pids_hits() > pids0}
        if ans is None:   # the zygote died or hung: the next submission gets a new server
            why = self._log_tail()
            timed_out = time.monotonic() - t0 >= limits.wall_seconds
            self.started.close()   # every process of the sandbox is gone before its output is read
            data = read_private(work / target_name, 256 * 1024 * 1024)   # what was saved so far still counts
            self._teardown()
            reason = (f"ran past {limits.wall_seconds:g} s" if timed_out else
                      f"killed: out of memory ({limits.memory_mb} MB)" if details["oom_killed"] else
                      f"the warm kernel server died{': ' + why if why else ''}")
            return data, sandbox.Outcome(None, b"", why.encode(), timed_out, reason, True, details)
        data = read_private(work / target_name, 256 * 1024 * 1024)
        shutil.rmtree(work, ignore_errors=True)
        rc, log = ans["returncode"], ans.get("log", "").encode()
        reason = _reason(rc, ans["timed_out"], log, limits, details)
        return data, sandbox.Outcome(rc, b"", log, ans["timed_out"], reason, True, details)


def _reason(rc, timed_out: bool, log: bytes, limits: sandbox.Limits, details: dict) -> str:
    """The same one-line reasons as sandbox.run gives for a cold run."""
    class _Counts:
        def oom_killed(self):
            return details["oom_killed"]

        def pids_hit(self):
            return details["pids_hit"]
    return sandbox._reason(rc, timed_out, log, limits, _Counts())


# ---------------------------------------------------------------------------------------------
# the per-process pool

_pool: dict[ServerKey, list[WarmServer]] = {}
_pool_lock = threading.Lock()


def key_for(readable, hidden, env: dict, limits: sandbox.Limits, require: bool, devices=None) -> ServerKey:
    """The ServerKey for these sandbox settings."""
    return ServerKey(tuple(str(p) for p in readable), tuple(str(p) for p in hidden), tuple(sorted(env.items())),
                     limits.memory_mb, limits.processes, limits.output_mb, require,
                     None if devices is None else tuple(str(d) for d in devices))


_launcher = None


def _start(key: ServerKey) -> WarmServer:
    """Start a server from one long-lived thread: bubblewrap dies with the *thread* that started it
    (--die-with-parent), and a worker pool's threads may come and go."""
    global _launcher
    from concurrent.futures import ThreadPoolExecutor
    with _pool_lock:
        if _launcher is None:
            _launcher = ThreadPoolExecutor(1, thread_name_prefix="autograde-warm-launcher")
    return _launcher.submit(WarmServer, key).result()


def acquire(key: ServerKey) -> WarmServer:
    """A free, running server for `key` (locked for the caller: release() it), started when none is free."""
    with _pool_lock:
        servers = _pool.setdefault(key, [])
        servers[:] = [s for s in servers if s.alive() or s.lock.locked()]
        for s in servers:
            if s.lock.acquire(blocking=False):
                if s.alive():
                    return s
                s.lock.release()
    server = _start(key)
    server.lock.acquire()
    with _pool_lock:
        _pool.setdefault(key, []).append(server)
    return server


def release(server: WarmServer) -> None:
    """Give a server acquired with acquire() back to the pool."""
    server.lock.release()


def shutdown() -> None:
    """Stop every warm server of this process (also run at exit)."""
    with _pool_lock:
        servers = [s for group in _pool.values() for s in group]
        _pool.clear()
    for s in servers:
        s.close()


atexit.register(shutdown)


if __name__ == "__main__":
    sys.exit(serve())
