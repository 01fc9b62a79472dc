"""The Engine API's plain routes on the embedded engine: networks, images and containers (JSON in, JSON out).

Each takes the request it answers (an api_streams.Exchange, which labkit.engines.sim.api.Handler is) and the
path's captured parts; the routes that stream or take the connection over are in api_streams, the server and
the route table in api.
"""

from __future__ import annotations

import re

from labkit.courseimages import with_tag
from labkit.engines.sim import api_fields as fields
from labkit.engines.sim import api_shapes as shapes
from labkit.engines.sim import listfilters
from labkit.engines.sim.api_streams import Exchange, container, strings
from labkit.engines.sim.containers import check_joiner
from labkit.engines.sim.imageops import familiar
from labkit.errors import BadRequest, Conflict, EngineError, NotFound


# -- filters ------------------------------------------------------------------------------------
def filters(h: Exchange) -> dict[str, list[str]]:
    """The filters query parameter in docker-py's list form, whichever form the client sent."""
    raw = h.json_param("filters", {}) or {}
    if not isinstance(raw, dict):
        raise BadRequest("invalid filter: expected a JSON object")
    return {k: [x for x, on in v.items() if on] if isinstance(v, dict) else strings(v) for k, v in raw.items()}


def keep(items: list[dict], wanted: dict[str, list[str]], tests: dict) -> list[dict]:
    """The items that pass each filter of tests the client gave (any of its values matching)."""
    for key, test in tests.items():
        if wanted.get(key):
            items = [i for i in items if any(test(i, v) for v in wanted[key])]
    return items


# -- networks -----------------------------------------------------------------------------------
def _network(h: Exchange, doc: dict) -> dict:
    """A network document with IPAM.Options as dockerd keeps them: what the creator sent ({} from the CLI, which
    sends an IPAM block; null from a client that sent none, and for the predefined networks)."""
    if doc.get("Id") in h.server.ipam_options:
        doc["IPAM"] = {**(doc.get("IPAM") or {}), "Options": h.server.ipam_options[doc["Id"]]}
    return doc


def network_list(h: Exchange) -> None:
    f = filters(h)  # dockerd's rules (listfilters)
    h.send_json(200, [_network(h, n) for n in listfilters.networks(h.engine.list_networks(), f)])


def network_inspect(h: Exchange, net: str) -> None:
    h.send_json(200, _network(h, h.engine.inspect_network(net)))


def network_create(h: Exchange) -> None:
    """POST /networks/create: the body's shape, then dockerd's refusals and the embedded engine's (api_fields)."""
    body = shapes.body(h.json_body(), shapes.NETWORK_CREATE)
    fields.network_checks(body)
    ipam = body.get("IPAM")
    config = next(iter((ipam or {}).get("Config") or []), None) or {}
    nid = h.engine.create_network(body["Name"], body.get("Driver") or "bridge", bool(body.get("Internal")),
                                  [config["Subnet"]] if config.get("Subnet") else [],
                                  {k: v or "" for k, v in (body.get("Labels") or {}).items()},
                                  gateway=config.get("Gateway") or None, attachable=bool(body.get("Attachable")))
    if ipam is not None:
        h.server.ipam_options[nid] = ipam.get("Options")
    h.send_json(201, {"Id": nid, "Warning": ""})


def network_connect(h: Exchange, net: str) -> None:
    """POST /networks/NET/connect: aliases are applied; a fixed address, links or driver options refused."""
    body = shapes.body(h.json_body(), shapes.NETWORK_CONNECT)
    settings = body.get("EndpointConfig") or {}
    fields.endpoint_refusals(settings, "EndpointConfig")
    h.engine.connect_network(net, body.get("Container") or "", strings(settings.get("Aliases")))
    h.send_empty(200)


def network_disconnect(h: Exchange, net: str) -> None:
    body = shapes.body(h.json_body(), shapes.NETWORK_DISCONNECT)
    h.engine.disconnect_network(net, body.get("Container") or "", bool(body.get("Force")))
    h.send_empty(200)


def network_remove(h: Exchange, net: str) -> None:
    nid = h.engine.inspect_network(net)["Id"]
    h.engine.remove_network(net)
    h.server.ipam_options.pop(nid, None)
    h.send_empty(204)


# -- images -------------------------------------------------------------------------------------
def _path_match(pattern: str, text: str) -> bool:
    """Go's path.Match: shell patterns where * and ? never cross a /."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[" and "]" in pattern[i + 2:]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1:end]
            out.append("[" + ("^" + body[1:] if body[:1] in ("^", "!") else body).replace("\\", "\\\\") + "]")
            i = end
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    try:
        return re.fullmatch("".join(out), text) is not None
    except re.error:
        return False


def _reference(tag: str, pattern: str) -> bool:
    """dockerd's reference filter (FamiliarMatch): the pattern matches name:tag, or the name alone."""
    return _path_match(pattern, tag) or _path_match(pattern, tag.rsplit(":", 1)[0])


