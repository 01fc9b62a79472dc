"""dash's builtins: cd, exec, exit, export, unset, set, shift, read, eval, command, type, local, return,
break/continue, trap (EXIT), wait, umask, kill -0, pwd, true/false/:, and echo, printf, test/[ (shbuiltin_text.py).

Each is `builtin(sh, argv, io) -> status`, and prints as dash 0.5.12 of the course images does
(errors as `sh: LINE: NAME: message`). A builtin runs in the shell itself, so `cd` and `export` change
the shell's state for the rest of the script.
"""

from __future__ import annotations

import posixpath

from labkit.engines.sim.tools import files
from labkit.engines.sim.tools.shbuiltin_text import echo, printf, test
from labkit.engines.sim.tools.shexec import IO, Exit, Flow, Input, Shell
from labkit.engines.sim.tools.shparse import Parser, SyntaxErr

# special builtins: their variable assignments stay, their errors end the shell
SPECIAL = {":", ".", "break", "continue", "eval", "exec", "exit", "export", "readonly", "return", "set", "shift",
           "trap", "unset"}


def _number(sh: Shell, argv: list[str], io: IO, default: int) -> int:
    if len(argv) < 2:
        return default
    if not argv[1].isdigit():
        sh.fatal(f"{argv[0]}: Illegal number: {argv[1]}", io)
    return int(argv[1])


def b_exit(sh: Shell, argv: list[str], io: IO) -> int:
    """exit [N]."""
    raise Exit(_number(sh, argv, io, sh.status) & 255)


def b_true(sh: Shell, argv: list[str], io: IO) -> int:
    """true, :."""
    return 0


def b_false(sh: Shell, argv: list[str], io: IO) -> int:
    """false."""
    return 1


def b_cd(sh: Shell, argv: list[str], io: IO) -> int:
    """cd [DIR|-]: the working folder for the rest of the script."""
    args = [a for a in argv[1:] if a not in ("-L", "-P")]
    target = args[0] if args else sh.getvar("HOME") or "/"
    show = False
    if target == "-":
        target, show = sh.getvar("OLDPWD") or sh.cwd, True
    path = posixpath.normpath(posixpath.join(sh.cwd, target))
    path = "/" + path.lstrip("/")
    if files.kind(sh.file_ctx(), path) != "dir":
        sh.error(f"cd: can't cd to {target}", io)
        return 2
    sh.setvar("OLDPWD", sh.cwd)
    sh.cwd = path
    sh.setvar("PWD", path)
    if show:
        io.fds[1].write(path + "\n")
    return 0


def b_pwd(sh: Shell, argv: list[str], io: IO) -> int:
    """pwd."""
    io.fds[1].write(sh.cwd + "\n")
    return 0


def b_exec(sh: Shell, argv: list[str], io: IO) -> int:
    """exec CMD…: the program replaces the shell (its status is the shell's); exec REDIRS changes the shell's fds."""
    if len(argv) == 1:
        sh.io.fds.update(io.fds)
        sh.top_out, sh.top_err = io.fds.get(1), io.fds.get(2)
        return 0
    raise Exit(sh.run_program(argv[1:], io, [], exec_word="exec: "))


def b_export(sh: Shell, argv: list[str], io: IO) -> int:
    """export NAME[=VALUE]…; export -p."""
    names = [a for a in argv[1:] if a != "-p"]
    if not names:
        for k, v in sh.environ().items():
            if not k.startswith("LABKIT_"):
                io.fds[1].write(f"export {k}='{v}'\n")
        return 0
    for a in names:
        name, eq, value = a.partition("=")
        if eq:
            sh.setvar(name, value, export=True)
        else:
            sh.exported.add(name)
    return 0


def b_readonly(sh: Shell, argv: list[str], io: IO) -> int:
    """readonly NAME=VALUE (the value is set; labkit does not enforce read-only)."""
    for a in argv[1:]:
        name, eq, value = a.partition("=")
        if eq:
            sh.setvar(name, value)
    return 0


