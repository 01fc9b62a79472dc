"""curl: its options and its output, worded as curl 8.14.1 words them; the exchange itself is curl_http's.

Options: -s -S -v -i -I -f -L (each also long, and short ones combined: -sSL, -XPOST, -sSo FILE),
-X METHOD, -H 'Name: value', -d/--data/--data-raw/--data-binary DATA (@FILE reads a file), -A,
-m/--max-time, --connect-timeout, -o FILE, -w FORMAT (curl_writeout), --resolve and --connect-to
(curl_routes), -V. Without -s the progress meter
(curl_meter) goes to stderr, as under `docker run`/`docker exec` without -t, where stdout is a pipe.
"""

from __future__ import annotations

import os
import time

from labkit.engines.sim.tools import curl_routes
from labkit.engines.sim.tools.base import Ctx
from labkit.engines.sim.tools.curl_http import (
    CURL_VERSION,
    CurlError,
    Reply,
    exchange,
    open_connection,
    parse_url,
    tls_handshake,
)
from labkit.engines.sim.tools.curl_meter import Meter
from labkit.engines.sim.tools.curl_writeout import Transfer, effective_url, render
from labkit.engines.sim.tools.files import host_path

__all__ = ["CURL_VERSION", "curl"]

_FLAGS = {"s": "silent", "S": "show_error", "i": "include", "I": "head", "f": "fail", "v": "verbose", "L": "location"}
_LONG_FLAGS = {"silent": "silent", "show-error": "show_error", "include": "include", "head": "head", "fail": "fail",
               "verbose": "verbose", "location": "location"}
_VALUED = {"m": "max_time", "o": "output", "w": "write_out", "X": "request", "H": "header", "d": "data",
           "A": "user_agent"}
_LONG_VALUED = {"max-time": "max_time", "connect-timeout": "connect_timeout", "output": "output",
                "write-out": "write_out", "request": "request", "header": "header", "data": "data",
                "data-raw": "data", "data-binary": "data", "data-ascii": "data", "user-agent": "user_agent",
                "resolve": "resolve", "connect-to": "connect_to"}
_TRY = "curl: try 'curl --help' or 'curl --manual' for more information\n"


def curl(ctx: Ctx, argv: list[str]) -> int:
    """curl [options] URL..., over the network model (see the module docstring for the options)."""
    opts: dict = {"silent": False, "show_error": False, "include": False, "head": False, "fail": False,
                  "verbose": False, "location": False, "max_time": None, "connect_timeout": None, "output": None,
                  "write_out": None, "request": None, "header": [], "data": [], "user_agent": None,
                  "resolve": [], "connect_to": []}
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
            if name in _LONG_VALUED:
                if i + 1 >= len(args):
                    ctx.error(f"curl: option {a}: requires parameter\n{_TRY}")
                    return 2
                _set(opts, _LONG_VALUED[name], args[i + 1])
                i += 2
                continue
            if name not in _LONG_FLAGS:
                ctx.error(f"curl: option {a}: is unknown\n{_TRY}")
                return 2
            opts[_LONG_FLAGS[name]] = True
            i += 1
            continue
        if a.startswith("-") and len(a) > 1:
            letters = a[1:]
            for j, ch in enumerate(letters):
                if ch in _VALUED:
                    value = letters[j + 1:]
                    if not value:
                        if i + 1 >= len(args):
                            ctx.error(f"curl: option -{ch}: requires parameter\n{_TRY}")
                            return 2
                        i += 1
                        value = args[i]
                    _set(opts, _VALUED[ch], value)
                    break
                if ch not in _FLAGS:
                    ctx.error(f"curl: option -{ch}: is unknown\n{_TRY}")
                    return 2
                opts[_FLAGS[ch]] = True
            i += 1
            continue
        urls.append(a)
        i += 1
    if not urls:
        ctx.error(f"curl: no URL specified\n{_TRY}")
        return 2
    if opts["head"] and opts["data"]:
        if not opts["silent"]:
            ctx.error("Warning: You can only select one HTTP request method! You asked for both POST \n"
                      "Warning: (-d, --data) and HEAD (-I, --head).\n")
        return 2
    for entry in opts["resolve"]:
        if curl_routes.resolve_entry(entry) is None:
            ctx.error(f"curl: (49) Couldn't parse CURLOPT_RESOLVE entry '{entry}'\n")
            return 49
    code = 0
    for url in urls:
        code = _curl_one(ctx, url, opts) or code
    return code


