"""BusyBox netstat and route (the curl image's applets): the namespace's listening sockets and routing table.

netstat lists what the container's programs listen on (the shim's reports: the same sockets a learner's
server really opened), under BusyBox's headings, and, on a user-defined network, the embedded DNS's own
TCP and UDP sockets on 127.0.0.11 (Docker picks their ports at random; here each container has its
own fixed pair). Established connections are left out: the model records listeners only, so
`netstat -t` without -l shows the heading alone. The kernel lists sockets in its hash order; here
they come by port, the DNS's last. `route` and `netstat -r` print
the table `ip route` shows, in the kernel's /proc/net/route form.
"""

from __future__ import annotations

import ipaddress
import zlib

from labkit.engines.sim.tools.base import Ctx
from labkit.engines.sim.tools.ip import interfaces
from labkit.engines.sim.tools.net import BUSYBOX

NETSTAT_USAGE = (f"{BUSYBOX}\n\nUsage: netstat [-ral] [-tuwx] [-en]\n\nDisplay networking information\n\n"
                 "\t-r\tRouting table\n\t-a\tAll sockets\n\t-l\tListening sockets\n\t\tElse: connected sockets\n"
                 "\t-t\tTCP sockets\n\t-u\tUDP sockets\n\t-w\tRaw sockets\n\t-x\tUnix sockets\n"
                 "\t\tElse: all socket types\n\t-e\tOther/more information\n\t-n\tDon't resolve names\n")
ROUTE_USAGE = (f"{BUSYBOX}\n\nUsage: route [-ne] [-A inet[6]] [{{add|del}} [-net|-host] TARGET [netmask MASK]\n"
               "\t[gw GATEWAY] [metric N] [mss BYTES] [window BYTES] [reject] [IFACE]]\n\n"
               "Show or edit kernel routing tables\n\n"
               "\t-n\tDon't resolve names\n\t-e\tDisplay other/more information\n"
               "\t-A inet[6]\tSelect address family\n")
_INET_HEAD = "Proto Recv-Q Send-Q Local Address           Foreign Address         State       \n"
_UNIX_HEAD = "Proto RefCnt Flags       Type       State         I-Node Path\n"


def netstat(ctx: Ctx, argv: list[str]) -> int:
    """busybox netstat [-ral] [-tuwx] [-en]."""
    flags = set()
    for a in argv[1:]:
        if not a.startswith("-") or len(a) < 2:
            continue  # BusyBox ignores words that are not options
        for ch in a[1:]:
            if ch not in "raltuwxen":
                ctx.error(f"netstat: invalid option -- '{ch}'\n{NETSTAT_USAGE}")
                return 1
            flags.add(ch)
    if "r" in flags:
        ctx.write(_routes(ctx, "Flags   MSS Window  irtt Iface", numeric=True, netstat_form=True))
        return 0
    which = "servers and established" if "a" in flags else "only servers" if "l" in flags else "w/o servers"
    kinds = flags & set("tuwx") or set("tuwx")
    if kinds & set("tuw"):
        ctx.write(f"Active Internet connections ({which})\n{_INET_HEAD}")
        dns = _dns_ports(ctx) if flags & {"a", "l"} else None
        if "t" in kinds and flags & {"a", "l"}:
            for addr, port in ctx.engine.listeners(ctx.cid) if ctx.cid else []:
                v6 = ipaddress.ip_address(addr or "0.0.0.0").version == 6
                local = f":::{port}" if v6 and addr in ("::", "") else f"{addr}:{port}"
                foreign = ":::*" if v6 else "0.0.0.0:*"
                ctx.write(f"tcp        0      0 {local:<23} {foreign:<23} LISTEN      \n")
            if dns:
                ctx.write(f"tcp        0      0 {'127.0.0.11:' + str(dns[0]):<23} {'0.0.0.0:*':<23} LISTEN      \n")
        if "u" in kinds and dns:
            ctx.write(f"udp        0      0 {'127.0.0.11:' + str(dns[1]):<23} {'0.0.0.0:*':<23} {'':<12}\n")
    if "x" in kinds:
        ctx.write(f"Active UNIX domain sockets ({which})\n{_UNIX_HEAD}")
    return 0


def _dns_ports(ctx: Ctx) -> tuple[int, int] | None:
    """The embedded DNS's TCP and UDP ports in this namespace (None off user-defined networks)."""
    peer = ctx.engine.topology().peer(ctx.cid) if ctx.cid else None
    if peer is None or not any(n.get("user") for n in peer.networks.values()):
        return None
    seed = zlib.crc32(peer.iface.encode())
    return 32768 + seed % 28000, 32768 + (seed // 28000) % 28000


def route(ctx: Ctx, argv: list[str]) -> int:
    """busybox route [-n]: the routing table (changing it is refused: containers lack NET_ADMIN)."""
    numeric = False
    for a in argv[1:]:
        if a.startswith("-") and len(a) > 1:
            bad = next((ch for ch in a[1:] if ch not in "ne"), None)
            if bad is not None:
                ctx.error(f"route: invalid option -- '{bad}'\n{ROUTE_USAGE}")
                return 1
            numeric = numeric or "n" in a
        else:
            ctx.error("route: SIOCADDRT: Operation not permitted\n" if a == "add" else
                      "route: SIOCDELRT: Operation not permitted\n" if a in ("del", "delete") else ROUTE_USAGE)
            return 1
    ctx.write(_routes(ctx, "Flags Metric Ref    Use Iface", numeric=numeric, netstat_form=False))
    return 0


def _routes(ctx: Ctx, tail: str, numeric: bool, netstat_form: bool) -> str:
    """The kernel routing table under its heading: the default route, then one route per network."""
    out = f"Kernel IP routing table\nDestination     Gateway         Genmask         {tail}\n"
    ifaces = [i for i in interfaces(ctx) if i["name"] != "lo"]
    rows = []
    if ifaces and ifaces[0]["gateway"]:
        rows.append(("0.0.0.0", ifaces[0]["gateway"], "0.0.0.0", "UG", ifaces[0]["name"]))
    for i in sorted(ifaces, key=lambda x: ipaddress.ip_network(x["net"])):
        net = ipaddress.ip_network(i["net"])
        rows.append((str(net.network_address), "0.0.0.0", str(net.netmask), "U", i["name"]))
    for dest, gw, mask, fl, dev in rows:
        if not numeric:
            dest = "default" if dest == "0.0.0.0" else dest
            gw = "*" if gw == "0.0.0.0" else gw
        if netstat_form:
            out += f"{dest:<15} {gw:<15} {mask:<15} {fl:<5}     0 0          0 {dev}\n"
        else:
            out += f"{dest:<15} {gw:<15} {mask:<15} {fl:<5} 0      0        0 {dev}\n"
    return out


_INSTEAD = {"ifconfig": "ip addr", "telnet": "nc HOST PORT", "traceroute": "ip route", "ping6": "ping",
            "top": "ps", "less": "cat", "vi": "cat"}


def not_imitated(ctx: Ctx, argv: list[str]) -> int:
    """A BusyBox applet the image has and the embedded engine does not imitate: said in labkit's words."""
    name = argv[0].rsplit("/", 1)[-1]
    hint = f"; `{_INSTEAD[name]}` is imitated" if name in _INSTEAD else ""
    ctx.error(f"labkit: the embedded engine does not imitate `{name}` (the image has it; Docker runs it){hint}\n")
    return 1
