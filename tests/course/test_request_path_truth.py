"""The request-path explanation tells the truth: `trace`'s verdict equals what a real curl observes.

Each row of the table builds a small lab on the engine under test (LABKIT_ENGINE=docker|sim), takes a
snapshot, asks `trace` whether a request gets through (and, when it does not, which hop stops it),
then makes that request for real with curl from the same place. Reached means curl exited 0 with an
HTTP status; any curl failure means not reached. The expected column is what Docker really does
(each row was run against a Docker daemon first): the sim must agree with Docker, and the
explanation with both.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from labkit.course.paths import HOST, trace
from labkit.course.state import LabState, snapshot
from tests.conftest import CURL

pytestmark = pytest.mark.engine

SERVER, CLIENT, NET, OTHER = "lk-rp-server", "lk-rp-client", "lk-rp-net", "lk-rp-other"
PORT = 3000
HOST_PORT = 18089
PY = "python:3.13-slim"
# a dual-stack server (IPv6 socket with IPV6_V6ONLY off), unlike the lesson's IPv4 HTTPServer
DUAL_STACK = f"{PY} python3 -m http.server --bind :: {PORT}"
# a server bound to its own container address (it learns it from its hostname, as /etc/hosts maps it)
OWN_ADDRESS = (f"{PY} python3 -c 'import socket, http.server as h; "
               f"h.HTTPServer((socket.gethostbyname(socket.gethostname()), {PORT}), "
               "h.SimpleHTTPRequestHandler).serve_forever()'")
CURL_LINE = "curl -sS -m 3 -o /dev/null -w '%{http_code}' "


@dataclass(frozen=True)
class Case:
    """One lab state and one request in it.

    setup: lines run first ({loopback}, {fixed} are the lesson images, {curl} the client image);
    then: lines run after the server's address was noted (to stop it, say);
    url: may say {ip}, the server's address on its first network, noted after `setup`;
    failed: the hop that stops the request (None when it is reached).
    """

    setup: tuple[str, ...]
    source: str
    url: str
    reached: bool
    failed: str | None = None
    then: tuple[str, ...] = ()


def server(image: str, *flags: str) -> str:
    return " ".join(["docker run -d --name", SERVER, *flags, image])


def client(*flags: str) -> str:
    return " ".join(["docker run -d --name", CLIENT, *flags, "{curl} sleep infinity"])


ON_NET = f"--network {NET}"
NETWORK = f"docker network create {NET}"

CASES = {
    # -- one user-defined network: the listener decides --------------------------------------------
    "loopback-server-by-name": Case(
        (NETWORK, server("{loopback}", ON_NET), client(ON_NET)), CLIENT, f"http://{SERVER}:{PORT}", False, "listener"),
    "all-interfaces-server-by-name": Case(
        (NETWORK, server("{fixed}", ON_NET), client(ON_NET)), CLIENT, f"http://{SERVER}:{PORT}", True),
    "dual-stack-any-server-by-name": Case(
        (NETWORK, server(DUAL_STACK, ON_NET), client(ON_NET)), CLIENT, f"http://{SERVER}:{PORT}", True),
    "own-address-server-by-name": Case(
        (NETWORK, server(OWN_ADDRESS, ON_NET), client(ON_NET)), CLIENT, f"http://{SERVER}:{PORT}", True),
    "own-address-server-by-ip": Case(
        (NETWORK, server(OWN_ADDRESS, ON_NET), client(ON_NET)), CLIENT, f"http://{{ip}}:{PORT}", True),
    "network-alias": Case(
        (NETWORK, server("{fixed}", ON_NET, "--network-alias api"), client(ON_NET)), CLIENT, f"http://api:{PORT}",
        True),
    "localhost-means-the-client-itself": Case(
        (NETWORK, server("{fixed}", ON_NET), client(ON_NET)), CLIENT, f"http://localhost:{PORT}", False, "listener"),
    # -- two networks: DNS and routing decide --------------------------------------------------------
    "other-network-by-name": Case(
        (NETWORK, f"docker network create {OTHER}", server("{fixed}", ON_NET), client(f"--network {OTHER}")),
        CLIENT, f"http://{SERVER}:{PORT}", False, "DNS"),
    "other-network-by-ip": Case(
        (NETWORK, f"docker network create {OTHER}", server("{fixed}", ON_NET), client(f"--network {OTHER}")),
        CLIENT, f"http://{{ip}}:{PORT}", False, "route"),
    # -- the default bridge: no embedded DNS, but addresses work -------------------------------------
    "default-bridge-by-name": Case(
        (server("{fixed}"), client()), CLIENT, f"http://{SERVER}:{PORT}", False, "DNS"),
    "default-bridge-by-ip": Case(
        (server("{fixed}"), client()), CLIENT, f"http://{{ip}}:{PORT}", True),
    # -- a stopped server ------------------------------------------------------------------------------
    "stopped-server-by-name": Case(
        (NETWORK, server("{fixed}", ON_NET), client(ON_NET)), CLIENT, f"http://{SERVER}:{PORT}", False, "DNS",
        then=(f"docker stop -t 1 {SERVER}",)),
    "stopped-server-by-its-old-ip": Case(
        (NETWORK, server("{fixed}", ON_NET), client(ON_NET)), CLIENT, f"http://{{ip}}:{PORT}", False, "route",
        then=(f"docker stop -t 1 {SERVER}",)),
    # -- a shared network namespace (--network container:) -------------------------------------------
    "sidecar-localhost-all-interfaces-server": Case(
        (NETWORK, server("{fixed}", ON_NET), client(f"--network container:{SERVER}")), CLIENT,
        f"http://localhost:{PORT}", True),
    "sidecar-localhost-loopback-server": Case(
        (NETWORK, server("{loopback}", ON_NET), client(f"--network container:{SERVER}")), CLIENT,
        f"http://localhost:{PORT}", True),
    "sidecar-localhost-own-address-server": Case(
        (NETWORK, server(OWN_ADDRESS, ON_NET), client(f"--network container:{SERVER}")), CLIENT,
        f"http://localhost:{PORT}", False, "listener"),
    # -- from the host, through a published port -----------------------------------------------------
    "host-published-all-interfaces-server": Case(
        (server("{fixed}", f"-p {HOST_PORT}:{PORT}"),), HOST, f"http://localhost:{HOST_PORT}", True),
    "host-published-loopback-server": Case(
        (server("{loopback}", f"-p {HOST_PORT}:{PORT}"),), HOST, f"http://localhost:{HOST_PORT}", False, "listener"),
    "host-by-container-name": Case(
        (server("{fixed}", f"-p {HOST_PORT}:{PORT}"),), HOST, f"http://{SERVER}:{PORT}", False, "DNS"),
}


def _settled(lab) -> LabState:
    """The lab's snapshot once the server listens (bounded: a server that never does is judged as it is)."""
    deadline = time.monotonic() + 10
    while True:
        state = snapshot(lab.engine)
        srv = state.container(SERVER)
        if srv is None or not srv.running or any(x.port == PORT for x in srv.listeners):
            return state
        if time.monotonic() > deadline:
            return state
        time.sleep(0.1)


