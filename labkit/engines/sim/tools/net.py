"""Names and routes: getent, nslookup, ping, and the helpers curl shares with them.

Nothing here has its own idea of the network: a name resolves, and an address routes, the way the
topology the engine writes (netmodel.Topology, Docker's rules) says it does from this container. A
route is a verdict: "real" with the real loopback address that reaches the target's namespace, or
"timeout", "unreachable" or "refused". Traffic on a "real" route is real (ping's round trip is a TCP
probe, curl's connection a real socket bound to the container's own real address).
"""

from __future__ import annotations

import ipaddress
import socket
import time

from labkit.engines.sim.carrier import LoopbackUnavailable
from labkit.engines.sim.tools import files
from labkit.engines.sim.tools.base import Ctx
from labkit.netrules import IPV6_LOOPBACK_NAMES, is_address, is_loopback

BUSYBOX = "BusyBox v1.37.0 (Debian 1:1.37.0-6+b9) multi-call binary."


def getent(ctx: Ctx, argv: list[str]) -> int:
    """getent hosts NAME."""
    if len(argv) < 3 or argv[1] not in ("hosts", "ahosts"):
        ctx.error("Unknown database\n" if len(argv) > 1 else "Usage: getent [OPTION...] database [key ...]\n")
        return 1
    code = 0
    for name in argv[2:]:
        line = _hosts_file_line(ctx, name) if argv[1] == "hosts" else None
        if line is not None:  # found in the container's /etc/hosts: the file's own line (canonical name, aliases)
            ctx.write(line)
            continue
        if argv[1] == "hosts" and is_address(name):  # an address: its name from the embedded DNS (a PTR query)
            found = ctx.engine.topology().reverse(ctx.cid, name) if ctx.cid else None
            if found is None:
                code = 2
            else:
                ctx.write(f"{name:<15} {found}\n")
            continue
        ips = _resolve_all(ctx, name)
        if not ips:
            code = 2
            continue
        if argv[1] == "hosts":
            ctx.write(f"{ips[0]:<15} {name}\n")
            continue
        for ip in ips:  # glibc's ahosts: one line per socket type, the name on the first
            ctx.write(f"{ip:<15} STREAM {name}\n{ip:<15} DGRAM  \n{ip:<15} RAW    \n")
    return code


def _hosts_file_line(ctx: Ctx, name: str) -> str | None:
    """What `getent hosts` prints for a name (any case) or address of the container's /etc/hosts, as glibc reads
    it: IPv6 first, so `localhost` is the ::1 line; the container's hostname is its own address's line."""
    key = name.lower()
    if key in IPV6_LOOPBACK_NAMES or key == "::1":
        return "::1             localhost ip6-localhost ip6-loopback\n"
    if key == "127.0.0.1":
        return "127.0.0.1       localhost\n"
    if ctx.cid is None:
        return None
    view = ctx.engine.container_view(ctx.cid)
    own = next(iter(view["networks"].values()), {}).get("ip")
    if own and view["hostname"] and key in (view["hostname"].lower(), own):
        return f"{own:<15} {view['hostname']}\n"
    return None


