"""The embedded engine's view of a container's real processes: which signals they handle, and `docker top`.

A container's programs are processes on this machine (Python through the shim); dockerd answers `docker top`
by running `ps` and keeping the container's processes, and so does the embedded engine.
"""

from __future__ import annotations

import os
import re
import subprocess

from labkit.engines.sim import hostprocs, users
from labkit.engines.sim.model import SimContainer
from labkit.errors import engine_error


def handles(pid: int, sig: int) -> bool | None:
    """True when process pid has a handler for sig (its SigCgt mask in /proc); None where this machine cannot
    tell (no /proc: a Mac)."""
    return hostprocs.catches(pid, sig)


def process_table(c: SimContainer, ps_args: list[str], engine_pid: int) -> dict:
    """`ps ARGS` rows for the container's processes, as dockerd's top parses them: by whitespace, the last
    column holding the rest; the user column is the container user's uid as this machine names it."""
    pids = family([p.pid for p in c.procs if p.poll() is None])
    try:
        # as wide as it takes: ps cuts lines at 80 columns when its output is no terminal
        text = subprocess.run(["ps", *ps_args], capture_output=True, text=True, timeout=10,
                              env={**os.environ, "COLUMNS": "100000"}).stdout
    except (OSError, subprocess.TimeoutExpired) as err:
        raise engine_error(500, f"Error running ps: {err}") from None
    lines = text.splitlines()
    titles = lines[0].split() if lines else []
    if "PID" not in titles:
        raise engine_error(500, "Couldn't find PID field in ps output")
    at, rows = titles.index("PID"), []
    builtin = not pids  # the main program is one of the engine's built-in tools: it runs inside the engine
    for line in lines[1:]:
        fields = line.split()
        if len(fields) <= at or not fields[at].isdigit():
            continue
        pid = int(fields[at])
        if pid not in pids and not (builtin and pid == engine_pid):
            continue
        row = fields[:len(titles) - 1] + [" ".join(fields[len(titles) - 1:])]
        if builtin:
            row[-1] = " ".join(_exec_argv(c.argv))
        row[-1] = _SHIM.sub("", row[-1])
        for user_col in ("UID", "USER"):
            if user_col in titles:
                row[titles.index(user_col)] = _host_name(c)
        rows.append(row)
    return {"Titles": titles, "Processes": rows}


def _host_name(c: SimContainer) -> str:
    """The container user's uid as this machine's ps names it (dockerd runs ps on the host: uid 100 of the curl
    image's curl_user is whoever has uid 100 here), the number when nobody has it."""
    import pwd

    try:
        uid = users.resolve(c.config.get("User") or "", "curl" in c.image.tools).uid
    except users.UnknownAccount:
        uid = 0
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


_SHIM = re.compile(r"^\S+(?: -\S+)* -m labkit\.engines\.sim\.shim -- ")


def family(roots: list[int]) -> set[int]:
    """The processes roots and all their descendants (read from /proc)."""
    return set(families({0: roots}))


def families(groups: dict) -> dict[int, object]:
    """pid -> group for the roots of each group and all their descendants, from one look at this machine's
    processes (hostprocs: /proc, else psutil or ps)."""
    children = hostprocs.children()
    found: dict[int, object] = {}
    for key, roots in groups.items():
        todo = list(roots)
        while todo:
            pid = todo.pop()
            if pid not in found:
                found[pid] = key
                todo.extend(children.get(pid, []))
    return found


def _exec_argv(argv: list[str]) -> list[str]:
    """The command a container's process runs once its image's entrypoint has exec'd it: the curl image's
    /entrypoint.sh runs `curl ARGS` when the first argument is an option, else the command it was given."""
    if argv[:1] == ["/entrypoint.sh"] and len(argv) > 1:
        return ["curl", *argv[1:]] if argv[1].startswith("-") else argv[1:]
    return argv
