"""Lesson 15 · Troubleshooting, the finale: a lab with one hidden fault, drawn from those the course taught — one\nper learner.

The lab: the service `api` (a container named server, from the image day8:v2, with the network alias api on
day8-net) and a client that must get the greeting from `http://api:3000`. `labkit.lesson("15")` builds it with
exactly one fault; the learner diagnoses it with the course's tools (docker ps/inspect/logs/port, network
inspect, labkit.listening, labkit.request_path, labkit.topology), records the cause with
`labkit.answer("15-cause", "…")` from the vocabulary below, repairs the lab, and runs `labkit.check("15-diagnosis")`.

Which fault: a salted hash of the lesson and the learner's identity picks it (`drawn`), so it is random across
learners and the same for one learner in every run — Restart & Run All, another day, a new daemon, and
`labkit grade`, whose kernel and checks run in boxes with HOME and TMPDIR of their own: nothing is kept in a
file, so nothing can be missing. The identity is LABKIT_LEARNER when set (the grader sets it to the learner's
name in its submissions, and passes the same name to the checks as Context.learner), else JUPYTERHUB_USER (a
hub's learner), else the login name. LABKIT_FAULT picks a fault by name instead (demonstrations, tests).

Why the stored outputs stay deterministic (nbval) although the fault depends on who runs: everything lesson 15
prints is the same for every fault — the set-up says "one fault is hidden" and lists only what every variant
has, and the check, with no valid cause recorded, says only that (it does not probe the lab, whose answer differs
by fault). The fault is stated nowhere the learner reads: not in the lab's labels or names, not in a file."""

from __future__ import annotations

import getpass
import hashlib
import os
from collections.abc import Callable

from labkit.course import addressing
from labkit.course.labbuild import ALL_BIND, LOOPBACK_BIND, NETWORK, build_variant, fixed_source
from labkit.course.nearmiss import Miss
from labkit.course.vocabulary import Lesson, Plan, exercise
from labkit.courseimages import CURL_IMAGE

KEY = "15"

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
    "loopback-bind": 'server\'s app listens on 127.0.0.1 only: `labkit.listening("server")` says loopback only, '
    "the name resolves and the connection is refused (curl 7); the image day8:v2 binds 127.0.0.1",
    "stale-image": "server runs an older build than the image day8:v2 now tagged: it listens on 127.0.0.1 while "
    "day8:v2 binds 0.0.0.0 (compare `docker inspect server` .Image with `docker inspect "
    "day8:v2` .Id): it was never re-created after the rebuild",
    "wrong-port": 'server\'s app listens on another port than 3000: `labkit.listening("server")` and '
    "`docker logs server` say 8000, and a request to port 3000 is refused (curl 7)",
}
FAULTS = tuple(CAUSES)


FAULT_HINTS = (
    'Follow the request hop by hop: labkit.request_path("client", "http://api:3000") names the first hop that '
    "fails. curl 6 means the name did not resolve; curl 7 means nothing listens where the request arrives.",
    "For a name: compare the networks and aliases of client and server (docker inspect, docker network inspect). "
    'For a refusal: labkit.listening("server"), docker logs server, and whether server runs the image day8:v2 '
    "is now (docker inspect server vs docker inspect day8:v2).",
)
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


SALT = "labkit lesson 15: one hidden fault"


def learner() -> str:
    """Whose lab this is: LABKIT_LEARNER, else JUPYTERHUB_USER, else the login name (else the uid)."""
    for var in ("LABKIT_LEARNER", "JUPYTERHUB_USER"):
        name = os.environ.get(var, "").strip()
        if name:
            return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def drawn(who: str | None = None) -> str:
    """The fault of `who`'s lesson-15 lab (the current learner's unless given); LABKIT_FAULT when it names one."""
    wanted = os.environ.get("LABKIT_FAULT", "").strip()
    if wanted in FAULTS:
        return wanted
    digest = hashlib.sha256(f"{SALT}\0{who or learner()}".encode()).digest()
    return FAULTS[int.from_bytes(digest[:8], "big") % len(FAULTS)]


