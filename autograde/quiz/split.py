"""Separate the code part of an answer from its prose part."""
from __future__ import annotations

import ast
import re

_FENCE = re.compile(r"```[a-zA-Z0-9_+-]*\n?(.*?)```", re.S)
_CODEY = re.compile(r"[=()\[\]]|^\s*(import|from|def|for|while|return|if|print|class)\b|^\s+\S")


def _parses(src: str) -> bool:
    try:
        ast.parse(src)
        return True
    except (SyntaxError, ValueError):
        return False


def split_answer(text: str) -> tuple[str, str]:
    """(code, prose): fenced blocks are code; otherwise lines that look like and parse as Python."""
    text = text or ""
    fenced = _FENCE.findall(text)
    if fenced:
        return "\n".join(b.strip("\n") for b in fenced), _FENCE.sub(" ", text).strip()
    code, prose = [], []
    lines = text.replace("\r\n", "\n").split("\n")
    for ln in lines:
        stripped = ln.strip()
        if not stripped:
            continue
        cont = bool(code) and (ln[:1].isspace() or stripped.startswith((")", "]")))
        if stripped.startswith("#"):
            code.append(ln)
        elif (cont or _CODEY.search(ln)) and (_parses("\n".join(code + [ln])) or _parses(stripped)
                                              or stripped.endswith(":") or cont):
            code.append(ln)
        else:
            prose.append(stripped)
    src = "\n".join(code)
    if code and not _parses(src):
        # fall back to whatever prefix of the code parses (the rest is probably prose)
        while code and not _parses("\n".join(code)):
            prose.insert(0, code.pop().strip())
        src = "\n".join(code)
    return src, " ".join(prose)
