"""The embedded engine's daemon never accepts a setting and ignores it, and no input gets a traceback (issue 22).

Every field of a container create, an exec create or a network create is applied as Docker applies it or refused
in labkit's words with the Engine API's status; the values Docker's clients send when nothing is asked pass.
Docker's answers quoted here were recorded on dockerd 20.10 on this machine, with the docker CLI 28 (its request
bodies captured on the socket) and with raw requests.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
from types import SimpleNamespace

import docker
import pytest

from labkit.engines.sim.api import serve
from labkit.engines.sim.engine import SimEngine
from labkit.engines.sim.model import _mac

pytestmark = pytest.mark.sim_pass

CURL = "curlimages/curl:8.14.1"
PYTHON = "python:3.13-slim"
ENGINE = "labkit's embedded engine does not implement"


@pytest.fixture
def daemon():
    """A SimEngine served on a short socket path (Unix socket paths must stay under 108 bytes)."""
    folder = tempfile.mkdtemp(prefix="lk-ns-", dir="/tmp")
    path = os.path.join(folder, "api.sock")
    engine = SimEngine()
    server = serve(engine, path)
    yield SimpleNamespace(engine=engine, path=path, url="unix://" + path)
    server.close()
    engine.shutdown()
    shutil.rmtree(folder, ignore_errors=True)


def raw(path: str, data: bytes) -> tuple[int, dict, bytes]:
    """Send bytes on a new connection; the answer's status, headers (lower-case names) and body, read to the end
    (the server closes) or to its Content-Length."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(path)
    s.sendall(data)
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    head, _, body = got.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    while len(body) < int(headers.get("content-length", 0)):
        body += s.recv(65536)
    s.close()
    return int(lines[0].split()[1]), headers, body


