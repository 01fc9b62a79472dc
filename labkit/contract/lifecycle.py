"""The container lifecycle commands of the contract: kill, rename, top, pause/unpause, logs with its options,
container and network prune, pull and info, each printed as the docker CLI 28 prints it.

Ownership holds as for every command: labkit acts only on what it created (prune removes only this session's
containers and networks). A name the engine does not know is passed on to the engine, so the error is the
daemon's own ("Cannot kill container: X: No such container: X").
"""

from __future__ import annotations

import re

from labkit import ownership, session, units
from labkit.contract import filters, render
from labkit.contract.cmdline import Parsed
from labkit.contract.result import Out
from labkit.contract.since import timestamp
from labkit.engines.base import Engine
from labkit.errors import CommandError, EngineError, NotFound


def _each(engine: Engine, p: Parsed, o: Out, verb: str, action, echo: bool = True) -> None:
    """Run action(engine, name) for each named container labkit owns; print each name, or the daemon's error."""
    for name in p.args:
        try:
            try:
                info = engine.inspect_container(name)
            except NotFound:
                action(engine, name)  # the daemon's own wording for a missing container
                continue
            if not ownership.is_owned(info):
                o.err(ownership.not_owned_message("container", name, f"docker {verb} {name}"), 1)
                continue
            action(engine, name)
            if echo:
                o.out(name + "\n")
        except EngineError as err:
            o.err(render.daemon_error(err.message), 1)


