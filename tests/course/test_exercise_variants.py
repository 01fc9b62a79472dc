"""Every exercise: different correct solutions pass, and each typical wrong attempt fails with its own message.

Each case starts from the lab the exercise's lesson sets up (`labkit.lesson`, plus the notebook's own earlier
commands where the exercise depends on them), does what a learner would type, and judges the lab with the
exercise's check. Wrong attempts are the ones learners really make (a misspelled or default network, -p
where none was asked, a container left stopped, curl instead of sleep, the wrong image, an address with /16,
a reversed -p, the wrong project or alias); the message asserted is built from the lab's state, so the same
words come out on both engines. 09-fix has its own file (test_exercise_solutions.py); the quizzes are a group.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from labkit import session
from labkit.course import checks
from labkit.course.catalog import EXERCISES, QUESTIONS
from labkit.course.vocabulary import Context
from tests.course.lessonlab import CURL

engine = pytest.mark.engine



def _view(lab, name: str):
    from labkit.course.state import snapshot

    return snapshot(lab.engine).container(name)


def _until(lab, name: str, ready, what: str) -> None:
    for _ in range(100):
        c = _view(lab, name)
        if c is not None and ready(c):
            return
        time.sleep(0.1)
    raise AssertionError(f"{name} never {what}: {_view(lab, name)}")


def do(lab, lines: list[str]) -> None:
    """Run a learner's docker lines; `wait-listening NAME` / `wait-exited NAME` wait for the lab to get there."""
    for line in lines:
        verb, _, name = line.partition(" ")
        if verb == "wait-listening":
            _until(lab, name, lambda c: any(lst.port in (3000, 5432) for lst in c.listeners), "listened")
        elif verb == "wait-exited":
            _until(lab, name, lambda c: c.status == "exited", "exited")
        elif line.startswith("!"):  # a command that fails as the learner's did; the lab is what it leaves
            assert lab("docker " + line[1:]).exit_code != 0, line
        else:
            lab.ok("docker " + line)


def verdict(lab, exercise: str, answers: dict[str, str] | None = None) -> checks.CheckResult:
    """The exercise's check on the lab now (the grader's entry point: no hints)."""
    given = dict(session.current().answers) if answers is None else answers
    return checks.evaluate(exercise, Context(lab.engine, given, Path(os.getcwd())))


def _passes(lab, exercise: str, answers: dict[str, str] | None = None) -> None:
    result = verdict(lab, exercise, answers)
    assert result.passed, str(result)


def _fails(lab, exercise: str, says: list[str], answers: dict[str, str] | None = None) -> None:
    result = verdict(lab, exercise, answers)
    assert not result.passed and result.points == 0, str(result)
    for text in says:
        assert text in str(result), str(result)


# -- lab exercises: (lesson, what the learner does) -> passes ----------------------------------------------------
RIGHT = {
    "01-network": ("01", {
        "plain": ["network create day8-net"],
        "driver-and-label": ["network create --driver bridge --label purpose=course day8-net"],
    }),
    "02-server": ("02", {
        "run": ["run -d --name server --network day8-net day8"],
        "long-flags-and-tag": ["run --detach --network=day8-net --name=server day8:latest"],
        "connected-after": ["run -d --name server day8", "network connect day8-net server"],
    }),
    "03-same-network": ("03", {
        "connect-client": ["network connect day8-net client"],
        "recreate-client": ["rm -f client", f"run -d --name client --network day8-net {CURL} sleep infinity"],
        "connect-server": ["network connect day8-network server"],
    }),
    "04-client": ("04", {
        "sleep-infinity": [f"run -d --name client --network day8-net {CURL} sleep infinity"],
        "sleep-an-hour": [f"run -d --network=day8-net --name=client {CURL} sleep 3600"],
        "connected-after": [f"run -d --name client {CURL} sleep infinity", "network connect day8-net client"],
    }),
    "11-publish": ("11", {
        "all-interfaces": ["run -d --name public -p 8080:3000 day8", "wait-listening public"],
        "host-loopback-on-day8-net": ["run -d --name public --network day8-net --publish 127.0.0.1:8080:3000/tcp day8",
                                      "wait-listening public"],
    }),
    "12-compose": ("12", {
        "up-d": ["compose -f assets/shop/compose.yaml up -d", "wait-listening shop-db-1"],
        "named-project-detach": ["compose -f assets/shop/compose.yaml -p shop up --detach", "wait-listening shop-db-1"],
        "again-after-down": ["compose -f assets/shop/compose.yaml up -d", "compose -f assets/shop/compose.yaml down -t 1",
                             "compose -f assets/shop/compose.yaml up -d", "wait-listening shop-db-1"],
    }),
    "13-replicas": ("13", {
        "user-3": ["run -d --name user-3 --network day8-net --network-alias user-service day8", "wait-listening user-3"],
        "connect-with-alias": ["run -d --name replica-c day8", "network connect --alias user-service day8-net replica-c",
                               "wait-listening replica-c"],
    }),
}

