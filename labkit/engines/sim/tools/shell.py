"""`sh`: the course images' /bin/sh (Debian's dash, in both the python and the curl image), imitated.

Why an imitation and not a real dash with the sim's tools first on its PATH: the programs a learner
runs in a container are in-process Python functions over the engine's network model (curl, getent,
nslookup, ping, ...), and the files that matter (/etc/hosts, /etc/resolv.conf, /proc/net/tcp) are
views the engine generates from that model. A real shell would need every tool as an executable that
calls back into the daemon, those views materialised as real files, and a chroot-like mapping of "/"
so that `cd /app`, `ls /` and `cat /etc/hosts` see the container rather than this machine (whose own
dash, files and users would leak through, and whose dash may not be the images'). So the shell is a
small POSIX interpreter over the same Ctx every tool gets: shparse.py reads the grammar (quotes,
;, &&, ||, |, !, { }, ( ), if/for/while/until/case, functions, redirections) with dash's syntax-error
wording, shexpand.py expands words ($X, ${X:-d} and the other forms, $(…), backticks, $((…)), field
splitting, globbing over the container's files), shexec.py runs the tree and shbuiltins.py holds dash's
builtins (cd, exec, export, test, printf, echo, read, ...). Every message is dash's, copied from Docker.

`sh` without -c reads its script from a file or from stdin.
"""

from __future__ import annotations

from labkit.engines.sim.tools import files
from labkit.engines.sim.tools.base import Ctx
from labkit.engines.sim.tools.shbuiltins import BUILTINS, SPECIAL
from labkit.engines.sim.tools.shexec import IO, Input, Shell, Sink


def sh(ctx: Ctx, argv: list[str]) -> int:
    """`sh -c SCRIPT [NAME ARGS…]`, `sh FILE [ARGS…]`, or a script on stdin; an idle `sh -i`-like wait."""
    args = argv[1:]
    opts: set[str] = set()
    while args and args[0].startswith(("-", "+")) and args[0] not in ("-", "--") and args[0] != "-c":
        opts.update(args[0][1:])
        args = args[1:]
    if args[:1] == ["--"]:
        args = args[1:]
    if args[:1] == ["-c"]:
        if len(args) < 2:
            ctx.error("sh: 0: -c requires an argument\n")
            return 2
        script, arg0, rest = args[1], (args[2] if len(args) > 2 else "sh"), args[3:]
    elif args:
        text = files.read(ctx, args[0])
        if text is None:
            ctx.error(f"sh: 0: cannot open {args[0]}: No such file\n")
            return 2
        script, arg0, rest = text, args[0], args[1:]
    else:
        if ctx.stdin_never_ends():
            return 137
        script, arg0, rest = ctx.stdin or "", "sh", []
    shell = Shell(ctx, arg0, rest, (BUILTINS, SPECIAL))
    shell.opts.update(o for o in opts if o in "eaxu")
    out, err = Sink(ctx.out), Sink(ctx.err)
    shell.top_out, shell.top_err = out, err
    stdin = None if not args else ctx.stdin
    return shell.main(script, IO({0: Input(stdin), 1: out, 2: err}))
