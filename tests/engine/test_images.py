"""The course's base images: present, idempotent to rebuild, and behaving like the real ones."""

from __future__ import annotations

import sys

from labkit.engines import standins
from tests.conftest import CURL


def test_offline_build_is_idempotent(engine):
    said: list[str] = []
    assert standins.ensure_offline(engine, say=said.append) == 0
    assert said == [f"{s.name}: present ({standins.status(engine, s)}), nothing to do" for s in standins.STANDINS]


def test_curl_image_entrypoint_behaves_like_curlimages(lab):
    assert lab(f"docker run --rm {CURL} --version").stdout.startswith("curl 8.14.1 ")
    assert lab(f"docker run --rm {CURL} -V").stdout.startswith("curl 8.14.1 ")
    r = lab(f"docker run --rm {CURL} -sS -m 2 http://nobody.invalid")  # a URL alone means curl too
    assert r.exit_code == 6
    assert lab(f"docker run --rm {CURL} sh -c 'id -un; pwd'").stdout == "curl_user\n/home/curl_user\n"
    for tool in ("nslookup", "ping", "hostname", "getent", "cat", "sleep"):
        assert lab(f"docker run --rm {CURL} sh -c 'command -v {tool}'").exit_code == 0, tool


def test_python_image_has_python_313_and_no_curl(lab):
    # the embedded engine runs the learner's code on this machine's own Python
    version = "Python 3.13." if lab.engine.name == "docker" else f"Python {sys.version_info[0]}.{sys.version_info[1]}."
    assert lab("docker run --rm python:3.13-slim python3 --version").stdout.startswith(version)
    assert lab("docker run --rm python:3.13-slim python --version").stdout.startswith(version)
    assert lab("docker run --rm python:3.13-slim sh -c 'command -v curl'").exit_code != 0