def setup(docker: Callable[[str], None]) -> list[str]:
    """Build the service and the client with this learner's fault; the lines lesson 15 prints, the same for every
    fault."""
    fault = drawn()
    bind = {
        "loopback-bind": lambda t: t,
        "stale-image": lambda t: t,
        "wrong-port": lambda t: t.replace(LOOPBACK_BIND, ALL_BIND.replace("3000", "8000")).replace(
            "port 3000", "port 8000"
        ),
    }.get(fault, fixed_source)
    build_variant(bind, SERVICE_IMAGE)
    server_net = {"default-bridge": ""}.get(fault, f" --network {NETWORK}")
    alias = "" if fault in ("default-bridge", "missing-alias") else " --network-alias api"
    docker(f"run -d --name server{server_net}{alias} {SERVICE_IMAGE}")
    if fault == "stale-image":
        build_variant(fixed_source, SERVICE_IMAGE)  # rebuilt, fixed — and server was not re-created
    client_net = NETWORK
    if fault == "wrong-network":
        client_net = "day8-network"
        addressing.create(client_net)
    docker(f"run -d --name client --network {client_net} {CURL_IMAGE} sleep infinity")
    return [
        f"  image      {SERVICE_IMAGE:<14} the service's image (day8 with a few changes)",
        "  container  server         the service api: day8:v2, on a network, maybe with an alias",
        f"  container  client         {CURL_IMAGE}, idle: it must get the greeting from {URL}",
        "  fault      one, hidden    something the course taught is wrong; find it, record it, repair it",
        "                            drawn for you: the same one every time you run this lesson",
    ]


def check_diagnosis(ctx) -> list[tuple[str, bool, str]]:
    """15: the recorded cause is the lab's fault (each wrong cause says what it would look like), and after the
    repair client gets the greeting from http://api:3000."""
    given = (ctx.answers.get("15-cause") or "").strip().lower()
    vocabulary = ", ".join(FAULTS)
    if given not in CAUSES:
        found = (
            f"you recorded {given!r}; write one of: {vocabulary}"
            if given
            else f'nothing recorded yet: run labkit.answer("15-cause", "…") with one of: {vocabulary}'
        )
        return [("a cause from the course's list is recorded", False, found)]
    parts = [("a cause from the course's list is recorded", True, f"you recorded {given!r}")]
    truth = drawn(ctx.learner or None)
    parts.append(
        (
            "the cause is the lab's fault",
            given == truth,
            "right"
            if given == truth
            else Miss(
                f"not {given}: that would look like this — {CAUSES[given]}",
                f"Compare the lab with that description of {given}: which hop does "
                'labkit.request_path("client", "http://api:3000") say fails, and with which curl code? The cause '
                "that matches what you see is the one to record.",
            ),
        )
    )
    r = ctx.docker(f"exec client curl -sS -m 5 {URL}")
    got = (r.stdout.strip() or r.stderr.strip() or f"exit code {r.exit_code}").splitlines()[-1]
    parts.append(
        (
            f"client gets 'Hello from inside the container' from {URL}",
            r.exit_code == 0 and "Hello from inside the container" in r.stdout,
            Miss(
                f"curl said: {got}",
                "You named the cause; now repair it, by any means the course taught, so that client gets the "
                "greeting from http://api:3000 (the request goes to the name api, port 3000).",
            )
            if given == truth
            else f"curl said: {got}",
        )
    )
    return parts


LESSON = Lesson(
    KEY,
    "Troubleshooting: one hidden fault",
    Plan("fixed", True, False, False, workdir=True),
    exercises=(
        exercise(
            "15-diagnosis",
            KEY,
            "Find the hidden fault, name it, repair it",
            4,
            task="The lab was built with one hidden fault: `client` does not get the greeting from "
            '`http://api:3000`. Record its cause with `labkit.answer("15-cause", "…")`, one of '
            + ", ".join(f"`{f}`" for f in FAULTS)
            + "; then repair the lab, by any means the course "
            "taught, so that `client` gets the greeting.",
            hints=FAULT_HINTS,
            solution=FAULT_SOLUTION,
            check=check_diagnosis,
        ),
    ),
    setup=setup,  # server and client, with this learner's fault
)
