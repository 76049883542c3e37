"""Executes one notebook (inside the sandbox): every cell, errors allowed, outputs capped, deaths recorded.

Run as `python -m autograde.sandbox_exec IN.ipynb OUT.ipynb --cell-timeout S`; OUT gets the executed
notebook with `metadata.autograde_run = {"status": "complete"|"died"|"error", "reason": ...}`.
"""
from __future__ import annotations

import argparse
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

MAX_OUTPUT_CHARS = 200_000  # per cell: enormous output is cut, not carried


class CappedClient(NotebookClient):
    """A NotebookClient that stops keeping a cell's text output past MAX_OUTPUT_CHARS."""

    def output(self, outs, msg, display_id, cell_index):
        size = sum(len(o.get("text", "")) + len(str(o.get("data", ""))) for o in outs)
        if size > MAX_OUTPUT_CHARS:
            if not any(o.get("name") == "capped" for o in outs):
                outs.append(nbformat.v4.new_output("stream", name="stdout", text="\n... output truncated by the grader ...\n"))
                outs[-1]["name"] = "capped"
            return None
        return super().output(outs, msg, display_id, cell_index)


PROBE_SECONDS = 15


def _timed_out(cell) -> bool:
    return any(o.get("output_type") == "error" and o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", []))


def _responsive(client, index: int) -> bool:
    """After a timeout: does the kernel still answer a trivial cell within PROBE_SECONDS?"""
    probe, saved = nbformat.v4.new_code_cell("pass"), client.timeout
    client.timeout = PROBE_SECONDS
    try:
        client.execute_cell(probe, index, store_history=False)
    finally:
        client.timeout = saved
    return not _timed_out(probe)


def execute(nb, cell_timeout: int, path: str) -> dict:
    """Execute in place, cell by cell; returns the run record (a hung or dead kernel ends the run early)."""
    timeout_error = {"ename": "CellTimeoutError", "evalue": f"the cell ran past its {cell_timeout} s limit",
                     "traceback": [f"CellTimeoutError: the cell ran past its {cell_timeout} s limit and was stopped"]}
    client = CappedClient(nb, timeout=cell_timeout, kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
                          error_on_timeout=timeout_error, resources={"metadata": {"path": path}})
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
                if _timed_out(cell) and not _responsive(client, index):
                    return {"status": "died", "reason": f"cell {index + 1} ran past {cell_timeout} s and the kernel stopped "
                                                        "responding; later cells did not run"}
    except DeadKernelError as exc:
        return {"status": "died", "reason": f"the kernel died while running a cell ({str(exc)[:200]}); later cells did not run"}
    except Exception as exc:  # report, never lose the outputs gathered so far
        return {"status": "error", "reason": f"execution stopped: {type(exc).__name__}: {str(exc)[:200]}"}
    return {"status": "complete", "reason": ""}


def main(argv=None) -> int:
    """Read IN, execute, write OUT (always, even after a kernel death)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--cell-timeout", type=int, default=600)
    args = parser.parse_args(argv)
    nb = nbformat.read(args.source, as_version=4)
    record = execute(nb, args.cell_timeout, ".")
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("name") == "capped":
                out["name"] = "stdout"
    nb.metadata["autograde_run"] = record
    nbformat.write(nb, args.target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
