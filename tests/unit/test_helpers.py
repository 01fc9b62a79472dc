"""Pure helpers: readiness rules, Dockerfile bases, compose names, transcripts, -p specs."""

from __future__ import annotations

import pytest

from labkit.contract.compose import project_name
from labkit.contract.options import dockerfile_bases, parse_publish
from labkit.contract.transcript import is_docker_line, read_transcript
from labkit.engines import readiness
from labkit.errors import CommandError

PROC_NET_TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 0B00007F:A1B2 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   2: 020012AC:0BB8 030012AC:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
"""


def test_listening_sockets_read_listen_state_with_addresses():
    assert readiness.listening_sockets(PROC_NET_TCP) == [("127.0.0.1", 3000), ("127.0.0.11", 0xA1B2)]
    tcp6 = "   0: 00000000000000000000000000000000:1F40 00000000000000000000000000000000:0000 0A 0 0 0 0 0 1\n"
    assert readiness.listening_sockets(tcp6) == [("::", 8000)]


def test_listening_ports_leave_out_dockers_dns_resolver():
    # 127.0.0.11 is Docker's embedded DNS resolver inside the container, not a server of the container's own
    assert readiness.listening_ports(PROC_NET_TCP) == {3000}


@pytest.mark.parametrize(
    "config, wanted",
    [
        ({"ExposedPorts": {"3000/tcp": {}}, "Cmd": ["python3", "server.py"]}, {3000}),
        ({"ExposedPorts": {}, "Cmd": ["python3", "-m", "http.server", "8000"]}, "any"),
        ({"ExposedPorts": {}, "Cmd": ["myserver"]}, None),
        ({"ExposedPorts": {"3000/tcp": {}}, "Cmd": ["sleep", "300"]}, None),
        ({"ExposedPorts": {"3000/tcp": {}}, "Cmd": ["sh", "-c", "sleep 300"]}, None),
        ({"ExposedPorts": {"3000/tcp": {}}, "Cmd": ["sh", "-c", "python3 server.py"]}, {3000}),
        ({"ExposedPorts": {"3000/tcp": {}}, "Cmd": ["sh"]}, None),
        ({"ExposedPorts": {"80/tcp": {}}, "Entrypoint": ["/entrypoint.sh"], "Cmd": ["sleep", "9"]}, None),
        ({"ExposedPorts": {"53/udp": {}}, "Cmd": ["python3", "dns.py"]}, "any"),
    ],
)
def test_what_readiness_waits_for(config, wanted):
    got = readiness.expectation(config)
    if wanted is None:
        assert got is None
    elif wanted == "any":
        assert got is not None and got[0] is None and got[1] == readiness.ANY_PORT_DEADLINE
    else:
        assert got == (wanted, readiness.DEFAULT_DEADLINE)


def test_poll_until_stops_at_the_deadline_or_success():
    calls = []
    assert readiness.poll_until(lambda: calls.append(1) or len(calls) == 3, deadline_s=5) is True
    assert len(calls) == 3
    assert readiness.poll_until(lambda: False, deadline_s=0.05) is False


def test_dockerfile_bases():
    text = "ARG V=3.13\nFROM python:${V}-slim AS build\nRUN true\nFROM build\nFROM scratch\nFROM --platform=x alpine\n"
    assert dockerfile_bases(text, {}) == ["python:3.13-slim", "alpine"]
    assert dockerfile_bases(text, {"V": "3.12"})[0] == "python:3.12-slim"


def test_parse_publish():
    assert parse_publish("8080:3000") == ("3000/tcp", "", "8080")
    assert parse_publish("127.0.0.1:8080:3000") == ("3000/tcp", "127.0.0.1", "8080")
    assert parse_publish("[::1]:8080:3000/udp") == ("3000/udp", "::1", "8080")
    assert parse_publish("3000") == ("3000/tcp", "", "")
    with pytest.raises(CommandError) as err:
        parse_publish("80:abc")
    assert err.value.exit_code == 125 and "invalid port format" in err.value.stderr


def test_compose_project_name(tmp_path):
    path = str(tmp_path / "My Shop!" / "compose.yaml")
    assert project_name(path, {}, None) == "myshop"
    assert project_name(path, {"name": "Demo"}, None) == "demo"
    assert project_name(path, {"name": "Demo"}, "given") == "given"


def test_read_transcript(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("# comment\n\n  docker ps  \ncurl -s http://localhost:8080\n   # indented comment\n")
    assert read_transcript(str(f)) == ["docker ps", "curl -s http://localhost:8080"]
    assert is_docker_line("docker ps") and not is_docker_line("curl x") and not is_docker_line("dockerd")
