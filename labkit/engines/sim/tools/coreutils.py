"""The other small coreutils programs of the course images: mkdir, touch, rm, tee, cut, tr, seq, basename,
dirname, uname and which, over the container's own files (files.py), with coreutils' wording.

coreutils quotes a file name in `mkdir` errors with the locale's quotes (‘…’ under the python image's
LANG=C.UTF-8, '…' in the curl image, which sets no LANG) and with plain '…' in touch and rm errors.
"""

from __future__ import annotations

import os
import posixpath
import re

from labkit.engines.sim.tools import files
from labkit.engines.sim.tools.base import Ctx


def _operands(argv: list[str]) -> tuple[str, list[str]]:
    flags = "".join(a[1:] for a in argv[1:] if a.startswith("-") and a != "-")
    return flags, [a for a in argv[1:] if not a.startswith("-") or a == "-"]


def _missing(ctx: Ctx, prog: str) -> int:
    ctx.error(f"{prog}: missing operand\nTry '{prog} --help' for more information.\n")
    return 1


def _lq(ctx: Ctx, name: str) -> str:
    """A name in the locale's quotes, as coreutils' quote() prints it."""
    return f"\u2018{name}\u2019" if "UTF-8" in ctx.env.get("LANG", "").upper() else f"'{name}'"


def mkdir(ctx: Ctx, argv: list[str]) -> int:
    """mkdir [-p] DIR…."""
    flags, names = _operands(argv)
    if not names:
        return _missing(ctx, "mkdir")
    code = 0
    for name in names:
        if "p" in flags:
            parts = files.abspath(ctx, name).strip("/").split("/")
            for k in range(1, len(parts) + 1):
                sub = "/" + "/".join(parts[:k])
                if files.kind(ctx, sub) is None:
                    files.make_dir(ctx, sub)
                elif files.kind(ctx, sub) == "file":
                    ctx.error(f"mkdir: cannot create directory {_lq(ctx, name)}: Not a directory\n")
                    code = 1
                    break
            continue
        problem = files.make_dir(ctx, name)
        if problem:
            ctx.error(f"mkdir: cannot create directory {_lq(ctx, name)}: {problem}\n")
            code = 1
    return code


def touch(ctx: Ctx, argv: list[str]) -> int:
    """touch FILE…."""
    _, names = _operands(argv)
    if not names:
        return _missing(ctx, "touch")
    code = 0
    for name in names:
        if files.kind(ctx, name) is not None:
            continue
        problem = files.write(ctx, name, "", append=True)
        if problem:
            reason = "No such file or directory" if problem == "Directory nonexistent" else problem
            ctx.error(f"touch: cannot touch '{name}': {reason}\n")
            code = 1
    return code


def rm(ctx: Ctx, argv: list[str]) -> int:
    """rm [-r] [-f] FILE…."""
    flags, names = _operands(argv)
    if not names:
        if "f" in flags:
            return 0
        return _missing(ctx, "rm")
    code = 0
    for name in names:
        problem = files.remove(ctx, name, recursive="r" in flags or "R" in flags)
        if problem and not (problem.startswith("No such") and "f" in flags):
            ctx.error(f"rm: cannot remove '{name}': {problem}\n")
            code = 1
    return code


def tee(ctx: Ctx, argv: list[str]) -> int:
    """tee [-a] FILE…: stdin to stdout and to each file."""
    flags, names = _operands(argv)
    data = ctx.stdin or ""
    code = 0
    for name in names:
        problem = files.write(ctx, name, data, append="a" in flags)
        if problem:
            reason = "No such file or directory" if problem == "Directory nonexistent" else problem
            ctx.error(f"tee: {name}: {reason}\n")
            code = 1
    ctx.write(data)
    return code


def cut(ctx: Ctx, argv: list[str]) -> int:
    """cut -c LIST | -d C -f LIST [FILE…]."""
    args, opts, names = argv[1:], {}, []
    i = 0
    while i < len(args):
        a = args[i]
        if a[:2] in ("-c", "-d", "-f", "-b"):
            value = a[2:] if len(a) > 2 else (args[i + 1] if i + 1 < len(args) else "")
            opts[a[1]] = value
            i += 1 if len(a) > 2 else 2
            continue
        names.append(a)
        i += 1
    spec = opts.get("f") or opts.get("c") or opts.get("b")
    if spec is None:
        ctx.error("cut: you must specify a list of bytes, characters, or fields\n"
                  "Try 'cut --help' for more information.\n")
        return 1
    wanted = _ranges(spec)
    code, texts = 0, []
    for name in names or ["-"]:
        text = (ctx.stdin or "") if name == "-" else files.read(ctx, name)
        if text is None:
            ctx.error(f"cut: {name}: No such file or directory\n")
            code = 1
        else:
            texts.append(text)
    for text in texts:
        for line in text.splitlines():
            if "f" in opts:
                sep = opts.get("d", "\t")
                if sep not in line:
                    ctx.write(line + "\n")
                    continue
                parts = line.split(sep)
                ctx.write(sep.join(p for k, p in enumerate(parts, 1) if wanted(k)) + "\n")
            else:
                ctx.write("".join(ch for k, ch in enumerate(line, 1) if wanted(k)) + "\n")
    return code


def _ranges(spec: str):
    parts = []
    for item in spec.split(","):
        lo, dash, hi = item.partition("-")
        start = int(lo) if lo else 1
        end = (int(hi) if hi else 10**9) if dash else start
        parts.append((start, end))
    return lambda k: any(a <= k <= b for a, b in parts)


