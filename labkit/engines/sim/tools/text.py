"""Text and the small informational tools: cat, grep, sort, head, tail, wc, sleep, env, printenv, pwd, hostname, …

Each one prints what the course images' coreutils program prints (messages and exit codes included: `head:
cannot open 'X' for reading`, `sort: cannot read: X`, wc's column widths) for the options the lessons use.
Files are the container's own (files.py: the generated /etc files and /proc/net tables, the image's files,
what the container wrote), relative to the working folder; without a file argument a text tool reads its
stdin (the previous command of a pipeline). `sleep` waits on the container's stop event, so a stop
interrupts it as SIGKILL would.
"""

from __future__ import annotations

import re

from labkit.engines.sim.tools import files
from labkit.engines.sim.tools.base import Ctx


def _lines(ctx: Ctx, files: list[str], name: str = "grep") -> tuple[list[str], int]:
    """The lines of files (stdin when there are none) and the program's error status if one is missing, else 0."""
    text, code = _texts(ctx, files, name)
    return [line for t in text for line in _split_lines(t[1])], code


def _texts(ctx: Ctx, names: list[str], prog: str) -> tuple[list[tuple[str, str]], int]:
    """(name, text) of each readable file (stdin, named "-", when there are none), with the program's wording
    and exit status for the missing ones."""
    if not names:
        return [("-", ctx.stdin or "")], 0
    out, code = [], 0
    for f in names:
        text = (ctx.stdin or "") if f == "-" else files.read(ctx, f)
        if text is None:
            missing = files.kind(ctx, f) is None
            reason = "No such file or directory" if missing else "Is a directory"
            if prog in ("head", "tail") and missing:
                ctx.error(f"{prog}: cannot open '{f}' for reading: {reason}\n")
            elif prog == "sort":
                ctx.error(f"sort: {'cannot read: ' if missing else 'read failed: '}{f}: {reason}\n")
            else:
                ctx.error(f"{prog}: {f}: {reason}\n")
            code = 2 if prog in ("grep", "sort") else 1
        else:
            out.append((f, text))
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
    """grep [-v -i -c -q -E -F -x] [-e PATTERN]… PATTERN [FILE…]: each -e adds a pattern (a line matches when
    any does), and `--` ends the options."""
    flags, args, patterns = set(), [], []
    rest = iter(argv[1:])
    for a in rest:
        if a == "--" and not args:
            args.extend(rest)
        elif a.startswith("-e") and not args:
            pattern = a[2:] or next(rest, None)
            if pattern is None:
                ctx.error("grep: option requires an argument -- 'e'\nUsage: grep [OPTION]... PATTERNS [FILE]...\n"
                          "Try 'grep --help' for more information.\n")
                return 2
            patterns.append(pattern)
        elif a.startswith("-") and len(a) > 1 and not args:
            flags.update(a[1:])
        else:
            args.append(a)
    if not patterns:
        if not args:
            ctx.error("Usage: grep [OPTION]... PATTERNS [FILE]...\n")
            return 2
        patterns, args = [args[0]], args[1:]
    rx = re.compile("|".join(f"(?:{_grep_pattern(p, flags)})" for p in patterns), re.I if "i" in flags else 0)
    texts, code = _texts(ctx, args, "grep")
    many = len(args) > 1
    found = False
    for name, text in texts:
        hits = [line for line in _split_lines(text)
                if bool(rx.search(line) if "x" not in flags else rx.match(line)) != ("v" in flags)]
        found = found or bool(hits)
        prefix = f"{'(standard input)' if name == '-' else name}:" if many else ""
        if "c" in flags:
            ctx.write(f"{prefix}{len(hits)}\n")
        elif "q" not in flags:
            ctx.write("".join(prefix + line + "\n" for line in hits))
    if "q" in flags and found:
        return 0
    return code or (0 if found else 1)


def _grep_pattern(pattern: str, flags: set[str]) -> str:
    """One grep pattern as a Python regular expression (-F fixed, -E extended, else basic; -x whole lines)."""
    out = re.escape(pattern) if "F" in flags else (pattern if "E" in flags else _bre(pattern))
    return f"(?:{out})\\Z" if "x" in flags else out


