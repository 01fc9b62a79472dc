"""Parity with the real docker CLI: the same command line through `docker` and through labkit.docker().

Each test runs one command line twice, first with the docker CLI binary (subprocess) and then with
labkit (Docker SDK), and requires the same stdout, stderr and exit code. The only normalisation is
of relative times ("5 seconds ago", "Up 3 seconds", "Less than a second ago"); any other masking
is named, with its reason, where it is done.

The compared resources are created through labkit (so they carry the labkit.session label and
labkit may remove them); the CLI only reads them. Every resource is named `lkpar-<run id>-...`
and removed in teardown, also when a test fails. Nothing else on the daemon is touched.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

import labkit
from labkit import coursefiles
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
DAY8 = coursefiles.assets_dir() / "day8"
CURL = "curlimages/curl:8.14.1"
CLI_SERIES = "28."  # the CLI release whose exact wording labkit reproduces
RUN = f"lkpar-{uuid.uuid4().hex[:8]}"  # every resource of this module starts with this


def _daemon_problem() -> str | None:
    """Why the CLI cannot be compared here, or None when a docker binary and a daemon answer."""
    if os.environ.get("LABKIT_ENGINE", "").strip().lower() == "sim":
        return "parity with the docker CLI is checked on the docker engine (the sim is held to it by tests/conformance)"
    if os.environ.get("LABKIT_ENGINE", "").strip().lower() == "podman":
        return ("parity with the docker CLI is checked on the docker engine (on Podman labkit shows Docker's shapes "
                "where the docker CLI shows Podman's answers: docs/podman.md)")
    if shutil.which("docker") is None:
        return "no `docker` CLI binary on PATH to compare labkit with"
    try:
        proc = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"], capture_output=True,
                              text=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"the docker CLI did not answer ({err})"
    if proc.returncode != 0 or not proc.stdout.strip():
        return f"no Docker daemon answers the docker CLI ({proc.stderr.strip() or 'no server version'})"
    client = subprocess.run(["docker", "version", "--format", "{{.Client.Version}}"], capture_output=True,
                            text=True, timeout=20, stdin=subprocess.DEVNULL).stdout.strip()
    if not client.startswith(CLI_SERIES):
        return f"labkit's wording follows docker CLI {CLI_SERIES}x; the docker on PATH is {client or 'unknown'}"
    return None


_PROBLEM = _daemon_problem()
pytestmark = [pytest.mark.engine, pytest.mark.skipif(_PROBLEM is not None, reason=_PROBLEM or "")]


# -- normalisation ---------------------------------------------------------------------------
_TIME = r"(?:Less than a second|About a minute|About an hour|\d+ (?:second|minute|hour|day|week|month|year)s?)"
_TIME_RE = re.compile(rf"(?<=Up ){_TIME}|{_TIME}(?= ago)")


def normalise(text: str) -> str:
    """Mask relative times only: they tick between the two runs of a command."""
    return _TIME_RE.sub("<time>", text)


def _mask_curl_elapsed(text: str) -> str:
    # Extra masking (unavoidable): curl's own message names how long its connect attempt took
    # ("Failed to connect to HOST port 9999 after 0 ms"); it is measured anew by each run.
    return re.sub(r"after \d+ ms", "after <n> ms", text)


_BUILD_ID_RE = re.compile(r"(---> |Running in |Removing intermediate container |Successfully built )[0-9a-f]{12}")


def _mask_build_ids(text: str) -> str:
    # Extra masking (asked for): image and intermediate-container IDs of a build differ between two
    # builds whenever a step is not cached; with a warm cache they are equal anyway.
    return _BUILD_ID_RE.sub(r"\1<id>", text)


_DEPRECATED_RE = re.compile(r"^DEPRECATED: .*\n(?:[ \t]+.*\n)*\n?", re.M)


def _strip_legacy_builder_banner(text: str) -> str:
    # Extra masking (asked for): with DOCKER_BUILDKIT=0 the CLI 28 prints a 'DEPRECATED: The legacy
    # builder is deprecated ...' banner (indented continuation lines and a blank line) on stderr;
    # labkit uses the classic builder on purpose and has no such banner.
    return _DEPRECATED_RE.sub("", text)


# -- running both sides ----------------------------------------------------------------------
def cli(line: str, cwd: str | Path | None = None, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run `docker LINE` with the real CLI: (exit code, stdout, stderr)."""
    full_env = {k: v for k, v in os.environ.items() if k != "DOCKER_BUILDKIT"}
    full_env.update(env or {})
    proc = subprocess.run(["docker", *shlex.split(line)], cwd=cwd, env=full_env, capture_output=True,
                          timeout=180, stdin=subprocess.DEVNULL)
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")


