"""BusyBox nc (the curl image's applet, the small one: no -z, no -v): a pipe between stdin/stdout and HOST PORT.

`nc HOST PORT` connects over the network model, sends its stdin, closes its sending half when stdin
ends (so a server waiting for the client's end sees it), and prints what the other end sends until
that end closes. `-w SEC` bounds the connect. Errors as BusyBox 1.37 words them: "bad
address 'NAME'", "can't connect to remote host (IP): Connection refused", "timed out"; exit 1.
Listening (-l) is not imitated: labkit says so in its own words.
"""

from __future__ import annotations

import socket

from labkit.engines.sim.tools.base import Ctx
from labkit.engines.sim.tools.net import BUSYBOX, _connect, _resolve_all, _route

USAGE = (f"{BUSYBOX}\n\nUsage: nc [-iN] [-wN] [-l] [-p PORT] [-f FILE|IPADDR PORT] [-e PROG]\n\n"
         "Open a pipe to IP:PORT or FILE\n\n"
         "\t-l\tListen mode, for inbound connects\n"
         "\t\t(use -ll with -e for persistent server)\n"
         "\t-p PORT\tLocal port\n"
         "\t-w SEC\tConnect timeout\n"
         "\t-i SEC\tDelay interval for lines sent\n"
         "\t-f FILE\tUse file (ala /dev/ttyS0) instead of network\n"
         "\t-e PROG\tRun PROG after connect\n")

_KERNEL_CONNECT_TIMEOUT = 127.0  # Linux gives up a SYN nobody answers after about this long


def nc(ctx: Ctx, argv: list[str]) -> int:
    """busybox nc [-w SEC] HOST PORT, with stdin sent and the reply printed."""
    wait = None
    rest: list[str] = []
    args = argv[1:]
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("-") and len(a) > 1:
            ch = a[1]
            if ch in "wip":
                val = a[2:] or (args[i + 1] if i + 1 < len(args) else None)
                if val is None:
                    ctx.error(f"nc: option requires an argument -- '{ch}'\n{USAGE}")
                    return 1
                if not a[2:]:
                    i += 1
                if ch == "w":
                    wait = float(val)
                i += 1
                continue
            if ch in "lef":
                ctx.error(f"labkit: the embedded engine's nc does not imitate -{ch}; "
                          "run a Python server in the container instead\n")
                return 1
            ctx.error(f"nc: invalid option -- '{ch}'\n{USAGE}")
            return 1
        rest.append(a)
        i += 1
    if len(rest) != 2:
        ctx.error(USAGE)
        return 1
    host, port_s = rest
    ips = _resolve_all(ctx, host)
    if not ips:
        ctx.error(f"nc: bad address '{host}'\n")
        return 1
    try:
        port = int(port_s)
    except ValueError:
        ctx.error(f"nc: bad port '{port_s}'\n")
        return 1
    ip = ips[0]
    kind, real = _route(ctx, ip)
    if kind == "timeout":
        ctx.stop.wait(wait if wait is not None else _KERNEL_CONNECT_TIMEOUT)
        ctx.error("nc: timed out\n" if wait is not None else f"nc: can't connect to remote host ({ip}): "
                  "Connection timed out\n")
        return 1
    if kind in ("unreachable", "refused"):
        reason = "Network is unreachable" if kind == "unreachable" else "Connection refused"
        ctx.error(f"nc: can't connect to remote host ({ip}): {reason}\n")
        return 1
    view = ctx.engine.container_view(ctx.cid) if ctx.cid else None
    source = view["loopback"] if view and real == view["loopback"] else (view["iface"] if view else "127.0.0.1")
    sock = _connect(real, port, source, view, ctx.engine)
    if sock is None:
        ctx.error(f"nc: can't connect to remote host ({ip}): Connection refused\n")
        return 1
    return _pipe(ctx, sock)


def _pipe(ctx: Ctx, sock: socket.socket) -> int:
    """Send stdin and half-close (as BusyBox does at stdin's end), then print what arrives until the other end closes."""
    data = b""
    try:
        if ctx.stdin:
            sock.sendall(ctx.stdin.encode())
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(0.2)
        while not ctx.stop.is_set():
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    finally:
        sock.close()
    ctx.write(data.decode(errors="replace"))
    return 0
