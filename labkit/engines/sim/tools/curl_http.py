"""One HTTP/1.1 exchange as curl 8.14.1 makes it, over the network model: resolve, route, connect, TLS, reply.

The target resolves and routes with the net helpers (the container's DNS and Docker's rules). A
connection that cannot be made fails as curl words it (exit 6, 7, 28); a real one is a socket bound
to the container's own real address. `https://` really starts TLS (a real ClientHello from Python's
ssl module): a plain HTTP server answers it with text, which is curl's (35) "wrong version number".
A reply that does not start with an HTTP status line is refused at once, as curl refuses HTTP/0.9.
"""

from __future__ import annotations

import ipaddress
import random
import re
import socket
import ssl
import time
from dataclasses import dataclass

from labkit.engines.sim.netmodel import HOST_LOOPBACK
from labkit.engines.sim.tools.base import Ctx
from labkit.engines.sim.tools.net import _connect, _resolve_all, _route, _source_ip

CURL_VERSION = "8.14.1"


class CurlError(Exception):
    """A failed transfer: curl's exit code, its message and its -v lines."""

    def __init__(self, code: int, message: str, verbose: str = ""):
        self.code = code
        self.message = message
        self.verbose = verbose


@dataclass
class Target:
    """A URL cut into what curl uses."""

    scheme: str
    host: str
    port: int
    path: str


@dataclass
class Reply:
    """What the server answered: status, the header lines (status line first) and the body bytes."""

    status: int
    head: list[str]
    body: bytes

    def header(self, name: str) -> str | None:
        """The value of a response header (None when absent)."""
        for line in self.head[1:]:
            key, sep, value = line.partition(":")
            if sep and key.strip().lower() == name.lower():
                return value.strip()
        return None


