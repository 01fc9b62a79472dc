"""The docker command contract: a docker CLI command line in, the CLI's output and exit code out.

This module is engine-agnostic: it parses with cmdline, asks the engine (a Engine) in Engine API
terms, and prints with render. It holds the dispatch table and the network, image and version
commands; container commands are in contract.containers, compose in contract.compose. Ownership
rules hold here, so they hold on every engine.
"""

from __future__ import annotations

import os

from labkit import ownership, session, units
from labkit.contract import compose, containers, filters, lifecycle, render
from labkit.contract.cmdline import Parsed, parse, split
from labkit.contract.options import build_context, dockerfile_bases, kv_pairs
from labkit.contract.result import Out, Result
from labkit.courseimages import with_tag
from labkit.engines.base import Engine
from labkit.errors import CommandError, Conflict, EngineError, HelpShown, engine_error


def run_command(engine: Engine, line: str, cwd: str | None = None) -> Result:
    """Run one docker command line (with or without the leading 'docker') on engine."""
    words = split(line) if isinstance(line, str) else list(line)
    shown = line if isinstance(line, str) else " ".join(line)
    if words and words[0] == "docker":
        words = words[1:]
    o = Out()
    try:
        parsed = parse(words)
        handler = _HANDLERS[parsed.path]
        handler(engine, parsed, o, cwd or os.getcwd())
    except HelpShown as help_:  # a bare `docker network`: the CLI prints the group's help on stderr, exit 0
        o.err(help_.text, 0)
    except CommandError as err:
        o.out(err.stdout)
        o.err(err.stderr, err.exit_code)
    except EngineError as err:
        o.err(render.daemon_error(err.message), 1)
    return Result(shown.strip(), o.code, "".join(o.stdout), "".join(o.stderr))


