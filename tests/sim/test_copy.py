"""`docker cp` on the embedded engine stays inside the container's own folder, confined or not, and refuses in its
words what it has no copy of. (The CLI's view, recorded on dockerd: tests/sim/cli_scenarios/cmd-cp.txt.)"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import tempfile

import docker
import pytest

from labkit.engines.sim import confine
from labkit.engines.sim.api import serve
from labkit.engines.sim.engine import SimEngine

pytestmark = pytest.mark.sim_pass

PY = "python:3.13-slim"


def _engine(confined: bool):
    folder = tempfile.mkdtemp(prefix="lk-cp-", dir="/tmp")
    engine = SimEngine(confine=confined)
    server = serve(engine, os.path.join(folder, "api.sock"))
    return folder, engine, server, docker.DockerClient(base_url="unix://" + os.path.join(folder, "api.sock"))


@pytest.fixture(params=["plain", "confined"])
def lab(request):
    if request.param == "confined" and confine.abi() < 1:
        pytest.skip("this kernel has no Landlock")
    folder, engine, server, client = _engine(request.param == "confined")
    yield engine, client
    client.close()
    server.close()
    engine.shutdown()
    shutil.rmtree(folder, ignore_errors=True)


def _tar(*members: tuple[str, bytes | None, str]) -> bytes:
    """A tar of (name, data, link target): a file when data is given, else a symlink."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data, link in members:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type, info.linkname = tarfile.SYMTYPE, link
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_copied_in_files_land_in_the_container_and_nowhere_else(lab, tmp_path):
    engine, client = lab
    box = client.containers.run(PY, ["sleep", "300"], detach=True, name="lk-cp-box")
    assert box.put_archive("/tmp", _tar(("d/f.txt", b"hello\n", "")))
    assert box.exec_run(["cat", "/tmp/d/f.txt"]).output == b"hello\n"
    outside = tmp_path / "escaped"
    assert box.put_archive("/tmp", _tar((str(outside), b"x", "")))  # an absolute name lands beneath /tmp
    assert box.exec_run(["cat", f"/tmp{outside}"]).output == b"x" and not outside.exists()
    for bad in (_tar((f"../../../../../../../..{outside}", b"x", "")),
                _tar(("out", None, str(tmp_path)), ("out/escaped", b"x", ""))):
        with pytest.raises(docker.errors.APIError) as refused:
            box.put_archive("/tmp", bad)
        assert refused.value.status_code == 400
        assert refused.value.explanation.startswith("labkit's embedded engine could not copy this archive into /tmp")
        assert not outside.exists()
    stream, stat = box.get_archive("/tmp/d")
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
        assert sorted(tar.getnames()) == ["d", "d/f.txt"]
        assert tar.extractfile("d/f.txt").read() == b"hello\n"
    assert (stat["name"], stat["mode"] & 0o777, stat["mode"] >> 31) == ("d", 0o755, 1)


def test_what_the_engine_has_no_copy_of_is_refused_in_its_words(lab):
    engine, client = lab
    box = client.containers.run(PY, ["sleep", "300"], detach=True, name="lk-cp-box", hostname="lk-cp-host")
    stream, _ = box.get_archive("/etc/hostname")
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
        assert tar.extractfile("hostname").read() == b"lk-cp-host\n"
    for path in ("/usr/local/bin/python3", "/etc"):
        with pytest.raises(docker.errors.APIError) as refused:
            box.get_archive(path)
        assert refused.value.status_code == 400
        assert refused.value.explanation.startswith(f"labkit's embedded engine does not implement docker cp of {path} ")
    with pytest.raises(docker.errors.APIError) as refused:
        box.put_archive("/etc", _tar(("hostname", b"other\n", "")))
    assert refused.value.explanation.startswith("labkit's embedded engine does not implement docker cp onto "
                                                "/etc/hostname")
    assert box.exec_run(["cat", "/etc/hostname"]).output == b"lk-cp-host\n"
