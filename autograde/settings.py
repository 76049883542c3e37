"""Grading settings in one place: a traitlets Configurable built from nbgrader_config.py and the command line.

Every limit has one default here. `autograde grade` builds a GradingSettings once and hands it (as plain
values) to each worker; each worker turns it into nbgrader config overrides for its own API. Nothing is
passed through the grader's os.environ. In nbgrader_config.py: `c.GradingSettings.jobs = 4`, etc.
"""
from __future__ import annotations

import os

from traitlets import Enum, Float, Integer, Unicode
from traitlets.config import Configurable

from .checks import DEFAULT_CHECK_TIMEOUT


class GradingSettings(Configurable):
    """What `autograde grade` needs to know: parallelism, gradebook, time and resource limits, isolation."""

    jobs = Integer(0, min=0, help="submissions graded at once: 0 uses one worker per CPU core, 1 grades in this process").tag(config=True)
    scheduler = Unicode("", help="address of a running Dask scheduler (e.g. tcp://host:8786) whose workers grade; "
                                 "'' starts a local cluster of `jobs` worker processes").tag(config=True)
    db_url = Unicode("", help="gradebook database URL (nbgrader's CourseDirectory.db_url), e.g. "
                              "postgresql://user@host/course; '' is the course's gradebook.db (SQLite)").tag(config=True)
    check_timeout = Float(DEFAULT_CHECK_TIMEOUT, help="CPU seconds each hidden check may run").tag(config=True)
    cell_timeout = Integer(600, help="seconds each notebook cell may run (c.Execute.timeout is used when this is "
                                     "not set)").tag(config=True)
    sandbox = Enum(["require", "off"], "require", help="'require': refuse to grade without isolation; 'off': run "
                                                       "student code WITHOUT isolation").tag(config=True)
    quiz_code_timeout = Float(20.0, help="CPU seconds each questionnaire code answer may run (code that waits without "
                                         "computing stops at 4x in wall time; not changed by check_timeout)").tag(config=True)
    memory_mb = Integer(6144, help="memory limit of one submission's sandbox, MB").tag(config=True)
    cpu_seconds = Integer(3600, help="CPU-time limit of one submission's sandbox, seconds").tag(config=True)
    processes = Integer(256, help="most processes one submission's sandbox may start").tag(config=True)
    output_mb = Integer(256, help="largest file one submission may write, MB").tag(config=True)
    wall_seconds = Float(3600.0, help="wall-clock limit of one submission's whole run, seconds").tag(config=True)
    kernel_threads = Integer(0, min=0, help="torch threads of each submission's kernel; 0 shares this machine's cores "
                                            "among the local workers (cores / workers, at least 1; torch's default on "
                                            "a --scheduler cluster)").tag(config=True)
    worker_retries = Integer(1, help="times a submission is tried again after its grading worker died (local "
                                     "cluster)").tag(config=True)

    @classmethod
    def from_config(cls, config, **given) -> "GradingSettings":
        """Settings from a loaded nbgrader config, then the values `given` (the command line; None = not given)."""
        import copy

        config = copy.deepcopy(config)
        section = config.GradingSettings
        if "cell_timeout" not in section and "timeout" in config.Execute:
            section.cell_timeout = int(config.Execute.timeout)
        for name, value in given.items():
            if value is not None:
                section[name] = value
        return cls(config=config)

    def values(self) -> dict:
        """The settings as plain values (what travels to a worker)."""
        return {name: getattr(self, name) for name in self.trait_names(config=True)}

    @classmethod
    def from_values(cls, values: dict) -> "GradingSettings":
        """Settings rebuilt from values()."""
        from traitlets.config import Config

        return cls(config=Config({"GradingSettings": dict(values)}))

    def threads_per_kernel(self) -> int:
        """kernel_threads, or the local cores shared among the local workers (0, torch's default, on a remote cluster)."""
        if self.kernel_threads or self.scheduler:
            return int(self.kernel_threads)
        return max(1, _cores() // self.workers())

    def workers(self) -> int:
        """How many submissions are graded at once on a local cluster."""
        return self.jobs if self.jobs > 0 else _cores()


    def nbgrader_overrides(self) -> dict:
        """nbgrader config (dotted names) for the kit's preprocessors (sandbox limits, questionnaire code runs) and nbconvert."""
        found = {
            "SandboxedExecute.timeout": int(self.cell_timeout),
            "SandboxedExecute.check_timeout": float(self.check_timeout),
            "SandboxedExecute.sandbox": self.sandbox,
            "SandboxedExecute.memory_mb": int(self.memory_mb),
            "SandboxedExecute.cpu_seconds": int(self.cpu_seconds),
            "SandboxedExecute.processes": int(self.processes),
            "SandboxedExecute.output_mb": int(self.output_mb),
            "SandboxedExecute.wall_seconds": float(self.wall_seconds),
            "SandboxedExecute.kernel_threads": self.threads_per_kernel(),
            "SaveTypedGrades.quiz_code_timeout": float(self.quiz_code_timeout),
            "SaveTypedGrades.quiz_sandbox": self.sandbox,
            # nbconvert validates the whole notebook after each of the ~8 steps of a conversion by default: once,
            # after the last step, checks the same result (each submission is converted three times)
            "Exporter.optimistic_validation": True,
        }
        if self.db_url:
            found["CourseDirectory.db_url"] = self.db_url
        return found


def _cores() -> int:
    """CPU cores this process may use."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
