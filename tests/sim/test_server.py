"""The embedded engine served from its own process: the same contract, only the Engine API, nothing left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from labkit.contract.commands import run_command
from labkit.engines.readiness import poll_until
from labkit.engines.sim.server import RemoteSim
from labkit.errors import CommandError, EngineError
from tests.conftest import CURL, server_dir


@pytest.fixture
def served(tmp_path):
    sock = str(tmp_path / "engine.sock")
    proc = subprocess.Popen([sys.executable, "-m", "labkit.engines.sim.server", sock], start_new_session=True)
    assert poll_until(lambda: os.path.exists(sock), 15)
    yield RemoteSim(sock), proc
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)


def test_a_served_engine_runs_the_story_and_publishes_on_its_own_host(served, tmp_path):
    engine, proc = served
    for line in ("network create day8-net", f"build -t day8 {server_dir(tmp_path, '0.0.0.0')}",
                 "run -d --name server --network day8-net -p 8080:3000 day8",
                 f"run -d --name client --network day8-net {CURL} sleep infinity"):
        r = run_command(engine, line)
        assert r.exit_code == 0, (line, r.stderr)
    r = run_command(engine, "exec client curl -sS http://server:3000")
    assert r.stdout == "Hello from inside the container\n"
    assert engine.listeners(engine.inspect_container("server")["Id"]) == [("0.0.0.0", 3000)]
    assert engine.host_address.startswith("127.80.")
    from labkit.contract.transcript import run_host

    assert run_host("curl -sS http://localhost:8080", engine=engine).stdout == "Hello from inside the container\n"
    with pytest.raises(EngineError):
        engine._call("shutdown")  # not part of the Engine API: refused
    program = engine.inspect_container("server")["State"]["Pid"]
    assert program and os.path.exists(f"/proc/{program}")
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(10)
    with pytest.raises(CommandError) as err:
        engine.list_containers()
    assert err.value.stderr.count("\n") == 1
    assert poll_until(lambda: not os.path.exists(f"/proc/{program}"), 10), "the server's program outlived its engine"
