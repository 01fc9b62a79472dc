"""Run conformance scenarios on an engine and turn their results into comparable, normalised records.

Shared by record.py (which writes tests/conformance/recorded/), test_conformance.py and test_cli_replay.py.

A scenario is recorded on the real Docker daemon in one of two ways, chosen by its first line:
- by default through labkit (`labkit replay FILE --engine docker --json`: labkit's command contract renders
  what the docker CLI would print);
- when its first line is exactly `# recorded with the docker CLI` (CLI_MARKER), by the real `docker` program:
  each line runs through /bin/sh (so quoting is a terminal's) with DOCKER_HOST at dockerd and a private CLI
  config, host-side lines on this machine, and after a successful `run -d`, `start` or `restart` the runner
  waits until the started containers serve, as labkit does (replay_cli). Scenarios that exercise the CLI
  layer (its flags, usage errors, formats) are recorded this way, so the recording is the CLI's own output,
  never labkit's idea of it. test_conformance replays every scenario through labkit on both engines and
  compares with the recording, however it was made.
Both ways give results normalised by the one normaliser and scoped the same way (normalised()).

Every name a scenario creates starts with `cf-<scenario>-` (the scenario is its file's name without
.txt), so scenarios can run side by side, and a scenario's leftovers are found by that prefix.

The daemon is shared (another developer, other test sessions): `docker ps -a` and `docker network ls`
list everyone's containers and networks. `scope()` keeps only the rows of the scenario's own resources
(and the daemon's predefined networks bridge, host and none) and re-aligns the table as the CLI would
have printed it without the foreign rows. This is not normalisation: it removes other people's
resources, never a value of the scenario's own ones.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from labkit.contract.cmdline import split
from labkit.contract.normalise import Normaliser, normalise_result, render_table, table_cells
from labkit.contract.transcript import is_docker_line, read_transcript

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SCENARIOS = HERE / "scenarios"
RECORDED = HERE / "recorded"
PREDEFINED_NETWORKS = ("bridge", "host", "none")
SESSION_LABEL = "labkit.session"
REPLAY_TIMEOUT = 240
DOCKERD = "unix:///var/run/docker.sock"
LINE_TIMEOUT = 90
CLI_MARKER = "# recorded with the docker CLI"


def scenarios() -> list[Path]:
    """Every scenario transcript, by name."""
    return sorted(SCENARIOS.glob("*.txt"))


def prefix(path: Path) -> str:
    """The name prefix of everything a scenario creates: cf-<scenario>-."""
    return f"cf-{path.stem}-"


def recording(path: Path) -> Path:
    """Where a scenario's normalised docker results are kept."""
    return RECORDED / f"{path.stem}.jsonl"


def recorded_with_cli(path: Path) -> bool:
    """Whether the scenario is recorded by the real docker CLI (its first line is exactly CLI_MARKER)."""
    with open(path, encoding="utf-8") as f:
        return f.readline().rstrip("\r\n") == CLI_MARKER


# -- scoping listings to the scenario -----------------------------------------------------------
def _listing(cmd: str) -> str | None:
    """'ps' or 'network ls' when cmd is a listing of the whole daemon, else None."""
    try:
        words = split(cmd)
    except Exception:  # noqa: BLE001 - an unreadable line is not a listing
        return None
    words = [w for w in words[1:] if not w.startswith("-")] if words[:1] == ["docker"] else []
    if words[:1] == ["ps"] or words[:2] in (["container", "ls"], ["container", "list"]):
        return "ps"
    if words[:2] in (["network", "ls"], ["network", "list"]):
        return "network ls"
    return None


def scope(result: dict, name_prefix: str) -> dict:
    """The result with foreign rows removed from a `docker ps` / `docker network ls` table."""
    kind = _listing(result["cmd"])
    text = result.get("stdout", "")
    if kind is None or not text.strip() or "--format" in result["cmd"]:
        return result  # a --format listing is the scenario's to scope (with --filter name=cf-…)
    lines = text.rstrip("\n").split("\n")
    rows = table_cells(lines)
    if rows is None or render_table(rows) != lines:
        return result  # not a well-formed table: leave it for the comparison to show
    header, body = rows[0], rows[1:]
    if kind == "ps":
        col = header.index("NAMES") if "NAMES" in header else len(header) - 1
        keep = [r for r in body if any(n.startswith(name_prefix) for n in r[col].split(","))]
    else:
        col = header.index("NAME") if "NAME" in header else 1
        keep = [r for r in body if r[col].startswith(name_prefix) or r[col] in PREDEFINED_NETWORKS]
    return dict(result, stdout="\n".join(render_table([header, *keep])) + "\n")


