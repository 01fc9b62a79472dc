"""The embedded engine's network model, shared by the engine and by every container process.

Each container's network namespace is modelled by two real loopback addresses on this machine:

- its *loopback* (what 127.0.0.1 means inside it), e.g. 127.77.0.5;
- its *interfaces* (eth0 on every network it joined), e.g. 127.78.0.5.

A server that binds 127.0.0.1 really listens on the first, one that binds 0.0.0.0 on the second;
real TCP then carries the bytes. On a machine with one loopback address (a Mac's lo0 holds only 127.0.0.1)
these addresses are modelled only, and each modelled (address, port) is carried on a port of 127.0.0.1
instead (sim.carrier, ports mode). Which container may reach which, and what a name resolves to,
is read from the topology file the engine rewrites on every change and decided by Docker's rules,
which live in labkit.netrules (shared with the request-path explanation).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass

from labkit.netrules import Attachment, Box, Lab, accepts

LOOPBACK_NET = 77
IFACE_NET = 78
HOST_LOOPBACK = "127.79.0.1"  # the simulated host's localhost (published ports listen here)


HOST_NETWORK = ("127.0.0.1", "127.0.0.1")  # --network host: the machine's own loopback is the container's


def real_addresses(block: int, index: int) -> tuple[str, str]:
    """(loopback, interfaces) real addresses of namespace `index` of the engine owning `block`."""
    return f"127.{LOOPBACK_NET}.{block}.{index % 250 + 1}", f"127.{IFACE_NET}.{block}.{index % 250 + 1}"


def v6only_address(loopback: str) -> str:
    """The real address where a namespace's IPv6-only `::` sockets listen (unreachable from anywhere, as on
    Docker, where a container has no IPv6 address): 127.76.B.I beside its loopback 127.77.B.I."""
    return f"127.{LOOPBACK_NET - 1}." + loopback.split(".", 2)[2]


def claim_block() -> tuple[int, object]:
    """A block of loopback addresses no other embedded engine on this machine uses (held by a lock).

    The locks are machine-wide (every user's engines share this machine's loopback addresses), so they live in
    /tmp whatever a user's TMPDIR says (LABKIT_SIM_LOCKS names another folder), readable and writable by all. A
    lock file another user made is locked through a read-only descriptor (flock needs no write access); one
    that cannot be opened at all (or a link) is a block skipped, never an error."""
    import fcntl
    import random
    import tempfile

    folder = os.environ.get("LABKIT_SIM_LOCKS") or ("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir())
    start = random.randrange(256)
    for step in range(256):
        block = (start + step) % 256
        path = os.path.join(folder, f"labkit-sim-block-{block}.lock")
        fd = _open_lock(path)
        if fd is None:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return block, os.fdopen(fd, "rb")  # held open for the engine's lifetime
        except OSError:
            os.close(fd)
    raise RuntimeError("all 256 address blocks of the embedded engine are in use on this machine")


def _open_lock(path: str) -> int | None:
    """A descriptor of the lock file at path (made, for everyone, when missing), or None when it cannot be used."""
    flags = os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | flags, 0o666)
    except PermissionError:
        try:
            return os.open(path, os.O_RDONLY | flags)
        except OSError:
            return None
    except OSError:
        return None
    try:
        if os.fstat(fd).st_uid == os.getuid():
            os.fchmod(fd, 0o666)  # the next user of this block may be someone else
    except OSError:
        pass
    return fd


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


def serves_loopback_from_iface(listen_log: str, port: int) -> bool:
    """Whether a listener on the namespace's interface address also serves its 127.0.0.1 (netrules.accepts).

    A program bound to 0.0.0.0 (or ::) really listens on the interface address only; a connection to
    127.0.0.1:port that finds nothing on the loopback address is carried there when, and only when, such
    a wildcard listener holds the port. One bound to the container's own address serves no loopback.
    """
    try:
        with open(listen_log, encoding="utf-8") as f:
            records = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError):
        return False
    return any(int(r.get("port", -1)) == port and not r.get("v6only") and accepts(str(r.get("addr", "")), "127.0.0.1")
               for r in records)


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

    def lab(self) -> Lab:
        """The containers as Docker's rules (labkit.netrules) see them."""
        boxes = []
        for cid, c in self.containers.items():
            atts = tuple(Attachment(net, info["ip"], tuple(info.get("aliases", [])), bool(info.get("user")),
                                    info.get("gateway", ""), info.get("subnet", ""))
                         for net, info in c["networks"].items())
            boxes.append(Box(cid, c["name"], c["running"], c.get("hostname", ""), c.get("ns"), atts,
                             bool(c.get("host"))))
        return Lab(boxes)

    def resolve(self, asker: str, name: str) -> list[str]:
        """Addresses a name resolves to inside the asking container (/etc/hosts, then embedded DNS)."""
        lab = self.lab()
        box = lab.find(asker)
        return [] if box is None else list(lab.lookup(box, name).addresses)

    def reverse(self, asker: str, ip: str) -> str | None:
        """The name the embedded DNS gives the asking container for an address (netrules.Lab.reverse)."""
        lab = self.lab()
        box = lab.find(asker)
        return None if box is None else lab.reverse(box, ip)

    def dns(self, asker: str, name: str) -> list[str]:
        """Addresses the embedded DNS gives the asking container for a name (no /etc/hosts)."""
        lab = self.lab()
        box = lab.find(asker)
        return [] if box is None else list(lab.dns(box, name).addresses)

    def route(self, asker: str, ip: str) -> tuple[str, str | None]:
        """How a connection from asker to ip goes: ('real', address) | ('refused'|'timeout'|'unreachable', None)."""
        me = self.peer(asker)
        lab = self.lab()
        box = lab.find(asker)
        if me is None or box is None:
            return "unreachable", None
        r = lab.route(box, ip)
        if r.verdict == "loopback":
            return "real", me.loopback
        if r.verdict == "self":
            return "real", me.iface
        if r.verdict == "direct" and r.target is not None:
            return "real", self.containers[r.target.id]["iface"]
        return r.verdict, None

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

