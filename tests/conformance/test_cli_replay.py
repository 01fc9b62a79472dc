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
nothing and changes no result.

Scenarios replay side by side (every name a scenario creates starts with its prefix); one scenario runs on
dockerd and then on the sim daemon, never on both at once: both publish on this machine's ports (dockerd on
0.0.0.0, the sim on 127.0.0.1), so a scenario's `-p 18101:3000` on one would take the port from the other.
Each scenario's `cf-<scenario>-` containers and networks are removed before and after, on both daemons.
A divergence that cannot be fixed in the API server is listed, with its evidence, in KNOWN_DIVERGENCES.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from labkit.contract.cmdline import split
from labkit.contract.transcript import is_docker_line, read_transcript
from tests.conformance import harness

SCENARIOS = harness.scenarios()
IDS = [p.stem for p in SCENARIOS]
DOCKERD = "unix:///var/run/docker.sock"
LINE_TIMEOUT = 90
WORKERS = 8

# scenario -> why the CLI's output differs between dockerd and the sim daemon (applied as a strict xfail).
KNOWN_DIVERGENCES: dict[str, str] = {
    "cli-errors": "`docker run --rm cf-cli-errors-no-such-image`: both daemons answer the create with 404, and the CLI "
                  "then asks to pull the image. dockerd tries the registry and the CLI prints its network's answer "
                  "(offline: `docker: Error response from daemon: Get \"https://registry-1.docker.io/v2/\": dial tcp: "
                  "lookup registry-1.docker.io on …: no such host`; online: `pull access denied for "
                  "cf-cli-errors-no-such-image, repository does not exist or may require 'docker login'`); the sim "
                  "never pulls and answers `No such image: cf-cli-errors-no-such-image:latest (the embedded engine "
                  "does not pull: it has the course's base images and what you build)`. Same exit code (125) and "
                  "the same other lines.",
}


