"""Clients nobody on this team wrote, against the embedded engine's daemon: Debian's docker-compose v1 and
testcontainers-python.

- docker-compose 1.29.2 (`apt-get install docker-compose`; its own docker-py 5) runs `up -d`, `ps`, `run -T` (with
  and without stdin), `logs` and `down` on clients/docker-compose.yml. What it prints on stdout and its exit codes
  must equal clients/compose-v1.json, recorded by the same steps on dockerd 20.10:

      .venv/bin/python -m tests.sim.test_clients --record      # on a machine with dockerd and docker-compose

  (its progress lines go to stderr, with terminal colours and in the order its threads finish: not compared).
- testcontainers-python (the `test` extra) starts a Python server with an exposed port, waits for its log line,
  reaches it from this machine through the published port and runs an exec. It needs
  TESTCONTAINERS_CONNECTION_MODE=docker_host (it would look for a bridge gateway the sim does not have) and
  TESTCONTAINERS_RYUK_DISABLED=true (its reaper image cannot be pulled here, on either daemon).

Each test skips with one line when its tool is absent. Cost: about 10 s (compose v1 is a Python program started
seven times).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parent / "clients"
RECORDING = FOLDER / "compose-v1.json"
PROJECT = "lkcomposev1"
COMPOSE_STEPS = [  # (argv after `docker-compose -p PROJECT`, stdin)
    (["up", "-d"], None),
    (["ps"], None),
    (["run", "-T", "--rm", "client", "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}\\n", "http://web:8000/"],
     None),
    (["run", "-T", "--rm", "client", "cat"], "hi from stdin\n"),
    (["logs", "--no-color", "client"], None),
    (["down"], None),
]


@pytest.fixture(scope="module")
def sim_host():
    """A private sim daemon's DOCKER_HOST."""
    from labkit.engines.sim import daemon

    folder = tempfile.mkdtemp(prefix="lk-clients-")
    sock = os.path.join(folder, "engine.sock")
    status, _ = daemon.start(sock)
    try:
        yield status.docker_host
    finally:
        daemon.stop(sock)
        shutil.rmtree(folder, ignore_errors=True)


def compose_steps(host: str) -> list[dict]:
    """Each step's argv, exit code and stdout, by docker-compose v1 on the daemon at host; `down` at the end
    whatever happened."""
    env = {**os.environ, "DOCKER_HOST": host}
    base = ["docker-compose", "-p", PROJECT, "-f", str(FOLDER / "docker-compose.yml")]
    results = []
    try:
        for argv, stdin in COMPOSE_STEPS:
            proc = subprocess.run(base + argv, env=env, input=stdin if stdin is not None else "", text=True,
                                  capture_output=True, timeout=120)
            results.append({"step": " ".join(argv), "exit_code": proc.returncode, "stdout": proc.stdout})
    finally:
        subprocess.run(base + ["down"], env=env, capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    return results


def test_compose_v1_prints_on_the_sim_what_it_printed_on_dockerd(sim_host):
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose (v1) is not installed")
    recorded = json.loads(RECORDING.read_text(encoding="utf-8"))
    assert compose_steps(sim_host) == recorded


def test_testcontainers_runs_a_server_and_reaches_it(sim_host, monkeypatch):
    for key, value in (("DOCKER_HOST", sim_host), ("TESTCONTAINERS_CONNECTION_MODE", "docker_host"),
                       ("TESTCONTAINERS_RYUK_DISABLED", "true")):
        monkeypatch.setenv(key, value)  # before the import: testcontainers reads its settings then
    tc = pytest.importorskip("testcontainers.core.container", reason="testcontainers-python is not installed")
    from testcontainers.core.wait_strategies import LogMessageWaitStrategy

    server = tc.DockerContainer("python:3.13-slim").with_command("python3 -u -m http.server 8000") \
        .with_exposed_ports(8000).waiting_for(LogMessageWaitStrategy("Serving HTTP"))
    with server as c:
        url = f"http://{c.get_container_host_ip()}:{c.get_exposed_port(8000)}/"
        with urllib.request.urlopen(url, timeout=10) as answer:
            assert answer.status == 200
        assert c.exec(["python3", "-c", "print('in the container')"]) == (0, b"in the container\n")
        assert c.get_wrapped_container().status == "running"


def record() -> int:
    """Run the compose steps twice on dockerd; write the recording when both runs agree."""
    runs = [compose_steps(os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")) for _ in range(2)]
    if runs[0] != runs[1]:
        print("NOT DETERMINISTIC:", json.dumps(runs, indent=1))
        return 1
    RECORDING.write_text(json.dumps(runs[0], indent=1) + "\n", encoding="utf-8")
    print(f"recorded {len(runs[0])} steps")
    return 0


if __name__ == "__main__":
    sys.exit(record() if sys.argv[1:] == ["--record"] else 2)
