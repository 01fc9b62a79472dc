"""Checks judge what the lab does: different correct solutions pass, typical wrong ones fail, each saying why.

Run on the engine under test (both passes), from a learner's folder with lesson 09's lab set up. The fix of
step 09 is judged by what server's app listens on and what client gets back, never by the text of
day8/server.py: every way of writing a reachable bind passes, and each typical mistake is named.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from labkit.course import checks
from labkit.course.vocabulary import Context

pytestmark = pytest.mark.engine
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
LOOPBACK = '("127.0.0.1", 3000)'


@pytest.fixture
def lesson09(lab, tmp_path, monkeypatch):
    """Lesson 09's lab (server bound to 127.0.0.1, client, day8-net) and the learner's own day8/ copy."""
    shutil.copytree(NOTEBOOKS / "assets", tmp_path / "assets")
    monkeypatch.chdir(tmp_path)
    from labkit.course.start import lesson

    lesson("09", quiet=True)
    return lab


def _edit(old: str, new: str) -> None:
    p = Path("day8/server.py")
    text = p.read_text()
    assert old in text
    time.sleep(1.1)  # a later modification time than the image the lesson built
    p.write_text(text.replace(old, new))


def _rebuild_and_recreate(lab) -> None:
    lab.ok("docker build -t day8 day8", cwd=os.getcwd())
    lab.ok("docker rm -f server")
    lab.ok("docker run -d --name server --network day8-net day8")


def _verdict(lab):
    from labkit import session

    me = session.current()
    return checks.evaluate("09-fix", Context(lab.engine, dict(me.answers), Path(os.getcwd())))


@pytest.mark.parametrize("new", [
    '("0.0.0.0",3000)',  # every interface, without the space
    '("", 3000)',  # every interface, written as the empty address
    "(HOST, 3000)",  # through a variable
    "(socket.gethostname(), 3000)",  # the container's own address, through its hostname
], ids=["no-space", "empty", "variable", "hostname"])
def test_reachable_binds_pass(lesson09, new):
    if "HOST" in new:
        _edit("server = HTTPServer(", 'HOST = "0.0.0.0"\nserver = HTTPServer(')
    if "socket" in new:
        _edit("server = HTTPServer(", "import socket\nserver = HTTPServer(")
    _edit(LOOPBACK, new)
    _rebuild_and_recreate(lesson09)
    result = _verdict(lesson09)
    assert result.passed, str(result)


def test_localhost_fails_and_says_only_server_reaches_it(lesson09):
    _edit(LOOPBACK, '("localhost", 3000)')
    _rebuild_and_recreate(lesson09)
    result = _verdict(lesson09)
    assert not result.passed
    assert "it listens on 127.0.0.1:3000 — only programs inside server itself can reach 127.0.0.1" in str(result)


def test_ipv6_any_on_an_ipv4_server_kills_it_and_the_check_shows_why(lesson09):
    """("::", 3000) with http.server's HTTPServer (an IPv4 socket) dies on Docker; the check quotes its log."""
    _edit(LOOPBACK, '("::", 3000)')
    lesson09.ok("docker build -t day8 day8", cwd=os.getcwd())
    lesson09.ok("docker rm -f server")
    lesson09("docker run -d --name server --network day8-net day8")
    from labkit.course.state import snapshot

    for _ in range(50):
        if snapshot(lesson09.engine).container("server").status == "exited":
            break
        time.sleep(0.1)
    text = str(_verdict(lesson09))
    assert "✘ server is running — server is exited (exit code 1); its log ends with: socket.gaierror: [Errno -9] " \
           "Address family for hostname not supported" in text, text


def test_edited_but_not_rebuilt_names_the_build(lesson09):
    _edit(LOOPBACK, '("0.0.0.0", 3000)')
    lesson09.ok("docker rm -f server")
    lesson09.ok("docker run -d --name server --network day8-net day8")
    text = str(_verdict(lesson09))
    assert "day8/server.py has changed since the image server runs was built: build the image again" in text, text


def test_restarted_instead_of_rebuilt_says_a_restart_runs_the_old_image(lesson09):
    _edit(LOOPBACK, '("0.0.0.0", 3000)')
    lesson09.ok("docker restart server")
    text = str(_verdict(lesson09))
    assert ("day8/server.py has changed since the image server runs was built, and restarting runs the same old "
            "image again") in text, text


def test_rebuilt_but_not_recreated_names_the_old_container(lesson09):
    _edit(LOOPBACK, '("0.0.0.0", 3000)')
    lesson09.ok("docker build -t day8 day8", cwd=os.getcwd())
    text = str(_verdict(lesson09))
    assert "server was created from an older build of day8" in text, text


# -- near misses of the other exercises -------------------------------------------------------------------
def test_a_network_named_almost_right_is_named(lab, tmp_path, monkeypatch):
    from labkit import session

    lab.ok("docker network create day8-network")
    me = session.current()
    result = checks.evaluate("01-network", Context(lab.engine, dict(me.answers), tmp_path))
    assert "you created day8-network; the lesson's network is day8-net, character for character" in str(result)


@pytest.mark.parametrize("given, says", [
    ("{ip}/16", "that has the prefix length (/…) on it: record the address alone"),
    ("{ip}:3000", "that has the port (:3000) on it: record the address alone"),
    ("server", "that is not an address"),
    ("{client}", "that is client's address on day8-net"),
])
def test_a_recorded_address_near_miss_is_named(lesson09, given, says):
    from labkit.course.state import snapshot

    state = snapshot(lesson09.engine)
    ip, client = state.container("server").ip_on("day8-net"), state.container("client").ip_on("day8-net")
    ctx = Context(lesson09.engine, {"05-server-ip": given.format(ip=ip, client=client)}, Path(os.getcwd()))
    result = checks.evaluate("05-server-ip", ctx)
    assert not result.passed and says in str(result), str(result)
    right = Context(lesson09.engine, {"05-server-ip": ip}, Path(os.getcwd()))
    assert checks.evaluate("05-server-ip", right).passed


def test_the_listen_address_with_its_port_says_the_address_only(lesson09):
    ctx = Context(lesson09.engine, {"08-listen-address": "127.0.0.1:3000"}, Path(os.getcwd()))
    assert "that has the port (:3000) on it: record the address alone" in str(checks.evaluate("08-listen-address",
                                                                                               ctx))


def test_the_curl_image_without_its_tag_names_the_one_the_course_uses(lab):
    """The notes write `curlimages/curl`; without a tag that means :latest, which no offline machine has."""
    r = lab("docker run --rm curlimages/curl -sS http://server:3000")
    assert r.exit_code == 125
    assert r.stderr.startswith("Unable to find image 'curlimages/curl:latest' locally\n")
    assert r.stderr.endswith("labkit: this machine has no curlimages/curl:latest, only curlimages/curl:8.14.1 (the "
                             "course's): write the tag (a name without one means :latest)\n"), r.stderr
