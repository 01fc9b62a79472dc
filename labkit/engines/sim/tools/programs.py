"""The real programs: `python3 …` runs the learner's code as a real process, through the socket shim.

Every other tool imitates a program in Python; this one does not imitate anything. It starts
`python -m labkit.engines.sim.shim -- python3 ARGS…` as a child process in the container's working
folder with the container's environment, and the shim (shim.py) maps the container's addresses onto
real loopback addresses before the learner's unchanged code runs. It lives apart from the shell because
its job is process management (its own session so stop/kill reach its whole group, death with the engine,
logs or pipes, signal exit codes), not parsing: the shell only calls it, as it calls any tool.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from labkit.engines.sim import confine
from labkit.engines.sim.shim import python_options
from labkit.engines.sim.tools import files
from labkit.engines.sim.tools.base import Ctx


def python(ctx: Ctx, argv: list[str]) -> int:
    """Run the learner's Python as a real process inside the container's network model."""
    env = dict(ctx.env)
    who = files.account(ctx)
    env.pop("LABKIT_USER", None)
    env.pop("LABKIT_PWD", None)  # started without a shell, a program has no PWD (as on Docker)
    env.update(ctx.engine.process_env(ctx.cid), LABKIT_SIM_IDS=f"{who.uid}:{who.gid}")
    cmd = [sys.executable, *python_options(argv), "-m", "labkit.engines.sim.shim", "--", *argv]
    fence = ctx.engine.confinement(ctx.cid)  # a grading lab's Landlock ruleset for this container, else None
    try:
        if ctx.logs is not None:  # the container's main process: PID 1
            with open(ctx.logs[0], "ab") as out, open(ctx.logs[1], "ab") as err:
                proc = subprocess.Popen(cmd, cwd=ctx.cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                        start_new_session=True, preexec_fn=_in_child(_pid1, fence))
        else:
            proc = subprocess.Popen(cmd, cwd=ctx.cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    stdin=subprocess.DEVNULL, start_new_session=True,
                                    preexec_fn=_in_child(_die_with_parent, fence))
    finally:
        if fence is not None:
            os.close(fence)
    if ctx.logs is not None:
        if ctx.on_process:
            ctx.on_process(proc)
        ctx.settle()
        return _exit_code(proc.wait())
    if ctx.on_process:
        ctx.on_process(proc)
    out, err = proc.communicate()
    ctx.write(out.decode(errors="replace"))
    ctx.error(err.decode(errors="replace"))
    return _exit_code(proc.returncode)


def _in_child(first, fence: int | None):
    """What the child does between fork and exec: first, then (in a grading lab) enter its Landlock domain."""
    if fence is None:
        return first

    def run() -> None:
        first()
        confine.enter(fence)

    return run


def _pid1() -> None:
    """In the child: behave as a container's PID 1, which the kernel spares from signals it has no handler
    for: SIGTERM is ignored from the first instruction (Python itself installs a SIGINT handler)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_parent()


def _die_with_parent() -> None:
    """In the child: be killed when the engine's process dies (no orphans), Linux only (elsewhere the shim watches
    its parent: shim.watch_parent)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _exit_code(code: int) -> int:
    """A Popen return code as a shell reports it (killed by signal N: 128 + N)."""
    return 128 - code if code < 0 else code
