"""A submission's lab: its private `labkit sim` daemon, in a lab box of its own (or, with `--sandbox none`,
as a plain process), ready before the kernel starts; and the Context the grader's checks read it through.

The daemon's socket lives in a folder of the job's own; the kernel box gets the socket alone. The grader's
host-side requests (a published port on the lab's host address) are made inside the lab box's network
namespace, where only the lab's own processes can listen.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from labkit.contract.result import Result
from labkit.contract.transcript import HOST_TIMEOUT, host_argv
from labkit.course.state import LabState, snapshot
from labkit.course.vocabulary import Context
from labkit.engines.sim import daemon
from labkit.engines.simclient import EmbeddedEngine
from labkit.errors import CommandError
from labkit.grading import sandbox
from labkit.grading.sandbox import Box, BoxPlan, BwrapPlan, Limits


@dataclass
class Lab:
    """A running private daemon: its socket, its engine client, and its box (None without a sandbox)."""

    socket: str
    engine: EmbeddedEngine
    box: Box | None = None

    def stop(self) -> None:
        """Stop the daemon and every container it runs (the whole lab box)."""
        if self.box is not None:
            self.box.kill()
        else:
            daemon.stop(self.socket)


def start(folder: Path, idle: float, uid: int | None, limits: Limits,
          make_plan: Callable[[int, Limits], BoxPlan] = BwrapPlan) -> Lab:
    """Start this submission's daemon (boxed when uid is given, in a box make_plan describes) and wait until it
    answers."""
    folder.mkdir(mode=0o700)
    sock = str(folder / "engine.sock")
    if uid is None:
        daemon.start(sock, private_host=True, idle=idle)
        return Lab(sock, EmbeddedEngine(sock, restart=False))
    sandbox.give(folder, uid)
    plan = make_plan(uid, replace(limits, processes=limits.processes * 4))  # a lab's containers are threads and processes
    plan.bind(str(folder), str(folder), writable=True)
    read, write = os.pipe()
    cmd = daemon.serve_command(sock, private_host=True, confine=True, idle=idle)
    with open(folder / "engine.log", "ab") as log:
        if os.getuid() == 0:
            os.fchown(log.fileno(), uid, uid)
        proc = subprocess.Popen(plan.argv(cmd, info_fd=write), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                pass_fds=[write], start_new_session=True, env=sandbox.outer_env())
    os.close(write)
    box = Box(proc, uid, plan=plan)
    box.read_info(read)
    deadline = time.monotonic() + daemon.START_TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None:
        if daemon.status(sock).running:
            if os.getuid() == 0:
                os.chmod(sock, 0o666)  # the kernel box has a uid of its own; only it and the grader see the socket
            return Lab(sock, EmbeddedEngine(sock, restart=False), box)
        time.sleep(0.02)
    box.kill()
    try:
        tail = (folder / "engine.log").read_text(errors="replace").strip().splitlines()[-1:]
    except OSError:
        tail = []
    raise CommandError(f"the submission's embedded engine did not start ({' '.join(tail) or 'no answer'})\n", 1)


class LabContext(Context):
    """The checks' Context for a submission's lab: its state read for the submission's session (given, never
    looked up), host-side commands run in the lab box's network namespace."""

    box: Box | None = None
    session_id: str = ""  # the submission's session: what its lab is labelled with

    @property
    def state(self) -> LabState:
        """The submission's lab as its session's labels find it, read once per check."""
        if self._state is None:
            self._state = snapshot(self.engine, self.session_id or None)
        return self._state

    def host(self, argv: list[str] | str) -> Result:
        """Run a host-side command (an argv list; a string is split, never given to a shell) where the lab's
        published ports listen: inside the lab box's network namespace, as the box's uid."""
        if self.box is None:
            return super().host(argv)
        words = host_argv(argv, self.engine)
        shown = argv if isinstance(argv, str) else shlex.join(argv)
        try:
            proc = subprocess.run(sandbox.in_netns(self.box, words), cwd=str(self.folder), capture_output=True,
                                  text=True, errors="replace", timeout=HOST_TIMEOUT, stdin=subprocess.DEVNULL,
                                  env=sandbox.outer_env())
        except subprocess.TimeoutExpired:
            return Result(shown, 124, "", f"labkit: host command timed out after {HOST_TIMEOUT:g} s\n")
        return Result(shown, proc.returncode, proc.stdout, proc.stderr)
