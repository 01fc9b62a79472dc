"""A container's logs come a frame per line, followed or not, as dockerd's log driver sends them.

dockerd keeps a log message per line and sends each as a frame: docker-py's `logs(stream=True)` (and
`containers.run(stream=True)`) yields one item per line. Recorded on dockerd 20.10 with this file's checks
(`python -m tests.sim.test_log_frames unix:///var/run/docker.sock` runs them against any daemon).
"""

from __future__ import annotations

import sys

import docker
import pytest

IMAGE = "curlimages/curl:8.14.1"


def check_a_frame_per_line_of_a_finished_container(api) -> None:
    cid = api.create_container(IMAGE, ["sh", "-c", "echo hello && echo world && echo oops >&2"])["Id"]
    try:
        api.start(cid)
        assert api.wait(cid, timeout=20)["StatusCode"] == 0
        assert list(api.logs(cid, stream=True)) == [b"hello\n", b"world\n", b"oops\n"]
        assert list(api.logs(cid, stream=True, stderr=False)) == [b"hello\n", b"world\n"]
    finally:
        api.remove_container(cid, force=True)


def check_a_frame_per_line_when_followed_to_the_end(api) -> None:
    cid = api.create_container(IMAGE, ["sh", "-c", "echo hello && echo world"])["Id"]
    try:
        api.start(cid)
        assert list(api.logs(cid, stream=True, follow=True)) == [b"hello\n", b"world\n"]
    finally:
        api.remove_container(cid, force=True)


CHECKS = [check_a_frame_per_line_of_a_finished_container, check_a_frame_per_line_when_followed_to_the_end]


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__[6:] for c in CHECKS])
def test_on_the_sim_as_on_dockerd(api, check):
    check(api)


if __name__ == "__main__":  # the same checks against another daemon (dockerd): how this file was recorded
    client = docker.APIClient(base_url=sys.argv[1], version="auto", timeout=30)
    for check in CHECKS:
        check(client)
        print("passed", check.__name__)
