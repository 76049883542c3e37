"""Run untrusted student code in a bubblewrap sandbox with limits: the one executor for everything a
student wrote (a notebook's executor and kernel, autograde.isolation; a questionnaire's code answers,
autograde.quiz.runner).

What is isolated, and how
-------------------------
* Files: the sandbox sees the host's system read-only (``--ro-bind / /``), but every top-level
  directory other than the system ones (/usr, /bin, /sbin, /lib*, /etc, /sys) is replaced by an
  empty tmpfs: /root, /home, /tmp, /var, /opt, /srv, /mnt, /media, /run, /work, ... (top-level
  plain files are covered by a nodev /dev/null, so they cannot be opened). Then, from the shallowest path to the deepest, only what
  the caller allows is bound back: each ``readable`` path read-only, ``workdir`` read-write, and each
  ``hidden`` path covered again (an empty tmpfs for a folder, /dev/null for a file). So the course
  folder, the gradebook, instructor files, other students' submissions and /root stay invisible
  unless explicitly listed, wherever they live. /tmp and HOME (/tmp/home) are private, empty and
  writable; /dev is a minimal one (null, zero, urandom, tty, shm); /proc is the sandbox's own.
* Identity: as root, bubblewrap builds the sandbox and the code is then started through
  ``setpriv`` as uid/gid 65534 (nobody) with no capabilities, no supplementary groups and
  no_new_privs (setuid programs cannot regain root). ``workdir`` is handed to that uid for the run
  and handed back to its owner afterwards. As a normal user, bubblewrap's user namespace is used
  (``--unshare-user --uid 1000``).
* Network: a new, empty network namespace (``--unshare-net``): no interface but a down loopback,
  so no TCP/UDP anywhere (not even 127.0.0.1 of the host), no DNS, no abstract unix sockets of the
  host. Also new pid (the code cannot see or signal host processes), ipc, uts and cgroup
  namespaces; ``--new-session`` (no terminal injection) and ``--die-with-parent``.
* Environment: exactly ``env`` plus PATH/HOME/LANG/TMPDIR basics; nothing of the host's
  environment (tokens, keys) is passed.
* Limits: memory by a memory cgroup (v1) per run when /sys/fs/cgroup/memory is writable, with
  out-of-memory kills reported (else RLIMIT_AS); a pids cgroup bounds processes + threads
  (fork storms; RLIMIT_NPROC is useless as root); RLIMIT_CPU, RLIMIT_FSIZE (largest file),
  RLIMIT_CORE=0 through ``prlimit``; the wall time kills the whole tree (cgroup, process group,
  and the pid namespace dies with its init). Temporary cgroups are always removed.

What is NOT isolated
--------------------
* The kernel itself: no seccomp filter, so a kernel exploit escapes. Side channels (CPU timing,
  /proc/cpuinfo, /sys) are visible; /sys and /etc are readable (world-readable files only).
* Disk use: RLIMIT_FSIZE bounds each file, not the number of files written into ``workdir``
  (private /tmp is memory and counts against the memory limit when the memory cgroup is used).
* CPU share: no cpu cgroup; RLIMIT_CPU is per process.
* GPUs: /dev is minimal, except that NVIDIA device nodes present on the host (/dev/nvidia*,
  /dev/nvidia-caps/*) are bound in (``devices``), so the same notebooks run on the GPU; a GPU's
  memory is not bounded by the memory limit.
* cgroup v2-only hosts: no cgroups are used (rlimits only: RLIMIT_AS for memory, no process bound).
* If the grading process itself is killed with SIGKILL, a running sandbox finishes on its own
  (its limits still hold).
* Without bubblewrap and ``require=False``: the code runs with the limits only, as the calling
  user, seeing the whole file system and network (``Outcome.sandboxed`` is False).
"""
from __future__ import annotations

import errno
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Limits", "Outcome", "SandboxUnavailable", "Started", "available", "gpu_devices", "run", "start", "SANDBOX_UID"]