def sort_tool(ctx: Ctx, argv: list[str]) -> int:
    """sort [-r -n -u] [FILE…] (GNU: -n takes a line without a number as 0, ties by the whole line)."""
    flags = {c for a in argv[1:] if a.startswith("-") and a != "-" for c in a[1:]}
    lines, code = _lines(ctx, [a for a in argv[1:] if not a.startswith("-") or a == "-"], "sort")
    if code:
        return code
    if "n" in flags:
        def key(s: str) -> tuple[float, bytes]:
            m = re.match(r"\s*(-?\d*\.?\d+|-?\d+\.?)", s)
            return (float(m.group(1)) if m else 0.0), s.encode()
        lines = sorted(lines, key=key, reverse="r" in flags)
    else:
        lines = sorted(lines, key=lambda s: s.encode(), reverse="r" in flags)
    if "u" in flags:
        lines = list(dict.fromkeys(lines))
    ctx.write("".join(line + "\n" for line in lines))
    return code


def head(ctx: Ctx, argv: list[str]) -> int:
    """head [-n N|-N] [FILE…]."""
    return _ends(ctx, argv, "head")


def tail(ctx: Ctx, argv: list[str]) -> int:
    """tail [-n N|-N] [FILE…]."""
    return _ends(ctx, argv, "tail")


def _ends(ctx: Ctx, argv: list[str], prog: str) -> int:
    n, names, by_bytes = _count_arg(argv)
    code = 0
    for name in names:
        if files.kind(ctx, name) == "dir":
            ctx.error(f"{prog}: error reading '{name}': Is a directory\n")
            code = 1
    texts, missing = _texts(ctx, [f for f in names if files.kind(ctx, f) != "dir"] if names else [], prog)
    for k, (name, text) in enumerate(texts):
        if len(names) > 1:
            ctx.write(("\n" if k else "") + f"==> {'standard input' if name == '-' else name} <==\n")
        if by_bytes:
            data = text.encode()
            ctx.write((data[:n] if prog == "head" else data[-n:] if n else b"").decode(errors="replace"))
            continue
        lines = text.splitlines(keepends=True)
        ctx.write("".join(lines[:n] if prog == "head" else (lines[-n:] if n else [])))
    return code or missing


def _count_arg(argv: list[str]) -> tuple[int, list[str], bool]:
    """head/tail arguments: the count (-n N, -N, -c N; default 10 lines), the files, and whether it counts bytes."""
    n, names, args, by_bytes = 10, [], argv[1:], False
    i = 0
    while i < len(args):
        if args[i] in ("-n", "-c") and i + 1 < len(args):
            n, by_bytes = int(args[i + 1]), args[i] == "-c"
            i += 2
            continue
        if re.fullmatch(r"-[nc]?\d+", args[i]):
            n, by_bytes = int(args[i].lstrip("-nc")), args[i].startswith("-c")
        else:
            names.append(args[i])
        i += 1
    return n, names, by_bytes


def wc(ctx: Ctx, argv: list[str]) -> int:
    """wc [-l -w -c -m] [FILE…] (coreutils: counts in l, w, c order, columns as wide as the total needs)."""
    flags = "".join(a[1:] for a in argv[1:] if a.startswith("-") and a != "-").replace("m", "c")
    names = [a for a in argv[1:] if not a.startswith("-") or a == "-"]
    which = [c for c in "lwc" if c in flags] or ["l", "w", "c"]
    texts, code = _texts(ctx, names, "wc")
    rows = []
    for name, text in texts:
        data = text.encode()
        counts = {"l": data.count(b"\n"), "w": len(data.split()), "c": len(data)}
        rows.append(([counts[c] for c in which], "" if name == "-" and not names else name))
    if len(names) > 1:
        rows.append(([sum(r[0][k] for r in rows) for k in range(len(which))], "total"))
    if len(which) == 1 and len(names) <= 1:
        width = 1
    else:
        regular = sum(len(t.encode()) for n, t in texts if n != "-" and not n.startswith("/proc/"))
        width = max(len(str(regular)), 7 if any(n == "-" for n, _ in texts) else 1)
    for values, name in rows:
        ctx.write(" ".join(f"{v:>{width}}" for v in values) + (f" {name}" if name else "") + "\n")
    return code


