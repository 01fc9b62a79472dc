"""No daemon, or one that cannot be reached: one clear line, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from labkit.engines.apiclient import connect

ROOT = Path(__file__).resolve().parents[2]


def _labkit(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labkit", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **env})


def test_no_socket(tmp_path):
    sock = tmp_path / "docker.sock"
    r = _labkit("docker", "ps", env={"DOCKER_HOST": f"unix://{sock}", "LABKIT_ENGINE": "docker"})
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith(f"labkit: cannot reach Docker: no socket at {sock}")
    assert "sudo systemctl start docker" in r.stderr and "DOCKER_HOST" in r.stderr


def test_socket_without_daemon(tmp_path):
    path = str(tmp_path / "dead.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)  # bound but never listening: connections are refused
    try:
        r = _labkit("docker", "network", "ls", env={"DOCKER_HOST": f"unix://{path}", "LABKIT_ENGINE": "docker"})
    finally:
        s.close()
    assert r.returncode == 1 and r.stderr.count("\n") == 1
    assert "exists but no daemon answers (Docker is not running)" in r.stderr


def test_permission_denied_is_named(tmp_path, monkeypatch):
    path = tmp_path / "docker.sock"
    path.write_text("")
    monkeypatch.setattr(os, "access", lambda p, mode: False)
    msg = connect.unreachable_message(f"unix://{path}")
    assert "permission denied" in msg and "usermod -aG docker" in msg and "\n" not in msg


def test_tcp_host_that_does_not_answer():
    msg = connect.unreachable_message("tcp://127.0.0.1:1")
    assert msg.startswith("labkit: cannot reach Docker at tcp://127.0.0.1:1") and "DOCKER_HOST" in msg


def test_python_api_returns_the_error_as_a_result(tmp_path, monkeypatch):
    import labkit
    from labkit import session

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/none.sock")
    monkeypatch.setenv("LABKIT_ENGINE", "docker")
    previous = session.activate(None)
    try:
        r = labkit.docker("ps")
    finally:
        session.activate(previous)
    assert r.exit_code == 1 and r.stdout == "" and r.stderr.startswith("labkit: cannot reach Docker")


def test_auto_falls_back_to_the_embedded_engine_and_says_why(tmp_path, monkeypatch):
    from labkit.engines.select import choose

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/none.sock")
    monkeypatch.setenv("LABKIT_ENGINE", "auto")
    engine, why = choose()
    assert engine.name == "sim"
    assert why.startswith(f"sim (no Docker daemon answered at unix://{tmp_path}/none.sock within 2 s; "
                          "labkit's embedded engine "), why
    # and where its known differences from Docker are listed: a page beside the lessons (copied into the workspace)
    listed = why.rsplit("where it differs from Docker: ", 1)[1].split(" ")[0].rstrip(",")
    assert "beside the lesson notebooks" in why and (ROOT / "notebooks" / listed).is_file(), why


def test_bad_engine_name(monkeypatch):
    from labkit.engines.select import requested
    from labkit.errors import CommandError

    monkeypatch.setenv("LABKIT_ENGINE", "lxd")
    with pytest.raises(CommandError) as err:
        requested()
    assert "use auto, docker, sim or podman" in err.value.stderr


def test_docker_context_is_honoured(tmp_path, monkeypatch):
    """A docker context's endpoint is used when DOCKER_HOST is not set (as `docker context use` leaves it)."""
    import hashlib
    import json

    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    meta = tmp_path / "contexts" / "meta" / hashlib.sha256(b"lk-remote").hexdigest()
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(json.dumps({
        "Name": "lk-remote", "Metadata": {},
        "Endpoints": {"docker": {"Host": "tcp://127.0.0.1:2999", "SkipTLSVerify": False}},
    }))
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "lk-remote"}))
    address, kwargs = connect.engine_address()
    assert address == "tcp://127.0.0.1:2999" and kwargs["base_url"] == "tcp://127.0.0.1:2999"
    monkeypatch.setenv("DOCKER_HOST", "unix:///elsewhere.sock")  # DOCKER_HOST wins over the context
    assert connect.engine_address()[0] == "unix:///elsewhere.sock"