SANDBOX_UID = 65534          # 'nobody': the code's uid when the grader runs as root
HOME = "/tmp/home"           # HOME inside the sandbox (private, empty, writable)
OUTPUT_CAP = 1 << 20         # keep the last 1 MB of stdout and of stderr
_SYSTEM_DIRS = {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "sys"}
_BWRAP_OVERHEAD_PIDS = 2     # bwrap's monitor and its pid-1 reaper count in the pids cgroup
_CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass
class Limits:
    memory_mb: int = 6144        # address space / memory cgroup limit
    cpu_seconds: int = 1800      # RLIMIT_CPU
    processes: int = 256         # fork-storm bound (pids cgroup when available)
    output_mb: int = 256         # RLIMIT_FSIZE: largest file the code may write
    wall_seconds: float = 1800   # the whole run, killed after this (process group + cgroup)


@dataclass
class Outcome:
    returncode: int | None       # None when killed for wall time; -N when killed by signal N
    stdout: bytes
    stderr: bytes
    timed_out: bool
    reason: str                  # '' on success, else a one-line human reason
    sandboxed: bool              # True when bubblewrap isolation was used
    details: dict = field(default_factory=dict)  # what was used: cgroups, rlimits, seconds


class SandboxUnavailable(RuntimeError):
    """bubblewrap cannot be used here; the message names what is missing and how to fix it."""


# ---------------------------------------------------------------------------------------------
# availability

_available: tuple[bool, str] | None = None
_lock = threading.Lock()


def available() -> tuple[bool, str]:
    """(usable, explanation); tries a trivial sandboxed run once and caches the answer."""
    global _available
    with _lock:
        if _available is None:
            _available = _probe()
        return _available


def _probe() -> tuple[bool, str]:
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return False, ("bubblewrap (bwrap) is not installed: install it with "
                       "`apt-get install bubblewrap` (scripts/setup.sh does it when run as root)")
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        return False, "setpriv is missing (needed to drop root in the sandbox): apt-get install util-linux"
    with tempfile.TemporaryDirectory(prefix="autograde-probe-") as tmp:
        work = Path(tmp)
        if os.geteuid() == 0:
            os.chown(work, SANDBOX_UID, SANDBOX_UID)
        argv = _bwrap_argv(["/bin/sh", "-c", "echo ok > probe && cat probe"], work, [], [], 64)
        try:
            p = subprocess.run(argv, capture_output=True, timeout=30, env=_base_env(),
                               stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as e:
            return False, f"bubblewrap did not run: {e}"
    if p.returncode != 0 or p.stdout.strip() != b"ok":
        err = p.stderr.decode(errors="replace").strip().splitlines()
        hint = ""
        if any(w in " ".join(err) for w in ("namespace", "Operation not permitted", "uid map")):
            hint = (" (user namespaces look disabled: `sysctl kernel.unprivileged_userns_clone=1` "
                    "and a non-zero user.max_user_namespaces, or run the grader as root)")
        return False, f"bubblewrap failed a trivial run: {err[-1] if err else p.returncode}{hint}"
    return True, f"bubblewrap {bwrap} works" + (
        f" (root: code runs as uid {SANDBOX_UID})" if os.geteuid() == 0 else " (user namespace)")


# ---------------------------------------------------------------------------------------------
# the bwrap command line


def _base_env(env: dict | None = None, sandboxed: bool = True) -> dict:
    base = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "TMPDIR": "/tmp",
            "HOME": HOME if sandboxed else os.environ.get("HOME", "/tmp")}
    base.update({str(k): str(v) for k, v in (env or {}).items()})
    return base


def _depth(p: Path) -> int:
    return len(p.parts)


def _is_within(p: Path, root: Path) -> bool:
    return p == root or root in p.parents


def _mount_plan(workdir: Path, readable, hidden, writable: bool = True) -> list[tuple[str, Path]]:
    """Mount operations (kind, path) in the order to apply them: tmpfs over the non-system top
    level, then readable (ro), workdir (rw), hidden, shallowest first."""
    ops: list[tuple[int, int, str, Path]] = []
    for entry in sorted(os.listdir("/")):
        p = Path("/") / entry
        if entry in _SYSTEM_DIRS or entry in ("proc", "dev", "tmp") or p.is_symlink():
            continue
        if p.is_dir():
            ops.append((1, 0, "tmpfs", p))
        elif p.exists():
            ops.append((1, 0, "null", p))
    for r in readable:
        r = Path(r).resolve()
        if r.exists() and r != Path("/"):
            ops.append((_depth(r), 1, "ro", r))
    ops.append((_depth(workdir), 2, "rw" if writable else "ro", workdir))
    for h in hidden:
        h = Path(h).resolve()
        if h.is_dir():
            ops.append((_depth(h), 3, "tmpfs", h))
        elif h.exists():
            ops.append((_depth(h), 3, "null", h))
    ops.sort(key=lambda o: (o[0], o[1]))
    return [(kind, p) for _, _, kind, p in ops]


