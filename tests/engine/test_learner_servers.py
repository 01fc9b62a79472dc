"""Servers written the ways learners write them: binds, names, IPv6, getsockname, connects — as on Docker.

Every expected line below was printed by the same script in python:3.13-slim on Docker 20.10 (a user-defined
network with a fixed subnet, so addresses are stable). The test runs the script on the engine under test,
so the docker pass proves the expectations and the sim pass proves the embedded engine matches them.
"""

from __future__ import annotations

import textwrap

import pytest

pytestmark = pytest.mark.engine

PY = "python:3.13-slim"

BINDS = textwrap.dedent("""
    import socket
    def t(label, fam, addr, v6only=None):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if v6only is not None:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
        try:
            s.bind(addr); s.listen()
            print(label, "bound", s.getsockname())
        except Exception as e:
            print(label, type(e).__name__, e)
        return s
    keep = [
        t("v4 localhost", socket.AF_INET, ("localhost", 9001)),
        t("v4 hostname", socket.AF_INET, (socket.gethostname(), 9002)),
        t("v4 ::", socket.AF_INET, ("::", 9003)),
        t("v4 empty", socket.AF_INET, ("", 9004)),
        t("v6 empty", socket.AF_INET6, ("", 9005)),
        t("v6 0.0.0.0", socket.AF_INET6, ("0.0.0.0", 9006)),
        t("v6 localhost", socket.AF_INET6, ("localhost", 9007)),
        t("v4 neighbour", socket.AF_INET, ("lk-srv-other", 9008)),
        t("v4 nosuch", socket.AF_INET, ("nosuchname", 9009)),
        t("v4 LOCALHOST", socket.AF_INET, ("LOCALHOST", 9010)),
        t("v6 hostname", socket.AF_INET6, (socket.gethostname(), 9011)),
        t("v4 any", socket.AF_INET, ("0.0.0.0", 9012)),
        t("v6only :: beside it", socket.AF_INET6, ("::", 9012), 1),
        t("dual ::", socket.AF_INET6, ("::", 9013), 0),
        t("v4 any after dual", socket.AF_INET, ("0.0.0.0", 9013)),
        t("v4 lo after dual", socket.AF_INET, ("127.0.0.1", 9013)),
        t("v4 lo", socket.AF_INET, ("127.0.0.1", 9014)),
        t("dual after v4 lo", socket.AF_INET6, ("::", 9014), 0),
        t("own ip", socket.AF_INET, (socket.gethostbyname(socket.gethostname()), 9015)),
        t("lo after own ip", socket.AF_INET, ("127.0.0.1", 9015)),
        t("any after own ip", socket.AF_INET, ("0.0.0.0", 9015)),
        t("lo after any", socket.AF_INET, ("127.0.0.1", 9012)),
    ]
    def c(host, port, fam=socket.AF_INET):
        s = socket.socket(fam); s.settimeout(2)
        print("connect", host, port, s.connect_ex((host, port)))
    c("127.0.0.1", 9002); c("0.0.0.0", 9002); c("::1", 9002, socket.AF_INET6)
    c("0.0.0.0", 9004); c("::1", 9004, socket.AF_INET6); c("::1", 9013, socket.AF_INET6)
    c("::", 9013, socket.AF_INET6); c("127.0.0.1", 9013); c("0.0.0.0", 9001)
    c("::ffff:127.0.0.1", 9013, socket.AF_INET6); c("::ffff:127.0.0.1", 9004, socket.AF_INET6)
    print("create_server", socket.create_server(("", 9020)).getsockname())
    print("dualstack", socket.create_server(("", 9021), family=socket.AF_INET6, dualstack_ipv6=True).getsockname())
    import os, platform
    print("node is hostname", platform.node() == socket.gethostname() == os.uname().nodename)
""")

