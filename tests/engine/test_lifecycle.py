"""The lifecycle commands on the engine under test: kill, rename, top, pause/unpause, wait, logs options, prune,
pull, info, and the CLI's small rules (-e VAR unset, -it without a terminal, rm -f of a missing container).

Names start with LK_TEST_PREFIX (default lk-life-), so runs on a shared daemon can keep apart.
"""

from __future__ import annotations

import json
import os
import re
import socket

import pytest

from tests.conftest import CURL

P = os.environ.get("LK_TEST_PREFIX", "lk-life-")
# a server whose PID 1 has no handler for SIGTERM, and one that exits 3 on SIGTERM; both listen once set up
DEAF = ("python3 -c \"import socket; s=socket.socket(); s.bind(('0.0.0.0', 8000)); s.listen(); s.accept()\"")
POLITE = ("python3 -c \"import signal, socket, sys; signal.signal(signal.SIGTERM, lambda *a: sys.exit(3)); "
          "s=socket.socket(); s.bind(('0.0.0.0', 8000)); s.listen(); s.accept()\"")
PY = "python:3.13-slim"


def state(lab, name: str) -> dict:
    return json.loads(lab.ok(f"docker inspect {name}").stdout)[0]["State"]


def test_kill_signals_reach_the_real_process(lab):
    lab.ok(f"docker run -d --name {P}deaf --expose 8000 {PY} {DEAF}")
    lab.ok(f"docker run -d --name {P}polite --expose 8000 {PY} {POLITE}")
    # PID 1 without a handler: SIGTERM and SIGHUP change nothing
    assert lab.ok(f"docker kill -s TERM {P}deaf").stdout == f"{P}deaf\n"
    lab.ok(f"docker kill --signal=SIGHUP {P}deaf")
    assert state(lab, f"{P}deaf")["Running"] is True
    # a handler runs: the program's own exit code
    lab.ok(f"docker kill -s 15 {P}polite")
    assert lab.ok(f"docker wait {P}polite").stdout == "3\n"
    # SIGKILL (the default) always ends it: 137
    lab.ok(f"docker kill {P}deaf")
    assert lab.ok(f"docker wait {P}deaf").stdout == "137\n"
    assert state(lab, f"{P}deaf")["ExitCode"] == 137
    r = lab(f"docker kill {P}deaf")
    assert r.exit_code == 1
    assert re.fullmatch(rf"Error response from daemon: Cannot kill container: {P}deaf: Container [0-9a-f]{{64}} "
                        r"is not running\n", r.stderr)
    r = lab(f"docker kill {P}missing")
    assert (r.exit_code, r.stderr) == (1, f"Error response from daemon: Cannot kill container: {P}missing: "
                                          f"No such container: {P}missing\n")


def test_kill_unknown_signal(lab):
    lab.ok(f"docker run -d --name {P}sig --expose 8000 {PY} {DEAF}")
    r = lab(f"docker kill -s BOGUS {P}sig")
    assert (r.exit_code, r.stderr) == (1, "Error response from daemon: Invalid signal: BOGUS\n")
    assert state(lab, f"{P}sig")["Running"] is True


def test_rename_moves_the_name_and_dns(lab, images_built):
    lab.ok(f"docker network create {P}net")
    lab.ok(f"docker run -d --name {P}old --network {P}net {images_built['fixed']}")
    assert lab.ok(f"docker rename {P}old {P}new").stdout == ""
    assert json.loads(lab.ok(f"docker inspect {P}new").stdout)[0]["Name"] == f"/{P}new"
    assert lab(f"docker inspect {P}old").exit_code == 1
    assert lab(f"docker run --rm --network {P}net {CURL} -sS http://{P}new:3000").exit_code == 0
    assert lab(f"docker run --rm --network {P}net {CURL} -sS http://{P}old:3000").exit_code == 6
    r = lab(f"docker rename {P}new {P}new")
    assert (r.exit_code, r.stderr) == (1, "Error response from daemon: Renaming a container with the same name as its "
                                          f"current name\nError: failed to rename container named {P}new\n")
    r = lab(f"docker rename {P}new ''")
    assert (r.exit_code, r.stderr) == (1, "Error: Neither old nor new names may be empty\n")