# (lesson, what the learner does, what the check must say)
WRONG = {
    "01-network": ("01", {
        "nothing": ([], ["there is no network called day8-net"]),
        "day8-network": (["network create day8-network"],
                         ["you created day8-network; the lesson's network is day8-net, character for character"]),
        "underscore": (["network create day8_net"],
                       ["you created day8_net; the lesson's network is day8-net, character for character"]),
    }),
    "02-server": ("02", {
        "published": (["run -d --name server --network day8-net -p 3000 day8"],
                      ["✘ no port is published — published: ", "->3000 — nothing needs -p here: containers on "
                       "day8-net reach server's port directly; -p opens a port on the host"]),
        "default-network": (["run -d --name server day8"],
                            ["✘ server is attached to day8-net — server is on bridge — that is the default bridge, "
                             "where a container goes when no --network is given"]),
        "misspelled-network": (["!run -d --name server --network day8-netwrok day8"],
                               ["✘ server is running — server is created — it was never started: its network "
                                "day8-netwrok does not exist"]),
        "interrupted-without-d": (["run -d --name server --network day8-net day8", "wait-listening server",
                                   "kill -s INT server", "wait-exited server"],
                                  ["✘ server is running — server is exited (exit code 130)",
                                   "— it got an interrupt (SIGINT), as when a cell running `docker run` without -d is "
                                   "stopped: run it with -d so it keeps running"]),
        "wrong-image": (["run -d --name server --network day8-net python:3.13-slim", "wait-exited server"],
                        ["✘ server runs the day8 image — its image is python:3.13-slim"]),
    }),
    "03-same-network": ("03", {
        "nothing": ([], ["✘ client and server share a network — client: day8-network; server: day8-net"]),
        "client-on-default": (["rm -f client", f"run -d --name client {CURL} sleep infinity"],
                              ["✘ client and server share a network — client: bridge; server: day8-net"]),
        "both-on-default": (["rm -f client", "rm -f server", "run -d --name server day8",
                             f"run -d --name client {CURL} sleep infinity"],
                            ["✘ the name server resolves inside client — getent found no address for server — client "
                             "and server share only the default bridge, which has no embedded DNS"]),
        "client-exits": (["rm -f client", f"run -d --name client --network day8-net {CURL} curl -sS http://server:3000",
                          "wait-exited client"],
                         ["✘ client is running — client is exited (exit code ",
                          "— its program stopped with an error, and a container runs only as long as its main program"]),
    }),
    "04-client": ("04", {
        "curl-not-sleep": ([f"run -d --name client --network day8-net {CURL} curl -sS http://server:3000",
                            "wait-exited client"],
                           ["✘ client is running — client is exited",
                            "a container runs only as long as its main program"]),
        "wrong-image": (["run -d --name client --network day8-net python:3.13-slim sleep infinity"],
                        ["✘ client runs the curl image — its image is python:3.13-slim"]),
        "default-network": ([f"run -d --name client {CURL} sleep infinity"],
                            ["✘ client is attached to day8-net — client is on bridge — that is the default bridge"]),
        "misspelled-network": ([f"!run -d --name client --network day8-network {CURL} sleep infinity"],
                               ["client is created — it was never started: its network day8-network does not exist"]),
        "no-tag": (["!run -d --name client --network day8-net curlimages/curl sleep infinity"],
                   ["✘ a container called client exists — there is no container called client"]),
    }),
    "11-publish": ("11", {
        "reversed": (["run -d --name public -p 3000:8080 day8"],
                     ["✘ public publishes host port 8080 to container port 3000 — published: 3000->8080 — that is "
                      "reversed: -p takes HOST:CONTAINER, so host port 8080 to container port 3000 is -p 8080:3000"]),
        "not-published": (["run -d --name public day8"],
                          ["✘ public publishes host port 8080 to container port 3000 — published: none"]),
        "loopback-app": (["run -d --name public -p 8080:3000 day8:loopback", "wait-listening public"],
                         ["✘ the host gets the greeting from http://localhost:8080",
                          "— public's app listens on 127.0.0.1:3000 only, which traffic forwarded from the host "
                          "cannot reach (it arrives on eth0)"]),
        "interrupted-without-d": (["run -d --name public -p 8080:3000 day8", "wait-listening public",
                                   "kill -s INT public", "wait-exited public"],
                                  ["✘ public is running — public is exited (exit code 130)", "got an interrupt"]),
    }),
    "12-compose": ("12", {
        "other-project": (["compose -f assets/shop/compose.yaml -p store up -d"],
                          ["✘ a container called shop-api-1 exists — there is no container called shop-api-1 — you "
                           "have store-api-1, from a project called store; the lesson's project is shop"]),
        "db-removed": (["compose -f assets/shop/compose.yaml up -d", "rm -f shop-db-1"],
                       ["✔ shop-api-1 is running", "✘ a container called shop-db-1 exists — there is no container "
                        "called shop-db-1\n"]),
        "up-then-stopped": (["compose -f assets/shop/compose.yaml up -d", "stop -t 1 shop-api-1 shop-db-1"],
                            ["✘ shop-api-1 is running — shop-api-1 is exited", "— it was stopped (killed by a signal): "
                             "`docker start shop-api-1` starts it again"]),
        "taken-down": (["compose -f assets/shop/compose.yaml up -d", "compose -f assets/shop/compose.yaml down -t 1"],
                       ["there is no container called shop-api-1\n", "there is no container called shop-db-1\n"]),
    }),
    "13-replicas": ("13", {
        "two-replicas": ([], ["✘ three running containers answer to user-service on day8-net — found 2: user-1, "
                              "user-2\n"]),
        "alias-on-another-network": (["network create day8-other", "run -d --name user-3 --network day8-other "
                                      "--network-alias user-service day8"],
                                     ["found 2: user-1, user-2 — user-3 answers to user-service on day8-other, not "
                                      "day8-net"]),
        "misspelled-alias": (["run -d --name user-3 --network day8-net --network-alias user-services day8"],
                             ["found 2: user-1, user-2 — user-3 is on day8-net as user-services, not user-service"]),
        "not-a-server": ([f"run -d --name user-3 --network day8-net --network-alias user-service {CURL} sleep infinity"],
                         ["✘ every replica serves on 0.0.0.0:3000 — serving: user-1, user-2; user-3 listens on "
                          "nothing"]),
        "stopped-replica": (["run -d --name user-3 --network day8-net --network-alias user-service day8",
                             "wait-listening user-3", "kill -s INT user-3", "wait-exited user-3"],
                            ["found 2: user-1, user-2 — user-3 is on day8-net but exited"]),
    }),
}


