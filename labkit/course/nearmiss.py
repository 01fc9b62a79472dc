"""Near misses: what a typical wrong attempt left in the lab, named from the lab's state, with the hint that fits it.

Each helper returns a short clause to append to a check's finding ("" when it has nothing to add). They read
the lab snapshot (states, exit codes, networks, published ports, aliases, listeners) and the recorded answer,
never the learner's source text, so the same words come out whatever command or cell produced the state.

A clause is a `Miss`: a string that carries the hint fitting that mistake. Appended to a finding (`found + miss`)
the finding carries the hint too, so the check's part names the mistake and `labkit.check` (labkit.course.checks)
gives that hint, not the exercise's general one.
"""

from __future__ import annotations

import difflib
import ipaddress
import re

from labkit.course.state import ContainerView, LabState
from labkit.netrules import BUILTIN_NETWORKS


class Miss(str):
    """A finding (or a clause of one) that names a mistake, carrying the hint that fits it (`.hint`, "" for none).

    It stays a `str` everywhere (printing, JSON, comparing verdicts). `text + miss` and `miss + text` keep the hint
    (Python asks the right operand first when it is a subclass of the left one's type); when both carry one, the
    clause appended last, the more precise, wins."""

    hint: str

    def __new__(cls, text: str = "", hint: str = "") -> Miss:
        made = super().__new__(cls, text)
        made.hint = hint
        return made

    def __add__(self, other: str) -> Miss:
        return Miss(str.__add__(self, other), getattr(other, "hint", "") or self.hint)

    def __radd__(self, other: str) -> Miss:
        return Miss(str.__add__(other, self), self.hint or getattr(other, "hint", ""))


def hint_of(found: str) -> str:
    """The hint a finding carries ("" when it names no mistake of its own)."""
    return getattr(found, "hint", "") or ""


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
            return Miss(f" — it was never started: its network {mode} does not exist (`docker network ls` lists those "
                        "that do)",
                        f"Spell the network as `docker network ls` lists it, character for character. The failed run "
                        f"still holds the name {c.name}: `docker rm {c.name}` frees it, then run it again.")
        return Miss(" — it was created but never started: the `docker run` that made it failed (read the error it "
                    "printed)",
                    f"Read the error that `docker run` printed and fix what it names; `docker rm {c.name}` frees the "
                    "name the failed run left behind, then run it again.")
    if c.status != "exited":
        return ""
    if c.exit_code == 130:
        return Miss(" — it got an interrupt (SIGINT), as when a cell running `docker run` without -d is stopped: "
                    "run it with -d so it keeps running",
                    "Without -d, `docker run` holds the cell until it is stopped, and stopping the cell stopped the "
                    f"container: `docker rm {c.name}`, then run it again with -d (detached).")
    if c.exit_code in (137, 143):
        return Miss(f" — it was stopped (killed by a signal): `docker start {c.name}` starts it again",
                    f"Nothing is wrong with how {c.name} was made; it was stopped. `docker start {c.name}` starts it "
                    "again with the same settings.")
    how = "finished" if c.exit_code == 0 else "stopped with an error"
    return Miss(f" — its program {how}, and a container runs only as long as its main program",
                f"The command after the image name is what {c.name} runs, and it lives only as long as that command: "
                f"`docker logs {c.name}` shows what it did. Which command keeps running until it is stopped?")


def other_network(state: LabState, c: ContainerView, wanted: str) -> str:
    """When a running container is attached elsewhere: a network named almost like `wanted`, or the default bridge."""
    nets = [ep.network for ep in c.endpoints]
    if not c.running or wanted in nets or not nets:
        return ""
    join = (f"--network {wanted} when you run it, or `docker network connect {wanted} {c.name}` for the running "
            "container")
    close = difflib.get_close_matches(wanted, nets, n=1, cutoff=0.6)
    if close:
        return Miss(f" — {close[0]} is another network than {wanted}, character for character",
                    f"Compare {close[0]} with {wanted} letter by letter: the lesson's network is {wanted}. Put "
                    f"{c.name} on it: {join}.")
    if nets == ["bridge"]:
        return Miss(" — that is the default bridge, where a container goes when no --network is given",
                    f"With no --network, a container lands on the default bridge. Put {c.name} on {wanted}: {join}.")
    return ""