def gpu_devices(dev: Path = Path("/dev")) -> list[Path]:
    """The host's NVIDIA device nodes (character devices /dev/nvidia*, /dev/nvidia-caps/*); none on a CPU machine."""
    import stat as _stat
    found = []
    for p in sorted(dev.glob("nvidia*")) + sorted(dev.glob("nvidia-caps/*")):
        try:
            if _stat.S_ISCHR(p.stat().st_mode):
                found.append(p)
        except OSError:
            pass
    return found


def _bwrap_argv(argv: list[str], workdir: Path, readable, hidden, tmp_mb: int, writable: bool = True,
                devices=()) -> list[str]:
    root = os.geteuid() == 0
    cmd = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
           "--perms", "1777", "--size", str(tmp_mb << 20), "--tmpfs", "/tmp",
           "--perms", "1777", "--size", str(tmp_mb << 20), "--tmpfs", "/dev/shm",
           "--perms", "0777", "--dir", HOME]
    made_dirs: set[Path] = {Path("/"), Path("/dev"), Path("/tmp")}
    for d in map(Path, devices):   # GPU device nodes only: the rest of /dev stays minimal
        for anc in reversed(d.parents):
            if anc not in made_dirs:   # e.g. /dev/nvidia-caps: reachable by the sandbox's uid
                cmd += ["--perms", "0755", "--dir", str(anc)]
                made_dirs.add(anc)
        cmd += ["--dev-bind", str(d), str(d)]
    done: list[tuple[str, Path]] = [("tmpfs", Path("/tmp")), ("tmpfs", Path("/dev/shm"))]
    made: set[Path] = set()
    for kind, p in _mount_plan(workdir, readable, hidden, writable):
        # Folders that bwrap would create on the way to p inside one of our tmpfs get 0755
        # (its default 0700 would lock the unprivileged uid out).
        for anc in reversed(p.parents[:-1] if len(p.parts) > 1 else []):
            cover = max((d for d in done if _is_within(anc, d[1])), key=lambda d: _depth(d[1]),
                        default=None)
            if cover and cover[0] == "tmpfs" and cover[1] != anc and anc not in made:
                cmd += ["--perms", "0755", "--dir", str(anc)]
                made.add(anc)
        s = str(p)
        if kind == "tmpfs":
            cmd += ["--perms", "0755", "--tmpfs", s]
            if p == Path("/var"):
                cmd += ["--perms", "1777", "--dir", "/var/tmp"]
        elif kind == "null":
            cmd += ["--ro-bind", "/dev/null", s]
        elif kind == "ro":
            cmd += ["--ro-bind", s, s]
        else:
            cmd += ["--bind", s, s]
        done.append((kind, p))
    cmd += ["--chdir", str(workdir),
            "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if root:
        cmd += ["--", "setpriv", f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_UID}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    else:
        cmd += ["--unshare-user", "--uid", "1000", "--gid", "1000", "--"]
    return cmd + list(argv)


# ---------------------------------------------------------------------------------------------
# cgroups (v1)


def _own_cgroup(controller: str) -> str:
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, ctrls, path = line.split(":", 2)
            if controller in ctrls.split(","):
                return path.lstrip("/")
    except OSError:
        pass
    return ""


class _Cgroups:
    """Per-run pids and memory cgroups (v1), created under our own; removed by close()."""

    def __init__(self, limits: Limits, extra_pids: int, extra_memory_mb: int = 0, prefix: str = "autograde-sandbox"):
        self.dirs: dict[str, Path] = {}
        name = f"{prefix}-{os.getpid()}-{time.monotonic_ns()}"
        self._make("pids", name, {"pids.max": str(limits.processes + extra_pids)})
        mem = str((limits.memory_mb + extra_memory_mb) << 20)
        if self._make("memory", name, {"memory.limit_in_bytes": mem}):
            d = self.dirs["memory"]
            if (d / "memory.memsw.limit_in_bytes").exists():
                try:  # no swapping around the limit
                    (d / "memory.memsw.limit_in_bytes").write_text(mem)
                except OSError:
                    pass

    def _make(self, controller: str, name: str, settings: dict) -> bool:
        base = _CGROUP_ROOT / controller
        if not (base / "cgroup.procs").exists() or not os.access(base, os.W_OK):
            return False
        d = base / _own_cgroup(controller) / name
        try:
            d.mkdir()
        except OSError:
            return False
        try:
            for k, v in settings.items():
                (d / k).write_text(v)
        except OSError:
            _rmdir(d)
            return False
        self.dirs[controller] = d
        return True

    def procs(self) -> list[int]:
        pids: set[int] = set()
        for d in self.dirs.values():
            try:
                pids.update(int(x) for x in (d / "cgroup.procs").read_text().split())
            except OSError:
                pass
        return sorted(pids)

    def kill_all(self) -> None:
        for _ in range(100):
            pids = self.procs()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)

    def oom_killed(self) -> bool:
        d = self.dirs.get("memory")
        if not d:
            return False
        try:
            for line in (d / "memory.oom_control").read_text().splitlines():
                k, _, v = line.partition(" ")
                if k == "oom_kill" and int(v) > 0:
                    return True
            # older kernels have no oom_kill count: a hit limit is the best clue
            return int((d / "memory.failcnt").read_text()) > 0 and "oom_kill" not in (
                d / "memory.oom_control").read_text()
        except (OSError, ValueError):
            return False

    def pids_hit(self) -> bool:
        d = self.dirs.get("pids")
        try:
            for line in (d / "pids.events").read_text().splitlines():
                k, _, v = line.partition(" ")
                if k == "max" and int(v) > 0:
                    return True
        except (OSError, ValueError, TypeError):
            pass
        return False

    def close(self) -> None:
        self.kill_all()
        for d in self.dirs.values():
            _rmdir(d)
        self.dirs = {}


