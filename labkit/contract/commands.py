"""The docker command contract: a docker CLI command line in, the CLI's output and exit code out.

This module is engine-agnostic: it parses with cmdline, asks the engine (a Backend) in Engine API
terms, and prints with render. Ownership rules live here too, so they hold on every engine.
"""

from __future__ import annotations

import io
import os
import re
import tarfile

from labkit import ownership, session
from labkit.contract import render
from labkit.contract.cmdline import Parsed, parse, split
from labkit.contract.result import Result
from labkit.engines.base import Backend
from labkit.errors import CommandError, Conflict, EngineError, HelpShown, ImageNotFound, engine_error


class Out:
    """Collects what a command prints and its exit code."""

    def __init__(self) -> None:
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.code = 0

    def out(self, text: str) -> None:
        self.stdout.append(text)

    def err(self, text: str, code: int | None = None) -> None:
        self.stderr.append(text)
        if code is not None:
            self.code = code


def run_command(engine: Backend, line: str, cwd: str | None = None) -> Result:
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
    except HelpShown as shown:  # a bare `docker network`: the CLI prints the group's help on stderr, exit 0
        o.err(shown.text, 0)
    except CommandError as err:
        o.out(err.stdout)
        o.err(err.stderr, err.exit_code)
    except EngineError as err:
        o.err(render.daemon_error(err.message), 1)
    return Result(shown.strip(), o.code, "".join(o.stdout), "".join(o.stderr))


# -- helpers -------------------------------------------------------------------------------
def _owned_container(engine: Backend, name: str, fix: str) -> dict:
    info = engine.inspect_container(name)
    if not ownership.is_owned(info):
        raise CommandError(ownership.not_owned_message("container", name, fix), 1)
    return info


def _image_ref(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    return image if (":" in last or "@" in image) else image + ":latest"


def _kv(items: list[str] | None, what: str) -> dict[str, str]:
    out = {}
    for item in items or []:
        key, eq, val = item.partition("=")
        if not key:
            raise CommandError(f"invalid argument \"{item}\" for \"--{what}\" flag: invalid {what}\n", 125)
        out[key] = val if eq else os.environ.get(key, "")
    return out


_PORT_RE = re.compile(
    r"^(?:(?P<ip>\[[0-9a-fA-F:.]+\]|\d{1,3}(?:\.\d{1,3}){3}):)?(?:(?P<host>\d*):)?(?P<port>\d+)(?:/(?P<proto>tcp|udp|sctp))?$"
)


def parse_publish(spec: str) -> tuple[str, str, str]:
    """A -p value: (container port/proto, host IP, host port); raises the CLI's error if invalid."""
    m = _PORT_RE.match(spec)
    if not m:
        raise CommandError(
            f"invalid argument \"{spec}\" for \"-p, --publish\" flag: invalid port format: {spec}\n\n"
            "Usage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
            "Run 'docker run --help' for more information\n", 125)
    ip = (m.group("ip") or "").strip("[]")
    for what, value in (("hostPort", m.group("host")), ("containerPort", m.group("port"))):
        if value and int(value) > 65535:
            raise CommandError(f"docker: invalid {what}: {value}\n\nRun 'docker run --help' for more information\n", 125)
    return f"{m.group('port')}/{m.group('proto') or 'tcp'}", ip, m.group("host") or ""


def build_context(directory: str, dockerfile: str | None) -> tuple[io.BytesIO, str, int]:
    """A tar of a build context (the Dockerfile added if it lives outside) and its size as the CLI counts it."""
    buf = io.BytesIO()
    df_name = "Dockerfile"
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for root, dirs, files in os.walk(directory):
            dirs.sort()
            for d in dirs:
                full = os.path.join(root, d)
                tar.add(full, arcname=os.path.relpath(full, directory), recursive=False)
            for f in sorted(files):
                full = os.path.join(root, f)
                tar.add(full, arcname=os.path.relpath(full, directory), recursive=False)
        if dockerfile:
            full = os.path.abspath(dockerfile)
            rel = os.path.relpath(full, os.path.abspath(directory))
            if rel.startswith(".."):
                df_name = ".dockerfile.labkit"
                tar.add(full, arcname=df_name)
            else:
                df_name = rel
        size = tar.offset + 1024  # Go's tar writer ends with two zero blocks and no record padding
    buf.seek(0)
    return buf, df_name, size


def dockerfile_bases(text: str, buildargs: dict[str, str]) -> list[str]:
    """The images a Dockerfile's FROM lines name (stage aliases and scratch excluded)."""
    args: dict[str, str] = {}
    stages: set[str] = set()
    bases: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split()
        op = words[0].upper()
        if op == "ARG" and len(words) > 1 and not bases:
            key, _, default = words[1].partition("=")
            args[key] = buildargs.get(key, default)
        elif op == "FROM" and len(words) > 1:
            ws = [w for w in words[1:] if not w.startswith("--")]
            image = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), ""), ws[0])
            if len(ws) >= 3 and ws[1].upper() == "AS":
                stages.add(ws[2].lower())
            if image.lower() not in stages and image != "scratch":
                bases.append(image)
    return bases


