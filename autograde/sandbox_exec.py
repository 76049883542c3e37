"""Executes one notebook (inside the sandbox): every cell, errors allowed, outputs capped, deaths recorded.

Run as `python -m autograde.sandbox_exec IN.ipynb OUT.ipynb --cell-timeout S`; OUT gets the executed
notebook with `metadata.autograde_run = {"status": "complete"|"died"|"error", "reason": ...}`.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from autograde.checks import RESULT_MIME

MAX_OUTPUT_CHARS = 200_000  # per cell: enormous output is cut, not carried


NOTE = "\n... output truncated by the grader ...\n"


def _is_result(out) -> bool:
    return RESULT_MIME in out.get("data", {})


def _size(outs) -> int:
    """Characters of a cell's output, the kit's check results not counted (they are never cut)."""
    return sum(len(o.get("text", "")) + len(str(o.get("data", ""))) for o in outs if not _is_result(o))


class CappedClient(NotebookClient):
    """A NotebookClient that keeps at most MAX_OUTPUT_CHARS of each cell's output, then a note.

    The kit's check results always pass (their size is bounded by autograde.values)."""

    def output(self, outs, msg, display_id, cell_index):
        if RESULT_MIME in msg.get("content", {}).get("data", {}):
            return super().output(outs, msg, display_id, cell_index)
        if _size(outs) >= MAX_OUTPUT_CHARS:
            return None
        out = super().output(outs, msg, display_id, cell_index)
        excess = _size(outs) - MAX_OUTPUT_CHARS
        if excess > 0 and outs and not _is_result(outs[-1]):
            last = outs[-1]
            if isinstance(last.get("text"), str) and len(last["text"]) > excess:
                last["text"] = last["text"][: len(last["text"]) - excess] + NOTE
            else:
                outs[-1] = nbformat.v4.new_output("stream", name="stdout", text=NOTE)
        return out


PROBE_SECONDS = 15
SAVE_EVERY = 10  # seconds: progress is saved after each grade cell, and at least this often


class _Watched(CappedClient):
    """Notes when a cell ran past its limit (nbclient interrupts the kernel but records nothing in the cell)."""

    timed_out = False

    async def _async_handle_timeout(self, timeout, cell=None):
        self.timed_out = True
        return await super()._async_handle_timeout(timeout, cell)


def _mark_timeout(cell, error: dict) -> None:
    if not any(o.get("output_type") == "error" and o.get("ename") == error["ename"] for o in cell.get("outputs", [])):
        cell.setdefault("outputs", []).append(nbformat.v4.new_output("error", **error))


def _responsive(client, index: int) -> bool:
    """After a timeout: does the kernel still answer a trivial cell within PROBE_SECONDS?

    A kernel that ignores the interrupt (SIGINT blocked or caught) would otherwise hold every later cell
    until its own limit, and the whole run until the sandbox's wall time."""
    probe, saved, cell = nbformat.v4.new_code_cell("pass"), client.timeout, client.nb.cells[index]
    client.timeout, client.timed_out = PROBE_SECONDS, False
    try:
        client.execute_cell(probe, index, store_history=False)
    finally:
        client.timeout = saved
        client.nb.cells[index] = cell  # nbclient stores the probe at `index`: put the timed-out cell back
    return not client.timed_out


def execute(nb, cell_timeout: int, path: str, save=None, kernel_manager_class=None) -> dict:
    """Execute in place, cell by cell; returns the run record (a hung or dead kernel ends the run early).

    `save(record)` is called after each grade cell (and every SAVE_EVERY s), so a run killed from outside
    (the sandbox's wall time) keeps what it graded. `kernel_manager_class`: how the kernel starts
    (default: a fresh python3 process; autograde.warm forks a pre-imported one)."""
    timeout_error = {"ename": "CellTimeoutError", "evalue": f"the cell ran past its {cell_timeout} s limit",
                     "traceback": [f"CellTimeoutError: the cell ran past its {cell_timeout} s limit and was stopped"]}
    client = _Watched(nb, timeout=cell_timeout, kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
                      error_on_timeout=timeout_error, resources={"metadata": {"path": path}},
                      **({"kernel_manager_class": kernel_manager_class} if kernel_manager_class else {}))
    saved_at = time.monotonic()
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                client.timed_out = False
                client.execute_cell(cell, index)
                if client.timed_out:
                    _mark_timeout(cell, timeout_error)
                    if not _responsive(client, index):
                        return {"status": "died", "reason": f"cell {index + 1} ran past {cell_timeout} s and the kernel ignored "
                                                            "the interrupt; later cells did not run"}
                graded = cell.get("metadata", {}).get("nbgrader", {}).get("grade")
                if save and cell.get("cell_type") == "code" and (graded or time.monotonic() - saved_at > SAVE_EVERY):
                    save({"status": "died", "reason": f"the run was stopped after cell {index + 1}; later cells did not run"})
                    saved_at = time.monotonic()
    except DeadKernelError as exc:
        return {"status": "died", "reason": f"the kernel died while running a cell ({str(exc)[:200]}); later cells did not run"}
    except Exception as exc:  # report, never lose the outputs gathered so far
        return {"status": "error", "reason": f"execution stopped: {type(exc).__name__}: {str(exc)[:200]}"}
    return {"status": "complete", "reason": ""}


def _writer(nb, target: str):
    """save(record): write the notebook with `record` to `target` atomically (a fresh file, then rename).

    Plain JSON, neither validated nor indented (nbformat.write took 0.18 s for a chapter 4 notebook with its
    plots, json.dump 0.015 s, and the notebook is saved after each of its ~30 grade cells); the grader reads it
    back with nbformat, which reads both alike."""
    def save(record: dict) -> None:
        nb.metadata["autograde_run"] = record
        tmp = f"{target}.partial"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(nb, f, ensure_ascii=False)
        os.replace(tmp, target)
    return save


def run_file(source: str, target: str, cell_timeout: int, kernel_manager_class=None) -> None:
    """Execute the notebook at `source`, writing `target` as it goes and at the end."""
    nb = nbformat.read(source, as_version=4)
    save = _writer(nb, target)
    save(execute(nb, cell_timeout, ".", save, kernel_manager_class))


def main(argv=None) -> int:
    """Read IN, execute, write OUT (after each cell, and at the end even after a kernel death)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--cell-timeout", type=int, default=600)
    args = parser.parse_args(argv)
    run_file(args.source, args.target, args.cell_timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
