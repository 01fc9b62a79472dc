"""run -d / start / restart return when the server is ready, without slowing non-servers down."""

from __future__ import annotations

import json

import pytest

from labkit.engines import readiness
from tests.conftest import CURL, free_port, server_dir


@pytest.fixture
def polls(monkeypatch):
    """Record every readiness poll (how many checks each wait made)."""
    calls: list[int] = []
    real = readiness.poll_until

    def counting(check, *a, **kw):
        n = 0

        def counted():
            nonlocal n
            n += 1
            return check()

        ok = real(counted, *a, **kw)
        calls.append(n)
        return ok

    monkeypatch.setattr(readiness, "poll_until", counting)
    return calls


def test_slow_server_is_answered_on_the_next_line(lab, tmp_path, polls):
    lab.ok("docker build -t lktest-day8:slow .", cwd=server_dir(tmp_path, "0.0.0.0", delay=1.5, name="slow"))
    lab.ok("docker network create lk-ready")
    lab.ok(f"docker run -d --name lk-cl --network lk-ready {CURL} sleep 300")
    assert polls == []  # the sleeping client is not a server: no waiting at all
    lab.ok("docker run -d --name lk-slow --network lk-ready lktest-day8:slow")
    assert len(polls) == 1 and polls[0] > 1  # it had to wait for listen()
    r = lab("docker exec lk-cl curl -sS http://lk-slow:3000")
    assert (r.exit_code, r.stdout) == (0, "Hello from inside the container\n")


def test_loopback_listener_counts_as_ready(lab, images_built, polls):
    lab.ok(f"docker run -d --name lk-lo {images_built['loopback']}")
    r = lab("docker exec lk-lo python3 -c \"import urllib.request as u; print(u.urlopen('http://127.0.0.1:3000').read().decode())\"")
    assert r.stdout == "Hello from inside the container\n\n"


def test_exiting_server_returns_at_once(lab, images_built, polls):
    r = lab.ok(f"docker run -d --name lk-exit {images_built['fixed']} python3 -c \"raise SystemExit(3)\"")
    assert len(r.stdout.strip()) == 64
    [c] = json.loads(lab.ok("docker inspect lk-exit").stdout)
    assert c["State"]["Status"] == "exited" and c["State"]["ExitCode"] == 3


@pytest.mark.parametrize("cmd", ["sleep 300", "sh -c 'sleep 300'"])
def test_non_server_commands_in_a_server_image_do_not_wait(lab, images_built, polls, cmd):
    lab.ok(f"docker run -d --name lk-idle {images_built['fixed']} {cmd}")
    assert polls in ([], [1])


def test_exec_probe_works_like_the_host_probe(lab, docker_only, images_built):
    engine = docker_only
    """The probe used for remote daemons (exec inside the container) sees the same listener."""
    lab.ok(f"docker run -d --name lk-probe {images_built['loopback']}")
    [c] = json.loads(lab.ok("docker inspect lk-probe").stdout)
    exec_probe = engine._exec_probe(c["Id"])
    host_probe = engine._host_probe(c)
    assert 3000 in exec_probe()
    assert host_probe is not None and 3000 in host_probe()


def test_host_network_server_is_waited_for_by_its_own_sockets(lab, polls):
    """--network host: the container shares the machine's sockets, so the machine's other listeners (a daemon,
    another lab) do not make it ready; only a socket its own processes hold does. The next line is answered."""
    port = free_port()
    slow = ("python3 -c \"import time; time.sleep(1.5); import http.server as h; "
            f"h.HTTPServer(('0.0.0.0', {port}), h.SimpleHTTPRequestHandler).serve_forever()\"")
    lab.ok(f"docker run -d --name lk-hostnet --network host python:3.13-slim {slow}")
    assert len(polls) == 1 and polls[0] > 1  # it had to wait for its own listen()
    r = lab(f"curl -sS -o /dev/null -w '%{{http_code}}' http://127.0.0.1:{port}/")
    assert (r.exit_code, r.stdout) == (0, "200")
    [c] = json.loads(lab.ok("docker inspect lk-hostnet").stdout)
    assert lab.engine.listeners(c["Id"]) == [("0.0.0.0", port)]  # its own socket, none of the machine's others


def test_the_embedded_engine_never_reads_this_machines_proc_for_its_pids(lab, images_built, monkeypatch):
    """A daemon in a grading box reports pids of its own PID namespace: read here, such a pid names an unrelated
    process (here one in a network namespace of its own, listening on 2024), whose sockets are not the lab's."""
    import subprocess
    import sys

    if lab.engine.name != "sim":
        pytest.skip("the embedded engine's daemon")
    stranger = subprocess.Popen(["unshare", "--net", sys.executable, "-c", "import socket, time; s = socket.socket(); "
                                 "s.bind(('127.0.0.1', 2024)); s.listen(); print('up', flush=True); time.sleep(120)"],
                                stdout=subprocess.PIPE, text=True)
    try:
        if stranger.stdout.readline().strip() != "up":
            pytest.skip("no network namespace can be made here (unshare --net needs root)")
        cid = lab.ok(f"docker run -d --name lk-pid {images_built['fixed']}").stdout.strip()
        real = lab.engine.inspect_container
        monkeypatch.setattr(lab.engine, "inspect_container",
                            lambda ref: dict(real(ref), State=dict(real(ref)["State"], Pid=stranger.pid)))
        assert lab.engine.listeners(cid) == [("0.0.0.0", 3000)]
        lab.engine.wait_ready(cid)  # asks the daemon too: returns at once, the server listens
    finally:
        stranger.kill()
        stranger.wait(10)