# -- commands ------------------------------------------------------------------------------
def _version(engine: Backend, p: Parsed, o: Out, cwd: str) -> None:
    o.out(render.version_text(engine.client_info(), engine.version()))


def _network_create(engine: Backend, p: Parsed, o: Out, cwd: str) -> None:
    name = p.args[0]
    driver = p.flag("driver") or "bridge"
    if driver != "bridge":
        raise CommandError(f"labkit: only the bridge driver is part of the course (got --driver {driver})\n", 1)
    labels = session.current().labels(_kv(p.flag("label"), "label"))
    try:
        o.out(engine.create_network(name, driver, bool(p.flag("internal")), p.flag("subnet") or [], labels) + "\n")
    except Conflict as err:
        o.err(render.daemon_error(err.message), 1)
        try:
            if not ownership.is_owned(engine.inspect_network(name)):
                o.err(ownership.not_owned_message("network", name, f"docker network rm {name}"))
        except EngineError:
            pass


def _network_ls(engine: Backend, p: Parsed, o: Out, cwd: str) -> None:
    o.out(render.network_table(engine.list_networks(), bool(p.flag("quiet"))))


def _network_inspect(engine: Backend, p: Parsed, o: Out, cwd: str) -> None:
    found = []
    for name in p.args:
        try:
            found.append(engine.inspect_network(name))
        except EngineError as err:
            o.err(render.daemon_error(err.message), 1)
    o.out(render.inspect_json(found))


def _network_rm(engine: Backend, p: Parsed, o: Out, cwd: str) -> None:
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


def _network_connect(engine: Backend, p: Parsed, o: Out, cwd: str) -> None:
    net, name = p.args
    _owned_container(engine, name, f"docker network connect {net} {name}")
    engine.connect_network(net, name, p.flag("alias") or [])


def _network_disconnect(engine: Backend, p: Parsed, o: Out, cwd: str) -> None:
    net, name = p.args
    _owned_container(engine, name, f"docker network disconnect {net} {name}")
    engine.disconnect_network(net, name, bool(p.flag("force")))


def _build(engine: Backend, p: Parsed, o: Out, cwd: str) -> None:
    context = os.path.join(cwd, p.args[0])
    if not os.path.isdir(context):
        raise CommandError(f'unable to prepare context: path "{p.args[0]}" not found\n', 1)
    dockerfile = os.path.join(cwd, p.flag("file")) if p.flag("file") else os.path.join(context, "Dockerfile")
    if not os.path.isfile(dockerfile):
        raise CommandError("unable to prepare context: unable to evaluate symlinks in Dockerfile path: "
                           f"lstat {dockerfile}: no such file or directory\n", 1)
    buildargs = _kv(p.flag("build-arg"), "build-arg")
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
        o.out(f"Sending build context to Docker daemon {render.human_size(size, 4):>8}\r\r\n")
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
            o.out(f"Successfully tagged {_image_ref(extra)}\n")
    if p.flag("quiet") and image_id:
        o.out(image_id + "\n")


def _images(engine: Backend, p: Parsed, o: Out, cwd: str) -> None:
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
    o.out(render.images_table(images, bool(p.flag("quiet"))))


