"""Separate the code part of an answer from its prose part, as students write them.

Handled: fenced blocks (``` or ~~~, with or without a language; an unclosed fence runs to the end),
interpreter sessions (`>>>`/`...` prompts, `In [n]:` prompts; the output lines after them, `Out[n]:`
blocks and `>>` output lines, with the indented lines that continue them, are dropped), code written as plain lines among prose, and inline
`code` spans in prose when nothing else is code.
"""
from __future__ import annotations

import ast
import re

_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([\w+.-]*)[^\n`]*$")
_CODE_LANGS = {"", "python", "py", "python3", "py3", "ipython", "ipython3", "pycon", "jupyter", "code"}
_CODEY = re.compile(r"[=()\[\]]|^\s*(import|from|def|for|while|return|if|print|class)\b|^\s+\S")
_INLINE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_PROMPT = re.compile(r"^\s*(>>>|In \[\d*\]:)( |$)")
_CONT = re.compile(r"^\s*(\.\.\.|\s+\.\.\.:)( |$)")
_OUT = re.compile(r"^\s*(Out\[\d*\]:|>>(?!>))")


def _parses(src: str) -> bool:
    try:
        ast.parse(src)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def _fences(lines: list[str]) -> tuple[list[str], list[str], bool]:
    """(code lines from code fences, the other lines, whether any fence was found)."""
    code, rest, found = [], [], False
    i = 0
    while i < len(lines):
        m = _FENCE_OPEN.match(lines[i])
        if not m:
            rest.append(lines[i])
            i += 1
            continue
        found = True
        mark, lang = m.group(1), m.group(2).lower()
        body = []
        i += 1
        while i < len(lines) and not (lines[i].strip().startswith(mark[0] * len(mark))
                                      and set(lines[i].strip()) == {mark[0]}):
            body.append(lines[i])
            i += 1
        i += 1  # the closing fence (or the end)
        if lang in _CODE_LANGS:
            if code and body:
                code.append("")
            code.extend(body)
        else:
            rest.append(" ".join(ln.strip() for ln in body))
    return code, rest, found


def _sessions(lines: list[str]) -> tuple[list[str], set[int]]:
    """Interpreter sessions as plain code: prompts stripped, output lines dropped; also the indexes
    (in the returned lines) of the lines typed at a prompt, which are code whatever they look like."""
    if not any(_PROMPT.match(ln) or _OUT.match(ln) for ln in lines):
        return lines, set()
    out, typed, in_session, in_output, in_echo = [], set(), False, False, False
    for ln in lines:
        echo, in_echo = in_echo, False
        if _PROMPT.match(ln):
            typed.add(len(out))
            out.append(_PROMPT.sub("", ln, count=1))
            in_session, in_output = True, False
        elif in_session and not in_output and _CONT.match(ln):
            typed.add(len(out))
            out.append(_CONT.sub("", ln, count=1))
        elif _OUT.match(ln):
            in_output = ln.lstrip().startswith("Out[")  # an Out[n]: block runs to a blank line
            in_echo = not in_output  # a `>>` line: the indented lines after it are the rest of the printed value
        elif echo and ln[:1].isspace() and ln.strip():
            in_echo = True
        elif not ln.strip():
            in_session = in_output = False
            out.append(ln)
        elif in_session or in_output:
            in_output = True  # what the interpreter printed
        else:
            out.append(ln)
    return out, typed


def _shows_a_variable(line: str, code: list[str]) -> bool:
    """A bare name that the code above assigns: the notebook idiom for showing its value."""
    return line.isidentifier() and bool(code) and re.search(
        rf"(^|\n)[ \t]*{re.escape(line)}[ \t]*([-+*/@]?=[^=]|,)", "\n".join(code)) is not None


def _classify(lines: list[str], typed: set[int] = frozenset()) -> tuple[list[str], list[str]]:
    code, prose = [], []
    for i, ln in enumerate(lines):
        stripped = ln.strip()
        if not stripped:
            continue
        cont = bool(code) and (ln[:1].isspace() or stripped.startswith((")", "]", "}")))
        if stripped.startswith("#") or i in typed or _shows_a_variable(stripped, code):
            code.append(ln)
        elif (cont or _CODEY.search(ln)) and (_parses("\n".join(code + [ln])) or _parses(stripped)
                                              or stripped.endswith(":") or cont):
            code.append(ln)
        else:
            prose.append(stripped)
    if code and not _parses("\n".join(code)):
        # fall back to whatever prefix of the code parses (the rest is probably prose)
        while code and not _parses("\n".join(code)):
            prose.insert(0, code.pop().strip())
    return code, prose


def _dedent(lines: list[str]) -> list[str]:
    indents = [len(ln) - len(ln.lstrip()) for ln in lines if ln.strip()]
    cut = min(indents) if indents else 0
    return [ln[cut:] for ln in lines]


def _unquote(text: str) -> str:
    return _INLINE.sub(lambda m: m.group(1), text)


def split_answer(text: str) -> tuple[str, str]:
    """(code, prose) of an answer; code is '' when none was found."""
    text = text if isinstance(text, str) else ""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    fenced, rest, found = _fences(lines)
    if found:
        code, typed = _sessions(fenced)
        code = _dedent(code)
        src = "\n".join(code).strip("\n")
        if not _parses(src):  # prose inside the fence: keep what parses
            kept, extra = _classify(code, typed)
            src = "\n".join(kept)
            rest = rest + extra
        prose = " ".join(ln.strip() for ln in rest if ln.strip())
        return src, _unquote(prose)
    code, prose = _classify(*_sessions(lines))
    if code:
        return "\n".join(_dedent(code)), _unquote(" ".join(prose))
    # nothing but prose: inline `code` spans that parse and look like code
    spans = [s.strip() for s in _INLINE.findall(text)]
    spans = [s for s in spans if _CODEY.search(s) and _parses(s)]
    if spans and _parses("\n".join(spans)):
        return "\n".join(spans), _unquote(" ".join(prose))
    return "", _unquote(" ".join(prose))
