"""The embedded engine as a Docker daemon (labkit.engines.sim.api): the wire protocol, then docker-py, labkit's
DockerEngine and the real docker CLI, each pointed at the Unix socket instead of dockerd."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import stat
import struct
import subprocess
import tempfile
import threading
import time
from types import SimpleNamespace

import docker
import pytest

from labkit.engines.sim.api import serve
from labkit.engines.sim.engine import SimEngine

pytestmark = pytest.mark.sim_pass

CURL = "curlimages/curl:8.14.1"
PYTHON = "python:3.13-slim"


@pytest.fixture
def daemon():
    """A SimEngine served on a short socket path (Unix socket paths must stay under 108 bytes)."""
    folder = tempfile.mkdtemp(prefix="lk-", dir="/tmp")
    path = os.path.join(folder, "api.sock")
    engine = SimEngine()
    requests: list[float] = []
    server = serve(engine, path, on_request=lambda: requests.append(time.monotonic()))
    yield SimpleNamespace(engine=engine, path=path, url="unix://" + path, server=server, requests=requests)
    server.close()
    engine.shutdown()
    shutil.rmtree(folder, ignore_errors=True)


class Unix(http.client.HTTPConnection):
    """http.client over the daemon's socket: one connection, so keep-alive shows."""

    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=30)
        self.socket_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(self.socket_path)

    def ask(self, method: str, path: str, body=None, headers=None):
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        self.request(method, path, body=data, headers=headers or {})
        res = self.getresponse()
        return res, res.read()


def handler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if "process_request_thread" in t.name]


def settle(deadline: float = 5.0) -> bool:
    """True once no connection is being served (no stream or wait left hanging once clients closed theirs)."""
    end = time.monotonic() + deadline
    while handler_threads() and time.monotonic() < end:
        time.sleep(0.05)
    return not handler_threads()


# -- the wire protocol -------------------------------------------------------------------------------
def test_ping_version_info_and_errors_speak_dockerd(daemon):
    assert stat.S_IMODE(os.stat(daemon.path).st_mode) == 0o600
    conn = Unix(daemon.path)
    res, body = conn.ask("GET", "/_ping")
    assert (res.status, body) == (200, b"OK")
    for key, value in {"Api-Version": "1.41", "Docker-Experimental": "false", "Ostype": "linux",
                       "Builder-Version": "1"}.items():
        assert res.getheader(key) == value
    res, body = conn.ask("HEAD", "/_ping")  # the same connection: keep-alive
    assert (res.status, body, res.getheader("Api-Version")) == (200, b"", "1.41")
    for prefix in ("", "/v1.41", "/v1.24"):
        res, body = conn.ask("GET", prefix + "/version")
        doc = json.loads(body)
        assert (res.status, doc["ApiVersion"], doc["MinAPIVersion"]) == (200, "1.41", "1.12")
    res, body = conn.ask("GET", "/v1.41/info")
    doc = json.loads(body)
    assert (doc["OperatingSystem"], doc["OSType"], doc["Images"], doc["Containers"]) == ("labkit embedded engine",
                                                                                         "linux", 2, 0)
    # an unknown path, or a known one with the wrong method: dockerd's 404 word for word
    for method, path in (("GET", "/v1.41/nope"), ("POST", "/v1.41/containers/json"), ("GET", "/containers/x/nope")):
        res, body = conn.ask(method, path)
        assert (res.status, res.getheader("Content-Type"), body) == (404, "application/json",
                                                                      b'{"message":"page not found"}\n')
    for path in ("/v1.41/containers/nope/json", "/v1.41/containers/nope/stats"):  # stats: refused once it exists
        res, body = conn.ask("GET", path)
        assert (res.status, json.loads(body)) == (404, {"message": "No such container: nope"})
    res, body = conn.ask("POST", "/v1.41/networks/create", b"{bad", {"Content-Type": "application/json"})
    assert res.status == 400 and json.loads(body)["message"].startswith("invalid JSON")
    res, body = conn.ask("GET", "/v1.99/version")
    assert json.loads(body)["message"] == "client version 1.99 is too new. Maximum supported API version is 1.41"
    assert daemon.requests, "on_request was never called"


