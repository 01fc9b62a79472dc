"""The user's notes, end to end, on a real engine: every claim checked by an outcome."""

from __future__ import annotations

import json

from tests.conftest import CURL, server_dir


def test_story_loopback_then_fixed(lab, tmp_path):
    # 1. explicit network
    net_id = lab.ok("docker network create day8-net").stdout.strip()
    assert len(net_id) == 64
    assert "day8-net" in lab.ok("docker network ls").stdout

    # 2. server image built from a Dockerfile, server.py bound to 127.0.0.1, run without -p
    build = lab.ok("docker build -t day8 .", cwd=server_dir(tmp_path, "127.0.0.1"))
    assert "Successfully tagged day8:latest" in build.stdout
    lab.ok("docker run -d --name server --network day8-net day8")
    assert lab.ok("docker logs server").stdout == "Server listening on port 3000\n"

    # 5./8. by name: the name resolves but the app only listens on its own loopback -> 7
    r = lab(f"docker run --rm --network day8-net {CURL} -sS http://server:3000")
    assert r.exit_code == 7
    assert r.stderr.startswith("curl: (7) Failed to connect to server port 3000 after ")
    assert r.stderr.rstrip().endswith("ms: Could not connect to server")

    # 6. localhost is the client's own loopback -> 7 as well
    r = lab(f"docker run --rm --network day8-net {CURL} -sS http://localhost:3000")
    assert r.exit_code == 7
    assert "Failed to connect to localhost port 3000" in r.stderr

    # 7. the debugging moment: ps -a shows it Up with 3000/tcp (exposed, not published)
    ps = lab.ok("docker ps -a").stdout.splitlines()
    header, rows = ps[0], [line for line in ps[1:] if line.rstrip().endswith(" server")]
    assert header.split() == ["CONTAINER", "ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
    assert len(rows) == 1 and " Up " in rows[0] and "3000/tcp" in rows[0] and "->" not in rows[0]

    # 9. the fix: bind to 0.0.0.0, rebuild, rerun
    lab.ok("docker build -t day8 .", cwd=server_dir(tmp_path, "0.0.0.0"))
    assert lab.ok("docker rm -f server").stdout == "server\n"
    lab.ok("docker run -d --name server --network day8-net day8")
    r = lab(f"docker run --rm --network day8-net {CURL} -sS http://server:3000")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "Hello from inside the container\n", "")
    # ... but still not from the host: nothing is published
    assert lab("docker port server").stdout == ""

    # 10. the network lists the server with its own address on the bridge
    [net] = json.loads(lab.ok("docker network inspect day8-net").stdout)
    assert net["Name"] == "day8-net" and net["Driver"] == "bridge"
    members = {c["Name"]: c["IPv4Address"] for c in net["Containers"].values()}
    assert list(members) == ["server"]
    subnet = net["IPAM"]["Config"][0]["Subnet"]
    assert members["server"].endswith("/" + subnet.split("/")[1])


def test_network_that_does_not_exist(lab, images_built):
    lab.ok("docker network create day8-net")
    r = lab(f"docker run -d --name server --network day8-network {images_built['fixed']}")
    assert r.exit_code == 125
    assert r.stderr.startswith("docker: Error response from daemon: network day8-network not found")
    assert "Run 'docker run --help' for more information" in r.stderr


def test_two_networks_both_exist_names_do_not_cross(lab, images_built):
    lab.ok("docker network create day8-net")
    lab.ok("docker network create day8-network")
    lab.ok(f"docker run -d --name server --network day8-net {images_built['fixed']}")
    r = lab(f"docker run --rm --network day8-network {CURL} -sS http://server:3000")
    assert r.exit_code == 6
    assert r.stderr == "curl: (6) Could not resolve host: server\n"
    ok = lab(f"docker run --rm --network day8-net {CURL} -sS http://server:3000")
    assert ok.stdout == "Hello from inside the container\n"


def test_localhost_works_inside_a_shared_namespace(lab, images_built):
    """Going deeper: containers that share a network namespace (a pod) do share localhost."""
    lab.ok("docker network create day8-net")
    lab.ok(f"docker run -d --name server --network day8-net {images_built['loopback']}")
    r = lab(f"docker run --rm --network container:server {CURL} -sS http://localhost:3000")
    assert (r.exit_code, r.stdout) == (0, "Hello from inside the container\n")
