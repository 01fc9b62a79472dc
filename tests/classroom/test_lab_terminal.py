"""`labkit lab` (what `make lab` runs): a JupyterLab terminal opens in the workspace, finds `labkit` on its PATH
even through the learner's bash settings, and its `docker ps` (the real docker CLI) shows the lab a notebook built
on the embedded engine. Driven as JupyterLab's own terminal is: the REST API makes a terminal, a websocket types."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import CURL, free_port

pytestmark = [pytest.mark.sim_pass,
              pytest.mark.skipif(shutil.which("docker") is None or shutil.which("bash") is None,
                                 reason="needs the docker CLI and bash on this machine")]


def typed(url: str, token: str, line: str, until: str, deadline: float = 60.0) -> str:
    """What a new terminal of the server at url shows after `line` is typed into it, up to `until`."""
    from tornado.websocket import websocket_connect

    req = urllib.request.Request(f"{url}/api/terminals", data=b"{}", method="POST",
                                 headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        name = json.loads(resp.read())["name"]

    async def talk() -> str:
        ws = await websocket_connect(f"{url.replace('http', 'ws', 1)}/terminals/websocket/{name}?token={token}")
        ws.write_message(json.dumps(["stdin", line + "\r"]))
        seen, end = "", time.monotonic() + deadline
        while until not in seen and time.monotonic() < end:
            msg = await asyncio.wait_for(ws.read_message(), timeout=max(0.1, end - time.monotonic()))
            if msg is None:
                break
            kind, *rest = json.loads(msg)
            if kind == "stdout":
                seen += rest[0]
        ws.close()
        return seen

    return asyncio.run(talk())


def test_a_terminal_of_labkit_lab_reaches_the_notebooks_engine_from_the_workspace(tmp_path: Path):
    home, workspace = tmp_path / "home", tmp_path / "workspace"
    home.mkdir()
    workspace.mkdir()
    (home / ".bashrc").write_text("export PATH=/usr/bin:/bin\n")  # a learner's settings that reset PATH
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "HOME": str(home), "SHELL": shutil.which("bash"), "LABKIT_ENGINE": "sim",
           "LABKIT_SIM_DIR": str(tmp_path / "sim"), "LABKIT_SESSION": f"terminal-{os.getpid()}",
           "JUPYTER_CONFIG_DIR": str(tmp_path / "jcfg"), "JUPYTER_DATA_DIR": str(tmp_path / "jdata"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "jrun"), "PATH": "/usr/local/bin:/usr/bin:/bin"}
    env.pop("DOCKER_HOST", None)
    env.pop("LABKIT_SIM_SOCKET", None)

    def labkit(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "labkit", *args], env=env, capture_output=True, text=True,
                              timeout=120, cwd=str(tmp_path))

    seen = labkit("docker", "run", "-d", "--name", "seen-from-terminal", CURL, "sleep", "300")
    assert seen.returncode == 0, seen.stderr
    server = subprocess.Popen([sys.executable, "-m", "labkit", "lab", "--path", str(workspace), "--",
                               "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
                               f"--IdentityProvider.token={token}", "--allow-root"],
                              env=env, cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.5)
        shown = typed(url, token, "echo WHERE=$(pwd); echo BIN=$(command -v labkit); "
                                  "docker ps --format 'NAME={{.Names}}'; echo END-OF-$((6*7))",
                      "END-OF-42")  # the line as typed never holds it: the terminal echoes what is typed
        assert f"WHERE={workspace.resolve()}" in shown, shown
        assert f"BIN={Path(sys.executable).parent}/labkit" in shown, shown
        assert "NAME=seen-from-terminal" in shown, shown
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        labkit("clean")
        labkit("sim", "stop")


def test_labkit_lab_without_a_workspace_says_how_to_make_one(tmp_path: Path):
    got = subprocess.run([sys.executable, "-m", "labkit", "lab", "--path", str(tmp_path / "nowhere")],
                         capture_output=True, text=True, timeout=60)
    assert got.returncode == 2 and got.stderr.count("\n") == 1 and "labkit workspace --path" in got.stderr
