"""Fixtures of the sim's own tests."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest


@pytest.fixture
def api():
    """docker-py's low-level client on a private sim daemon of the test's own (in this process)."""
    import docker

    from labkit.engines.sim.api import serve
    from labkit.engines.sim.engine import SimEngine

    folder = tempfile.mkdtemp(prefix="lk-api-", dir="/tmp")
    path = os.path.join(folder, "api.sock")
    engine = SimEngine()
    server = serve(engine, path)
    client = docker.APIClient(base_url="unix://" + path, version="auto", timeout=30)
    yield client
    client.close()
    server.close()
    engine.shutdown()
    shutil.rmtree(folder, ignore_errors=True)