def b_unset(sh: Shell, argv: list[str], io: IO) -> int:
    """unset [-v|-f] NAME…."""
    funcs = "-f" in argv[1:]
    for name in (a for a in argv[1:] if not a.startswith("-")):
        if funcs:
            sh.funcs.pop(name, None)
        else:
            sh.vars.pop(name, None)
            sh.exported.discard(name)
    return 0


def b_set(sh: Shell, argv: list[str], io: IO) -> int:
    """set [-e|+e|-a|…] [-- ARGS…]: options and positional parameters."""
    if len(argv) == 1:
        for k in sorted(sh.vars):
            if not k.startswith("LABKIT_"):
                io.fds[1].write(f"{k}='{sh.vars[k]}'\n")
        return 0
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--":
            sh.args = argv[i + 1:]
            return 0
        if a[:1] in "-+" and len(a) > 1:
            for ch in a[1:]:
                if a[0] == "-":
                    sh.opts.add(ch)
                else:
                    sh.opts.discard(ch)
            i += 1
            continue
        sh.args = argv[i:]
        return 0
    return 0


def b_shift(sh: Shell, argv: list[str], io: IO) -> int:
    """shift [N]."""
    n = _number(sh, argv, io, 1)
    if n > len(sh.args):
        sh.fatal("shift: can't shift that many", io)
    sh.args = sh.args[n:]
    return 0


def b_read(sh: Shell, argv: list[str], io: IO) -> int:
    """read [-r] NAME…: one line of fd 0, split at IFS."""
    raw = "-r" in argv[1:]
    names = [a for a in argv[1:] if not a.startswith("-")]
    if not names:
        sh.error("read: arg count", io)
        return 2
    src = io.fds.get(0)
    line = src.line() if isinstance(src, Input) else None
    status = 0 if line is not None else 1
    line = line or ""
    if not raw:
        line = line.replace("\\", "")
    ifs = sh.getvar("IFS")
    ifs = " \t\n" if ifs is None else ifs
    rest = line.strip(" \t\n")
    for k, name in enumerate(names):
        if k == len(names) - 1:
            sh.setvar(name, rest.rstrip(" \t\n"))
            break
        parts = rest.split(None, 1) if ifs.strip() == "" else rest.split(ifs[0], 1)
        sh.setvar(name, parts[0] if parts else "")
        rest = parts[1].lstrip(" \t\n") if len(parts) > 1 else ""
    return status


def b_eval(sh: Shell, argv: list[str], io: IO) -> int:
    """eval ARGS: run them as a script."""
    return _source(sh, " ".join(argv[1:]), io, "eval: ")


def b_dot(sh: Shell, argv: list[str], io: IO) -> int:
    """. FILE: run a file's commands in this shell."""
    if len(argv) < 2:
        return 0
    text = files.read(sh.file_ctx(), argv[1])
    if text is None:
        sh.fatal(f".: cannot open {argv[1]}: No such file", io)
    return _source(sh, text, io, ".: ")


def _source(sh: Shell, text: str, io: IO, who: str) -> int:
    sh.status = 0
    try:
        tree = Parser(text, sh.line).parse_all()
    except SyntaxErr as e:
        sh.fatal(f"{who}Syntax error: {e.msg}", io)
    return sh.run_seq(tree, io)


def b_command(sh: Shell, argv: list[str], io: IO) -> int:
    """command -v NAME (dash looks at the first name only); command CMD… runs CMD without functions."""
    if argv[1:2] == ["-v"] or argv[1:2] == ["-V"]:
        if len(argv) < 3:
            return 0
        name = argv[2]
        if name in BUILTINS or name in sh.funcs:
            io.fds[1].write(name + "\n" if argv[1] == "-v" else f"{name} is a shell builtin\n")
            return 0
        if name in sh.ctx.tools:
            path = files.tool_path(sh.ctx, name)
            io.fds[1].write(path + "\n" if argv[1] == "-v" else f"{name} is {path}\n")
            return 0
        return 127
    if len(argv) == 1:
        return 0
    if argv[1] in BUILTINS:
        return BUILTINS[argv[1]](sh, argv[1:], io)
    return sh.run_program(argv[1:], io, [])


