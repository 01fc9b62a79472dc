"""A client attached with stdin writes to the container's program, and detaches with its keys, as on dockerd.

What dockerd 20.10 does here (recorded with this file's checks, `python -m tests.sim.test_attach_stdin
unix:///var/run/docker.sock`, which runs them against any daemon):

- StdinOnce (the CLI's `docker run -i`): `cat` gets the bytes the client wrote, and end-of-file when the client
  half-closes; its output comes back on the attach stream and it exits 0.
- A TTY container: the detach keys (ctrl-x here, by `detachKeys`) end the attach (the daemon closes the stream)
  and `cat` runs on.
- Without a TTY the detach keys are input: `cat` echoes them.
- An exec with stdin (`docker exec -i`) reads the client's bytes, then end-of-file when the client half-closes; a
  TTY exec detached with the keys ends (exit code 126), and the stream ends with dockerd's reason.
- docker-py's hang (attach with stdin never read, never closed) is gone: each check ends by itself.
The CLI side (`docker run -i` with a pipe) is the cli_scenarios/cmd-stdin transcript (test_cli_settings).
"""

from __future__ import annotations

import socket
import sys

import docker
import pytest

IMAGE = "curlimages/curl:8.14.1"
CTRL_X = b"\x18"


def _cat(api, tty: bool, once: bool) -> str:
    config = api.create_container_config(IMAGE, "cat", detach=True, stdin_open=True, tty=tty)
    config["StdinOnce"] = once
    return api.create_container_from_config(config)["Id"]


def _attach(api, cid: str, keys: str = "") -> socket.socket:
    params = {"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1, **({"detachKeys": keys} if keys else {})}
    sock = api.attach_socket(cid, params)
    raw = getattr(sock, "_sock", sock)
    raw.settimeout(20)  # a hang fails the check instead of holding the run
    return raw


def _read_to_end(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def _payload(frames: bytes) -> bytes:
    """The bytes of multiplexed frames (8-byte headers), all streams."""
    out = b""
    while frames:
        size = int.from_bytes(frames[4:8], "big")
        out, frames = out + frames[8:8 + size], frames[8 + size:]
    return out


def check_stdin_once_reaches_the_program_then_ends_it(api) -> None:
    cid = _cat(api, tty=False, once=True)
    try:
        sock = _attach(api, cid)
        api.start(cid)
        sock.sendall(b"one\n" + CTRL_X + b"two\n")
        sock.shutdown(socket.SHUT_WR)
        assert _payload(_read_to_end(sock)) == b"one\n\x18two\n"  # no TTY: the detach keys are input
        sock.close()
        assert api.wait(cid, timeout=20)["StatusCode"] == 0
    finally:
        api.remove_container(cid, force=True)


def check_detach_keys_end_a_tty_attach_and_the_program_runs_on(api) -> None:
    cid = _cat(api, tty=True, once=False)
    try:
        api.start(cid)
        sock = _attach(api, cid, keys="ctrl-x")
        sock.sendall(CTRL_X)
        _read_to_end(sock)  # the daemon ends the stream
        sock.close()
        assert api.inspect_container(cid)["State"]["Status"] == "running"
    finally:
        api.remove_container(cid, force=True)


def check_how_the_client_attached_is_kept_in_config(api) -> None:
    cid = _cat(api, tty=False, once=True)
    try:
        config = api.inspect_container(cid)["Config"]
        assert (config["OpenStdin"], config["StdinOnce"], config["AttachStdin"]) == (True, True, False)
    finally:
        api.remove_container(cid, force=True)


def check_an_exec_reads_the_clients_stdin_to_its_end(api) -> None:
    cid = _cat(api, tty=False, once=False)
    try:
        api.start(cid)
        eid = api.exec_create(cid, ["sh", "-c", "cat; exit 4"], stdin=True)["Id"]
        sock = api.exec_start(eid, socket=True)
        raw = getattr(sock, "_sock", sock)
        raw.settimeout(20)
        raw.sendall(b"to the exec\n")
        raw.shutdown(socket.SHUT_WR)
        assert _payload(_read_to_end(raw)) == b"to the exec\n"
        raw.close()
        assert api.exec_inspect(eid)["ExitCode"] == 4
    finally:
        api.remove_container(cid, force=True)


def _detached_exec(api, keys: str) -> None:
    cid = _cat(api, tty=False, once=False)
    try:
        api.start(cid)
        # docker-py sends the keys as "detachKeys" (Go's JSON decoder matches names in any case)
        eid = api.exec_create(cid, "cat", stdin=True, tty=True, stdout=True, detach_keys=keys or None)["Id"]
        sock = api.exec_start(eid, tty=True, socket=True)
        raw = getattr(sock, "_sock", sock)
        raw.settimeout(20)
        raw.sendall(CTRL_X if keys else b"\x10\x11")  # ctrl-p ctrl-q, the default keys
        assert _read_to_end(raw) == b"exec attach failed: error on attach stdin: read escape sequence\r\n"
        raw.close()
        assert (api.exec_inspect(eid)["Running"], api.exec_inspect(eid)["ExitCode"]) == (False, 126)
    finally:
        api.remove_container(cid, force=True)


def check_detach_keys_end_a_tty_exec_attach(api) -> None:
    _detached_exec(api, "")


def check_an_execs_own_detach_keys_end_it(api) -> None:
    _detached_exec(api, "ctrl-x")


CHECKS = [check_stdin_once_reaches_the_program_then_ends_it, check_an_exec_reads_the_clients_stdin_to_its_end,
          check_detach_keys_end_a_tty_exec_attach, check_an_execs_own_detach_keys_end_it,
          check_detach_keys_end_a_tty_attach_and_the_program_runs_on,
          check_how_the_client_attached_is_kept_in_config]


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__[6:] for c in CHECKS])
def test_on_the_sim_as_on_dockerd(api, check):
    check(api)


if __name__ == "__main__":  # the same checks against another daemon (dockerd): how this file was recorded
    client = docker.APIClient(base_url=sys.argv[1], version="auto", timeout=30)
    for check in CHECKS:
        check(client)
        print("passed", check.__name__)
