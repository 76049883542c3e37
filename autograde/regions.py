"""The one scanner for `### BEGIN X` / `### END X` regions in notebook cell sources."""
from __future__ import annotations

from dataclasses import dataclass

KINDS = {"solution": "SOLUTION", "hidden": "HIDDEN TESTS"}


class RegionError(ValueError):
    """A cell's BEGIN/END markers do not pair up."""


@dataclass(frozen=True)
class Region:
    """Lines [begin, end] of a source (marker lines included) holding one region of `kind`."""

    kind: str
    begin: int
    end: int
    body: tuple[str, ...]


def _marker(line: str, word: str, kind: str) -> bool:
    return line.strip() == f"### {word} {KINDS[kind]}"


def scan(source: str, kind: str, where: str = "cell") -> list[Region]:
    """All regions of `kind` in `source`; `where` names the notebook and cell in errors."""
    lines = source.splitlines()
    regions, start = [], None
    for i, line in enumerate(lines):
        if _marker(line, "BEGIN", kind):
            if start is not None:
                raise RegionError(f"{where}: line {i + 1} opens a {KINDS[kind]} region inside another; close the first with '### END {KINDS[kind]}'")
            start = i
        elif _marker(line, "END", kind):
            if start is None:
                raise RegionError(f"{where}: line {i + 1} closes a {KINDS[kind]} region that was never opened; add '### BEGIN {KINDS[kind]}' above it")
            regions.append(Region(kind, start, i, tuple(lines[start + 1 : i])))
            start = None
    if start is not None:
        raise RegionError(f"{where}: line {start + 1} opens a {KINDS[kind]} region that is never closed; add '### END {KINDS[kind]}'")
    return regions


def _rewrite(source: str, kind: str, keep_body: bool, where: str) -> str:
    lines = source.splitlines()
    drop = set()
    for region in scan(source, kind, where):
        drop.update({region.begin, region.end} if keep_body else range(region.begin, region.end + 1))
    kept = [line for i, line in enumerate(lines) if i not in drop]
    return "\n".join(kept).rstrip("\n")


def unwrap(source: str, kind: str, where: str = "cell") -> str:
    """Source with the region markers of `kind` removed and their bodies kept."""
    return _rewrite(source, kind, keep_body=True, where=where)


def remove(source: str, kind: str, where: str = "cell") -> str:
    """Source with every region of `kind` removed, markers and body."""
    return _rewrite(source, kind, keep_body=False, where=where)


def bodies(source: str, kind: str, where: str = "cell") -> list[str]:
    """The text inside each region of `kind`."""
    return ["\n".join(r.body) for r in scan(source, kind, where)]
