"""curl: its options, and one HTTP/1.1 exchange over a real socket, worded as curl 8.14.1 words it.

The client resolves and routes with the net helpers (the container's DNS and Docker's rules), then
either fails as curl would (exit 6, 7, 28, 52, 56 with curl's message and -v lines) or sends a real
request to the real address the target listens on, and prints the reply with -i, -I, -o, -w, -f, -v.
"""

from __future__ import annotations

import ipaddress
import os
import random
import re
import time

from labkit.engines.sim.netmodel import HOST_LOOPBACK
from labkit.engines.sim.tools.base import Ctx
from labkit.engines.sim.tools.net import _connect, _resolve_all, _route, _source_ip

CURL_VERSION = "8.14.1"


class _CurlError(Exception):
    """A failed transfer: curl's exit code, its message and its -v lines."""

    def __init__(self, code: int, message: str, verbose: str = ""):
        self.code = code
        self.message = message
        self.verbose = verbose


def curl(ctx: Ctx, argv: list[str]) -> int:
    """curl URL with -s -S -v -i -I -m --connect-timeout -o -w -f, over the network model."""
    opts = {"silent": False, "show_error": False, "include": False, "head": False, "max_time": None,
            "connect_timeout": None, "output": None, "write_out": None, "fail": False, "verbose": False}
    urls: list[str] = []
    args = argv[1:]
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("--version", "-V"):
            ctx.write(f"curl {CURL_VERSION} (x86_64-pc-linux-gnu) libcurl/{CURL_VERSION}\n")
            return 0
        if a.startswith("--"):
            name = a[2:]
            if name in ("max-time", "connect-timeout", "output", "write-out"):
                val = args[i + 1] if i + 1 < len(args) else None
                if val is None:
                    ctx.error(f"curl: option {a}: requires parameter\n")
                    return 2
                opts[name.replace("-", "_")] = val
                i += 2
                continue
            flag = {"silent": "silent", "show-error": "show_error", "include": "include", "head": "head",
                    "fail": "fail", "verbose": "verbose"}.get(name)
            if flag is None:
                ctx.error(f"curl: option {a}: is unknown\n")
                return 2
            opts[flag] = True
            i += 1
            continue
        if a.startswith("-") and len(a) > 1:
            letters = a[1:]
            j = 0
            while j < len(letters):
                ch = letters[j]
                if ch in "mow":
                    val = letters[j + 1:] or (args[i + 1] if i + 1 < len(args) else None)
                    if not letters[j + 1:]:
                        i += 1
                    key = {"m": "max_time", "o": "output", "w": "write_out"}[ch]
                    opts[key] = val
                    break
                key = {"s": "silent", "S": "show_error", "i": "include", "I": "head", "f": "fail", "v": "verbose"}.get(ch)
                if key is None:
                    ctx.error(f"curl: option -{ch}: is unknown\n")
                    return 2
                opts[key] = True
                j += 1
            i += 1
            continue
        urls.append(a)
        i += 1
    if not urls:
        ctx.error("curl: no URL specified\n")
        return 2
    code = 0
    for url in urls:
        code = _curl_one(ctx, url, opts) or code
    return code


def _curl_one(ctx: Ctx, url: str, opts: dict) -> int:
    """Fetch one URL and print it as opts say; curl's exit code."""
    start = time.monotonic()
    info: dict = {"remote_ip": ""}
    verbose = ctx.error if opts["verbose"] else (lambda text: None)
    try:
        status, headers, body = _http(ctx, url, opts, start, verbose, info)
    except _CurlError as err:
        verbose(err.verbose)
        if not opts["silent"] or opts["show_error"]:
            ctx.error(f"curl: ({err.code}) {err.message}\n")
        if opts["write_out"] is not None:
            ctx.write(_write_out(opts["write_out"], 0, info))
        return err.code
    text = (headers if opts["include"] or opts["head"] else "") + ("" if opts["head"] else body)
    if opts["fail"] and status >= 400:
        if not opts["silent"] or opts["show_error"]:
            ctx.error(f"curl: (22) The requested URL returned error: {status}\n")
        return 22
    if opts["output"] and opts["output"] != "-":
        if opts["output"] != "/dev/null":
            with open(os.path.join(ctx.cwd, opts["output"]), "w", encoding="utf-8") as f:
                f.write(text)
    else:
        ctx.write(text)
    if opts["write_out"] is not None:
        ctx.write(_write_out(opts["write_out"], status, info))
    return 0


def _write_out(fmt: str, status: int, info: dict) -> str:
    """-w FORMAT with its variables filled in."""
    out = fmt.replace("%{http_code}", f"{status:03d}").replace("%{response_code}", f"{status:03d}")
    out = out.replace("%{remote_ip}", info.get("remote_ip", "")).replace("%{remote_port}", str(info.get("port", "")))
    out = out.replace("%{size_download}", str(info.get("size_download", 0)))
    return out.replace("\\n", "\n")