# -- commands ------------------------------------------------------------------------------
def _version(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    o.out(render.version_text(engine.client_info(), engine.version()))


def _network_create(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    name = p.args[0]
    driver = p.flag("driver") or "bridge"
    if driver != "bridge":
        raise CommandError(f"labkit: only the bridge driver is part of the course (got --driver {driver})\n", 1)
    labels = session.current().labels(kv_pairs(p.flag("label"), "label"))
    try:
        o.out(engine.create_network(name, driver, bool(p.flag("internal")), p.flag("subnet") or [], labels) + "\n")
    except Conflict as err:
        o.err(render.daemon_error(err.message), 1)
        try:
            if not ownership.is_owned(engine.inspect_network(name)):
                o.err(ownership.not_owned_message("network", name, f"docker network rm {name}"))
        except EngineError:
            pass


def _network_ls(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    wanted = filters.wanted(p.flag("filter"))
    listed = engine.list_networks(filters=wanted or None)  # the daemon filters, as for the CLI
    o.out(render.network_output(listed, bool(p.flag("quiet")), p.flag("format"), trunc=not p.flag("no-trunc")))


def _network_inspect(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    found: list[dict | str] = []
    for name in p.args:
        try:
            found.append(engine.inspect_network(name))
        except EngineError as err:
            found.append(render.daemon_error(err.message).rstrip("\n"))
    containers.print_inspected(o, found, p.flag("format"))


def _network_rm(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    for name in p.args:
        try:
            net = engine.inspect_network(name)
            if net.get("Name") in ("bridge", "host", "none"):
                raise engine_error(403, f"{name} is a pre-defined network and cannot be removed")
            if not ownership.is_owned(net):
                o.err(ownership.not_owned_message("network", name, f"docker network rm {name}"), 1)
                continue
            engine.remove_network(net["Id"])
            o.out(name + "\n")
        except EngineError as err:
            o.err(render.daemon_error(err.message), 1)
    if o.code:
        o.err("exit status 1\n")


def _network_connect(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    net, name = p.args
    containers.owned_container(engine, name, f"docker network connect {net} {name}")
    engine.connect_network(net, name, p.flag("alias") or [])


def _network_disconnect(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    net, name = p.args
    containers.owned_container(engine, name, f"docker network disconnect {net} {name}")
    engine.disconnect_network(net, name, bool(p.flag("force")))


def _build(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    context = os.path.join(cwd, p.args[0])
    if not os.path.isdir(context):
        raise CommandError(f'unable to prepare context: path "{p.args[0]}" not found\n', 1)
    dockerfile = os.path.join(cwd, p.flag("file")) if p.flag("file") else os.path.join(context, "Dockerfile")
    if not os.path.isfile(dockerfile):
        raise CommandError("unable to prepare context: unable to evaluate symlinks in Dockerfile path: "
                           f"lstat {dockerfile}: no such file or directory\n", 1)
    buildargs = kv_pairs(p.flag("build-arg"), "build-arg")
    with open(dockerfile, encoding="utf-8", errors="replace") as f:
        bases = dockerfile_bases(f.read(), buildargs)
    for base in bases:
        try:
            engine.inspect_image(base)
        except EngineError:
            raise CommandError(
                f"labkit: the base image {base} is not on this engine and labkit never pulls from a "
                f"registry; run `labkit images --offline` (course images) or build {base} first\n", 1
            ) from None
    tags = p.flag("tag") or []
    tar, df_name, size = build_context(context, p.flag("file") and dockerfile)
    if not p.flag("quiet"):  # the CLI's progress line: "%8v" of the size, then "\r" and a final "\r\n"
        o.out(f"Sending build context to Docker daemon {units.human_size(size, 4):>8}\r\r\n")
    image_id = None
    for chunk in engine.build(tar, tags[0] if tags else None, df_name, buildargs, {}):
        if "error" in chunk:
            o.err(chunk["error"].rstrip("\n") + "\n", 1)
            return
        if "aux" in chunk and isinstance(chunk["aux"], dict):
            image_id = chunk["aux"].get("ID", image_id)
        if not p.flag("quiet"):
            o.out(render.build_line(chunk))
    for extra in tags[1:]:
        engine.tag_image(tags[0], extra)
        if not p.flag("quiet"):
            o.out(f"Successfully tagged {with_tag(extra)}\n")
    if p.flag("quiet") and image_id:
        o.out(image_id + "\n")


def _images(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    images = engine.list_images()
    if p.args:
        want = p.args[0]
        repo, _, tag = want.partition(":")
        images = [
            dict(i, RepoTags=[t for t in i.get("RepoTags") or [] if t.rpartition(":")[0] == repo
                              and (not tag or t.rpartition(":")[2] == tag)])
            for i in images
        ]
        images = [i for i in images if i["RepoTags"]]
    o.out(render.images_output(images, bool(p.flag("quiet")), p.flag("format"), trunc=not p.flag("no-trunc")))


def _compose(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    compose.run(engine, p, o, cwd)


_HANDLERS = {
    ("version",): _version,
    ("network", "create"): _network_create,
    ("network", "ls"): _network_ls,
    ("network", "inspect"): _network_inspect,
    ("network", "rm"): _network_rm,
    ("network", "connect"): _network_connect,
    ("network", "disconnect"): _network_disconnect,
    ("build",): _build,
    ("images",): _images,
    ("image", "ls"): _images,
    ("run",): containers.run,
    ("ps",): containers.ps,
    ("logs",): lifecycle.logs,
    ("exec",): containers.exec_in,
    ("stop",): containers.each_container("stop", lambda e, cid, p: e.stop(cid, containers.stop_timeout(p))),
    ("start",): containers.each_container("start", containers.do_start),
    ("restart",): containers.each_container("restart", containers.do_restart),
    ("rm",): containers.each_container("rm", lambda e, cid, p: e.remove_container(cid, force=bool(p.flag("force")))),
    ("inspect",): containers.inspect,
    ("port",): containers.port,
    ("kill",): lifecycle.kill,
    ("rename",): lifecycle.rename,
    ("top",): lifecycle.top,
    ("pause",): lifecycle.pause,
    ("unpause",): lifecycle.unpause,
    ("info",): lifecycle.info,
    ("wait",): lifecycle.wait,
    ("pull",): lifecycle.pull,
    ("network", "prune"): lifecycle.network_prune,
    ("container", "prune"): lifecycle.container_prune,
    ("compose", "up"): _compose,
    ("compose", "ps"): _compose,
    ("compose", "down"): _compose,
}
