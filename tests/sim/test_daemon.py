"""`labkit sim`: the embedded engine as a per-user daemon speaking the Docker Engine API on a unix socket.

Shared like Docker's (two processes see one lab; a new process — a restarted kernel — finds it), private
(a 0700 folder, no TCP), and honest when it went away (the lab is lost, and the learner is told).
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import tempfile

import pytest

from labkit.engines.readiness import poll_until
from labkit.engines.sim import daemon
from tests.conftest import CURL, server_dir

pytestmark = pytest.mark.sim_pass


@pytest.fixture
def sim_dir(monkeypatch):
    """A private daemon folder for one test (short: unix socket paths are limited to 107 bytes)."""
    folder = tempfile.mkdtemp(prefix="lk-sim-")
    os.rmdir(folder)  # the daemon makes it itself, 0700
    monkeypatch.setenv("LABKIT_SIM_DIR", folder)
    yield folder
    daemon.stop(os.path.join(folder, "engine.sock"))


def labkit(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The labkit console script in a new process (a terminal, or a restarted kernel)."""
    return subprocess.run([sys.executable, "-m", "labkit", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "LABKIT_ENGINE": "sim", **(env or {})})


def test_two_processes_share_one_lab_and_a_new_process_finds_it(sim_dir, tmp_path):
    first = labkit("docker", "run", "-d", "--name", "lk-d-c", CURL, "sleep", "infinity")
    assert first.returncode == 0, first.stderr
    # another process: a terminal, or the kernel after a restart
    ps = labkit("docker", "ps")
    assert ps.returncode == 0 and "lk-d-c" in ps.stdout, ps.stdout + ps.stderr
    ex = labkit("docker", "exec", "lk-d-c", "hostname")
    assert ex.returncode == 0 and ex.stdout.strip() == first.stdout.strip()[:12]
    status = labkit("sim", "status")
    assert status.returncode == 0 and "1 of 1 container(s) running" in status.stdout
    folder = os.stat(sim_dir)
    assert stat.S_IMODE(folder.st_mode) == 0o700 and folder.st_uid == os.getuid()
    assert labkit("docker", "rm", "-f", "lk-d-c").returncode == 0


def test_start_finds_the_running_daemon_and_prints_docker_host(sim_dir):
    one = labkit("sim", "start")
    two = labkit("sim", "start")
    sock = os.path.join(sim_dir, "engine.sock")
    assert one.returncode == 0 and f"export DOCKER_HOST=unix://{sock}" in one.stdout
    assert "already running" in two.stdout
    assert daemon.status(sock).pid == daemon.status(sock).pid and daemon.status(sock).running


def test_the_real_docker_cli_and_docker_py_speak_to_it(sim_dir):
    import shutil

    import docker

    status, _ = daemon.start()
    client = docker.DockerClient(base_url=status.docker_host, version="auto")
    net = client.networks.create("lk-d-net")
    try:
        c = client.containers.run(CURL, "sleep infinity", name="lk-d-py", network="lk-d-net", detach=True)
        code, out = c.exec_run(["getent", "hosts", "lk-d-py"])
        assert code == 0 and out.decode().split()[1] == "lk-d-py"
        if shutil.which("docker"):
            ps = subprocess.run(["docker", "ps"], capture_output=True, text=True, timeout=60,
                                env={**os.environ, "DOCKER_HOST": status.docker_host})
            assert ps.returncode == 0 and "lk-d-py" in ps.stdout, ps.stderr
        c.remove(force=True)
    finally:
        net.remove()


def test_a_killed_daemon_is_replaced_and_the_learner_told_the_lab_is_gone(sim_dir):
    assert labkit("docker", "network", "create", "lk-d-lost").returncode == 0
    sock = os.path.join(sim_dir, "engine.sock")
    pid = daemon.status(sock).pid
    os.kill(pid, signal.SIGKILL)
    assert poll_until(lambda: not daemon.status(sock).running, 10)
    assert os.path.exists(sock)  # a stale socket: nobody answers on it
    again = labkit("docker", "network", "ls")
    assert again.returncode == 0 and "lk-d-lost" not in again.stdout
    assert again.stderr.startswith("labkit: the embedded engine had stopped") and again.stderr.count("\n") == 1
    assert daemon.status(sock).running and daemon.status(sock).pid != pid


