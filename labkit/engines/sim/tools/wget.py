"""BusyBox wget (the curl image's applet): fetch a URL over the network model, worded as BusyBox 1.37 words it.

Options: -q, -O FILE (- for stdout), -S, --spider, -T SEC, --header STR, --post-data STR, -U AGENT,
and combined short flags (-qO-). Without -q it reports on stderr: "Connecting to HOST (IP:PORT)", where
it writes, and one progress bar when done (stderr is no terminal under docker run/exec). Errors:
"bad address", "can't connect to remote host (IP): …", "server returned error: …", "download timed
out", "error getting response"; all exit 1. A 30x is followed quietly.
"""

from __future__ import annotations

import os
import time

from labkit.engines.sim.tools.base import Ctx
from labkit.engines.sim.tools.files import host_path
from labkit.engines.sim.tools.net import BUSYBOX, _connect, _resolve_all, _route
from labkit.netrules import is_address

_USAGE = (f"{BUSYBOX}\n\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n"
          "\t[--post-data STR | --post-file FILE] [-Y on/off]\n"
          "\t[--no-check-certificate] [-P DIR] [-U AGENT] [-T SEC] URL...\n\n"
          "Retrieve files via HTTP or FTP\n\n"
          "\t--spider\tOnly check URL existence: $? is 0 if exists\n"
          "\t--header STR\tAdd STR (of form 'header: value') to headers\n"
          "\t--post-data STR\tSend STR using POST method\n"
          "\t--post-file FILE\tSend FILE using POST method\n"
          "\t--no-check-certificate\tDon't validate the server's certificate\n"
          "\t-c\t\tContinue retrieval of aborted transfer\n"
          "\t-q\t\tQuiet\n"
          "\t-P DIR\t\tSave to DIR (default .)\n"
          "\t-S    \t\tShow server response\n"
          "\t-T SEC\t\tNetwork read timeout is SEC seconds\n"
          "\t-O FILE\t\tSave to FILE ('-' for stdout)\n"
          "\t-o LOGFILE\tLog messages to FILE\n"
          "\t-U STR\t\tUse STR for User-Agent header\n"
          "\t-Y on/off\tUse proxy\n")


class _Fail(Exception):
    """wget's error line (without the "wget: " prefix)."""


def wget(ctx: Ctx, argv: list[str]) -> int:
    """busybox wget [-qS] [-O FILE] [--spider] [-T SEC] [--header STR] [--post-data STR] URL."""
    o = {"q": False, "S": False, "O": None, "spider": False, "T": 900.0, "headers": [], "post": None, "U": "Wget"}
    urls = []
    args = argv[1:]
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("--") and len(a) > 2:
            name, eq, val = a[2:].partition("=")
            if name == "spider":
                o["spider"] = True
            elif name in ("header", "post-data", "output-document", "timeout", "user-agent"):
                if not eq:
                    i += 1
                    val = args[i] if i < len(args) else ""
                key = {"header": "headers", "post-data": "post", "output-document": "O", "timeout": "T",
                       "user-agent": "U"}[name]
                if key == "headers":
                    o["headers"].append(val)
                else:
                    o[key] = float(val) if key == "T" else val
            elif name not in ("quiet", "no-check-certificate"):
                ctx.error(f"wget: unrecognized option '{a}'\n{_USAGE}")
                return 1
            else:
                o["q"] = o["q"] or name == "quiet"
            i += 1
            continue
        if a.startswith("-") and len(a) > 1:
            letters = a[1:]
            for j, ch in enumerate(letters):
                if ch in "qScY":
                    o[ch] = True
                    continue
                if ch in "OTUPo":
                    val = letters[j + 1:]
                    if not val:
                        i += 1
                        val = args[i] if i < len(args) else ""
                    o[ch] = float(val) if ch == "T" else val
                    break
                ctx.error(f"wget: invalid option -- '{ch}'\n{_USAGE}")
                return 1
            i += 1
            continue
        urls.append(a)
        i += 1
    if not urls:
        ctx.error(_USAGE)
        return 1
    try:
        for url in urls:
            _get(ctx, url, o)
    except _Fail as err:
        ctx.error(f"wget: {err}\n")
        return 1
    return 0