def nslookup(ctx: Ctx, argv: list[str]) -> int:
    """busybox nslookup NAME [SERVER]."""
    args = [a for a in argv[1:] if not a.startswith("-")]
    qtype = next((a.split("=", 1)[1].lower() for a in argv[1:] if a.startswith("-type=") or a.startswith("-query=")),
                 None)
    if not args:
        ctx.error(f"{BUSYBOX}\n\nUsage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]\n\n"
                  "Query DNS about HOST\n\nQUERY_TYPE: soa,ns,a,aaaa,cname,mx,txt,ptr,srv,any\n")
        return 1
    name = args[0]
    server = args[1] if len(args) > 1 else ctx.engine.nameserver(ctx.cid)
    ctx.write(f"Server:\t\t{server}\nAddress:\t{server}:53\n\n")
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        ip = None
    if ip is not None:  # a PTR query: the container's NAME.NETWORK on the asker's networks
        found = ctx.engine.topology().reverse(ctx.cid, str(ip)) if ctx.cid else None
        if found is None:
            ctx.write(f"** server can't find {ip.reverse_pointer}: NXDOMAIN\n\n")
            return 1
        ctx.write(f"Non-authoritative answer:\n{ip.reverse_pointer}\tname = {found}\n\n")
        return 0
    ips = ctx.engine.topology().dns(ctx.cid, name) if ctx.cid else []
    if not ips:
        once = f"** server can't find {name}: NXDOMAIN\n\n"
        ctx.write(once if qtype in ("a", "aaaa") else once * 2)
        return 1
    if qtype != "aaaa":  # the A answers; the embedded DNS has no AAAA record for a container (empty answer)
        ctx.write("Non-authoritative answer:\n")
        for ip in ips:
            ctx.write(f"Name:\t{name}\nAddress: {ip}\n")
        ctx.write("\n")
    if qtype != "a":
        ctx.write("Non-authoritative answer:\n\n")
    return 0


def ping(ctx: Ctx, argv: list[str]) -> int:
    """busybox ping -c N [-W S] NAME: ICMP modelled as reachability in the topology."""
    count, wait, target = 1, 10.0, None
    args = argv[1:]
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-c", "-W", "-w") and i + 1 < len(args):
            if a == "-c":
                count = int(args[i + 1])
            else:
                wait = float(args[i + 1])
            i += 2
            continue
        target = a
        i += 1
    if target is None:
        ctx.error(_PING_USAGE)
        return 1
    ips = _resolve_all(ctx, target)
    if not ips:
        ctx.error(f"ping: bad address '{target}'\n")
        return 1
    ip = ips[0]
    if not files.account(ctx).root:  # no raw sockets, and this engine grants no ping group
        ctx.write(f"PING {target} ({ip}): 56 data bytes\n")
        ctx.error("ping: permission denied (are you root?)\n")
        return 1
    kind, real = _route(ctx, ip)
    ctx.write(f"PING {target} ({ip}): 56 data bytes\n")
    received = 0
    times = []
    for seq in range(count):
        if kind == "real":
            t = _round_trip_ms(real if ctx.engine.carrier.mode == "addresses" else "127.0.0.1")  # ports mode: no such address
            times.append(t)
            received += 1
            ctx.write(f"64 bytes from {ip}: seq={seq} ttl=64 time={t:.3f} ms\n")
            if seq < count - 1 and ctx.stop.wait(1.0):  # one echo request a second
                break
        else:
            if ctx.stop.wait(wait if count == 1 else 1.0):
                break
    loss = int(round(100 * (count - received) / count)) if count else 0
    ctx.write(f"\n--- {target} ping statistics ---\n{count} packets transmitted, {received} packets received, "
              f"{loss}% packet loss\n")
    if times:
        avg = sum(times) / len(times)
        ctx.write(f"round-trip min/avg/max = {min(times):.3f}/{avg:.3f}/{max(times):.3f} ms\n")
    return 0 if received else 1


_PING_USAGE = (f"{BUSYBOX}\n\nUsage: ping [OPTIONS] HOST\n\nSend ICMP ECHO_REQUESTs to HOST\n\n"
               "\t-4,-6\t\tForce IP or IPv6 name resolution\n"
               "\t-c CNT\t\tSend only CNT pings\n"
               "\t-s SIZE\t\tSend SIZE data bytes in packets (default 56)\n"
               "\t-i SECS\t\tInterval\n"
               "\t-A\t\tPing as soon as reply is received\n"
               "\t-t TTL\t\tSet TTL\n"
               "\t-I IFACE/IP\tSource interface or IP address\n"
               "\t-W SEC\t\tSeconds to wait for the first response (default 10)\n"
               "\t\t\t(after all -c CNT packets are sent)\n"
               "\t-w SEC\t\tSeconds until ping exits (default:infinite)\n"
               "\t\t\t(can exit earlier with -c CNT)\n"
               "\t-q\t\tQuiet, only display output at start/finish\n"
               "\t-p HEXBYTE\tPayload pattern\n")


