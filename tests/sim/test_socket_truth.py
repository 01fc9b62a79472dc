"""What listens where, on the embedded engine, is what the kernel shows: a listener counts for a container only
when a socket of its own processes is there; a program's own report is a claim; a program that listens on
another container's address is stopped (its container's log says why), as Docker's separate network namespaces
would never let it listen there at all."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time

import docker
import pytest

from labkit.engines.sim import confine
from labkit.engines.sim.api import serve
from labkit.engines.sim.engine import SimEngine

pytestmark = pytest.mark.sim_pass

PY = "python:3.13-slim"
# binds another container's real interface address without the shim (the C socket module), and claims a
# 0.0.0.0 listener in that container's listen report
INTRUDER = """
import glob, json, os, time, _socket
topo = json.load(open(os.environ.get("TOPO") or glob.glob("/tmp/labkit-sim-*/topology.json")[0]))
sid, srv = next((cid, c) for cid, c in topo["containers"].items() if c["name"] == "srv")
for log in glob.glob(os.path.dirname(os.environ["TOPO"]) + "/**/listen.jsonl", recursive=True):
    if sid in log:
        try:
            open(log, "a").write(json.dumps({"addr": "0.0.0.0", "port": 3000, "family": 4}) + "\\n")
            print("claimed", flush=True)
        except OSError as err:
            print("claim refused", err, flush=True)
s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
s.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
s.bind((srv["iface"], 3000))
s.listen(4)
print("listening", flush=True)
time.sleep(300)
"""
SERVER = "import socket,time\ns=socket.socket();s.bind(('127.0.0.1',3000));s.listen();print('up',flush=True);time.sleep(300)"


@pytest.fixture(params=["learner", "grading"])
def lab(request):
    """A daemon as a learner has it, and one as a grading lab has it (container programs confined)."""
    if request.param == "grading" and confine.abi() < 1:
        pytest.skip("no Landlock on this kernel")
    folder = tempfile.mkdtemp(prefix="lk-", dir="/tmp")
    engine = SimEngine(private_host=request.param == "grading", confine=request.param == "grading")
    server = serve(engine, os.path.join(folder, "api.sock"))
    client = docker.DockerClient(base_url="unix://" + os.path.join(folder, "api.sock"))
    yield engine, client, request.param
    server.close()
    engine.shutdown()
    shutil.rmtree(folder, ignore_errors=True)


def wait_for(container, text: str, deadline: float = 20.0) -> str:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        out = container.logs().decode()
        if text in out:
            return out
        time.sleep(0.05)
    return container.logs().decode()


def test_a_program_on_another_containers_address_is_stopped_and_never_counts(lab):
    engine, client, kind = lab
    client.networks.create("truth-net")
    srv = client.containers.run(PY, ["python3", "-c", SERVER], name="srv", network="truth-net", detach=True)
    assert "up" in wait_for(srv, "up")
    intruder = client.containers.run(PY, ["python3", "-c", INTRUDER], name="intruder", network="truth-net",
                                     detach=True, environment={"TOPO": engine.topology_file})
    log = wait_for(intruder, "listening")
    assert "listening" in log
    assert ("claim refused" if kind == "grading" else "claimed") in log  # confined: it cannot write srv's files
    assert engine.listeners(srv.id) == [("127.0.0.1", 3000)]  # the forged claim has no socket of srv's behind it
    refused = wait_for(intruder, "was stopped")
    assert "listened on" in refused and "not an address of intruder's network namespace" in refused
    intruder.reload()
    end = time.monotonic() + 10
    while intruder.status == "running" and time.monotonic() < end:
        time.sleep(0.05)
        intruder.reload()
    assert intruder.status == "exited" and intruder.attrs["State"]["ExitCode"] == 137
    assert engine.listeners(intruder.id) == []


def test_a_report_without_a_socket_is_ignored_and_a_real_listener_is_named_as_it_bound(lab):
    engine, client, _ = lab
    client.networks.create("truth-net")
    srv = client.containers.run(PY, ["python3", "-c", SERVER.replace("127.0.0.1", "0.0.0.0")], name="srv",
                                network="truth-net", detach=True)
    assert "up" in wait_for(srv, "up")
    assert engine.listeners(srv.id) == [("0.0.0.0", 3000)]
    report = engine._ctr(srv.id).listen_path
    with open(report, "a") as f:  # a line no socket backs (as a forger would write it)
        f.write(json.dumps({"addr": "0.0.0.0", "port": 4000, "family": 4}) + "\n")
    assert engine.listeners(srv.id) == [("0.0.0.0", 3000)]
    assert engine.listening(srv.id) == {3000}
