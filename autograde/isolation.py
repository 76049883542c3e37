"""Run a submission's notebook inside the sandbox (executor and kernel both inside), outputs carried back.

By default through this process's warm server (autograde.warm: the kernel is a fork of a sandboxed interpreter
that already imported torch and fastai, fresh state per submission); cold (a new sandbox and Python per
submission) with `c.SandboxedExecute.warm_kernels = False`, or when the warm server cannot start."""
from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Float, Integer, Unicode

from . import sandbox, warm
from .checks import CHECK_TIMEOUT_ENV, DEFAULT_CHECK_TIMEOUT, GRADING_ENV
from .data import CACHE_ENV, OFFLINE_ENV, _standin_root
from .intake import Refused, check_in_place, id_problem, read_private, write_private

RUN_KEY = "autograde_run"
PACKAGE = Path(__file__).resolve().parent
MAX_NOTEBOOK_BYTES = 256 * 1024 * 1024


def fastai_home() -> Path:
    """fastai's home folder (config and data), created on the host so the sandbox can read it."""
    home = Path(os.environ.get("FASTAI_HOME", "~/.fastai")).expanduser().resolve()
    if not (home / "config.ini").is_file():  # importing fastai costs seconds: only when its config is missing
        from fastai.data.external import fastai_cfg

        fastai_cfg()  # writes config.ini on first use
    return home


def readable_paths() -> list[Path]:
    """What the kernel may read: Python, the venv, the kit's package, and the data caches."""
    paths = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), PACKAGE, _standin_root().resolve(), fastai_home()}
    return sorted(p for p in paths if p.exists())


def hidden_paths() -> list[Path]:
    """Kit files the kernel must not see even inside readable folders: the questionnaire rubrics."""
    return [PACKAGE / "quiz"]


def kernel_env(check_timeout: float | None) -> dict:
    """The environment inside the sandbox: grading mode, limits, data locations; nothing else of the host's."""
    env = {
        GRADING_ENV: "1",
        CHECK_TIMEOUT_ENV: str(check_timeout or os.environ.get(CHECK_TIMEOUT_ENV, DEFAULT_CHECK_TIMEOUT)),
        OFFLINE_ENV: "1",
        CACHE_ENV: str(_standin_root().resolve()),
        "FASTAI_HOME": str(fastai_home()),
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
        **warm.THREAD_ENV,  # idle torch threads sleep instead of spinning on a shared machine
    }
    return env


def _copy_data(source: Path, dest: Path) -> None:
    """Copy the regular files and folders of `source` (the grader's copy of a submission) into `dest`; no links."""
    for entry in os.scandir(source):
        st = entry.stat(follow_symlinks=False)
        if stat.S_ISDIR(st.st_mode):
            (dest / entry.name).mkdir()
            _copy_data(Path(entry.path), dest / entry.name)
        elif stat.S_ISREG(st.st_mode):
            shutil.copyfile(entry.path, dest / entry.name, follow_symlinks=False)


