"""BusyBox ip (the curl image's applet): `ip addr`, `ip link`, `ip route` of the container's namespace.

What it shows comes from the network model (netmodel.Topology): lo, then one ethN per network the
namespace joined, in the order it joined them, with Docker's address, prefix and broadcast, and the MAC
Docker derives from the address (02:42 then the four bytes). The routes are the kernel's main table:
the default route via the first network's gateway, then one link route per network, by address.
Interface numbers (the `11997: eth0@if11998` prefix) are the host kernel's choice on Docker; here
they are stable numbers of the same shape.
"""

from __future__ import annotations

import ipaddress
import zlib

from labkit.engines.sim.tools.base import Ctx
from labkit.engines.sim.tools.net import BUSYBOX

USAGE = (f"{BUSYBOX}\n\nUsage: ip [OPTIONS] address|route|link|tunnel|neigh|rule [ARGS]\n\n"
         "OPTIONS := -f[amily] inet|inet6|link | -o[neline]\n\n"
         "ip addr add|del IFADDR dev IFACE | show|flush [dev IFACE] [to PREFIX]\n"
         "ip route list|flush|add|del|change|append|replace|test ROUTE\n"
         "ip link set IFACE [up|down] [arp on|off] [multicast on|off]\n"
         "\t[promisc on|off] [mtu NUM] [name NAME] [qlen NUM] [address MAC]\n"
         "\t[master IFACE | nomaster] [netns PID] [type TYPE ARGS]\n"
         "ip tunnel add|change|del|show [NAME]\n"
         "\t[mode ipip|gre|sit] [remote ADDR] [local ADDR] [ttl TTL]\n"
         "ip neigh show|flush [to PREFIX] [dev DEV] [nud STATE]\n"
         "ip rule [list] | add|del SELECTOR ACTION\n")

_OBJECTS = {"address": "addr", "addr": "addr", "a": "addr", "ad": "addr", "link": "link", "l": "link",
            "route": "route", "r": "route", "ro": "route"}


def interfaces(ctx: Ctx) -> list[dict]:
    """The namespace's interfaces: name, index, peer index, address, prefix, broadcast, MAC, gateway, network."""
    out = [{"name": "lo", "index": 1}]
    peer = ctx.engine.topology().peer(ctx.cid) if ctx.cid else None
    if peer is None:
        return out
    base = 100 + 2 * (zlib.crc32(peer.iface.encode()) % 5000) * 8
    for k, info in enumerate(peer.networks.values()):
        ip = info.get("ip")
        subnet = info.get("subnet")
        if not ip or not subnet:
            continue
        net = ipaddress.ip_network(subnet, strict=False)
        mac = "02:42:" + ":".join(f"{int(b):02x}" for b in ip.split("."))
        out.append({"name": f"eth{k}", "index": base + 2 * k, "ip": ip, "prefix": net.prefixlen,
                    "brd": str(net.broadcast_address), "mac": mac, "gateway": info.get("gateway", ""),
                    "net": str(net)})
    return out


def ip_tool(ctx: Ctx, argv: list[str]) -> int:
    """busybox ip [-4|-6] [-o] addr|link|route [show [dev] IFACE]."""
    family, oneline = None, False
    args = argv[1:]
    while args and args[0].startswith("-"):
        flag = args.pop(0)
        if flag in ("-4", "-6"):
            family = flag[1]
        elif flag in ("-o", "-oneline"):
            oneline = True
        elif flag in ("-f", "-family") and args:
            family = {"inet": "4", "inet6": "6", "link": "link"}.get(args.pop(0), family)
        else:
            ctx.error(USAGE)
            return 1
    if not args:
        ctx.error(USAGE)
        return 1
    obj = _OBJECTS.get(args[0])
    if obj is None:
        ctx.error(USAGE)
        return 1
    rest = args[1:]
    if obj == "route":
        return _route(ctx, rest, family)
    shown = rest[:1] in (["show"], ["list"], ["lst"], ["sh"], ["s"], ["l"])
    if shown:
        rest = rest[1:]
    if rest[:1] == ["dev"]:
        rest, shown = rest[1:], True
    if rest and not shown:
        ctx.error(f"ip: invalid argument '{rest[0]}' to 'ip'\n")
        return 1
    ifaces = interfaces(ctx)
    if rest:
        ifaces = [i for i in ifaces if i["name"] == rest[0]]
        if not ifaces:
            ctx.error(f"ip: can't find device '{rest[0]}'\n")
            return 1
    if family == "6":
        return 0
    for i in ifaces:
        ctx.write(_block(i, obj == "addr" and family != "link", obj == "link" or family != "4", oneline))
    return 0


def _block(i: dict, addresses: bool, link: bool, oneline: bool) -> str:
    """One interface as `ip addr`/`ip link` prints it."""
    if i["name"] == "lo":
        head = "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000"
        link_line = "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00"
        addr_line = "    inet 127.0.0.1/8 scope host lo"
    else:
        head = (f"{i['index']}: {i['name']}@if{i['index'] + 1}: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 "
                "qdisc noqueue ")
        link_line = f"    link/ether {i['mac']} brd ff:ff:ff:ff:ff:ff"
        addr_line = f"    inet {i['ip']}/{i['prefix']} brd {i['brd']} scope global {i['name']}"
    life = "       valid_lft forever preferred_lft forever"
    if oneline:
        if addresses:
            short = f"{i['index']}: {i['name']}"
            return f"{short}    {addr_line.strip()}\\{life}\n"
        return f"{head}\\{link_line}\n"
    lines = [head]
    if link:
        lines.append(link_line)
    if addresses:
        lines += [addr_line, life]
    return "\n".join(lines) + "\n"


def _route(ctx: Ctx, rest: list[str], family: str | None) -> int:
    """`ip route [show|list]` and `ip route get ADDR` of the namespace's main table."""
    ifaces = [i for i in interfaces(ctx) if i["name"] != "lo"]
    if rest[:1] == ["get"] and len(rest) > 1:
        try:
            dest = ipaddress.ip_address(rest[1])
        except ValueError:
            ctx.error(f"ip: an inet address is expected rather than \"{rest[1]}\"\n")
            return 1
        if dest.is_loopback:
            ctx.write(f"local {dest} dev lo  src 127.0.0.1 \n")
            return 0
        for i in ifaces:
            if dest in ipaddress.ip_network(i["net"]):
                ctx.write(f"{dest} dev {i['name']}  src {i['ip']} \n")
                return 0
        if not ifaces:
            ctx.error("ip: RTNETLINK answers: Network unreachable\n")
            return 2
        first = ifaces[0]
        ctx.write(f"{dest} via {first['gateway']} dev {first['name']}  src {first['ip']} \n")
        return 0
    if rest and rest[0] not in ("show", "list", "lst", "sh", "s", "l"):
        ctx.error(USAGE)
        return 1
    if family == "6" or not ifaces:
        return 0
    lines = []
    if ifaces[0]["gateway"]:
        lines.append(f"default via {ifaces[0]['gateway']} dev {ifaces[0]['name']} \n")
    for i in sorted(ifaces, key=lambda x: ipaddress.ip_network(x["net"])):
        lines.append(f"{i['net']} dev {i['name']} scope link  src {i['ip']} \n")
    ctx.write("".join(lines))
    return 0