def _start_error_code(message: str) -> int:
    """The exit code `docker run` gives a container that failed to start: the CLI itself reads the daemon's
    message (runStartContainerErr in docker/cli): 127 for a missing command, 126 for one it may not run."""
    if "executable file not found" in message or "no such file or directory" in message:
        return 127
    if "permission denied" in message:
        return 126
    return 125


def _run(engine: Backend, p: Parsed, o: Out, cwd: str) -> None:
    image, command = p.args[0], p.args[1:]
    name = p.flag("name")
    network = p.flag("network")
    exposed = list(p.flag("expose") or [])
    exposed = [e if "/" in e else e + "/tcp" for e in exposed]
    bindings: dict[str, list[tuple[str, str]]] = {}
    for spec in p.flag("publish") or []:
        port, ip, host = parse_publish(spec)
        bindings.setdefault(port, []).append((ip, host))
        if port not in exposed:
            exposed.append(port)
    env = [f"{k}={v}" for k, v in _kv(p.flag("env"), "env").items()]
    detach, tty, rm = bool(p.flag("detach")), bool(p.flag("tty")), bool(p.flag("rm"))
    if p.flag("network-alias") and (not network or network in ("default", "bridge", "host", "none")
                                    or network.startswith("container:")):
        raise CommandError("docker: network-scoped aliases are only supported for user-defined networks\n\n"
                           "Run 'docker run --help' for more information\n", 125)
    try:
        cid = engine.create_container(
            image=image, command=command or None, name=name, env=env, exposed=exposed, bindings=bindings,
            network=network, aliases=p.flag("network-alias") or [], labels=session.current().labels(), tty=tty,
            stdin_open=bool(p.flag("interactive")) and detach, auto_remove=rm and detach,
            hostname=p.flag("hostname"),
        )
    except EngineError as err:
        _create_failed(engine, err, image, name, o)
        return
    try:
        engine.start(cid)
    except EngineError as err:
        if detach:  # the CLI has printed the created container's ID before starting it
            o.out(cid + "\n")
        o.err(render.run_error(err.message), _start_error_code(err.message))
        if rm:
            _quiet_remove(engine, cid)
        return
    if detach:
        engine.wait_ready(cid)
        o.out(cid + "\n")
        return
    try:
        code = engine.wait(cid)
        out, err = engine.logs(cid)
    except KeyboardInterrupt:
        _quiet_remove(engine, cid, stop_only=not rm)
        raise
    if tty:
        out = out.replace("\r\n", "\n")
    o.out(out)
    o.err(err, code)
    if rm:
        _quiet_remove(engine, cid)


def _create_failed(engine: Backend, err: EngineError, image: str, name: str | None, o: Out) -> None:
    """Explain a failed create: a missing image (labkit never pulls) or a name clash (whose is it?)."""
    if isinstance(err, ImageNotFound):
        ref = _image_ref(image)
        o.err(f"Unable to find image '{ref}' locally\n" + render.run_error(f"No such image: {ref}")
              + "labkit: labkit never pulls from a registry; build it (`docker build -t "
              f"{image} DIR`) or run `labkit images --offline` for the course's base images\n", 125)
        return
    o.err(render.run_error(err.message), 125)
    if isinstance(err, Conflict) and name:
        try:
            if not ownership.is_owned(engine.inspect_container(name)):
                o.err(ownership.not_owned_message("container", name, f"docker rm -f {name}"))
        except EngineError:
            pass


def _quiet_remove(engine: Backend, cid: str, stop_only: bool = False) -> None:
    try:
        if stop_only:
            engine.stop(cid, timeout=1)
        else:
            engine.remove_container(cid, force=True)
    except EngineError:
        pass


def _ps(engine: Backend, p: Parsed, o: Out, cwd: str) -> None:
    o.out(render.ps_table(engine.list_containers(all=bool(p.flag("all"))), bool(p.flag("quiet"))))


def _logs(engine: Backend, p: Parsed, o: Out, cwd: str) -> None:
    info = engine.inspect_container(p.args[0])
    out, err = engine.logs(info["Id"])
    if (info.get("Config") or {}).get("Tty"):
        out = out.replace("\r\n", "\n")
    o.out(out)
    o.err(err)


