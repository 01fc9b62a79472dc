"""Ownership: labkit touches only what it labelled; clean finds everything labkit made."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from labkit import session
from labkit.ownership import clean, leftovers
from tests.conftest import ASSETS, CURL, ctrl_c_reaches_it


@pytest.fixture
def foreign(engine):
    """A container and a network made directly through the SDK, without labkit's labels (either daemon)."""
    api = engine.api
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
    clean(lab.engine, session.current().id, say=said.append)
    assert {"removed container lk-mine-c", "removed container lk-mine-exited", "removed network lk-mine"} <= set(said)
    containers_said = [i for i, line in enumerate(said) if line.startswith("removed container")]
    networks_said = [i for i, line in enumerate(said) if line.startswith("removed network")]
    assert max(containers_said) < min(networks_said)  # containers first, then networks
    containers, networks = leftovers(lab.engine, session.current().id)
    mine = [c for c in containers if c["Names"][0] in ("/lk-mine-c", "/lk-mine-exited")]
    assert mine == [] and [n for n in networks if n["Name"] == "lk-mine"] == []
    assert foreign.inspect_container("lk-foreign")["State"]["Running"] is True
    assert foreign.inspect_network("lk-foreign-net")["Name"] == "lk-foreign-net"


def test_clean_cli_narrates(lab):
    lab.ok("docker network create lk-narrate")
    out = subprocess.run([sys.executable, "-m", "labkit", "clean"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    assert "removed network lk-narrate" in out.stdout.splitlines()


def test_interrupted_foreground_run_leaves_only_labelled_resources(lab, images_built):
    env = dict(os.environ, LABKIT_ENGINE=lab.engine.name)
    proc = subprocess.Popen([sys.executable, "-m", "labkit", "docker", "run", "--name", "lk-int", images_built["fixed"]],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=ctrl_c_reaches_it)
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
    lab.engine.wait_ready(api.inspect_container("lk-int")["Id"])  # its server is up: SIGINT meets Python's handler
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    # SIGINT is forwarded to the container, as the docker CLI does; it exits (its own KeyboardInterrupt) or, if it
    # had no handler yet, keeps running: one line says which, and no labkit traceback
    assert "labkit: interrupted: lk-int got SIGINT" in err or "labkit: stopped waiting; lk-int keeps running" in err
    assert "/labkit/" not in err, err
    # whatever is left is labelled, so clean finds and removes it
    left = api.containers(all=True, filters={"name": "lk-int"})
    assert all("labkit.session" in (c.get("Labels") or {}) for c in left)
    clean(lab.engine, session.current().id, say=lambda s: None)
    assert api.containers(all=True, filters={"label": f"labkit.session={session.current().id}"}) == []


@pytest.fixture
def two_sessions(engine, tmp_path, monkeypatch):
    """Two learners' sessions on the engine under test, (a, b), with a active and the lesson's assets in the current
    folder; afterwards both labs are cleaned and nothing of either is left."""
    import shutil

    shutil.copytree(ASSETS, tmp_path / "assets" / "day8")
    monkeypatch.chdir(tmp_path)
    pid = os.getpid()
    a, b = session.Session(f"test-a-{pid}"), session.Session(f"test-b-{pid}")
    for s in (a, b):
        s.use_engine(engine=engine, reason="the engine under test")
    previous = session.activate(a)
    try:
        yield a, b
    finally:
        session.activate(previous)
        for s in (a, b):
            clean(engine, s.id, say=lambda s: None)
    assert leftovers(engine, [a.id, b.id]) == ([], [])


def test_two_sessions_on_one_engine_leave_each_others_lab_alone(engine, two_sessions):
    """A learner's lesson set-up and clean-up never remove another session's lab (the instructor's, a classmate's)."""
    from labkit.contract.transcript import run_line
    from labkit.course import start as lessons
    from labkit.course.state import snapshot

    a, b = two_sessions
    # a subnet of its own: Docker's next default pool may be 172.18.0.0/16, which b's day8-net needs (below)
    assert run_line("docker network create --subnet 10.231.7.0/24 lk-a-net", engine=engine).exit_code == 0
    assert run_line(f"docker run -d --name lk-a-c --network lk-a-net {CURL} sleep 300", engine=engine).exit_code == 0
    session.activate(b)
    lessons.lesson("03", quiet=True)  # b's set-up: reset b's lab, then image, day8-net and server
    assert {c.name for c in snapshot(engine).containers} == {"server"}
    assert clean(engine, b.id, say=lambda s: None) == 2  # server, then day8-net
    session.activate(a)
    assert [c.name for c in snapshot(engine).containers] == ["lk-a-c"]
    assert snapshot(engine).container("lk-a-c").running
    session.activate(b)
    lessons.lesson("02", quiet=True)
    session.activate(a)
    lessons.reset()  # a's own reset: a's lab goes, b's day8-net stays
    assert snapshot(engine).containers == [] and snapshot(engine).networks == []
    assert [n.name for n in snapshot(engine, b.id).networks] == ["day8-net"]


def test_a_foreign_network_on_the_lab_subnet_is_named_and_left_alone(engine, two_sessions):
    """When another session's network holds day8-net's fixed subnet, the set-up says which, in one line, and keeps it."""
    from labkit.contract.transcript import run_line
    from labkit.course import start as lessons
    from labkit.course.addressing import subnet_of
    from labkit.errors import CommandError

    a, b = two_sessions
    assert run_line(f"docker network create --subnet {subnet_of('day8-net')} lk-held", engine=engine).exit_code == 0
    session.activate(b)
    with pytest.raises(CommandError) as raised:
        lessons.lesson("03", quiet=True)
    message = str(raised.value).strip()
    assert "\n" not in message and "lk-held" in message and "docker network rm lk-held" in message
    session.activate(a)
    assert [n.name for n in snapshot_networks(engine)] == ["lk-held"]


def snapshot_networks(engine):
    """The current session's networks on `engine`."""
    from labkit.course.state import snapshot

    return snapshot(engine).networks