def test_top_lists_the_main_process(lab):
    lab.ok(f"docker run -d --name {P}top --expose 8000 {PY} {DEAF}")
    lines = lab.ok(f"docker top {P}top").stdout.splitlines()
    assert lines[0].split() == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    assert lines[0].startswith("UID" + " " * 17 + "PID")
    rows = [line.split(None, 7) for line in lines[1:]]
    assert [(r[0], r[7]) for r in rows] == [("root", DEAF.replace('"', ""))]
    assert str(state(lab, f"{P}top")["Pid"]) == rows[0][1]


def test_pause_stops_the_processes_until_unpause(lab, images_built):
    lab.ok(f"docker run -d --name {P}frozen -p 127.0.0.1::3000 {images_built['fixed']}")
    port = int(lab.ok(f"docker port {P}frozen 3000").stdout.strip().rsplit(":", 1)[1])
    assert lab.ok(f"docker pause {P}frozen").stdout == f"{P}frozen\n"
    st = state(lab, f"{P}frozen")
    assert (st["Status"], st["Paused"], st["Running"]) == ("paused", True, True)
    assert re.search(r"Up .* \(Paused\)", lab.ok("docker ps").stdout)
    assert _http_answer(port) is None  # the server cannot answer while it is stopped
    r = lab(f"docker exec {P}frozen true")
    assert (r.exit_code, r.stderr) == (1, f"Error response from daemon: Container {P}frozen is paused, unpause the "
                                          "container before exec\n")
    r = lab(f"docker rm {P}frozen")
    assert r.exit_code == 1 and "You cannot remove a paused container" in r.stderr
    r = lab(f"docker pause {P}frozen")
    assert r.exit_code == 1 and r.stderr.endswith("is already paused\n")
    lab.ok(f"docker unpause {P}frozen")
    assert _http_answer(port, timeout=10).startswith("HTTP/1.0 200")
    r = lab(f"docker unpause {P}frozen")
    assert r.exit_code == 1 and r.stderr.endswith("is not paused\n")


def test_a_paused_container_still_dies_by_sigkill(lab, images_built):
    lab.ok(f"docker run -d --name {P}pk {images_built['fixed']}")
    lab.ok(f"docker pause {P}pk")
    lab.ok(f"docker stop -t 1 {P}pk")
    st = state(lab, f"{P}pk")
    assert (st["Status"], st["ExitCode"], st["Paused"]) == ("exited", 137, False)


