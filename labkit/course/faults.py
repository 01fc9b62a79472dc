"""Lesson 15, the finale: a lab with one hidden fault, drawn at random from those the course taught.

The lab: the service `api` (a container named server, from the image day8:v2, with the network alias api on
day8-net) and a client that must get the greeting from `http://api:3000`. `labkit.lesson("15")` builds it with
exactly one fault; the learner diagnoses it with the course's tools (docker ps/inspect/logs/port, network
inspect, labkit.listening, labkit.request_path, labkit.topology), records the cause with
`labkit.answer("15-cause", "…")` from the vocabulary below, repairs the lab, and runs `labkit.check("15-diagnosis")`.

Why the stored outputs stay deterministic (nbval) although the fault is random: everything lesson 15 prints
is the same for every fault — the set-up says "one fault is hidden" and lists only what every variant has, and
the check, with no valid cause recorded, says only that (it does not probe the lab, whose answer differs by
fault). So Run All really draws a new fault each time (never the previous one, when it can), and the released
notebook still matches on both engines. Tests pick the fault with `setup(..., fault=...)`.

Which fault was drawn is kept outside the lab (the learner's repair may remove any container): as a salted
hash in this session's state file, so a curious learner does not read it off `docker inspect`, and the grader
(its own process, same session) finds it.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Callable
from pathlib import Path

from labkit import session
from labkit.course.lessons import ALL_BIND, LOOPBACK_BIND, NETWORK, build_variant, fixed_source
from labkit.images import CURL_IMAGE

SERVICE_IMAGE = "day8:v2"
URL = "http://api:3000"

# the fixed vocabulary of causes, and what each looks like in the lab (said when it is recorded but wrong)
CAUSES: dict[str, str] = {
    "wrong-network": "client and server are on different user-defined networks: client's DNS does not know api "
                     "(curl 6), and `docker network inspect` lists them on different networks",
    "default-bridge": "server runs on the default bridge network, which has no DNS for names or aliases: "
                      "`docker inspect server` shows bridge, and client's curl cannot resolve api (curl 6)",
    "missing-alias": "server is on client's network but does not answer to the name api: `http://server:3000` "
                     "works from client while `http://api:3000` does not resolve (curl 6)",
    "loopback-bind": "server's app listens on 127.0.0.1 only: `labkit.listening(\"server\")` says loopback only, "
                     "the name resolves and the connection is refused (curl 7); the image day8:v2 binds 127.0.0.1",
    "stale-image": "server runs an older build than the image day8:v2 now tagged: it listens on 127.0.0.1 while "
                   "day8:v2 binds 0.0.0.0 (compare `docker inspect server` .Image with `docker inspect "
                   "day8:v2` .Id): it was never re-created after the rebuild",
    "wrong-port": "server's app listens on another port than 3000: `labkit.listening(\"server\")` and "
                  "`docker logs server` say 8000, and a request to port 3000 is refused (curl 7)",
}
FAULTS = tuple(CAUSES)


FAULT_HINTS = (
    "Follow the request hop by hop: labkit.request_path(\"client\", \"http://api:3000\") names the first hop that "
    "fails. curl 6 means the name did not resolve; curl 7 means nothing listens where the request arrives.",
    "For a name: compare the networks and aliases of client and server (docker inspect, docker network inspect). "
    "For a refusal: labkit.listening(\"server\"), docker logs server, and whether server runs the image day8:v2 "
    "is now (docker inspect server vs docker inspect day8:v2).")
FAULT_SOLUTION = """import json, labkit
# the diagnosis, hop by hop, with docker inspect and docker logs (one possible order)
inspect = lambda name: json.loads(labkit.docker(f"inspect {name}").stdout)[0]
server, client = inspect("server"), inspect("client")
server_nets, client_nets = server["NetworkSettings"]["Networks"], client["NetworkSettings"]["Networks"]
if "bridge" in server_nets:
    cause = "default-bridge"                       # no DNS for names on the default bridge
elif not set(client_nets) & set(server_nets):
    cause = "wrong-network"                        # no shared network: the name cannot resolve
elif "api" not in (server_nets["day8-net"].get("Aliases") or []):
    cause = "missing-alias"                        # on the network, but not called api
elif server["Image"] != inspect("day8:v2")["Id"]:
    cause = "stale-image"                          # created from an older build than day8:v2 now
elif "8000" in labkit.docker("logs server").stdout:
    cause = "wrong-port"                           # the app says where it listens
else:
    cause = "loopback-bind"                        # labkit.listening("server") says 127.0.0.1