def lk(line: str, cwd: str | Path | None = None) -> tuple[int, str, str]:
    """Run `docker LINE` through labkit: (exit code, stdout, stderr)."""
    r = labkit.docker(line, cwd=str(cwd) if cwd else None)
    return r.exit_code, r.stdout, r.stderr


def _view(code: int, out: str, err: str, mask) -> dict:
    return {"exit_code": code, "stdout": mask(normalise(out)), "stderr": mask(normalise(err))}


def compare(line: str, *, lk_line: str | None = None, cwd=None, cli_env=None, mask=lambda s: s,
            attempts: int = 1) -> dict:
    """Run line on both sides and assert equal (normalised) stdout, stderr and exit code.

    attempts > 1 only for listings of the whole daemon (ps, network ls): another developer uses
    the same daemon, and a relative time may cross a width boundary ("9 seconds" -> "10 seconds")
    between the two runs; both change the table, so the pair is run again (after a second) and
    the last pair is the one judged. Nothing in the output is masked for this.
    """
    for attempt in range(attempts):
        want = _view(*cli(line, cwd=cwd, env=cli_env), mask)
        got = _view(*lk(lk_line or line, cwd=cwd), mask)
        if got == want:
            break
        if attempt + 1 < attempts:
            time.sleep(1.0)
    assert got == want, f"docker {line!r}: labkit differs from the docker CLI\n" + _diff(want, got)
    return want


def _diff(want: dict, got: dict) -> str:
    parts = []
    for key in ("exit_code", "stdout", "stderr"):
        if want[key] != got[key]:
            if key == "exit_code":
                parts.append(f"exit code: docker {want[key]}, labkit {got[key]}")
                continue
            lines = difflib.unified_diff(str(want[key]).splitlines(True), str(got[key]).splitlines(True),
                                         f"docker {key}", f"labkit {key}")
            parts.append("".join(repr(x)[1:-1] + "\n" for x in lines))
    return "\n".join(parts)


# -- the lab: resources made through labkit ------------------------------------------------------
def _remove_everything(api) -> None:
    """Remove every container, network and image tag of this run (names start with RUN)."""
    for c in api.containers(all=True, filters={"name": RUN}):
        if any(n.lstrip("/").startswith(RUN) for n in c.get("Names") or []):
            try:
                api.remove_container(c["Id"], force=True)
            except Exception:
                pass
    for n in api.networks(names=[RUN]):
        if n["Name"].startswith(RUN):
            try:
                api.remove_network(n["Id"])
            except Exception:
                pass
    for img in api.images():
        for tag in img.get("RepoTags") or []:
            if tag.startswith(RUN):
                try:
                    api.remove_image(tag)
                except Exception:
                    pass


