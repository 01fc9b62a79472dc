"""The course's exercises: what each asks, how many points, its hints, its solution, and its check.

A check reads the lab through the engine (state snapshot and small probes such as a curl from a
container), the learner's recorded answers and their files — never the text of their code. The
same definitions serve the learner's `labkit.check(...)` and the grader, which runs them from its
own process after the notebook has executed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from labkit.contract.commands import run_command
from labkit.contract.result import Result
from labkit.course import nearmiss, staleness
from labkit.course.faults import FAULT_HINTS, FAULT_SOLUTION, check_diagnosis
from labkit.course.questions import HINTS, QUESTIONS, Question
from labkit.course.state import LabState, snapshot
from labkit.engines.base import Engine

HELLO = "Hello from inside the container"


@dataclass
class Context:
    """What a check may look at: the engine, its state, the recorded answers and the learner's folder (and, from the
    grader, whose submission it is: lesson 15's fault is theirs)."""

    engine: Engine
    answers: dict[str, str]
    folder: Path
    _state: LabState | None = None
    learner: str = ""  # "" : the learner this process runs for (labkit.course.faults.learner)

    @property
    def state(self) -> LabState:
        """The lab's state, read once per check."""
        if self._state is None:
            self._state = snapshot(self.engine)
        return self._state

    def docker(self, line: str) -> Result:
        """Run a docker command on the engine (a probe such as `exec client curl …`)."""
        return run_command(self.engine, line, str(self.folder))

    def host(self, argv: list[str] | str) -> Result:
        """Run a command on the host side (where published ports listen): an argv list (a string is split, never
        given to a shell), so nothing from the lab reaches a shell."""
        from labkit.contract.transcript import run_host_argv

        return run_host_argv(argv, str(self.folder), self.engine)


Part = tuple[str, bool, str]  # (what is checked, passed, what was found)


@dataclass(frozen=True)
class Exercise:
    """One graded exercise."""

    id: str
    lesson: str
    title: str
    points: int
    hints: tuple[str, ...]
    solution: str  # the source of a cell that solves it
    check: Callable[[Context], list[Part]]
    question: Question | None = None
    kind: str = "lab"  # lab (engine state), answer (a recorded value), quiz (a recorded choice)
    tags: tuple[str, ...] = field(default_factory=tuple)


# -- building blocks of checks ------------------------------------------------------------
def _running(ctx: Context, name: str) -> Part:
    c = ctx.state.container(name)
    if c is None:
        return (f"a container called {name} exists", False, f"there is no container called {name}")
    found = f"{name} is {c.status}"
    if c.status == "exited":
        found += f" (exit code {c.exit_code})" + _last_log_line(ctx, name)
    return (f"{name} is running", c.running, found + nearmiss.why_stopped(ctx.state, c))


def _last_log_line(ctx: Context, name: str) -> str:
    """The last line its program printed, which usually says why it stopped."""
    r = ctx.docker(f"logs {name}")
    lines = (r.stderr or r.stdout).strip().splitlines()
    return f"; its log ends with: {lines[-1].strip()}" if r.exit_code == 0 and lines else ""


def _on_network(ctx: Context, name: str, network: str) -> Part:
    c = ctx.state.container(name)
    nets = ", ".join(ep.network for ep in c.endpoints) if c else ""
    ok = bool(c and c.ip_on(network))
    if c is not None and not c.running:  # attached or not, a stopped container has no address anywhere
        where = f"it is attached to {nets}" if nets else f"its network is {c.network_mode or 'the default bridge'}"
        return (f"{name} is attached to {network}", False, f"{name} is {c.status}, so it has no address ({where})")
    return (f"{name} is attached to {network}", ok,
            f"{name} is on {nets or 'no network'}" + (nearmiss.other_network(ctx.state, c, network) if c else ""))


def _fetch(ctx: Context, source: str, url: str) -> Part:
    r = ctx.docker(f"exec {source} curl -sS -m 5 {url}")
    got = (r.stdout.strip() or r.stderr.strip() or f"exit code {r.exit_code}").splitlines()[-1]
    return (f"{source} gets '{HELLO}' from {url}", r.exit_code == 0 and HELLO in r.stdout, f"curl said: {got}")