def image_list(h: Exchange) -> None:
    """GET /images/json as dockerd answers it: newest first; a reference filter keeps only the tags it matches
    (so `docker images NAME` lists NAME's tags, not every tag of the images NAME is one of)."""
    f = filters(h)
    patterns = f.get("reference") or []
    out = []
    for image in keep(h.engine.list_images(), f, {"label": lambda i, v: listfilters.labels_match(i.get("Labels"), [v])}):
        doc = {"Containers": -1, "ParentId": "", "RepoDigests": None, "SharedSize": -1,
               "VirtualSize": image.get("Size", 0), **image}
        if patterns:
            doc["RepoTags"] = [t for t in image.get("RepoTags") or [] if any(_reference(t, p) for p in patterns)]
            if not doc["RepoTags"]:
                continue
        out.append(doc)
    out.sort(key=lambda i: i.get("Created") or 0, reverse=True)
    h.send_json(200, out)


def image_inspect(h: Exchange, name: str) -> None:
    """GET /images/NAME/json; a missing image in dockerd 20.10's words for this route (recorded)."""
    try:
        doc = h.engine.inspect_image(name)
    except NotFound:
        raise NotFound(f"no such image: {name}: No such image: {familiar(with_tag(name))}") from None
    h.send_json(200, doc)


def image_tag(h: Exchange, name: str) -> None:
    if not h.q("repo"):
        raise BadRequest("repository name must have at least one component")
    h.engine.tag_image(name, f"{h.q('repo')}:{h.q('tag') or 'latest'}")
    h.send_empty(201)


# -- containers ---------------------------------------------------------------------------------
def container_list(h: Exchange) -> None:
    f = filters(h)  # dockerd's rules (listfilters), on the summaries dockerd would list
    docs = [doc for doc in (_summary(h, c) for c in h.engine.list_containers(all=True)) if doc]
    items = listfilters.containers(docs, h.flag("all"), f, h.engine)
    limit = h.number("limit") or -1
    h.send_json(200, items[:limit] if limit > 0 else items)


def _summary(h: Exchange, doc: dict) -> dict | None:
    """A /containers/json row as dockerd writes it: Command with each argument holding a space in single quotes,
    Mounts, and the NetworkSettings.Networks of its inspect document (`docker ps --format {{.Networks}}`);
    None when the container went away meanwhile (an --rm one that ended)."""
    try:
        full = h.engine.inspect_container(doc["Id"])
    except NotFound:
        return None
    args = [f"'{a}'" if " " in a else a for a in full.get("Args") or []]
    doc = {**doc, "Command": " ".join([full.get("Path") or "", *args]) if args else full.get("Path") or "",
           "Mounts": doc.get("Mounts") or [],
           "NetworkSettings": {"Networks": (full.get("NetworkSettings") or {}).get("Networks") or {}}}
    return _joining(h, doc)


def container_inspect(h: Exchange, ref: str) -> None:
    doc = _joining(h, h.engine.inspect_container(ref))
    doc["HostConfig"].setdefault("LogConfig", {"Type": "json-file", "Config": {}})  # docker-py's run() reads it
    c = h.engine.containers.get(doc["Id"])
    for key, value in (c.echoed_host if c is not None else HOST_ECHOED).items():
        doc["HostConfig"].setdefault(key, value)
    doc.setdefault("Mounts", [])
    h.send_json(200, doc)


def _joining(h: Exchange, doc: dict) -> dict:
    """A container created to join a container:NAME that did not exist shows that network mode (see container_create)."""
    mode = h.server.joins.get(doc.get("Id", ""))
    if mode:
        doc["HostConfig"] = {**(doc.get("HostConfig") or {}), "NetworkMode": mode}
    return doc


def _port(key: str) -> str:
    return key if "/" in key else key + "/tcp"


