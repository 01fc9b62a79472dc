"""The embedded engine on a machine with one loopback address (a Mac without Docker: issue 27).

A Mac's lo0 holds only 127.0.0.1, so the engine's modelled addresses (127.77.B.I, 127.78.B.I…) cannot be bound.
It then carries containers on ports of 127.0.0.1 (sim.carrier, ports mode). Here a network namespace whose `lo`
holds only 127.0.0.1/32 stands in for the Mac: the course's central story, run there by the embedded engine
(ports mode, chosen by itself), must give what it gives in addresses mode, which is what dockerd 20.10 gave on
this machine for the same lines (recorded with `labkit replay --engine docker`: 200; curl 7 for a server bound
to 127.0.0.1, which still answers its own container; curl 6 on the default network; the peer and own addresses
a program sees; 200 on the published port from the host). Forcing addresses mode there is refused in one line.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from labkit.contract.normalise import Normaliser, normalise_result
from labkit.engines.sim.carrier import PortCarrier, can_bind, choose
from tests.sim import one_loopback as namespace

pytestmark = pytest.mark.sim_pass

ROOT = Path(__file__).resolve().parents[2]
STORY = """\
docker network create pm-net
docker run -d --name pm-server --network pm-net -p {port}:3000 python:3.13-slim python3 -m http.server 3000
docker run --rm --network pm-net curlimages/curl:8.14.1 curl -sS -m 3 -o /dev/null -w "%{{http_code}}\\n" http://pm-server:3000/
docker run -d --name pm-local --network pm-net python:3.13-slim python3 -m http.server --bind 127.0.0.1 3000
docker run --rm --network pm-net curlimages/curl:8.14.1 curl -sS -m 3 http://pm-local:3000/
docker exec pm-local python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:3000/').status)"
docker exec pm-server cat /proc/net/tcp
docker exec pm-local cat /proc/net/tcp
docker run --rm curlimages/curl:8.14.1 curl -sS -m 3 http://pm-server:3000/
docker run --rm --network pm-net python:3.13-slim python3 -c "{peer}"
curl -sS -m 3 -o /dev/null -w "%{{http_code}}\\n" http://localhost:{port}/
docker rm -f pm-server pm-local
docker network rm pm-net
"""

PEER = "import socket; s = socket.create_connection(('pm-server', 3000)); print(s.getpeername(), s.getsockname()[0])"


def _replay(story: str, env: dict[str, str], one_loopback: bool) -> list[dict]:
    """The story's results from `labkit replay --json` by a fresh private sim daemon (in the namespace or not)."""
    with tempfile.TemporaryDirectory(prefix="labkit-pm-") as tmp:
        os.chmod(tmp, 0o700)
        path = Path(tmp, "story.txt")
        path.write_text(story)
        full = {**os.environ, **env, "LABKIT_ENGINE": "sim", "LABKIT_SIM_DIR": tmp}
        labkit = [sys.executable, "-m", "labkit"]
        script = (f"{' '.join(labkit)} replay {path} --engine sim --json; rc=$?; "
                  f"{' '.join(labkit)} sim stop >/dev/null 2>&1; exit $rc")
        cmd = ["sh", "-c", script]
        if one_loopback:
            cmd = namespace.wrap(cmd)
        r = subprocess.run(cmd, capture_output=True, text=True, env=full, cwd=ROOT, timeout=240)
    results = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    assert results, f"labkit replay gave no results (exit {r.returncode}): {r.stderr[-800:]}"
    return results


def _normalised(results: list[dict]) -> list[dict]:
    state = Normaliser()
    out = []
    for r in results:
        n = normalise_result({k: r.get(k) for k in ("cmd", "exit_code", "stdout", "stderr")}, state)
        n["stderr"] = re.sub(r"after \d+ ms", "after N ms", n["stderr"])
        out.append(n)
    return out


