"""The path of one request, hop by hop (client → DNS → route → listener), worked out from engine state.

`trace(state, source, url)` explains where a request from `source` (a container name, or "host" for
this machine) to `url` would go, and marks the first hop that fails and why. `observe` then makes
the request for real, so the learner sees the model and the engine agree.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from labkit.course.state import BUILTIN_NETWORKS, ContainerView, LabState

HOPS = ("client", "DNS", "route", "listener")
HOST = "host"


@dataclass
class Hop:
    """One step of the request: its name, whether it works, and why."""

    name: str
    ok: bool
    detail: str


@dataclass
class Trace:
    """A request's path: the hops up to and including the first that fails."""

    source: str
    url: str
    hops: list[Hop] = field(default_factory=list)
    observed: str | None = None

    @property
    def ok(self) -> bool:
        """True when every hop works, so the request reaches a listener."""
        return len(self.hops) == len(HOPS) and all(h.ok for h in self.hops)

    @property
    def failed_hop(self) -> Hop | None:
        """The hop that stops the request, or None."""
        return next((h for h in self.hops if not h.ok), None)

    def __str__(self) -> str:
        lines = [f"request from {self.source} to {self.url}"]
        for hop in self.hops:
            lines.append(f"  {'ok ' if hop.ok else 'FAIL'} {hop.name:<8} {hop.detail}")
        for name in HOPS[len(self.hops):]:
            lines.append(f"  --   {name:<8} not reached")
        if self.observed is not None:
            lines.append(f"  observed: {self.observed}")
        return "\n".join(lines) + "\n"

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(str(self))


def parse_url(url: str) -> tuple[str, int]:
    """Host and port of an http URL (port 80 when none is given)."""
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"labkit: {url!r} has no host name; write it like http://server:3000")
    return parts.hostname, parts.port or 80


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _namespace(state: LabState, c: ContainerView) -> ContainerView:
    """The container whose network namespace c uses (itself, or the one it joined)."""
    owner = c.shares_namespace_with
    found = state.container(owner) if owner else None
    return found or c


def _where(c: ContainerView) -> str:
    nets = ", ".join(f"{ep.ip} on {ep.network}" for ep in c.endpoints)
    return nets or f"network {c.network_mode or 'none'}"


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _resolve(state: LabState, src: ContainerView, name: str) -> tuple[Hop, list[tuple[ContainerView, str]]]:
    """Embedded DNS as Docker runs it: names and aliases on user-defined networks the source shares."""
    user_nets = [ep.network for ep in src.endpoints if ep.network not in BUILTIN_NETWORKS]
    if not user_nets:
        return Hop("DNS", False, f"{src.name} is only on the default bridge network, which has no embedded DNS: "
                                 f"'{name}' does not resolve"), []
    found: list[tuple[ContainerView, str]] = []
    for c in state.containers:
        if not c.running:
            continue
        for ep in c.endpoints:
            if ep.network in user_nets and (c.name == name or name in ep.aliases):
                found.append((c, ep.ip))
    if found:
        ips = ", ".join(ip for _, ip in found)
        return Hop("DNS", True, f"127.0.0.11 answers {name} → {ips} (on {', '.join(sorted(set(user_nets)))})"), found
    elsewhere = [c for c in state.containers if c.name == name or any(name in ep.aliases for ep in c.endpoints)]
    if elsewhere and elsewhere[0].running:
        other = ", ".join(ep.network for ep in elsewhere[0].endpoints) or "no network"
        return Hop("DNS", False, f"{name} exists but is on {other}, and {src.name} is on "
                                 f"{', '.join(user_nets)}: DNS answers only for containers on a shared network"), []
    if elsewhere:
        return Hop("DNS", False, f"{name} exists but is not running, so DNS drops its name"), []
    return Hop("DNS", False, f"no container or alias called {name} on {', '.join(user_nets)}: "
                             "the lookup fails (Could not resolve host)"), []


