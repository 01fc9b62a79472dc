"""docker compose -f FILE up -d | ps | down, with Compose v2 naming and service-name DNS."""

from __future__ import annotations

import json

from tests.conftest import CURL

COMPOSE = f"""
services:
  db:
    image: python:3.13-slim
    command: python3 -m http.server 5432
    expose: ["5432"]
  api:
    image: {CURL}
    command: sleep 300
    depends_on: [db]
"""


def test_compose_up_ps_down(lab, tmp_path):
    proj = tmp_path / "shop"
    proj.mkdir()
    (proj / "compose.yaml").write_text(COMPOSE)
    r = lab.ok("docker compose -f shop/compose.yaml up -d")
    assert r.stderr.splitlines() == [
        " Network shop_default  Creating", " Network shop_default  Created",
        " Container shop-db-1  Creating", " Container shop-db-1  Created",
        " Container shop-api-1  Creating", " Container shop-api-1  Created",
        " Container shop-db-1  Starting", " Container shop-db-1  Started",
        " Container shop-api-1  Starting", " Container shop-api-1  Started",
    ]
    ps = lab.ok("docker compose -f shop/compose.yaml ps").stdout.splitlines()
    assert ps[0].split() == ["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"]
    assert [line.split()[0] for line in ps[1:]] == ["shop-api-1", "shop-db-1"]
    # service names are DNS names on the project network; localhost is the api container itself
    r = lab("docker exec shop-api-1 curl -sS -o /dev/null -w %{http_code} http://db:5432/")
    assert (r.exit_code, r.stdout) == (0, "200")
    r = lab("docker exec shop-api-1 curl -sS http://localhost:5432/")
    assert r.exit_code == 7
    [net] = json.loads(lab.ok("docker network inspect shop_default").stdout)
    assert sorted(c["Name"] for c in net["Containers"].values()) == ["shop-api-1", "shop-db-1"]
    # up again is idempotent
    r = lab.ok("docker compose -f shop/compose.yaml up -d")
    assert " Container shop-db-1  Running" in r.stderr.splitlines()
    r = lab.ok("docker compose -f shop/compose.yaml down -t 1")
    assert r.stderr.splitlines()[-2:] == [" Network shop_default  Removing", " Network shop_default  Removed"]
    assert lab("docker network inspect shop_default").exit_code == 1
    assert lab("docker inspect shop-db-1").exit_code == 1


def test_compose_applies_a_restart_policy_or_refuses_it(lab, tmp_path):
    """`restart:` reaches the engine as the container's RestartPolicy (never read and dropped); a value the Compose
    specification does not allow is refused in one line before anything is made."""
    (tmp_path / "rp.yaml").write_text(f"name: rp\nservices:\n  a:\n    image: {CURL}\n    command: sleep 300\n"
                                      "    restart: on-failure:3\n  b:\n    image: " + CURL + "\n"
                                      "    command: sleep 300\n    restart: no\n")
    lab.ok("docker compose -f rp.yaml up -d")
    policy = "{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}"
    assert lab.ok(f"docker inspect -f {policy} rp-a-1").stdout.strip() == "on-failure:3"
    assert lab.ok(f"docker inspect -f {policy} rp-b-1").stdout.strip() in (":0", "no:0")
    lab.ok("docker compose -f rp.yaml down -t 1")
    (tmp_path / "odd.yaml").write_text(f"name: odd\nservices:\n  a:\n    image: {CURL}\n    restart: sometimes\n")
    r = lab("docker compose -f odd.yaml up -d")
    assert r.exit_code == 1 and r.stderr.count("\n") == 1 and "not a restart policy" in r.stderr
    assert lab("docker network inspect odd_default").exit_code == 1  # nothing was made


def test_compose_bad_files(lab, tmp_path):
    (tmp_path / "bad.yaml").write_text("services: [unclosed\n")
    r = lab("docker compose -f bad.yaml up -d")
    assert r.exit_code == 1 and "not valid YAML" in r.stderr and r.stderr.count("\n") == 1
    (tmp_path / "odd.yaml").write_text("services:\n  a:\n    image: x\n    privileged: true\n")
    r = lab("docker compose -f odd.yaml up -d")
    assert r.exit_code == 1 and "privileged" in r.stderr
    r = lab("docker compose -f missing.yaml up -d")
    assert r.exit_code == 1 and "no such file" in r.stderr