# (exercise, case) -> words the first failing labkit.check's hint has: the hint that fits that mistake (the exercise's
# own first hint only where the lab cannot tell the mistake from an exercise not yet done)
HINT = {
    ("01-network", "nothing"): "Which `docker network` subcommand makes a new network?",
    ("01-network", "day8-network"): "Compare day8-network with day8-net letter by letter",
    ("01-network", "underscore"): "Compare day8_net with day8-net letter by letter (a hyphen, not an underscore",
    ("02-server", "published"): "run it again the same way, without -p",
    ("02-server", "default-network"): "With no --network, a container lands on the default bridge. Put server on "
                                      "day8-net: --network day8-net when you run it, or `docker network connect day8-net "
                                      "server`",
    ("02-server", "misspelled-network"): "The failed run still holds the name server: `docker rm server` frees it",
    ("02-server", "interrupted-without-d"): "`docker rm server`, then run it again with -d (detached)",
    ("02-server", "wrong-image"): "The server is the lesson's own image, built as day8",
    ("03-same-network", "nothing"): "Compare the names character by character",
    ("03-same-network", "client-on-default"): "Compare the names character by character",
    ("03-same-network", "both-on-default"): "Names resolve only on user-defined networks",
    ("03-same-network", "client-exits"): "Which command keeps running until it is stopped?",
    ("04-client", "curl-not-sleep"): "Which command keeps running until it is stopped?",
    ("04-client", "wrong-image"): "curlimages/curl:8.14.1 (it has curl)",
    ("04-client", "default-network"): "`docker network connect day8-net client`",
    ("04-client", "misspelled-network"): "`docker rm client` frees it",
    ("04-client", "no-tag"): "What command keeps a container alive so you can exec into it?",
    ("11-publish", "reversed"): "-p is written HOST:CONTAINER, the host's side first",
    ("11-publish", "not-published"): "Which flag of docker run maps a host port to a container port",
    ("11-publish", "loopback-app"): "Which image of this lab has its app listening on every interface?",
    ("11-publish", "interrupted-without-d"): "run it again with -d (detached)",
    ("12-compose", "other-project"): "Compose named the project store",
    ("12-compose", "db-removed"): "named with -f: `docker compose -f assets/shop/compose.yaml …`",
    ("12-compose", "up-then-stopped"): "`docker start shop-api-1` starts it again",
    ("12-compose", "taken-down"): "named with -f: `docker compose -f assets/shop/compose.yaml …`",
    ("13-replicas", "two-replicas"): "How did user-1 and user-2 get the shared name user-service?",
    ("13-replicas", "alias-on-another-network"): "`docker network connect --alias user-service day8-net user-3`",
    ("13-replicas", "misspelled-alias"): "Compare user-services with user-service letter by letter",
    ("13-replicas", "not-a-server"): "A replica must run the service itself",
    ("13-replicas", "stopped-replica"): "A stopped replica is left out of DNS answers: `docker start user-3`",
}


