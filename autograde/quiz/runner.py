"""Run a code answer in a time-limited subprocess and read back its JSON report."""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

HARNESS = Path(__file__).with_name("harness.py")
TIMEOUT_ENV = "AUTOGRADE_QUIZ_TIMEOUT"
DEFAULT_TIMEOUT = 30.0


def _limits(cpu_s: int):
    def apply():
        import resource
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (20 << 20, 20 << 20))
    return apply


def run_code(code: str, probe: dict, timeout: float | None = None) -> dict:
    """Execute `code` under `probe`; returns the report dict (with 'timeout' or 'error' when it failed)."""
    timeout = float(timeout or os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT))
    nonce = "@@AUTOGRADE-" + secrets.token_hex(8) + "@@"
    with tempfile.TemporaryDirectory(prefix="quiz-") as tmp:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp, "MPLBACKEND": "Agg",
               "MPLCONFIGDIR": tmp, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        proc = subprocess.Popen([sys.executable, "-I", str(HARNESS)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=tmp, env=env, start_new_session=True,
                                preexec_fn=_limits(int(timeout) + 2))
        try:
            out, err = proc.communicate(json.dumps({"code": code, "probe": probe, "nonce": nonce}).encode(),
                                        timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.communicate()
            return {"ok": False, "timeout": True, "error": f"the code did not finish within {timeout:g} s"}
    for line in out.decode("utf-8", "replace").splitlines():
        if line.startswith(nonce):
            try:
                return json.loads(line[len(nonce):])
            except json.JSONDecodeError:
                break
    tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
    return {"ok": False, "error": f"the code crashed ({tail[0][:200]})".strip()}
