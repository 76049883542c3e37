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


def execute(nb, cell_timeout: int, path: str) -> dict:
    """Execute in place; returns the run record."""
    client = CappedClient(nb, timeout=cell_timeout, kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
                          resources={"metadata": {"path": path}})
    try:
        client.execute()
    except DeadKernelError as exc:
        return {"status": "died", "reason": f"the kernel died while running a cell ({str(exc)[:200]}); later cells did not run"}
    except Exception as exc:  # report, never lose the outputs gathered so far
        return {"status": "error", "reason": f"execution stopped: {type(exc).__name__}: {str(exc)[:200]}"}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("name") == "capped":
                out["name"] = "stdout"
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