@pytest.fixture(scope="module")
def one_loopback() -> bool:
    """Whether the runs need a one-loopback namespace of their own: False when this machine already has one loopback
    address (the CI's ports pass runs in such a namespace); a skip (one line) when none can be made here."""
    if can_bind("127.77.0.1") is not None:
        return False
    problem = namespace.problem()
    if problem:
        pytest.skip(problem)
    return True


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_story_in_ports_mode_is_the_story_in_addresses_mode(one_loopback):
    """The central story on a one-loopback machine (ports mode, chosen automatically) = addresses mode = dockerd."""
    port = _free_port()
    story = STORY.format(port=port, peer=PEER)
    ports = _normalised(_replay(story, {"LABKIT_SIM_ADDRESSING": ""}, one_loopback=one_loopback))
    got = [(r["exit_code"], r["stdout"], r["stderr"]) for r in ports]
    assert got[2] == (0, "200\n", "")  # a 0.0.0.0 server answers by name
    assert got[4][0] == 7 and "curl: (7) Failed to connect to pm-local port 3000" in got[4][2]  # bound to 127.0.0.1
    assert got[5] == (0, "200\n", "")  # … which still answers inside its own container
    # what listens where, attributed to its container from the kernel's socket table (sockets.py, through the carrier)
    assert " 00000000:0BB8 00000000:0000 0A " in got[6][1] and "0100007F" not in got[6][1]  # 0.0.0.0:3000
    assert " 0100007F:0BB8 00000000:0000 0A " in got[7][1] and "00000000:0BB8" not in got[7][1]  # 127.0.0.1:3000
    assert got[8] == (6, "", "curl: (6) Could not resolve host: pm-server\n")  # the default network has no DNS
    assert got[9] == (0, "('<net1>.0.2', 3000) <net1>.0.4\n", "")  # the container's addresses, both ends
    assert got[10] == (0, "200\n", "")  # the published port, from the host
    if not one_loopback:
        return  # already on one loopback address: addresses mode cannot run here (the test below says what it gives)
    addresses = _normalised(_replay(story, {"LABKIT_SIM_ADDRESSING": "addresses"}, one_loopback=False))
    assert ports == addresses


def test_forced_addresses_mode_is_refused_in_one_line(one_loopback):
    """LABKIT_SIM_ADDRESSING=addresses where 127.77.x.y cannot be bound: `docker run` says so, never a later curl 6."""
    story = "docker run -d --name pm-refused python:3.13-slim python3 -m http.server 3000\ndocker rm -f pm-refused\n"
    results = _replay(story, {"LABKIT_SIM_ADDRESSING": "addresses"}, one_loopback=one_loopback)
    run = results[0]
    assert run["exit_code"] == 125
    assert "labkit's embedded engine cannot bind 127.77." in run["stderr"]
    assert "Cannot assign requested address" in run["stderr"]


# -- the registry of ports mode, without a namespace --------------------------------------------------------------
def _bind(s: socket.socket):
    def do(ip: str, port: int) -> int:
        s.bind((ip, port))
        return s.getsockname()[1]
    return do


def test_ports_carrier_maps_both_ways_and_refuses_a_second_binder(tmp_path):
    carrier = PortCarrier(str(tmp_path / "ports"))
    server, other, client = socket.socket(), socket.socket(), socket.socket()
    try:
        real = carrier.bind("127.78.9.3", 3000, _bind(server))
        server.listen()
        assert server.getsockname() == ("127.0.0.1", real)
        assert carrier.name("127.0.0.1", real) == ("127.78.9.3", 3000)
        assert carrier.target("127.78.9.3", 3000) == ("127.0.0.1", real)
        assert carrier.holds("127.78.9.3", 3000)
        with pytest.raises(OSError) as taken:
            carrier.bind("127.78.9.3", 3000, _bind(other))
        assert taken.value.errno == errno.EADDRINUSE
        with pytest.raises(ConnectionRefusedError):
            carrier.target("127.78.9.4", 3000)  # nobody listens there: refused, as on Linux
        source = carrier.bind("127.78.9.4", 0, _bind(client))
        client.connect(carrier.target("127.78.9.3", 3000))
        conn, peer = server.accept()
        conn.close()
        assert carrier.name(*peer) == ("127.78.9.4", source)  # the server sees who connected
        server.close()
        carrier.release(real)
        with pytest.raises(ConnectionRefusedError):
            carrier.target("127.78.9.3", 3000)
        assert carrier.name("127.0.0.1", 8080) == ("127.0.0.1", 8080)  # 127.0.0.1 itself is carried as itself
    finally:
        for s in (server, other, client):
            s.close()


def test_a_stale_entry_never_names_someone_else(tmp_path):
    """A port the kernel gave to another modelled pair no longer leads to the old one."""
    carrier = PortCarrier(str(tmp_path / "ports"))
    folder = tmp_path / "ports"
    (folder / "addr-127.78.9.3-3000").write_text("40000")
    (folder / "port-40000").write_text("127.78.9.5 80")
    with pytest.raises(ConnectionRefusedError):
        carrier.target("127.78.9.3", 3000)


