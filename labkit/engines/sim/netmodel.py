"""The embedded engine's network model, shared by the engine and by every container process.

Each container's network namespace is modelled by two real loopback addresses on this machine:

- its *loopback* (what 127.0.0.1 means inside it), e.g. 127.77.0.5;
- its *interfaces* (eth0 on every network it joined), e.g. 127.78.0.5.

A server that binds 127.0.0.1 really listens on the first, one that binds 0.0.0.0 on the second;
real TCP then carries the bytes. Which container may reach which, and what a name resolves to,
is read from the topology file the engine rewrites on every change (Docker's rules: names only on
user-defined networks shared with the asker, no traffic between networks).
"""

from __future__ import annotations

import ipaddress
import json
import os
import time
from dataclasses import dataclass

LOOPBACK_NET = 77
IFACE_NET = 78
HOST_LOOPBACK = "127.79.0.1"  # the simulated host's localhost (published ports listen here)


def real_addresses(block: int, index: int) -> tuple[str, str]:
    """(loopback, interfaces) real addresses of namespace `index` of the engine owning `block`."""
    return f"127.{LOOPBACK_NET}.{block}.{index % 250 + 1}", f"127.{IFACE_NET}.{block}.{index % 250 + 1}"


def claim_block() -> tuple[int, object]:
    """A block of loopback addresses no other embedded engine on this machine uses (held by a lock)."""
    import fcntl
    import random
    import tempfile

    start = random.randrange(256)
    for step in range(256):
        block = (start + step) % 256
        path = os.path.join(tempfile.gettempdir(), f"labkit-sim-block-{block}.lock")
        handle = open(path, "a")  # noqa: SIM115 - held open for the engine's lifetime
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return block, handle
        except OSError:
            handle.close()
    raise RuntimeError("all 256 address blocks of the embedded engine are in use on this machine")


@dataclass
class Peer:
    """A container as the network sees it."""

    id: str
    name: str
    running: bool
    loopback: str
    iface: str
    hostname: str
    networks: dict  # net name -> {"ip", "aliases", "user", "internal", "gateway"}


class Topology:
    """A snapshot of the topology file: containers, their namespaces and networks."""

    def __init__(self, data: dict):
        self.data = data
        self.containers = data.get("containers", {})

    @classmethod
    def load(cls, path: str) -> Topology:
        """Read the topology file (retrying briefly if the engine is replacing it)."""
        for _ in range(50):
            try:
                with open(path, encoding="utf-8") as f:
                    return cls(json.load(f))
            except (OSError, ValueError):
                time.sleep(0.002)
        return cls({})

    def peer(self, cid: str) -> Peer | None:
        """The namespace view of a container (a container:NAME joiner sees its owner's namespace)."""
        c = self.containers.get(cid)
        if c is None:
            return None
        owner = self.containers.get(c.get("ns") or cid, c)
        return Peer(cid, c["name"], c["running"], owner["loopback"], owner["iface"], c["hostname"], owner["networks"])

    def resolve(self, asker: str, name: str) -> list[str]:
        """Addresses a name resolves to through the asking container's embedded DNS (127.0.0.11)."""
        me = self.peer(asker)
        if me is None:
            return []
        found: list[str] = []
        for net, mine in me.networks.items():
            if not mine.get("user"):
                continue
            for cid, c in self.containers.items():
                if not c["running"] or c.get("ns"):
                    continue
                info = c["networks"].get(net)
                if info is None:
                    continue
                names = {c["name"], cid[:12], *info.get("aliases", [])}
                if name in names and info["ip"] not in found:
                    found.append(info["ip"])
        return found

    def owner_of_ip(self, ip: str) -> tuple[str, str] | None:
        """(container id, network) that holds a container address, if any."""
        for cid, c in self.containers.items():
            if c.get("ns"):
                continue
            for net, info in c["networks"].items():
                if info["ip"] == ip:
                    return cid, net
        return None

    def route(self, asker: str, ip: str) -> tuple[str, str | None]:
        """How a connection from asker to ip goes: ('real', address) | ('refused'|'timeout'|'unreachable', None)."""
        me = self.peer(asker)
        if me is None:
            return "unreachable", None
        addr = ipaddress.ip_address(ip)
        if addr.is_loopback:
            return "real", me.loopback
        if not me.networks:
            return "unreachable", None
        for info in me.networks.values():
            if info["ip"] == ip:
                return "real", me.iface
        owner = self.owner_of_ip(ip)
        if owner is not None:
            cid, net = owner
            target = self.containers[cid]
            if net in me.networks and target["running"]:
                return "real", target["iface"]
            return "timeout", None
        for info in me.networks.values():
            if info.get("gateway") == ip:
                return "refused", None
            subnet = info.get("subnet")
            if subnet and addr in ipaddress.ip_network(subnet, strict=False):
                return "timeout", None  # nobody holds that address on my network
        return "timeout", None  # nothing answers beyond the host (an --internal network drops it too)

    def sim_address_of(self, asker: str, real: str) -> str:
        """Translate a real source address back to the address Docker would show to asker."""
        me = self.peer(asker)
        if me is None:
            return real
        if real == me.loopback:
            return "127.0.0.1"
        if real == me.iface:
            first = next(iter(me.networks.values()), None)
            return first["ip"] if first else real
        for c in self.containers.values():
            if c.get("iface") == real and not c.get("ns"):
                for net, info in c["networks"].items():
                    if net in me.networks:
                        return info["ip"]
        if real == HOST_LOOPBACK:
            first = next(iter(me.networks.values()), None)
            return first.get("gateway", real) if first else real
        return real


def topology_path() -> str | None:
    """Where a container process finds the topology file (set by the engine)."""
    return os.environ.get("LABKIT_SIM_TOPOLOGY")