# -- running a scenario's lines -------------------------------------------------------------------------
def _env(host: str | None, config: str) -> dict[str, str]:
    """The environment of one line: DOCKER_HOST for docker lines, a private CLI config (no contexts, no plugins)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")}
    env["DOCKER_CONFIG"] = config
    if host is not None:
        env["DOCKER_HOST"] = host
    return env


def run_line(line: str, host: str, cwd: Path, config: str) -> dict:
    """One scenario line through /bin/sh (so quoting is a terminal's): docker lines aimed at host."""
    env = _env(host if is_docker_line(line) else None, config)
    try:
        proc = subprocess.run(["/bin/sh", "-c", line], env=env, cwd=str(cwd), capture_output=True, text=True,
                              timeout=LINE_TIMEOUT, stdin=subprocess.DEVNULL)
        return {"cmd": line, "exit_code": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return {"cmd": line, "exit_code": 124, "stdout": out, "stderr": f"timed out after {LINE_TIMEOUT} s\n"}


def _names(host: str, config: str, what: list[str]) -> list[str]:
    proc = subprocess.run(["docker", *what], env=_env(host, config), capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    return [n for n in proc.stdout.split() if n]


def cleanup(host: str, name_prefix: str, config: str) -> None:
    """Remove the containers, then the networks, whose name starts with name_prefix (always a `cf-` prefix)."""
    assert name_prefix.startswith("cf-"), name_prefix
    env = _env(host, config)
    ps = ["ps", "-a", "--filter", f"name={name_prefix}", "--format", "{{.Names}}"]
    containers = [n for n in _names(host, config, ps) if n.startswith(name_prefix)]
    if containers:
        subprocess.run(["docker", "rm", "-f", *containers], env=env, capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    nets = ["network", "ls", "--filter", f"name={name_prefix}", "--format", "{{.Name}}"]
    networks = [n for n in _names(host, config, nets) if n.startswith(name_prefix)]
    if networks:
        subprocess.run(["docker", "network", "rm", *networks], env=env, capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL)


def started(result: dict) -> list[str]:
    """The containers a successful `docker run -d` / `start` / `restart` line started (IDs or names, as printed)."""
    if result["exit_code"] != 0 or not is_docker_line(result["cmd"]):
        return []
    try:
        words = split(result["cmd"])[1:]
    except Exception:  # noqa: BLE001 - an unreadable line started nothing we can name
        return []
    verb = words[1] if words[:1] == ["container"] and len(words) > 1 else (words[0] if words else "")
    if verb == "run" and ("-d" in words or "--detach" in words):
        return result["stdout"].split()[-1:]
    return result["stdout"].split() if verb in ("start", "restart") else []


def wait_ready(engine, refs: list[str]) -> None:
    """Wait until each started container serves (or exits, or is no server): labkit's readiness rule."""
    from labkit.errors import LabkitError

    for ref in refs:
        try:
            engine.wait_ready(ref)
        except LabkitError:  # gone already (--rm): nothing to wait for
            pass


def replay(path: Path, host: str, config: str) -> list[dict]:
    """A scenario's lines on the daemon at host, its prefix cleaned before and after: normalised results."""
    from labkit.engines.docker.engine import DockerEngine

    engine = DockerEngine(host)
    cleanup(host, harness.prefix(path), config)
    results = []
    try:
        for line in read_transcript(str(path)):
            results.append(run_line(line, host, path.parent, config))
            wait_ready(engine, started(results[-1]))
    finally:
        cleanup(host, harness.prefix(path), config)
        client = getattr(engine, "_api", None)  # connected only if a wait asked the daemon
        if client is not None:
            client.close()
    return harness.normalised(path, results)


def replay_both(paths: list[Path], sim_host: str, config: str) -> dict[str, tuple[list[dict], list[dict]]]:
    """Every scenario on dockerd, then on the sim daemon (scenarios side by side): {name: (dockerd's, sim's)}."""
    def both(path: Path) -> tuple[list[dict], list[dict]]:
        return replay(path, DOCKERD, config), replay(path, sim_host, config)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return dict(zip([p.stem for p in paths], pool.map(both, paths), strict=True))


# -- the two daemons ----------------------------------------------------------------------------------------
def _dockerd_problem(config: str) -> str | None:
    """Why the replays cannot run here: no docker CLI, or no Docker daemon answering it at DOCKERD (whatever
    DOCKER_HOST says: the replays always use DOCKERD); None when they can."""
    if shutil.which("docker") is None:
        return "the docker CLI is not installed"
    try:
        proc = subprocess.run(["docker", "version", "--format", "{{.Server.APIVersion}}"], env=_env(DOCKERD, config),
                              capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
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
    reason = KNOWN_DIVERGENCES.get(path.stem)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(path, id=path.stem, marks=marks)


@pytest.mark.engine
@pytest.mark.parametrize("path", [_param(p) for p in SCENARIOS])
def test_the_cli_prints_the_same_on_both_daemons(path, runs):
    docker, sim = runs[path.stem]
    diff = harness.differences(docker, sim, "dockerd", "sim")
    assert not diff, f"scenario {path.stem}: the docker CLI prints differently on the sim daemon:\n{diff}"


def test_known_divergences_name_scenarios():
    unknown = sorted(set(KNOWN_DIVERGENCES) - set(IDS))
    assert not unknown, f"KNOWN_DIVERGENCES names no scenario: {unknown}"


def test_the_replay_waits_after_the_lines_that_start_containers():
    def line(cmd: str, stdout: str, code: int = 0) -> dict:
        return {"cmd": cmd, "exit_code": code, "stdout": stdout, "stderr": ""}

    assert started(line("docker run -d --name cf-x-a img", "abc\n")) == ["abc"]
    assert started(line("docker container run --detach img", "abc\n")) == ["abc"]
    assert started(line("docker run --rm img", "hello\n")) == []
    assert started(line("docker run -d --name cf-x-a img", "", 125)) == []
    assert started(line("docker start cf-x-a cf-x-b", "cf-x-a\ncf-x-b\n")) == ["cf-x-a", "cf-x-b"]
    assert started(line("docker restart -t 1 cf-x-a", "cf-x-a\n")) == ["cf-x-a"]
    assert started(line("docker stop cf-x-a", "cf-x-a\n")) == []
    assert started(line("curl -sS http://127.0.0.1:18101", "started\n")) == []
