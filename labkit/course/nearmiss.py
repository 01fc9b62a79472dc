"""Near misses: what a typical wrong attempt left in the lab, named from the lab's state.

Each helper returns a short clause to append to a check's finding ("" when it has nothing to add). They read
the lab snapshot (states, exit codes, networks, published ports, aliases, listeners) and the recorded answer,
never the learner's source text, so the same words come out whatever command or cell produced the state.
"""

from __future__ import annotations

import difflib
import ipaddress

from labkit.course.state import ContainerView, LabState
from labkit.netrules import BUILTIN_NETWORKS

DNS_SERVER = "127.0.0.11"  # Docker's embedded DNS, as a container (and its nslookup) sees it

# a looked-up value that matched the lab when it was recorded, and no longer does
STALE = (" — that was right when you recorded it, and the lab has changed since (a container was re-created or "
         "the lesson set up again: addresses are handed out at each start). Look it up again now, record what it "
         "says (run the cell that looks it up, then your labkit.answer cell), and check again")


def why_stopped(state: LabState, c: ContainerView) -> str:
    """Why a container that is not running is not running: never started, interrupted, killed, or its program ended."""
    if c.status == "created":
        mode = c.network_mode
        if mode and mode not in BUILTIN_NETWORKS and not mode.startswith("container:") and state.network(mode) is None:
            return f" — it was never started: its network {mode} does not exist (`docker network ls` lists those that do)"
        return " — it was created but never started: the `docker run` that made it failed (read the error it printed)"
    if c.status != "exited":
        return ""
    if c.exit_code == 130:
        return (" — it got an interrupt (SIGINT), as when a cell running `docker run` without -d is stopped: "
                "run it with -d so it keeps running")
    if c.exit_code in (137, 143):
        return f" — it was stopped (killed by a signal): `docker start {c.name}` starts it again"
    how = "finished" if c.exit_code == 0 else "stopped with an error"
    return f" — its program {how}, and a container runs only as long as its main program"


def other_network(state: LabState, c: ContainerView, wanted: str) -> str:
    """When a running container is attached elsewhere: a network named almost like `wanted`, or the default bridge."""
    nets = [ep.network for ep in c.endpoints]
    if not c.running or wanted in nets or not nets:
        return ""
    close = difflib.get_close_matches(wanted, nets, n=1, cutoff=0.6)
    if close:
        return f" — {close[0]} is another network than {wanted}, character for character"
    if nets == ["bridge"]:
        return " — that is the default bridge, where a container goes when no --network is given"
    return ""


def published_where_none_asked(c: ContainerView) -> str:
    """Why -p is not needed for a server that only other containers use."""
    if not c.published:
        return ""
    return (f" — nothing needs -p here: containers on day8-net reach {c.name}'s port directly; "
            "-p opens a port on the host")


def reversed_publish(c: ContainerView, host_port: int, container_port: int) -> str:
    """A -p written the other way round (container port first)."""
    if any(p.host_port == container_port and p.container_port == host_port for p in c.published):
        return (f" — that is reversed: -p takes HOST:CONTAINER, so host port {host_port} to container port "
                f"{container_port} is -p {host_port}:{container_port}")
    return ""


def loopback_app(c: ContainerView, port: int) -> str:
    """A published port whose app listens on the container's loopback only (forwarded traffic arrives on eth0)."""
    on_port = [lst for lst in c.listeners if lst.port == port]
    if on_port and all(lst.loopback_only for lst in on_port):
        return (f" — {c.name}'s app listens on {on_port[0].address}:{port} only, which traffic forwarded from "
                "the host cannot reach (it arrives on eth0)")
    return ""


def shared_default_bridge_only(a: ContainerView, b: ContainerView) -> str:
    """Two containers that share only the default bridge, which has no embedded DNS."""
    shared = {ep.network for ep in a.endpoints} & {ep.network for ep in b.endpoints}
    if shared == {"bridge"}:
        return (f" — {a.name} and {b.name} share only the default bridge, which has no embedded DNS: "
                "names resolve on user-defined networks")
    return ""


def other_project(state: LabState, service: str, project: str) -> str:
    """A compose service's container under another project name (compose names containers PROJECT-SERVICE-N)."""
    wanted = f"{project}-{service}-1"
    others = [c.name for c in state.containers if c.name.endswith(f"-{service}-1") and c.name != wanted]
    if not others:
        return ""
    name = others[0]
    return (f" — you have {name}, from a project called {name[:-len(service) - 3]}; the lesson's project is "
            f"{project} (compose names it after the compose file's folder unless -p names it)")


def replica_misses(state: LabState, alias: str, network: str) -> str:
    """Containers that almost answer to `alias` on `network`: stopped there, or on another network, or another alias."""
    notes = []
    for c in state.containers:
        for ep in c.endpoints:
            if ep.network == network and not c.running:  # a stopped replica is left out of DNS answers
                notes.append(f"{c.name} is on {network} but {c.status}")
            elif alias in ep.aliases and ep.network != network:
                notes.append(f"{c.name} answers to {alias} on {ep.network}, not {network}")
            elif ep.network == network and alias not in ep.aliases:
                close = difflib.get_close_matches(alias, list(ep.aliases), n=1, cutoff=0.75)
                if close:
                    notes.append(f"{c.name} is on {network} as {close[0]}, not {alias}")
    return (" — " + "; ".join(notes)) if notes else ""


def not_serving(replicas: list[ContainerView], port: int) -> str:
    """What each replica that does not serve on every interface listens on instead."""
    notes = []
    for c in replicas:
        if not any(lst.port == port and lst.all_interfaces for lst in c.listeners):
            where = ", ".join(f"{lst.address}:{lst.port}" for lst in c.listeners) or "nothing"
            notes.append(f"{c.name} listens on {where}")
    return ("; " + "; ".join(notes)) if notes else ""


def recorded_address(state: LabState, given: str, expected: str) -> str:
    """What a wrong recorded address is, when the lab can tell: a prefix length, a port, a name, someone else's."""
    if "/" in given and given.split("/", 1)[0] == expected:
        return " — that has the prefix length (/…) on it: record the address alone"
    host, sep, port = given.rpartition(":")
    if sep and port.isdigit() and host.strip("[]") == expected:
        return f" — that has the port (:{port}) on it: record the address alone"
    if state.container(given) is not None:
        return " — that is not an address but a container's name: record the address (numbers like 172.18.0.2) it has"
    if given == "localhost":
        return " — localhost is a name, not an address: record the numbers"
    try:
        ipaddress.ip_address(given)
    except ValueError:
        return " — that is not an address: record the numbers (like 172.18.0.2) it resolves to"
    for c in state.containers:
        for ep in c.endpoints:
            if ep.ip == given:
                return f" — that is {c.name}'s address on {ep.network}"
    for n in state.networks:
        if n.gateway and n.gateway == given:
            return f" — that is {n.name}'s gateway (the host's side of the network), not a container's address"
    if given == DNS_SERVER:
        return " — that is the embedded DNS server that answered (nslookup's Server:), not the address it gave"
    if ipaddress.ip_address(given).is_loopback:
        return " — that is a loopback address: every container has its own, and nothing listens there now"
    if given in ("0.0.0.0", "::"):
        return f" — {given} means every interface, not the one address the lab shows now"
    return (" — no container of this lab has that address now. An address belongs to the run of the lab it was "
            "looked up in: one copied from an earlier run, or from before the lab was set up again, goes stale. "
            "Look it up in this run and record what it says")
