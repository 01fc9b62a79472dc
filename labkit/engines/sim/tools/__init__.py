"""Programs inside the embedded engine's containers: what runs when a container runs a command.

A *tool* is one program of a course image, written as a function `tool(ctx, argv) -> exit code`.
It takes its arguments from argv and everything else from `ctx` (a `Ctx`): which container it runs
in, its working folder, its environment, its stdin, the programs the image provides, and the stop
event that `docker stop`/`kill` sets. It prints by appending to ctx.out and ctx.err (`ctx.write`,
`ctx.error`), exactly what the real program prints in the course images. `TOOLS` maps each program
name to its function.

How the engine runs a container's program: for the main process of `docker run`/`start` and for
each `docker exec`, the runtime (runtime.py) builds a Ctx for the container and calls
`run(ctx, argv)`. `run` finds the program by its basename; one the image does not provide raises
`NotFound`, which the runtime words as Docker's OCI runtime does (exit 127, or 126 for exec).
`/entrypoint.sh` is the curl image's entrypoint: its arguments are curl's unless they name a program.
The runtime then appends ctx.out/ctx.err to the container's logs, or returns them as exec's output.

Two kinds of tools:

- real: `python3`/`python` (programs.py) runs the learner's program as a real process, through the
  socket shim (`python -m labkit.engines.sim.shim`), which maps the container's addresses onto real
  loopback addresses. The learner's code runs unchanged: a server really listens, a client really
  connects.
- imitations: the small programs the lessons use are Python functions over the same network model
  (netmodel): the shell (shell.py: dash, as both course images have it; its parser, expansions,
  executor and builtins are the sh*.py modules, and it runs every program of a script through `run`),
  the container's own files (files.py: ls, whoami, id), text tools (text.py: cat, grep, sort, head,
  tail, wc), other coreutils (coreutils.py), name and route tools (net.py: getent, nslookup, ping),
  curl (curl.py; its exchange in curl_http.py, its progress meter in curl_meter.py) and the curl
  image's BusyBox network applets (wget.py, nc.py, ip.py, ps.py, netstat.py: netstat and route; the
  applets not imitated say so in labkit's words). Their traffic is real too: curl, wget and nc
  connect to the real address the target listens on.
  The conformance tests replay recorded Docker transcripts to prove they print what Docker's do.

The submodules import only base.py (Ctx, NotFound) and each other's helpers; this module imports
them to build TOOLS. The shell needs `run` for every command of a script, so it imports it when a
command runs, not when it is imported: no import cycle.
"""

from __future__ import annotations

import os

from labkit.engines.sim.tools.base import Ctx, NotFound
from labkit.engines.sim.tools.coreutils import (
    basename,
    cut,
    dirname,
    echo_prog,
    mkdir,
    printf_prog,
    rm,
    seq,
    tee,
    test_prog,
    touch,
    tr,
    uname,
    which,
)
from labkit.engines.sim.tools.curl import CURL_VERSION, curl
from labkit.engines.sim.tools.files import id_tool, ls, whoami
from labkit.engines.sim.tools.ip import ip_tool
from labkit.engines.sim.tools.nc import nc
from labkit.engines.sim.tools.net import getent, nslookup, ping
from labkit.engines.sim.tools.netstat import netstat, not_imitated, route
from labkit.engines.sim.tools.programs import python
from labkit.engines.sim.tools.ps import ps
from labkit.engines.sim.tools.shell import sh
from labkit.engines.sim.tools.text import (
    cat,
    env_tool,
    false,
    grep,
    head,
    hostname,
    printenv,
    pwd,
    sleep,
    sort_tool,
    tail,
    true,
    wc,
)
from labkit.engines.sim.tools.wget import wget

__all__ = ["CURL_VERSION", "TOOLS", "Ctx", "NotFound", "run"]


def run(ctx: Ctx, argv: list[str]) -> int:
    """Run argv in ctx; the exit code."""
    if not argv:
        return 0
    if ctx.runner is None:
        ctx.runner = run  # a shell in ctx runs its programs through this table (tools.shprog)
    name = os.path.basename(argv[0])
    if argv[0] == "/entrypoint.sh":
        rest = argv[1:]
        if not rest or rest[0].startswith("-") or os.path.basename(rest[0]) not in ctx.tools:
            rest = ["curl", *rest]
        return run(ctx, rest)
    if ctx.cid is not None and name not in ctx.tools:
        raise NotFound(argv[0])
    fn = TOOLS.get(name)
    if fn is None:
        raise NotFound(argv[0])
    return fn(ctx, argv)


TOOLS = {
    "python3": python, "python": python, "sh": sh, "bash": sh, "ash": sh, "sleep": sleep, "echo": echo_prog,
    "true": true, "false": false, "env": env_tool, "printenv": printenv, "pwd": pwd, "id": id_tool, "cat": cat,
    "grep": grep,
    "sort": sort_tool, "head": head, "tail": tail, "wc": wc,
    "ls": ls, "whoami": whoami, "mkdir": mkdir, "touch": touch, "rm": rm, "tee": tee, "cut": cut, "tr": tr,
    "seq": seq, "basename": basename, "dirname": dirname, "uname": uname, "which": which, "printf": printf_prog,
    "test": test_prog, "[": test_prog,
    "hostname": hostname, "getent": getent, "nslookup": nslookup, "ping": ping, "curl": curl,
    "wget": wget, "nc": nc, "ip": ip_tool, "ps": ps, "netstat": netstat, "route": route,
    **dict.fromkeys(("ifconfig", "telnet", "traceroute", "ping6", "top", "less", "vi"), not_imitated),
}