def published_where_none_asked(c: ContainerView) -> str:
    """Why -p is not needed for a server that only other containers use."""
    if not c.published:
        return ""
    return Miss(f" — nothing needs -p here: containers on day8-net reach {c.name}'s port directly; "
                "-p opens a port on the host",
                f"-p is for traffic from the host, and no one on the host needs {c.name}. A port cannot be unpublished: "
                f"remove {c.name} (`docker rm -f {c.name}`) and run it again the same way, without -p.")


def reversed_publish(c: ContainerView, host_port: int, container_port: int) -> str:
    """A -p written the other way round (container port first)."""
    if any(p.host_port == container_port and p.container_port == host_port for p in c.published):
        return Miss(f" — that is reversed: -p takes HOST:CONTAINER, so host port {host_port} to container port "
                    f"{container_port} is -p {host_port}:{container_port}",
                    "-p is written HOST:CONTAINER, the host's side first. A mapping cannot be changed in place: "
                    f"remove {c.name} (`docker rm -f {c.name}`) and run it again with the two numbers swapped.")
    return ""


def loopback_app(c: ContainerView, port: int) -> str:
    """A published port whose app listens on the container's loopback only (forwarded traffic arrives on eth0)."""
    on_port = [lst for lst in c.listeners if lst.port == port]
    if on_port and all(lst.loopback_only for lst in on_port):
        return Miss(f" — {c.name}'s app listens on {on_port[0].address}:{port} only, which traffic forwarded from "
                    "the host cannot reach (it arrives on eth0)",
                    f"The mapping is right; the app inside is not: it listens on {on_port[0].address}. Which image "
                    f"of this lab has its app listening on every interface? Re-create {c.name} from that one.")
    return ""


def shared_default_bridge_only(a: ContainerView, b: ContainerView) -> str:
    """Two containers that share only the default bridge, which has no embedded DNS."""
    shared = {ep.network for ep in a.endpoints} & {ep.network for ep in b.endpoints}
    if shared == {"bridge"}:
        return Miss(f" — {a.name} and {b.name} share only the default bridge, which has no embedded DNS: "
                    "names resolve on user-defined networks",
                    f"Names resolve only on user-defined networks. Put {a.name} and {b.name} on one of those, e.g. "
                    f"`docker network connect day8-net {a.name}` (and the same for {b.name} if it is not there).")
    return ""


def other_project(state: LabState, service: str, project: str) -> str:
    """A compose service's container under another project name (compose names containers PROJECT-SERVICE-N)."""
    wanted = f"{project}-{service}-1"
    others = [c.name for c in state.containers if c.name.endswith(f"-{service}-1") and c.name != wanted]
    if not others:
        return ""
    name = others[0]
    other = name[:-len(service) - 3]
    return Miss(f" — you have {name}, from a project called {other}; the lesson's project is "
                f"{project} (compose names it after the compose file's folder unless -p names it)",
                f"Compose named the project {other} because -p said so (or the file sat in a folder of that name). "
                f"Take it down (the same command with `down` instead of `up -d`), then bring it up as {project}: "
                "without -p, from the file in its own folder.")


def replica_misses(state: LabState, alias: str, network: str) -> str:
    """Containers that almost answer to `alias` on `network`: stopped there, or on another network, or another alias."""
    notes, hints = [], []
    for c in state.containers:
        for ep in c.endpoints:
            if ep.network == network and not c.running:  # a stopped replica is left out of DNS answers
                notes.append(f"{c.name} is on {network} but {c.status}")
                hints.append(f"A stopped replica is left out of DNS answers: `docker start {c.name}`.")
            elif alias in ep.aliases and ep.network != network:
                notes.append(f"{c.name} answers to {alias} on {ep.network}, not {network}")
                hints.append(f"An alias belongs to one network: {c.name} needs {alias} on {network} — "
                             f"`docker network connect --alias {alias} {network} {c.name}`.")
            elif ep.network == network and alias not in ep.aliases:
                close = difflib.get_close_matches(alias, list(ep.aliases), n=1, cutoff=0.75)
                if close:
                    notes.append(f"{c.name} is on {network} as {close[0]}, not {alias}")
                    hints.append(f"Compare {close[0]} with {alias} letter by letter. An alias cannot be renamed: "
                                 f"remove {c.name} and run it again with --network-alias {alias}.")
    return Miss(" — " + "; ".join(notes), hints[0]) if notes else ""


