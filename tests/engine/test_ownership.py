"""Ownership: labkit touches only what it labelled; clean finds everything labkit made."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from labkit.admin.clean import clean, leftovers
from tests.conftest import CURL


@pytest.fixture
def foreign(docker_only):
    """A container and a network made directly through the SDK, without labkit's labels."""
    api = docker_only.api
    for name in ("lk-foreign",):
        try:
            api.remove_container(name, force=True)
        except Exception:
            pass
    try:
        api.remove_network("lk-foreign-net")
    except Exception:
        pass
    net = api.create_network("lk-foreign-net", driver="bridge")
    c = api.create_container(CURL, command=["sleep", "300"], name="lk-foreign")
    api.start(c)
    yield api
    api.remove_container("lk-foreign", force=True)
    api.remove_network(net["Id"])


def test_foreign_resources_are_never_touched(lab, foreign):
    r = lab("docker rm -f lk-foreign")
    assert r.exit_code == 1
    assert r.stderr.startswith("labkit: container lk-foreign was not created by labkit")
    assert "docker rm -f lk-foreign" in r.stderr and r.stderr.count("\n") == 1
    for cmd in ("docker stop lk-foreign", "docker restart lk-foreign", "docker exec lk-foreign true",
                "docker network disconnect bridge lk-foreign", "docker network rm lk-foreign-net"):
        r = lab(cmd)
        assert r.exit_code == 1 and "was not created by labkit" in r.stderr, cmd
    # a clash on create names the command that would resolve it
    r = lab(f"docker run -d --name lk-foreign {CURL} sleep 1")
    assert r.exit_code == 125 and "`docker rm -f lk-foreign`" in r.stderr
    r = lab("docker network create lk-foreign-net")
    assert r.exit_code == 1 and "`docker network rm lk-foreign-net`" in r.stderr
    assert foreign.inspect_container("lk-foreign")["State"]["Running"] is True


def test_clean_removes_all_labelled_and_nothing_else(lab, foreign):
    lab.ok("docker network create lk-mine")
    lab.ok(f"docker run -d --name lk-mine-c --network lk-mine {CURL} sleep 300")
    lab.ok(f"docker run --name lk-mine-exited {CURL} true")
    said: list[str] = []
    clean(lab.engine, say=said.append)
    assert {"removed container lk-mine-c", "removed container lk-mine-exited", "removed network lk-mine"} <= set(said)
    containers_said = [i for i, line in enumerate(said) if line.startswith("removed container")]
    networks_said = [i for i, line in enumerate(said) if line.startswith("removed network")]
    assert max(containers_said) < min(networks_said)  # containers first, then networks
    containers, networks = leftovers(lab.engine)
    mine = [c for c in containers if c["Names"][0] in ("/lk-mine-c", "/lk-mine-exited")]
    assert mine == [] and [n for n in networks if n["Name"] == "lk-mine"] == []
    assert foreign.inspect_container("lk-foreign")["State"]["Running"] is True
    assert foreign.inspect_network("lk-foreign-net")["Name"] == "lk-foreign-net"


def test_clean_cli_narrates(lab, docker_only):
    lab.ok("docker network create lk-narrate")
    out = subprocess.run([sys.executable, "-m", "labkit", "clean"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    assert "removed network lk-narrate" in out.stdout.splitlines()


def test_interrupted_foreground_run_leaves_only_labelled_resources(lab, images_built, docker_only):
    env = dict(os.environ, LABKIT_ENGINE="docker")
    proc = subprocess.Popen([sys.executable, "-m", "labkit", "docker", "run", "--name", "lk-int", images_built["fixed"]],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    api = lab.engine.api

    def running() -> bool:
        try:
            return api.inspect_container("lk-int")["State"]["Running"]
        except Exception:
            return False

    deadline = time.monotonic() + 30
    while not running():
        assert time.monotonic() < deadline and proc.poll() is None, "the foreground run never started"
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "labkit clean" in err and "Traceback" not in err
    # whatever is left is labelled, so clean finds and removes it
    left = api.containers(all=True, filters={"name": "lk-int"})
    assert all("labkit.session" in (c.get("Labels") or {}) for c in left)
    clean(lab.engine, say=lambda s: None)
    assert api.containers(all=True, filters={"label": "labkit.session"}) == []
