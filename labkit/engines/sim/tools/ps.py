"""BusyBox ps (the curl image's applet): the container's own processes, as `PID   USER     COMMAND`.

A container sees only its own PID namespace: its main program is PID 1, shown with the command Docker
runs (the curl image's /entrypoint.sh execs its arguments, so PID 1 is that program). A `ps` run by
the main program's own script is that program's child; on Docker the first child of PID 1 gets PID 7
(runc's setup used the ones between), which this imitation gives too. A `ps` run by `docker exec`
sees PID 1 and itself; its PID on Docker depends on the container's history, so here it is simply a
later number. USER is the name cut to eight characters, as BusyBox prints it. BusyBox ps takes no
BSD or SysV options: `ps aux` and `ps -ef` print the same table. `-o` picks columns (pid, user, comm,
args).
"""

from __future__ import annotations

import threading

from labkit.engines.sim.tools import files
from labkit.engines.sim.tools.base import Ctx
from labkit.engines.sim.tools.net import BUSYBOX

USAGE = (f"{BUSYBOX}\n\nUsage: ps [-o COL1,COL2=HEADER] [-T]\n\nShow list of processes\n\n"
         "\t-o COL1,COL2=HEADER\tSelect columns for display\n\t-T\t\t\tShow threads\n")

_COLUMNS = {"pid": ("PID", 5), "user": ("USER", 8), "comm": ("COMMAND", 16), "args": ("COMMAND", 0),
            "ppid": ("PPID", 5)}
_next_pid: dict[str, int] = {}
_lock = threading.Lock()


def ps(ctx: Ctx, argv: list[str]) -> int:
    """busybox ps [-o COLS]: the container's processes."""
    cols = ["pid", "user", "args"]
    args = argv[1:]
    i = 0
    while i < len(args):
        a = args[i]
        if a == "-o" or a.startswith("-o"):
            spec = a[2:] or (args[i + 1] if i + 1 < len(args) else "")
            if not a[2:]:
                i += 1
            cols = [c.split("=")[0] for c in spec.split(",") if c]
            bad = [c for c in cols if c not in _COLUMNS]
            if bad:
                ctx.error(f"ps: bad -o argument '{bad[0]}', supported arguments: user,group,comm,args,pid,ppid,"
                          "pgid,nice,rgroup,ruser,tty,vsz,sid,stat,rss\n")
                return 1
        i += 1
    rows = _processes(ctx, argv)
    who = files.account(ctx)
    ctx.write(_render(cols, rows, who.name or str(who.uid)))
    return 0


def _processes(ctx: Ctx, argv: list[str]) -> list[tuple[int, int, str]]:
    """(pid, ppid, command line) of each process the container has while this ps runs."""
    me = " ".join(argv)
    main = _main_command(ctx)
    in_main = threading.current_thread().name.startswith("sim-")
    if in_main and main == me:  # ps is the container's program itself
        return [(1, 0, me)]
    if in_main:
        return [(1, 0, main), (_pid(ctx, first=7), 1, me)]
    return [(1, 0, main), (_pid(ctx, first=8), 0, me)]


def _pid(ctx: Ctx, first: int) -> int:
    """The next PID in this container's namespace."""
    with _lock:
        pid = _next_pid.get(ctx.cid or "", first)
        _next_pid[ctx.cid or ""] = pid + 1
    return pid


def _main_command(ctx: Ctx) -> str:
    """PID 1's command line: the container's Path and Args, after the curl image's entrypoint exec'd."""
    if ctx.cid is None:
        return "init"
    info = ctx.engine.inspect_container(ctx.cid)
    argv = [info.get("Path") or "", *(info.get("Args") or [])]
    if argv[0] == "/entrypoint.sh":
        rest = argv[1:]
        if not rest or rest[0].startswith("-") or rest[0] not in ctx.tools:
            rest = ["curl", *rest]
        argv = rest
    return " ".join(argv)


def _render(cols: list[str], rows: list[tuple[int, int, str]], user: str) -> str:
    """BusyBox's table: PID right-aligned in five, USER and COMMAND left-aligned, the last column unpadded."""
    def cell(col: str, value: str, last: bool, title: bool) -> str:
        width = _COLUMNS[col][1]
        if col in ("pid", "ppid"):
            return (value if last else value.ljust(width)) if title else value.rjust(width)
        return value if last else value.ljust(width)

    head = [cell(c, _COLUMNS[c][0], k == len(cols) - 1, True) for k, c in enumerate(cols)]
    lines = [" ".join(head)]
    for pid, ppid, cmd in rows:
        values = {"pid": str(pid), "ppid": str(ppid), "user": user.split(":")[0][:8], "args": cmd,
                  "comm": cmd.split(" ")[0].rsplit("/", 1)[-1][:15]}
        lines.append(" ".join(cell(c, values[c], k == len(cols) - 1, False) for k, c in enumerate(cols)))
    return "\n".join(lines) + "\n"