def _answer_equals(ctx: Context, qid: str, expected: str | None, what: str) -> Part:
    given = ctx.answers.get(qid)
    if not given:
        return (f"an answer is recorded for {qid}", False, f"nothing recorded yet: run labkit.answer(\"{qid}\", ...)")
    if expected is None:
        return (f"{what} matches the lab", False, "the lab does not have it right now (rerun the lesson's cells)")
    if given.strip() == expected:
        return (f"{what} matches the lab", True, f"you recorded {given!r}")
    if staleness.right_when_recorded(ctx.answers, qid):
        return (f"{what} matches the lab", False, f"you recorded {given!r}" + nearmiss.STALE)
    miss = nearmiss.recorded_address(ctx.state, given.strip(), expected)
    return (f"{what} matches the lab", False, f"you recorded {given!r}" + miss)


def _quiz(qid: str) -> Callable[[Context], list[Part]]:
    def check(ctx: Context) -> list[Part]:
        q = EXERCISES[qid].question
        given = ctx.answers.get(qid)
        if not given:
            return [("a choice is recorded", False, "no choice recorded yet: pick one and put it in answer=")]
        return [("the chosen answer is right", given == q.correct, f"you chose {given!r}")]

    return check


# -- the checks of each exercise -------------------------------------------------------------
def check_network(ctx: Context) -> list[Part]:
    """01: day8-net exists and is a user-defined bridge network."""
    net = ctx.state.network("day8-net")
    if net is None:
        import difflib

        mine = [n.name for n in ctx.state.networks if n.user_defined]
        close = difflib.get_close_matches("day8-net", mine, n=1, cutoff=0.6)
        found = (f"you created {close[0]}; the lesson's network is day8-net, character for character" if close
                 else "there is no network called day8-net")
        return [("a network called day8-net exists", False, found)]
    return [("a network called day8-net exists", True, f"found it ({net.subnet})"),
            ("day8-net is a user-defined bridge network", net.driver == "bridge" and net.user_defined,
             f"its driver is {net.driver}")]


def check_server(ctx: Context) -> list[Part]:
    """02: server runs day8 on day8-net with nothing published."""
    parts = [_running(ctx, "server")]
    c = ctx.state.container("server")
    if c is None:
        return parts
    parts.append(("server runs the day8 image", c.image.split(":")[0] == "day8", f"its image is {c.image}"))
    parts.append(_on_network(ctx, "server", "day8-net"))
    parts.append(("no port is published", not c.published, "published: " + _published(c)
                  + nearmiss.published_where_none_asked(c)))
    return parts


def check_same_network(ctx: Context) -> list[Part]:
    """03: client and server share a network, so server resolves inside client."""
    parts = [_running(ctx, "client"), _running(ctx, "server")]
    if not all(ok for _, ok, _ in parts):
        return parts
    client, server = ctx.state.container("client"), ctx.state.container("server")
    shared = sorted({ep.network for ep in client.endpoints} & {ep.network for ep in server.endpoints})
    parts.append(("client and server share a network", bool(shared),
                  f"client: {', '.join(ep.network for ep in client.endpoints)}; "
                  f"server: {', '.join(ep.network for ep in server.endpoints)}"))
    r = ctx.docker("exec client getent hosts server")
    parts.append(("the name server resolves inside client", r.exit_code == 0,
                  r.stdout.strip() or "getent found no address for server"
                  + nearmiss.shared_default_bridge_only(client, server)))
    return parts


def check_client(ctx: Context) -> list[Part]:
    """04: the long-running curl client is on day8-net."""
    parts = [_running(ctx, "client")]
    c = ctx.state.container("client")
    if c is None:
        return parts
    parts.append(("client runs the curl image", c.image.startswith("curlimages/curl"), f"its image is {c.image}"))
    parts.append(_on_network(ctx, "client", "day8-net"))
    return parts


def recorded_address(qid: str, name: str, network: str = "day8-net") -> Callable[[Context], list[Part]]:
    """A check that the answer recorded for qid is the container's address on the network, as the engine has it."""
    def check(ctx: Context) -> list[Part]:
        c = ctx.state.container(name)
        return [_answer_equals(ctx, qid, c.ip_on(network) if c else None, f"{name}'s address on {network}")]

    return check


