"""The request-path tracer marks the right hop, for every failure the course teaches."""

from __future__ import annotations

from labkit.course.paths import trace
from labkit.course.state import ContainerView, Endpoint, LabState, Listener, NetworkView, Published

NET = NetworkView("day8-net", "bridge", "172.18.0.0/16", "172.18.0.1", False, True)
OTHER = NetworkView("day8-network", "bridge", "172.19.0.0/16", "172.19.0.1", False, True)
BRIDGE = NetworkView("bridge", "bridge", "172.17.0.0/16", "172.17.0.1", False, False)


def ctr(name, ip=None, net="day8-net", listen=(), mode=None, running=True, aliases=(), published=()):
    eps = [Endpoint(net, ip, tuple(aliases))] if ip else []
    return ContainerView(name, "day8", running, "running" if running else "exited", mode or net, eps,
                         [Listener(a, p) for a, p in listen], list(published))


def lab(*containers):
    return LabState([NET, OTHER, BRIDGE], list(containers))


def failed(t):
    return (t.failed_hop.name, t.failed_hop.detail) if t.failed_hop else None


def test_by_name_to_an_app_on_every_interface_works():
    t = trace(lab(ctr("client", "172.18.0.3"), ctr("server", "172.18.0.2", listen=[("0.0.0.0", 3000)])),
              "client", "http://server:3000")
    assert t.ok and [h.name for h in t.hops] == ["client", "DNS", "route", "listener"]
    assert "172.18.0.2" in t.hops[1].detail


def test_loopback_bound_app_fails_at_the_listener():
    t = trace(lab(ctr("client", "172.18.0.3"), ctr("server", "172.18.0.2", listen=[("127.0.0.1", 3000)])),
              "client", "http://server:3000")
    hop, detail = failed(t)
    assert hop == "listener" and "127.0.0.1:3000 only" in detail and "172.18.0.2" in detail


def test_localhost_stays_in_the_clients_namespace():
    t = trace(lab(ctr("client", "172.18.0.3"), ctr("server", "172.18.0.2", listen=[("0.0.0.0", 3000)])),
              "client", "http://localhost:3000")
    hop, detail = failed(t)
    assert hop == "listener" and "nothing in client listens on port 3000" in detail


def test_a_container_sharing_the_namespace_reaches_localhost():
    server = ctr("server", "172.18.0.2", listen=[("127.0.0.1", 3000)])
    sidecar = ctr("sidecar", mode="container:server")
    t = trace(lab(server, sidecar), "sidecar", "http://localhost:3000")
    assert t.ok and "shares the network namespace of server" in t.hops[0].detail


def test_different_networks_fail_at_dns_and_say_which():
    t = trace(lab(ctr("client", "172.19.0.2", net="day8-network"), ctr("server", "172.18.0.2", listen=[("0.0.0.0", 3000)])),
              "client", "http://server:3000")
    hop, detail = failed(t)
    assert hop == "DNS" and "day8-net" in detail and "day8-network" in detail


def test_the_default_bridge_has_no_dns():
    t = trace(lab(ctr("a", "172.17.0.2", net="bridge"), ctr("server", "172.17.0.3", net="bridge")), "a", "http://server:3000")
    assert failed(t)[0] == "DNS" and "default bridge" in failed(t)[1]


def test_an_address_on_another_network_has_no_route():
    t = trace(lab(ctr("client", "172.19.0.2", net="day8-network"), ctr("server", "172.18.0.2", listen=[("0.0.0.0", 3000)])),
              "client", "http://172.18.0.2:3000")
    assert failed(t)[0] == "route"


def test_aliases_resolve_to_every_replica():
    t = trace(lab(ctr("client", "172.18.0.3"),
                  ctr("user-1", "172.18.0.4", aliases=["user-service"], listen=[("0.0.0.0", 3000)]),
                  ctr("user-2", "172.18.0.5", aliases=["user-service"], listen=[("0.0.0.0", 3000)])),
              "client", "http://user-service:3000")
    assert t.ok and "172.18.0.4, 172.18.0.5" in t.hops[1].detail


def test_stopped_container_drops_out_of_dns():
    t = trace(lab(ctr("client", "172.18.0.3"), ctr("server", "172.18.0.2", running=False)), "client", "http://server:3000")
    assert failed(t) == ("DNS", "server exists but is not running, so DNS drops its name")


def test_from_the_host_published_ports_lead_in_and_127_bound_apps_still_refuse():
    fixed = ctr("web", "172.17.0.2", net="bridge", listen=[("0.0.0.0", 3000)], published=[Published("0.0.0.0", 8080, 3000)])
    loop = ctr("old", "172.17.0.3", net="bridge", listen=[("127.0.0.1", 3000)], published=[Published("0.0.0.0", 8082, 3000)])
    state = lab(fixed, loop)
    assert trace(state, "host", "http://localhost:8080").ok
    assert failed(trace(state, "host", "http://localhost:8082"))[0] == "listener"
    assert failed(trace(state, "host", "http://localhost:9999"))[0] == "route"
    assert failed(trace(state, "host", "http://web:3000"))[0] == "DNS"


def test_text_marks_the_failed_hop_and_the_ones_not_reached():
    text = str(trace(lab(ctr("client", "172.18.0.3")), "client", "http://nope:1"))
    assert "FAIL DNS" in text and "--   route    not reached" in text and "--   listener not reached" in text