def _get(ctx: Ctx, url: str, o: dict) -> None:
    say = (lambda text: None) if o["q"] else ctx.error
    host_port, path = _split(url)
    first = True
    method = "POST" if o["post"] is not None else "GET"
    for _ in range(20):
        head, body = _exchange(ctx, host_port, path, method, o, say if first else (lambda text: None))
        first = False
        status_line = head[0]
        try:
            status = int(status_line.split()[1])
        except (IndexError, ValueError):
            raise _Fail("error getting response") from None
        if o["S"]:
            ctx.error("".join(f"  {line}\n" for line in head) + "  \n")
        location = next((ln.split(":", 1)[1].strip() for ln in head[1:] if ln.lower().startswith("location:")), None)
        if status in (301, 302, 303, 307, 308) and location:
            if "://" in location:
                host_port, path = _split(location)
            else:
                path = location if location.startswith("/") else path.rsplit("/", 1)[0] + "/" + location
            method = "GET"
            continue
        if status >= 300:
            raise _Fail(f"server returned error: {status_line}")
        break
    if o["spider"]:
        say("remote file exists\n")
        return
    target = o["O"] if o["O"] is not None else (path.rsplit("/", 1)[-1].split("?")[0] or "index.html")
    if target == "-":
        say("writing to stdout\n")
        ctx.write(body.decode(errors="replace"))
        say(_bar("-", len(body)))
        say("written to stdout\n")
        return
    real = host_path(ctx, target)
    if o["O"] is None and os.path.exists(real):
        raise _Fail(f"can't open '{target}': File exists")
    say(f"saving to '{target}'\n")
    try:
        os.makedirs(os.path.dirname(real), exist_ok=True)
        with open(real, "wb") as f:
            f.write(body)
    except OSError:
        raise _Fail(f"can't open '{target}': Permission denied") from None
    say(_bar(os.path.basename(target), len(body)))
    say(f"'{target}' saved\n")


def _split(url: str) -> tuple[str, str]:
    """(host[:port] as written, path) of an http:// URL."""
    rest = url.split("://", 1)[1] if "://" in url else url
    host_port, slash, path = rest.partition("/")
    return host_port, "/" + path if slash else "/"


def _exchange(ctx: Ctx, host_port: str, path: str, method: str, o: dict, say) -> tuple[list[str], bytes]:
    """Connect, send the request, read the reply: its header lines and body."""
    host, _, port_s = host_port.partition(":")
    port = int(port_s or 80)
    ips = _resolve_all(ctx, host) if ctx.cid is not None or is_address(host) else []
    if not ips:
        raise _Fail(f"bad address '{host_port}'")
    ip = ips[0]
    say(f"Connecting to {host_port} ({ip}:{port})\n")
    kind, real = _route(ctx, ip)
    if kind == "timeout":
        if ctx.stop.wait(min(o["T"], 127.0)) or o["T"] <= 127.0:
            raise _Fail("download timed out")
        raise _Fail(f"can't connect to remote host ({ip}): Connection timed out")
    if kind in ("unreachable", "refused"):
        reason = "Network is unreachable" if kind == "unreachable" else "Connection refused"
        raise _Fail(f"can't connect to remote host ({ip}): {reason}")
    view = ctx.engine.container_view(ctx.cid) if ctx.cid else None
    source = view["loopback"] if view and real == view["loopback"] else (view["iface"] if view else "127.0.0.1")
    sock = _connect(real, port, source, view, ctx.engine)
    if sock is None:
        raise _Fail(f"can't connect to remote host ({ip}): Connection refused")
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host_port}", f"User-Agent: {o['U']}", "Connection: close"]
    lines += o["headers"]
    body = None
    if o["post"] is not None:
        body = o["post"].encode()
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    data = b""
    sock.settimeout(o["T"])
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b""))
        deadline = time.monotonic() + o["T"]
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except TimeoutError:
        raise _Fail("download timed out") from None
    except ConnectionResetError:
        raise _Fail("error getting response: Connection reset by peer") from None
    finally:
        sock.close()
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep or not head.startswith(b"HTTP/"):
        raise _Fail("error getting response")
    return head.decode(errors="replace").split("\r\n"), rest


def _bar(name: str, size: int) -> str:
    """BusyBox's progress bar when stderr is no terminal: printed once, at the end."""
    n, unit = size, 0
    while n >= 100000:
        n >>= 10
        unit += 1
    return f"{name:<20.20} 100% |{'*' * 32}| {n:5d}{' kMGTPEZY'[unit]} 0:00:00 ETA\n"
