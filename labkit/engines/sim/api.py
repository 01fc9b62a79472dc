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
import socket
import socketserver
import sys
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, unquote, urlsplit

from labkit.engines.sim import api_copy as copy
from labkit.engines.sim import api_lifecycle as lifecycle
from labkit.engines.sim import api_streams as streams
from labkit.engines.sim import api_swarm as swarm
from labkit.engines.sim import hostprocs
from labkit.engines.sim.api_routes import (
    container_create,
    container_inspect,
    container_list,
    container_remove,
    container_resize,
    container_restart,
    container_start,
    container_stop,
    image_inspect,
    image_list,
    image_tag,
    network_connect,
    network_create,
    network_disconnect,
    network_inspect,
    network_list,
    network_remove,
)
from labkit.engines.sim.api_streams import RAW, BodyRefused, Chunked, client_gone, jline, read_body, wait_read
from labkit.engines.sim.model import API_VERSION, ENGINE_VERSION
from labkit.errors import BadRequest, EngineError, NotFound

log = logging.getLogger(__name__)
MIN_API_VERSION = "1.12"
JSON_LIMIT = 16 * 2 ** 20  # a JSON body; larger is refused before it is read (413)
UPLOAD_LIMIT = 512 * 2 ** 20  # an upload: a build context, an image to import
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
            try:
                route, args, refused = *self.route(url.path), None
            except EngineError as err:  # a version the daemon does not serve: said once the body is read
                route, args, refused = None, (), err
            # read whole, so the next request starts clean; an upload (a build context) may be larger than JSON
            try:
                self.body = read_body(self.rfile, self.headers, UPLOAD_LIMIT if route in UPLOADS else JSON_LIMIT)
            except BodyRefused:
                if route is not None or refused is not None:
                    raise
                self.close_connection = True  # an unknown route's large upload (images/load): still "page not found"
                raise NotFound("page not found") from None
            if refused is not None:
                raise refused
            if route is None:
                raise NotFound("page not found")
            route(self, *args)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except BodyRefused as err:
            self.close_connection = True
            self.fail(err.status, err.message)
        except EngineError as err:
            self.fail(err.status, err.message)
        except Exception as err:  # noqa: BLE001 - one bad request must not take the daemon down
            log.exception("%s %s", self.command, self.path)
            self.fail(500, f"embedded engine: {type(err).__name__}: {err}".splitlines()[0])

    def route(self, path: str) -> tuple[Callable | None, tuple[str, ...]]:
        """The route serving this method and path, and the path's captured parts; (None, ()) for none. A version
        prefix the daemon does not serve is a 400 (unversioned)."""
        path = self.unversioned(path)
        for method, pattern, route in ROUTES:
            match = pattern.fullmatch(path)
            if match and method == self.command:
                return route, tuple(unquote(g) for g in match.groups())
        return None, ()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """An HTTP-level error (a request line or header the server cannot parse, an unknown method) as dockerd's
        API answers: JSON `{"message": …}`, never an HTML page; an unknown method is an unknown route (404). The
        connection closes: what follows a request that could not be read cannot be trusted."""
        if code == HTTPStatus.NOT_IMPLEMENTED:
            code, message = HTTPStatus.NOT_FOUND, "page not found"
        self.request_version = "HTTP/1.1"  # a request line that could not be read leaves HTTP/0.9: no headers
        self.close_connection = True
        data = jline({"message": message or HTTPStatus(code).phrase})
        self.send_response(code)
        for key, value in (("Api-Version", API_VERSION), ("Content-Type", "application/json"),
                           ("Content-Length", str(len(data))), ("Connection", "close")):
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

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
        if body is None:  # null: Go decodes it to the zero value
            return {}
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
        if self.close_connection:  # the client asked it, or the request could not be read whole (BodyRefused)
            self.send_header("Connection", "close")
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
    paused = sum(c["State"] == "paused" for c in containers)
    host = getattr(h.engine, "host_address", None)
    h.send_json(200, {
        "ID": "labkit-sim", "Name": "labkit-sim", "Containers": len(containers), "ContainersRunning": running,
        "ContainersPaused": paused, "ContainersStopped": len(containers) - running - paused,
        "Images": len(h.engine.list_images()), "Driver": "labkit-sim", "ServerVersion": ENGINE_VERSION,
        "OperatingSystem": "labkit embedded engine",
        "OSType": "linux", "Architecture": platform.machine() or "x86_64", "KernelVersion": platform.release(),
        "NCPU": os.cpu_count() or 1, "MemTotal": _mem_total(), "DockerRootDir": h.engine.dir,
        "LoggingDriver": "labkit-sim (a file per stream)",
        "Plugins": {"Volume": [], "Network": ["bridge", "null"], "Log": []},
        "Swarm": {"LocalNodeState": "inactive"}, "SecurityOptions": [], "Warnings": None,
        "Labels": [*([f"labkit.host_address={host}"] if host else []),
                   f"labkit.addressing={h.engine.carrier.mode}"]})


