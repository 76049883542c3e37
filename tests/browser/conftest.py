"""Browser tests: JupyterLab started by the tests on a free port, driven by Debian's Chromium through Playwright.

They skip, saying why, where Playwright or /usr/bin/chromium is absent (scripts/setup.sh installs Chromium as
root; Playwright comes with the `test` extra; no browser is ever downloaded). Screenshots of the main screens
are written only when AUTOGRADE_SCREENSHOTS names a folder (`AUTOGRADE_SCREENSHOTS=docs/screenshots`)."""
from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS_ENV = "AUTOGRADE_SCREENSHOTS"
STARTUP_S = 240      # JupyterLab on a busy 2-core machine
VALIDATE_MS = 600_000  # Validate runs the whole notebook in a fresh kernel
UI_MS = 120_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Lab:
    """A running JupyterLab: its URL, token (sent as a header, never in the URL) and log."""

    def __init__(self, url: str, token: str, log: Path):
        self.url, self.token, self.log = url, token, log

    def log_tail(self, n: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])


@contextlib.contextmanager
def running_lab(folder: Path, runtime: Path):
    """Start JupyterLab serving `folder` (also its working folder, where nbgrader reads nbgrader_config.py)."""
    token, port = secrets.token_hex(16), _free_port()
    runtime.mkdir(parents=True, exist_ok=True)
    labconfig = runtime / "config" / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)  # no "get Jupyter news?" prompt over the screens under test
    (labconfig / "page_config.json").write_text(
        '{"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": true}}')
    log = runtime / "jupyterlab.log"
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}",
           "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=", "--LabServerApp.workspaces_dir=" + str(runtime / "ws")]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    # Only this server's own config: no user-level Jupyter settings leak in (nbgrader also reads the cwd's config).
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(runtime / "config"), "JUPYTER_RUNTIME_DIR": str(runtime / "rt"),
           "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=folder, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    lab = Lab(f"http://127.0.0.1:{port}", token, log)
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{lab.log_tail()}")
            try:
                req = urllib.request.Request(lab.url + "/api/status", headers={"Authorization": f"token {token}"})
                with urllib.request.urlopen(req, timeout=5) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer within {STARTUP_S} s:\n{lab.log_tail()}")
            time.sleep(1)
        yield lab
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium under Playwright (skips, naming the fix, where either is missing)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright is not installed: pip install -e '.[test]' (it drives Debian's Chromium; no download)")
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is absent: apt-get install -y chromium (scripts/setup.sh does it when root)")
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            yield browser
        finally:
            browser.close()


def open_page(chromium, lab: Lab):
    """A fresh browser page authenticated by a header (the token never appears in a URL)."""
    context = chromium.new_context(extra_http_headers={"Authorization": f"token {lab.token}"},
                                   viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(UI_MS)
    return page


def open_in_lab(page, lab: Lab, path: str = ""):
    """Open JupyterLab (at a file when `path` is given) and wait until the app has started."""
    # ?reset: a fresh workspace, so no notebook of an earlier test is restored beside this one
    page.goto(f"{lab.url}/lab/tree/{path}?reset" if path else f"{lab.url}/lab?reset", wait_until="domcontentloaded")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started !== undefined")
    page.evaluate("() => window.jupyterapp.started")
    if path.endswith(".ipynb"):
        page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", state="attached")
        page.wait_for_selector(".jp-NotebookPanel .validate-button", state="visible")


def screenshot(page, name: str) -> None:
    """Save a screenshot as <AUTOGRADE_SCREENSHOTS>/<name>.png when that variable names a folder."""
    folder = os.environ.get(SCREENSHOTS_ENV)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def fill_from(release_nb: Path, solution_nb: Path, out: Path) -> Path:
    """The released notebook with every answer cell taken from the worked solution (a completed submission)."""
    import nbformat

    nb, solved = nbformat.read(str(release_nb), as_version=4), nbformat.read(str(solution_nb), as_version=4)
    assert len(nb.cells) == len(solved.cells), f"{release_nb} and {solution_nb} differ in cells; run autograde release"
    for cell, answer in zip(nb.cells, solved.cells):
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answer.source
    nbformat.write(nb, str(out))
    return out


@pytest.fixture(scope="module")
def page(chromium, lab):
    """A browser page on the module's JupyterLab (`lab`, a fixture of each test module)."""
    page = open_page(chromium, lab)
    yield page
    page.context.close()