@engine
@pytest.mark.parametrize("exercise, case", [(e, c) for e, (_, cases) in RIGHT.items() for c in cases])
def test_a_correct_solution_passes(course, exercise, case):
    step, cases = RIGHT[exercise]
    lab = course(step)
    do(lab, cases[case])
    _passes(lab, exercise)


@engine
@pytest.mark.parametrize("exercise, case", [(e, c) for e, (_, cases) in WRONG.items() for c in cases])
def test_a_typical_mistake_fails_saying_what_it_is(course, exercise, case):
    step, cases = WRONG[exercise]
    lab = course(step)
    lines, says = cases[case]
    do(lab, lines)
    _fails(lab, exercise, says)
    first = checks.check(exercise).guidance  # the learner's first check after the mistake: the hint that fits it
    assert HINT[exercise, case] in first, first
    assert first.startswith("  hint") and "nothing changed" not in first, first


def test_every_lab_exercise_has_two_right_and_three_wrong_cases():
    labs = {e.id for e in EXERCISES.values() if e.kind == "lab"} - {"09-fix", "15-diagnosis"}
    assert set(RIGHT) == set(WRONG) == labs
    assert set(HINT) == {(e, c) for e, (_, cases) in WRONG.items() for c in cases}
    for exercise in labs:
        assert len(RIGHT[exercise][1]) >= 2 and len(WRONG[exercise][1]) >= 3, exercise
        messages = [tuple(says) for _, says in WRONG[exercise][1].values()]
        assert len(set(messages)) == len(messages), exercise


# -- recorded answers: the value found different ways passes; each typical wrong value is named -------------------
def _address(lab, name: str) -> str:
    return _view(lab, name).ip_on("day8-net")


def _gateway(lab) -> str:
    from labkit.course.state import snapshot

    return snapshot(lab.engine).network("day8-net").gateway


@engine
def test_server_ip_found_three_ways_passes_and_near_misses_are_named(course):
    lab = course("05")
    ip = _address(lab, "server")
    by_getent = lab.ok("docker exec client getent hosts server").stdout.split()[0]
    by_inspect = lab.ok("docker inspect -f '{{(index .NetworkSettings.Networks \"day8-net\").IPAddress}}' "
                        "server").stdout.strip()
    lookup = lab.ok("docker exec client nslookup -type=a server").stdout
    by_nslookup = [line for line in lookup.splitlines() if line.startswith("Address:")][-1].split()[-1]
    for found in (by_getent, by_inspect, by_nslookup):
        assert found == ip
        _passes(lab, "05-server-ip", {"05-server-ip": found})
    _passes(lab, "05-server-ip", {"05-server-ip": f" {ip}\n"})  # pasted with the line's spaces
    wrong = {
        "": "nothing recorded yet: run labkit.answer(\"05-server-ip\", ...)",
        _gateway(lab): "that is day8-net's gateway (the host's side of the network), not a container's address",
        "127.0.0.11": "that is the embedded DNS server that answered (nslookup's Server:), not the address it gave",
        "server": "that is not an address but a container's name: record the address",
        _address(lab, "client"): "that is client's address on day8-net",
        "10.9.8.7": "no container of this lab has that address now",
    }
    for given, says in wrong.items():
        _fails(lab, "05-server-ip", [says], {"05-server-ip": given} if given else {})


@engine
def test_listen_address_typed_or_read_from_listening_passes_and_near_misses_are_named(course, capsys):
    import labkit

    lab = course("08")
    _passes(lab, "08-listen-address", {"08-listen-address": "127.0.0.1"})
    capsys.readouterr()
    labkit.listening("server")
    line = next(x for x in capsys.readouterr().out.splitlines() if ":3000" in x)
    read = next(w for w in line.split() if w.endswith(":3000")).rpartition(":")[0]
    _passes(lab, "08-listen-address", {"08-listen-address": read})
    wrong = {
        "127.0.0.1:3000": "that has the port (:3000) on it: record the address alone",
        "0.0.0.0": "0.0.0.0 means every interface, not the one address the lab shows now",
        "localhost": "localhost is a name, not an address: record the numbers",
        _address(lab, "server"): "that is server's address on day8-net",
        "3000": "that is not an address",
    }
    for given, says in wrong.items():
        _fails(lab, "08-listen-address", [says], {"08-listen-address": given})