def _listener_hop(target: ContainerView, port: int, arrived_on: str, via_loopback: bool) -> Hop:
    owner_name = target.name
    listening = [lst for lst in target.listeners if lst.port == port]
    if not listening:
        return Hop("listener", False, f"nothing in {owner_name} listens on port {port}: connection refused")
    shown = ", ".join(f"{lst.address}:{lst.port}" for lst in listening)
    if via_loopback or any(lst.all_interfaces or lst.address == arrived_on for lst in listening):
        return Hop("listener", True, f"{owner_name} listens on {shown}")
    return Hop("listener", False, f"{owner_name} listens on {shown} only: a request arriving on {arrived_on} "
                                  "finds no listener (the loopback address is reachable only from inside)")


def trace(state: LabState, source: str, url: str) -> Trace:
    """Work out the path of a request from `source` to `url`, stopping at the first failing hop."""
    host, port = parse_url(url)
    t = Trace(source, url)
    if source == HOST:
        return _trace_from_host(state, t, host, port)
    src = state.container(source)
    if src is None:
        t.hops.append(Hop("client", False, f"there is no container called {source}"))
        return t
    if not src.running:
        t.hops.append(Hop("client", False, f"{source} is not running ({src.status})"))
        return t
    ns = _namespace(state, src)
    if ns is not src:
        t.hops.append(Hop("client", True, f"{source} shares the network namespace of {ns.name} ({_where(ns)})"))
    else:
        t.hops.append(Hop("client", True, f"{source} ({_where(src)})"))
    if _is_loopback(host):
        t.hops.append(Hop("DNS", True, f"{host} means 127.0.0.1: {source}'s own loopback, not another container"))
        t.hops.append(Hop("route", True, f"loopback stays inside {ns.name}'s network namespace"))
        t.hops.append(_listener_hop(ns, port, "127.0.0.1", via_loopback=True))
        return t
    if _is_address(host):
        t.hops.append(Hop("DNS", True, f"{host} is an address already: no lookup needed"))
        targets = [(c, host) for c in state.containers for ep in c.endpoints if ep.ip == host]
    else:
        dns, targets = _resolve(state, ns, host)
        t.hops.append(dns)
        if not dns.ok:
            return t
    target, ip = targets[0] if targets else (None, host)
    shared = [ep.network for ep in ns.endpoints if target is not None and target.ip_on(ep.network) == ip]
    if target is None or not shared:
        t.hops.append(Hop("route", False, f"{source} shares no network with {ip}: the packets go nowhere (time out)"))
        return t
    t.hops.append(Hop("route", True, f"straight across {shared[0]} to {target.name}'s interface {ip}: "
                                     "no host, no NAT, no published port"))
    t.hops.append(_listener_hop(target, port, ip, via_loopback=False))
    return t


def _trace_from_host(state: LabState, t: Trace, host: str, port: int) -> Trace:
    t.hops.append(Hop("client", True, "this machine (the host), outside every container network"))
    if not _is_loopback(host):
        t.hops.append(Hop("DNS", False, f"the host has no embedded DNS: container names like '{host}' do not "
                                        "resolve outside Docker networks"))
        return t
    t.hops.append(Hop("DNS", True, f"{host} is the host's own loopback"))
    for c in state.containers:
        for pub in c.published:
            if pub.host_port == port and c.running:
                ip = next((ep.ip for ep in c.endpoints), "")
                t.hops.append(Hop("route", True, f"published port {pub.host_ip}:{pub.host_port} forwards to "
                                                 f"{c.name}:{pub.container_port} ({ip})"))
                t.hops.append(_listener_hop(c, pub.container_port, ip, via_loopback=False))
                return t
    t.hops.append(Hop("route", False, f"no container publishes port {port} on the host: connection refused"))
    return t


def observe(source: str, url: str) -> str:
    """Make the request for real (curl from the source container, or from the host) and say what happened."""
    import labkit

    line = f"curl -sS -m 3 -o /dev/null -w '%{{http_code}}' {url}"
    result = labkit.host(line) if source == HOST else labkit.docker(f"exec {source} {line}")
    if result.exit_code == 0:
        return f"HTTP {result.stdout.strip()}"
    if result.exit_code in (126, 127):
        return f"{source} has no curl, so the request was not made"
    message = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else f"exit code {result.exit_code}"
    return message