_URL = re.compile(r"^(?:(?P<scheme>[a-z]+)://)?(?P<host>\[[^\]]+\]|[^/:?#]+)(?::(?P<port>\d+))?(?P<path>[^#]*)")


def _http(ctx: Ctx, url: str, opts: dict, start: float, verbose, info: dict) -> tuple[int, str, str]:
    """One HTTP exchange as curl 8.14.1 makes it; verbose() receives curl's -v lines."""
    m = _URL.match(url)
    if not m:
        raise _CurlError(3, "URL rejected: Malformed input to a URL function")
    scheme = m.group("scheme") or "http"
    if scheme != "http":
        raise _CurlError(1, f'Protocol "{scheme}" not supported')
    host = m.group("host").strip("[]")
    port = int(m.group("port") or 80)
    path = m.group("path") or "/"
    info["port"] = port
    literal = True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        literal = False
    ips = _resolve_all(ctx, host)
    if not ips:
        raise _CurlError(6, f"Could not resolve host: {host}",
                         f"* Could not resolve host: {host}\n* shutting down connection #0\n")
    if not literal:
        verbose(f"* Host {host}:{port} was resolved.\n* IPv6: (none)\n* IPv4: {', '.join(ips)}\n")
    ip = ips[0]
    info["remote_ip"] = ip
    verbose(f"*   Trying {ip}:{port}...\n")
    limit = min(x for x in (_num(opts["max_time"]), _num(opts["connect_timeout"]), 300.0) if x is not None)
    kind, real = _route(ctx, ip)

    def elapsed() -> int:
        return int((time.monotonic() - start) * 1000)

    def refused(reason: str) -> _CurlError:
        ms = elapsed()
        src = _source_ip(ctx, ip)
        lines = (f"* connect to {ip} port {port} from {src} port {random.randint(32768, 60999)} failed: {reason}\n"
                 f"* Failed to connect to {host} port {port} after {ms} ms: Could not connect to server\n"
                 "* closing connection #0\n")
        return _CurlError(7, f"Failed to connect to {host} port {port} after {ms} ms: Could not connect to server", lines)

    if kind == "timeout":
        ctx.stop.wait(limit)
        ms = elapsed()
        raise _CurlError(28, f"Connection timed out after {ms} milliseconds",
                         f"* Connection timed out after {ms} milliseconds\n* closing connection #0\n")
    if kind == "unreachable":
        raise refused("Network is unreachable")
    if kind == "refused":
        raise refused("Connection refused")
    view = ctx.engine.container_view(ctx.cid) if ctx.cid else None
    source = HOST_LOOPBACK if view is None else (view["loopback"] if real == view["loopback"] else view["iface"])
    sock = _connect(real, port, source, view)
    if sock is None:
        raise refused("Connection refused")
    verbose(f"* Connected to {host} ({ip}) port {port}\n* using HTTP/1.x\n")
    host_header = host if port == 80 else f"{host}:{port}"
    method = "HEAD" if opts["head"] else "GET"
    request = (f"{method} {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: curl/{CURL_VERSION}\r\n"
               "Accept: */*\r\n\r\n")
    verbose("".join(f"> {line}\n" for line in request.split("\r\n")[:-1]))
    verbose("* Request completely sent off\n")
    sock.settimeout(max(0.001, (_num(opts["max_time"]) or 300.0) - (time.monotonic() - start)))
    data = b""
    try:
        sock.sendall(request.encode())
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            if _complete(data, method):
                break
    except ConnectionResetError:
        raise _CurlError(56, "Recv failure: Connection reset by peer",
                         "* Recv failure: Connection reset by peer\n* closing connection #0\n") from None
    except TimeoutError:
        ms = elapsed()
        raise _CurlError(28, f"Operation timed out after {ms} milliseconds with {len(data)} bytes received") from None
    finally:
        sock.close()
    if not data:
        raise _CurlError(52, "Empty reply from server", "* Empty reply from server\n* shutting down connection #0\n")
    head, _, body = data.partition(b"\r\n\r\n")
    head_lines = head.decode(errors="replace").split("\r\n")
    try:
        status = int(head_lines[0].split()[1])
    except (IndexError, ValueError):
        raise _CurlError(1, "Received HTTP/0.9 when not allowed") from None
    if head_lines[0].startswith("HTTP/1.0"):
        verbose("* HTTP 1.0, assume close after body\n")
    verbose("".join(f"< {line}\n" for line in head_lines) + "< \n")
    if body and method != "HEAD":
        verbose(f"{{ [{len(body)} bytes data]\n")
    verbose("* shutting down connection #0\n")
    info["size_download"] = len(body) if method != "HEAD" else 0
    return status, "\r\n".join(head_lines) + "\r\n\r\n", body.decode(errors="replace")


def _complete(data: bytes, method: str) -> bool:
    """Whether data holds the whole reply (headers, and Content-Length bytes of body)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    if method == "HEAD":
        return True
    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    return bool(m) and len(body) >= int(m.group(1))


def _num(value) -> float | None:
    """An option's number (None when absent or not a number)."""
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