@engine
def test_listen_address_follows_the_lab_after_the_fix(course):
    """The check reads where the app listens now: after step 09's fix, 0.0.0.0 is right and 127.0.0.1 is not."""
    lab = course("10")
    do(lab, ["wait-listening server"])
    _passes(lab, "08-listen-address", {"08-listen-address": "0.0.0.0"})
    _fails(lab, "08-listen-address", ["you recorded '127.0.0.1' — that is a loopback address: every container has its "
                                      "own, and nothing listens there now"], {"08-listen-address": "127.0.0.1"})


@engine
def test_client_ip_from_the_network_or_the_container_passes_and_near_misses_are_named(course):
    import json

    lab = course("10")
    net = json.loads(lab.ok("docker network inspect day8-net").stdout)[0]
    with_prefix = next(c["IPv4Address"] for c in net["Containers"].values() if c["Name"] == "client")
    by_network = with_prefix.split("/")[0]
    by_container = lab.ok("docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "
                          "client").stdout.strip()
    assert by_network == by_container == _address(lab, "client")
    for found in (by_network, by_container):
        _passes(lab, "10-client-ip", {"10-client-ip": found})
    wrong = {
        with_prefix: "that has the prefix length (/…) on it: record the address alone",
        _address(lab, "server"): "that is server's address on day8-net",
        "client": "that is not an address but a container's name",
        _gateway(lab): "that is day8-net's gateway",
    }
    for given, says in wrong.items():
        _fails(lab, "10-client-ip", [f"you recorded {given!r} — {says}"], {"10-client-ip": given})


# -- the quizzes, as a group: no engine needed -------------------------------------------------------------------
class NoEngine:
    """A quiz's check must not ask the engine; any call is a test failure."""

    def __getattr__(self, name):
        raise AssertionError(f"the check called the engine ({name})")


@pytest.fixture
def quiz_session(monkeypatch):
    """A fresh session for the answers, and display() captured (the quiz shows a widget)."""
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    me = session.Session("test-quiz-variants")
    monkeypatch.setattr(session, "_current", me)
    return shown


def _quiz_verdict(qid: str) -> checks.CheckResult:
    return checks.evaluate(qid, Context(NoEngine(), dict(session.current().answers), Path(".")))


@pytest.mark.parametrize("qid", sorted(QUESTIONS))
def test_a_quiz_passes_with_the_key_in_the_cell_or_a_click(quiz_session, qid):
    from ipywidgets.widgets import widget

    import labkit
    from labkit.course.ui import widgets

    q = QUESTIONS[qid]
    labkit.quiz(qid, answer=q.correct)
    assert _quiz_verdict(qid).passed
    session.current().answers.clear()
    assert not _quiz_verdict(qid).passed
    widgets.quiz(qid)  # the cell without answer=, then a click on the right choice
    bundle = quiz_session[-1]
    radio = widget._instances[bundle["application/vnd.jupyter.widget-view+json"]["model_id"]].children[1]
    radio.value = q.correct
    result = _quiz_verdict(qid)
    assert result.passed and result.points == 1, str(result)


@pytest.mark.parametrize("qid", sorted(QUESTIONS))
def test_a_quiz_fails_naming_the_wrong_choice_or_that_none_was_made(quiz_session, qid, capsys):
    import labkit
    from labkit.course import answers

    q = QUESTIONS[qid]
    assert _quiz_verdict(qid).message == ("not yet: a choice is recorded — no choice recorded yet: pick one and put it "
                                          "in answer=")
    labkit.quiz(qid, answer="e")  # not a choice: nothing is recorded, one line says so
    assert "'e' is not a choice of " + qid in capsys.readouterr().err
    assert "no choice recorded yet" in _quiz_verdict(qid).message
    wrong = [k for k, _ in q.choices if k != q.correct]
    assert len(wrong) >= 3
    for key in wrong[:2]:
        labkit.quiz(qid, answer=key)
        assert _quiz_verdict(qid).message == f"not yet: the right choice is recorded — you chose {key!r}, which is not it"
    answers.record(qid, wrong[2])  # a click records the same way
    result = _quiz_verdict(qid)
    assert not result.passed and result.points == 0 and f"you chose {wrong[2]!r}" in result.message