def test_a_python_error_is_a_one_line_500_and_the_server_keeps_serving(daemon, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(daemon.engine, "list_networks", broken)
    conn = Unix(daemon.path)
    res, body = conn.ask("GET", "/networks")
    assert (res.status, json.loads(body)) == (500, {"message": "embedded engine: RuntimeError: boom"})
    res, body = conn.ask("GET", "/_ping")
    assert (res.status, body) == (200, b"OK")


def test_info_names_a_private_host_address_and_the_addressing_mode():
    folder = tempfile.mkdtemp(prefix="lk-", dir="/tmp")
    engine = SimEngine(private_host=True)
    server = serve(engine, os.path.join(folder, "api.sock"))
    try:
        doc = json.loads(Unix(server.socket_path).ask("GET", "/info")[1])
        assert doc["Labels"] == [f"labkit.host_address={engine.host_address}",
                                 f"labkit.addressing={engine.carrier.mode}"]
        assert engine.carrier.mode in ("addresses", "ports")
    finally:
        server.close()
        engine.shutdown()
        shutil.rmtree(folder, ignore_errors=True)


def test_a_followed_log_keeps_the_daemon_busy_until_it_ends(daemon):
    client = docker.APIClient(base_url=daemon.url, version="auto", timeout=60)
    try:
        cid = client.create_container(PYTHON, ["python3", "-c", "import time; time.sleep(1); print('late')"])["Id"]
        client.start(cid)
        follow = client.logs(cid, stream=True, follow=True)
        time.sleep(0.3)
        assert daemon.server.busy == 1
        assert b"".join(follow) == b"late\n"
    finally:
        client.close()
    assert settle() and daemon.server.busy == 0


def test_a_stale_socket_is_replaced_and_a_live_one_is_not_taken_over(daemon):
    with pytest.raises(OSError, match="already answers"):
        serve(daemon.engine, daemon.path)
    stale = os.path.join(os.path.dirname(daemon.path), "stale.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(stale)
    s.close()
    other = serve(daemon.engine, stale)
    try:
        assert Unix(stale).ask("GET", "/_ping")[1] == b"OK"
    finally:
        other.close()
    assert not os.path.exists(stale)


def test_exec_start_hijacks_the_connection_and_frames_the_output(daemon):
    conn = Unix(daemon.path)
    res, body = conn.ask("POST", "/v1.41/containers/create?name=box", {"Image": CURL, "Cmd": ["sleep", "infinity"]})
    cid = json.loads(body)["Id"]
    assert (res.status, json.loads(body)["Warnings"]) == (201, [])
    res, body = conn.ask("POST", f"/containers/{cid}/exec", {"Cmd": ["hostname"]})
    assert (res.status, json.loads(body)) == (409, {"message": f"Container {cid} is not running"})
    assert conn.ask("POST", f"/containers/{cid}/start")[0].status == 204
    assert conn.ask("POST", f"/containers/{cid}/start")[0].status == 304
    res, body = conn.ask("POST", "/containers/box/exec", {"Cmd": ["sh", "-c", "echo out; echo err >&2; exit 3"],
                                                         "AttachStdout": True, "AttachStderr": True})
    eid = json.loads(body)["Id"]
    raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    raw.settimeout(30)
    raw.connect(daemon.path)
    start = json.dumps({"Detach": False, "Tty": False}).encode()
    raw.sendall(f"POST /v1.41/exec/{eid}/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(start)}\r\n\r\n".encode() + start)
    data = b""
    while chunk := raw.recv(65536):
        data += chunk
    head, _, stream = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101 UPGRADED\r\n")
    assert b"Content-Type: application/vnd.docker.raw-stream" in head and b"Upgrade: tcp" in head
    assert stream == struct.pack(">BxxxL", 1, 4) + b"out\n" + struct.pack(">BxxxL", 2, 4) + b"err\n"
    res, body = conn.ask("GET", f"/exec/{eid}/json")
    assert (json.loads(body)["ExitCode"], json.loads(body)["Running"], json.loads(body)["ContainerID"]) == (3, False, cid)
    res, body = conn.ask("POST", f"/exec/{eid}/start", {"Detach": False})
    assert res.status == 409
    assert conn.ask("DELETE", "/containers/box?force=1")[0].status == 204
    conn.close()
    raw.close()
    assert settle()


# -- docker-py --------------------------------------------------------------------------------------
def test_docker_py_runs_the_story(daemon):
    client = docker.DockerClient(base_url=daemon.url, version="auto", timeout=60)
    try:
        assert client.ping() is True
        assert client.version()["ApiVersion"] == "1.41"
        net = client.networks.create("lk-api-net", labels={"lk": "api"})
        assert "lk-api-net" in [n.name for n in client.networks.list()]
        assert [n.name for n in client.networks.list(filters={"label": ["lk=api"]})] == ["lk-api-net"]
        box = client.containers.run(CURL, "sleep infinity", name="lk-api-box", network="lk-api-net", detach=True)
        box.reload()
        assert box.status == "running"
        assert list(box.attrs["NetworkSettings"]["Networks"]) == ["lk-api-net"]
        code, out = box.exec_run(["hostname"])
        assert (code, out) == (0, box.id[:12].encode() + b"\n")
        assert box.exec_run(["getent", "hosts", "lk-api-box"]).output.split()[1] == b"lk-api-box"
        assert box.exec_run(["sh", "-c", "echo out; echo err >&2; exit 3"], demux=True) == (3, (b"out\n", b"err\n"))
        assert client.containers.run(PYTHON, ["python3", "-c", "print('hi')"], remove=False) == b"hi\n"
        with pytest.raises(docker.errors.NotFound):
            client.containers.get("lk-api-nope")
        with pytest.raises(docker.errors.APIError) as clash:
            client.containers.run(CURL, "sleep infinity", name="lk-api-box", detach=True)
        assert clash.value.status_code == 409 and "is already in use" in clash.value.explanation
        assert [c.name for c in client.containers.list()] == ["lk-api-box"]
        assert len(client.containers.list(all=True)) == 2
        exited = client.containers.list(all=True, filters={"status": "exited"})
        assert len(exited) == 1 and exited[0].name != "lk-api-box"
        assert PYTHON in [t for i in client.images.list() for t in i.tags]
        assert client.images.get(CURL).tags == [CURL]
        box.kill()
        assert box.wait()["StatusCode"] == 137
        program = ("import signal, sys, time\nsignal.signal(signal.SIGTERM, lambda *_: sys.exit(3))\n"
                   "print('ready', flush=True)\ntime.sleep(60)")
        sleeper = client.containers.run(PYTHON, ["python3", "-c", program], detach=True)
        follow = sleeper.logs(stream=True, follow=True)
        assert next(follow) == b"ready\n"
        follow.close()
        sleeper.kill(signal="SIGTERM")  # a signal other than KILL reaches the real program and its handler
        assert sleeper.wait(timeout=10)["StatusCode"] == 3
        box.remove(force=True)
        net.remove()
        assert "lk-api-net" not in [n.name for n in client.networks.list()]
    finally:
        client.close()
    assert settle()


def test_docker_py_follows_a_log_as_it_is_written(daemon):
    client = docker.DockerClient(base_url=daemon.url, version="auto", timeout=60)
    try:
        program = "import time\nfor i in range(3):\n    print(i, flush=True)\n    time.sleep(0.3)"
        ticker = client.containers.run(PYTHON, ["python3", "-u", "-c", program], detach=True)
        seen = [(chunk, time.monotonic()) for chunk in ticker.logs(stream=True, follow=True)]
        assert b"".join(chunk for chunk, _ in seen) == b"0\n1\n2\n"
        assert len(seen) >= 2 and seen[-1][1] - seen[0][1] > 0.3, "the lines came all at once, not as printed"
        assert ticker.wait() == {"StatusCode": 0, "Error": None}
        assert ticker.logs(tail=1) == b"2\n"
        stamped = ticker.logs(timestamps=True).splitlines()
        assert [line.split(b" ", 1)[1] for line in stamped] == [b"0", b"1", b"2"] and stamped[0].endswith(b"Z 0")
    finally:
        client.close()
    assert settle()


def test_docker_py_builds_tags_and_reports_a_failed_build(daemon, tmp_path):
    (tmp_path / "app.py").write_text("print('built')\n")
    (tmp_path / "Dockerfile").write_text(f'FROM {PYTHON}\nWORKDIR /app\nCOPY app.py .\nCMD ["python3", "app.py"]\n')
    client = docker.DockerClient(base_url=daemon.url, version="auto", timeout=60)
    try:
        image, log = client.images.build(path=str(tmp_path), tag="lk-api-img")
        assert "lk-api-img:latest" in image.tags
        assert any("Successfully tagged lk-api-img:latest" in item.get("stream", "") for item in log)
        assert image.tag("lk-api-img", "two")
        assert sorted(client.images.get("lk-api-img:two").tags) == ["lk-api-img:latest", "lk-api-img:two"]
        assert client.containers.run("lk-api-img", remove=True) == b"built\n"
        (tmp_path / "Dockerfile").write_text("FROM lk-api-missing:1\n")
        with pytest.raises(docker.errors.BuildError):
            client.images.build(path=str(tmp_path), tag="lk-api-bad")
    finally:
        client.close()


# -- labkit's DockerEngine ---------------------------------------------------------------------------
def test_labkit_docker_engine_runs_the_command_contract(daemon, monkeypatch, tmp_path):
    from labkit.contract.commands import run_command
    from labkit.engines.apiclient.engine import DockerEngine

    monkeypatch.setenv("DOCKER_HOST", daemon.url)
    engine = DockerEngine()
    (tmp_path / "app.py").write_text("print('built by labkit')\n")
    (tmp_path / "Dockerfile").write_text(f'FROM {PYTHON}\nWORKDIR /app\nCOPY app.py .\nCMD ["python3", "app.py"]\n')

    def ok(line: str) -> str:
        r = run_command(engine, line)
        assert r.exit_code == 0, (line, r.stderr)
        return r.stdout

    assert len(ok("docker network create lk-api-n2").strip()) == 64
    cid = ok(f"docker run -d --name lk-api-c --network lk-api-n2 {CURL} sleep infinity").strip()
    assert ok("docker exec lk-api-c getent hosts lk-api-c").split()[1] == "lk-api-c"
    table = ok("docker ps -a")
    assert table.startswith("CONTAINER ID") and "lk-api-c" in table and cid[:12] in table
    assert json.loads(ok("docker inspect lk-api-c"))[0]["State"]["Running"] is True
    built = ok(f"docker build -t lk-api-img {tmp_path}")
    assert "Successfully tagged lk-api-img:latest" in built
    assert ok("docker run --rm lk-api-img") == "built by labkit\n"
    assert "lk-api-img" in ok("docker images")
    r = run_command(engine, "docker exec lk-api-nope hostname")
    assert (r.exit_code, r.stderr) == (1, "Error response from daemon: No such container: lk-api-nope\n")
    assert ok("docker rm -f lk-api-c") == "lk-api-c\n"
    assert ok("docker network rm lk-api-n2") == "lk-api-n2\n"
    assert "Server: labkit embedded engine" in ok("docker version")


# -- the docker CLI ---------------------------------------------------------------------------------
needs_cli = pytest.mark.skipif(shutil.which("docker") is None, reason="the docker CLI is not installed")


@pytest.fixture
def cli(daemon, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")}
    env.update(DOCKER_HOST=daemon.url, DOCKER_CONFIG=str(tmp_path / "docker-config"))

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["docker", *args], env=env, capture_output=True, text=True, timeout=60)

    return run


@needs_cli
def test_the_docker_cli_runs_the_story(cli, daemon):
    r = cli("ps", "-a")
    assert r.returncode == 0 and r.stdout.startswith("CONTAINER ID   IMAGE"), r.stderr
    assert len(cli("network", "create", "lk-cli-net").stdout.strip()) == 64
    r = cli("run", "-d", "--name", "lk-cli-box", "--network", "lk-cli-net", CURL, "sleep", "infinity")
    cid = r.stdout.strip()
    assert r.returncode == 0 and len(cid) == 64, r.stderr
    assert settle(), "a request is still open after `docker run -d` (its wait was not let go)"
    r = cli("exec", "lk-cli-box", "hostname")
    assert (r.returncode, r.stdout) == (0, cid[:12] + "\n")
    r = cli("exec", "lk-cli-box", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (r.returncode, r.stdout, r.stderr) == (3, "out\n", "err\n")
    r = cli("run", "--name", "lk-cli-talk", PYTHON, "python3", "-c", "print('hi'); import sys; print('oops', file=sys.stderr)")
    assert (r.returncode, r.stdout, r.stderr) == (0, "hi\n", "oops\n")
    r = cli("logs", "lk-cli-talk")
    assert (r.returncode, r.stdout, r.stderr) == (0, "hi\n", "oops\n")
    r = cli("run", "--rm", CURL, "--version")
    assert r.returncode == 0 and r.stdout.startswith("curl 8.14.1"), r.stderr
    r = cli("run", "--rm", CURL, "sh", "-c", "exit 7")
    assert r.returncode == 7, r.stderr
    r = cli("ps", "-a", "--format", "{{.Names}}")
    assert sorted(r.stdout.split()) == ["lk-cli-box", "lk-cli-talk"]
    r = cli("inspect", "--format", "{{.State.Status}}", "lk-cli-box")
    assert r.stdout == "running\n"
    r = cli("rm", "-f", "lk-cli-box", "lk-cli-talk")
    assert (r.returncode, r.stdout) == (0, "lk-cli-box\nlk-cli-talk\n")
    assert cli("network", "rm", "lk-cli-net").returncode == 0
    assert settle()


@needs_cli
def test_the_docker_cli_gets_clean_errors(cli):
    r = cli("exec", "lk-cli-nope", "hostname")
    assert r.returncode == 1 and r.stderr == "Error response from daemon: No such container: lk-cli-nope\n"
    assert cli("run", "-d", "--name", "lk-cli-stats", CURL, "sleep", "infinity").returncode == 0
    r = cli("stats", "--no-stream", "lk-cli-stats")  # not served: an error in labkit's words, not a hang
    assert r.returncode == 1 and r.stderr == ("Error response from daemon: labkit's embedded engine does not "
                                              "implement docker stats (GET /containers/ID/stats): it does not "
                                              "measure its containers' CPU, memory, network or disk use\n")
    r = cli("run", "-d", "--name", "lk-cli-stats", CURL, "sleep", "infinity")
    assert r.returncode == 125 and 'The container name "/lk-cli-stats" is already in use' in r.stderr
    r = cli("run", "--rm", PYTHON, "lk-cli-nocommand")  # the start fails: the auto-removed container goes too
    assert r.returncode == 127 and 'exec: "lk-cli-nocommand": executable file not found' in r.stderr
    assert cli("ps", "-a", "-q").stdout.split() == [cli("inspect", "-f", "{{.Id}}", "lk-cli-stats").stdout[:12]]
    r = cli("run", "--rm", "lk-cli-missing:1")
    # the CLI asks the daemon to pull it: the embedded engine answers as an offline dockerd does
    assert r.returncode == 125 and 'Error response from daemon: Get "https://registry-1.docker.io/v2/"' in r.stderr
    assert cli("rm", "-f", "lk-cli-stats").returncode == 0
    assert settle()