def test_stopping_the_daemon_stops_its_containers(sim_dir, tmp_path):
    status, _ = daemon.start()
    env = {"DOCKER_HOST": status.docker_host}
    assert labkit("docker", "build", "-t", "lk-d-img", str(server_dir(tmp_path, "0.0.0.0")), env=env).returncode == 0
    r = labkit("docker", "run", "-d", "--name", "lk-d-srv", "lk-d-img")
    assert r.returncode == 0, r.stderr
    from labkit.engines.simclient import EmbeddedEngine

    program = EmbeddedEngine(status.socket).inspect_container("lk-d-srv")["State"]["Pid"]
    assert program and os.path.exists(f"/proc/{program}")
    assert "stopped" in labkit("sim", "stop").stdout
    assert poll_until(lambda: not os.path.exists(f"/proc/{program}"), 10), "a container outlived its daemon"
    assert not os.path.exists(status.socket)


def test_a_folder_that_is_not_private_is_refused(monkeypatch, tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o777)
    os.chmod(folder, 0o777)
    monkeypatch.setenv("LABKIT_SIM_DIR", str(folder))
    r = labkit("sim", "start", env={"LABKIT_SIM_DIR": str(folder)})
    assert r.returncode == 1 and "not a private folder" in r.stderr and r.stderr.count("\n") == 1


def test_what_the_daemon_does_not_serve_is_said_in_labkit_words(sim_dir):
    from labkit.engines.simclient import EmbeddedEngine
    from labkit.errors import CommandError

    status, _ = daemon.start()
    engine = EmbeddedEngine(status.socket)
    with pytest.raises(CommandError) as err:
        engine._call(engine.api.df)
    assert err.value.stderr == ("labkit: labkit's embedded engine does not implement `df` "
                                "(an Engine API call outside the course's subset)\n")


def test_a_restarted_kernel_finds_the_lab_and_the_check_passes(sim_dir, tmp_path):
    """Lesson 02 set up and solved in one process; a new process (the kernel after a restart) checks it."""
    import shutil

    from tests.conftest import ASSETS

    shutil.copytree(ASSETS, tmp_path / "assets" / "day8")
    env = {**os.environ, "LABKIT_ENGINE": "sim", "LABKIT_SESSION": "lk-restart"}
    before = subprocess.run([sys.executable, "-c", "import labkit; labkit.lesson('02'); "
                             "print(labkit.docker('run -d --name server --network day8-net day8').exit_code)"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert before.returncode == 0 and before.stdout.strip().endswith("0"), before.stdout + before.stderr
    after = subprocess.run([sys.executable, "-c", "import labkit; print(labkit.check('02-server'))"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert after.stdout.startswith("PASS 02-server"), after.stdout + after.stderr
    assert labkit("clean", env={"LABKIT_SESSION": "lk-restart"}).returncode == 0


def _tcp_listeners_of(pid: int) -> list[str]:
    """The TCP sockets in LISTEN state that process pid itself holds (by socket inode)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                parts = line.split()
                if parts[3] == "0A" and parts[9] in inodes:
                    found.append(parts[1])
    return found


def test_the_daemon_never_listens_on_tcp_and_stops_when_idle(sim_dir):
    sock = os.path.join(sim_dir, "engine.sock")
    status, _ = daemon.start(sock, idle=1.0)
    assert status.running and status.pid
    assert _tcp_listeners_of(status.pid) == []
    assert stat.S_IMODE(os.stat(sock).st_mode) & 0o077 == 0  # the socket is the user's alone
    # watched from outside without asking it anything (a request is activity)
    assert poll_until(lambda: not os.path.exists(f"/proc/{status.pid}") or _zombie(status.pid), 15), \
        "an idle daemon with no containers kept running"
    assert not os.path.exists(sock)


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1].startswith("Z")
    except OSError:
        return True