EXPECTED = """\
v4 localhost bound ('127.0.0.1', 9001)
v4 hostname bound ('10.219.187.3', 9002)
v4 :: gaierror [Errno -9] Address family for hostname not supported
v4 empty bound ('0.0.0.0', 9004)
v6 empty bound ('::', 9005, 0, 0)
v6 0.0.0.0 gaierror [Errno -9] Address family for hostname not supported
v6 localhost OSError [Errno 99] Cannot assign requested address
v4 neighbour OSError [Errno 99] Cannot assign requested address
v4 nosuch gaierror [Errno -2] Name or service not known
v4 LOCALHOST bound ('127.0.0.1', 9010)
v6 hostname gaierror [Errno -5] No address associated with hostname
v4 any bound ('0.0.0.0', 9012)
v6only :: beside it bound ('::', 9012, 0, 0)
dual :: bound ('::', 9013, 0, 0)
v4 any after dual OSError [Errno 98] Address already in use
v4 lo after dual OSError [Errno 98] Address already in use
v4 lo bound ('127.0.0.1', 9014)
dual after v4 lo OSError [Errno 98] Address already in use
own ip bound ('10.219.187.3', 9015)
lo after own ip bound ('127.0.0.1', 9015)
any after own ip OSError [Errno 98] Address already in use
lo after any OSError [Errno 98] Address already in use
connect 127.0.0.1 9002 111
connect 0.0.0.0 9002 111
connect ::1 9002 99
connect 0.0.0.0 9004 0
connect ::1 9004 99
connect ::1 9013 99
connect :: 9013 99
connect 127.0.0.1 9013 0
connect 0.0.0.0 9001 0
connect ::ffff:127.0.0.1 9013 0
connect ::ffff:127.0.0.1 9004 0
create_server ('0.0.0.0', 9020)
dualstack ('::', 9021, 0, 0)
node is hostname True
"""


@pytest.fixture
def net(lab):
    lab.ok("docker network create --subnet 10.219.187.0/24 lk-srv-net")
    lab.ok(f"docker run -d --name lk-srv-other --network lk-srv-net {PY} sleep 300")
    return lab


def test_binds_and_connects_as_linux_in_a_container(net):
    r = net(f"docker run --rm --network lk-srv-net {PY} python3 -c {_quote(BINDS)}")
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout == EXPECTED


def test_names_match_whatever_their_case_and_with_the_network(net):
    """Docker's DNS: a container's name in any case, NAME.NETWORK (the network as spelled); /etc/hosts too."""
    script = ("getent hosts LK-SRV-OTHER; getent hosts lk-srv-other.lk-srv-net; getent hosts Lk-Srv-Other.lk-srv-net; "
              "getent hosts lk-srv-other.LK-SRV-NET || echo none; getent hosts LOCALHOST")
    r = net(f'docker run --rm --network lk-srv-net curlimages/curl:8.14.1 sh -c "{script}"')
    assert r.stdout == ("10.219.187.2    LK-SRV-OTHER\n10.219.187.2    lk-srv-other.lk-srv-net\n"
                        "10.219.187.2    Lk-Srv-Other.lk-srv-net\nnone\n"
                        "::1             localhost ip6-localhost ip6-loopback\n")


def test_a_server_dies_on_docker_when_it_binds_ipv6_on_an_ipv4_socket(net):
    """("::", 3000) with http.server's HTTPServer (AF_INET): the resolver refuses, the program ends with exit 1."""
    code = "from http.server import HTTPServer, BaseHTTPRequestHandler as H; HTTPServer(('::', 3000), H)"
    r = net(f'docker run --rm --network lk-srv-net {PY} python3 -c "{code}"')
    assert r.exit_code == 1
    assert r.stderr.startswith("Traceback (most recent call last):\n  File \"<string>\", line 1, in <module>\n")
    assert r.stderr.endswith("socket.gaierror: [Errno -9] Address family for hostname not supported\n")
    assert "labkit" not in r.stderr


def test_python_u_reaches_the_logs_before_the_program_ends(net):
    net.ok(f"docker run -d --name lk-srv-u --network lk-srv-net {PY} python3 -u -c "
           "\"import time; print('up', flush=False); time.sleep(300)\"")
    import time

    for _ in range(100):
        if net.ok("docker logs lk-srv-u").stdout == "up\n":
            break
        time.sleep(0.1)
    assert net.ok("docker logs lk-srv-u").stdout == "up\n"


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)
