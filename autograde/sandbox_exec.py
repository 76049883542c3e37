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
    nb.metadata["autograde_run"] = record
    nbformat.write(nb, args.target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
