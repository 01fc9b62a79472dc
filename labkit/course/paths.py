"""The path of one request, hop by hop (client → DNS → route → listener), worked out from engine state.

`trace(state, source, url)` explains where a request from `source` (a container name, or "host" for
this machine) to `url` would go, and marks the first hop that fails and why. `observe` then makes
the request for real, so the learner sees the model and the engine agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from labkit import netrules
from labkit.course.state import ContainerView, LabState

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


def _where(c: ContainerView) -> str:
    nets = ", ".join(f"{ep.ip or 'no address (stopped)'} on {ep.network}" for ep in c.endpoints)
    return nets or f"network {c.network_mode or 'none'}"


def _dns_failure(state: LabState, src: ContainerView, name: str, user_nets: list[str]) -> Hop:
    """Why the embedded DNS had no answer: say where the name lives, if anywhere."""
    elsewhere = [c for c in state.containers if c.name == name or any(name in ep.aliases for ep in c.endpoints)]
    if elsewhere and elsewhere[0].running:
        other = ", ".join(ep.network for ep in elsewhere[0].endpoints) or "no network"
        return Hop("DNS", False, f"{name} exists but is on {other}, and {src.name} is on "
                                 f"{', '.join(user_nets)}: DNS answers only for containers on a shared network")
    if elsewhere:
        return Hop("DNS", False, f"{name} exists but is not running, so DNS drops its name")
    return Hop("DNS", False, f"no container or alias called {name} on {', '.join(user_nets)}: "
                             "the lookup fails (Could not resolve host)")


def _dns_hop(state: LabState, src: ContainerView, ns: ContainerView, host: str, found: netrules.Lookup) -> Hop:
    """The DNS hop, phrased from what the rules answered."""
    user_nets = [ep.network for ep in ns.endpoints if ep.network not in netrules.BUILTIN_NETWORKS]
    if found.source == "literal":
        return Hop("DNS", True, f"{host} is an address already: no lookup needed")
    if found.source == "hosts" and netrules.is_loopback(host):
        return Hop("DNS", True, f"{host} means 127.0.0.1: {src.name}'s own loopback, not another container")
    if found.source == "hosts":
        return Hop("DNS", True, f"{host} is {src.name}'s own hostname: its /etc/hosts maps it to {found.addresses[0]}")
    if found.source == "none":
        return Hop("DNS", False, f"{src.name} is only on the default bridge network, which has no embedded DNS: "
                                 f"'{host}' does not resolve")
    if not found.addresses:
        return _dns_failure(state, src, host, user_nets)
    return Hop("DNS", True, f"127.0.0.11 answers {host} → {', '.join(found.addresses)} "
                            f"(on {', '.join(sorted(set(user_nets)))})")


def _listener_hop(target: ContainerView, port: int, arrived_on: str) -> Hop:
    listening = [lst for lst in target.listeners if lst.port == port]
    if target.listeners_unknown:
        return Hop("listener", False, f"what {target.name} listens on is unknown: {target.listeners_unknown}")
    if not listening:
        return Hop("listener", False, f"nothing in {target.name} listens on port {port}: connection refused")
    shown = ", ".join(f"{lst.address}:{lst.port}" for lst in listening)
    if any(netrules.accepts(lst.address, arrived_on) for lst in listening):
        return Hop("listener", True, f"{target.name} listens on {shown}")
    if netrules.is_loopback(arrived_on):
        return Hop("listener", False, f"{target.name} listens on {shown} only: a request to its loopback "
                                      f"({arrived_on}) finds no listener there: connection refused")
    return Hop("listener", False, f"{target.name} listens on {shown} only: a request arriving on {arrived_on} "
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
    rules = state.rules()
    box = rules.find(src.id or src.name)
    ns_box = rules.namespace(box)
    ns = state.container(ns_box.name) or src
    if ns is not src:
        t.hops.append(Hop("client", True, f"{source} shares the network namespace of {ns.name} ({_where(ns)})"))
    else:
        t.hops.append(Hop("client", True, f"{source} ({_where(src)})"))
    found = rules.lookup(box, host)
    dns = _dns_hop(state, src, ns, host, found)
    t.hops.append(dns)
    if not dns.ok:
        return t
    ip = found.addresses[0]
    route = rules.route(box, ip)
    if route.verdict == "loopback":
        t.hops.append(Hop("route", True, f"loopback stays inside {ns.name}'s network namespace"))
        t.hops.append(_listener_hop(ns, port, ip if netrules.is_address(ip) else "127.0.0.1"))
    elif route.verdict == "self":
        t.hops.append(Hop("route", True, f"{ip} is {ns.name}'s own interface on {route.network}: "
                                         "the packets never leave its namespace"))
        t.hops.append(_listener_hop(ns, port, ip))
    elif route.verdict == "direct" and route.target is not None:
        target = state.container(route.target.name)
        t.hops.append(Hop("route", True, f"straight across {route.network} to {route.target.name}'s interface {ip}: "
                                         "no host, no NAT, no published port"))
        t.hops.append(_listener_hop(target, port, ip))
    elif route.verdict == "refused":
        t.hops.append(Hop("route", False, f"{ip} is the network's gateway, the host: nothing there serves "
                                          "containers (connection refused)"))
    elif route.verdict == "unreachable" and route.network == "ipv6":
        t.hops.append(Hop("route", False, f"{ip} is IPv6, and {ns.name} has no IPv6 address (Docker gives none on "
                                          "networks without IPv6, not even ::1): the connection cannot be made"))
    elif route.verdict == "unreachable":
        t.hops.append(Hop("route", False, f"{ns.name} has no network interface besides loopback: "
                                          "the network is unreachable"))
    elif route.network:
        t.hops.append(Hop("route", False, f"nobody on {route.network} holds {ip} (a stopped container gives its "
                                          "address back): the packets go nowhere (time out)"))
    else:
        t.hops.append(Hop("route", False, f"{source} shares no network with {ip}: the packets go nowhere (time out)"))
    return t


def _trace_from_host(state: LabState, t: Trace, host: str, port: int) -> Trace:
    t.hops.append(Hop("client", True, "this machine (the host), outside every container network"))
    if not netrules.is_loopback(host):
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
                t.hops.append(_listener_hop(c, pub.container_port, ip))
                return t
    t.hops.append(Hop("route", False, f"no container publishes port {port} on the host: connection refused"))
    return t


def observe(source: str, url: str) -> str:
    """Make the request for real (curl from the source container, or from the host) and say what happened."""
    from labkit.contract.transcript import run_docker, run_line

    line = f"curl -sS -m 3 -o /dev/null -w '%{{http_code}}' {url}"
    result = run_line(line) if source == HOST else run_docker(f"exec {source} {line}")
    if result.exit_code == 0:
        return f"HTTP {result.stdout.strip()}"
    if result.exit_code in (126, 127):
        return f"{source} has no curl, so the request was not made"
    message = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else f"exit code {result.exit_code}"
    return message