def _set(opts: dict, key: str, value: str) -> None:
    if key in ("header", "data", "resolve", "connect_to"):
        opts[key].append(value)
    else:
        opts[key] = value


def _curl_one(ctx: Ctx, url: str, opts: dict) -> int:
    """Fetch one URL (following redirects with -L) and print it as opts say; curl's exit code."""
    start = time.monotonic()
    info: dict = {"remote_ip": "", "port": "", "size_download": 0}
    transfer = Transfer(connection=info)
    verbose = ctx.error if opts["verbose"] else (lambda text: None)
    shown = not opts["silent"] and not (ctx.tty and opts["output"] in (None, "-"))
    meter = Meter(ctx.error, shown)
    meter.start()
    body = _body(ctx, opts)
    method = opts["request"] or ("HEAD" if opts["head"] else "POST" if body is not None else "GET")
    limit = min(x for x in (_num(opts["max_time"]), _num(opts["connect_timeout"]), 300.0) if x is not None)
    deadline = start + (_num(opts["max_time"]) or 300.0)
    text = ""
    try:
        for hop in range(51):
            transfer.url, transfer.method = effective_url(url), method
            transfer.scheme = transfer.url.partition(":")[0]
            reply = _fetch(ctx, url, opts, method, body, limit, deadline, start, verbose, info, meter.zero_row)
            transfer.reply = reply
            status = reply.status
            location = reply.header("Location")
            redirect = bool(location) and status in (301, 302, 303, 307, 308)
            follow = opts["location"] and redirect and hop < 50
            transfer.redirect_url = _join(url, location) if redirect and not follow else ""
            if opts["fail"] and status >= 400:
                meter.zero_row()
                meter.done()
                verbose(f"* The requested URL returned error: {status}\n* closing connection #0\n")
                transfer.exitcode, transfer.errormsg = 22, f"The requested URL returned error: {status}"
                if not opts["silent"] or opts["show_error"]:
                    ctx.error(f"curl: (22) {transfer.errormsg}\n")
                _write_out(ctx, opts, transfer)
                return 22
            if opts["include"] or opts["head"]:
                text += "\r\n".join(reply.head) + "\r\n\r\n"
            if follow:
                meter.row(_length(reply), 0, len(body or b""), 0)
                meter.done()
                meter = Meter(ctx.error, shown, header=False)
                url = _join(url, location)
                transfer.redirects += 1
                if status in (301, 302, 303) and method == "POST" and not opts["request"]:
                    method, body = "GET", None
                continue
            if not opts["head"]:
                text += reply.body.decode(errors="replace")
            info["size_download"] = len(reply.body)
            meter.row(_length(reply), len(reply.body), len(body or b""), len(body or b""))
            meter.done()
            verbose("* shutting down connection #0\n")
            break
    except CurlError as err:
        if err.code != 6:
            meter.zero_row()
            meter.done()
        verbose(err.verbose)
        if not opts["silent"] or opts["show_error"]:
            ctx.error(f"curl: ({err.code}) {err.message}\n")
        transfer.exitcode, transfer.errormsg = err.code, err.message
        _write_out(ctx, opts, transfer)
        return err.code
    if opts["output"] and opts["output"] != "-":
        _save(ctx, opts["output"], text)
    else:
        ctx.write(text)
    _write_out(ctx, opts, transfer)
    return 0


