"""The course's predictions: for each, the question, its choices (or free text), the command that reveals it, and a
judge that reads what that command really did (exit code and output) and says which choices held.

Each outcome's description is fixed text (no ids, addresses or timings), so a reveal with no prediction prints
the same on both engines. A judge that meets an outcome it does not know says so with curl's own last line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from labkit.contract.result import Result

HELLO = "Hello from inside the container"


@dataclass(frozen=True)
class Outcome:
    """What happened, in fixed words, and which choices it makes true (or, for free text, a test of the text)."""

    happened: str
    keys: frozenset[str] = frozenset()
    accept: Callable[[str], bool] | None = None

    def holds(self, guess: str) -> bool:
        """True when the guess (a choice key or a text) matches what happened."""
        return self.accept(guess) if self.accept else guess in self.keys


@dataclass(frozen=True)
class Prediction:
    """One prediction: question, choices (empty: free text), the revealing command and its judge."""

    prompt: str
    choices: tuple[tuple[str, str], ...]
    command: str  # the command that reveals it, as the lesson writes it
    judge: Callable[[list[Result]], Outcome]
    needle: str = field(default="")  # a result whose command contains this reveals it (default: command)

    def reveals(self, result: Result) -> bool:
        """True when this result is the revealing command's."""
        return (self.needle or self.command) in result.cmd


def _last_line(r: Result) -> str:
    lines = (r.stderr.strip() or r.stdout.strip() or f"exit code {r.exit_code}").splitlines()
    return lines[-1]


def _other(r: Result) -> Outcome:
    return Outcome(f"something none of the choices describes: {_last_line(r)}")


# -- judges shared by several predictions ----------------------------------------------------
def curl_outcome(refused: str = "b", dropped: str = "c", greeting: str = "a", unresolved: str = "",
                 timeout: str = "d") -> Callable[[list[Result]], Outcome]:
    """Judge a curl by its exit code: the greeting (0), no such name (6), refused (7), timed out (28), or
    accepted then dropped (52 empty reply, 56 reset: which one is a race on Docker, so either holds)."""
    def judge(results: list[Result]) -> Outcome:
        r = results[-1]
        if r.exit_code == 0 and HELLO in r.stdout:
            return Outcome("the request got the greeting, Hello from inside the container", frozenset({greeting}))
        if r.exit_code == 6 and unresolved:
            return Outcome("curl could not resolve the name (curl 6): no DNS answer for it", frozenset({unresolved}))
        if r.exit_code == 7:
            return Outcome("the connection was refused (curl 7): nothing listens on that address and port",
                           frozenset({refused}))
        if r.exit_code == 28 and timeout:
            return Outcome("curl gave up after its timeout (curl 28): the packets reached nobody",
                           frozenset({timeout}))
        if r.exit_code in (52, 56):
            return Outcome("the connection was accepted and then dropped — curl 52 (empty reply) or 56 (reset), "
                           "which one is a race: Docker's port forwarder took the connection, then found nothing "
                           "listening on the container's eth0", frozenset({dropped}))
        return _other(r)

    return judge


def _ps_empty(results: list[Result]) -> Outcome:
    r = results[-1]
    rows = r.stdout.strip().splitlines()
    if r.exit_code == 0 and len(rows) == 1 and rows[0].startswith("CONTAINER ID"):
        return Outcome("only the header line: no containers", frozenset({"a"}))
    if r.exit_code == 0 and not rows:
        return Outcome("nothing at all", frozenset({"c"}))
    if r.exit_code != 0:
        return Outcome("an error", frozenset({"b"}))
    return Outcome(f"{len(rows) - 1} container(s) listed", frozenset({"d"}))


def _builtin_networks(results: list[Result]) -> Outcome:
    r = results[-1]
    names = {row.split()[1] for row in r.stdout.strip().splitlines()[1:] if len(row.split()) > 1}
    builtin = {"bridge", "host", "none"}
    if builtin <= names and "day8-net" not in names:
        more = sorted(names - builtin)  # on a daemon shared with others, their networks are listed too
        return Outcome("three networks exist already, built in: bridge, host and none" +
                       (f" (and, made by others on this daemon: {', '.join(more)})" if more else ""), frozenset({"b"}))
    if not names:
        return Outcome("no networks", frozenset({"a"}))
    return Outcome("these networks: " + ", ".join(sorted(names)), frozenset({"c"} if "day8-net" in names else ()))