def _mem_total() -> int:
    """This machine's memory in bytes (the embedded engine's containers share it)."""
    return hostprocs.memory_total()


_ID = "([^/]+)"
ROUTES = [(method, re.compile(pattern), route) for method, pattern, route in [
    ("GET", "/_ping", ping), ("HEAD", "/_ping", ping), ("GET", "/version", version), ("GET", "/info", info),
    # networks
    ("GET", "/networks", network_list), ("POST", "/networks/create", network_create),
    ("GET", f"/networks/{_ID}", network_inspect),
    ("DELETE", f"/networks/{_ID}", network_remove), ("POST", f"/networks/{_ID}/connect", network_connect),
    ("POST", f"/networks/{_ID}/disconnect", network_disconnect),
    # images: a name has slashes and a colon (curlimages/curl:8.14.1), so the suffix routes
    ("GET", "/images/json", image_list), ("GET", "/images/(.+)/json", image_inspect),
    ("POST", "/images/(.+)/tag", image_tag),
    ("DELETE", "/images/(.+)", lambda h, n: h.send_json(200, h.engine.remove_image(n, h.flag("force")))),
    ("POST", "/images/create", lifecycle.image_create),
    ("POST", "/build", streams.build),
    # containers
    ("GET", "/containers/json", container_list), ("POST", "/containers/create", container_create),
    ("GET", f"/containers/{_ID}/json", container_inspect), ("POST", f"/containers/{_ID}/start", container_start),
    ("POST", f"/containers/{_ID}/stop", container_stop), ("POST", f"/containers/{_ID}/restart", container_restart),
    ("POST", f"/containers/{_ID}/kill", lifecycle.container_kill), ("DELETE", f"/containers/{_ID}", container_remove),
    ("POST", f"/containers/{_ID}/resize", container_resize),
    ("POST", f"/containers/{_ID}/wait", streams.container_wait), ("GET", f"/containers/{_ID}/logs", lifecycle.container_logs),
    ("POST", f"/containers/{_ID}/attach", streams.container_attach),
    ("POST", f"/containers/{_ID}/rename", lifecycle.container_rename), ("GET", f"/containers/{_ID}/top", lifecycle.container_top),
    ("POST", f"/containers/{_ID}/pause", lifecycle.container_pause),
    ("POST", f"/containers/{_ID}/unpause", lifecycle.container_unpause),
    ("POST", "/containers/prune", lifecycle.containers_prune), ("POST", "/networks/prune", lifecycle.networks_prune),
    # exec
    ("POST", f"/containers/{_ID}/exec", streams.exec_create), ("POST", f"/exec/{_ID}/start", streams.exec_start),
    ("GET", f"/exec/{_ID}/json", streams.exec_inspect), ("POST", f"/exec/{_ID}/resize", streams.exec_resize),
    *copy.ROUTES, *swarm.ROUTES,
]]
UPLOADS = {streams.build, lifecycle.image_create, *copy.UPLOADS}