def _fetch(ctx: Ctx, url: str, opts: dict, method: str, body: bytes | None, limit: float, deadline: float,
           start: float, verbose, info: dict, tick) -> Reply:
    """One request and its reply, with curl's -v lines."""
    t = parse_url(url)
    to = curl_routes.connect_target(t, opts["connect_to"])  # where the connection goes; the request names t
    addresses = curl_routes.resolved(to.host, to.port, opts["resolve"])
    sock = open_connection(ctx, to, limit, start, verbose, info, tick, addresses)
    try:
        if t.scheme == "https":
            tls_handshake(sock, t.host, deadline)
        verbose("* using HTTP/1.x\n")
        request = _request(t, method, opts, body)
        verbose("".join(f"> {line}\r\n" for line in request.split("\r\n")[:-1]))
        if body:
            verbose(f"}} [{len(body)} bytes data]\n* upload completely sent off: {len(body)} bytes\n")
        else:
            verbose("* Request completely sent off\n")
        reply = exchange(sock, request.encode() + (body or b""), method == "HEAD", deadline, start)
    finally:
        sock.close()
    if reply.head[0].startswith("HTTP/1.0"):
        verbose("* HTTP 1.0, assume close after body\n")
    verbose("".join(f"< {line}\r\n" for line in reply.head) + "< \r\n")
    if reply.body:
        verbose(f"{{ [{len(reply.body)} bytes data]\n")
    return reply


def _request(t, method: str, opts: dict, body: bytes | None) -> str:
    """The request line and headers curl sends (-H replaces or removes a default, adds the others)."""
    host = t.host if t.port == (443 if t.scheme == "https" else 80) else f"{t.host}:{t.port}"
    defaults = [("Host", host), ("User-Agent", opts["user_agent"] or f"curl/{CURL_VERSION}"), ("Accept", "*/*")]
    custom: list[tuple[str, str]] = []
    for h in opts["header"]:
        name, _, value = h.partition(":")
        custom.append((name.strip(), value.strip()))
    names = {n.lower() for n, _ in custom}
    lines = [f"{method} {t.path} HTTP/1.1"]
    lines += [f"{n}: {v}" for n, v in defaults if n.lower() not in names]
    lines += [f"{n}: {v}" for n, v in custom if v]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
        if "content-type" not in names:
            lines.append("Content-Type: application/x-www-form-urlencoded")
    if [f"{n}: {v}" for n, v in custom if n.lower() == "host" and v]:
        lines = [lines[0]] + [ln for ln in lines[1:] if not ln.startswith("Host:")]
        lines.insert(1, next(f"Host: {v}" for n, v in custom if n.lower() == "host"))
    return "\r\n".join(lines) + "\r\n\r\n"


def _body(ctx: Ctx, opts: dict) -> bytes | None:
    """The -d data joined with & (@FILE read from the container), or None without -d."""
    if not opts["data"]:
        return None
    parts = []
    for d in opts["data"]:
        if d.startswith("@"):
            text = ctx.engine.read_file(ctx.cid, d[1:]) if ctx.cid else None
            parts.append((text or "").replace("\r", "").replace("\n", ""))
        else:
            parts.append(d)
    return "&".join(parts).encode()


def _length(reply: Reply) -> int | None:
    """The Content-Length the server announced, if any."""
    try:
        return int(reply.header("Content-Length") or "")
    except ValueError:
        return None


def _join(url: str, location: str) -> str:
    """Where a redirect points, from the URL it came from."""
    if "://" in location:
        return location
    scheme, _, rest = url.partition("://")
    if not rest:
        scheme, rest = "http", url
    hostport = rest.split("/", 1)[0]
    if location.startswith("/"):
        return f"{scheme}://{hostport}{location}"
    base = rest.rsplit("/", 1)[0] if "/" in rest else hostport
    return f"{scheme}://{base}/{location}"


def _save(ctx: Ctx, path: str, text: str) -> None:
    """Write -o FILE inside the container's files (/dev/null discards)."""
    if path == "/dev/null":
        return
    target = host_path(ctx, path)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def _write_out(ctx: Ctx, opts: dict, transfer: Transfer) -> None:
    """Print -w FORMAT, when given, for the transfer (curl_writeout)."""
    if opts["write_out"] is not None:
        ctx.write(render(opts["write_out"], transfer, ctx.error))


def _num(value) -> float | None:
    """An option's number (None when absent or not a number)."""
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
