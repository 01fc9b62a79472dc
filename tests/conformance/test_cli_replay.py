"""The real docker CLI against dockerd and against the embedded engine's daemon: every scenario, the same output.

test_conformance checks labkit's own command contract (labkit renders the tables and messages). Here labkit
renders nothing: every docker line of a scenario is run by the real `docker` program, once with
DOCKER_HOST pointing at the real Docker daemon and once at a private sim daemon (`labkit sim`, the
Engine API server in labkit.engines.sim.api). Whatever the CLI prints it builds from the daemon's answers
(document shapes, status codes, error messages, stream framing), so the two runs, normalised by the one
normaliser (harness.normalised), must be equal. Host-side lines run on this machine as the scenario's
`/bin/sh` line, in both runs.

The CLI returns from `docker run -d`, `start` and `restart` once the container's program is started, not
once it serves; the recordings were made by labkit, which waits until a started server listens (labkit.
engines.readiness). A scenario's next line (a curl to it, a `docker stop` before a Python server has set
itself up) would race on either daemon, so after those lines the replay waits the same way on both daemons
(labkit's DockerEngine.wait_ready, pointed at the daemon), as a person at a terminal would. The wait prints
nothing and changes no result. The line runner is harness.replay_cli, the one record.py uses for the
scenarios recorded with the docker CLI.

Scenarios replay side by side (every name a scenario creates starts with its prefix); one scenario runs on
dockerd and then on the sim daemon, never on both at once: both publish on this machine's ports (dockerd on
0.0.0.0, the sim on 127.0.0.1), so a scenario's `-p 18101:3000` on one would take the port from the other.
Each scenario's `cf-<scenario>-` containers and networks are removed before and after, on both daemons.
A divergence that cannot be fixed in the API server is listed, with its evidence, in test_divergences.CLI_REPLAY
(the one list of the embedded engine's known divergences).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conformance import harness
from tests.conformance.test_divergences import CLI_REPLAY

SCENARIOS = harness.scenarios()
IDS = [p.stem for p in SCENARIOS]
DOCKERD = harness.DOCKERD
WORKERS = 6  # fewer networks made at once (and the isolation scenarios replayed alone, see harness.side_by_side)


# -- running a scenario's lines (harness.replay_cli) on both daemons ---------------------------------------
def replay_both(paths: list[Path], sim_host: str, config: str) -> dict[str, tuple[list[dict], list[dict]]]:
    """Every scenario on dockerd, then on the sim daemon (scenarios side by side): {name: (dockerd's, sim's)}."""
    def both(path: Path) -> tuple[list[dict], list[dict]]:
        return harness.replay_cli(path, DOCKERD, config), harness.replay_cli(path, sim_host, config)

    return harness.side_by_side(paths, both, WORKERS)


# -- the two daemons ----------------------------------------------------------------------------------------
def _dockerd_problem(config: str) -> str | None:
    """Why the replays cannot run here: no docker CLI, or no Docker daemon answering it at DOCKERD (whatever
    DOCKER_HOST says: the replays always use DOCKERD); None when they can."""
    if shutil.which("docker") is None:
        return "the docker CLI is not installed"
    try:
        proc = subprocess.run(["docker", "version", "--format", "{{.Server.APIVersion}}"],
                              env=harness.cli_env(DOCKERD, config), capture_output=True, text=True, timeout=20,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"no Docker daemon answers the docker CLI at {DOCKERD} ({err})"
    if proc.returncode != 0 or not proc.stdout.strip():
        return f"no Docker daemon answers the docker CLI at {DOCKERD}: " + " ".join(proc.stderr.split())[:300]
    return None


@pytest.fixture(scope="module")
def cli_config():
    folder = tempfile.mkdtemp(prefix="lk-cli-cfg-")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def runs(request, cli_config):
    """The selected scenarios by the docker CLI on dockerd and on a private sim daemon: {name: (dockerd's, sim's)}."""
    if (os.environ.get("LABKIT_ENGINE") or "auto").strip().lower() == "sim":
        pytest.skip("LABKIT_ENGINE=sim: the real CLI's replays use both daemons and belong to the docker pass")
    problem = _dockerd_problem(cli_config)
    if problem:
        pytest.skip(problem)
    from labkit.engines.sim import daemon

    selected = {item.callspec.params.get("path") for item in request.session.items
                if getattr(item, "module", None) is request.module and hasattr(item, "callspec")}
    folder = tempfile.mkdtemp(prefix="lk-cli-")
    sock = os.path.join(folder, "engine.sock")
    status, _ = daemon.start(sock)
    try:
        yield replay_both([p for p in SCENARIOS if p in selected], status.docker_host, cli_config)
    finally:
        daemon.stop(sock)
        shutil.rmtree(folder, ignore_errors=True)


def _param(path: Path):
    reason = CLI_REPLAY.get(path.stem)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(path, id=path.stem, marks=marks)


@pytest.mark.engine
@pytest.mark.parametrize("path", [_param(p) for p in SCENARIOS])
def test_the_cli_prints_the_same_on_both_daemons(path, runs):
    docker, sim = runs[path.stem]
    diff = harness.differences(docker, sim, "dockerd", "sim")
    assert not diff, f"scenario {path.stem}: the docker CLI prints differently on the sim daemon:\n{diff}"


def test_known_divergences_name_scenarios():
    unknown = sorted(set(CLI_REPLAY) - set(IDS))
    assert not unknown, f"test_divergences.CLI_REPLAY names no scenario: {unknown}"


def test_the_replay_waits_after_the_lines_that_start_containers():
    def line(cmd: str, stdout: str, code: int = 0) -> dict:
        return {"cmd": cmd, "exit_code": code, "stdout": stdout, "stderr": ""}

    assert harness.started(line("docker run -d --name cf-x-a img", "abc\n")) == ["abc"]
    assert harness.started(line("docker container run --detach img", "abc\n")) == ["abc"]
    assert harness.started(line("docker run --rm img", "hello\n")) == []
    assert harness.started(line("docker run -d --name cf-x-a img", "", 125)) == []
    assert harness.started(line("docker start cf-x-a cf-x-b", "cf-x-a\ncf-x-b\n")) == ["cf-x-a", "cf-x-b"]
    assert harness.started(line("docker restart -t 1 cf-x-a", "cf-x-a\n")) == ["cf-x-a"]
    assert harness.started(line("docker stop cf-x-a", "cf-x-a\n")) == []
    assert harness.started(line("curl -sS http://127.0.0.1:18101", "started\n")) == []


def test_a_scenario_replayed_alone_has_no_other_beside_it(tmp_path):
    import threading
    import time

    paths = []
    for name, alone in (("a", False), ("b", True), ("c", False), ("d", False)):
        p = tmp_path / f"{name}.txt"
        p.write_text(("# replayed alone: test\n" if alone else "# crowd\n") + "docker ps\n")
        paths.append(p)
    running: set[str] = set()
    beside: dict[str, set[str]] = {}
    lock = threading.Lock()

    def run(path):
        with lock:
            running.add(path.stem)
            beside[path.stem] = set(running) - {path.stem}
        time.sleep(0.05)
        with lock:
            beside[path.stem] |= set(running) - {path.stem}
            running.discard(path.stem)
        return path.stem.upper()

    assert harness.side_by_side(paths, run, workers=3) == {"a": "A", "b": "B", "c": "C", "d": "D"}
    assert beside["b"] == set() and beside["a"] and harness.replayed_alone(paths[1])
