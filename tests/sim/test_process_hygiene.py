"""Every process the embedded engine starts ends with its container, its kernel, or a kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tests.conftest import ASSETS

SCRIPT = textwrap.dedent("""
    import os, shutil, sys, tempfile, time
    from labkit.engines.sim.engine import SimEngine
    from labkit.contract.commands import run_command
    eng = SimEngine()
    ctx = tempfile.mkdtemp()
    shutil.copytree(sys.argv[1], ctx, dirs_exist_ok=True)
    assert run_command(eng, f"docker build -t hyg {ctx}").exit_code == 0
    assert run_command(eng, "docker run -d --name s1 hyg").exit_code == 0
    assert run_command(eng, "docker run -d --name s2 hyg").exit_code == 0
    pids = [p.pid for c in eng.containers.values() for p in c.procs]
    print(" ".join(map(str, pids)), flush=True)
    if sys.argv[2] == "wait":
        time.sleep(300)
    else:
        sys.stdin.readline()  # exits when told: the test has seen both servers alive first
""")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


def _gone(pids: list[int], deadline: float = 10.0) -> bool:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


def _start(mode: str) -> tuple[subprocess.Popen, list[int]]:
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(ASSETS), mode], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    pids = [int(p) for p in line.split()]
    if len(pids) != 2:
        proc.kill()
        pytest.fail(f"the sim did not start two servers: {line!r} {proc.stderr.read()}")
    assert all(_alive(p) for p in pids)
    return proc, pids


def test_processes_end_when_the_kernel_exits():
    proc, pids = _start("exit")
    proc.stdin.write("\n")
    proc.stdin.close()
    assert proc.wait(timeout=30) == 0
    assert _gone(pids)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_processes_end_when_the_kernel_is_killed(sig):
    proc, pids = _start("wait")
    proc.send_signal(sig)
    proc.wait(timeout=30)
    assert _gone(pids)


def test_processes_end_with_their_container():
    from labkit.contract.commands import run_command
    from labkit.engines.sim.engine import SimEngine

    eng = SimEngine()
    try:
        assert run_command(eng, f"docker build -t hyg2 {ASSETS}").exit_code == 0
        # two-character names at least: dockerd refuses `--name a` (400 "Invalid container name (a)"), and so does the sim
        assert run_command(eng, "docker run -d --name hyg-a hyg2").exit_code == 0
        assert run_command(eng, "docker run -d --name hyg-b hyg2").exit_code == 0
        [a] = [p.pid for c in eng.containers.values() if c.name == "hyg-a" for p in c.procs]
        [b] = [p.pid for c in eng.containers.values() if c.name == "hyg-b" for p in c.procs]
        assert run_command(eng, "docker stop -t 0 hyg-a").exit_code == 0
        assert _gone([a]) and _alive(b)
        assert run_command(eng, "docker rm -f hyg-b").exit_code == 0
        assert _gone([b])
    finally:
        eng.shutdown()