def _http_answer(port: int, timeout: float = 2.0) -> str | None:
    """The first bytes of an answer to GET / on the host's port, or None when none comes in time."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
        try:
            return s.recv(64).decode(errors="replace") or None
        except TimeoutError:
            return None


def test_logs_tail_since_timestamps_follow(lab):
    lab.ok(f"docker run --name {P}logs {PY} python3 -c \"[print(i) for i in range(5)]\"")
    assert lab.ok(f"docker logs --tail 2 {P}logs").stdout == "3\n4\n"
    assert lab.ok(f"docker logs -n 0 {P}logs").stdout == ""
    assert lab.ok(f"docker logs --tail x {P}logs").stdout == "0\n1\n2\n3\n4\n"
    assert lab.ok(f"docker logs --since 2099-01-01 {P}logs").stdout == ""
    assert lab.ok(f"docker logs --since 1h {P}logs").stdout == "0\n1\n2\n3\n4\n"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z 4\n", lab.ok(f"docker logs -t -n 1 {P}logs").stdout)
    r = lab(f"docker logs --since bogus {P}logs")
    assert (r.exit_code, r.stderr) == (1, 'invalid value for "since": failed to parse value as time or duration: '
                                          '"bogus"\n')
    lab.ok(f"docker run -d --name {P}follow {PY} python3 -c "
           "\"import time; [print(i, flush=True) or time.sleep(0.3) for i in range(4)]\"")
    assert lab.ok(f"docker logs -f {P}follow").stdout == "0\n1\n2\n3\n"
    assert state(lab, f"{P}follow")["Running"] is False  # -f returned because the container stopped


def test_prune_removes_only_what_is_unused(lab):
    lab.ok(f"docker run --name {P}done {PY} true")
    lab.ok(f"docker run -d --name {P}up --expose 8000 {PY} {DEAF}")
    lab.ok(f"docker network create {P}idle")
    lab.ok(f"docker network create {P}used")
    lab.ok(f"docker network connect {P}used {P}up")
    r = lab.ok("docker container prune")  # no terminal to answer the question: nothing removed
    assert r.stdout == "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] "
    assert lab(f"docker inspect {P}done").exit_code == 0
    r = lab.ok("docker container prune -f")
    assert re.fullmatch(r"Deleted Containers:\n[0-9a-f]{64}\n\nTotal reclaimed space: \d+(\.\d+)?[kMG]?B\n", r.stdout)
    assert lab(f"docker inspect {P}done").exit_code == 1
    assert state(lab, f"{P}up")["Running"] is True
    lab.ok("docker network prune")
    assert lab(f"docker network inspect {P}idle").exit_code == 0
    assert lab.ok("docker network prune -f").stdout == f"Deleted Networks:\n{P}idle\n\n"
    assert lab(f"docker network inspect {P}idle").exit_code == 1
    assert lab(f"docker network inspect {P}used").exit_code == 0
    r = lab("docker container prune -f --filter bogus=1")
    assert (r.exit_code, r.stderr) == (1, "Error response from daemon: Invalid filter 'bogus'\n")


def test_pull_is_answered_as_by_an_offline_daemon(lab, engine):
    if engine.name == "docker":
        pytest.skip("a real daemon's answer depends on its network")
    r = lab("docker pull alpine")
    assert r.exit_code == 1 and r.stdout == "Using default tag: latest\n"
    assert re.fullmatch(r'Error response from daemon: Get "https://registry-1\.docker\.io/v2/": dial tcp: lookup '
                        r"registry-1\.docker\.io on \S+:53: no such host\n", r.stderr)
    r = lab(f"docker pull {PY}")  # one it has: a daemon asks the registry all the same
    assert r.exit_code == 1 and r.stdout == "" and "registry-1.docker.io" in r.stderr
    r = lab("docker pull Alpine")
    assert (r.exit_code, r.stderr) == (1, "invalid reference format: repository name (library/Alpine) must be "
                                          "lowercase\n")


def test_info(lab):
    out = lab.ok("docker info").stdout
    assert out.startswith("Client:\n Version:")
    for label in ("\nServer:\n Containers: ", "\n  Running: ", "\n  Paused: ", "\n Server Version: ",
                  "\n Operating System: ", "\n CPUs: "):
        assert label in out


def test_unimplemented_and_unknown_are_told_apart(lab):
    r = lab("docker stats --no-stream")
    assert (r.exit_code, r.stderr) == (125, "labkit does not implement `docker stats` (a docker command outside "
                                            "the course's subset)\n")
    r = lab("docker volume ls")
    assert r.exit_code == 125 and r.stderr.startswith("labkit does not implement `docker volume ls`")
    r = lab(f"docker run --memory 1g {PY} true")
    assert (r.exit_code, r.stderr) == (125, "labkit does not implement `docker run --memory` (a docker flag outside "
                                            "the course's subset)\n")
    r = lab("docker frobnicate")
    assert (r.exit_code, r.stderr) == (1, "docker: unknown command: docker frobnicate\n\n"
                                          "Run 'docker --help' for more information\n")
    r = lab("docker container frob")
    assert r.exit_code == 1 and r.stderr.startswith("docker: unknown command: docker container frob\n\n"
                                                    "Usage:  docker container\n")
    r = lab(f"docker run --frobnicate {PY} true")
    assert r.exit_code == 125 and r.stderr.startswith("unknown flag: --frobnicate\n")


def test_cli_nits(lab, monkeypatch):
    monkeypatch.delenv("LK_LIFE_UNSET", raising=False)
    monkeypatch.setenv("LK_LIFE_SET", "from-the-caller")
    r = lab.ok(f"docker run --rm -e LK_LIFE_UNSET -e LK_LIFE_SET {PY} python3 -c "
               "\"import os; print(sorted((k, v) for k, v in os.environ.items() if k.startswith('LK_LIFE')))\"")
    assert r.stdout == "[('LK_LIFE_SET', 'from-the-caller')]\n"
    r = lab(f"docker run -it --rm {PY} true")
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", "the input device is not a TTY\n")
    r = lab(f"docker rm -f {P}missing")
    assert (r.exit_code, r.stderr) == (0, f"Error response from daemon: No such container: {P}missing\n")
    assert lab(f"docker rm {P}missing").exit_code == 1
