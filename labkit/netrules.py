"""Docker's rules for container networking: who a name resolves to, where a packet goes, who accepts it.

This is the one copy of the rules. The embedded engine *does* what they say (its containers' DNS,
routing and connections go through them), and `labkit.request_path` *explains* what they say, hop by
hop; because both read the same functions, the explanation cannot drift from the behaviour.

The model, as Docker builds it on Linux:

- Every container has its own network namespace, with its own loopback (`127.0.0.1`, `localhost`) and
  one interface per network it joined. `--network container:X` puts a container inside X's namespace
  instead: it shares X's loopback, interfaces and ports (a Kubernetes pod works the same way).
- A name is looked up first in the container's `/etc/hosts` (`localhost`, and its own hostname, which
  maps to its own address), then by Docker's embedded DNS at 127.0.0.11. The embedded DNS answers only
  on user-defined networks, and only with the containers (names, network aliases, short IDs) that are
  running on a network the asker is attached to (its `--hostname` too), also as `NAME.NETWORK`. The default `bridge` network has
  no embedded DNS. Names match whatever their case (`Server`, `SERVER`); the network part of
  `NAME.NETWORK` must be spelled as the network is (measured on Docker 20.10: `server.day8-net` resolves,
  `server.DAY8-NET` does not).
- Packets to a loopback address stay in the sender's namespace. Packets to another container's address
  arrive only over a network both are attached to; otherwise nothing answers and the connection times
  out. The gateway address is the host, which serves nothing to containers here (refused).
- A listening socket accepts a connection when it is bound to every address (`0.0.0.0`, `::`) or to
  the exact address the connection arrived on; a socket bound to `127.0.0.1` therefore serves its own
  namespace only.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

BUILTIN_NETWORKS = ("bridge", "host", "none")
LOOPBACK_NAMES = ("localhost",)  # /etc/hosts' IPv4 name for 127.0.0.1 (matched whatever its case)
IPV6_LOOPBACK_NAMES = ("localhost", "ip6-localhost", "ip6-loopback")  # /etc/hosts' names for ::1


@dataclass(frozen=True)
class Attachment:
    """A container's attachment to one network: its address there and the names it answers to."""

    network: str
    ip: str
    aliases: tuple[str, ...] = ()
    user_defined: bool = True
    gateway: str = ""
    subnet: str = ""


@dataclass(frozen=True)
class Box:
    """A container as the network rules see it: identity, whether it runs, and its attachments."""

    id: str
    name: str
    running: bool
    hostname: str = ""
    joins: str | None = None  # the id or name of the container whose namespace it shares
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    on_host: bool = False  # --network host: the host's own network namespace (its loopback, its routes)


@dataclass(frozen=True)
class Lookup:
    """The answer to a name lookup inside one container: addresses, and where they came from."""

    addresses: tuple[str, ...]
    source: str  # "literal", "hosts" (/etc/hosts), "dns" (embedded DNS), "none" (no DNS: default bridge only)
    targets: tuple[tuple[Box, Attachment], ...] = ()


@dataclass(frozen=True)
class Route:
    """Where a packet from a container to an address goes.

    verdict: "loopback" (stays in the sender's namespace), "self" (the sender's own interface),
    "direct" (across `network` to `target`), "timeout" (nobody on a shared network holds it; `network`
    is set when the address is on one of the sender's networks but nobody holds it there),
    "refused" (the host's gateway address), "unreachable" (the sender has no network at all, or the address is
    IPv6: network "ipv6", since containers on networks without IPv6 have no IPv6 address, not even ::1).
    """

    verdict: str
    target: Box | None = None
    network: str | None = None

    @property
    def delivered(self) -> bool:
        """True when the packet reaches a network namespace (whether anything listens is another rule)."""
        return self.verdict in ("loopback", "self", "direct")


def is_loopback(host: str) -> bool:
    """True for `localhost` and for loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_address(host: str) -> bool:
    """True when host is an IP literal, not a name."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def is_ipv6(host: str) -> bool:
    """True for an IPv6 address that is not an IPv4 one in IPv6 clothing (::ffff:a.b.c.d)."""
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return False
    return addr.version == 6 and addr.ipv4_mapped is None


def binds_all(address: str) -> bool:
    """True when a listening address means every interface (0.0.0.0, ::, or empty)."""
    return address in ("", "0.0.0.0", "::")


def accepts(bound: str, arrived_on: str) -> bool:
    """Whether a socket listening on `bound` accepts a connection that arrived on address `arrived_on`."""
    if binds_all(bound):
        return True
    if is_loopback(bound) and is_loopback(arrived_on):
        return ipaddress.ip_address(bound).version == ipaddress.ip_address(arrived_on).version
    return bound == arrived_on