def _ok(line: str, cwd=None) -> labkit.Result:
    r = labkit.docker(line, cwd=str(cwd) if cwd else None)
    assert r.exit_code == 0, f"setup: labkit {line!r} exited {r.exit_code}: {r.stderr}"
    return r


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Through labkit: an image, a network, a running server on -p PORT:3000 (a free port), a curl client,
    an exited container, a created one (its start failed) and one run by image ID.
    All removed afterwards, also when setup or a test fails."""
    from labkit import session

    api = session.current().engine().api
    ctx = tmp_path_factory.mktemp("lkpar")
    day8 = ctx / "day8"
    shutil.copytree(DAY8, day8)
    src = (day8 / "server.py").read_text()
    (day8 / "server.py").write_text(src.replace("127.0.0.1", "0.0.0.0"))
    names = {
        "ctx": ctx,
        "image": f"{RUN}-day8",
        "net": f"{RUN}-net",
        "server": f"{RUN}-server",
        "client": f"{RUN}-client",
        "exited": f"{RUN}-exited",
        "created": f"{RUN}-created",
        "byid": f"{RUN}-byid",
        "port": free_port(),
    }
    try:
        _ok(f"build -t {names['image']} day8", cwd=ctx)
        _ok(f"network create {names['net']}")
        _ok(f"run -d --name {names['server']} --network {names['net']} -p {names['port']}:3000 {names['image']}")
        _ok(f"run -d --name {names['client']} --network {names['net']} {CURL} sleep 600")
        _ok(f"run --name {names['exited']} {names['image']} python3 -c \"print('bye'); import sys; "
            f"print('oops', file=sys.stderr)\"")
        r = labkit.docker(f"run --name {names['created']} {names['image']} nosuchcmd")
        assert r.exit_code == 127, f"setup: a failed start should leave a created container: {r}"
        # run by image ID (as when a tag has moved on after a rebuild): the API lists Image as "sha256:…"
        image_id = api.inspect_image(names["image"])["Id"]
        _ok(f"run --name {names['byid']} {image_id} true")
        # the server has answered once, so its log has a request line too
        _ok(f"exec {names['client']} curl -sS http://{names['server']}:3000")
        yield names
    finally:
        _remove_everything(api)


# -- listings -------------------------------------------------------------------------------
@pytest.mark.parametrize("line", ["ps", "ps -a", "ps -a -q", "ps -q"])
def test_ps(lab, line):
    want = compare(line, attempts=4)
    listed = want["stdout"]
    if "-q" not in line:
        assert lab["server"] in listed and f"0.0.0.0:{lab['port']}->3000/tcp" in listed
        if "-a" in line:
            assert lab["exited"] in listed and lab["created"] in listed and lab["byid"] in listed


@pytest.mark.parametrize("line", ["network ls", "network ls -q"])
def test_network_ls(lab, line):
    compare(line, attempts=4)


@pytest.mark.parametrize("line", ["images python", "images {image}", "images {image}:latest", "images -q {image}",
                                  f"images {CURL.split(':')[0]}", f"images {CURL}", "images lkpar-nosuch"])
def test_images(lab, line):
    compare(line.format(**lab))


# -- inspect --------------------------------------------------------------------------------
@pytest.mark.parametrize("line", ["network inspect {net}", "network inspect nosuch", "network inspect {net} nosuch",
                                  "network inspect nosuch {net}", "network inspect bridge"])
def test_network_inspect(lab, line):
    compare(line.format(**lab))


@pytest.mark.parametrize("line", ["inspect {server}", "inspect {exited}", "inspect {created}", "inspect nosuch",
                                  "inspect {server} nosuch", "inspect {net}", "inspect {image}"])
def test_inspect(lab, line):
    compare(line.format(**lab))


# -- ports and logs ------------------------------------------------------------------------------
@pytest.mark.parametrize("line", ["port {server}", "port {server} 3000", "port {server} 3000/tcp", "port {server} 9999",
                                  "port {server} 3000/udp", "port {server} abc", "port {server} 3000/xyz",
                                  "port {client}", "port {exited}", "port nosuch"])
def test_port(lab, line):
    compare(line.format(**lab))


@pytest.mark.parametrize("line", ["logs {server}", "logs {exited}", "logs {created}", "logs nosuch"])
def test_logs(lab, line):
    compare(line.format(**lab))


# -- exec ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "line, code",
    [
        ("exec {client} curl -sS http://{server}:3000", 0),
        ("exec {client} curl -sS http://{server}:9999", 7),
        ("exec {client} curl -sS http://lkpar-nosuchhost:3000", 6),
        ("exec {client} nosuchbinary", None),
        ("exec {client} sh -c 'echo out; echo err >&2; exit 3'", 3),
        ("exec {exited} ls", 1),
        ("exec {created} ls", 1),
        ("exec nosuch ls", 1),
    ],
)
def test_exec(lab, line, code):
    want = compare(line.format(**lab), mask=_mask_curl_elapsed)
    if code is not None:
        assert want["exit_code"] == code


# -- errors on things that do not exist / already exist -----------------------------------------
@pytest.mark.parametrize("line", ["rm nosuch", "stop nosuch", "start nosuch", "rm nosuch lkpar-nosuch2",
                                  "start nosuch lkpar-nosuch2", "network rm nosuch", "network rm nosuch lkpar-nosuch2"])
def test_missing_objects(lab, line):
    compare(line)


def test_network_create_existing(lab):
    compare(f"network create {lab['net']}")


# -- command-line errors (cobra's wording) -----------------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        "foo",
        "network foo",
        "network ls --bogus",
        "run -z x",
        "run --name",
        "run -p",
        "run",
        "rm",
        "logs",
        "logs a b",
        "exec x",
        "port",
        "port a b c",
        "network connect a",
        "network create",
        "network inspect",
        "ps --bogus",
        "ps -z",
        "stop",
        "start",
        "inspect",
        "images a b",
        "image ls a b",
        "ps x",
        "network ls x",
        "version x",
        "network create a b",
        "network disconnect a",
        "network rm",
        "restart",
        "exec -z x",
        "rm -z",
        "network",
    ],
)
def test_usage_errors(lab, line):
    compare(line)


# -- run -------------------------------------------------------------------------------------
def test_run_name_in_use(lab):
    compare(f"run -d --name {lab['server']} {lab['image']}")


def test_run_unknown_network(lab):
    # The 20.10 daemon creates the container and fails at start, so each side gets its own name
    # (removed in teardown); the names do not appear in the output.
    tail = f"--network lkpar-nosuchnet {lab['image']}"
    compare(f"run --name {RUN}-nonet-cli {tail}", lk_line=f"run --name {RUN}-nonet-lk {tail}")


def test_run_missing_executable(lab):
    # each side creates its own (failed) container: different names, same output expected
    compare(f"run --name {RUN}-nocmd-cli {lab['image']} nosuchcmd", lk_line=f"run --name {RUN}-nocmd-lk {lab['image']} nosuchcmd")


def test_run_rm_curl_on_network(lab):
    tail = f"--network {lab['net']} {CURL} -sS http://{lab['server']}:3000"
    want = compare(f"run --rm --name {RUN}-curl-cli {tail}", lk_line=f"run --rm --name {RUN}-curl-lk {tail}")
    assert want["stdout"] == "Hello from inside the container\n"


def test_run_rm_curl_fails(lab):
    tail = f"--network {lab['net']} {CURL} -sS http://{lab['server']}:9999"
    want = compare(f"run --rm --name {RUN}-curlf-cli {tail}", lk_line=f"run --rm --name {RUN}-curlf-lk {tail}",
                   mask=_mask_curl_elapsed)
    assert want["exit_code"] == 7


# -- build -----------------------------------------------------------------------------------
def test_build(lab):
    # The module's setup built this context once through labkit, so both builds below find every
    # step in the build cache ("Using cache"); the CLI uses the classic builder (DOCKER_BUILDKIT=0).
    def mask(text: str) -> str:
        return _mask_build_ids(_strip_legacy_builder_banner(text))

    want = compare(f"build -t {lab['image']}-b day8", cwd=lab["ctx"], cli_env={"DOCKER_BUILDKIT": "0"}, mask=mask)
    assert "Using cache" in want["stdout"]


def test_build_usage_error(lab):
    # no DOCKER_BUILDKIT: without buildx the CLI also falls back to the classic builder (and its banner)
    compare("build", mask=_strip_legacy_builder_banner)


def test_build_missing_context(lab):
    compare("build lkpar-nosuch-dir", cwd=lab["ctx"], cli_env={"DOCKER_BUILDKIT": "0"},
            mask=_strip_legacy_builder_banner)


def test_build_context_size_padding(lab):
    # A context whose tar is 5120 bytes: the CLI prints the size right-aligned in 8 columns ("%8v"),
    # so "5.12kB" is preceded by three spaces instead of two.
    ctx = lab["ctx"] / "pad"
    ctx.mkdir(exist_ok=True)
    (ctx / "Dockerfile").write_text("FROM python:3.13-slim\n")
    (ctx / "data.txt").write_text("x" * 2100)

    def mask(text: str) -> str:
        return _mask_build_ids(_strip_legacy_builder_banner(text))

    want = compare(f"build -t {lab['image']}-pad pad", cwd=lab["ctx"], cli_env={"DOCKER_BUILDKIT": "0"}, mask=mask)
    assert want["exit_code"] == 0
