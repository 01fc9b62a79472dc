"""The embedded engine's view of this machine's processes holds without /proc (a Mac): from psutil, else `ps`, and
what cannot be known there is None (a caller refuses), never a guess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from labkit.engines.sim import daemon, hostprocs, procs

WAYS = ["proc", "psutil", "ps"]


@pytest.fixture(params=WAYS)
def way(request, monkeypatch, tmp_path):
    """This machine as seen through /proc, through psutil with no /proc, or through `ps` with neither."""
    if request.param != "proc":
        monkeypatch.setattr(hostprocs, "PROC", str(tmp_path / "no-proc"))
    if request.param == "ps":
        monkeypatch.setitem(sys.modules, "psutil", None)  # import psutil raises ImportError
    elif request.param == "psutil":
        pytest.importorskip("psutil")
    return request.param


def test_a_child_and_its_family_are_found_every_way(way):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in hostprocs.children().get(os.getpid(), [])
        assert procs.family([os.getpid()]) >= {os.getpid(), child.pid}
        assert {os.getpid(), child.pid} <= hostprocs.of_user(os.getuid())
        assert hostprocs.has_ended(child.pid) is False
        assert daemon._alive(child.pid)
    finally:
        child.kill()
        child.wait()
    assert not daemon._alive(child.pid)


def test_a_signal_handler_is_read_from_proc_and_unknown_without_it(way):
    child = subprocess.Popen([sys.executable, "-c", "import signal, time\nsignal.signal(signal.SIGTERM, lambda *a: 0)\n"
                              "print('ready', flush=True)\ntime.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "ready\n"
        known = hostprocs.catches(child.pid, signal.SIGTERM)
        if way == "proc":
            assert known is True and hostprocs.catches(child.pid, signal.SIGUSR2) is False
        else:
            assert known is None and procs.handles(child.pid, signal.SIGTERM) is None
    finally:
        child.kill()
        child.wait()


def test_the_machines_memory_is_known_without_proc(way):
    assert hostprocs.memory_total() > 64 * 1024 * 1024
