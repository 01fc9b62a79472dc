"""`docker compose -f FILE up -d | ps | down` with Compose v2's naming, on any engine.

The project's network is `<project>_default`, containers are `<project>-<service>-1`, and every
service is reachable by its service name on the project's networks — exactly what Compose does,
built from the same engine operations the lessons do by hand.
"""

from __future__ import annotations

import os
import re
import shlex

from labkit import ownership, session, units
from labkit.contract import render
from labkit.contract.options import build_context, parse_publish
from labkit.contract.shorten import ellipsis
from labkit.errors import CommandError, EngineError

SUPPORTED = {"image", "build", "command", "environment", "ports", "expose", "depends_on", "networks",
             "container_name", "hostname", "restart"}
PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"


def project_name(path: str, data: dict, given: str | None) -> str:
    """Compose's project name: -p, the file's `name:`, else its folder's name, normalised."""
    raw = given or data.get("name") or os.path.basename(os.path.dirname(os.path.abspath(path)))
    name = re.sub(r"[^a-z0-9_-]", "", str(raw).lower())
    name = re.sub(r"^[^a-z0-9]+", "", name)
    if not name:
        raise CommandError(f"labkit: cannot make a compose project name from {raw!r}; pass -p NAME\n", 1)
    return name


def load(path: str) -> dict:
    """Read and check a compose file; a clear one-line error if it is not one labkit can run."""
    import yaml

    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f) or {}
    except OSError as err:
        raise CommandError(f"open {path}: {err.strerror.lower()}\n", 1) from None
    except yaml.YAMLError as err:
        line = getattr(getattr(err, "problem_mark", None), "line", None)
        where = f" (line {line + 1})" if line is not None else ""
        raise CommandError(f"labkit: {path} is not valid YAML{where}; fix the file and try again\n", 1) from None
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict) or not services:
        raise CommandError(f"labkit: {path} has no services; a compose file needs a `services:` map\n", 1)
    for svc, spec in services.items():
        if not isinstance(spec, dict):
            raise CommandError(f"labkit: service {svc} in {path} must be a map of settings\n", 1)
        unknown = sorted(set(spec) - SUPPORTED)
        if unknown:
            raise CommandError(f"labkit: service {svc} uses {', '.join(unknown)}, which labkit's compose does "
                               f"not support (supported: {', '.join(sorted(SUPPORTED))})\n", 1)
        if "image" not in spec and "build" not in spec:
            raise CommandError(f"labkit: service {svc} has neither image nor build\n", 1)
        restart_policy(svc, spec.get("restart"))  # refused before anything is made
    return data


def _order(services: dict) -> list[str]:
    """Services in dependency order (depends_on first)."""
    done: list[str] = []

    def visit(name: str, seen: tuple[str, ...]) -> None:
        if name in done:
            return
        if name in seen:
            raise CommandError(f"labkit: services depend on each other in a circle: {' -> '.join(seen + (name,))}\n", 1)
        deps = services[name].get("depends_on") or []
        for dep in (deps if isinstance(deps, list) else list(deps)):
            if dep not in services:
                raise CommandError(f"labkit: service {name} depends on undefined service {dep}\n", 1)
            visit(dep, seen + (name,))
        done.append(name)

    for name in services:
        visit(name, ())
    return done


def _env(value) -> list[str]:
    if isinstance(value, dict):
        return [f"{k}={'' if v is None else v}" for k, v in value.items()]
    return [str(v) for v in value or []]


RESTART = re.compile(r"^(no|always|unless-stopped|on-failure)(?::(\d+))?$")


def restart_policy(svc: str, value) -> dict | None:
    """A service's `restart:` as the Engine API's RestartPolicy (applied by the engine, never dropped); a one-line
    error for anything the Compose specification does not allow (no, always, on-failure[:N], unless-stopped)."""
    if value is None:
        return None
    text = "no" if value is False else str(value).strip()  # YAML reads a bare `no` as false
    found = RESTART.match(text)
    if not found or (found.group(2) is not None and found.group(1) != "on-failure"):
        raise CommandError(f"labkit: service {svc} has restart: {value!r}, which is not a restart policy; use no, "
                           "always, on-failure, on-failure:N or unless-stopped\n", 1)
    return {"Name": "" if found.group(1) == "no" else found.group(1), "MaximumRetryCount": int(found.group(2) or 0)}


def _networks(project: str, spec: dict) -> list[str]:
    """The networks a service joins, by their engine names (<project>_<name>)."""
    names = spec.get("networks") or ["default"]
    if isinstance(names, dict):
        names = list(names)
    return [f"{project}_{n}" for n in names]


def run(engine, p, o, cwd: str) -> None:
    """Dispatch compose up/ps/down for the parsed command."""
    path = os.path.join(cwd, p.compose_file or "compose.yaml")
    if not p.compose_file:
        for candidate in ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"):
            if os.path.exists(os.path.join(cwd, candidate)):
                path = os.path.join(cwd, candidate)
                break
    data = load(path)
    project = project_name(path, data, p.compose_project)
    verb = p.path[1]
    if verb == "up":
        if not p.flag("detach"):
            raise CommandError("labkit: run compose detached in a notebook: docker compose -f FILE up -d\n", 1)
        _up(engine, project, data, os.path.dirname(path), o)
    elif verb == "ps":
        _ps(engine, project, o, bool(p.flag("all")))
    else:
        timeout = p.flag("timeout")
        if timeout is not None and not str(timeout).isdigit():
            raise CommandError(f'invalid argument "{timeout}" for "-t, --timeout" flag: give whole seconds\n', 1)
        _down(engine, project, o, int(timeout) if timeout is not None else 10)