def _exec(engine: Backend, p: Parsed, o: Out, cwd: str) -> None:
    name, cmd = p.args[0], p.args[1:]
    info = _owned_container(engine, name, f"docker exec {name} ...")
    if not (info.get("State") or {}).get("Running"):
        raise CommandError(render.daemon_error(f"Container {info['Id']} is not running"), 1)
    env = [f"{k}={v}" for k, v in _kv(p.flag("env"), "env").items()]
    code, out, err = engine.exec_run(info["Id"], cmd, bool(p.flag("tty")), env, bool(p.flag("detach")))
    if p.flag("tty"):
        out = out.replace("\r\n", "\n")
    o.out(out)
    o.err(err, code)


def _each_container(verb: str, action):
    def handler(engine: Backend, p: Parsed, o: Out, cwd: str) -> None:
        failed = []
        for name in p.args:
            try:
                info = engine.inspect_container(name)
                if not ownership.is_owned(info):
                    flag = " -f" if verb == "rm" else ""
                    o.err(ownership.not_owned_message("container", name, f"docker {verb}{flag} {name}"), 1)
                    failed.append(name)
                    continue
                action(engine, info["Id"], p)
                o.out(name + "\n")
            except EngineError as err:
                o.err(render.daemon_error(err.message), 1)
                failed.append(name)
        if failed and verb == "start":
            o.err(f"Error: failed to start containers: {', '.join(failed)}\n")

    return handler


def _timeout(p: Parsed) -> int | None:
    t = p.flag("time")
    if t is None:
        return None
    try:
        return int(t)
    except ValueError:
        raise CommandError(f'invalid argument "{t}" for "-t, --time" flag: strconv.ParseInt: parsing '
                           f'"{t}": invalid syntax\n', 125) from None


def _do_start(engine: Backend, cid: str, p: Parsed) -> None:
    engine.start(cid)
    engine.wait_ready(cid)


def _do_restart(engine: Backend, cid: str, p: Parsed) -> None:
    engine.restart(cid, _timeout(p))
    engine.wait_ready(cid)


def _inspect(engine: Backend, p: Parsed, o: Out, cwd: str) -> None:
    found = []
    for name in p.args:
        for lookup in (engine.inspect_container, engine.inspect_image, engine.inspect_network):
            try:
                found.append(lookup(name))
                break
            except EngineError:
                continue
        else:
            o.err(f"Error: No such object: {name}\n", 1)
    o.out(render.inspect_json(found))


def _port(engine: Backend, p: Parsed, o: Out, cwd: str) -> None:
    info = engine.inspect_container(p.args[0])
    if len(p.args) == 1:
        o.out(render.port_lines(info))
        return
    typed = p.args[1]
    port, _, proto = typed.partition("/")
    if not port.isdigit() or int(port) > 65535:
        why = "value out of range" if port.isdigit() else "invalid syntax"
        raise CommandError(f'Error: invalid port ({port}): strconv.ParseUint: parsing "{port}": {why}\n', 1)
    want = f"{int(port)}/{proto or 'tcp'}"
    ports = (info.get("NetworkSettings") or {}).get("Ports") or {}
    if not ports.get(want):
        raise CommandError(f"Error: No public port '{typed}' published for {p.args[0]}\n", 1)
    o.out(render.port_lines(info, only=want))


def _compose(engine: Backend, p: Parsed, o: Out, cwd: str) -> None:
    from labkit.contract import compose

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
    ("run",): _run,
    ("ps",): _ps,
    ("logs",): _logs,
    ("exec",): _exec,
    ("stop",): _each_container("stop", lambda e, cid, p: e.stop(cid, _timeout(p))),
    ("start",): _each_container("start", _do_start),
    ("restart",): _each_container("restart", _do_restart),
    ("rm",): _each_container("rm", lambda e, cid, p: e.remove_container(cid, force=bool(p.flag("force")))),
    ("inspect",): _inspect,
    ("port",): _port,
    ("compose", "up"): _compose,
    ("compose", "ps"): _compose,
    ("compose", "down"): _compose,
}