class SandboxedExecute(NbGraderPreprocessor):
    """nbgrader's Execute step, moved into the sandbox; records how the run ended in the notebook."""

    timeout = Integer(600, help="seconds each cell may run").tag(config=True)
    sandbox = Unicode("require", help="'require' (refuse to grade without isolation) or 'off' (no isolation)").tag(config=True)
    check_timeout = Float(0.0, help="seconds each hidden check may run (0: the default)").tag(config=True)
    memory_mb = Integer(6144).tag(config=True)
    cpu_seconds = Integer(3600).tag(config=True)
    processes = Integer(256).tag(config=True)
    output_mb = Integer(256).tag(config=True)
    wall_seconds = Float(3600.0).tag(config=True)
    warm_kernels = Bool(True, help="start each submission's kernel as a fork of a sandboxed server that already imported "
                                   "torch and fastai (autograde.warm; fresh state per submission); False: a fresh "
                                   "sandbox and Python per submission (slower). Used only when the sandbox is on"
                        ).tag(config=True)
    kernel_threads = Integer(0, help="torch threads in each warm kernel (0: torch's default)").tag(config=True)

    def _check_submission(self, resources) -> None:
        """Under nbgrader's own autograde (formgrader), which copies `submitted/` itself: refuse what
        `autograde grade` refuses (bad ids, links, special files). nbgrader then drops the graded copy."""
        coursedir = getattr(getattr(self.parent, "parent", None), "coursedir", None)
        info = resources.get("nbgrader", {})
        if coursedir is None or "student" not in info:
            return
        problem = id_problem(str(info["student"]))
        if problem:
            raise Refused(problem)
        check_in_place(Path(coursedir.format_path(coursedir.submitted_directory, info["student"], info["assignment"])))

    def preprocess(self, nb, resources):
        self._check_submission(resources)
        # Student code runs in a fresh scratch folder of the grader, never in graded/: what it writes there
        # (links included) is thrown away, so nothing it plants can redirect the grader's later writes.
        graded = Path(resources["metadata"]["path"]).resolve()
        workdir = Path(tempfile.mkdtemp(prefix="autograde-run-"))
        try:
            _copy_data(graded, workdir)
            source, target = workdir / ".autograde-in.ipynb", workdir / ".autograde-out.ipynb"
            text = nbformat.writes(nb)   # once: 0.15 s for a notebook with its plots
            write_private(source, text)
            limits = sandbox.Limits(memory_mb=self.memory_mb, cpu_seconds=self.cpu_seconds, processes=self.processes,
                                    output_mb=self.output_mb, wall_seconds=self.wall_seconds)
            outcome = self._run_warm(graded, source, target, text, limits) if self._use_warm() else None
            if outcome is None:
                argv = [sys.executable, "-m", "autograde.sandbox_exec", source.name, target.name, "--cell-timeout", str(self.timeout)]
                outcome = sandbox.run(argv, workdir, readable=readable_paths(), hidden=hidden_paths(),
                                      env=kernel_env(self.check_timeout or None), limits=limits, require=self.sandbox == "require")
            executed, record = self._read_back(nb, target, outcome)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        executed.metadata[RUN_KEY] = record
        return executed, resources

    def _use_warm(self) -> bool:
        """Warm kernels only inside the sandbox (the fork server's clean-up relies on its pid namespace)."""
        return self.warm_kernels and self.sandbox == "require" and sandbox.available()[0] and hasattr(os, "fork")

    def _run_warm(self, graded: Path, source: Path, target: Path, text: str, limits):
        """Run through this process's warm server; None (cold fallback) when it cannot start. Writes `target`."""
        env = kernel_env(self.check_timeout or None)
        key = warm.key_for(readable_paths(), hidden_paths(), {k: v for k, v in env.items() if k != CHECK_TIMEOUT_ENV},
                           limits, True)
        try:
            server = warm.acquire(key)
        except warm.WarmUnavailable as exc:
            self.log.warning("warm kernels unavailable, grading cold (a fresh Python per submission): %s", exc)
            return None
        try:
            data, outcome = server.run(graded, source.name, text.encode(), target.name,
                                       cell_timeout=self.timeout, limits=limits, env=env, threads=self.kernel_threads)
        finally:
            warm.release(server)
        if data is not None:
            write_private(target, data)
        return outcome

    def _read_back(self, nb, target: Path, outcome):
        """The executed notebook (untrusted data) and the run record; the input notebook if nothing came back."""
        record = {"sandboxed": outcome.sandboxed}
        data = read_private(target, MAX_NOTEBOOK_BYTES)  # a link planted there is not followed
        if data is not None:
            try:
                executed = nbformat.reads(data.decode("utf-8"), as_version=4)
                run = executed.metadata.get(RUN_KEY, {})
                status = run.get("status") if isinstance(run, dict) else None
                reason = str(run.get("reason", ""))[:400] if isinstance(run, dict) else ""
                if outcome.reason:  # killed from outside (wall time, memory): what ran before still counts
                    status, reason = "died", outcome.reason + (f"; {reason}" if status != "complete" and reason else "")
                elif status != "complete" and outcome.details.get("oom_killed"):
                    reason = f"{reason} (it ran out of memory: the limit is {self.memory_mb} MB)"
                elif status != "complete" and outcome.details.get("pids_hit"):
                    reason = f"{reason} (it started too many processes: the limit is {self.processes})"
                record.update(status=status or "error", reason=reason or ("" if status == "complete" else "the run ended early"))
                return executed, record
            except Exception as exc:  # a mangled notebook from inside is a failed run, never a crash
                record.update(status="error", reason=f"the executed notebook could not be read ({type(exc).__name__})")
                return nb, record
        record.update(status="died", reason=outcome.reason or "the run produced no notebook (killed?)")
        return nb, record
