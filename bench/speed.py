"""Benchmark: seconds per submission grading N identical complete chapter 4 submissions, in one run.

Measured, in this order, on the same machine in one run (the load average is printed before and after):
* one plain execution of the solution notebook (nbclient, a fresh kernel, no grading);
* stock `nbgrader autograde` with a plain config on the same source notebook (no kit preprocessors);
* the kit, default settings (`autograde grade`: warm kernels, all cores);
* the kit with `--jobs 1` (warm kernels, one submission at a time);
* with --cold, also the kit with `--jobs 1` and cold kernels (c.SandboxedExecute.warm_kernels = False).
Then the ratios: stock / kit (goal >= 4 with N >= 8 on a 2-core machine) and kit / plain execution (goal <= 1.2).
Last, the bound no grader can beat here: the solution's cells in a kernel that already imported torch and fastai,
executed with one torch thread,
divided by the cores (every core busy with one submission, nothing else costing anything), and stock / that bound,
the largest stock / kit ratio this notebook allows on this machine.
Each figure also gives the CPU seconds per submission of the command and its descendants (user + system, from
getrusage of reaped children): on a machine shared with other jobs the wall-clock figures swing with the load,
the CPU figures much less. Processes killed rather than reaped are not counted, so the kit's CPU figures miss its
Dask workers and warm kernels: compare the kit by wall clock only.

Run: .venv/bin/python bench/speed.py [-n 8] [--cold] [--skip-stock]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import resource
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
ASSIGNMENT = "04_mnist_basics"
SUBMISSION = REPO / "examples" / "submitted" / "example-complete" / ASSIGNMENT
BIN = Path(sys.executable).parent


def load() -> str:
    """The machine's load averages (1, 5, 15 min) and core count, as one phrase."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


CPU: dict[str, float] = {}   # label -> CPU seconds per submission of the last measurement


def children_cpu() -> float:
    """User + system CPU seconds of every reaped descendant so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd: list[str], cwd: Path, label: str, n: int) -> tuple[float, subprocess.CompletedProcess]:
    """Run cmd; (wall seconds, result); records CPU seconds per submission under `label`."""
    cpu, start = children_cpu(), time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    CPU[label] = (children_cpu() - cpu) / n
    return elapsed, p


def env() -> dict:
    """The environment of the timed commands: the kit's venv first on PATH, offline data."""
    e = dict(os.environ)
    e["PATH"] = str(BIN) + os.pathsep + e.get("PATH", "")
    e.setdefault("AUTOGRADE_OFFLINE", "1")
    return e


