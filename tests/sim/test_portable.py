"""The embedded engine where Linux's /proc is missing (macOS): listeners are still seen, through the kernel's
per-process socket list (psutil), and a machine with neither way is refused in one line (issue 27)."""

from __future__ import annotations

import os
import socket
import sys

import pytest

from labkit.engines.sim import sockets


def test_listeners_seen_without_proc(tmp_path):
    """With no /proc (a folder without net/tcp stands for macOS), this process's listener is found, with its pid."""
    pytest.importorskip("psutil")
    server = socket.socket()
    try:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        found = sockets.held_listening([os.getpid()], proc=str(tmp_path))
        assert ("127.0.0.1", port, os.getpid()) in {(s.ip, s.port, pid) for s, pid in found}
        from_proc = sockets.held_listening([os.getpid()])  # Linux's /proc says the same
        assert ("127.0.0.1", port) in {(s.ip, s.port) for s, _ in from_proc}
    finally:
        server.close()


def test_no_proc_and_no_psutil_is_refused(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "psutil", None)  # import psutil fails
    with pytest.raises(sockets.Unobservable, match="cannot see what listens on this machine"):
        sockets.held_listening([os.getpid()], proc=str(tmp_path))