def _rmdir(d: Path) -> None:
    for _ in range(100):
        try:
            d.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError as e:
            if e.errno != errno.EBUSY:
                return
            time.sleep(0.02)


# ---------------------------------------------------------------------------------------------
# running


class _Tail:
    """Reads a pipe to its end in a thread, keeping only the last `cap` bytes."""

    def __init__(self, stream, cap: int = OUTPUT_CAP):
        self.buf = bytearray()
        self.cap = cap
        self.dropped = 0
        self.t = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.t.start()

    def _read(self, stream) -> None:
        fd = stream.fileno()
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            self.buf += chunk
            if len(self.buf) > 2 * self.cap:
                cut = len(self.buf) - self.cap
                self.dropped += cut
                del self.buf[:cut]
        stream.close()

    def result(self) -> bytes:
        self.t.join(timeout=5)
        data = bytes(self.buf[-self.cap:])
        if self.dropped or len(self.buf) > self.cap:
            data = b"[... output truncated to the last 1 MB ...]\n" + data
        return data


def _chown_tree(top: Path, frm: int | None, uid: int, gid: int) -> None:
    """lchown everything under top (owned by `frm`, or all when None) to uid:gid; never follows links."""
    def one(p: str):
        try:
            if frm is None or os.lstat(p).st_uid == frm:
                os.chown(p, uid, gid, follow_symlinks=False)
        except OSError:
            pass
    one(str(top))
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        for n in dirnames + filenames:
            one(os.path.join(dirpath, n))


def _signame(n: int) -> str:
    try:
        return signal.Signals(n).name
    except ValueError:
        return f"signal {n}"