def check_listen_address(ctx: Context) -> list[Part]:
    """08: the recorded listen address is the one the engine sees server's app bound to."""
    server = ctx.state.container("server")
    found = [lst.address for lst in (server.listeners if server else []) if lst.port == 3000]
    return [_answer_equals(ctx, "08-listen-address", found[0] if found else None,
                           "the address server's app listens on")]


def check_fix(ctx: Context) -> list[Part]:
    """09: the re-created server listens where client can reach it, and answers client by name.

    Judged by what the lab does (what server's app listens on, what client gets back), never by the text of
    day8/server.py: any bind that neighbours can reach passes (every interface, written any way, or server's
    own address). A failure names its likely cause from the lab: server not running (and why, from its log),
    re-created from an old build, day8/server.py changed after the last build (a restart does not rebuild)."""
    parts = [_running(ctx, "server")]
    server = ctx.state.container("server")
    if server is None or not server.running:
        return parts
    own = {ep.ip for ep in server.endpoints}
    on_port = [lst for lst in server.listeners if lst.port == 3000]
    reachable = [lst for lst in on_port if lst.all_interfaces or lst.address in own]
    listening = ", ".join(f"{lst.address}:{lst.port}" for lst in server.listeners) or "nothing"
    found = f"it listens on {listening}"
    if not reachable:
        found += _why_not_fixed(ctx, server)
    parts.append(("server's app listens on an address client can reach (every interface, or server's own)",
                  bool(reachable), found))
    parts.append(_fetch(ctx, "client", "http://server:3000"))
    return parts


def _why_not_fixed(ctx: Context, server) -> str:
    """The likely cause when server still listens only where client cannot reach, read from the lab."""
    try:
        image = ctx.engine.inspect_image("day8")
    except Exception:  # noqa: BLE001 - no day8 image at all
        return " — and there is no day8 image: build it from your folder (docker build -t day8 day8)"
    if server.image_id and image.get("Id") and server.image_id != image["Id"]:
        return (" — server was created from an older build of day8; a container keeps the image it was created "
                "from: remove server and run it again")
    mine = ctx.folder / "day8" / "server.py"
    running = ctx.docker("exec server cat server.py")  # the copy the image gave server (WORKDIR /app)
    try:
        changed = running.exit_code == 0 and running.stdout != mine.read_text(encoding="utf-8")
    except OSError:
        changed = False
    if changed:  # the same image, but not the file you have now: it was built before your edit
        edited = _mtime(mine)
        restarted = _seconds(server.created) < edited < _seconds(server.started)  # started again, not re-created
        return (" — day8/server.py has changed since the image server runs was built" +
                (", and restarting runs the same old image again" if restarted else "") +
                ": build the image again (docker build -t day8 day8), then re-create server")
    return " — only programs inside server itself can reach 127.0.0.1" if any(
        lst.loopback_only for lst in server.listeners) else ""


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _seconds(stamp: str) -> float:
    """An Engine API timestamp (RFC 3339, nanoseconds) as seconds since the epoch; 0 when absent."""
    from datetime import datetime

    if not stamp or stamp.startswith("0001-"):
        return 0.0
    head, _, frac = stamp.rstrip("Z").partition(".")
    try:
        when = datetime.fromisoformat(head + "+00:00")
    except ValueError:
        return 0.0
    return when.timestamp() + float("0." + (frac[:6] or "0"))


def _published(c) -> str:
    return ", ".join(f"{p.host_port}->{p.container_port}" for p in c.published) or "none"