# -- small tools ------------------------------------------------------------------------
def sleep(ctx: Ctx, argv: list[str]) -> int:
    """sleep N[smhd] or sleep infinity (a stop interrupts it, as SIGKILL would); coreutils' errors."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if len(argv) < 2:
        ctx.error("sleep: missing operand\nTry 'sleep --help' for more information.\n")
        return 1
    total = 0.0
    for word in argv[1:]:
        unit = units.get(word[-1:], None) if not word[-1:].isdigit() and word not in ("inf", "infinity") else None
        try:
            total += float(word[:-1] if unit else word) * (unit or 1)
        except ValueError:
            q = ("\u2018", "\u2019") if "UTF-8" in ctx.env.get("LANG", "").upper() else ("'", "'")
            ctx.error(f"sleep: invalid time interval {q[0]}{word}{q[1]}\nTry 'sleep --help' for more information.\n")
            return 1
    ctx.settle()
    return 137 if ctx.stop.wait(None if total == float("inf") else total) else 0


def true(ctx: Ctx, argv: list[str]) -> int:
    """true."""
    return 0


def false(ctx: Ctx, argv: list[str]) -> int:
    """false."""
    return 1


def env_tool(ctx: Ctx, argv: list[str]) -> int:
    """env: the environment."""
    ctx.write("".join(f"{k}={v}\n" for k, v in _environment(ctx).items()))
    return 0


def printenv(ctx: Ctx, argv: list[str]) -> int:
    """printenv [NAME…]: the whole environment, or each NAME's value (exit 1 when one is not set)."""
    env = _environment(ctx)
    if len(argv) == 1:
        return env_tool(ctx, argv)
    code = 0
    for name in argv[1:]:
        if name in env:
            ctx.write(env[name] + "\n")
        else:
            code = 1
    return code


def _environment(ctx: Ctx) -> dict[str, str]:
    """The container program's environment as it would see it (the engine's own variables left out)."""
    return {k: v for k, v in ctx.env.items() if not k.startswith("LABKIT_")}


def pwd(ctx: Ctx, argv: list[str]) -> int:
    """pwd: the working directory inside the container."""
    ctx.write(files.workdir(ctx) + "\n")
    return 0


def cat(ctx: Ctx, argv: list[str]) -> int:
    """cat FILE…: /etc/hosts, /etc/resolv.conf, /etc/hostname, or files in the image."""
    code = 0
    if (len(argv) == 1 or "-" in argv[1:]) and ctx.stdin_never_ends():
        return 137
    if len(argv) == 1:
        ctx.write(ctx.stdin or "")
    for path in argv[1:]:
        text = (ctx.stdin or "") if path == "-" else files.read(ctx, path)
        if text is None:
            reason = "No such file or directory" if files.kind(ctx, path) is None else "Is a directory"
            ctx.error(f"cat: {path}: {reason}\n")
            code = 1
        else:
            ctx.write(text)
    return code


def hostname(ctx: Ctx, argv: list[str]) -> int:
    """hostname [-i | -I]: the name, its addresses, or every address of the container's interfaces."""
    info = ctx.engine.container_view(ctx.cid)
    if "-I" in argv[1:]:  # each address followed by a space, then the newline (also with none)
        ctx.write("".join(n["ip"] + " " for n in info["networks"].values() if n.get("ip")) + "\n")
    elif "-i" in argv[1:]:
        ips = [n["ip"] for n in info["networks"].values()]
        if not ips:
            ctx.error("hostname: Temporary failure in name resolution\n")
            return 1
        ctx.write(" ".join(ips) + "\n")
    else:
        ctx.write(info["hostname"] + "\n")
    return 0