def kit_course(tmp: Path, n: int) -> Path:
    """A scratch course: the kit's config, chapter 4 released, its key built, N copies of the complete submission."""
    from autograde import keys
    from autograde.release import release

    course = tmp / "kit"
    course.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", course)
    shutil.copytree(REPO / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    release(course, [ASSIGNMENT])
    keys.ensure(course, ASSIGNMENT)  # built once per assignment, not per submission: not timed
    for i in range(n):
        shutil.copytree(SUBMISSION, course / "incoming" / f"student{i:02d}" / ASSIGNMENT)
    return course


def kit_seconds(course: Path, n: int, extra: list[str], config_line: str = "", label: str = "kit") -> float:
    """Seconds per submission for `autograde grade` (every submission must score full marks)."""
    config = course / "nbgrader_config.py"
    original = config.read_text()
    out = course / f"grades-{time.monotonic_ns()}.json"
    try:
        if config_line:
            config.write_text(original + "\n" + config_line + "\n")
        cmd = [str(BIN / "autograde"), "grade", ASSIGNMENT, "--submissions", "incoming", "--regrade", "--json", str(out)] + extra
        elapsed, p = timed(cmd, course, label, n)
    finally:
        config.write_text(original)
    if p.returncode != 0 or not out.exists():
        raise SystemExit(f"`{' '.join(cmd)}` failed ({p.returncode}):\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    results = json.loads(out.read_text())
    wrong = {s: (r.get("total"), r.get("max"), r.get("reason")) for s, r in results.items() if r.get("total") != r.get("max")}
    if len(results) != n or wrong:
        raise SystemExit(f"`{' '.join(cmd)}`: expected {n} full-mark submissions, got {len(results)}; not full: {wrong}")
    return elapsed / n


STOCK_CONFIG = """c = get_config()
c.CourseDirectory.course_id = "bench"
c.CourseDirectory.root = {root!r}
c.ExecutePreprocessor.timeout = 600
"""


def stock_seconds(tmp: Path, n: int) -> float:
    """Seconds per submission for stock `nbgrader autograde`, plain config, on the same source notebook and submission."""
    course = tmp / "stock"
    course.mkdir()
    (course / "nbgrader_config.py").write_text(STOCK_CONFIG.format(root=str(course)))
    shutil.copytree(REPO / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    p = subprocess.run([str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT, "--force"], cwd=course, env=env(),
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"nbgrader generate_assignment failed:\n{p.stderr[-3000:]}")
    for i in range(n):
        shutil.copytree(SUBMISSION, course / "submitted" / f"student{i:02d}" / ASSIGNMENT)
    elapsed, p = timed([str(BIN / "nbgrader"), "autograde", ASSIGNMENT, "--force"], course,
                       "stock nbgrader autograde, plain config", n)
    graded = list((course / "autograded").glob(f"*/{ASSIGNMENT}/*.ipynb"))
    if p.returncode != 0 or len(graded) != n:
        raise SystemExit(f"nbgrader autograde failed ({p.returncode}, {len(graded)} of {n} graded):\n{p.stderr[-3000:]}")
    return elapsed / n


# Executes the solution notebook in a fresh kernel; prints the seconds its cells took. With "one-thread", the
# kernel first imports torch and fastai (untimed, as a warm kernel has them) and uses one torch thread.
_EXECUTE = """import sys, time, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
c = NotebookClient(nb, timeout=1200, kernel_name='python3', resources={'metadata': {'path': sys.argv[2]}})
with c.setup_kernel():
    if sys.argv[3] == 'one-thread':
        c.execute_cell(nbformat.v4.new_code_cell('import torch; torch.set_num_threads(1)\\nfrom fastai.vision.all import *'), 0)
    t = time.perf_counter()
    for i, cell in enumerate(nb.cells):
        c.execute_cell(cell, i)
    print(time.perf_counter() - t)
"""


def _execute(course: Path, mode: str, label: str) -> tuple[float, float]:
    """(wall seconds of the whole command, seconds the cells took) executing the solution notebook in `mode`."""
    notebook = next((course / "solutions" / ASSIGNMENT).glob("*.ipynb"))
    elapsed, p = timed([sys.executable, "-c", _EXECUTE, str(notebook), str(notebook.parent), mode], course, label, 1)
    if p.returncode != 0:
        raise SystemExit(f"executing {notebook} failed:\n{p.stderr[-3000:]}")
    return elapsed, float(p.stdout.strip().splitlines()[-1])


def plain_seconds(course: Path) -> float:
    """Seconds to execute the solution notebook top to bottom once (nbclient, fresh kernel), in a fresh Python."""
    return _execute(course, "plain", "one plain execution of the solution notebook")[0]


def compute_seconds(course: Path) -> float:
    """Seconds of the solution's cells in a kernel that already imported torch and fastai, one torch thread."""
    return _execute(course, "one-thread", "the solution's cells, one torch thread")[1]


def show(row: tuple[str, float]) -> None:
    """Print one measurement: wall seconds and CPU seconds per submission."""
    print(f"  {row[0]}: {row[1]:.1f} s per submission ({CPU.get(row[0], float('nan')):.1f} CPU-s)", flush=True)


def main() -> None:
    """Measure and print seconds per submission and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=8, help="identical complete submissions (default 8)")
    parser.add_argument("--cold", action="store_true", help="also measure --jobs 1 with cold kernels")
    parser.add_argument("--skip-stock", action="store_true", help="leave stock nbgrader out (it is the slowest)")
    args = parser.parse_args()
    os.environ.setdefault("AUTOGRADE_OFFLINE", "1")
    if not SUBMISSION.is_dir():
        raise SystemExit(f"{SUBMISSION} is missing: run `autograde examples {ASSIGNMENT}` in the checkout")
    jobs_help = subprocess.run([str(BIN / "autograde"), "grade", "--help"], capture_output=True, text=True, env=env()).stdout
    print(f"{args.n} identical complete {ASSIGNMENT} submissions; {load()}", flush=True)
    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="autograde-speed-") as tmp:
        course = kit_course(Path(tmp), args.n)
        rows.append(("one plain execution of the solution notebook", plain_seconds(course)))
        show(rows[-1])
        if not args.skip_stock:
            rows.append(("stock nbgrader autograde, plain config", stock_seconds(Path(tmp), args.n)))
            show(rows[-1])
        rows.append(("kit, default settings", kit_seconds(course, args.n, [], label="kit, default settings")))
        show(rows[-1])
        if "--jobs" in jobs_help:
            rows.append(("kit, --jobs 1", kit_seconds(course, args.n, ["--jobs", "1"], label="kit, --jobs 1")))
            show(rows[-1])
        if args.cold:
            extra = ["--jobs", "1"] if "--jobs" in jobs_help else []
            rows.append(("kit, --jobs 1, cold kernels", kit_seconds(course, args.n, extra,
                                                                   "c.SandboxedExecute.warm_kernels = False",
                                                                   "kit, --jobs 1, cold kernels")))
            show(rows[-1])
        compute = compute_seconds(course)
    figures = dict(rows)
    kit = figures["kit, default settings"]
    plain = figures["one plain execution of the solution notebook"]
    print(f"after: {load()}")
    if "stock nbgrader autograde, plain config" in figures:
        stock = figures["stock nbgrader autograde, plain config"]
        print(f"stock nbgrader / kit: {stock / kit:.2f}x faster per submission (goal >= 4)")
    print(f"kit / one plain execution: {kit / plain:.2f} (goal <= 1.2)")
    cores = os.cpu_count() or 1
    print(f"the solution's cells, torch and fastai already imported, one torch thread: {compute:.1f} s; "
          f"divided by {cores} cores: {compute / cores:.1f} s per submission, the least any grader needs here")
    if "stock nbgrader autograde, plain config" in figures:
        print(f"stock nbgrader / that bound: {stock / (compute / cores):.2f}x (the largest stock / kit this notebook allows here); "
              f"kit / that bound: {kit / (compute / cores):.2f}")
    for name, value in rows:
        if name.startswith("kit,") and name != "kit, default settings":
            print(f"{name} / kit default: {value / kit:.2f}")


if __name__ == "__main__":
    main()