def _round_trip_ms(real: str) -> float:
    """A real round trip to the target's namespace (a TCP probe answered by its kernel), in ms."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(1.0)  # loopback answers at once; never hang a ping on an address this machine does not have
    t0 = time.perf_counter()
    try:
        s.connect((real, 9))
    except OSError:
        pass
    finally:
        s.close()
    return (time.perf_counter() - t0) * 1000


def _resolve_all(ctx: Ctx, name: str) -> list[str]:
    """Every address name resolves to from ctx (the container's embedded DNS and /etc/hosts)."""
    if ctx.cid is None:  # the host: its own /etc/hosts, no embedded DNS
        return [name] if is_address(name) else (["127.0.0.1"] if is_loopback(name) else [])
    return ctx.engine.topology().resolve(ctx.cid, name)


def _route(ctx: Ctx, ip: str) -> tuple[str, str | None]:
    """How ctx reaches ip: the verdict (real, timeout, unreachable, refused) and the real address."""
    topo = ctx.engine.topology()
    if ctx.cid is not None:
        return topo.route(ctx.cid, ip)
    r = topo.lab().route_from_host(ip)  # the host reaches container addresses over the bridges
    if r.verdict == "loopback":
        return "real", "127.0.0.1"
    if r.verdict == "direct" and r.target is not None:
        return "real", topo.containers[r.target.id]["iface"]
    return "timeout", None


def _source_ip(ctx: Ctx, target: str) -> str:
    """The address a connection from ctx to target leaves from (the container's own on that network)."""
    if ctx.cid is None:
        return "127.0.0.1"
    if ipaddress.ip_address(target).is_loopback:
        return "127.0.0.1"
    view = ctx.engine.container_view(ctx.cid)
    ips = [n["ip"] for n in view["networks"].values()]
    return ips[0] if ips else "0.0.0.0"


def _connect(real: str, port: int, source: str, view: dict | None, engine) -> socket.socket | None:
    """A real TCP connection from source to real:port (None when refused), made after the engine has refused
    every socket a container's program holds on an address not its own (sim.sockets)."""
    engine.refuse_foreign_listeners()
    targets = [real]
    if view is not None and real == view["loopback"] and view["networks"] \
            and engine.serves_loopback(view["id"], port):
        targets.append(view["iface"])  # a 0.0.0.0 listener also serves the container's 127.0.0.1
    carrier = engine.carrier  # real loopback addresses, or ports of 127.0.0.1 (sim.carrier)
    for target in targets:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        registered = 0
        try:
            registered = carrier.bind(source, 0, lambda ip, p, s=s: _bind(s, ip, p))
            s.settimeout(5)
            s.connect(carrier.target(target, port))
            return _Released(s, carrier, registered)
        except LoopbackUnavailable:
            s.close()
            raise  # this machine cannot carry the address: said in one line, never "connection refused"
        except OSError:
            if carrier.mode == "ports" and registered:
                carrier.release(registered)
            s.close()
    return None


def _bind(s: socket.socket, ip: str, port: int) -> int:
    s.bind((ip, port))
    return s.getsockname()[1]


class _Released(socket.socket):
    """A tool's connected socket that forgets its carrier registration (ports mode) when closed."""

    def __init__(self, s: socket.socket, carrier, registered: int):
        timeout = s.gettimeout()
        super().__init__(s.family, s.type, s.proto, fileno=s.detach())
        self.settimeout(timeout)
        self._carrier, self._registered = carrier, registered

    def close(self) -> None:
        if self._carrier.mode == "ports" and self._registered:
            self._carrier.release(self._registered)
            self._registered = 0
        super().close()
