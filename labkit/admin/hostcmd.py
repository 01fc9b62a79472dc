"""`labkit host CMD …`: a command on the host side of the learner's lab, from a terminal, as `%host` runs it in a
notebook.

On a shared machine (a hub: JUPYTERHUB_USER, or LABKIT_PRIVATE_HOST=1) a learner's embedded engine publishes
their ports on a host address of their own, so a terminal's plain `curl localhost:8080` reaches nothing of theirs
(and never a classmate's or the hub's). `labkit host curl -sS localhost:8080` aims `localhost` at that address the
way `%host` does (a curl keeps naming localhost: `--resolve`) and then *becomes* the command: its output streams
to the terminal and its exit code is the command's. Anywhere else (Docker, a laptop) it runs the command as typed.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys

from labkit import session
from labkit.contract.transcript import host_argv
from labkit.errors import CommandError


def aimed(words: list[str]) -> list[str]:
    """The command `words` aimed at the current session's lab host (unchanged when localhost is this machine's)."""
    return host_argv(words, session.current().engine())


def run(words: list[str]) -> int:
    """Replace this process with `words` aimed at the lab's host; a one-line error (exit 2 or 127) when there is
    nothing to run."""
    if not words:
        raise CommandError("labkit: `labkit host` needs a command, e.g. labkit host curl -sS localhost:8080\n", 2)
    argv = aimed(words)
    program = shutil.which(argv[0])
    if program is None:
        raise CommandError(f"labkit: {argv[0]}: command not found on this machine\n", 127)
    sys.stdout.flush()
    sys.stderr.flush()
    if argv != words:  # said once, on stderr: what the terminal runs is not what was typed
        sys.stderr.write(f"labkit: localhost is your lab's host here: {shlex.join(argv)}\n")
        sys.stderr.flush()
    os.execv(program, argv)
    return 127  # not reached
