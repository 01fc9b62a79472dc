"""The embedded engine unpacks a build context safely on every Python the README names (3.10, and Debian 12's
3.11.2, whose tarfile has no extraction filters), and refuses a context that would write outside itself."""

from __future__ import annotations

import io
import os
import tarfile

import pytest

from labkit.engines.sim.imageops import _extract_context


def _tar(*members: tuple[str, bytes | None, str | None]) -> tarfile.TarFile:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data, link in members:
            info = tarfile.TarInfo(name)
            if link is not None:
                info.type, info.linkname = tarfile.SYMTYPE, link
                tar.addfile(info)
            else:
                info.size = len(data or b"")
                tar.addfile(info, io.BytesIO(data or b""))
    buf.seek(0)
    return tarfile.open(fileobj=buf, mode="r")


@pytest.fixture(params=["filters", "no filters (3.11.2)"])
def python(request, monkeypatch):
    if request.param != "filters":
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    return request.param


def test_a_normal_context_unpacks(python, tmp_path):
    _extract_context(_tar(("Dockerfile", b"FROM python:3.13-slim\n", None), ("app/server.py", b"print(1)\n", None),
                          ("app/link.py", None, "server.py")), str(tmp_path))
    assert (tmp_path / "Dockerfile").read_text() == "FROM python:3.13-slim\n"
    assert (tmp_path / "app" / "server.py").read_text() == "print(1)\n"
    assert os.readlink(tmp_path / "app" / "link.py") == "server.py"


@pytest.mark.parametrize("member", [("../evil", b"x", None), ("/etc/evil", b"x", None), ("out", None, "/etc/passwd"),
                                    ("deep/out", None, "../../x")])
def test_a_context_never_writes_outside_itself(python, tmp_path, member):
    dest = tmp_path / "ctx"
    dest.mkdir()
    try:
        _extract_context(_tar(member), str(dest))
    except tarfile.TarError:
        pass  # refused; with filters, a leading / is stripped instead, and the file lands inside the context
    assert not (tmp_path / "evil").exists() and not os.path.exists("/etc/evil") and not (tmp_path / "x").exists()
    for path in dest.rglob("*"):
        assert os.path.realpath(path).startswith(str(dest)), path