def normalised(path: Path, results: list[dict]) -> list[dict]:
    """A run's results, scoped to the scenario and normalised with one Normaliser for the whole run."""
    state = Normaliser()
    keys = ("cmd", "exit_code", "stdout", "stderr")
    return [normalise_result({k: r.get(k) for k in keys}, state) for r in (scope(r, prefix(path)) for r in results)]


# -- running on docker ------------------------------------------------------------------------
def docker_problem() -> str | None:
    """Why the docker engine cannot be used here, or None when a daemon answers."""
    try:
        from labkit.engines.apiclient.connect import ping

        answer = ping(2.0)
        ok, address = answer.ok, answer.address
    except Exception as err:  # noqa: BLE001 - any failure means: no daemon to test against
        return f"no Docker daemon answers ({err})"
    return None if ok else f"no Docker daemon answered at {address} within 2 s"


def cleanup_docker(name_prefix: str = "cf-", session: str | None = None) -> list[str]:
    """Remove containers, then networks, named name_prefix* that carry the labkit.session label (Docker SDK),
    and everything of the replay's own session (a container run without a name, or left half-made)."""
    from labkit.engines.apiclient.connect import connect

    api = connect()
    removed = []
    for c in api.containers(all=True, filters={"label": SESSION_LABEL}):
        names = [n.lstrip("/") for n in c.get("Names") or []]
        if any(n.startswith(name_prefix) for n in names) or (session and (c.get("Labels") or {}).get(SESSION_LABEL)
                                                              == session):
            try:
                api.remove_container(c["Id"], force=True)
                removed.append(names[0])
            except Exception:  # noqa: BLE001 - already gone (e.g. --rm)
                pass
    for n in api.networks(filters={"label": SESSION_LABEL}):
        if n["Name"].startswith(name_prefix):
            try:
                api.remove_network(n["Id"])
                removed.append(n["Name"])
            except Exception:  # noqa: BLE001 - already gone
                pass
    return removed


def scenario_session() -> str:
    """A session of its own for one replay: 12 hex digits, like the recordings' (the normaliser numbers them)."""
    import secrets

    return secrets.token_hex(6)


def replay_docker(path: Path) -> list[dict]:
    """Replay one scenario with `labkit replay FILE --engine docker --json`; clean its prefix before and after."""
    cleanup_docker(prefix(path))
    env = dict(os.environ, LABKIT_ENGINE="docker", LABKIT_SESSION=scenario_session())
    try:
        proc = subprocess.run([sys.executable, "-m", "labkit", "replay", str(path), "--engine", "docker", "--json"],
                              capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=REPLAY_TIMEOUT,
                              stdin=subprocess.DEVNULL)
        out, err, code = proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err, code = f"replay timed out after {REPLAY_TIMEOUT} s", 124
    finally:
        cleanup_docker(prefix(path), env["LABKIT_SESSION"])
    results = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    if code != 0:
        results.append({"cmd": "<labkit replay>", "exit_code": code, "stdout": "", "stderr": err})
    return results


ALONE_MARKER = "# replayed alone"


def replayed_alone(path: Path) -> bool:
    """Whether a scenario asks to run with no other scenario beside it: it asserts what dockerd's isolation rules
    drop (packets between networks), and dockerd rewrites those rules while other networks come and go, so a
    storm of network changes beside it lets a packet through that a learner's single lab would see dropped."""
    return any(line.startswith(ALONE_MARKER) for line in path.read_text().splitlines())