def _project_containers(engine, project: str, all: bool = True) -> list[dict]:
    return engine.list_containers(all=all, filters={"label": [f"{PROJECT_LABEL}={project}"]})


def _up(engine, project: str, data: dict, base: str, o) -> None:

    services = data["services"]
    nets = {f"{project}_default"} | {n for s in services.values() for n in _networks(project, s)}
    for net in sorted(nets):
        try:
            existing = engine.inspect_network(net)
            if not ownership.is_owned(existing):
                raise CommandError(ownership.not_owned_message("network", net, f"docker network rm {net}"), 1)
            continue
        except EngineError:
            pass
        if net != f"{project}_default" and net[len(project) + 1:] not in (data.get("networks") or {}):
            raise CommandError(f"labkit: service refers to undefined network {net[len(project) + 1:]}\n", 1)
        o.err(f" Network {net}  Creating\n")
        engine.create_network(net, "bridge", False, [], session.current().labels(
            {PROJECT_LABEL: project, "com.docker.compose.network": net[len(project) + 1:]}))
        o.err(f" Network {net}  Created\n")
    to_start = []
    for svc in _order(services):
        spec = services[svc]
        cname = spec.get("container_name") or f"{project}-{svc}-1"
        try:
            info = engine.inspect_container(cname)
            if not ownership.is_owned(info):
                raise CommandError(ownership.not_owned_message("container", cname, f"docker rm -f {cname}"), 1)
            if (info.get("State") or {}).get("Running"):
                o.err(f" Container {cname}  Running\n")
            else:
                to_start.append((cname, info["Id"]))
            continue
        except EngineError:
            pass
        image = spec.get("image")
        if "build" in spec:
            build = spec["build"] if isinstance(spec["build"], dict) else {"context": spec["build"]}
            context = os.path.join(base, str(build.get("context", ".")))
            image = image or f"{project}-{svc}"
            dockerfile = os.path.join(context, build["dockerfile"]) if build.get("dockerfile") else None
            tar, df_name, _ = build_context(context, dockerfile)
            for chunk in engine.build(tar, image, df_name, {}, {}):
                if "error" in chunk:
                    raise CommandError(f"failed to solve: {chunk['error'].strip()}\n", 1)
            o.err(f" Image {image}  Built\n")
        exposed = [str(e) if "/" in str(e) else f"{e}/tcp" for e in spec.get("expose") or []]
        bindings: dict[str, list[tuple[str, str]]] = {}
        for pspec in spec.get("ports") or []:
            port, ip, host = parse_publish(str(pspec))
            bindings.setdefault(port, []).append((ip, host))
            if port not in exposed:
                exposed.append(port)
        command = spec.get("command")
        if isinstance(command, str):
            command = shlex.split(command)
        networks = _networks(project, spec)
        o.err(f" Container {cname}  Creating\n")
        cid = engine.create_container(
            image=image, command=command, name=cname, env=_env(spec.get("environment")), exposed=exposed,
            bindings=bindings, network=networks[0], aliases=[svc], labels=session.current().labels(
                {PROJECT_LABEL: project, SERVICE_LABEL: svc, "com.docker.compose.container-number": "1",
                 "com.docker.compose.oneoff": "False"}),
            tty=False, stdin_open=False, auto_remove=False, hostname=spec.get("hostname"),
            restart_policy=restart_policy(svc, spec.get("restart")),
        )
        for extra in networks[1:]:
            engine.connect_network(extra, cid, [svc])
        o.err(f" Container {cname}  Created\n")
        to_start.append((cname, cid))
    for cname, cid in to_start:
        o.err(f" Container {cname}  Starting\n")
        engine.start(cid)
        engine.wait_ready(cid)
        o.err(f" Container {cname}  Started\n")


def _ps(engine, project: str, o, all: bool) -> None:
    rows = []
    for c in sorted(_project_containers(engine, project, all), key=lambda c: c["Names"][0]):
        rows.append([
            c["Names"][0].lstrip("/"), c.get("Image", ""), '"' + ellipsis(c.get("Command", ""), 20) + '"',
            (c.get("Labels") or {}).get(SERVICE_LABEL, ""), units.ago(c.get("Created", 0)), c.get("Status", ""),
            render.ports_column(c.get("Ports") or []),
        ])
    o.out(render.table(["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"], rows))


def _down(engine, project: str, o, timeout: int) -> None:
    for c in _project_containers(engine, project):
        name = c["Names"][0].lstrip("/")
        if not ownership.is_owned(c):
            o.err(ownership.not_owned_message("container", name, f"docker rm -f {name}"), 1)
            continue
        if c.get("State") == "running":
            o.err(f" Container {name}  Stopping\n")
            engine.stop(c["Id"], timeout=timeout)
            o.err(f" Container {name}  Stopped\n")
        o.err(f" Container {name}  Removing\n")
        engine.remove_container(c["Id"], force=True)
        o.err(f" Container {name}  Removed\n")
    for net in engine.list_networks(filters={"label": [f"{PROJECT_LABEL}={project}"]}):
        if not ownership.is_owned(net):
            continue
        o.err(f" Network {net['Name']}  Removing\n")
        engine.remove_network(net["Id"])
        o.err(f" Network {net['Name']}  Removed\n")
