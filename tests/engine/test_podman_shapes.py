"""The podman engine kind without a Podman daemon: its registration, how auto recognises Podman, the one image-name
normal form, `ps` rows built from inspect documents as Podman 4.3.1 answers them, the clean-up order and removing
networks by name, and the DNS probe that waits out aardvark-dns's stall. The documents below are Podman 4.3.1's
answers, recorded on this course's machine (rootful, netavark 1.4, aardvark-dns 1.4)."""

from __future__ import annotations

import socket
import struct
import threading
import types

import pytest

from labkit.engines import imagenames, registry, select
from labkit.engines.podman import detect, dnswait
from labkit.engines.podman.engine import PodmanEngine, ps_row, published_ports

PODMAN_VERSION = {"Platform": {"Name": "linux/amd64/debian-12"}, "Version": "4.3.1",
                  "Components": [{"Name": "Podman Engine", "Version": "4.3.1"}, {"Name": "Conmon", "Version": "2.1.6"}]}
DOCKER_VERSION = {"Version": "20.10.24", "Components": [{"Name": "Engine", "Version": "20.10.24"}]}

SERVER = {  # `podman run -d --name hd-s --network hd-n -p 127.0.0.1:38412:3000 --expose 4000 day8`, inspected
    "Id": "d94e853d7746" + "0" * 52, "Name": "hd-s", "Created": "2026-12-08T02:48:14.390233512Z",
    "Config": {"Image": "localhost/day8:latest", "ExposedPorts": {"3000/tcp": {}, "4000/tcp": {}}},
    "HostConfig": {"NetworkMode": "bridge"},
    "NetworkSettings": {"Ports": {"3000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "38412"}], "4000/tcp": None},
                        "Networks": {"hd-n": {"Gateway": "10.89.0.1", "IPAddress": "10.89.0.2", "NetworkID": "hd-n"}}},
}
JOINER = {  # `podman run -d --name hd-j --network container:hd-s curlimages/curl:8.14.1 sleep 300`, inspected
    "Id": "ea6d0684c07a" + "0" * 52, "Name": "hd-j", "Created": "2026-12-08T02:48:14.912877001Z",
    "Config": {"Image": "localhost/curlimages/curl:8.14.1"},
    "HostConfig": {"NetworkMode": "container:" + SERVER["Id"]},
    "NetworkSettings": dict(SERVER["NetworkSettings"]),
}


def summary(info: dict) -> dict:
    """GET /containers/json's row for the container as Podman 4.3.1 gives it: no host address on the ports, the
    joiner with the server's ports and networks, no HostConfig."""
    return {"Id": info["Id"], "Names": ["/" + info["Name"]], "Image": info["Config"]["Image"],
            "Ports": [{"PrivatePort": 3000, "PublicPort": 38412, "Type": "tcp"}],
            "NetworkSettings": {"Networks": SERVER["NetworkSettings"]["Networks"]}, "State": "running"}


def test_podman_is_a_registered_kind_sharing_its_daemon():
    kind = registry.kind("podman")
    assert "podman" in registry.names() and "podman" in select.ENGINES
    assert kind.private_daemon is False
    assert kind.factory == "labkit.engines.podman.learner:learner_engine"


def test_podman_is_recognised_by_the_version_documents_component():
    assert detect.podman_version(PODMAN_VERSION) == "4.3.1"
    assert detect.podman_version(DOCKER_VERSION) is None
    assert detect.podman_version({}) is None


def test_auto_picks_podman_when_the_daemon_that_answers_is_podman(monkeypatch):
    from labkit.engines.apiclient import connect, engine

    monkeypatch.delenv("LABKIT_ENGINE", raising=False)
    monkeypatch.setattr(connect, "ping", lambda timeout: connect.Ping(True, "unix:///run/podman/podman.sock"))
    monkeypatch.setattr(engine.DockerEngine, "version", lambda self: PODMAN_VERSION)
    chosen, line = select.choose("auto")
    assert chosen.name == "podman" and isinstance(chosen, PodmanEngine)
    assert line == "podman (Podman 4.3.1 answered at unix:///run/podman/podman.sock)"
    monkeypatch.setattr(engine.DockerEngine, "version", lambda self: DOCKER_VERSION)
    chosen, line = select.choose("auto")
    assert chosen.name == "docker" and line.startswith("docker (a daemon answered at ")


@pytest.mark.parametrize(("written", "normal"), [
    ("localhost/day8:latest", "day8"), ("docker.io/library/day8:latest", "day8"), ("day8", "day8"),
    ("day8:latest", "day8"), ("localhost/day8:v2", "day8:v2"), ("day8:v2", "day8:v2"),
    ("localhost/curlimages/curl:8.14.1", "curlimages/curl:8.14.1"), ("docker.io/curlimages/curl:8.14.1",
                                                                       "curlimages/curl:8.14.1"),
    ("registry.example:5000/day8:latest", "registry.example:5000/day8"), ("day8@sha256:" + "a" * 64, "day8"),
])
def test_image_names_have_one_normal_form(written, normal):
    assert imagenames.normal(written) == normal


def test_the_normal_form_keeps_ids_and_the_tagged_form_always_has_a_tag():
    assert imagenames.normal("sha256:" + "b" * 64) == "sha256:" + "b" * 64
    assert imagenames.normal_tagged("localhost/day8") == "day8:latest"
    assert imagenames.same("localhost/curlimages/curl:8.14.1", "curlimages/curl:8.14.1")
    assert not imagenames.same("day8:v2", "day8")
    # the CLI's familiar form drops Docker Hub only: `docker ps` on Docker shows what the daemon stored
    assert imagenames.familiar("docker.io/library/day8:latest") == "day8:latest"
    assert imagenames.familiar("localhost/day8:latest") == "localhost/day8:latest"


def test_a_ps_row_is_built_from_inspect_as_dockerd_builds_it():
    row = ps_row(summary(SERVER), SERVER)
    assert row["Image"] == "day8"
    # dockerd's rows for the same container (recorded on dockerd 20.10): the exposed port bare, the binding with its IP
    assert row["Ports"] == [{"IP": "127.0.0.1", "PrivatePort": 3000, "PublicPort": 38412, "Type": "tcp"},
                            {"PrivatePort": 4000, "Type": "tcp"}]
    assert row["HostConfig"] == {"NetworkMode": "bridge"}


def test_a_network_container_member_has_no_ports_or_networks_of_its_own():
    row = ps_row(summary(JOINER), JOINER)
    assert row["Image"] == "curlimages/curl:8.14.1"
    assert row["Ports"] == [] and row["NetworkSettings"] == {"Networks": {}}
    assert row["HostConfig"]["NetworkMode"].startswith("container:")


def test_an_all_interfaces_binding_is_shown_as_0_0_0_0_and_never_on_ipv6():
    info = {"Config": {}, "HostConfig": {}, "NetworkSettings": {"Ports": {"3000/tcp": [{"HostIp": "", "HostPort": "8080"}]}}}
    assert published_ports(info) == [{"IP": "0.0.0.0", "PrivatePort": 3000, "PublicPort": 8080, "Type": "tcp"}]


class FakePodmanAPI:
    """The calls PodmanEngine makes beyond DockerEngine's, answered as Podman 4.3.1 does (lists oldest first)."""

    def __init__(self):
        self.removed_networks: list[str] = []
        self.removed_containers: list[str] = []
        self.killed: list[str] = []


@pytest.fixture
def podman(monkeypatch):
    from labkit.engines.apiclient import engine

    eng = PodmanEngine("unix:///nonexistent/podman.sock")
    fake = FakePodmanAPI()
    infos = {SERVER["Id"]: SERVER, JOINER["Id"]: JOINER}
    monkeypatch.setattr(engine.DockerEngine, "list_containers",
                        lambda self, all=False, filters=None: [summary(SERVER), summary(JOINER)])
    monkeypatch.setattr(engine.DockerEngine, "inspect_container",
                        lambda self, cid: dict(infos[cid], State={"Running": True}))
    monkeypatch.setattr(engine.DockerEngine, "inspect_network",
                        lambda self, name: {"Name": "hd-n", "Id": "a8eb77e1b300" + "1" * 52})
    monkeypatch.setattr(engine.DockerEngine, "list_networks", lambda self, filters=None: [])
    monkeypatch.setattr(engine.DockerEngine, "remove_network", lambda self, name: fake.removed_networks.append(name))
    monkeypatch.setattr(engine.DockerEngine, "remove_container",
                        lambda self, cid, force=False: fake.removed_containers.append(cid))
    monkeypatch.setattr(engine.DockerEngine, "kill", lambda self, cid, signal=None: fake.killed.append(cid))
    return eng, fake


def test_containers_are_listed_newest_first_so_members_are_cleaned_before_the_container_they_join(podman):
    from labkit import ownership

    eng, fake = podman
    assert [c["Id"] for c in eng.list_containers(all=True)] == [JOINER["Id"], SERVER["Id"]]
    ownership.clean(eng, "any", say=lambda line: None)
    assert fake.removed_containers[:2] == [JOINER["Id"], SERVER["Id"]]


def test_rm_force_kills_first_and_networks_are_removed_by_name(podman):
    eng, fake = podman
    eng.remove_container(SERVER["Id"], force=True)
    assert fake.killed == [SERVER["Id"]] and fake.removed_containers == [SERVER["Id"]]
    eng.remove_network("a8eb77e1b300")
    assert fake.removed_networks == ["hd-n"]


def test_an_unreachable_service_is_named_as_podman_in_one_line():
    err = PodmanEngine("unix:///nonexistent/podman.sock").unreachable(ConnectionError("refused"))
    assert err.stderr.count("\n") == 1
    assert err.stderr.startswith("labkit: cannot reach Podman: no socket at /nonexistent/podman.sock")
    assert "podman system service" in err.stderr


@pytest.fixture
def dns_server():
    """A UDP server on loopback that answers DNS queries after `silent` queries went unanswered."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    state = {"silent": 0, "asked": 0}

    def serve():
        while True:
            try:
                data, peer = s.recvfrom(2048)
            except OSError:
                return
            state["asked"] += 1
            if state["asked"] > state["silent"]:
                # the question back, one answer: the name's address (a pointer to the question's name)
                answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 0, 4) + bytes([10, 89, 0, 2])
                s.sendto(data[:2] + b"\x81\x80" + data[4:6] + b"\x00\x01" + data[8:] + answer, peer)

    threading.Thread(target=serve, daemon=True).start()
    yield s.getsockname()[1], state
    s.close()


def test_the_dns_probe_waits_out_a_silent_server_and_says_why_once(monkeypatch, dns_server):
    port, state = dns_server
    monkeypatch.setattr(dnswait, "DNS_PORT", port)
    state["silent"] = 2
    real = dnswait.answers
    monkeypatch.setattr(dnswait, "answers", lambda server, name, timeout=1.0: real(server, name, 0.05))
    said: list[str] = []
    dnswait.wait_until_answering([("127.0.0.1", "server")], said.append)
    assert state["asked"] == 3
    assert len(said) == 2 and "waiting for Podman's DNS at 127.0.0.1" in said[0] and "answers again" in said[1]


def test_the_dns_probe_is_silent_when_dns_answers_and_gives_up_at_its_deadline(monkeypatch, dns_server):
    port, state = dns_server
    monkeypatch.setattr(dnswait, "DNS_PORT", port)
    real = dnswait.answers
    monkeypatch.setattr(dnswait, "answers", lambda server, name, timeout=1.0: real(server, name, 0.05))
    said: list[str] = []
    dnswait.wait_until_answering([("127.0.0.1", "server")], said.append)
    assert said == []
    state["silent"], state["asked"] = 10**6, 0
    dnswait.wait_until_answering([("127.0.0.1", "server")], said.append, deadline_s=0.2)
    assert "still does not answer for server after 0 s" in said[-1]


def test_inspect_says_exited_where_podman_says_stopped_and_a_member_has_no_networks_of_its_own():
    from labkit.engines.podman.engine import as_dockerd_inspects

    exited = as_dockerd_inspects(dict(SERVER, State={"Status": "stopped", "ExitCode": 3, "Running": False}))
    assert exited["State"]["Status"] == "exited" and exited["State"]["ExitCode"] == 3
    member = as_dockerd_inspects(JOINER)
    assert member["NetworkSettings"]["Networks"] == {} and member["NetworkSettings"]["Ports"] == {}
    assert JOINER["NetworkSettings"]["Networks"], "the recorded document is left as Podman gave it"
    assert as_dockerd_inspects(SERVER)["NetworkSettings"]["Networks"] == SERVER["NetworkSettings"]["Networks"]


def test_a_missing_image_is_the_missing_image_error_in_podmans_words_too(monkeypatch):
    from labkit.engines.apiclient import engine
    from labkit.errors import ImageNotFound, NotFound

    def missing(self, fn, *args, **kwargs):
        raise NotFound("no such image: docker.io/curlimages/curl: image not known", 404)

    monkeypatch.setattr(engine.DockerEngine, "_call", missing)
    eng = PodmanEngine("unix:///nonexistent/podman.sock")
    eng._api = types.SimpleNamespace(inspect_image=lambda name: None)  # never reached: _call answers
    with pytest.raises(ImageNotFound):
        eng.inspect_image("curlimages/curl")


def test_a_rows_command_is_the_entrypoint_and_its_arguments_as_dockerd_gives_it():
    info = dict(SERVER, Path="/entrypoint.sh", Args=["sh", "-c", "exit 3"])
    assert ps_row(dict(summary(SERVER), Command="sh -c exit 3"), info)["Command"] == "/entrypoint.sh sh -c exit 3"


def test_ps_without_all_lists_paused_containers_as_dockerd_does(podman, monkeypatch):
    from labkit.engines.apiclient import engine

    eng, _ = podman
    rows = [dict(summary(SERVER), State="paused"), dict(summary(JOINER), State="exited")]
    monkeypatch.setattr(engine.DockerEngine, "list_containers", lambda self, all=False, filters=None: rows)
    assert [c["Id"] for c in eng.list_containers()] == [SERVER["Id"]]
    assert len(eng.list_containers(all=True)) == 2