def side_by_side(paths: list[Path], run, workers: int) -> dict[str, object]:
    """run(path) for every scenario, `workers` at a time, then the ones replayed alone one after the other:
    {scenario name: what run returned}."""
    crowd = [p for p in paths if not replayed_alone(p)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        out = dict(zip([p.stem for p in crowd], pool.map(run, crowd), strict=True))
    for p in paths:
        if p.stem not in out:
            out[p.stem] = run(p)
    return out


def replay_all_docker(paths: list[Path], workers: int = 6) -> dict[str, list[dict]]:
    """Replay scenarios through labkit side by side on docker: {scenario name: normalised results}."""
    runs = side_by_side(paths, replay_docker, workers)
    return {p.stem: normalised(p, runs[p.stem]) for p in paths}


def record_all_docker(paths: list[Path], workers: int = 8) -> dict[str, list[dict]]:
    """Run scenarios side by side on docker as they are recorded: by the docker CLI for those marked with
    CLI_MARKER, through labkit for the others: {scenario name: normalised results}."""
    config = tempfile.mkdtemp(prefix="lk-cli-cfg-")

    def one(path: Path) -> list[dict]:
        return replay_cli(path, DOCKERD, config) if recorded_with_cli(path) else normalised(path, replay_docker(path))

    try:
        return side_by_side(paths, one, workers)
    finally:
        shutil.rmtree(config, ignore_errors=True)


# -- running lines with the real docker CLI -------------------------------------------------------
def cli_env(host: str | None, config: str) -> dict[str, str]:
    """The environment of one line: DOCKER_HOST for docker lines, a private CLI config (no contexts, no plugins)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")}
    env["DOCKER_CONFIG"] = config
    if host is not None:
        env["DOCKER_HOST"] = host
    return env


def run_cli_line(line: str, host: str, cwd: Path, config: str) -> dict:
    """One scenario line through /bin/sh (so quoting is a terminal's): docker lines aimed at host."""
    env = cli_env(host if is_docker_line(line) else None, config)
    try:
        proc = subprocess.run(["/bin/sh", "-c", line], env=env, cwd=str(cwd), capture_output=True, text=True,
                              timeout=LINE_TIMEOUT, stdin=subprocess.DEVNULL)
        return {"cmd": line, "exit_code": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return {"cmd": line, "exit_code": 124, "stdout": out, "stderr": f"timed out after {LINE_TIMEOUT} s\n"}


def _cli_names(host: str, config: str, what: list[str]) -> list[str]:
    proc = subprocess.run(["docker", *what], env=cli_env(host, config), capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    return [n for n in proc.stdout.split() if n]


def cleanup_cli(host: str, name_prefix: str, config: str) -> None:
    """Remove, with the docker CLI, the containers, then the networks, whose name starts with name_prefix
    (always a `cf-` prefix)."""
    assert name_prefix.startswith("cf-"), name_prefix
    env = cli_env(host, config)
    ps = ["ps", "-a", "--filter", f"name={name_prefix}", "--format", "{{.Names}}"]
    containers = [n for n in _cli_names(host, config, ps) if n.startswith(name_prefix)]
    if containers:
        subprocess.run(["docker", "rm", "-f", *containers], env=env, capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    nets = ["network", "ls", "--filter", f"name={name_prefix}", "--format", "{{.Name}}"]
    networks = [n for n in _cli_names(host, config, nets) if n.startswith(name_prefix)]
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


def replay_cli(path: Path, host: str, config: str) -> list[dict]:
    """A scenario's lines by the docker CLI on the daemon at host, its prefix cleaned before and after.

    The CLI returns from `docker run -d`, `start` and `restart` once the container's program is started, not
    once it serves; labkit waits until a started server listens (labkit.engines.readiness). So after those
    lines this waits the same way (labkit's DockerEngine.wait_ready, pointed at the daemon), as a person at a
    terminal would: the next line (a curl to it, a `docker stop` before a Python server has set itself up)
    would race otherwise. The wait prints nothing and changes no result. Returns normalised results."""
    from labkit.engines.apiclient.engine import DockerEngine

    engine = DockerEngine(host)
    cleanup_cli(host, prefix(path), config)
    results = []
    try:
        for line in read_transcript(str(path)):
            results.append(run_cli_line(line, host, path.parent, config))
            wait_ready(engine, started(results[-1]))
    finally:
        cleanup_cli(host, prefix(path), config)
        client = getattr(engine, "_api", None)  # connected only if a wait asked the daemon
        if client is not None:
            client.close()
    return normalised(path, results)


# -- running on another engine in this process (the sim) ---------------------------------------
def cleanup_backend(engine, name_prefix: str) -> None:
    """Remove a backend's labkit containers, then networks, named name_prefix* (engine API of labkit)."""
    f = {"label": [SESSION_LABEL]}
    for c in engine.list_containers(all=True, filters=f):
        if any(n.lstrip("/").startswith(name_prefix) for n in c.get("Names") or []):
            try:
                engine.remove_container(c["Id"], force=True)
            except Exception:  # noqa: BLE001
                pass
    for n in engine.list_networks(filters=f):
        if n["Name"].startswith(name_prefix):
            try:
                engine.remove_network(n["Id"])
            except Exception:  # noqa: BLE001
                pass


def replay_engine(path: Path, engine) -> list[dict]:
    """Replay one scenario in this process on engine; normalised results; its prefix cleaned before and after."""
    from labkit import session
    from labkit.contract.transcript import replay

    cleanup_backend(engine, prefix(path))
    previous = session.activate(session.Session(scenario_session()))
    try:
        results = [{"cmd": r.cmd, "exit_code": r.exit_code, "stdout": r.stdout, "stderr": r.stderr}
                   for r in replay(str(path), engine=engine)]
    finally:
        session.activate(previous)
        cleanup_backend(engine, prefix(path))
    return normalised(path, results)


# -- comparing -----------------------------------------------------------------------------------
def load_recording(path: Path) -> list[dict]:
    """The recorded normalised results of a scenario."""
    with open(recording(path), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_recording(path: Path, results: list[dict]) -> None:
    """Store a scenario's normalised results, one JSON object per command."""
    RECORDED.mkdir(parents=True, exist_ok=True)
    with open(recording(path), "w", encoding="utf-8") as f:
        for r in results:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def differences(want: list[dict], got: list[dict], left: str = "recorded", right: str = "got") -> str:
    """A readable, command-by-command diff of two normalised runs ('' when equal)."""
    import difflib

    parts = []
    for i in range(max(len(want), len(got))):
        w = want[i] if i < len(want) else None
        g = got[i] if i < len(got) else None
        if w == g:
            continue
        cmd = (w or g)["cmd"]
        if w is None or g is None:
            parts.append(f"[{i + 1}] {cmd}: only in {left if g is None else right}")
            continue
        if w["cmd"] != g["cmd"]:
            parts.append(f"[{i + 1}] command differs: {left} {w['cmd']!r}, {right} {g['cmd']!r}")
            parts.extend(f"    {r['cmd']}: exit {r['exit_code']}: {r['stderr'].strip()[-800:]}" for r in (w, g)
                         if r["cmd"] == "<labkit replay>")
            continue
        parts.append(f"[{i + 1}] $ {cmd}")
        if w["exit_code"] != g["exit_code"]:
            parts.append(f"    exit code: {left} {w['exit_code']}, {right} {g['exit_code']}")
        for key in ("stdout", "stderr"):
            if w[key] != g[key]:
                diff = difflib.unified_diff(w[key].splitlines(), g[key].splitlines(), f"{left} {key}",
                                            f"{right} {key}", lineterm="", n=2)
                parts.extend("    " + line for line in diff)
    return "\n".join(parts)


def host_tools() -> str:
    """The host programs host-side lines use, as `curl --version` names them (first line)."""
    try:
        out = subprocess.run(["curl", "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "no curl on this machine"
    return out.splitlines()[0].split(" (")[0] if out else "no curl on this machine"


def has_host_lines(path: Path) -> bool:
    """Whether a scenario has lines that run on the host (their output is the host's curl's)."""
    from labkit.contract.transcript import is_docker_line, read_transcript

    return any(not is_docker_line(line) for line in read_transcript(str(path)))


def recorded_host_tools() -> str | None:
    """The host's curl the recordings were made with."""
    f = RECORDED / "_host.txt"
    return f.read_text().strip() if f.exists() else None