def tr(ctx: Ctx, argv: list[str]) -> int:
    """tr [-d] SET1 [SET2] (ranges like a-z)."""
    flags, sets = _operands(argv)

    def chars(s: str) -> str:
        return re.sub(r"(.)-(.)", lambda m: "".join(chr(c) for c in range(ord(m[1]), ord(m[2]) + 1)), s)

    data = ctx.stdin or ""
    if "d" in flags and sets:
        drop = set(chars(sets[0]))
        ctx.write("".join(c for c in data if c not in drop))
        return 0
    if len(sets) < 2:
        ctx.error(f"tr: missing operand after '{sets[0] if sets else ''}'\n" if sets else "tr: missing operand\n")
        ctx.error("Two strings must be given when translating.\nTry 'tr --help' for more information.\n")
        return 1
    a, b = chars(sets[0]), chars(sets[1])
    b = (b + b[-1:] * len(a))[:len(a)]
    ctx.write(data.translate(str.maketrans(a, b)))
    return 0


def seq(ctx: Ctx, argv: list[str]) -> int:
    """seq [FIRST [STEP]] LAST (integers)."""
    nums = [int(a) for a in argv[1:]]
    first, step, last = (1, 1, nums[0]) if len(nums) == 1 else (nums[0], 1, nums[1]) if len(nums) == 2 else nums[:3]
    ctx.write("".join(f"{n}\n" for n in range(first, last + (1 if step > 0 else -1), step)))
    return 0


def basename(ctx: Ctx, argv: list[str]) -> int:
    """basename PATH [SUFFIX]."""
    if len(argv) < 2:
        return _missing(ctx, "basename")
    name = posixpath.basename(argv[1].rstrip("/")) or "/"
    if len(argv) > 2 and name.endswith(argv[2]) and name != argv[2]:
        name = name[:-len(argv[2])]
    ctx.write(name + "\n")
    return 0


def dirname(ctx: Ctx, argv: list[str]) -> int:
    """dirname PATH."""
    if len(argv) < 2:
        return _missing(ctx, "dirname")
    ctx.write((posixpath.dirname(argv[1].rstrip("/")) or ".") + "\n")
    return 0


def uname(ctx: Ctx, argv: list[str]) -> int:
    """uname [-s -n -r -v -m -a]: the kernel is this machine's, as a container's is its host's."""
    flags = "".join(a[1:] for a in argv[1:] if a.startswith("-"))
    u = os.uname()
    host = ctx.env.get("HOSTNAME", u.nodename)
    if "a" in flags:
        ctx.write(f"Linux {host} {u.release} {u.version} {u.machine} GNU/Linux\n")
        return 0
    fields = {"s": "Linux", "n": host, "r": u.release, "v": u.version, "m": u.machine}
    chosen = [fields[c] for c in "snrvm" if c in flags] or ["Linux"]
    ctx.write(" ".join(chosen) + "\n")
    return 0


def which(ctx: Ctx, argv: list[str]) -> int:
    """which NAME…: the path of each program of the image; 1 when one is missing."""
    code = 0
    for name in argv[1:]:
        if name in ctx.tools:
            ctx.write(files.tool_path(ctx, name) + "\n")
        else:
            code = 1
    return code


class _Program:
    """What dash's printf/test builtins need of a shell, for coreutils' programs of the same names (their
    messages reworded as coreutils prints them: `printf: ‘x’: expected a numeric value`, `[: missing ‘]’`)."""

    def __init__(self, ctx: Ctx):
        self.ctx = ctx

    def file_ctx(self) -> Ctx:
        return self.ctx

    def error(self, msg: str, io) -> None:
        m = re.fullmatch(r"printf: (.*): expected numeric value", msg)
        if m:
            msg = f"printf: {_lq(self.ctx, m[1])}: expected a numeric value"
        m = re.fullmatch(r"(\[|test): Illegal number: (.*)", msg)
        if m:
            msg = f"{m[1]}: invalid integer {_lq(self.ctx, m[2])}"
        if msg == "[: missing ]":
            msg = f"[: missing {_lq(self.ctx, ']')}"
        self.ctx.error(msg + "\n")


class _Out:
    def __init__(self, ctx: Ctx):
        self.fds = {1: self, 2: self}
        self.ctx = ctx

    def write(self, text: str) -> None:
        self.ctx.write(text)


def printf_prog(ctx: Ctx, argv: list[str]) -> int:
    """/usr/bin/printf (coreutils): the same formats as dash's builtin."""
    from labkit.engines.sim.tools.shbuiltin_text import printf

    if len(argv) < 2:
        ctx.error("printf: missing operand\nTry 'printf --help' for more information.\n")
        return 1
    return printf(_Program(ctx), argv, _Out(ctx))


def test_prog(ctx: Ctx, argv: list[str]) -> int:
    """/usr/bin/test and /usr/bin/[ (coreutils)."""
    from labkit.engines.sim.tools.shbuiltin_text import test

    return test(_Program(ctx), [os.path.basename(argv[0]), *argv[1:]], _Out(ctx))


def echo_prog(ctx: Ctx, argv: list[str]) -> int:
    """/usr/bin/echo (coreutils): -n, -e (backslash escapes), -E; other words are printed."""
    from labkit.engines.sim.tools.shbuiltin_text import escapes

    args, newline, esc = argv[1:], True, False
    while args and re.fullmatch(r"-[neE]+", args[0]):
        for c in args[0][1:]:
            newline = newline and c != "n"
            esc = (esc or c == "e") and c != "E"
        args = args[1:]
    text = " ".join(args)
    stop = False
    if esc:
        text, stop = escapes(text)
    ctx.write(text + ("\n" if newline and not stop else ""))
    return 0
