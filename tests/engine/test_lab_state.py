"""What the engine says about the lab: listeners per namespace, addresses, published ports, shared namespaces."""

from __future__ import annotations

from labkit.course.state import snapshot
from tests.conftest import CURL, free_port


def test_listeners_say_which_address_the_app_bound(lab, images_built):
    lab.ok("docker network create lk-state-net")
    lab.ok(f"docker run -d --name lk-loop --network lk-state-net {images_built['loopback']}")
    port = free_port()
    lab.ok(f"docker run -d --name lk-all --network lk-state-net -p 127.0.0.1:{port}:3000 {images_built['fixed']}")
    lab.ok(f"docker run -d --name lk-side --network container:lk-loop {CURL} sleep 300")
    lab.ok(f"docker run -d --name lk-idle --network lk-state-net {CURL} sleep 300")
    state = snapshot(lab.engine)
    loop, every, side, idle = (state.container(n) for n in ("lk-loop", "lk-all", "lk-side", "lk-idle"))
    assert [(x.address, x.port) for x in loop.listeners] == [("127.0.0.1", 3000)]
    assert [(x.address, x.port) for x in every.listeners] == [("0.0.0.0", 3000)]
    assert idle.listeners == [], "Docker's own DNS socket (127.0.0.11) is not the container's app"
    assert side.shares_namespace_with == "lk-loop" and side.endpoints == []
    assert [(p.host_ip, p.host_port, p.container_port) for p in every.published] == [("127.0.0.1", port, 3000)]
    net = state.network("lk-state-net")
    assert net.user_defined and net.subnet and loop.ip_on("lk-state-net").startswith(net.subnet.rsplit(".", 2)[0])


def test_a_stopped_container_listens_on_nothing(lab, images_built):
    lab.ok(f"docker run -d --name lk-stop {images_built['fixed']}")
    lab.ok("docker stop -t 1 lk-stop")
    c = snapshot(lab.engine).container("lk-stop")
    assert not c.running and c.listeners == []