def _observe(lab, source: str, url: str):
    """The real request: curl from the source container, or from the host (the engine's host on the sim)."""
    line = CURL_LINE + url
    return lab(line) if source == HOST else lab(f"docker exec {source} {line}")


def on_the_sim() -> bool:
    """True when the suite runs on the embedded engine (read by the xfail conditions below, at set-up)."""
    from labkit import session
    from labkit.errors import CommandError

    try:
        return session.current().engine().name == "sim"
    except CommandError:  # no engine answers: the engine fixture skips (or fails) the test
        return False


# Known divergences of one engine from Docker: strict, so a fix turns them into failures to remove.
SIM_DIVERGES: dict[str, str] = {}


def _params():
    for name, case in CASES.items():
        marks = [pytest.mark.xfail("on_the_sim()", reason=SIM_DIVERGES[name], strict=True)] if name in SIM_DIVERGES else []
        yield pytest.param(case, id=name, marks=marks)


@pytest.mark.parametrize("case", list(_params()))
def test_the_explanation_agrees_with_the_real_request(lab, images_built, case: Case):
    images = {"loopback": images_built["loopback"], "fixed": images_built["fixed"], "curl": CURL}
    for line in case.setup:
        lab.ok(line.format(**images))
    before = _settled(lab)
    srv = before.container(SERVER)
    ip = srv.endpoints[0].ip if srv is not None and srv.endpoints else ""
    for line in case.then:
        lab.ok(line)
    url = case.url.format(ip=ip)
    assert "{" not in url and "//:" not in url, f"no server address to put in {case.url}"
    state = snapshot(lab.engine) if case.then else before

    explained = trace(state, case.source, url)
    real = _observe(lab, case.source, url)
    code = real.stdout.strip()
    reached = real.exit_code == 0 and code.isdigit() and code != "000"
    seen = f"curl exit {real.exit_code}, status {code or '-'}, stderr {real.stderr.strip()!r}"
    explained.observed = seen
    print(explained)  # shown with -rA, and with the failure

    assert reached == case.reached, f"the engine ({lab.engine.name}) did not do what Docker does:\n{explained}"
    assert explained.ok == reached, f"the explanation disagrees with the real request:\n{explained}"
    failed = explained.failed_hop.name if explained.failed_hop else None
    assert failed == case.failed, f"expected the {case.failed} hop to fail:\n{explained}"
