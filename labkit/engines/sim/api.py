"""The embedded engine as a Docker daemon: the Docker Engine API over HTTP/1.1 on a Unix socket.

`serve(engine, path)` answers the Docker SDK (`docker.APIClient(base_url="unix://PATH")`) and the docker
CLI (`DOCKER_HOST=unix://PATH docker ps`) from a SimEngine. The wire protocol, as those clients speak it:

- Versioned paths. Every route is served with or without a version prefix: `/v1.41/containers/json` is
  `/containers/json`. A client learns the version first: the CLI from `HEAD /_ping` (header Api-Version),
  docker-py from `GET /version` (ApiVersion, MinAPIVersion); then it prefixes every path with it.
- JSON. Request bodies are JSON objects, flags are query parameters (`?all=1`), and filters are JSON in a
  query parameter: `{"label": ["k=v"]}` from docker-py, `{"label": {"k=v": true}}` from the CLI. Answers
  are JSON with a Content-Length; the connection stays open for the next request (keep-alive).
- Errors. A refusal is its status (400, 404, 409, …) and `{"message": "…"}`: docker-py raises APIError
  (NotFound for 404) with that message, the CLI prints `Error response from daemon: <message>`. An
  unknown path (or method) is 404 `{"message":"page not found"}`, as dockerd answers.
- Streams. An answer of unknown length (build output: one JSON object per line; a followed log; wait,
  whose headers go out at once so that the client knows the wait is in place) is sent in HTTP chunks.
- Stream framing. A container's output (logs, attach, exec) is multiplexed: each frame is an 8-byte
  header (stream 1 stdout / 2 stderr, three zero bytes, the length as a big-endian uint32) and the
  bytes. A container with a TTY has one stream and sends bare bytes.
- The hijack. Attach and exec start take the connection over. The client sends `Connection: Upgrade`,
  `Upgrade: tcp`; the server answers `101 UPGRADED` (Content-Type application/vnd.docker.raw-stream)
  and the connection is then a bare byte pipe: frames until the program ends, then the server closes
  it. The CLI's foreground `docker run` attaches (and waits) before it starts the container; after an
  exec's stream ends it asks `GET /exec/ID/json` for the exit code.

Routes are a table (ROUTES, at the end) of small functions taking the request handler; the ones that
stream or hijack (build, wait, logs, attach, exec) are in api_streams with the byte-level helpers.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import re
import signal
import socket
import socketserver
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, unquote, urlsplit

from labkit.engines.sim import api_streams as streams
from labkit.engines.sim.api_streams import RAW, Chunked, client_gone, container, jline, read_body, strings, wait_read
from labkit.engines.sim.model import API_VERSION, ENGINE_VERSION
from labkit.errors import BadRequest, Conflict, EngineError, NotFound

log = logging.getLogger(__name__)
MIN_API_VERSION = "1.12"
_VERSIONED = re.compile(r"/v(\d+)\.(\d+)(/.*)")


def _version(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


class ApiServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """A threaded HTTP/1.1 server on a Unix socket (never TCP) answering the Engine API from one engine."""

    daemon_threads = True
    block_on_close = False  # an open log follow or attach must not hold up close()
    request_queue_size = socket.SOMAXCONN  # as dockerd listens: parallel CLIs must not find the backlog (5) full

    def __init__(self, engine, path: str, on_request: Callable[[], None] | None = None) -> None:
        self.engine, self.socket_path, self.on_request = engine, path, on_request
        self.execs: dict[str, streams.Exec] = {}
        self.ipam_options: dict[str, dict | None] = {}  # network ID -> IPAM.Options as its creator sent them
        self.joins: dict[str, str] = {}  # container ID -> the container:NAME it joins at start (NAME missing at create)
        self.closing = threading.Event()
        self.busy, self._lock = 0, threading.Lock()  # requests being answered: a followed log counts until it ends
        self.connections: set[socket.socket] = set()
        self._thread: threading.Thread | None = None
        _clear_stale(path)
        super().__init__(path, Handler)
        os.chmod(path, 0o600)  # one user's daemon

    def start(self) -> ApiServer:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True, name="labkit-sim-api")
        self._thread.start()
        return self

    def track(self, delta: int) -> None:
        """A request begins (+1) or ends (-1): count it in busy, and tell the daemon it is not idle."""
        with self._lock:
            self.busy += delta
        if self.on_request is not None:
            try:
                self.on_request()
            except Exception:  # noqa: BLE001 - the daemon's bookkeeping must not fail a request
                log.exception("on_request")

    def handle_error(self, request, client_address) -> None:
        """Logged, never printed: a client that went away mid-request (reset, broken pipe) is no error at all."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            log.debug("a client went away", exc_info=True)
        else:
            log.exception("a connection failed")

    def close(self) -> None:
        """Stop serving: no new connections, open ones (and their streams) end, the socket file goes."""
        self.closing.set()
        if self._thread is not None:
            super().shutdown()  # ends serve_forever
            self._thread = None
        self.server_close()
        for conn in list(self.connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            os.unlink(self.socket_path)

    shutdown = close  # socketserver's name for it does all of it too


def serve(engine, path: str, on_request: Callable[[], None] | None = None) -> ApiServer:
    """Serve engine's Engine API on the Unix socket at path, in a background thread; close() stops it."""
    return ApiServer(engine, path, on_request).start()


def _clear_stale(path: str) -> None:
    """Remove a socket file no daemon answers on; refuse to take over one that answers."""
    if not os.path.exists(path):
        return
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except OSError:
        os.unlink(path)
    else:
        raise OSError(f"a daemon already answers at {path}")
    finally:
        probe.close()


class Handler(BaseHTTPRequestHandler):
    """One connection: requests in turn (keep-alive) until the client closes or a hijack takes it over."""

    protocol_version = "HTTP/1.1"
    server: ApiServer

    def setup(self) -> None:
        super().setup()
        self.server.connections.add(self.connection)

    def finish(self) -> None:
        self.server.connections.discard(self.connection)
        super().finish()

    def do_GET(self) -> None:
        self.server.track(+1)
        try:
            self.dispatch()
        finally:
            self.server.track(-1)

    do_POST = do_DELETE = do_HEAD = do_PUT = do_GET

    def dispatch(self) -> None:
        self.sent = False
        url = urlsplit(self.path)
        self.query = parse_qs(url.query, keep_blank_values=True)
        try:
            self.body = read_body(self.rfile, self.headers)  # read whole, so the next request starts clean
            path = self.unversioned(url.path)
            for method, pattern, route in ROUTES:
                match = pattern.fullmatch(path)
                if match and method == self.command:
                    route(self, *(unquote(g) for g in match.groups()))
                    return
            raise NotFound("page not found")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except EngineError as err:
            self.fail(err.status, err.message)
        except Exception as err:  # noqa: BLE001 - one bad request must not take the daemon down
            log.exception("%s %s", self.command, self.path)
            self.fail(500, f"embedded engine: {type(err).__name__}: {err}".splitlines()[0])

    @staticmethod
    def unversioned(path: str) -> str:
        match = _VERSIONED.fullmatch(path)
        if not match:
            return path
        asked, number = f"{match[1]}.{match[2]}", (int(match[1]), int(match[2]))
        if number > _version(API_VERSION):
            raise BadRequest(f"client version {asked} is too new. Maximum supported API version is {API_VERSION}")
        if number < _version(MIN_API_VERSION):
            raise BadRequest(f"client version {asked} is too old. Minimum supported API version is "
                             f"{MIN_API_VERSION}, please upgrade your client to a newer version")
        return match[3]

    # -- the request ------------------------------------------------------------------------
    @property
    def engine(self):
        return self.server.engine

    def q(self, name: str, default: str = "") -> str:
        return self.query.get(name, [default])[-1]

    def flag(self, name: str) -> bool:
        return self.q(name).lower() in ("1", "true", "yes")

    def number(self, name: str) -> int | None:
        try:
            return int(self.q(name)) if self.q(name) else None
        except ValueError:
            raise BadRequest(f"invalid value for {name}: {self.q(name)!r}") from None

    def json_body(self) -> dict:
        body = self._json(self.body, "JSON", {})
        if not isinstance(body, dict):
            raise BadRequest("invalid JSON: the body must be an object")
        return body

    def json_param(self, name: str, default):
        return self._json(self.q(name), name, default)

    @staticmethod
    def _json(text: str | bytes, what: str, default):
        try:
            return json.loads(text) if text.strip() else default
        except ValueError as err:
            raise BadRequest(f"invalid {what}: {err}") from None

    # -- the answer -------------------------------------------------------------------------
    def version_string(self) -> str:
        return f"labkit-sim/{ENGINE_VERSION} (linux)"

    def address_string(self) -> str:  # a Unix socket's peer has no address
        return "unix"

    def log_message(self, format: str, *args) -> None:
        log.debug(format, *args)

    def headers_out(self, status: int) -> None:
        self.send_response(status)
        for key, value in (("Api-Version", API_VERSION), ("Docker-Experimental", "false"), ("Ostype", "linux")):
            self.send_header(key, value)
        self.sent = True

    def send_json(self, status: int, obj) -> None:
        data = jline(obj)
        self.headers_out(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_empty(self, status: int = 204) -> None:
        self.headers_out(status)
        if status not in (204, 304):
            self.send_header("Content-Length", "0")
        self.end_headers()

    def fail(self, status: int, message: str) -> None:
        if self.sent:  # a stream has begun: the client sees it cut short
            self.close_connection = True
        else:
            self.send_json(status, {"message": message})

    def chunked(self, content_type: str | None) -> Chunked:
        self.headers_out(200)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        return Chunked(self.wfile)

    def hijack(self):
        """Take the connection over (101 UPGRADED if the client asked to upgrade); a function sending raw bytes."""
        self.close_connection = True
        if "upgrade" in (self.headers.get("Connection") or "").lower():
            self.send_response_only(101, "UPGRADED")
            self.send_header("Connection", "Upgrade")
            self.send_header("Upgrade", "tcp")
        else:
            self.send_response_only(200)
        self.send_header("Content-Type", RAW)
        self.end_headers()
        self.sent = True
        wait_read(self.connection)

        def send(data: bytes) -> None:
            if data:
                self.wfile.write(data)
                self.wfile.flush()

        return send

    def gone(self) -> bool:
        return self.server.closing.is_set() or client_gone(self.connection)


# -- system -------------------------------------------------------------------------------------
def ping(h: Handler) -> None:
    h.headers_out(200)
    for key, value in (("Builder-Version", "1"), ("Cache-Control", "no-cache, no-store, must-revalidate"),
                       ("Pragma", "no-cache"), ("Content-Type", "text/plain; charset=utf-8"),
                       ("Content-Length", "0" if h.command == "HEAD" else "2")):
        h.send_header(key, value)
    h.end_headers()
    if h.command != "HEAD":
        h.wfile.write(b"OK")


def version(h: Handler) -> None:
    doc = {**h.engine.version(), "ApiVersion": API_VERSION, "MinAPIVersion": MIN_API_VERSION, "Os": "linux",
           "Arch": "amd64", "KernelVersion": platform.release()}
    h.send_json(200, doc)


def info(h: Handler) -> None:
    containers = h.engine.list_containers(all=True)
    running = sum(c["State"] == "running" for c in containers)
    host = getattr(h.engine, "host_address", None)
    h.send_json(200, {
        "ID": "labkit-sim", "Name": "labkit-sim", "Containers": len(containers), "ContainersRunning": running,
        "ContainersPaused": 0, "ContainersStopped": len(containers) - running, "Images": len(h.engine.list_images()),
        "Driver": "labkit-sim", "ServerVersion": ENGINE_VERSION, "OperatingSystem": "labkit embedded engine",
        "OSType": "linux", "Architecture": platform.machine() or "x86_64", "KernelVersion": platform.release(),
        "NCPU": os.cpu_count() or 1, "MemTotal": 0, "DockerRootDir": h.engine.dir, "LoggingDriver": "json-file",
        "Plugins": {"Volume": [], "Network": ["bridge", "null"], "Log": ["json-file"]},
        "Swarm": {"LocalNodeState": "inactive"}, "SecurityOptions": [], "Warnings": None,
        "Labels": [f"labkit.host_address={host}"] if host else []})


# -- filters ------------------------------------------------------------------------------------
def filters(h: Handler) -> dict[str, list[str]]:
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


def _has_label(labels: dict | None, want: str) -> bool:
    key, eq, value = want.partition("=")
    return key in (labels or {}) and (not eq or labels[key] == value)


# -- networks -----------------------------------------------------------------------------------
def _network(h: Handler, doc: dict) -> dict:
    """A network document with IPAM.Options as dockerd keeps them: what the creator sent ({} from the CLI, which
    sends an IPAM block; null from a client that sent none, and for the predefined networks)."""
    if doc.get("Id") in h.server.ipam_options:
        doc["IPAM"] = {**(doc.get("IPAM") or {}), "Options": h.server.ipam_options[doc["Id"]]}
    return doc


def network_list(h: Handler) -> None:
    f = filters(h)  # the engine filters by label; name, id and driver here
    h.send_json(200, [_network(h, n) for n in keep(h.engine.list_networks(f or None), f, {
        "name": lambda n, v: v in n["Name"], "id": lambda n, v: n["Id"].startswith(v),
        "driver": lambda n, v: n["Driver"] == v})])


def network_inspect(h: Handler, net: str) -> None:
    h.send_json(200, _network(h, h.engine.inspect_network(net)))


def network_create(h: Handler) -> None:
    body = h.json_body()
    if not body.get("Name"):
        raise BadRequest("network name is required")
    ipam = body.get("IPAM") if isinstance(body.get("IPAM"), dict) else None
    subnets = [c["Subnet"] for c in (ipam or {}).get("Config") or [] if c.get("Subnet")]
    nid = h.engine.create_network(body["Name"], body.get("Driver") or "bridge", bool(body.get("Internal")), subnets,
                                  dict(body.get("Labels") or {}))
    if ipam is not None:
        h.server.ipam_options[nid] = ipam.get("Options")
    h.send_json(201, {"Id": nid, "Warning": ""})


def network_connect(h: Handler, net: str) -> None:
    body = h.json_body()
    h.engine.connect_network(net, body.get("Container") or "", strings((body.get("EndpointConfig") or {}).get("Aliases")))
    h.send_empty(200)


def network_disconnect(h: Handler, net: str) -> None:
    body = h.json_body()
    h.engine.disconnect_network(net, body.get("Container") or "", bool(body.get("Force")))
    h.send_empty(200)


def network_remove(h: Handler, net: str) -> None:
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


def image_list(h: Handler) -> None:
    """GET /images/json as dockerd answers it: newest first; a reference filter keeps only the tags it matches
    (so `docker images NAME` lists NAME's tags, not every tag of the images NAME is one of)."""
    f = filters(h)
    patterns = f.get("reference") or []
    out = []
    for image in keep(h.engine.list_images(), f, {"label": lambda i, v: _has_label(i.get("Labels"), v)}):
        doc = {"Containers": -1, "ParentId": "", "RepoDigests": None, "SharedSize": -1,
               "VirtualSize": image.get("Size", 0), **image}
        if patterns:
            doc["RepoTags"] = [t for t in image.get("RepoTags") or [] if any(_reference(t, p) for p in patterns)]
            if not doc["RepoTags"]:
                continue
        out.append(doc)
    out.sort(key=lambda i: i.get("Created") or 0, reverse=True)
    h.send_json(200, out)


def image_tag(h: Handler, name: str) -> None:
    if not h.q("repo"):
        raise BadRequest("repository name must have at least one component")
    h.engine.tag_image(name, f"{h.q('repo')}:{h.q('tag') or 'latest'}")
    h.send_empty(201)


# -- containers ---------------------------------------------------------------------------------
def container_list(h: Handler) -> None:
    f = filters(h)  # the engine filters by label and name; id and status here
    items = keep(h.engine.list_containers(all=h.flag("all"), filters=f or None), f,
                 {"id": lambda c, v: c["Id"].startswith(v), "status": lambda c, v: c["State"] == v})
    limit = h.number("limit") or -1
    h.send_json(200, [doc for doc in (_summary(h, c) for c in (items[:limit] if limit > 0 else items)) if doc])


def _summary(h: Handler, doc: dict) -> dict | None:
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


def container_inspect(h: Handler, ref: str) -> None:
    doc = _joining(h, h.engine.inspect_container(ref))
    doc["HostConfig"].setdefault("LogConfig", {"Type": "json-file", "Config": {}})  # docker-py's run() reads it
    doc.setdefault("Mounts", [])
    h.send_json(200, doc)


def _joining(h: Handler, doc: dict) -> dict:
    """A container created to join a container:NAME that did not exist shows that network mode (see container_create)."""
    mode = h.server.joins.get(doc.get("Id", ""))
    if mode:
        doc["HostConfig"] = {**(doc.get("HostConfig") or {}), "NetworkMode": mode}
    return doc


def _port(key: str) -> str:
    return key if "/" in key else key + "/tcp"


def create_args(body: dict, name: str | None) -> dict:
    """POST /containers/create's body as SimEngine.create_container's keyword arguments.

    The engine takes no entrypoint: one given is put before the command (right for images without one)."""
    if not body.get("Image"):
        raise BadRequest("No image specified")
    host = body.get("HostConfig") or {}
    mode = None if host.get("NetworkMode") in (None, "", "default") else host["NetworkMode"]
    endpoint = ((body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {}).get(mode or "") or {}
    bindings = {_port(k): [(b.get("HostIp") or "", str(b.get("HostPort") or "")) for b in v or []]
                for k, v in (host.get("PortBindings") or {}).items()}
    exposed = [_port(k) for k in body.get("ExposedPorts") or {}]
    return {"image": body["Image"], "command": strings(body.get("Entrypoint")) + strings(body.get("Cmd")) or None,
            "name": name or None, "env": strings(body.get("Env")), "bindings": bindings,
            "exposed": exposed + [p for p in bindings if p not in exposed], "network": mode,
            "aliases": strings(endpoint.get("Aliases")), "labels": dict(body.get("Labels") or {}),
            "tty": bool(body.get("Tty")), "stdin_open": bool(body.get("OpenStdin")),
            "auto_remove": bool(host.get("AutoRemove")), "hostname": body.get("Hostname") or None}


def container_create(h: Handler) -> None:
    """POST /containers/create. dockerd looks up the NAME of `--network container:NAME` when the container starts:
    a missing one is a 404 of the start, not of the create (which the CLI would take for a missing image, and pull).
    Such a container is made without a network and refused at its start."""
    args = create_args(h.json_body(), h.q("name"))
    mode = args["network"] or ""
    joins = None
    if mode.startswith("container:"):
        try:
            h.engine.inspect_container(mode.split(":", 1)[1])
        except NotFound:
            args, joins = {**args, "network": "none"}, mode
    cid = h.engine.create_container(**args)
    if joins:
        h.server.joins[cid] = joins
    for gone in [k for k in h.server.joins if k not in h.engine.containers]:
        del h.server.joins[gone]
    h.send_json(201, {"Id": cid, "Warnings": []})


def container_start(h: Handler, ref: str) -> None:
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


def container_stop(h: Handler, ref: str) -> None:
    if not container(h, ref).running:
        h.send_empty(304)
        return
    h.engine.stop(ref, h.number("t"))
    h.send_empty(204)


def container_restart(h: Handler, ref: str) -> None:
    h.engine.restart(ref, h.number("t"))
    h.send_empty(204)


def container_kill(h: Handler, ref: str) -> None:
    """SIGKILL (the default) ends the container at once (137); another signal goes to its real programs (python3),
    which the engine's built-in tools ignore, as a PID 1 without a handler does."""
    c, sig = container(h, ref), _signal(h.q("signal") or "KILL")
    if not c.running:
        raise Conflict(f"Cannot kill container: {ref}: Container {c.id} is not running")
    if sig == signal.SIGKILL:
        h.engine.stop(c.id, 0)
    else:
        for proc in [p for p in c.procs if p.poll() is None]:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, sig)
    h.send_empty(204)


def _signal(name: str) -> signal.Signals:
    try:
        return signal.Signals(int(name)) if name.isdigit() else signal.Signals["SIG" + name.upper().removeprefix("SIG")]
    except (KeyError, ValueError):
        raise BadRequest(f"Invalid signal: {name}") from None


def container_remove(h: Handler, ref: str) -> None:
    h.engine.remove_container(ref, force=h.flag("force"))
    h.send_empty(204)


def container_resize(h: Handler, ref: str) -> None:
    container(h, ref)
    h.send_empty(200)


_ID = "([^/]+)"
ROUTES = [(method, re.compile(pattern), route) for method, pattern, route in [
    ("GET", "/_ping", ping), ("HEAD", "/_ping", ping), ("GET", "/version", version), ("GET", "/info", info),
    # networks
    ("GET", "/networks", network_list), ("POST", "/networks/create", network_create),
    ("GET", f"/networks/{_ID}", network_inspect),
    ("DELETE", f"/networks/{_ID}", network_remove), ("POST", f"/networks/{_ID}/connect", network_connect),
    ("POST", f"/networks/{_ID}/disconnect", network_disconnect),
    # images: a name has slashes and a colon (curlimages/curl:8.14.1), so the suffix routes
    ("GET", "/images/json", image_list), ("GET", "/images/(.+)/json", lambda h, n: h.send_json(200, h.engine.inspect_image(n))),
    ("POST", "/images/(.+)/tag", image_tag), ("POST", "/images/create", streams.image_create), ("POST", "/build", streams.build),
    # containers
    ("GET", "/containers/json", container_list), ("POST", "/containers/create", container_create),
    ("GET", f"/containers/{_ID}/json", container_inspect), ("POST", f"/containers/{_ID}/start", container_start),
    ("POST", f"/containers/{_ID}/stop", container_stop), ("POST", f"/containers/{_ID}/restart", container_restart),
    ("POST", f"/containers/{_ID}/kill", container_kill), ("DELETE", f"/containers/{_ID}", container_remove),
    ("POST", f"/containers/{_ID}/resize", container_resize),
    ("POST", f"/containers/{_ID}/wait", streams.container_wait), ("GET", f"/containers/{_ID}/logs", streams.container_logs),
    ("POST", f"/containers/{_ID}/attach", streams.container_attach),
    # exec
    ("POST", f"/containers/{_ID}/exec", streams.exec_create), ("POST", f"/exec/{_ID}/start", streams.exec_start),
    ("GET", f"/exec/{_ID}/json", streams.exec_inspect), ("POST", f"/exec/{_ID}/resize", streams.exec_resize),
]]