def b_type(sh: Shell, argv: list[str], io: IO) -> int:
    """type NAME…."""
    code = 0
    for name in argv[1:]:
        if name in sh.funcs:
            io.fds[1].write(f"{name} is a shell function\n")
        elif name in BUILTINS:
            kind = "special shell builtin" if name in SPECIAL else "shell builtin"
            io.fds[1].write(f"{name} is a {kind}\n")
        elif name in sh.ctx.tools:
            io.fds[1].write(f"{name} is {files.tool_path(sh.ctx, name)}\n")
        else:
            io.fds[1].write(f"{name}: not found\n")
            code = 127
    return code


def b_local(sh: Shell, argv: list[str], io: IO) -> int:
    """local NAME[=VALUE]… (in a function)."""
    if not sh.locals:
        sh.error("local: not in a function", io)
        return 2
    for a in argv[1:]:
        name, eq, value = a.partition("=")
        sh.locals[-1].setdefault(name, sh.vars.get(name))
        if eq:
            sh.setvar(name, value)
    return 0


def b_return(sh: Shell, argv: list[str], io: IO) -> int:
    """return [N] (outside a function it ends the script, as dash does)."""
    code = _number(sh, argv, io, sh.status)
    if not sh.locals:
        raise Exit(code)
    raise Flow("return", code)


def b_break(sh: Shell, argv: list[str], io: IO) -> int:
    """break [N] / continue [N] (nothing outside a loop)."""
    n = _number(sh, argv, io, 1)
    if not sh.loops:
        return 0
    raise Flow(argv[0], min(n, sh.loops))


def b_trap(sh: Shell, argv: list[str], io: IO) -> int:
    """trap CMD EXIT (0); other signals are accepted and never delivered here."""
    if len(argv) >= 3:
        for sig in argv[2:]:
            if sig in ("EXIT", "0"):
                sh.traps["EXIT"] = argv[1]
    return 0


def b_wait(sh: Shell, argv: list[str], io: IO) -> int:
    """wait: for the background commands."""
    for t in sh.jobs:
        while t.is_alive() and not sh.ctx.stop.is_set():
            t.join(0.2)
    return 0


def b_umask(sh: Shell, argv: list[str], io: IO) -> int:
    """umask."""
    io.fds[1].write("0022\n")
    return 0


def b_kill(sh: Shell, argv: list[str], io: IO) -> int:
    """kill -0 PID (is it alive); a signal to PID 1, the container's first program (`kill -9 $$` in `docker run …
    sh -c`), is ignored as the kernel ignores it for a namespace's init without a handler (exit 0, as on Docker).
    Other signals are not implemented by labkit's shell."""
    if argv[1:2] == ["-0"]:
        return 0
    targets = [a for a in argv[1:] if not a.startswith("-")]
    if targets and all(t == "1" for t in targets):
        return 0
    sh.error("kill: labkit's sh sends no signals (only kill -0, and a signal its first program ignores)", io)
    return 2


def b_getopts(sh: Shell, argv: list[str], io: IO) -> int:
    """getopts: its usage line only (labkit's sh does not parse options with it)."""
    if len(argv) < 3:
        sh.error("getopts: Usage: getopts optstring var [arg...]", io)
        return 2
    sh.error("getopts: labkit's sh does not implement getopts", io)
    return 2


BUILTINS = {
    ":": b_true, "true": b_true, "false": b_false, "exit": b_exit, "cd": b_cd, "pwd": b_pwd, "exec": b_exec,
    "export": b_export, "readonly": b_readonly, "unset": b_unset, "set": b_set, "shift": b_shift, "read": b_read,
    "eval": b_eval, ".": b_dot, "command": b_command, "type": b_type, "local": b_local, "return": b_return,
    "break": b_break, "continue": b_break, "trap": b_trap, "wait": b_wait, "umask": b_umask, "kill": b_kill,
    "echo": echo, "printf": printf, "test": test, "[": test, "getopts": b_getopts,
}