def check_publish(ctx: Context) -> list[Part]:
    """11: public publishes 8080->3000 and the host gets the greeting through it."""
    parts = [_running(ctx, "public")]
    c = ctx.state.container("public")
    if c is None:
        return parts
    mapping = [p for p in c.published if p.host_port == 8080 and p.container_port == 3000]
    parts.append(("public publishes host port 8080 to container port 3000", bool(mapping),
                  "published: " + _published(c) + nearmiss.reversed_publish(c, 8080, 3000)))
    r = ctx.host(["curl", "-sS", "-m", "5", "http://localhost:8080"])
    parts.append(("the host gets the greeting from http://localhost:8080", r.exit_code == 0 and HELLO in r.stdout,
                  f"curl said: {(r.stdout.strip() or r.stderr.strip() or str(r.exit_code)).splitlines()[-1]}"
                  + (nearmiss.loopback_app(c, 3000) if mapping else "")))
    return parts


def _service(ctx: Context, project: str, service: str) -> Part:
    what, ok, found = _running(ctx, f"{project}-{service}-1")
    missing = ctx.state.container(f"{project}-{service}-1") is None
    return what, ok, found + (nearmiss.other_project(ctx.state, service, project) if missing else "")


def check_compose(ctx: Context) -> list[Part]:
    """12: the shop project runs, and api reaches db by its service name."""
    parts = [_service(ctx, "shop", "api"), _service(ctx, "shop", "db")]
    if not all(ok for _, ok, _ in parts):
        return parts
    parts.append(_on_network(ctx, "shop-api-1", "shop_default"))
    parts.append(_on_network(ctx, "shop-db-1", "shop_default"))
    r = ctx.docker("exec shop-api-1 curl -sS -m 5 -o /dev/null -w %{http_code} http://db:5432/")
    parts.append(("api reaches db:5432 by its service name", r.exit_code == 0 and r.stdout.strip() == "200",
                  f"curl said: {(r.stdout.strip() or r.stderr.strip() or str(r.exit_code)).splitlines()[-1]}"))
    return parts


def check_replicas(ctx: Context) -> list[Part]:
    """13: three running replicas answer to user-service, each serving on 0.0.0.0:3000."""
    replicas = [c for c in ctx.state.containers
                if c.running and any("user-service" in ep.aliases and ep.network == "day8-net" for ep in c.endpoints)]
    names = ", ".join(c.name for c in replicas) or "none"
    parts = [("three running containers answer to user-service on day8-net", len(replicas) >= 3,
              f"found {len(replicas)}: {names}" + nearmiss.replica_misses(ctx.state, "user-service", "day8-net"))]
    serving = [c.name for c in replicas if any(lst.port == 3000 and lst.all_interfaces for lst in c.listeners)]
    parts.append(("every replica serves on 0.0.0.0:3000", bool(replicas) and len(serving) == len(replicas),
                  f"serving: {', '.join(serving) or 'none'}" + nearmiss.not_serving(replicas, 3000)))
    r = ctx.docker("exec client nslookup -type=a user-service")
    count = r.stdout.count("Address:") - 1 if r.exit_code == 0 else 0
    parts.append(("client's DNS lookup of user-service returns three addresses", count >= 3,
                  f"nslookup returned {max(count, 0)} address(es)"))
    return parts


def _ex(id: str, lesson: str, title: str, points: int, hints: tuple[str, ...], solution: str,
        check: Callable[[Context], list[Part]], kind: str = "lab") -> Exercise:
    return Exercise(id, lesson, title, points, hints, solution, check, QUESTIONS.get(id), kind)


def _quiz_ex(id: str, lesson: str, title: str) -> Exercise:
    q = QUESTIONS[id]
    return _ex(id, lesson, title, 1, HINTS[id],
               f'labkit.quiz("{id}", answer="{q.correct}")', _quiz(id), kind="quiz")