def _printed_id(results: list[Result], name_key: str = "b") -> Outcome:
    r = results[-1]
    out = r.stdout.strip()
    if r.exit_code == 0 and re.fullmatch(r"[0-9a-f]{64}", out):
        return Outcome("one line: the new object's full ID (64 hex digits)", frozenset({"c"}))
    if r.exit_code == 0 and not out:
        return Outcome("nothing", frozenset({"a"}))
    return _other(r) if r.exit_code else Outcome(f"this: {out.splitlines()[0]}", frozenset({name_key}))


def _run_d(results: list[Result]) -> Outcome:
    r = results[-1]
    out = r.stdout.strip()
    if r.exit_code == 0 and re.fullmatch(r"[0-9a-f]{64}", out):
        return Outcome("one line: the new container's full ID; the server's own output goes to its log",
                       frozenset({"b"}))
    if "Server listening" in out:
        return Outcome("the server's own output", frozenset({"a"}))
    return _other(r) if r.exit_code else Outcome("nothing", frozenset({"c"}))


def _port_none(results: list[Result]) -> Outcome:
    r = results[-1]
    if r.exit_code == 0 and not r.stdout.strip():
        return Outcome("nothing: no host port leads to this container", frozenset({"a"}))
    if r.exit_code == 0:
        return Outcome("a mapping: " + r.stdout.strip().splitlines()[0], frozenset({"c"}))
    return Outcome("an error", frozenset({"d"}))


def _typo_network(results: list[Result]) -> Outcome:
    r = results[-1]
    created = bool(re.match(r"[0-9a-f]{64}", r.stdout.strip()))
    if r.exit_code != 0 and "not found" in r.stderr:
        if created:
            return Outcome("an error (network … not found), after the container was created: it stays, in state "
                           "Created, holding the name", frozenset({"c"}))
        return Outcome("an error (network … not found), and no container is left", frozenset({"b"}))
    if r.exit_code == 0:
        return Outcome("the container runs", frozenset({"a", "d"}))
    return _other(r)


def _nslookup_server(results: list[Result]) -> Outcome:
    r = results[-1]
    if "127.0.0.11" in r.stdout and re.search(r"Name:\s*server\s*\nAddress: \S+", r.stdout):
        return Outcome("127.0.0.11, Docker's embedded DNS server inside the container, answered with server's "
                       "address on day8-net", frozenset({"a"}))
    if "NXDOMAIN" in r.stdout:
        return Outcome("the DNS server does not know the name (NXDOMAIN)", frozenset({"b"}))
    return _other(r)


def _ps_server(results: list[Result]) -> Outcome:
    r = results[-1]
    row = next((line for line in r.stdout.splitlines() if line.rstrip().endswith(" server")), "")
    if not row:
        return Outcome("server is not listed", frozenset({"d"}))
    if " Up " in row and "->" in row:
        return Outcome("server is Up, with a published port (an arrow) in PORTS", frozenset({"c"}))
    if " Up " in row and "3000/tcp" in row:
        return Outcome("server is Up, and PORTS shows 3000/tcp with no arrow: declared, not published",
                       frozenset({"a"}))
    return Outcome("server is not running (Exited)", frozenset({"b"}))


def _fetch_inside(results: list[Result]) -> Outcome:
    r = results[-1]
    if r.exit_code == 0 and HELLO in r.stdout:
        return Outcome("the request inside server's own namespace got the greeting", frozenset({"a"}))
    return Outcome("the request inside server's own namespace failed: " + _last_line(r), frozenset({"b"}))


def _eth0(results: list[Result]) -> Outcome:
    out = results[-1].stdout
    if "eth0 address: ok" in out:
        return Outcome("the connection to server's own eth0 address was accepted", frozenset({"a"}))
    if "eth0 address: refused" in out:
        return Outcome("refused: nothing listens on the eth0 address, even for a program in the same container",
                       frozenset({"b"}))
    return _other(results[-1])