labkit.answer("15-cause", cause)
# the repair
if cause == "wrong-network":
    labkit.docker("network connect day8-net client")
else:  # a server from the image day8 (every interface, port 3000), on day8-net, called api
    labkit.docker("rm -f server")
    labkit.docker("run -d --name server --network day8-net --network-alias api day8")"""


def _state_file() -> Path:
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "labkit"
    return base / f"lesson15-{session.current().id}.json"


def _token(fault: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{fault}".encode()).hexdigest()


def remember(fault: str) -> None:
    """Keep which fault this session's lab was built with (salted and hashed)."""
    salt = os.urandom(8).hex()
    path = _state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"salt": salt, "fault": _token(fault, salt)}), encoding="utf-8")


def drawn() -> str | None:
    """The fault this session's lesson-15 lab was built with, or None when there is none."""
    try:
        data = json.loads(_state_file().read_text(encoding="utf-8"))
        salt, token = data["salt"], data["fault"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return next((f for f in FAULTS if _token(f, salt) == token), None)


def draw(rng: random.Random | None = None) -> str:
    """A fault at random, LABKIT_FAULT if set (for demonstrations), never the previous one when it can."""
    wanted = os.environ.get("LABKIT_FAULT", "").strip()
    if wanted in FAULTS:
        return wanted
    previous = drawn()
    return (rng or random.SystemRandom()).choice([f for f in FAULTS if f != previous])


def setup(docker: Callable[[str], None], fault: str | None = None) -> list[str]:
    """Build the service and the client with one fault (drawn unless given); the lines lesson 15 prints,
    the same for every fault."""
    fault = fault or draw()
    if fault not in FAULTS:
        raise ValueError(f"no fault {fault!r}; the faults are {', '.join(FAULTS)}")
    bind = {"loopback-bind": lambda t: t, "stale-image": lambda t: t,
            "wrong-port": lambda t: t.replace(LOOPBACK_BIND, ALL_BIND.replace("3000", "8000"))
                                     .replace("port 3000", "port 8000")}.get(fault, fixed_source)
    build_variant(bind, SERVICE_IMAGE)
    server_net = {"default-bridge": ""}.get(fault, f" --network {NETWORK}")
    alias = "" if fault in ("default-bridge", "missing-alias") else " --network-alias api"
    docker(f"run -d --name server{server_net}{alias} {SERVICE_IMAGE}")
    if fault == "stale-image":
        build_variant(fixed_source, SERVICE_IMAGE)  # rebuilt, fixed — and server was not re-created
    client_net = NETWORK
    if fault == "wrong-network":
        client_net = "day8-network"
        docker(f"network create {client_net}")
    docker(f"run -d --name client --network {client_net} {CURL_IMAGE} sleep infinity")
    remember(fault)
    return [f"  image      {SERVICE_IMAGE:<14} the service's image (day8 with a few changes)",
            "  container  server         the service api: day8:v2, on a network, maybe with an alias",
            f"  container  client         {CURL_IMAGE}, idle: it must get the greeting from {URL}",
            "  fault      one, hidden    something the course taught is wrong; find it, record it, repair it"]


def check_diagnosis(ctx) -> list[tuple[str, bool, str]]:
    """15: the recorded cause is the lab's fault (each wrong cause says what it would look like), and after the
    repair client gets the greeting from http://api:3000."""
    given = (ctx.answers.get("15-cause") or "").strip().lower()
    vocabulary = ", ".join(FAULTS)
    if given not in CAUSES:
        found = (f"you recorded {given!r}; write one of: {vocabulary}" if given else
                 f"nothing recorded yet: run labkit.answer(\"15-cause\", \"…\") with one of: {vocabulary}")
        return [("a cause from the course's list is recorded", False, found)]
    parts = [("a cause from the course's list is recorded", True, f"you recorded {given!r}")]
    truth = drawn()
    if truth is None:
        parts.append(("the cause is the lab's fault", False,
                      "this session has no lesson-15 lab: run labkit.lesson(\"15\") first"))
        return parts
    parts.append(("the cause is the lab's fault", given == truth,
                  "right" if given == truth else f"not {given}: that would look like this — {CAUSES[given]}"))
    r = ctx.docker(f"exec client curl -sS -m 5 {URL}")
    got = (r.stdout.strip() or r.stderr.strip() or f"exit code {r.exit_code}").splitlines()[-1]
    parts.append((f"client gets 'Hello from inside the container' from {URL}",
                  r.exit_code == 0 and "Hello from inside the container" in r.stdout, f"curl said: {got}"))
    return parts