def kill(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    """docker kill [-s SIGNAL] CONTAINER...: the signal (KILL by default) to each container's programs."""
    sig = p.flag("signal")
    _each(engine, p, o, "kill", lambda e, name: e.kill(name, sig or None))


def pause(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    """docker pause CONTAINER...: freeze every process of each container."""
    _each(engine, p, o, "pause", lambda e, name: e.pause(name))


def unpause(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    """docker unpause CONTAINER...: let a paused container's processes run again."""
    _each(engine, p, o, "unpause", lambda e, name: e.unpause(name))


def wait(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    """docker wait CONTAINER...: block until each stops; print its exit code."""
    def one(e: Engine, name: str) -> None:
        o.out(f"{e.wait(name)}\n")

    _each(engine, p, o, "wait", one, echo=False)


def rename(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    """docker rename CONTAINER NEW_NAME: silent on success, the daemon's error and the CLI's line otherwise."""
    old, new = p.args
    if not old.strip() or not new.strip():
        raise CommandError("Error: Neither old nor new names may be empty\n", 1)
    try:
        try:
            if not ownership.is_owned(engine.inspect_container(old)):
                raise CommandError(ownership.not_owned_message("container", old, f"docker rename {old} {new}"), 1)
        except NotFound:
            pass  # the rename below fails with the daemon's own words
        engine.rename(old, new)
    except EngineError as err:
        o.err(render.daemon_error(err.message) + f"Error: failed to rename container named {old}\n", 1)


def top(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    """docker top CONTAINER [ps OPTIONS]: the container's processes, as the daemon's `ps` lists them."""
    name, ps_args = p.args[0], p.args[1:]
    doc = engine.top(name, " ".join(ps_args) if ps_args else None)
    o.out(top_table(doc.get("Titles") or [], doc.get("Processes") or []))


def top_table(titles: list[str], rows: list[list[str]]) -> str:
    """The CLI's `docker top` table: Go's tabwriter with minimum width 20 and padding 3, last column bare."""
    lines = [titles, *rows]
    widths = [max(20, max((len(r[i]) for r in lines if i < len(r)), default=0) + 3) for i in range(len(titles))]
    out = []
    for row in lines:
        cells = [c.ljust(widths[i]) if i < len(row) - 1 else c for i, c in enumerate(row)]
        out.append("".join(cells))
    return "\n".join(out) + "\n"


def logs(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    """docker logs [-f] [-n N] [--since T] [--until T] [-t] CONTAINER."""
    since = timestamp(p.flag("since"), "since")
    until = timestamp(p.flag("until"), "until")
    info = engine.inspect_container(p.args[0])
    tty = bool((info.get("Config") or {}).get("Tty"))
    out, err = [], []
    try:
        for stream, data in engine.log_frames(info["Id"], tail=p.flag("tail") or "all", since=since, until=until,
                                              timestamps=bool(p.flag("timestamps")), follow=bool(p.flag("follow")),
                                              tty=tty):
            (err if stream == 2 else out).append(data)
    except KeyboardInterrupt:  # a followed log ends when the learner interrupts, with what came so far
        pass
    text = b"".join(out).decode(errors="replace")
    o.out(text.replace("\r\n", "\n") if tty else text)
    o.err(b"".join(err).decode(errors="replace"))


def _filters(p: Parsed) -> dict[str, list[str]]:
    """--filter KEY=VALUE flags as the API takes them, with this session's label (labkit prunes only its own)."""
    out = filters.wanted(p.flag("filter"))
    out.setdefault("label", []).append(f"{ownership.SESSION_LABEL}={session.current().id}")
    return out


_PROMPT = "WARNING! This will remove all {what}.\nAre you sure you want to continue? [y/N] "


def container_prune(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    """docker container prune [-f] [--filter F]: remove this session's stopped containers.

    Without -f the CLI asks; labkit has no terminal to answer from, so, as the CLI does when its input is
    not a terminal, the question is printed and nothing is removed (exit 0)."""
    if not p.flag("force"):
        o.out(_PROMPT.format(what="stopped containers"))
        return
    doc = engine.prune_containers(_filters(p))
    deleted = doc.get("ContainersDeleted") or []
    if deleted:
        o.out("Deleted Containers:\n" + "".join(c + "\n" for c in deleted) + "\n")
    o.out(f"Total reclaimed space: {units.human_size(doc.get('SpaceReclaimed') or 0, 4)}\n")


def network_prune(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    """docker network prune [-f] [--filter F]: remove this session's networks no container uses."""
    if not p.flag("force"):
        o.out(_PROMPT.format(what="custom networks not used by at least one container"))
        return
    deleted = engine.prune_networks(_filters(p)).get("NetworksDeleted") or []
    if deleted:
        o.out("Deleted Networks:\n" + "".join(n + "\n" for n in deleted) + "\n")


_REF = re.compile(r"^(?:(?P<domain>[a-zA-Z0-9.-]+(?::\d+)?|localhost)/)?(?P<path>[^:@]+)(?::(?P<tag>[\w][\w.-]{0,127}))?"
                  r"(?:@(?P<digest>[a-z0-9]+:[a-fA-F0-9]+))?$")


def pull(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    """docker pull NAME[:TAG]: the daemon's answer (an offline daemon's error; labkit itself never pulls)."""
    ref = p.args[0]
    m = _REF.match(ref)
    if not m:
        raise CommandError("invalid reference format\n", 1)
    domain = m.group("domain") if m.group("domain") and ("." in m.group("domain") or ":" in m.group("domain")
                                                         or m.group("domain") == "localhost") else None
    path = ref.split("@")[0].rsplit(":", 1)[0] if m.group("tag") else ref.split("@")[0]
    familiar = path if domain or "/" in path else f"library/{path}"
    if familiar != familiar.lower():
        raise CommandError(f"invalid reference format: repository name ({familiar}) must be lowercase\n", 1)
    tag = m.group("tag")
    if not tag and not m.group("digest"):
        tag = "latest"
        if not p.flag("quiet"):
            o.out("Using default tag: latest\n")
    repo = path + (f"@{m.group('digest')}" if m.group("digest") else "")
    for msg in engine.pull(repo, tag or ""):
        if "error" in msg:
            o.err(f"{msg['error']}\n", 1)
            return
        if not p.flag("quiet") and msg.get("status"):
            o.out((f"{msg['id']}: " if msg.get("id") else "") + msg["status"] + "\n")
    if p.flag("quiet"):
        o.out(ref + "\n")


def _bytes_size(n: float) -> str:
    """Go's units.BytesSize: binary multiples with two decimals ("23.54GiB")."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.4g}{unit}" if unit == "B" else f"{n:.4g}{unit}"
        n /= 1024
    return f"{n}B"


def info(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    """docker info: the client's lines and the daemon's, the subset the CLI prints that every engine can fill."""
    o.out(info_text(engine.client_info(), engine.info()))


def info_text(client: dict[str, str], doc: dict) -> str:
    """`docker info` as the CLI lays it out, for the fields the daemon's /info document holds."""
    lines = ["Client:", f" Version:    {client.get('Version', '')}", f" Context:    {client.get('Context', '')}",
             " Debug Mode: false", "", "Server:"]

    def line(label: str, key: str, indent: int = 1, fmt=str) -> None:
        if doc.get(key) not in (None, ""):
            lines.append(" " * indent + f"{label}: {fmt(doc[key])}")

    line("Containers", "Containers")
    line("Running", "ContainersRunning", 2)
    line("Paused", "ContainersPaused", 2)
    line("Stopped", "ContainersStopped", 2)
    line("Images", "Images")
    line("Server Version", "ServerVersion")
    line("Storage Driver", "Driver")
    line("Logging Driver", "LoggingDriver")
    line("Cgroup Driver", "CgroupDriver")
    line("Cgroup Version", "CgroupVersion")
    plugins = doc.get("Plugins") or {}
    if plugins:
        lines.append(" Plugins:")
        for kind in ("Volume", "Network", "Log"):
            if plugins.get(kind):
                lines.append(f"  {kind}: " + " ".join(plugins[kind]))
    lines.append(f" Swarm: {(doc.get('Swarm') or {}).get('LocalNodeState') or 'inactive'}")
    line("Kernel Version", "KernelVersion")
    line("Operating System", "OperatingSystem")
    line("OSType", "OSType")
    line("Architecture", "Architecture")
    line("CPUs", "NCPU")
    line("Total Memory", "MemTotal", fmt=_bytes_size)
    line("Name", "Name")
    line("ID", "ID")
    line("Docker Root Dir", "DockerRootDir")
    lines.append(" Debug Mode: " + ("true" if doc.get("Debug") else "false"))
    lines.append(" Experimental: " + ("true" if doc.get("ExperimentalBuild") else "false"))
    if doc.get("Labels"):
        lines.append(" Labels:")
        lines += [f"  {label}" for label in doc["Labels"]]
    lines.append(" Live Restore Enabled: " + ("true" if doc.get("LiveRestoreEnabled") else "false"))
    return "\n".join(lines) + "\n\n"