def not_serving(replicas: list[ContainerView], port: int) -> str:
    """What each replica that does not serve on every interface listens on instead."""
    notes, names = [], []
    for c in replicas:
        if not any(lst.port == port and lst.all_interfaces for lst in c.listeners):
            where = ", ".join(f"{lst.address}:{lst.port}" for lst in c.listeners) or "nothing"
            notes.append(f"{c.name} listens on {where}")
            names.append(c.name)
    if not notes:
        return ""
    return Miss("; " + "; ".join(notes),
                f"A replica must run the service itself, listening on 0.0.0.0:{port} as user-1 does. Which image, "
                f"and which command (none after the image), did you give {names[0]}? Re-create it like user-1.")


INTERFACE = re.compile(r"(eth|ens|enp|wlan|veth|br-|docker|lo$)[\w.-]*")  # an interface's name, not an address


def stale(look_up: str = "") -> Miss:
    """The clause for a looked-up value that was right when recorded and the lab has changed since."""
    return Miss(STALE, "Addresses are handed out each time a container starts, so the value you recorded belongs "
                       "to an earlier run. " + (f"Look it up again now ({look_up}) and record it." if look_up else
                                                "Look it up again now and record it."))


def recorded_address(state: LabState, given: str, expected: str, look_up: str = "", asked: str = "") -> str:
    """What a wrong recorded address is, when the lab can tell: a prefix length, a port, a name, someone else's.

    `asked` says what the exercise asks for (e.g. "server's address on day8-net") and `look_up` where the lab shows
    it (e.g. "`labkit.listening(\"server\")`, the numbers before :3000"): the hints point there, never away."""
    where = f" ({look_up})" if look_up else ""
    wanted = asked or "the address"
    if "/" in given and given.split("/", 1)[0] == expected:
        return Miss(" — that has the prefix length (/…) on it: record the address alone",
                    "The /16 after an address is the size of its network, not part of the address: record the "
                    "numbers before the slash.")
    host, sep, port = given.rpartition(":")
    if sep and port.isdigit() and host.strip("[]") == expected:
        return Miss(f" — that has the port (:{port}) on it: record the address alone",
                    f"An address is the part before the colon; :{port} is the port. Record the numbers alone.")
    if state.container(given) is not None:
        return Miss(" — that is not an address but a container's name: record the address (numbers like "
                    "172.18.0.2) it has",
                    f"{given} is a name; the exercise asks for {wanted}, written in numbers{where}.")
    if given == "localhost":
        return Miss(" — localhost is a name, not an address: record the numbers",
                    f"localhost is a name for an address; the exercise wants the address itself, in numbers{where}.")
    if INTERFACE.fullmatch(given):
        return Miss(f" — {given} is the name of a network interface, not an address: record the numbers",
                    f"{given} names an interface; an interface has an address, and the exercise asks for "
                    f"{wanted}, in numbers{where}.")
    try:
        ipaddress.ip_address(given)
    except ValueError:
        if not any(ch.isalnum() for ch in given):  # the cell's placeholder ('...'): not an attempt yet, no mistake
            return " — that is not an address (four numbers joined by dots)"
        return Miss(" — that is not an address (four numbers joined by dots)",
                    f"An address is four numbers joined by dots. The exercise asks for {wanted}{where}.")
    again = f"The exercise asks for {wanted}{where}."
    for c in state.containers:
        for ep in c.endpoints:
            if ep.ip == given:
                return Miss(f" — that is {c.name}'s address on {ep.network}",
                            f"{given} is where other containers reach {c.name} on {ep.network}. " + again)
    for n in state.networks:
        if n.gateway and n.gateway == given:
            return Miss(f" — that is {n.name}'s gateway (the host's side of the network), not a container's address",
                        f"The gateway is the host's end of {n.name}, not a container. " + again)
    if given == DNS_SERVER:
        return Miss(" — that is the embedded DNS server that answered (nslookup's Server:), not the address it gave",
                    "nslookup prints first who answered (Server:, 127.0.0.11), then the answer: the last "
                    "`Address:` line.")
    if ipaddress.ip_address(given).is_loopback:
        return Miss(" — that is a loopback address: every container has its own, and nothing listens there now",
                    "A loopback address is each container's own, reachable from inside it alone; look again at what "
                    "the lab shows now. " + again)
    if given in ("0.0.0.0", "::"):
        return Miss(f" — {given} means every interface, not the one address the lab shows now",
                    f"{given} stands for every address at once, not one of them. " + again)
    return Miss(" — no container of this lab has that address now. An address belongs to the run of the lab it was "
                "looked up in: one copied from an earlier run, or from before the lab was set up again, goes stale. "
                "Look it up in this run and record what it says",
                "Addresses are handed out each time a container starts: look it up in this run of the lab and record "
                "what it says. " + again)