def create_args(body: dict, name: str | None) -> dict:
    """POST /containers/create's body (its shape checked: api_shapes) as SimEngine.create_container's keyword
    arguments. What the engine does not implement has been refused before (api_fields).

    The engine takes no entrypoint: one given is put before the command (right for images without one)."""
    if not body.get("Image"):
        raise BadRequest("No image specified")
    host = body.get("HostConfig") or {}
    mode = None if host.get("NetworkMode") in (None, "", "default") else host["NetworkMode"]
    endpoints = (body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {}
    endpoint = next(iter(endpoints.values()), None) or {}  # one at most (api_fields), for the network mode
    bindings = {_port(k): [(b.get("HostIp") or "", _host_port(b.get("HostPort"))) for b in (v or []) if b is not None]
                for k, v in (host.get("PortBindings") or {}).items()}
    exposed = [_port(k) for k in body.get("ExposedPorts") or {}]
    return {"image": body["Image"], "command": strings(body.get("Entrypoint")) + strings(body.get("Cmd")) or None,
            "name": name or None, "env": strings(body.get("Env")), "bindings": bindings,
            "exposed": exposed + [p for p in bindings if p not in exposed], "network": mode,
            "aliases": strings(endpoint.get("Aliases")),
            "labels": {k: v or "" for k, v in (body.get("Labels") or {}).items()},
            "tty": bool(body.get("Tty")), "stdin_open": bool(body.get("OpenStdin")),
            "auto_remove": bool(host.get("AutoRemove")), "hostname": body.get("Hostname") or None,
            "working_dir": body.get("WorkingDir") or None, "stop_timeout": body.get("StopTimeout"),
            "user": body.get("User") or None, "restart_policy": host.get("RestartPolicy") or None}


def _host_port(value: str | None) -> str:
    """A binding's host port; "0" asks, as "" does, for any free one."""
    return "" if value in (None, "", "0") else str(int(value))


ATTACH_FIELDS = ("AttachStdin", "AttachStdout", "AttachStderr", "StdinOnce")
# HostConfig fields whose only accepted values change nothing here (api_fields), shown by inspect as dockerd 20.10
# shows them: the value given, else its default on this machine (cgroup v1: no private cgroup namespace by default)
HOST_ECHOED = {"Runtime": "runc", "Isolation": "", "CgroupnsMode": "host"}


def container_create(h: Exchange) -> None:
    """POST /containers/create: the body's shape, dockerd's checks, the embedded engine's refusals, then the create.

    dockerd looks up the NAME of `--network container:NAME` when the container starts: a missing one is a 404 of
    the start, not of the create (which the CLI would take for a missing image, and pull). Such a container is made
    without a network and refused at its start."""
    body = shapes.body(h.json_body(), shapes.CONTAINER_CREATE)
    if h.q("platform") not in ("", "linux", "linux/amd64"):
        raise fields.refuse(f"--platform {h.q('platform')}", "platform", "its images are linux/amd64")
    fields.docker_checks(body)
    fields.container_refusals(body)
    args = create_args(body, h.q("name"))
    mode = args["network"] or ""
    joins = None
    if mode.startswith("container:"):
        check_joiner(args["hostname"], args["bindings"], args["exposed"])
        try:
            h.engine.inspect_container(mode.split(":", 1)[1])
        except NotFound:
            args, joins = {**args, "network": "none"}, mode
    warnings = ["Published ports are discarded when using host network mode"] if mode == "host" and \
        args["bindings"] else []
    cid = h.engine.create_container(**args)
    # as dockerd keeps them in Config: how the creator attaches (compose's `run -T` reads AttachStdout back), and
    # StdinOnce, which ends the container's stdin with its first attached client's (stdinfeed)
    h.engine.containers[cid].config.update({k: bool(body.get(k)) for k in ATTACH_FIELDS})
    host = body.get("HostConfig") or {}
    h.engine.containers[cid].echoed_host = {k: host.get(k) or default for k, default in HOST_ECHOED.items()}
    if joins:
        h.server.joins[cid] = joins
    for gone in [k for k in h.server.joins if k not in h.engine.containers]:
        del h.server.joins[gone]
    h.send_json(201, {"Id": cid, "Warnings": warnings})


def container_start(h: Exchange, ref: str) -> None:
    """POST /containers/ID/start. A body was how API 1.23 and older set the HostConfig: dockerd refuses one."""
    if h.json_body():
        raise BadRequest("starting container with non-empty request body was deprecated since API v1.22 and removed "
                         "in v1.24")
    if h.q("checkpoint"):
        raise fields.refuse("docker start --checkpoint", "checkpoint")
    c = container(h, ref)
    if c.running:
        h.send_empty(304)
        return
    try:
        joins = h.server.joins.get(c.id)
        if joins:
            owner = joins.split(":", 1)[1]
            h.engine.inspect_container(owner)  # still missing: 404 No such container: NAME, as dockerd answers
            raise Conflict(f"the embedded engine cannot join {owner}'s network namespace: {owner} was created after "
                           "this container; remove this container and run it again")
        h.engine.start(c.id)
    except EngineError:
        if c.auto_remove:  # as dockerd does: else `docker run --rm` waits for a removal that never comes
            h.engine.remove_container(c.id, force=True)
        raise
    h.send_empty(204)


def _stop_timeout(h: Exchange, c) -> int | None:
    """The seconds a stop waits before SIGKILL: ?t=, else the container's --stop-timeout, else the engine's 10."""
    t = h.number("t")
    return t if t is not None else c.config.get("StopTimeout")


def container_stop(h: Exchange, ref: str) -> None:
    c = container(h, ref)
    if not (c.running or c.restarting):  # a restarting container is stopped: its restarts end
        h.send_empty(304)
        return
    h.engine.stop(ref, _stop_timeout(h, c))
    h.send_empty(204)


def container_restart(h: Exchange, ref: str) -> None:
    h.engine.restart(ref, _stop_timeout(h, container(h, ref)))
    h.send_empty(204)


def container_remove(h: Exchange, ref: str) -> None:
    h.engine.remove_container(ref, force=h.flag("force"))
    h.send_empty(204)


def container_resize(h: Exchange, ref: str) -> None:
    container(h, ref)
    h.send_empty(200)