class Started:
    """A sandboxed process started by start(): `proc` (a Popen), its cgroups; close() ends it and cleans up."""

    def __init__(self, proc, cg, owner, workdir: Path, sandboxed: bool, details: dict):
        self.proc, self.cg, self.owner, self.workdir = proc, cg, owner, workdir
        self.sandboxed, self.details = sandboxed, details

    def oom_kills(self) -> int:
        """Out-of-memory kills so far in this sandbox's memory cgroup (0 without one)."""
        d = self.cg.dirs.get("memory")
        try:
            for line in (d / "memory.oom_control").read_text().splitlines():
                k, _, v = line.partition(" ")
                if k == "oom_kill":
                    return int(v)
            return int((d / "memory.failcnt").read_text())
        except (OSError, ValueError, TypeError):
            return 0

    def pids_hits(self) -> int:
        """Times the pids cgroup refused a fork so far (0 without one)."""
        d = self.cg.dirs.get("pids")
        try:
            for line in (d / "pids.events").read_text().splitlines():
                k, _, v = line.partition(" ")
                if k == "max":
                    return int(v)
        except (OSError, ValueError, TypeError):
            pass
        return 0

    def close(self) -> None:
        """Kill everything in the sandbox, remove its cgroups, hand the work folder back to its owner."""
        if self.proc is not None:
            _kill_tree(self.proc, self.cg)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.cg.close()
        if self.owner is not None:
            _chown_tree(self.workdir, SANDBOX_UID, *self.owner)
            self.owner = None


def _launch(argv, workdir: Path, readable, hidden, env, limits: Limits, require: bool, workdir_writable: bool,
            devices, pipes: dict, extra_memory_mb: int = 0, prefix: str = "autograde-sandbox") -> Started:
    """Start argv in the sandbox (cgroups joined, rlimits set, work folder handed to the sandbox uid)."""
    workdir = Path(workdir).resolve()
    if not workdir.is_dir():
        raise FileNotFoundError(f"workdir {workdir} is not a folder")
    ok, why = available()
    if not ok and require:
        raise SandboxUnavailable(why)
    sandboxed = ok
    as_root = os.geteuid() == 0
    if devices is None:
        devices = gpu_devices()

    cg = _Cgroups(limits, _BWRAP_OVERHEAD_PIDS if sandboxed else 0, extra_memory_mb, prefix)
    details: dict = {"cgroups": sorted(cg.dirs), "sandbox": why, "devices": [str(d) for d in devices]}
    owner = None
    try:
        # rlimits: the memory one only without a memory cgroup (torch reserves large address space)
        rl = {"cpu": f"{limits.cpu_seconds}:{limits.cpu_seconds + 5}",
              "fsize": str(limits.output_mb << 20), "core": "0"}
        if "memory" not in cg.dirs:
            rl["as"] = str((limits.memory_mb + extra_memory_mb) << 20)
        details["rlimits"] = sorted(rl)
        if sandboxed:
            tmp_mb = max(64, limits.memory_mb)
            inner = _bwrap_argv(argv, workdir, readable, hidden, tmp_mb, workdir_writable, devices)
            if as_root:
                st = workdir.stat()
                owner = (st.st_uid, st.st_gid)
                _chown_tree(workdir, None, SANDBOX_UID, SANDBOX_UID)
        else:
            inner = list(argv)
        preexec = None
        if shutil.which("prlimit"):
            inner = ["prlimit"] + [f"--{k}={v}" for k, v in rl.items()] + ["--"] + inner
        else:
            preexec = _rlimit_preexec(rl)
        join = "".join(f'echo $$ > {shlex.quote(str(d / "cgroup.procs"))} || exit 125; '
                       for d in cg.dirs.values())
        full = ["/bin/sh", "-c", join + 'exec "$@"', "sandbox"] + inner
        details["argv"] = full
        proc = subprocess.Popen(full, cwd=workdir, env=_base_env(env, sandboxed), start_new_session=True,
                                preexec_fn=preexec, **pipes)
    except BaseException:
        cg.close()
        if owner is not None:
            _chown_tree(workdir, SANDBOX_UID, *owner)
        raise
    return Started(proc, cg, owner, workdir, sandboxed, details)