def _members(results: list[Result]) -> Outcome:
    r = results[-1]
    try:
        members = sorted(m["Name"] for m in json.loads(r.stdout)[0]["Containers"].values())
    except (ValueError, KeyError, IndexError, TypeError):
        return _other(r)
    key = {1: "a", 2: "b", 3: "d"}.get(len(members), "")
    return Outcome(f"{len(members)} container(s): {', '.join(members)}, each with an address in day8-net's subnet",
                   frozenset({key} if key else ()))


def _compose_network(results: list[Result]) -> Outcome:
    out = results[-1].stdout + results[-1].stderr
    nets = re.findall(r"Network (\S+)\s+Created", out)
    if not nets:
        return _other(results[-1])
    named = {n.lower() for n in nets}
    return Outcome(f"Compose created the network {', '.join(nets)} (the project name, then _default)",
                   accept=lambda text: text.strip().strip("`'\"").lower() in named)


def _db_and_localhost(results: list[Result]) -> Outcome:
    by_name = {"db": None, "localhost": None}
    for r in results:
        for name in by_name:
            if f"http://{name}:5432" in r.cmd:
                by_name[name] = r.exit_code == 0 and "HTTP 200" in r.stdout
    if None in by_name.values():
        return Outcome("only one of the two requests ran: run the whole cell above")
    db, local = by_name["db"], by_name["localhost"]
    key = {(True, True): "a", (True, False): "b", (False, True): "c", (False, False): "d"}[(db, local)]
    words = {True: "answered (HTTP 200)", False: "got no answer"}
    return Outcome(f"db:5432 {words[db]}; localhost:5432 {words[local]}", frozenset({key}))


def _dns_count(results: list[Result]) -> Outcome:
    r = results[-1]
    count = r.stdout.strip()
    if r.exit_code != 0 or not count.isdigit() or count == "0":
        return Outcome("no address: the name does not resolve", frozenset({"c"}))
    return Outcome(f"{count} address(es), one per running replica", frozenset({"a" if count == "1" else "b"}))


def _rebuilt(results: list[Result]) -> Outcome:
    steps = {"build": None, "rm": None, "run": None}
    for r in results:
        words = r.cmd.split()
        verb = words[1] if len(words) > 1 else ""
        if verb in steps:
            steps[verb] = r.exit_code == 0
    if not all(steps.values()):
        missing = ", ".join(k for k, v in steps.items() if not v)
        return Outcome(f"not every step ran or succeeded ({missing}): the container may still run the old image")
    return Outcome("the image was rebuilt from day8/, and server was removed and created again from the new build: "
                   "a container keeps the image it was created from, so both steps are needed", frozenset({"c"}))


def _port_interfaces(results: list[Result]) -> Outcome:
    r = results[-1]
    hosts = [line.split(" -> ", 1)[1].rsplit(":", 1)[0] for line in r.stdout.splitlines() if " -> " in line]
    if r.exit_code != 0 or not hosts:
        return _other(r)
    if "0.0.0.0" in hosts:
        return Outcome("every interface of the host: 0.0.0.0 (IPv4) and [::] (IPv6), not only localhost",
                       frozenset({"b"}))
    return Outcome("only " + ", ".join(hosts), frozenset({"a"}))


def _second_server(results: list[Result]) -> Outcome:
    r = results[-1]
    code = r.stdout.strip()
    if r.exit_code == 0 and code == "1":
        return Outcome("the second server exited with code 1: its port was taken (Address already in use)",
                       frozenset({"b"}))
    if r.exit_code == 0 and code == "0":
        return Outcome("the second server exited with code 0", frozenset({"c"}))
    return _other(r)


_PUBLISHED_LOOPBACK = (("a", "The greeting: -p fixes it"), ("b", "Refused at once (curl 7): nothing on the host listens"),
                       ("c", "The host's side accepts, then the connection is dropped (curl 52 or 56)"),
                       ("d", "A timeout (curl 28)"))

