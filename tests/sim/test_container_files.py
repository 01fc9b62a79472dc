"""A container's files are its own: a link a program makes in its container's folder never leads the embedded
engine's own tools (which run as the engine) to another container's files or the engine's."""

from __future__ import annotations

import os
import shutil
import tempfile
import time

import docker
import pytest

from labkit.engines.sim.api import serve
from labkit.engines.sim.engine import SimEngine

pytestmark = pytest.mark.sim_pass

PY = "python:3.13-slim"


@pytest.fixture
def client():
    folder = tempfile.mkdtemp(prefix="lk-", dir="/tmp")
    engine = SimEngine()
    server = serve(engine, os.path.join(folder, "api.sock"))
    yield engine, docker.DockerClient(base_url="unix://" + os.path.join(folder, "api.sock"))
    server.close()
    engine.shutdown()
    shutil.rmtree(folder, ignore_errors=True)


def test_a_link_out_of_the_container_leads_nowhere(client, tmp_path):
    engine, dc = client
    victim = dc.containers.run(PY, ["python3", "-c", "print('honest line', flush=True)\nimport time; time.sleep(300)"],
                               name="victim", detach=True)
    end = time.monotonic() + 10
    while b"honest line" not in victim.logs() and time.monotonic() < end:
        time.sleep(0.05)
    target = engine._ctr(victim.id).stdout_path
    evil = dc.containers.run(PY, ["python3", "-c", f"import os, time\nos.symlink({target!r}, 'link')\n"
                                  f"os.symlink({str(tmp_path)!r}, 'top')\nprint('linked', flush=True)\ntime.sleep(300)"],
                             name="evil", detach=True)
    end = time.monotonic() + 10
    while b"linked" not in evil.logs() and time.monotonic() < end:
        time.sleep(0.05)
    code, out = evil.exec_run(["sh", "-c", "echo forged >> /link; echo forged > /top/forged; cat /link"])
    assert code != 0 and b"forged" not in out
    assert victim.logs() == b"honest line\n"
    assert list(tmp_path.iterdir()) == []