EXERCISES: dict[str, Exercise] = {e.id: e for e in [
    _quiz_ex("00-model", "00", "The mental model: who resolves names"),
    _ex("01-network", "01", "Create the network day8-net", 2,
        ("Which `docker network` subcommand makes a new network?",
         "The rest of the course uses one exact name. What is it, character for character?"),
        "%docker network create day8-net", check_network),
    _ex("02-server", "02", "Run the server on day8-net, with no published port", 2,
        ("Which flags give a container a name and put it on a network?",
         "A long-running server in a notebook must not block the cell: which flag detaches it?"),
        "%docker run -d --name server --network day8-net day8", check_server),
    _ex("03-same-network", "03", "Put client on server's network", 2,
        ("Which networks are client and server on? Compare the names character by character.",
         "Can an existing container join a second network without being re-created? Look at `docker network --help`."),
        "%docker network connect day8-net client", check_same_network),
    _ex("04-client", "04", "Start the long-running client", 2,
        ("The one-shot client ran curl and was removed. What command keeps a container alive so you can exec into it?",
         "Which image, which network, which name — and `sleep` what?"),
        "%docker run -d --name client --network day8-net curlimages/curl:8.14.1 sleep infinity", check_client),
    _ex("05-server-ip", "05", "Record server's address, found through DNS", 2,
        ("Which tool inside client asks the DNS server for a name's address?",
         "Run `docker exec client nslookup -type=a server` and read the last `Address:` line."),
        'import labkit\nlabkit.answer("05-server-ip", labkit.docker("exec client getent hosts server").stdout.split()[0])',
        recorded_address("05-server-ip", "server"), kind="answer"),
    _quiz_ex("06-localhost", "06", "What localhost means inside a container"),
    _quiz_ex("07-ps", "07", "What docker ps proves"),
    _ex("08-listen-address", "08", "Record the address server's app listens on", 2,
        ("Which helper shows what each app in a container listens on?",
         "Run `labkit.listening(\"server\")` and record the address before `:3000`."),
        'import labkit\nlabkit.answer("08-listen-address", "127.0.0.1")', check_listen_address, kind="answer"),
    _ex("09-fix", "09", "Bind the server to 0.0.0.0, rebuild, rerun", 3,
        ("Which line of day8/server.py decides where the server listens?",
         "After editing the file, the running container still has the old code. What must you rebuild and re-create?",
         "Change (\"127.0.0.1\", 3000) to (\"0.0.0.0\", 3000), then build -t day8 day8, rm -f server, run it again."),
        'import pathlib\np = pathlib.Path("day8/server.py")\n'
        'p.write_text(p.read_text().replace(\'("127.0.0.1", 3000)\', \'("0.0.0.0", 3000)\'))\n'
        "%docker build -t day8 day8\n%docker rm -f server\n%docker run -d --name server --network day8-net day8",
        check_fix),
    _ex("10-client-ip", "10", "Record client's address from the network's own record", 2,
        ("Which command lists every container attached to a network, with its address?",
         "Look under \"Containers\" in `docker network inspect day8-net`; record client's IPv4Address without /16."),
        'import json, labkit\nnet = json.loads(labkit.docker("network inspect day8-net").stdout)[0]\n'
        'labkit.answer("10-client-ip", next(c["IPv4Address"].split("/")[0] for c in net["Containers"].values() '
        'if c["Name"] == "client"))', recorded_address("10-client-ip", "client"), kind="answer"),
    _ex("11-publish", "11", "Publish the fixed server to the host on port 8080", 2,
        ("Which flag of docker run maps a host port to a container port, and in which order are they written?",
         "Name it public, use the day8 image, and map host 8080 to container 3000."),
        "%docker run -d --name public -p 8080:3000 day8", check_publish),
    _ex("12-compose", "12", "Bring the shop project up and keep it running", 2,
        ("Which compose subcommand starts the services in the background?",
         "Use the file in assets/shop: `docker compose -f assets/shop/compose.yaml ...`"),
        "%docker compose -f assets/shop/compose.yaml up -d", check_compose),
    _ex("13-replicas", "13", "Scale user-service to three replicas", 3,
        ("How did user-1 and user-2 get the shared name user-service?",
         "Run a third container user-3 from day8 on day8-net with the same --network-alias."),
        "%docker run -d --name user-3 --network day8-net --network-alias user-service day8", check_replicas),
] + [_quiz_ex(f"14-lock-{n}", "14", f"Mental lock {n}") for n in range(1, 8)] + [
    _ex("15-diagnosis", "15", "Find the hidden fault, name it, repair it", 4, FAULT_HINTS, FAULT_SOLUTION,
        check_diagnosis)]}


def for_lesson(lesson: str) -> list[Exercise]:
    """The exercises of one lesson, in order."""
    return [e for e in EXERCISES.values() if e.lesson == lesson]