def start(argv: list[str], workdir: Path, *, readable: list[Path] = (), hidden: list[Path] = (),
          env: dict | None = None, limits: Limits = Limits(), require: bool = True, devices=None,
          extra_memory_mb: int = 0, stderr=subprocess.DEVNULL, prefix: str = "autograde-sandbox") -> Started:
    """Start a long-lived sandboxed process with pipes on stdin/stdout (stderr: a file or DEVNULL); see run().

    The memory cgroup allows limits.memory_mb + extra_memory_mb (a server's own share); its cgroups are
    named `prefix`-PID-N; the caller must close() the result."""
    return _launch(argv, workdir, readable, hidden, env, limits, require, True, devices,
                   {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": stderr},
                   extra_memory_mb, prefix)


def run(argv: list[str], workdir: Path, *, readable: list[Path] = (), hidden: list[Path] = (),
        env: dict | None = None, limits: Limits = Limits(), require: bool = True,
        workdir_writable: bool = True, devices=None) -> Outcome:
    """Run argv in workdir inside the sandbox with the limits; see the module docstring.

    With workdir_writable=False the work folder is bound read-only: the code can write only the
    sandbox's private /tmp, a tmpfs whose pages count against the memory limit (so disk use is bounded).
    `devices`: device nodes to bind in (None: the host's NVIDIA GPUs, see gpu_devices())."""
    t0 = time.monotonic()
    started = _launch(argv, workdir, readable, hidden, env, limits, require, workdir_writable, devices,
                      {"stdin": subprocess.DEVNULL, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE})
    proc, cg, details, sandboxed = started.proc, started.cg, started.details, started.sandboxed
    try:
        out, err = _Tail(proc.stdout), _Tail(proc.stderr)
        timed_out = False
        try:
            rc = proc.wait(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_tree(proc, cg)
            proc.wait()
            rc = None
        finally:
            _kill_tree(proc, cg)   # leftovers (daemons, forks) go with the run
        details["seconds"] = round(time.monotonic() - t0, 3)
        details["oom_killed"], details["pids_hit"] = cg.oom_killed(), cg.pids_hit()  # also when only a child died
        stdout, stderr = out.result(), err.result()

        if rc is not None and sandboxed and rc > 128 and rc - 128 < 65:
            rc = -(rc - 128)       # bwrap reports a signal death as 128+N; normalise like Popen
        reason = _reason(rc, timed_out, stderr, limits, cg)
        return Outcome(rc, stdout, stderr, timed_out, reason, sandboxed, details)
    finally:
        if proc.returncode is None:   # interrupted: take the tree down
            _kill_tree(proc, cg)
        started.proc = None
        started.close()


def _kill_tree(proc: subprocess.Popen, cg: _Cgroups) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    cg.kill_all()


def _rlimit_preexec(rl: dict):
    import resource
    names = {"cpu": resource.RLIMIT_CPU, "fsize": resource.RLIMIT_FSIZE,
             "core": resource.RLIMIT_CORE, "as": resource.RLIMIT_AS}
    vals = {}
    for k, v in rl.items():
        soft, _, hard = v.partition(":")
        vals[names[k]] = (int(soft), int(hard or soft))

    def apply():
        for k, v in vals.items():
            resource.setrlimit(k, v)
    return apply


def _reason(rc, timed_out, stderr: bytes, limits: Limits, cg: _Cgroups) -> str:
    if timed_out:
        return f"ran past {limits.wall_seconds:g} s"
    if rc == 0:
        return ""
    tail = stderr[-4000:]
    if cg.oom_killed() or b"MemoryError" in tail or b"can't allocate memory" in tail \
            or b"Cannot allocate memory" in tail:
        return f"killed: out of memory ({limits.memory_mb} MB)"
    if cg.pids_hit() or (rc is not None and b"Resource temporarily unavailable" in tail
                         and b"fork" in tail.lower()):
        return f"too many processes (limit {limits.processes})"
    if rc == -signal.SIGXCPU or (rc == -signal.SIGKILL and b"CPU time" in tail):
        return f"used more than {limits.cpu_seconds} s of CPU time"
    if rc == -signal.SIGXFSZ or b"File too large" in tail:
        return f"wrote a file larger than {limits.output_mb} MB"
    if rc == 1 and stderr.startswith(b"bwrap: "):
        return "sandbox setup failed: " + stderr.splitlines()[0][7:].decode(errors="replace")
    if rc in (126, 127):
        last = stderr.strip().splitlines()[-1:] or [b""]
        return "could not start the program: " + last[0].decode(errors="replace")[:200]
    if rc == 125:
        return "could not start (cgroup setup failed)"
    if rc is not None and rc < 0:
        return f"killed by signal {_signame(-rc)}"
    return f"exited with status {rc}"
