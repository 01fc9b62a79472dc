"""`labkit host CMD` in a learner's terminal on a shared machine: `localhost` is their own lab's host, as `%host` makes
it in a notebook, while a plain command in the same terminal never reaches their published port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import free_port, server_dir

pytestmark = pytest.mark.sim_pass


@pytest.fixture
def learner(tmp_path):
    """A learner on a hub: their own embedded engine (a folder of its own, a private host address), driven through
    the `labkit` console script as a terminal would."""
    env = {**os.environ, "LABKIT_ENGINE": "sim", "LABKIT_SIM_DIR": str(tmp_path / "sim"), "LABKIT_PRIVATE_HOST": "1",
           "LABKIT_SESSION": f"host-cmd-{os.getpid()}"}
    env.pop("LABKIT_SIM_SOCKET", None)

    def labkit(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "labkit", *args], capture_output=True, text=True, env=env,
                              cwd=str(tmp_path), timeout=timeout)

    yield labkit
    labkit("clean")
    labkit("sim", "stop")


def test_labkit_host_reaches_the_learners_own_published_port(learner, tmp_path: Path):
    port = free_port()
    build = learner("docker", "build", "-t", "lkhost-day8", str(server_dir(tmp_path, "0.0.0.0")))
    assert build.returncode == 0, build.stderr
    run = learner("docker", "run", "-d", "--name", "web", "-p", f"{port}:3000", "lkhost-day8")
    assert run.returncode == 0, run.stderr
    for _ in range(40):  # the server starts in the background, as on Docker
        got = learner("host", "curl", "-sS", f"http://localhost:{port}/")
        if got.returncode == 0:
            break
        time.sleep(0.25)
    assert got.returncode == 0, got.stderr
    assert "Hello from inside the container" in got.stdout
    assert "localhost is your lab's host here" in got.stderr and "--resolve" in got.stderr
    plain = subprocess.run(["curl", "-sS", "--max-time", "3", f"http://localhost:{port}/"], capture_output=True,
                           text=True)
    assert plain.returncode != 0 and "Hello" not in plain.stdout  # this machine's own localhost: nothing of theirs
    failing = learner("host", "curl", "-sS", "--max-time", "3", f"http://localhost:{free_port()}/")
    assert failing.returncode == 7  # curl's own exit code (could not connect) reaches the terminal


def test_labkit_host_without_a_command_or_with_an_unknown_one_says_so_in_one_line(learner):
    empty = learner("host")
    assert empty.returncode == 2 and empty.stderr.count("\n") == 1 and "needs a command" in empty.stderr
    unknown = learner("host", "no-such-program-here", "localhost")
    assert unknown.returncode == 127 and unknown.stderr.count("\n") == 1 and "command not found" in unknown.stderr
