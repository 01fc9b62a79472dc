"""`sh -c SCRIPT`: a small POSIX shell that runs each command of a script through the tools.

It reads the script into words and operators (_tokens), splits it into and-or lists of pipelines
(run_script), and runs each simple command (_simple) with its $VAR expansion and redirections by
calling the package's `run` on a fresh Ctx: what one command writes is the next one's stdin. Only
what the course's scripts use: ;, &&, ||, |, quotes, backslashes, $VAR, ${VAR}, $?, >, >>, 2>, 2>&1,
>&2, `exit N` and `command -v`.
"""

from __future__ import annotations

import re

from labkit.engines.sim.images import COMMON_TOOLS
from labkit.engines.sim.tools.base import Ctx, NotFound
from labkit.images import BUSYBOX_APPLETS


def sh(ctx: Ctx, argv: list[str]) -> int:
    """`sh -c SCRIPT` (;, &&, ||, |, $VAR, quotes, redirects, exit N); a bare sh reads its (empty) stdin."""
    if "-c" not in argv[1:2]:
        if ctx.stdin_open:
            ctx.settle()
            ctx.stop.wait()
            return 137
        return 0
    script = argv[2] if len(argv) > 2 else ""
    shell_vars = {"0": argv[3] if len(argv) > 3 else argv[0]}
    return run_script(ctx, script, shell_vars)


_OPS = ("&&", "||", ";", "|", ">>", "2>&1", "2>", ">&2", "1>&2", ">")


def _tokens(script: str) -> list:
    """Words (lists of (text, expandable) parts) and operator strings, as a POSIX shell reads them."""
    out: list = []
    word: list = []
    in_word = False
    i, n = 0, len(script)

    def end_word() -> None:
        nonlocal word, in_word
        if in_word:
            merged: list = []
            for text, exp in word:  # join neighbours of one kind so that $NAME expands as a whole
                if merged and merged[-1][1] == exp:
                    merged[-1] = (merged[-1][0] + text, exp)
                else:
                    merged.append((text, exp))
            out.append(merged)
        word, in_word = [], False

    while i < n:
        ch = script[i]
        if ch in " \t\n":
            end_word()
            i += 1
            continue
        op = next((o for o in _OPS if script.startswith(o, i)), None)
        if op and not (op in ("2>", "2>&1") and in_word):
            end_word()
            out.append(op)
            i += len(op)
            continue
        in_word = True
        if ch == "\\" and i + 1 < n:
            word.append((script[i + 1], False))
            i += 2
        elif ch == "'":
            j = script.find("'", i + 1)
            if j < 0:
                raise ValueError("unterminated quoted string")
            word.append((script[i + 1:j], False))
            i = j + 1
        elif ch == '"':
            i += 1
            buf = ""
            while i < n and script[i] != '"':
                if script[i] == "\\" and i + 1 < n and script[i + 1] in '$`"\\':
                    word.append((buf, True))
                    word.append((script[i + 1], False))
                    buf = ""
                    i += 2
                    continue
                buf += script[i]
                i += 1
            if i >= n:
                raise ValueError("unterminated quoted string")
            word.append((buf, True))
            i += 1
        else:
            word.append((ch, True))
            i += 1
    end_word()
    return out


def run_script(ctx: Ctx, script: str, shell_vars: dict[str, str]) -> int:
    """Interpret a small POSIX shell script in ctx."""
    try:
        tokens = _tokens(script)
    except ValueError:
        ctx.error("sh: 1: Syntax error: Unterminated quoted string\n")
        return 2
    # split into and-or lists of pipelines of simple commands
    status = 0
    pipeline: list[list] = [[]]
    skip = False
    try:
        for tok in tokens + [";"]:
            if isinstance(tok, str) and tok in ("&&", "||", ";"):
                if not skip and pipeline[0]:
                    status = _pipeline(ctx, pipeline, shell_vars, status)
                pipeline = [[]]
                skip = (tok == "&&" and status != 0) or (tok == "||" and status == 0)
            elif tok == "|":
                pipeline.append([])
            else:
                pipeline[-1].append(tok)
    except _Exit as e:
        return e.code
    return status


def _pipeline(ctx: Ctx, commands: list[list], shell_vars: dict[str, str], status: int) -> int:
    """Run cmd1 | cmd2 | …: each one's stdout is the next one's stdin; the last one's exit code."""
    data: str | None = None
    code = status
    for k, cmd in enumerate(commands):
        last = k == len(commands) - 1
        code, out = _simple(ctx, cmd, shell_vars, status, data)
        data = out
        if last and out:
            ctx.write(out)
    return code


def _simple(ctx: Ctx, cmd: list, shell_vars: dict[str, str], status: int, stdin: str | None) -> tuple[int, str]:
    """Run one simple command; its exit code and what it wrote to stdout (after redirections)."""
    from labkit.engines.sim.tools import TOOLS, run  # the registry imports this module

    words: list[str] = []
    to_err = quiet = err_quiet = err_to_out = False
    i = 0
    while i < len(cmd):
        tok = cmd[i]
        if isinstance(tok, str):
            target = cmd[i + 1] if i + 1 < len(cmd) and not isinstance(cmd[i + 1], str) else None
            if tok in (">&2", "1>&2"):
                to_err = True
            elif tok == "2>&1":
                err_to_out = True
            elif tok == "2>" and target is not None:
                err_quiet = True
                i += 1
            elif tok in (">", ">>") and target is not None:
                quiet = True  # written to a file, not to the terminal
                i += 1
            i += 1
            continue
        words.append("".join(_expand(text, ctx.env, shell_vars, status) if exp else text for text, exp in tok))
        i += 1
    if not words:
        return status, ""
    if words[0] == "exit":
        raise _Exit(int(words[1]) if len(words) > 1 else status)
    if words[:2] == ["command", "-v"]:
        found = [w for w in words[2:] if w in ctx.tools or (ctx.cid is None and w in TOOLS)]
        return (0 if found and len(found) == len(words[2:]) else 127), "".join(f"{_tool_path(w)}\n" for w in found)
    sub = Ctx(ctx.engine, ctx.cid, ctx.cwd, ctx.env, ctx.tools, stop=ctx.stop, on_process=ctx.on_process,
              stdin=stdin)
    try:
        code = run(sub, words)
    except NotFound:
        sub.error(f"sh: 1: {words[0]}: not found\n")
        code = 127
    out, err = "".join(sub.out), "".join(sub.err)
    if err_to_out:
        out, err = out + err, ""
    if to_err:
        ctx.error(out)
        out = ""
    if quiet:
        out = ""
    if not err_quiet:
        ctx.error(err)
    return code, out


def _tool_path(name: str) -> str:
    """Where a program lives in the course images (busybox applets are linked into /usr/local/bin)."""
    if (name in BUSYBOX_APPLETS and name not in COMMON_TOOLS) or name in ("python", "python3"):
        return f"/usr/local/bin/{name}"
    return f"/usr/bin/{name}"


class _Exit(Exception):
    """`exit N`: ends the whole script with code N."""

    def __init__(self, code: int):
        self.code = code


def _expand(word: str, env: dict[str, str], shell_vars: dict[str, str], status: int) -> str:
    """$NAME, ${NAME} and $? in an unquoted or double-quoted part of a word."""
    def sub(m: re.Match) -> str:
        key = m.group(1) or m.group(2)
        if key == "?":
            return str(status)
        return shell_vars.get(key, env.get(key, ""))

    return re.sub(r"\$\{(\w+|\?)\}|\$(\w+|\?)", sub, word)