PREDICTIONS: dict[str, Prediction] = {
    "00-ps": Prediction(
        "The lab is empty. What will `docker ps -a` print?",
        (("a", "Only the header line"), ("b", "An error: there are no containers"), ("c", "Nothing at all"),
         ("d", "Docker's own system containers")), "docker ps -a", _ps_empty),
    "01-networks": Prediction(
        "Before we create anything, which networks does the engine already have?",
        (("a", "None"), ("b", "Three built-in ones: bridge, host and none"), ("c", "day8-net"),
         ("d", "Only bridge")), "docker network ls", _builtin_networks),
    "01-create": Prediction(
        "What does `docker network create day8-net` print on success?",
        (("a", "Nothing"), ("b", "The name, day8-net"), ("c", "A long ID"), ("d", "A table of networks")),
        "docker network create day8-net", _printed_id),
    "02-run-d": Prediction(
        "What does `docker run -d --name server … day8` print?",
        (("a", "Server listening on port 3000"), ("b", "The new container's ID"), ("c", "Nothing")),
        "docker run -d --name server", _run_d),
    "02-port": Prediction(
        "We published no port. What does `docker port server` show?",
        (("a", "Nothing"), ("b", "3000/tcp"), ("c", "A mapping such as 3000/tcp -> 0.0.0.0:3000"), ("d", "An error")),
        "docker port server", _port_none),
    "03-typo": Prediction(
        "You mistype the network name: `docker run -d --name client --network day8-netwrok …`. What happens?",
        (("a", "Docker creates the network day8-netwrok and runs the container"),
         ("b", "An error, and nothing is left behind"),
         ("c", "An error — but the container was created first, and it keeps the name client"),
         ("d", "It runs on the default bridge instead")), "--network day8-netwrok", _typo_network),
    "03-isolated": Prediction(
        "client is on day8-network, server on day8-net. From client, `curl http://server:3000`?",
        (("a", "The greeting"), ("b", "The name does not resolve (curl 6)"), ("c", "Refused (curl 7)"),
         ("d", "A timeout (curl 28)")), "docker exec client curl -sS -m 5 http://server:3000",
        curl_outcome(refused="c", greeting="a", unresolved="b", timeout="d", dropped="")),
    "04-nslookup": Prediction(
        "A one-shot client on day8-net asks DNS for `server`. What comes back?",
        (("a", "From 127.0.0.11: server's address on day8-net"), ("b", "NXDOMAIN: the name is unknown"),
         ("c", "The host's address")), "nslookup -type=a server", _nslookup_server),
    "05-dns": Prediction(
        "Inside client, who answers DNS questions, and what does it say about `server`?",
        (("a", "127.0.0.11 (Docker's embedded DNS), with server's address on day8-net"),
         ("b", "The host's resolver: it does not know server"), ("c", "A public DNS server")),
        "docker exec client nslookup -type=a server", _nslookup_server),
    "05-web": Prediction(
        "No port is published. Does client get an HTTP answer from `http://web:8000/`?",
        (("a", "Yes: HTTP 200"), ("b", "No: refused, because nothing is published"),
         ("c", "No: the name does not resolve")), "http://web:8000/",
        lambda rs: Outcome("HTTP 200: name → DNS → address → app, no published port", frozenset({"a"}))
        if rs[-1].exit_code == 0 and "HTTP 200" in rs[-1].stdout
        else curl_outcome(refused="b", unresolved="c", greeting="a", dropped="", timeout="")(rs)),
    "05-hello": Prediction(
        "And `curl http://server:3000` from client, the request from the notes?",
        (("a", "Hello from inside the container"), ("b", "The name does not resolve (curl 6)"),
         ("c", "The name resolves, but the connection is refused (curl 7)")),
        "docker exec client curl -sS http://server:3000", curl_outcome(refused="c", unresolved="b", dropped="",
                                                                        timeout="")),
    "06-localhost": Prediction(
        "server listens on port 3000. Inside client, `curl http://localhost:3000` gives:",
        (("a", "server's greeting"), ("b", "Refused: client's own loopback, where nothing listens"),
         ("c", "The name localhost does not resolve"), ("d", "A timeout")),
        "http://localhost:3000", curl_outcome(refused="b", unresolved="c", dropped="")),
    "07-ps": Prediction(
        "Is the server even running? What will `docker ps -a` say about it?",
        (("a", "Up, with 3000/tcp in PORTS"), ("b", "Exited"), ("c", "Up, with 0.0.0.0:3000->3000/tcp in PORTS"),
         ("d", "It is not listed")), "docker ps -a", _ps_server),
    "08-inside": Prediction(
        "From inside the server container, does a request to `127.0.0.1:3000` work?",
        (("a", "Yes: the greeting"), ("b", "No")), "urlopen('http://127.0.0.1:3000')", _fetch_inside),
    "08-eth0": Prediction(
        "And from inside the server container, a connection to its own eth0 address, port 3000?",
        (("a", "Accepted"), ("b", "Refused")), "connect_ex", _eth0),
    "08-published": Prediction(
        "Publish this loopback-bound image (`-p 8084:3000`) and ask from the host: what does curl get?",
        _PUBLISHED_LOOPBACK, "http://localhost:8084", curl_outcome(refused="b", dropped="c")),
    "09-rebuild": Prediction(
        "server still runs the old image. What must happen before your change takes effect?",
        (("a", "Nothing: the container reads the edited file"), ("b", "Restart the container"),
         ("c", "Rebuild the image, then remove and re-create the container"), ("d", "Rebuild the image only")),
        "build, rm -f server, run", _rebuilt, needle="docker "),
    "10-members": Prediction(
        "How many containers will `docker network inspect day8-net` list, and with which addresses?",
        (("a", "One: server"), ("b", "Two: client and server, each with an address in day8-net's subnet"),
         ("c", "None: containers are not part of a network's record"), ("d", "Three: the gateway too")),
        "docker network inspect day8-net", _members),
    "11-host-3000": Prediction(
        "From the host, does `curl http://localhost:3000` reach server (no -p)?",
        (("a", "Yes: the greeting"), ("b", "No: refused, nothing on the host listens on 3000"),
         ("c", "No: accepted, then dropped"), ("d", "No: a timeout")), "http://localhost:3000",
        curl_outcome(refused="b", dropped="c")),
    "11-interfaces": Prediction(
        "`-p 8081:3000`: on which of the host's addresses does Docker accept connections for port 8081?",
        (("a", "Only localhost (127.0.0.1)"), ("b", "Every interface of the host (0.0.0.0 and [::])"),
         ("c", "Only the address of the docker0 bridge")), "docker port demo-published", _port_interfaces),
    "11-loopback": Prediction(
        "Publish the original server (`day8:loopback`, bound to 127.0.0.1) with `-p 8082:3000`. What does the "
        "host's curl get?", _PUBLISHED_LOOPBACK, "http://localhost:8082", curl_outcome(refused="b", dropped="c")),
    "12-network": Prediction(
        "Which network will Compose create for the project `shop`? Type its name.", (),
        "docker compose -f assets/shop/compose.yaml up -d", _compose_network),
    "12-localhost": Prediction(
        "From api, does `db:5432` answer? And `localhost:5432`?",
        (("a", "Both answer"), ("b", "db:5432 answers, localhost:5432 does not"),
         ("c", "localhost:5432 answers, db:5432 does not"), ("d", "Neither")), ":5432", _db_and_localhost),
    "13-dns": Prediction(
        "user-1 and user-2 both answer to `user-service`. What does DNS return for it?",
        (("a", "One address"), ("b", "Two addresses, one per replica"), ("c", "No address: a name, one container")),
        "nslookup -type=a user-service", _dns_count),
    "13-port-taken": Prediction(
        "A second server joins server's network namespace and binds port 3000 too. What happens to it?",
        (("a", "It serves alongside: each container has its own ports"),
         ("b", "It dies: the namespace's port 3000 is taken (Address already in use)"),
         ("c", "It waits until the port is free")), "docker wait second", _second_server),
    "14-bridge": Prediction(
        "A container on the default `bridge` network asks for `http://server:3000`. What does curl get?",
        (("a", "The greeting"), ("b", "The name does not resolve (curl 6)"), ("c", "Refused (curl 7)")),
        "docker run --rm curlimages/curl:8.14.1 curl", curl_outcome(refused="c", unresolved="b", dropped="",
                                                                   timeout="")),
    "14-lonely-host": Prediction(
        "lonely binds 127.0.0.1 and publishes `-p 8083:3000`. What does the host's curl get?",
        _PUBLISHED_LOOPBACK, "http://localhost:8083", curl_outcome(refused="b", dropped="c")),
}
