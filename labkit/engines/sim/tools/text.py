"""Files, text and the small informational tools: cat, grep, sort, head, tail, wc, echo, env, id, …

Each one prints what the course images' busybox/coreutils program prints for the options the lessons
use. Files are read through the engine (`read_file`: /etc/hosts, /etc/resolv.conf, /etc/hostname and
the image's copied files); without a file argument a text tool reads its stdin (the previous command of
a pipeline). `sleep` waits on the container's stop event, so a stop interrupts it as SIGKILL would.
"""

from __future__ import annotations

import re

from labkit.engines.sim.tools.base import Ctx


def _lines(ctx: Ctx, files: list[str], name: str = "grep") -> tuple[list[str], int]:
    """The lines of files (stdin when there are none) and 2 if one is missing, else 0."""
    if not files:
        return _split_lines(ctx.stdin or ""), 0
    out, code = [], 0
    for f in files:
        text = ctx.engine.read_file(ctx.cid, f)
        if text is None:
            ctx.error(f"{name}: {f}: No such file or directory\n")
            code = 2
        else:
            out.extend(_split_lines(text))
    return out, code


def _split_lines(text: str) -> list[str]:
    """Lines as the text tools see them: split at newlines only (a carriage return stays)."""
    lines = text.split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def _bre(pattern: str) -> str:
    """A POSIX basic regular expression as a Python one."""
    out, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out += nxt if nxt in "+?|(){}" else "\\" + nxt
            i += 2
            continue
        out += "\\" + c if c in "+?|(){}" else c
        i += 1
    return out


def grep(ctx: Ctx, argv: list[str]) -> int:
    """grep [-v -i -c -q -E -F -x] PATTERN [FILE…]."""
    flags, args = set(), []
    for a in argv[1:]:
        if a.startswith("-") and len(a) > 1 and not args:
            flags.update(a[1:])
        else:
            args.append(a)
    if not args:
        ctx.error("Usage: grep [OPTION]... PATTERNS [FILE]...\n")
        return 2
    pattern = re.escape(args[0]) if "F" in flags else (args[0] if "E" in flags else _bre(args[0]))
    if "x" in flags:
        pattern = f"(?:{pattern})\\Z"
    rx = re.compile(pattern, re.I if "i" in flags else 0)
    lines, code = _lines(ctx, args[1:])
    hits = [line for line in lines if bool(rx.search(line) if "x" not in flags else rx.match(line)) != ("v" in flags)]
    if "c" in flags:
        ctx.write(f"{len(hits)}\n")
    elif "q" not in flags:
        ctx.write("".join(line + "\n" for line in hits))
    return code or (0 if hits else 1)


def sort_tool(ctx: Ctx, argv: list[str]) -> int:
    """sort [-r -n -u] [FILE…]."""
    flags = {c for a in argv[1:] if a.startswith("-") for c in a[1:]}
    lines, code = _lines(ctx, [a for a in argv[1:] if not a.startswith("-")])
    key = (lambda s: float(re.match(r"\s*-?\d*\.?\d*", s).group() or 0)) if "n" in flags else None
    lines = sorted(lines, key=key, reverse="r" in flags)
    if "u" in flags:
        lines = list(dict.fromkeys(lines))
    ctx.write("".join(line + "\n" for line in lines))
    return code


def head(ctx: Ctx, argv: list[str]) -> int:
    """head [-n N] [FILE…]."""
    n, files = _count_arg(argv)
    lines, code = _lines(ctx, files)
    ctx.write("".join(line + "\n" for line in lines[:n]))
    return code


def tail(ctx: Ctx, argv: list[str]) -> int:
    """tail [-n N] [FILE…]."""
    n, files = _count_arg(argv)
    lines, code = _lines(ctx, files)
    ctx.write("".join(line + "\n" for line in lines[-n:] if n))
    return code


def _count_arg(argv: list[str]) -> tuple[int, list[str]]:
    """head/tail arguments: the line count (-n N, -N, default 10) and the files."""
    n, files, args = 10, [], argv[1:]
    i = 0
    while i < len(args):
        if args[i] == "-n" and i + 1 < len(args):
            n = int(args[i + 1])
            i += 2
            continue
        if re.fullmatch(r"-n?\d+", args[i]):
            n = int(args[i].lstrip("-n"))
        else:
            files.append(args[i])
        i += 1
    return n, files


def wc(ctx: Ctx, argv: list[str]) -> int:
    """wc -l."""
    lines, code = _lines(ctx, [a for a in argv[1:] if not a.startswith("-")])
    ctx.write(f"{len(lines)}\n")
    return code


# -- small tools ------------------------------------------------------------------------
def sleep(ctx: Ctx, argv: list[str]) -> int:
    """sleep N[smhd] or sleep infinity (a stop interrupts it, as SIGKILL would)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    total = 0.0
    for word in argv[1:] or ["0"]:
        unit = units.get(word[-1:], None) if not word[-1:].isdigit() and word not in ("inf", "infinity") else None
        try:
            total += float(word[:-1] if unit else word) * (unit or 1)
        except ValueError:
            ctx.error(f"sleep: invalid number '{word}'\n")
            return 1
    ctx.settle()
    return 137 if ctx.stop.wait(None if total == float("inf") else total) else 0


def echo(ctx: Ctx, argv: list[str]) -> int:
    """echo ARGS."""
    args = argv[1:]
    newline = True
    if args and args[0] == "-n":
        newline, args = False, args[1:]
    ctx.write(" ".join(args) + ("\n" if newline else ""))
    return 0


def true(ctx: Ctx, argv: list[str]) -> int:
    """true."""
    return 0


def false(ctx: Ctx, argv: list[str]) -> int:
    """false."""
    return 1


def env_tool(ctx: Ctx, argv: list[str]) -> int:
    """env: the environment."""
    ctx.write("".join(f"{k}={v}\n" for k, v in ctx.env.items() if not k.startswith("LABKIT_")))
    return 0


def pwd(ctx: Ctx, argv: list[str]) -> int:
    """pwd: the working directory inside the container."""
    ctx.write((ctx.env.get("PWD") or "/") + "\n")
    return 0


def id_tool(ctx: Ctx, argv: list[str]) -> int:
    """id -un / id: the container's user."""
    user = ctx.env.get("LABKIT_USER") or "root"
    if "-un" in argv or "-nu" in argv:
        ctx.write(user + "\n")
    else:
        uid = 0 if user == "root" else 100
        ctx.write(f"uid={uid}({user}) gid={uid}({user}) groups={uid}({user})\n")
    return 0


def cat(ctx: Ctx, argv: list[str]) -> int:
    """cat FILE…: /etc/hosts, /etc/resolv.conf, /etc/hostname, or files in the image."""
    code = 0
    if len(argv) == 1:
        ctx.write(ctx.stdin or "")
    for path in argv[1:]:
        text = ctx.engine.read_file(ctx.cid, path)
        if text is None:
            ctx.error(f"cat: {path}: No such file or directory\n")
            code = 1
        else:
            ctx.write(text)
    return code


def hostname(ctx: Ctx, argv: list[str]) -> int:
    """hostname [-i]."""
    info = ctx.engine.container_view(ctx.cid)
    if "-i" in argv[1:]:
        ips = [n["ip"] for n in info["networks"].values()]
        if not ips:
            ctx.error("hostname: Temporary failure in name resolution\n")
            return 1
        ctx.write(" ".join(ips) + "\n")
    else:
        ctx.write(info["hostname"] + "\n")
    return 0