def ask(path: str, method: str, url: str, body=None) -> tuple[int, dict]:
    """One JSON request; (status, the JSON answer or {})."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
    status, headers, answer = raw(path, f"{method} {url} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n"
                                        f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data)
    return status, json.loads(answer) if answer.strip() else {}


def create(path: str, config: dict | None = None, host: dict | None = None, networking: dict | None = None,
           name: str = "") -> tuple[int, dict]:
    body = {"Image": PYTHON, "Cmd": ["sleep", "60"], **(config or {})}
    if host is not None:
        body["HostConfig"] = host
    if networking is not None:
        body["NetworkingConfig"] = networking
    return ask(path, "POST", "/v1.41/containers/create" + (f"?name={name}" if name else ""), body)


# -- what the clients send when nothing is asked --------------------------------------------------------------
# `docker run --rm -e A=1 python:3.13-slim python3 -c …`: the docker CLI 28's body, captured on dockerd's socket
CLI_DEFAULTS = {
    "Hostname": "", "Domainname": "", "User": "", "AttachStdin": False, "AttachStdout": True, "AttachStderr": True,
    "Tty": False, "OpenStdin": False, "StdinOnce": False, "Env": ["A=1"], "Cmd": ["sh", "-c", "echo $A"],
    "Image": PYTHON, "Volumes": {}, "WorkingDir": "", "Entrypoint": None, "OnBuild": None, "Labels": {},
    "HostConfig": {
        "Binds": None, "ContainerIDFile": "", "LogConfig": {"Type": "", "Config": {}}, "NetworkMode": "default",
        "PortBindings": {}, "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0}, "AutoRemove": False,
        "VolumeDriver": "", "VolumesFrom": None, "ConsoleSize": [0, 0], "CapAdd": None, "CapDrop": None,
        "CgroupnsMode": "", "Dns": [], "DnsOptions": [], "DnsSearch": [], "ExtraHosts": None, "GroupAdd": None,
        "IpcMode": "", "Cgroup": "", "Links": None, "OomScoreAdj": 0, "PidMode": "", "Privileged": False,
        "PublishAllPorts": False, "ReadonlyRootfs": False, "SecurityOpt": None, "UTSMode": "", "UsernsMode": "",
        "ShmSize": 0, "Isolation": "", "CpuShares": 0, "Memory": 0, "NanoCpus": 0, "CgroupParent": "",
        "BlkioWeight": 0, "BlkioWeightDevice": [], "BlkioDeviceReadBps": [], "BlkioDeviceWriteBps": [],
        "BlkioDeviceReadIOps": [], "BlkioDeviceWriteIOps": [], "CpuPeriod": 0, "CpuQuota": 0, "CpuRealtimePeriod": 0,
        "CpuRealtimeRuntime": 0, "CpusetCpus": "", "CpusetMems": "", "Devices": [], "DeviceCgroupRules": None,
        "DeviceRequests": None, "MemoryReservation": 0, "MemorySwap": 0, "MemorySwappiness": -1, "OomKillDisable": False,
        "PidsLimit": 0, "Ulimits": [], "CpuCount": 0, "CpuPercent": 0, "IOMaximumIOps": 0, "IOMaximumBandwidth": 0,
        "MaskedPaths": None, "ReadonlyPaths": None},
    "NetworkingConfig": {"EndpointsConfig": {"default": {
        "IPAMConfig": None, "Links": None, "Aliases": None, "MacAddress": "", "DriverOpts": None, "GwPriority": 0,
        "NetworkID": "", "EndpointID": "", "Gateway": "", "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "",
        "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "DNSNames": None}}},
}
# what `docker network create NAME` sends (CLI 28), and `docker exec NAME true`
CLI_NETWORK = {"Driver": "bridge", "Scope": "", "IPAM": {"Driver": "default", "Options": {}, "Config": []},
               "Internal": False, "Attachable": False, "Ingress": False, "ConfigOnly": False, "ConfigFrom": None,
               "Options": {}, "Labels": {}, "Name": "lk-ns-net", "CheckDuplicate": True}
CLI_EXEC = {"User": "", "Privileged": False, "Tty": False, "AttachStdin": False, "AttachStderr": True,
            "AttachStdout": True, "Detach": False, "DetachKeys": "", "Env": None, "WorkingDir": "", "Cmd": ["true"]}


def test_every_field_of_a_create_has_its_decision():
    from labkit.engines.sim import api_fields as fields
    from labkit.engines.sim import api_shapes as shapes

    config = set(fields.CONFIG_APPLIED) | set(fields.CONFIG_REFUSED)
    host = set(fields.HOST_APPLIED) | set(fields.HOST_REFUSED) | set(fields.HOST_DEFAULTS)
    endpoint = set(fields.ENDPOINT_APPLIED) | set(fields.ENDPOINT_REFUSED)
    assert set(shapes.CONTAINER_CREATE.fields) == config
    assert set(shapes.HOST_CONFIG.fields) == host
    assert set(shapes.ENDPOINT.fields) == endpoint
    assert not set(fields.HOST_APPLIED) & (set(fields.HOST_REFUSED) | set(fields.HOST_DEFAULTS))


def _sample(shape):
    """A value of shape that is not its zero value."""
    from labkit.engines.sim import api_shapes as shapes

    if shape is shapes.INT:
        return 100
    if shape is shapes.STRSLICE:
        return ["x"]
    if isinstance(shape, shapes.List):
        return [_sample(shape.item) if shape.item in (str, bool, shapes.INT) else {}]
    if isinstance(shape, shapes.Map):
        return {"/x": _sample(shape.value) if shape.value in (str, bool, shapes.INT) else {}}
    return {str: "x", bool: True}[shape]


def test_each_field_the_engine_refuses_is_refused_whatever_its_value(daemon):
    from labkit.engines.sim import api_fields as fields
    from labkit.engines.sim import api_shapes as shapes

    asks = [({key: _sample(shapes.CONTAINER_CREATE.fields[key])}, None) for key in fields.CONFIG_REFUSED]
    asks += [({}, {key: _sample(shapes.HOST_CONFIG.fields[key])}) for key in [*fields.HOST_REFUSED,
                                                                             *fields.HOST_DEFAULTS]]
    for config, host in asks:
        status, answer = create(daemon.path, config, host)
        assert status == 400, (config, host, answer)
    assert ask(daemon.path, "GET", "/v1.41/containers/json?all=1") == (200, [])


def test_the_defaults_the_docker_cli_sends_pass(daemon):
    status, doc = ask(daemon.path, "POST", "/v1.41/containers/create?name=lk-ns-cli", CLI_DEFAULTS)
    assert (status, doc["Warnings"]) == (201, [])
    assert ask(daemon.path, "POST", "/v1.41/containers/lk-ns-cli/start")[0] == 204
    client = docker.APIClient(base_url=daemon.url, version="1.41", timeout=60)
    try:
        assert client.wait("lk-ns-cli")["StatusCode"] == 0
        assert client.logs("lk-ns-cli") == b"1\n"
    finally:
        client.close()
    status, _ = ask(daemon.path, "POST", "/v1.41/networks/create", CLI_NETWORK)
    assert status == 201
    status, doc = create(daemon.path, name="lk-ns-sleep")
    assert ask(daemon.path, "POST", "/v1.41/containers/lk-ns-sleep/start")[0] == 204
    status, doc = ask(daemon.path, "POST", "/v1.41/containers/lk-ns-sleep/exec", CLI_EXEC)
    assert status == 201 and len(doc["Id"]) == 64


def test_docker_py_defaults_and_restart_no_pass(daemon):
    client = docker.DockerClient(base_url=daemon.url, version="1.41", timeout=60)
    try:
        out = client.containers.run(PYTHON, ["sh", "-c", "echo ran"], restart_policy={"Name": "no"}, remove=True)
        assert out == b"ran\n"
        box = client.containers.run(CURL, "sleep 60", detach=True, user="curl_user")  # the image's own user
        assert box.exec_run(["true"], user="curl_user").exit_code == 0
        box.remove(force=True)
        # -u root on an image whose programs run as root anyway
        assert client.containers.run(PYTHON, ["true"], user="root", remove=True) == b""
    finally:
        client.close()


# -- applied ---------------------------------------------------------------------------------------------------
def test_a_restart_policy_restarts_until_stopped_by_hand(daemon):
    # dockerd 20.10: an `always` container that exits 0 is `restarting` between runs (State.Restarting, ps
    # "Restarting (0) … ago"); rm and exec refuse it then; `docker stop` ends its restarts (the CLI's view of the
    # rest: tests/sim/cli_scenarios/restart-policy.txt)
    import time

    client = docker.APIClient(base_url=daemon.url, version="1.41", timeout=60)
    try:
        client.create_container(PYTHON, ["true"], name="lk-ns-always",
                                host_config=client.create_host_config(restart_policy={"Name": "always"}))
        client.start("lk-ns-always")
        deadline = time.monotonic() + 30
        while not client.inspect_container("lk-ns-always")["State"]["Restarting"] and time.monotonic() < deadline:
            time.sleep(0.01)
        doc = client.inspect_container("lk-ns-always")
        assert doc["State"]["Restarting"] and doc["State"]["Running"] and doc["RestartCount"] >= 0
        listed = client.containers(filters={"name": "lk-ns-always"})
        assert listed and listed[0]["Status"].startswith("Restarting (0) ")
        with pytest.raises(docker.errors.APIError) as refused:
            client.remove_container("lk-ns-always")
        assert refused.value.status_code == 409 and "You cannot remove a restarting container" in \
            refused.value.explanation
        client.stop("lk-ns-always", timeout=1)
        doc = client.inspect_container("lk-ns-always")
        assert (doc["State"]["Status"], doc["State"]["Restarting"]) == ("exited", False)
        assert doc["HostConfig"]["RestartPolicy"] == {"Name": "always", "MaximumRetryCount": 0}
    finally:
        client.remove_container("lk-ns-always", force=True)
        client.close()


def test_user_is_applied_as_dockerd_resolves_it(daemon):
    # recorded on dockerd 20.10 (tests/sim/cli_scenarios/cmd-user.txt has the CLI's view)
    client = docker.DockerClient(base_url=daemon.url, version="1.41", timeout=60)
    try:
        assert client.containers.run(CURL, ["id"], user="1000", remove=True) == b"uid=1000 gid=0(root) groups=0(root)\n"
        code = "import os; print(os.getuid(), os.getgid(), os.environ['HOME'])"
        assert client.containers.run(PYTHON, ["python3", "-c", code], user="nobody", remove=True) == \
            b"65534 65534 /nonexistent\n"
        with pytest.raises(docker.errors.APIError) as refused:
            client.containers.run(PYTHON, ["id"], user="nosuch", name="lk-ns-nouser")
        assert (refused.value.status_code, refused.value.explanation) == (
            500, "unable to find user nosuch: no matching entries in passwd file")
        state = client.api.inspect_container("lk-ns-nouser")["State"]
        assert (state["Status"], state["ExitCode"]) == ("created", 128)
    finally:
        client.close()


def test_workdir_is_the_containers_and_its_execs(daemon):
    # dockerd: `docker run --rm -w /srv python:3.13-slim sh -c pwd` prints /srv; `-w rel` is
    # 400 "the working directory 'rel' is invalid, it needs to be an absolute path"
    status, doc = create(daemon.path, {"WorkingDir": "/srv"}, name="lk-ns-wd")
    assert status == 201
    assert ask(daemon.path, "GET", "/v1.41/containers/lk-ns-wd/json")[1]["Config"]["WorkingDir"] == "/srv"
    client = docker.APIClient(base_url=daemon.url, version="1.41", timeout=60)
    try:
        client.start("lk-ns-wd")
        for workdir in (None, "/srv"):
            exec_id = client.exec_create("lk-ns-wd", ["sh", "-c", "pwd"], workdir=workdir)["Id"]
            assert client.exec_start(exec_id) == b"/srv\n"
        # dockerd: `docker exec -w /tmp` runs in /tmp; a missing folder is runc's refusal (126, on stdout)
        exec_id = client.exec_create("lk-ns-wd", ["pwd"], workdir="/tmp")["Id"]
        assert client.exec_start(exec_id) == b"/tmp\n"
        exec_id = client.exec_create("lk-ns-wd", ["pwd"], workdir="/nonex")["Id"]
        assert client.exec_start(exec_id) == (b'OCI runtime exec failed: exec failed: unable to start container '
                                              b'process: chdir to cwd ("/nonex") set in config.json failed: no such '
                                              b'file or directory: unknown\r\n')
        assert client.exec_inspect(exec_id)["ExitCode"] == 126
    finally:
        client.close()
    assert create(daemon.path, {"WorkingDir": "rel"}) == (400, {
        "message": "the working directory 'rel' is invalid, it needs to be an absolute path"})


def test_a_stop_waits_the_containers_stop_timeout(daemon, monkeypatch):
    # dockerd: --stop-timeout 3 is Config.StopTimeout 3, and `docker stop` (no -t) waits that long before SIGKILL
    assert create(daemon.path, {"StopTimeout": 3}, name="lk-ns-stop")[0] == 201
    assert ask(daemon.path, "GET", "/v1.41/containers/lk-ns-stop/json")[1]["Config"]["StopTimeout"] == 3
    assert ask(daemon.path, "POST", "/v1.41/containers/lk-ns-stop/start")[0] == 204
    asked = []
    stop = daemon.engine.stop
    monkeypatch.setattr(daemon.engine, "stop", lambda cid, timeout=None: (asked.append(timeout), stop(cid, 0)))
    assert ask(daemon.path, "POST", "/v1.41/containers/lk-ns-stop/stop")[0] == 204
    assert ask(daemon.path, "POST", "/v1.41/containers/lk-ns-stop/start")[0] == 204
    assert ask(daemon.path, "POST", "/v1.41/containers/lk-ns-stop/stop?t=0")[0] == 204
    assert asked == [3, 0]


def test_a_networks_gateway_and_attachable_are_applied(daemon):
    body = {"Name": "lk-ns-gw", "Attachable": True,
            "IPAM": {"Config": [{"Subnet": "10.123.0.0/24", "Gateway": "10.123.0.254"}]}}
    assert ask(daemon.path, "POST", "/v1.41/networks/create", body)[0] == 201
    doc = ask(daemon.path, "GET", "/v1.41/networks/lk-ns-gw")[1]
    assert (doc["IPAM"]["Config"], doc["Attachable"]) == ([{"Subnet": "10.123.0.0/24", "Gateway": "10.123.0.254"}], True)
    assert create(daemon.path, host={"NetworkMode": "lk-ns-gw"}, name="lk-ns-gwc")[0] == 201
    assert ask(daemon.path, "POST", "/v1.41/containers/lk-ns-gwc/start")[0] == 204
    endpoint = ask(daemon.path, "GET", "/v1.41/containers/lk-ns-gwc/json")[1]["NetworkSettings"]["Networks"]["lk-ns-gw"]
    assert (endpoint["Gateway"], endpoint["IPAddress"]) == ("10.123.0.254", "10.123.0.1")


# -- refused, in labkit's words --------------------------------------------------------------------------------
# each is silently ignored by the embedded engine before issue 22; dockerd applies each (the CLI 28 flag shown)
REFUSED_CREATE = [
    ({"Volumes": {"/data": {}}}, None, f"{ENGINE} -v/--volume (an anonymous volume) (Volumes)"),
    ({"Healthcheck": {"Test": ["CMD-SHELL", "true"]}}, None, f"{ENGINE} --health-cmd (Healthcheck)"),
    ({"StopSignal": "SIGINT"}, None, f"{ENGINE} --stop-signal SIGINT (StopSignal)"),
    ({"Domainname": "example.com"}, None, f"{ENGINE} --domainname (Domainname)"),
    ({"MacAddress": "02:42:ac:11:00:99"}, None, f"{ENGINE} --mac-address (MacAddress)"),
    ({}, {"Binds": ["/tmp:/data"]}, f"{ENGINE} -v/--volume (HostConfig.Binds)"),
    ({}, {"PublishAllPorts": True}, f"{ENGINE} -P/--publish-all (HostConfig.PublishAllPorts)"),
    ({}, {"Memory": 64 * 2 ** 20}, f"{ENGINE} -m/--memory (HostConfig.Memory)"),
    ({}, {"NanoCpus": 10 ** 9}, f"{ENGINE} --cpus (HostConfig.NanoCpus)"),
    ({}, {"CpuShares": 512}, f"{ENGINE} -c/--cpu-shares (HostConfig.CpuShares)"),
    ({}, {"Init": True}, f"{ENGINE} --init (HostConfig.Init)"),
    ({}, {"ExtraHosts": ["db:10.0.0.5"]}, f"{ENGINE} --add-host (HostConfig.ExtraHosts)"),
    ({}, {"Dns": ["1.1.1.1"]}, f"{ENGINE} --dns (HostConfig.Dns)"),
    ({}, {"CapAdd": ["NET_ADMIN"]}, f"{ENGINE} --cap-add (HostConfig.CapAdd)"),
    ({}, {"Privileged": True}, f"{ENGINE} --privileged (HostConfig.Privileged)"),
    ({}, {"PidMode": "host"}, f"{ENGINE} --pid host (HostConfig.PidMode)"),
    ({}, {"ReadonlyRootfs": True}, f"{ENGINE} --read-only (HostConfig.ReadonlyRootfs)"),
    ({}, {"Tmpfs": {"/run": ""}}, f"{ENGINE} --tmpfs (HostConfig.Tmpfs)"),
    ({}, {"MemorySwappiness": 50}, f"{ENGINE} --memory-swappiness 50 (HostConfig.MemorySwappiness)"),
    ({}, {"IpcMode": "host"}, f"{ENGINE} --ipc host (HostConfig.IpcMode)"),
    ({}, {"MaskedPaths": []}, f"{ENGINE} --security-opt systempaths=unconfined (HostConfig.MaskedPaths)"),
    ({}, {"LogConfig": {"Type": "none"}},
     f"{ENGINE} --log-driver none (HostConfig.LogConfig.Type): its containers log as json-file"),
    ({}, {"LogConfig": {"Type": "json-file", "Config": {"max-size": "1m"}}},
     f"{ENGINE} --log-opt (HostConfig.LogConfig.Config)"),
    ({}, {"PortBindings": {"53/udp": [{"HostPort": "5353"}]}},
     f"{ENGINE} -p .../udp (HostConfig.PortBindings.53/udp): it publishes TCP ports only"),
    ({}, {"PortBindings": {"80/tcp": [{"HostPort": "8000-8010"}]}},
     f"{ENGINE} -p 8000-8010:... (HostConfig.PortBindings.80/tcp): a range of host ports"),
    ({}, {"PortBindings": {"80/tcp": [{"HostIp": "::1", "HostPort": "8080"}]}},
     f"{ENGINE} -p [::1]:... (HostConfig.PortBindings.80/tcp): it publishes on IPv4 only"),
]
REFUSED_ENDPOINT = [
    ({"IPAMConfig": {"IPv4Address": "172.17.0.99"}}, f"{ENGINE} --ip/--ip6/--link-local-ip "
                                                      "(NetworkingConfig.EndpointsConfig.bridge.IPAMConfig)"),
    ({"IPAMConfig": {"IPv6Address": "fd00::5"}}, f"{ENGINE} --ip/--ip6/--link-local-ip "
                                                  "(NetworkingConfig.EndpointsConfig.bridge.IPAMConfig)"),
    ({"Links": ["other:db"]}, f"{ENGINE} --link (NetworkingConfig.EndpointsConfig.bridge.Links)"),
    ({"DriverOpts": {"a": "b"}}, f"{ENGINE} --driver-opt (NetworkingConfig.EndpointsConfig.bridge.DriverOpts)"),
]


@pytest.mark.parametrize(("config", "host", "message"), REFUSED_CREATE,
                         ids=[(list(config) or list(host))[0] for config, host, _ in REFUSED_CREATE])
def test_a_setting_the_engine_does_not_apply_is_refused(daemon, config, host, message):
    assert create(daemon.path, config, host) == (400, {"message": message})
    assert ask(daemon.path, "GET", "/v1.41/containers/json?all=1") == (200, [])  # nothing made


@pytest.mark.parametrize(("settings", "message"), REFUSED_ENDPOINT)
def test_an_endpoint_setting_beyond_aliases_is_refused(daemon, settings, message):
    host, networking = {"NetworkMode": "bridge"}, {"EndpointsConfig": {"bridge": settings}}
    assert create(daemon.path, {}, host, networking) == (400, {"message": message})
    assert create(daemon.path, name="lk-ns-ep")[0] == 201
    body = {"Container": "lk-ns-ep", "EndpointConfig": settings}
    assert ask(daemon.path, "POST", "/v1.41/networks/bridge/connect", body) == (
        400, {"message": message.replace("NetworkingConfig.EndpointsConfig.bridge", "EndpointConfig")})


def test_exec_settings_the_engine_does_not_apply_are_refused(daemon):
    assert create(daemon.path, name="lk-ns-ex")[0] == 201
    assert ask(daemon.path, "POST", "/v1.41/containers/lk-ns-ex/start")[0] == 204
    for body, message in (
            ({"Privileged": True}, f"{ENGINE} docker exec --privileged (Privileged)"),):
        assert ask(daemon.path, "POST", "/v1.41/containers/lk-ns-ex/exec", {"Cmd": ["pwd"], **body}) == (
            400, {"message": message})


@pytest.mark.parametrize(("body", "status", "message"), [
    # dockerd 20.10 answers these two in its words (recorded): host and null networks are one of a kind
    ({"Driver": "host"}, 403, 'only one instance of "host" network is allowed'),
    ({"Driver": "bogus"}, 404, 'plugin "bogus" not found'),
    ({"IPAM": {"Driver": "bogus"}}, 404, 'plugin "bogus" not found'),
    ({"Driver": "overlay"}, 400, f"{ENGINE} --driver overlay (Driver)"),
    ({"EnableIPv6": True}, 400, f"{ENGINE} --ipv6 (EnableIPv6)"),
    ({"Options": {"com.docker.network.driver.mtu": "1400"}}, 400, f"{ENGINE} -o/--opt (Options)"),
    ({"IPAM": {"Config": [{"Subnet": "fd00:1::/64"}]}}, 400,
     f"{ENGINE} --subnet fd00:1::/64 (IPAM.Config[0].Subnet): its networks are IPv4 only"),
    ({"IPAM": {"Config": [{"Subnet": "10.124.0.0/24", "IPRange": "10.124.0.0/25"}]}}, 400,
     f"{ENGINE} --ip-range (IPAM.Config[0].IPRange)"),
    ({"IPAM": {"Config": [{"Subnet": "10.124.0.0/24", "AuxiliaryAddresses": {"a": "10.124.0.9"}}]}}, 400,
     f"{ENGINE} --aux-address (IPAM.Config[0].AuxiliaryAddresses)"),
    ({"IPAM": {"Config": [{"Subnet": "10.124.0.0/24", "Gateway": "10.1.1.1"}]}}, 500,
     "failed to allocate gateway (10.1.1.1): Requested address is out of range"),
    ({"Labels": ["a=b"]}, 400, "invalid value for Labels: expected an object, got an array"),
])
def test_a_network_create_is_applied_or_refused(daemon, body, status, message):
    assert ask(daemon.path, "POST", "/v1.41/networks/create", {"Name": "lk-ns-n", **body}) == (status,
                                                                                                {"message": message})
    assert "lk-ns-n" not in [n["Name"] for n in ask(daemon.path, "GET", "/v1.41/networks")[1]]


def test_an_ipv6_endpoint_never_gets_a_traceback():
    # the embedded engine refuses IPv6 networks and addresses; its MAC rule no longer assumes an IPv4 address
    assert _mac("172.18.0.2") == "02:42:ac:12:00:02"
    assert _mac("fd00::a:b0c:d0e") == "02:42:0b:0c:0d:0e"


# -- no traceback answers a client -----------------------------------------------------------------------------
@pytest.mark.parametrize(("config", "host", "message"), [
    # dockerd 20.10 answers these 500 "json: cannot unmarshal number into Go struct field
    # ContainerConfigWrapper.Cmd of type string" (and so on); the embedded engine answers 400 naming the field
    ({"Cmd": 5}, None, "invalid value for Cmd: expected an array, got a number"),
    ({"Labels": ["a=b"]}, None, "invalid value for Labels: expected an object, got an array"),
    ({"Env": [1]}, None, "invalid value for Env[0]: expected a string, got a number"),
    ({"Tty": "yes"}, None, "invalid value for Tty: expected true or false, got a string"),
    ({"HostConfig": "x"}, None, "invalid value for HostConfig: expected an object, got a string"),
    ({}, {"Memory": "64m"}, "invalid value for HostConfig.Memory: expected an integer, got a string"),
    ({}, {"Memory": 1.5e7}, "invalid value for HostConfig.Memory: expected an integer, got a number"),
    ({}, {"Memory": 2 ** 70}, f"invalid value for HostConfig.Memory: {2 ** 70} is out of range (a 64-bit integer)"),
    ({}, {"PortBindings": {"80/tcp": [{"HostPort": 8080}]}},
     "invalid value for HostConfig.PortBindings.80/tcp[0].HostPort: expected a string, got a number"),
    # dockerd's own 400s, in its words (recorded)
    ({}, {"Memory": -1}, "Minimum memory limit allowed is 6MB"),
    ({}, {"PortBindings": {"80/tcp": [{"HostPort": "70000"}]}}, 'invalid port specification: "70000"'),
    ({}, {"PortBindings": {"abc/tcp": [{"HostPort": "1"}]}}, 'invalid port specification: "abc"'),
    ({}, {"MemorySwappiness": 200}, "Invalid value: 200, valid memory swappiness range is 0-100"),
    ({}, {"RestartPolicy": {"Name": "bogus"}}, "invalid restart policy 'bogus'"),
    ({}, {"RestartPolicy": {"Name": "no", "MaximumRetryCount": 3}},
     "maximum retry count cannot be used with restart policy 'no'"),
    ({"StopSignal": "SIGBOGUS"}, None, "Invalid signal: SIGBOGUS"),
    # dockerd 20.10, a log driver neither built in nor a plugin (400 after its plugin look-up gives up)
    ({}, {"LogConfig": {"Type": "nosuchdriver"}},
     'error looking up logging plugin nosuchdriver: plugin "nosuchdriver" not found'),
    ({"Env": [None]}, None, "invalid environment variable: "),
])
def test_an_invalid_create_body_is_a_400_naming_the_field(daemon, config, host, message):
    body = {**config, **({"HostConfig": host} if host is not None else {})}
    assert create(daemon.path, body) == (400, {"message": message})


@pytest.mark.parametrize("name", ["a/b", "a b", "x"])
def test_a_container_name_dockerd_refuses_is_refused(daemon, name):
    # dockerd: 400 "Invalid container name (a/b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
    status, doc = create(daemon.path, name=name.replace(" ", "%20"))
    assert (status, doc) == (400, {"message": f"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] "
                                              "are allowed"})


def test_wrong_types_in_exec_network_and_start_bodies_are_400(daemon):
    assert create(daemon.path, name="lk-ns-t")[0] == 201
    assert ask(daemon.path, "POST", "/v1.41/containers/lk-ns-t/start")[0] == 204
    assert ask(daemon.path, "POST", "/v1.41/containers/lk-ns-t/exec", {"Cmd": 5}) == (
        400, {"message": "invalid value for Cmd: expected an array, got a number"})
    assert ask(daemon.path, "POST", "/v1.41/networks/bridge/connect", {"Container": 5}) == (
        400, {"message": "invalid value for Container: expected a string, got a number"})
    assert ask(daemon.path, "POST", "/v1.41/networks/create", {"Name": "lk-ns-x", "Internal": "yes"}) == (
        400, {"message": "invalid value for Internal: expected true or false, got a string"})
    # dockerd (API 1.24 and later): a start with a HostConfig in its body
    assert ask(daemon.path, "POST", "/v1.41/containers/lk-ns-t/start", {"Binds": ["/a:/b"]}) == (400, {
        "message": "starting container with non-empty request body was deprecated since API v1.22 and removed in "
                   "v1.24"})


def test_logs_with_a_bad_since_is_a_400_before_the_stream(daemon):
    # dockerd 20.10: 500 `strconv.ParseInt: parsing "abc": invalid syntax`; before, the embedded engine sent 200
    # and then dropped the connection
    assert create(daemon.path, name="lk-ns-logs")[0] == 201
    for since in ("abc", "10m", "1e3"):
        status, doc = ask(daemon.path, "GET", f"/v1.41/containers/lk-ns-logs/logs?stdout=1&since={since}")
        assert (status, doc) == (400, {"message": f"invalid value for since: '{since}' (seconds since 1970, as "
                                                  "1700000000 or 1700000000.5)"})
    status, headers, _ = raw(daemon.path, b"GET /v1.41/containers/lk-ns-logs/logs?stdout=1&since=1.5 HTTP/1.1\r\n"
                                          b"Host: d\r\nConnection: close\r\n\r\n")
    assert (status, headers["content-type"]) == (200, "application/vnd.docker.multiplexed-stream")


def test_http_errors_are_json_and_the_daemon_keeps_serving(daemon):
    # a body of 10^11 bytes is refused from its header, before a byte of it is read (the request sends none)
    status, headers, body = raw(daemon.path, b"POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\n"
                                             b"Content-Type: application/json\r\nContent-Length: 100000000000\r\n\r\n")
    assert (status, headers["connection"]) == (413, "close")
    assert json.loads(body) == {"message": "labkit's embedded engine reads request bodies of 16 MiB at most here "
                                           "(this one is 100000000000 bytes)"}
    for request, want in (
            (b"GARBAGE\r\n\r\n", (400, "Bad request syntax ('GARBAGE')")),  # dockerd: 400, text/plain
            (b"FOO /v1.41/containers/json HTTP/1.1\r\nHost: d\r\n\r\n", (404, "page not found")),  # dockerd: the same
            (b"GET /v1.41/nope HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n", (404, "page not found")),
            (b"POST /v1.41/networks/create HTTP/1.1\r\nHost: d\r\nContent-Length: abc\r\n\r\n",
             (400, "invalid Content-Length: 'abc'")),
            (b"POST /v1.41/networks/create HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
             (400, "invalid byte in chunk length"))):  # dockerd's words
        status, headers, body = raw(daemon.path, request)
        assert (status, headers["content-type"], json.loads(body)["message"]) == (want[0], "application/json", want[1])
    # a route the daemon does not serve is "page not found" whatever the size of the upload it came with
    status, _, body = raw(daemon.path, b"POST /v1.41/images/load HTTP/1.1\r\nHost: d\r\n"
                                       b"Content-Length: 100000000000\r\n\r\n")
    assert (status, json.loads(body)) == (404, {"message": "page not found"})
    assert raw(daemon.path, b"GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n")[::2] == (200, b"OK")


def test_a_chunked_body_over_the_limit_is_refused_as_it_comes(daemon, monkeypatch):
    from labkit.engines.sim import api

    monkeypatch.setattr(api, "JSON_LIMIT", 8)
    status, headers, body = raw(daemon.path, b"POST /v1.41/networks/create HTTP/1.1\r\nHost: d\r\n"
                                             b"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"Nam\r\n5\r\ne\": \"\r\n")
    assert (status, headers["connection"]) == (413, "close")
    assert json.loads(body) == {"message": "labkit's embedded engine reads request bodies of 8 bytes at most here "
                                           "(a chunked body larger than that)"}


def test_outside_a_swarm_as_dockerd_is(daemon):
    # dockerd 20.10 outside a swarm: 503 for reading it, "not part of a swarm" for leaving it
    assert ask(daemon.path, "GET", "/v1.41/swarm")[0] == 503
    assert ask(daemon.path, "GET", "/v1.41/services") == (503, {"message": (
        'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to '
        "swarm and try again.")})
    assert ask(daemon.path, "POST", "/v1.41/swarm/leave?force=1") == (503, {"message": "This node is not part of a swarm"})
    client = docker.APIClient(base_url=daemon.url, version="1.41", timeout=60)
    try:
        assert client.leave_swarm(force=True) is True  # docker-py takes that answer as done
    finally:
        client.close()
    assert ask(daemon.path, "POST", "/v1.41/swarm/init", {}) == (400, {
        "message": f"{ENGINE} swarm mode (docker swarm init/join)"})


# -- the real docker CLI ---------------------------------------------------------------------------------------
needs_cli = pytest.mark.skipif(shutil.which("docker") is None, reason="the docker CLI is not installed")


@needs_cli
def test_the_docker_cli_hears_each_refusal_and_gets_what_it_asks(daemon, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")}
    env.update(DOCKER_HOST=daemon.url, DOCKER_CONFIG=str(tmp_path / "docker-config"))

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["docker", *args], env=env, capture_output=True, text=True, timeout=60)

    # each of these exits 0 on dockerd 20.10 (the flag applied); the embedded engine says why it will not
    for flags, message in ((["-v", "/data"], "-v/--volume"),
                           (["-P"], "-P/--publish-all"),
                           (["--health-cmd", "true"], "--health-cmd")):
        r = cli("run", *flags, PYTHON, "true")
        assert r.returncode == 125 and f"Error response from daemon: {ENGINE} {message}" in r.stderr, r.stderr
    # recorded on dockerd: `docker run --rm -w /srv python:3.13-slim sh -c pwd` prints /srv; --restart no runs
    r = cli("run", "--rm", "-w", "/srv", "--restart", "no", PYTHON, "sh", "-c", "pwd")
    assert (r.returncode, r.stdout) == (0, "/srv\n"), r.stderr
    assert cli("ps", "-aq").stdout == ""