def test_choose_reads_the_setting(tmp_path):
    assert choose("127.77.0.1", str(tmp_path / "p"), forced="ports").mode == "ports"
    bad = choose("127.77.0.1", str(tmp_path / "p"), forced="nat")
    assert bad.problem and "LABKIT_SIM_ADDRESSING='nat'" in bad.problem
    unbindable = choose("192.0.2.1", str(tmp_path / "p"), forced="addresses")  # TEST-NET-1: on no interface here
    assert unbindable.problem and unbindable.problem.startswith("labkit's embedded engine cannot bind 192.0.2.1")
    assert choose("192.0.2.1", str(tmp_path / "p"), forced="").mode == "ports"


# -- a program that listens outside the carrier is stopped, in ports mode too ------------------------------------
# binds 127.0.0.1 without the shim (the C socket module); "forged" also writes registry entries that name the real
# port as another container's modelled address (the registry is writable by container programs: see carrier)
INTRUDER = """
import json, os, time, _socket
s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
s.listen(4)
port = s.getsockname()[1]
if os.environ["FORGE"]:
    reg = os.environ["REG"]
    open(f"{reg}/port-{port}", "w").write(os.environ["FORGE"] + " 3000")
    open(f"{reg}/addr-{os.environ['FORGE']}-3000", "w").write(str(port))
print("listening", port, flush=True)
time.sleep(300)
"""
SERVER = "import socket,time\ns=socket.socket();s.bind(('0.0.0.0',3000));s.listen();print('up',flush=True);time.sleep(300)"


@pytest.mark.parametrize("forged", [False, True], ids=["plain", "forged"])
def test_a_listener_outside_the_carrier_is_stopped(forged, monkeypatch):
    import time

    import docker

    from labkit.engines.sim.api import serve
    from labkit.engines.sim.engine import SimEngine

    monkeypatch.setenv("LABKIT_SIM_ADDRESSING", "ports")
    folder = tempfile.mkdtemp(prefix="lk-", dir="/tmp")
    engine = SimEngine()
    server = serve(engine, os.path.join(folder, "api.sock"))
    client = docker.DockerClient(base_url="unix://" + os.path.join(folder, "api.sock"))

    def wait_for(container, text: str) -> str:
        end = time.monotonic() + 20
        while text not in container.logs().decode() and time.monotonic() < end:
            time.sleep(0.05)
        return container.logs().decode()

    try:
        assert engine.carrier.mode == "ports"
        client.networks.create("pm-truth-net")
        srv = client.containers.run("python:3.13-slim", ["python3", "-c", SERVER], name="srv",
                                    network="pm-truth-net", detach=True)
        assert "up" in wait_for(srv, "up")
        iface = engine.topology().containers[srv.id]["iface"]
        intruder = client.containers.run(
            "python:3.13-slim", ["python3", "-c", INTRUDER], name="intruder", network="pm-truth-net", detach=True,
            environment={"REG": os.path.join(engine.dir, "ports"), "FORGE": iface if forged else ""})
        assert "listening" in wait_for(intruder, "listening")
        assert engine.listeners(srv.id) == [("0.0.0.0", 3000)]  # (it polices every listener first)
        refused = wait_for(intruder, "was stopped")
        assert "not an address of intruder's network namespace" in refused
        assert (f"listened on {iface}:3000" if forged else "listened on 127.0.0.1:") in refused
    finally:
        client.close()
        server.close()
        engine.shutdown()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("mode", ["ports", "addresses"])
def test_sim_status_says_how_the_addresses_are_carried(mode, tmp_path):
    """`labkit sim status` names ports mode in one line (a learner on a Mac sees why), addresses mode as such."""
    import subprocess
    import sys

    env = {**os.environ, "LABKIT_SIM_ADDRESSING": mode, "LABKIT_SIM_DIR": str(tmp_path / "sim")}
    cli = [sys.executable, "-m", "labkit", "sim"]
    try:
        assert subprocess.run([*cli, "start"], env=env, capture_output=True, timeout=60).returncode == 0
        out = subprocess.run([*cli, "status"], env=env, capture_output=True, text=True, timeout=60).stdout
    finally:
        subprocess.run([*cli, "stop"], env=env, capture_output=True, timeout=60)
    line = next((x for x in out.splitlines() if "mode" in x), "")
    assert (f"({mode} mode" in line) and (("127.0.0.1" in line) == (mode == "ports")), out