_URL = re.compile(r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?(?P<host>\[[^\]]+\]|[^/:?#]+)(?::(?P<port>\d+))?"
                  r"(?P<path>[^#]*)")


def parse_url(url: str) -> Target:
    """The scheme, host, port and path of a URL as curl reads it (http when no scheme)."""
    m = _URL.match(url)
    if not m:
        raise CurlError(3, "URL rejected: Malformed input to a URL function")
    scheme = (m.group("scheme") or "http").lower()
    if scheme not in ("http", "https"):
        raise CurlError(1, f'Protocol "{scheme}" not supported')
    path = m.group("path") or "/"
    if not path.startswith("/"):
        path = "/" + path
    return Target(scheme, m.group("host").strip("[]"), int(m.group("port") or (443 if scheme == "https" else 80)),
                  path)


def open_connection(ctx: Ctx, t: Target, limit: float, start: float, verbose, info: dict,
                    tick=lambda: None, addresses: list[str] | None = None) -> socket.socket:
    """A connected socket to the target, or the CurlError curl gives (resolve, refused, timeout).

    `addresses` answers the target's name instead of DNS (curl's --resolve). While a connection waits for an
    answer that never comes, tick() runs once a second (the meter's row)."""
    literal = True
    try:
        ipaddress.ip_address(t.host)
    except ValueError:
        literal = False
    ips = addresses or _resolve_all(ctx, t.host)
    if not ips:
        raise CurlError(6, f"Could not resolve host: {t.host}",
                        f"* Could not resolve host: {t.host}\n* shutting down connection #0\n")
    if not literal:
        verbose(f"* Host {t.host}:{t.port} was resolved.\n* IPv6: (none)\n* IPv4: {', '.join(ips)}\n")
    ip = ips[0]
    info["remote_ip"] = ip
    info["port"] = t.port
    verbose(f"*   Trying {ip}:{t.port}...\n")
    kind, real = _route(ctx, ip)

    def elapsed() -> int:
        return int((time.monotonic() - start) * 1000)

    def refused(reason: str) -> CurlError:
        ms = elapsed()
        src = _source_ip(ctx, ip)
        lines = (f"* connect to {ip} port {t.port} from {src} port {random.randint(32768, 60999)} failed: {reason}\n"
                 f"* Failed to connect to {t.host} port {t.port} after {ms} ms: Could not connect to server\n"
                 "* closing connection #0\n")
        return CurlError(7, f"Failed to connect to {t.host} port {t.port} after {ms} ms: Could not connect to server",
                         lines)

    if kind == "timeout":
        second = 1
        while second < limit and not ctx.stop.wait(max(0.0, start + second - time.monotonic())):
            tick()
            second += 1
        ctx.stop.wait(max(0.0, limit - (time.monotonic() - start)))
        ms = elapsed()
        raise CurlError(28, f"Connection timed out after {ms} milliseconds",
                        f"* Connection timed out after {ms} milliseconds\n* closing connection #0\n")
    if kind == "unreachable":
        raise refused("Cannot assign requested address" if ":" in ip else "Network is unreachable")
    if kind == "refused":
        raise refused("Connection refused")
    view = ctx.engine.container_view(ctx.cid) if ctx.cid else None
    source = HOST_LOOPBACK if view is None else (view["loopback"] if real == view["loopback"] else view["iface"])
    sock = _connect(real, t.port, source, view, ctx.engine)
    if sock is None:
        raise refused("Connection refused")
    verbose(f"* Connected to {t.host} ({ip}) port {t.port}\n")
    return sock


def tls_handshake(sock: socket.socket, host: str, deadline: float) -> None:
    """Start TLS as a client; the CurlError curl gives when the peer does not speak it (a plain HTTP server)."""
    ctx = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    hello = b""
    for _ in range(64):  # OpenSSL 3.5's hello (as in the image) carries a large key share: it always holds a newline
        tls = ctx.wrap_bio(incoming, outgoing, server_hostname=host)
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        hello = outgoing.read()
        if b"\n" in hello:
            break
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    sock.settimeout(max(0.001, deadline - time.monotonic()))
    try:
        sock.sendall(hello)
        while True:
            data = sock.recv(65536)
            if not data:
                raise CurlError(35, "TLS connect error: error:0A000126:SSL routines::unexpected eof while reading")
            incoming.write(data)
            try:
                tls.do_handshake()
                return
            except ssl.SSLWantReadError:
                continue
            except ssl.SSLCertVerificationError as err:
                raise CurlError(60, f"SSL certificate problem: {err.verify_message}") from None
            except ssl.SSLError as err:
                code = "0A00010B" if err.reason == "WRONG_VERSION_NUMBER" else "0A000000"
                raise CurlError(35, f"TLS connect error: error:{code}:SSL routines::{_reason(err)}") from None
    except ConnectionResetError:
        raise CurlError(35, "Recv failure: Connection reset by peer") from None
    except TimeoutError:
        raise CurlError(28, "SSL connection timeout") from None


def _reason(err: ssl.SSLError) -> str:
    """OpenSSL's reason text, as curl prints it (lower case words)."""
    return (err.reason or "unknown").lower().replace("_", " ")


def exchange(sock: socket.socket, request: bytes, head_only: bool, deadline: float, start: float) -> Reply:
    """Send the request, read the reply (to Content-Length, or to the close); the CurlError for a bad one."""
    sock.settimeout(max(0.001, deadline - time.monotonic()))
    data = b""
    try:
        sock.sendall(request)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            if not _could_be_http(data):
                raise CurlError(1, "Received HTTP/0.9 when not allowed")
            if _complete(data, head_only):
                break
    except ConnectionResetError:
        raise CurlError(56, "Recv failure: Connection reset by peer",
                        "* Recv failure: Connection reset by peer\n* closing connection #0\n") from None
    except TimeoutError:
        ms = int((time.monotonic() - start) * 1000)
        raise CurlError(28, f"Operation timed out after {ms} milliseconds with {len(data)} bytes received") from None
    if not data:
        raise CurlError(52, "Empty reply from server", "* Empty reply from server\n* shutting down connection #0\n")
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        raise CurlError(1, "Received HTTP/0.9 when not allowed") from None
    return Reply(status, lines, b"" if head_only else body)


def _could_be_http(data: bytes) -> bool:
    """Whether the reply so far can still start with a status line ("HTTP/")."""
    n = min(len(data), 5)
    return data[:n] == b"HTTP/"[:n]


def _complete(data: bytes, head_only: bool) -> bool:
    """Whether data holds the whole reply (headers, and Content-Length bytes of body)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    if head_only:
        return True
    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    return bool(m) and len(body) >= int(m.group(1))