def _answers_to(box: Box, att: Attachment, name: str) -> bool:
    """Whether the embedded DNS answers `name` with box's address on att's network.

    The container's names match whatever their case; the network part of NAME.NETWORK must be spelled
    as the network is.
    """
    names = {n.lower() for n in (box.name, box.id[:12], box.hostname, *att.aliases) if n}  # --hostname too
    if name.lower() in names:
        return True
    suffix = "." + att.network
    return name.endswith(suffix) and name[:-len(suffix)].lower() in names


class Lab:
    """The containers of one engine, and Docker's rules applied to them."""

    def __init__(self, boxes: list[Box] | tuple[Box, ...]):
        self.boxes = tuple(boxes)

    def find(self, ref: str) -> Box | None:
        """The container with this name, ID or ID prefix."""
        for box in self.boxes:
            if ref in (box.name, box.id):
                return box
        if len(ref) >= 4:
            matches = [b for b in self.boxes if b.id.startswith(ref)]
            if len(matches) == 1:
                return matches[0]
        return None

    def namespace(self, box: Box) -> Box:
        """The container whose network namespace `box` lives in (itself, or the one it joined)."""
        if box.joins:
            owner = self.find(box.joins)
            if owner is not None:
                return owner
        return box

    def lookup(self, asker: Box, name: str) -> Lookup:
        """Resolve `name` inside `asker`: an address as is, then /etc/hosts, then the embedded DNS."""
        if is_address(name):
            return Lookup((name,), "literal")
        ns = self.namespace(asker)
        if name.lower() in LOOPBACK_NAMES:
            return Lookup(("127.0.0.1",), "hosts")
        if asker.hostname and name.lower() == asker.hostname.lower() and ns.attachments:
            return Lookup((ns.attachments[0].ip,), "hosts")  # --network none: /etc/hosts has no such line
        return self.dns(asker, name)

    def dns(self, asker: Box, name: str) -> Lookup:
        """Ask Docker's embedded DNS (127.0.0.11) inside `asker`, as nslookup does: no /etc/hosts."""
        ns = self.namespace(asker)
        user_nets = [a.network for a in ns.attachments if a.user_defined]
        if not user_nets:
            return Lookup((), "none")
        found: list[tuple[Box, Attachment]] = []
        wanted = name.rstrip(".")
        for box in self.boxes:
            if not box.running or box.joins:
                continue
            for att in box.attachments:
                if att.network in user_nets and _answers_to(box, att, wanted):
                    if all(att.ip != a.ip for _, a in found):
                        found.append((box, att))
        return Lookup(tuple(a.ip for _, a in found), "dns", tuple(found))

    def reverse(self, asker: Box, ip: str) -> str | None:
        """The name Docker's embedded DNS gives `asker` for an address (a PTR query): NAME.NETWORK of the running
        container holding it on one of the asker's user-defined networks; None (NXDOMAIN) otherwise."""
        ns = self.namespace(asker)
        user_nets = {a.network for a in ns.attachments if a.user_defined}
        for box in self.boxes:
            if not box.running or box.joins:
                continue
            for att in box.attachments:
                if att.ip == ip and att.network in user_nets:
                    return f"{box.name}.{att.network}"
        return None

    def holder(self, ip: str) -> tuple[Box, Attachment] | None:
        """The container and attachment that hold a container address, if any."""
        for box in self.boxes:
            if box.joins:
                continue
            for att in box.attachments:
                if att.ip == ip:
                    return box, att
        return None

    def route(self, sender: Box, ip: str) -> Route:
        """Where a packet from `sender` to `ip` goes (see Route)."""
        ns = self.namespace(sender)
        if is_ipv6(ip) and not ns.on_host:  # a container on a network without IPv6 has no IPv6 address, not even ::1
            return Route("unreachable", ns, "ipv6")
        if is_loopback(ip) or ip == "0.0.0.0":  # Linux: a connection to 0.0.0.0 goes to this host's 127.0.0.1
            return Route("loopback", ns)
        if ns.on_host:
            return self.route_from_host(ip)
        if not ns.attachments:
            return Route("unreachable")
        for att in ns.attachments:
            if att.ip == ip:
                return Route("self", ns, att.network)
        held = self.holder(ip)
        if held is not None:
            target, att = held
            if target.running and any(a.network == att.network for a in ns.attachments):
                return Route("direct", target, att.network)
            return Route("timeout", target, None)
        addr = ipaddress.ip_address(ip)
        for att in ns.attachments:
            if att.gateway == ip:
                return Route("refused")
            if att.subnet and addr in ipaddress.ip_network(att.subnet, strict=False):
                return Route("timeout", None, att.network)  # nobody holds that address on my network
        return Route("timeout")  # nothing answers beyond the host (an --internal network drops it too)

    def route_from_host(self, ip: str) -> Route:
        """Where a packet from the host to `ip` goes: its own loopback, or over a bridge to a running container."""
        if is_loopback(ip):
            return Route("loopback")
        held = self.holder(ip)
        if held is not None and held[0].running:
            return Route("direct", held[0], held[1].network)
        return Route("timeout", held[0] if held else None)
